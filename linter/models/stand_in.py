"""Stand-ins: a quantized checkpoint whose own metadata cannot be had is estimated from its base model's shapes
(same name without the ``-FP8``/``-AWQ``/... suffix) with the method and bits its name states, and the rules that
need only shapes (``NEEDS = ("shapes",)``: context length, rope scaling, tensor-parallel divisibility) read the
base model's through :func:`shape_source`, saying so in their messages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vllm_lint.models.cache import cached_ids, hub_cache_dir
from vllm_lint.models.meta import ModelMeta
from vllm_lint.models.request import ModelRequest
from vllm_lint.models.resolve import resolve_without_network
from vllm_lint.models.snapshot import snapshot_ids

# ---------------------------------------------------------------------------------------- stand-ins for the estimate

#: A quantized checkpoint's name: its base model's name and a suffix naming the quantization.
_QUANTIZED_NAME = re.compile(
    r"^(?P<base>.+?)[-_.](?P<tag>fp8(?:[-_](?:dynamic|static|block))?|awq(?:[-_]?(?:4|8)[-_]?bit)?|"
    r"gptq(?:[-_]?int[48])?|int[48]|w4a16|w8a8|w8a16)$", re.IGNORECASE)


def quantization_in_name(model_id: str) -> tuple[str, str, int] | None:
    """(base model name, method, weight bits) that a quantized checkpoint's name states, e.g.
    ``Qwen/Qwen3-VL-32B-Instruct-FP8`` -> (``Qwen3-VL-32B-Instruct``, ``fp8``, 8)."""
    name = model_id.rsplit("/", 1)[-1]
    m = _QUANTIZED_NAME.match(name)
    if m is None:
        return None
    tag = m["tag"].lower()
    bits = 8 if ("8" in tag and not tag.startswith("w4")) or tag.startswith("fp8") else 4
    method = "fp8" if tag.startswith("fp8") else "awq" if tag.startswith("awq") else "gptq" if tag.startswith(("gptq", "int")) \
        else "compressed-tensors"
    return m["base"], method, bits


def stand_in(model_id: str) -> tuple[ModelMeta, str, int] | None:
    """Metadata to estimate memory with when a quantized checkpoint's own is not available: its base
    model's (same name without the quantization suffix, from the cache or the bundled snapshot; the
    same organization first), with the method and weight bits its name states. Never the network."""
    if quantization_in_name(model_id) is None:
        return None
    cache = hub_cache_dir()
    try:  # the answer changes only when the cache does (a model downloaded meanwhile)
        cache_state = cache.stat().st_mtime_ns if cache is not None else None
    except OSError:
        cache_state = None
    return _stand_in(model_id, cache, cache_state)


@lru_cache(maxsize=256)
def _stand_in(model_id: str, cache: Path | None, cache_state: int | None) -> tuple[ModelMeta, str, int] | None:
    base, method, bits = quantization_in_name(model_id)
    org = model_id.split("/", 1)[0] if "/" in model_id else ""
    known = sorted({*snapshot_ids(), *cached_ids(cache)}, key=lambda i: (i.split("/", 1)[0].lower() != org.lower(), i))
    for candidate in known:
        if candidate.rsplit("/", 1)[-1].lower() != base.lower() or quantization_in_name(candidate):
            continue
        try:
            meta = resolve_without_network(ModelRequest(candidate), cache, True)
        except Exception:  # a broken cache entry: try the next
            continue
        if isinstance(meta, ModelMeta) and not meta.quant_method:
            return meta, method, bits
    return None


# ---------------------------------------------------------------------------------------- stand-ins for the shape rules

#: Failures after which no stand-in is used: the model id itself is wrong, or it is a local folder.
NO_STAND_IN = frozenset({"not-found", "local-missing", "local-unmounted", "no-config"})


@dataclass(frozen=True)
class ShapeSource:
    """Where a launch's model shapes (heads, layers, context length, rope) are read: the model's own metadata,
    or — a quantized checkpoint whose own metadata is not available — its base model's (``base`` names it).
    Shapes are what quantizing does not change; the quantization itself (method, block and group sizes) is
    only in the checkpoint's own files."""

    meta: ModelMeta
    model: str  # the model the launch names
    base: str | None = None  # the base model whose shapes stand in, None when they are the model's own
    method: str | None = None  # the quantization the name states (stand-ins only)
    bits: int | None = None

    @property
    def label(self) -> str:
        """The model as a message names it, saying where its shapes come from when they are not its own."""
        if self.base is None:
            return self.meta.model_id
        return f"{self.model} (from {self.base}'s shapes: its own metadata is not available)"


def shape_source(model: str | None, meta: ModelMeta | None, error=None) -> ShapeSource | None:
    """The shapes of a launch's model: its own ``meta`` when there is one, else a stand-in (:func:`stand_in`)
    unless the failure says the id itself is wrong or the model is a local folder. Never the network."""
    if meta is not None:
        return ShapeSource(meta, meta.model_id)
    if not model or model.startswith(("/", "./", "../", "~")) or getattr(error, "kind", None) in NO_STAND_IN:
        return None
    found = stand_in(model)
    if found is None:
        return None
    base, method, bits = found
    return ShapeSource(base, model, base.model_id, method, bits)
