"""Knowledge files: the YAML data shipped in ``vllm_lint.knowledge``, read once each with the C loader."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=None)
def load(name: str):
    """The parsed content of ``knowledge/<name>`` (e.g. ``vllm/engine.yaml``)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(resources.files("vllm_lint.knowledge").joinpath(name).read_text(encoding="utf-8"), Loader=loader)
