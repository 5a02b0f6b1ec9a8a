"""The arguments of a launch that memory depends on (:class:`Launch`), read from a Deployment or given by
``vllm-lint vram``, with lengths parsed as vLLM parses them (``128k``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Launch:
    """The arguments of a launch that memory depends on (already normalized, defaults applied later)."""

    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    kv_cache_dtype: str = "auto"
    dtype: str = "auto"
    quantization: str | None = None
    weight_bits: int | None = None  # bits of quantized weights when no quantization config says (a stand-in's name)
    max_num_batched_tokens: int | None = None
    max_num_seqs: int | None = None
    enforce_eager: bool = False
    block_size: int | None = None
    mm_encoder_tp_mode: str = "weights"
    limit_images: int | None = None  # --limit-mm-per-prompt image
    limit_videos: int | None = None
    skip_mm_profiling: bool = False
    max_pixels: int | None = None
    expert_parallel: bool = False

    @classmethod
    def from_deployment(cls, d) -> "Launch":
        launch = cls(tensor_parallel=d.tensor_parallel, pipeline_parallel=d.pipeline_parallel)
        launch.max_model_len = human_int(d.value("max-model-len"))
        gmu = d.number("gpu-memory-utilization")
        if gmu is not None:
            launch.gpu_memory_utilization = gmu
        launch.kv_cache_dtype = d.value("kv-cache-dtype") or "auto"
        launch.dtype = d.value("dtype") or "auto"
        launch.quantization = d.value("quantization")
        launch.max_num_batched_tokens = human_int(d.value("max-num-batched-tokens"))
        launch.max_num_seqs = d.number("max-num-seqs", int)
        launch.enforce_eager = d.flag_set("enforce-eager")
        launch.block_size = d.number("block-size", int)
        launch.mm_encoder_tp_mode = d.value("mm-encoder-tp-mode") or "weights"
        limits = d.json_value("limit-mm-per-prompt") or {}
        if isinstance(limits, dict):
            launch.limit_images = _int_or_none(limits.get("image"))
            launch.limit_videos = _int_or_none(limits.get("video"))
        launch.skip_mm_profiling = d.flag_set("skip-mm-profiling")
        kwargs = d.json_value("mm-processor-kwargs") or {}
        if isinstance(kwargs, dict):
            launch.max_pixels = _int_or_none(kwargs.get("max_pixels"))
        launch.expert_parallel = d.flag_set("enable-expert-parallel")
        return launch


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def human_int(text):
    """vLLM accepts 128k / 1M style lengths (human_readable_int)."""
    if text is None:
        return None
    t = str(text).strip().lower()
    factor = 1
    if t.endswith("k"):
        factor, t = 1000, t[:-1]
    elif t.endswith("m"):
        factor, t = 1000**2, t[:-1]
    try:
        return int(float(t) * factor)
    except ValueError:
        return None

