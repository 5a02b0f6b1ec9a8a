"""What ``--quantization`` vLLM accepts for a checkpoint (``knowledge/vllm/quantization_overrides.yaml``)."""
from __future__ import annotations

from functools import lru_cache

from packaging.version import Version

from vllm_lint.knowledge import load as load_knowledge


@lru_cache(maxsize=1)
def overrides() -> dict:
    return load_knowledge("vllm/quantization_overrides.yaml")


def accepted(checkpoint_method: str, version: str) -> tuple[list[str], str]:
    """(the --quantization values this release accepts for such a checkpoint, the source)."""
    entries = overrides()["checkpoints"].get(checkpoint_method)
    if not entries:
        return [checkpoint_method], overrides()["error_source"]
    v = Version(version)
    for e in entries:
        if (e.get("since") is None or Version(e["since"]) <= v) and (e.get("until") is None or v < Version(e["until"])):
            return list(e["accepts"]), e["source"]
    return list(entries[-1]["accepts"]), entries[-1]["source"]


def mismatch_message(checkpoint: str, user: str) -> str:
    return overrides()["error_message"].format(checkpoint=checkpoint, user=user)
