"""JSON-schema validation of the files vllm-lint reads on every run (``.vllm-lint.yaml``, the models lock), done
once per content.

Importing ``jsonschema`` (and ``referencing`` and ``attrs`` behind it) costs more than linting a file, to check a
configuration that did not change since the last run. :func:`validate` runs the validator only for content it
has not seen valid before: a valid document leaves an empty marker in the cache folder
(:func:`vllm_lint.knowledge.cache_dir`), named by the SHA-256 of the schema, the document (as canonical JSON)
and the version of vllm-lint; an invalid one is never remembered, so its error is reported on every run.
Without a usable cache folder every run validates.
"""
from __future__ import annotations

import hashlib
import json
import os


def errors(schema: dict, document) -> list:
    """jsonschema's errors of ``document``, in path order (empty: valid)."""
    import jsonschema

    return sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path))


def validate(schema: dict, document) -> list:
    """:func:`errors`, without importing jsonschema when this content was valid before."""
    from vllm_lint import __version__
    from vllm_lint.knowledge import cache_dir

    folder = cache_dir()
    marker = None
    if folder is not None:
        text = json.dumps([__version__, schema, document], sort_keys=True, default=str, ensure_ascii=False)
        marker = folder / "valid" / hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        try:
            st = os.stat(marker)
            if not hasattr(os, "getuid") or st.st_uid == os.getuid():
                return []
        except OSError:
            pass
    found = errors(schema, document)
    if not found and marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            marker.touch()
        except OSError:
            pass
    return found
