"""Support: what a vLLM release serves and on which GPUs — model architectures
(``knowledge/vllm/architectures.yaml``), reasoning and tool-call parsers and the parsers of model
families (``knowledge/vllm/parsers.yaml``), and the GPU needs of quantization methods
(``knowledge/vllm/quantization.yaml``); all generated from each release's source by
``knowledge/tools/build_vllm_registry.py``."""
from __future__ import annotations

from functools import lru_cache

from packaging.version import Version

from vllm_lint.knowledge import load as load_knowledge


@lru_cache(maxsize=None)
def _version(text: str) -> Version:
    return Version(text)


def _load(name: str) -> dict:
    return load_knowledge(name)


def in_range(version: str, entry: dict) -> bool:
    v = _version(version)
    return _version(str(entry["since"])) <= v and (entry.get("until") is None or v < _version(str(entry["until"])))


def architecture(name: str) -> dict | None:
    """{since, until?, kind} of an architecture vLLM has served, or None if no covered release has."""
    return _load("vllm/architectures.yaml")["architectures"].get(name)


def covered_releases() -> list[str]:
    return list(_load("vllm/architectures.yaml")["releases"])


def min_capability(method: str, version: str) -> tuple[int, str] | None:
    """(minimum compute capability × 10, source) of a quantization method's config class in a release,
    if it states one (``knowledge/vllm/quantization.yaml``)."""
    for entry in _load("vllm/quantization.yaml")["methods"].get(method, ()):
        if in_range(version, entry) and isinstance(entry.get("min_capability"), int) and entry["min_capability"] >= 0:
            return int(entry["min_capability"]), str(entry.get("source", ""))
    return None


def fp8_marlin(version: str) -> dict | None:
    """How the release runs FP8 without FP8 tensor cores: {marlin_below, per_tensor, block_wise, source}."""
    for entry in _load("vllm/quantization.yaml")["fp8_marlin"]:
        if in_range(version, entry):
            return entry
    return None


def fp8_marlin_block_wise_since() -> str | None:
    """The first covered release from which block-wise FP8 runs through Marlin for good."""
    since = None
    for entry in _load("vllm/quantization.yaml")["fp8_marlin"]:  # in release order
        if not entry.get("block_wise"):
            since = None
        elif since is None:
            since = entry["since"]
    return since


MIN_CAPABILITY_MESSAGE = ("The quantization method {method} is not supported for the current GPU. Minimum capability: "
                          "{minimum}. Current capability: {current}.")  # vllm/config/__init__.py (0.11.0)


def min_capability_message(method: str, minimum: int, current: int) -> str:
    return MIN_CAPABILITY_MESSAGE.format(method=method, minimum=minimum, current=current)


def parsers(kind: str) -> dict[str, dict]:
    """Parser name -> {since, until?, source} for ``kind`` "reasoning" or "tool-call"."""
    key = {"reasoning": "reasoning_parsers", "tool-call": "tool_call_parsers"}[kind]
    return _load("vllm/parsers.yaml")[key]


@lru_cache(maxsize=None)
def _parsers_in(kind: str, version: str) -> tuple[str, ...]:
    return tuple(sorted(name for name, entry in parsers(kind).items() if in_range(version, entry)))


def parsers_in(kind: str, version: str) -> list[str]:
    """The parser names of ``kind`` that release ``version`` accepts."""
    return list(_parsers_in(kind, version))


def family_of(meta) -> tuple[str, dict] | None:
    """(family, its parser recommendations) of a model, from its model_type or architecture."""
    model_types = {meta.model_type, meta.text_config.get("model_type")} - {None}
    for name, family in _load("vllm/parsers.yaml")["families"].items():
        if model_types & set(family.get("model_types", ())) or set(meta.architectures) & set(family.get("architectures", {})):
            return name, family
    return None
