"""How each vLLM release budgets memory at start-up (``knowledge/vllm/engine.yaml``): the engine's accounting,
whether CUDA graphs count in the budget, and the scheduler defaults of ``vllm serve`` per GPU.
"""
from __future__ import annotations

from functools import lru_cache

from packaging.version import Version

from vllm_lint.hardware.gpu import Gpu
from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.memory.text import GiB

# -- knowledge ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def engine_facts() -> dict:
    return load_knowledge("vllm/engine.yaml")


def _in_range(version: str, entry: dict) -> bool:
    v = Version(version)
    return Version(entry["since"]) <= v and (entry.get("until") is None or v < Version(entry["until"]))


def engine_for(version: str) -> dict:
    for entry in engine_facts()["engines"]:
        if _in_range(version, entry):
            return entry
    return engine_facts()["engines"][-1]


def scheduler_defaults(version: str, gpu: Gpu) -> tuple[int | None, int]:
    """(max_num_batched_tokens, max_num_seqs) that `vllm serve` picks on this GPU; None = V0 rule."""
    facts = engine_facts()
    for entry in facts["api_server_defaults"]:
        if _in_range(version, entry):
            name = gpu.name.lower()
            for tier in entry["tiers"]:
                if "gpu_names" in tier and not any(n in name for n in tier["gpu_names"]):
                    continue
                if gpu.cuda_memory_bytes < tier.get("min_memory_gib", 0) * GiB:
                    continue
                if any(n in name for n in tier.get("exclude_names", ())):
                    continue
                return tier["max_num_batched_tokens"], tier["max_num_seqs"]
    return None, facts["v0_defaults"]["max_num_seqs"]



def hybrid_facts(version: str) -> dict:
    """What the release does with hybrid (attention + recurrent-state) models: prefix caching and its default,
    the kernel block alignment of the attention block (engine.yaml hybrid_kv_cache); {} before 0.10.0."""
    for entry in engine_facts()["hybrid_kv_cache"]:
        if _in_range(version, entry):
            out = dict(entry)
            since = entry.get("align_checkpoints_since")
            out["align_checkpoints"] = bool(since) and Version(version) >= Version(since)
            return out
    return {}
