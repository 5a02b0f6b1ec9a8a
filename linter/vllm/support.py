"""Support: what a vLLM release serves and on which GPUs — model architectures
(``knowledge/vllm/architectures.yaml``), reasoning and tool-call parsers, the tool-call formats of chat
templates and the parsers of model families (``knowledge/vllm/parsers.yaml``), and the GPU needs of
quantization methods (``knowledge/vllm/quantization.yaml``); the tables generated from each release's
source by ``knowledge/tools/build_vllm_registry.py``, the formats and families cited from vLLM's docs."""
from __future__ import annotations

import re
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


def tool_formats() -> dict[str, dict]:
    """Tool-call format -> {label, markers, unless, templates, source, tool_call_parsers} (``tool_formats`` of
    ``knowledge/vllm/parsers.yaml``)."""
    return _load("vllm/parsers.yaml").get("tool_formats") or {}


def families() -> dict[str, dict]:
    """Model family -> {label, model_ids, model_types, tool_formats, tool_call_parsers, reasoning_parsers, ...}."""
    return _load("vllm/parsers.yaml").get("families") or {}


def tool_format_of(template: str) -> str | None:
    """The tool-call format a chat template's text writes: the one format whose markers are all in it (and none of
    its ``unless``); None when no format's are, or when several formats' are."""
    found = [name for name, fmt in tool_formats().items()
             if fmt.get("markers") and all(m in template for m in fmt["markers"])
             and not any(m in template for m in fmt.get("unless", ()))]
    return found[0] if len(found) == 1 else None


def example_template_format(file_name: str) -> str | None:
    """The tool-call format of one of vLLM's example templates (``examples/*.jinja``), by its file name."""
    for name, fmt in tool_formats().items():
        if file_name in fmt.get("templates", ()):
            return name
    return None


def family_of(meta) -> tuple[str, dict] | None:
    """(family, its entry) of a model, told by its model id: the one family whose ``model_ids`` patterns match it and
    whose ``model_types`` (when it lists some) hold its config.json model_type. None when no family's or several
    families' do, and when the model's own chat template writes a tool-call format the family's templates do not:
    a family that is not sure is not judged."""
    model_types = {meta.model_type, meta.text_config.get("model_type")} - {None}
    found = [(name, family) for name, family in families().items()
             if any(re.search(p, meta.model_id) for p in family["model_ids"])
             and (not family.get("model_types") or model_types & set(family["model_types"]))]
    if len(found) != 1:
        return None
    fmt = meta.tool_format
    if fmt in tool_formats() and fmt not in found[0][1].get("tool_formats", ()):
        return None
    return found[0]


def same_parsers(kind: str, names: list[str]) -> set[str]:
    """``names`` and the other names that register the same parser class (in the newest release that has them):
    ``qwen3_json`` for ``hermes``, ``llama4_json`` for ``llama3_json``."""
    table = parsers(kind)
    classes = {table[n].get("class") for n in names if n in table} - {None}
    return set(names) | {n for n, entry in table.items() if entry.get("class") in classes}
