"""Texts that stand in for files on disk while one lint runs: the unsaved buffers of an editor (the
language server, :mod:`vllm_lint.lsp`). Every reader of a linted file (:func:`source_file.read_text`, the
discovery's first look at a file, the ``COMPOSE_FILE`` of a ``.env``) asks :func:`text_of` first, so a
document is linted as it stands in the editor without anything being written.

The overlay is a context variable: it holds for the code run inside :func:`overlay` (in that thread or
task) and for nothing else, so a command-line run never sees one."""
from __future__ import annotations

import contextvars
import os
from contextlib import contextmanager

_TEXTS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("vllm_lint_overlay", default=None)


def text_of(path) -> str | None:
    """The editor's text of ``path`` while an overlay holds it, else None (read the disk)."""
    texts = _TEXTS.get()
    if not texts:
        return None
    return texts.get(os.path.abspath(path))


@contextmanager
def overlay(texts: dict):
    """Read ``texts`` (path -> text) instead of those files while the block runs."""
    token = _TEXTS.set({os.path.abspath(p): t for p, t in texts.items()})
    try:
        yield
    finally:
        _TEXTS.reset(token)
