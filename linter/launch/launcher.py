"""Which server a launch really starts (``vllm serve`` or the api_server module) and how that
release treats ``--model``: facts from ``knowledge/vllm/launchers.yaml``."""
from __future__ import annotations

from functools import lru_cache

from packaging.version import Version

from vllm_lint.knowledge import load as load_knowledge


@lru_cache(maxsize=1)
def facts() -> dict:
    return load_knowledge("vllm/launchers.yaml")


def _match(entries: list[dict], version: str) -> dict | None:
    v = Version(version)
    for e in entries:
        if (e.get("since") is None or Version(e["since"]) <= v) and (e.get("until") is None or v < Version(e["until"])):
            return e
    return None


def server(deployment, version: str | None) -> str | None:
    """"vllm serve", "api_server", or None when the image's entrypoint for that release is unknown."""
    if deployment.launcher in ("vllm serve", "api_server"):
        return deployment.launcher
    if deployment.launcher == "image entrypoint" and version:
        entry = _match(facts()["image_entrypoint"], version)
        return entry["entrypoint"] if entry else None
    return None


def model_flag(version: str) -> dict | None:
    """How `vllm serve` of this release treats --model (behaviour, message, source)."""
    return _match(facts()["serve_model_flag"], version)
