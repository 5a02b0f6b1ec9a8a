"""Start-up checks of vLLM that depend on the model or the GPU (``knowledge/vllm/startup_checks.yaml``): bfloat16
below compute capability 8.0, the model types that refuse float16, what the release does with chunked prefill
turned off, the chat-template fallbacks per model type and the expert-parallel checks; each fact with the
file:line of the release it was read in."""
from __future__ import annotations

import functools

from packaging.version import InvalidVersion, Version

from vllm_lint.knowledge import load as load_knowledge

__all__ = ["chat_template_fallbacks", "data", "fact", "float16_refusal", "read_releases", "source_in"]


def data() -> dict:
    return load_knowledge("vllm/startup_checks.yaml")


def read_releases() -> list[str]:
    return list(data()["read"])


@functools.lru_cache(maxsize=512)
def _v(text: str) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def holds(entry: dict, version: str) -> bool:
    """Whether a fact read in ``since`` .. ``last`` (inclusive; no ``last``: every later release) holds in ``version``."""
    v, since = _v(version), _v(entry["since"])
    if v is None or since is None or v < since:
        return False
    last = _v(entry["last"]) if entry.get("last") else None
    return last is None or v <= last


def fact(entries: list[dict], version: str) -> dict | None:
    """The first entry of ``entries`` that holds in ``version``; None when the release is outside all of them."""
    return next((e for e in entries if holds(e, version)), None)


def float16_refusal(model_type: str | None, version: str) -> dict | None:
    """The entry of a model type that refuses float16 in ``version`` (model_type, reason, source), or None."""
    if not model_type:
        return None
    return fact([m for m in data()["float16_refused"]["models"] if m["model_type"] == model_type], version)


def chat_template_fallbacks(version: str) -> tuple[set[str], bool]:
    """(the model types vLLM has a chat template of its own for, whether read in this very release). For a release
    not read, the union of every release read: a fallback is never assumed missing."""
    table = data()["chat_template"]["fallbacks"]
    if version in table:
        return set(table[version]), True
    return {t for types in table.values() for t in types}, False


def source_in(sources: str, version: str) -> str:
    """Where a fact was read ("vllm/a.py:1 (0.6.0), :2 (0.8.0); vllm/b.py:3 (0.9.0)"): in ``version``, else in the
    newest release read before it."""
    file, best, best_v = "", None, None
    for part in (p.strip() for p in sources.replace(";", ",").split(",")):
        if part.startswith("vllm/"):
            file = part.split(":", 1)[0]
        elif part.startswith(":"):
            part = file + part
        if " (" not in part or not part.endswith(")"):
            continue
        where, read = part[:-1].split(" (", 1)
        try:
            v = Version(read.split()[0])
            if v <= Version(version) and (best_v is None or v >= best_v):
                best, best_v = f"{where.split(' ')[0]} in {read.split()[0]}", v
        except InvalidVersion:
            continue
    return best or sources
