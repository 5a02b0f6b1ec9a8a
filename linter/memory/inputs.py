"""The arguments of a launch that memory depends on (:class:`Launch`), read from a Deployment or given by
``vllm-lint vram``, with lengths parsed as vLLM parses them (``128k``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Options that change what vLLM budgets but the estimate does not model: each given one is named in a note.
UNMODELLED_OPTIONS = ("kv-cache-memory-bytes", "cpu-offload-gb", "decode-context-parallel-size",
                      "prefill-context-parallel-size", "kv-transfer-config", "kv-offloading-size",
                      "num-gpu-blocks-override", "mamba-block-size", "mm-encoder-only")

#: Environment variables whose value changes what vLLM budgets (knowledge/vllm/engine.yaml says how).
MEMORY_ENV = ("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS", "VLLM_ALLOW_CHUNKED_LOCAL_ATTN_WITH_HYBRID_KV_CACHE",
              "VLLM_PP_LAYER_PARTITION", "VLLM_MLA_DISABLE")


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
    data_parallel: int = 1  # --data-parallel-size: engines of tensor × pipeline GPUs each
    language_model_only: bool = False  # --language-model-only: no vision tower loaded or profiled
    hf_overrides: dict | None = None  # --hf-overrides, applied to config.json as vLLM does
    speculative: dict | None = None  # --speculative-config
    speculative_meta: object | None = None  # the draft model's metadata (EAGLE head, draft model), when known
    enable_lora: bool = False
    max_loras: int = 1
    max_lora_rank: int = 16
    max_cpu_loras: int | None = None
    lora_dtype: str = "auto"
    enable_prefix_caching: bool | None = None  # None: the release's default for the model
    mamba_cache_mode: str | None = None
    mamba_ssm_cache_dtype: str | None = None
    mamba_cache_dtype: str | None = None
    disable_hybrid_kv_cache_manager: bool = False
    env: dict = field(default_factory=dict)  # VLLM_* variables of the launch that change memory
    unmodelled: list[str] = field(default_factory=list)  # options given that the estimate does not model

    @classmethod
    def from_deployment(cls, d) -> Launch:
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
        launch.data_parallel = d.number("data-parallel-size-local", int) or d.number("data-parallel-size", int) or 1
        launch.language_model_only = d.flag_set("language-model-only")
        overrides = d.json_value("hf-overrides")
        launch.hf_overrides = overrides if isinstance(overrides, dict) else None
        spec = d.json_value("speculative-config")
        launch.speculative = spec if isinstance(spec, dict) else None
        launch.enable_lora = d.flag_set("enable-lora")
        launch.max_loras = d.number("max-loras", int) or 1
        launch.max_lora_rank = d.number("max-lora-rank", int) or 16
        launch.max_cpu_loras = d.number("max-cpu-loras", int)
        launch.lora_dtype = d.value("lora-dtype") or "auto"
        if d.arg("enable-prefix-caching") is not None:
            launch.enable_prefix_caching = d.flag_set("enable-prefix-caching")
        launch.mamba_cache_mode = d.value("mamba-cache-mode")
        launch.mamba_ssm_cache_dtype = d.value("mamba-ssm-cache-dtype")
        launch.mamba_cache_dtype = d.value("mamba-cache-dtype")
        launch.disable_hybrid_kv_cache_manager = d.flag_set("disable-hybrid-kv-cache-manager")
        launch.unmodelled = [f"--{name}" for name in UNMODELLED_OPTIONS if d.arg(name) is not None]
        env = getattr(d, "env_value", None) or {}
        launch.env = {k: v for k, v in env.items() if k in MEMORY_ENV and v is not None}
        return launch


#: The largest count the estimate computes with: more GPUs (tensor × pipeline × data parallel), tokens, sequences
#: or images than any machine has. Past it, or for a value vLLM would refuse (``inf``, ``1e400``, ``nan``), a
#: launch gets no estimate (with the reason) instead of a number built on overflowing arithmetic.
MAX_COUNT = 1 << 40
MAX_GPUS = 1 << 16


def _int_or_none(value):
    """An integer JSON value as pydantic takes it for vLLM's int fields (``3``, ``3.0``), else None: ``1e400``
    (infinity), ``nan``, ``"x"``, a bool; bounded by :data:`MAX_COUNT`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_COUNT else None


def human_int(text):
    """A length as vLLM's ``human_readable_int`` parses it (``128k``, ``1M``, ``32768``), or None for what vLLM
    refuses (``inf``, ``1e400``, ``1.5K``) and for values past :data:`MAX_COUNT`."""
    if text is None:
        return None
    from vllm_lint.vllm.values import ConversionTypeError, human_readable_int

    try:
        value = human_readable_int(str(text))
    except (ConversionTypeError, ValueError, OverflowError):
        return None
    return value if 0 <= value <= MAX_COUNT else None


def out_of_range(d) -> str | None:
    """Why a launch's numbers cannot be estimated from (a value vLLM refuses or no machine has), or None. Read
    before any arithmetic: ``--tensor-parallel-size 100000000`` would otherwise build a list of 10^8 GPUs."""
    for name in ("tensor-parallel-size", "pipeline-parallel-size", "data-parallel-size", "data-parallel-size-local"):
        value = d.value(name)
        if value is None:
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            continue  # vLLM refuses it: the value rule says so; the estimate reads the default
        if number > MAX_GPUS:
            return f"--{name} {number} is more GPUs than any machine has"
    for name in ("max-model-len", "max-num-batched-tokens", "max-num-seqs"):
        value = d.value(name)
        if value is not None and str(value).strip() and human_int(value) is None:
            return f"--{name} {str(value)[:40]} is not a length vLLM accepts, or larger than {MAX_COUNT}"
    gmu = d.value("gpu-memory-utilization")
    if gmu is not None:
        try:
            fraction = float(gmu)
        except ValueError:
            fraction = 0.9
        if not (0 < fraction <= 1):
            return f"--gpu-memory-utilization {gmu} is not a fraction in (0, 1]"
    return None

