"""Support: what a vLLM release serves and on which GPUs — model architectures
(``knowledge/vllm/architectures.yaml``, generated from each release's model registry) and the GPU
needs of quantization methods (``knowledge/vllm/quantization_gpu.yaml``)."""
from __future__ import annotations

from packaging.version import Version

from .knowledge_files import load as load_knowledge


def _load(name: str) -> dict:
    return load_knowledge(name)


def in_range(version: str, entry: dict) -> bool:
    v = Version(version)
    return Version(str(entry["since"])) <= v and (entry.get("until") is None or v < Version(str(entry["until"])))


def architecture(name: str) -> dict | None:
    """{since, until?, kind} of an architecture vLLM has served, or None if no covered release has."""
    return _load("vllm/architectures.yaml")["architectures"].get(name)


def covered_releases() -> list[str]:
    return list(_load("vllm/architectures.yaml")["releases"])


def min_capability(method: str, version: str) -> tuple[int, str] | None:
    """(minimum compute capability × 10, source) of a quantization method in a release, if known."""
    for entry in _load("vllm/quantization_gpu.yaml")["methods"].get(method, ()):
        if in_range(version, entry):
            return int(entry["min_capability"]), entry["source"]
    return None


def fp8_marlin(block_wise: bool) -> dict:
    """Since which release FP8 checkpoints run weight-only (FP8 Marlin) below compute capability 8.9."""
    return _load("vllm/quantization_gpu.yaml")["fp8_without_fp8_hardware"]["block_wise" if block_wise else "per_tensor"]


def min_capability_message(method: str, minimum: int, current: int) -> str:
    return _load("vllm/quantization_gpu.yaml")["min_capability_message"].format(method=method, minimum=minimum, current=current)


def parsers(kind: str) -> dict[str, dict]:
    """Parser name -> {since, until?, source} for ``kind`` "reasoning" or "tool-call"."""
    key = {"reasoning": "reasoning_parsers", "tool-call": "tool_call_parsers"}[kind]
    return _load("vllm/parsers.yaml")[key]


def parsers_in(kind: str, version: str) -> list[str]:
    return sorted(name for name, entry in parsers(kind).items() if in_range(version, entry))


def family_of(meta) -> tuple[str, dict] | None:
    """(family, its parser recommendations) of a model, from its model_type."""
    model_types = {meta.model_type, meta.text_config.get("model_type")} - {None}
    for name, family in _load("vllm/model_families.yaml")["families"].items():
        if model_types & set(family["model_types"]):
            return name, family
    return None
