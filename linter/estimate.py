"""Estimate: GPU memory per GPU of one vLLM launch, budgeted the way the pinned release does it.

``estimate(meta, launch, gpu, version) -> Estimate`` is the one implementation of the arithmetic,
used by the VRAM rules, ``vllm-lint vram`` and ``vllm-lint report``. What each release does at
start-up is data (``knowledge/vllm/engine.yaml``, read from vLLM's worker and KV-cache code):

* budget = GPU memory × ``--gpu-memory-utilization``;
* KV cache = budget − weights − peak activation of the profile run − non-torch memory (− CUDA
  graph memory from 0.20 on, where vLLM profiles it; before, graphs come on top of the budget);
* KV capacity = KV cache // (page size × layers) blocks of 16 tokens; maximum concurrency =
  blocks / ceil(max_model_len / 16), as vLLM prints "Maximum concurrency for N tokens per request".

Each figure carries its basis: ``exact`` (the checkpoint's safetensors sizes), ``config`` (from the
model's config.json shapes) or ``rule-of-thumb`` (activations, CUDA graphs and non-torch memory,
calibrated against vLLM's own start-up logs in tests/data/calibration.yaml).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from packaging.version import Version

from .gpu import Gpu
from .knowledge_files import load as load_knowledge

GiB = 1024**3

#: Rule-of-thumb constants, checked against the real start-ups of tests/data/calibration.yaml
#: (tests/test_calibration.py; per-case errors: python bench/calibration.py). The non-torch figures
#: vLLM 0.11.0 printed there: 0.13-0.14 GiB at TP 1 and 0.54-0.55 GiB at TP 2 on H100 (NVLink);
#: NCCL_BYTES is lower than that difference because PCIe cards (seed 002: 2x RTX 4090) allocate less.
CUDA_CONTEXT_BYTES = int(0.45 * GiB)  # the CUDA context and libraries, outside vLLM's accounting in V1
NON_TORCH_BYTES = int(0.15 * GiB)  # cuBLAS workspaces etc. that grow during the profile run
NCCL_BYTES = int(0.25 * GiB)  # NCCL buffers with tensor/pipeline parallel > 1
ACTIVATION_FACTOR = 1.0  # multiplier on the per-token activation model below
#: Peak bytes per (request × vocabulary entry) of the sampler warm-up: 38.4-38.9 in the "Peak
#: activation memory" vLLM 0.11.0 printed for Qwen3-0.6B, Qwen3-32B, Llama-3.1-8B and gpt-oss-20b
#: with 1024 requests (the llm-d cases of tests/data/calibration.yaml, which therefore check the KV
#: figure of those cases against the data this constant was read from); the tensors of
#: vllm/v1/sample/ account for about as much.
SAMPLER_BYTES_PER_LOGIT = 38.5
CUDA_GRAPH_BASE_BYTES = int(0.25 * GiB)
CUDA_GRAPH_PER_LAYER_BYTES = int(0.004 * GiB)


@dataclass
class Figure:
    bytes: float
    basis: str  # "exact", "config", "rule-of-thumb", "given"
    note: str = ""

    @property
    def gib(self) -> float:
        return self.bytes / GiB


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
        launch.max_model_len = _human_int(d.value("max-model-len"))
        gmu = d.number("gpu-memory-utilization")
        if gmu is not None:
            launch.gpu_memory_utilization = gmu
        launch.kv_cache_dtype = d.value("kv-cache-dtype") or "auto"
        launch.dtype = d.value("dtype") or "auto"
        launch.quantization = d.value("quantization")
        launch.max_num_batched_tokens = _human_int(d.value("max-num-batched-tokens"))
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


def _human_int(text):
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


@dataclass
class GpuEstimate:
    device: str | None
    gpu: Gpu
    budget: Figure
    weights: Figure
    activation: Figure
    cuda_graph: Figure
    other: Figure
    kv_cache: Figure
    outside_budget: Figure  # CUDA context (+ graphs where vLLM does not budget them)
    graphs_in_budget: bool = False

    @property
    def fixed(self) -> float:
        """What vLLM takes out of the budget before the KV cache."""
        return self.weights.bytes + self.activation.bytes + self.other.bytes + \
            (self.cuda_graph.bytes if self.graphs_in_budget else 0.0)

    @property
    def total(self) -> float:
        """Memory vLLM will hold on this GPU once running: the budget (or what it needs, when that is
        more) plus what lies outside vLLM's accounting."""
        return max(self.budget.bytes, self.fixed) + self.outside_budget.bytes

    def as_dict(self) -> dict:
        return {"device": self.device, "gpu": self.gpu.id, "memory_gib": round(self.gpu.memory_bytes / GiB, 2),
                "budget_gib": round(self.budget.gib, 2), "weights_gib": round(self.weights.gib, 2),
                "activation_gib": round(self.activation.gib, 2), "cuda_graph_gib": round(self.cuda_graph.gib, 2),
                "other_gib": round(self.other.gib, 2), "kv_cache_gib": round(self.kv_cache.gib, 2),
                "outside_budget_gib": round(self.outside_budget.gib, 2), "total_gib": round(self.total / GiB, 2),
                "basis": {"weights": self.weights.basis, "activation": self.activation.basis,
                          "cuda_graph": self.cuda_graph.basis, "other": self.other.basis}}


@dataclass
class Estimate:
    model: str
    version: str
    launch: Launch
    gpus: list[GpuEstimate]
    kv_bytes_per_token: int  # per GPU, all layers of the stage
    block_size: int
    kv_cache_tokens: int
    max_model_len: int
    max_concurrency: float
    max_model_len_that_fits: int
    gpu_memory_utilization_needed: float | None
    uncertainty: float  # relative, on the KV cache figure
    notes: list[str] = field(default_factory=list)
    stand_in: str | None = None  # the base model whose shapes were used, when the model's own metadata was missing

    @property
    def fits(self) -> bool:
        worst = min(self.gpus, key=lambda g: g.kv_cache.bytes)
        return worst.kv_cache.bytes > 0 and self.kv_cache_tokens >= self.max_model_len and \
            all(g.total <= g.gpu.cuda_memory_bytes for g in self.gpus)

    @property
    def weights_fit(self) -> bool:
        return all(g.weights.bytes < g.budget.bytes for g in self.gpus)

    def as_dict(self) -> dict:
        return {"model": self.model, "vllm_version": self.version, "fits": self.fits,
                "kv_cache_tokens": self.kv_cache_tokens, "max_model_len": self.max_model_len,
                "max_concurrency": round(self.max_concurrency, 2), "max_model_len_that_fits": self.max_model_len_that_fits,
                "gpu_memory_utilization_needed": self.gpu_memory_utilization_needed,
                "kv_bytes_per_token": self.kv_bytes_per_token, "block_size": self.block_size,
                "tensor_parallel": self.launch.tensor_parallel, "pipeline_parallel": self.launch.pipeline_parallel,
                "uncertainty": self.uncertainty, "gpus": [g.as_dict() for g in self.gpus], "notes": self.notes,
                "stand_in": self.stand_in}


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


# -- model shapes ---------------------------------------------------------------------------------

_DTYPE_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2, "fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1,
                "fp8_inc": 1, "auto": None}


@dataclass
class Shapes:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied: bool
    experts: int = 0
    moe_intermediate: int = 0
    shared_intermediate: int = 0
    dense_layers: int = 0  # leading dense layers of a MoE model (DeepSeek first_k_dense_replace)
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    rope_head_dim: int = 0
    nope_head_dim: int = 0
    v_head_dim: int = 0
    sliding_layers: int = 0
    sliding_window: int = 0
    vision_params: int = 0
    topk: int = 0

    @property
    def mla(self) -> bool:
        return self.kv_lora_rank > 0


def shapes(meta) -> Shapes:
    get = meta.get
    hidden = int(get("hidden_size"))
    heads = int(get("num_attention_heads"))
    layers = int(get("num_hidden_layers"))
    kv_heads = int(get("num_key_value_heads") or heads)
    head_dim = int(get("head_dim") or hidden // heads)
    experts = int(get("num_experts") or get("n_routed_experts") or get("num_local_experts") or 0)
    s = Shapes(hidden, layers, heads, kv_heads, head_dim, int(get("intermediate_size") or 4 * hidden),
               int(get("vocab_size") or meta.config.get("vocab_size") or 32000),
               bool(get("tie_word_embeddings", meta.config.get("tie_word_embeddings", False))))
    if experts:
        s.experts = experts
        s.moe_intermediate = int(get("moe_intermediate_size") or s.intermediate)
        shared = int(get("n_shared_experts") or 0)
        s.shared_intermediate = int(get("shared_expert_intermediate_size") or shared * s.moe_intermediate)
        s.dense_layers = int(get("first_k_dense_replace") or 0)
        s.topk = int(get("num_experts_per_tok") or get("num_experts_per_token") or 2)
    if get("kv_lora_rank"):
        s.kv_lora_rank = int(get("kv_lora_rank"))
        s.q_lora_rank = int(get("q_lora_rank") or 0)
        s.rope_head_dim = int(get("qk_rope_head_dim") or 64)
        s.nope_head_dim = int(get("qk_nope_head_dim") or 128)
        s.v_head_dim = int(get("v_head_dim") or 128)
    layer_types = get("layer_types")
    window = get("sliding_window")
    if isinstance(layer_types, list) and window:
        s.sliding_layers = sum(1 for t in layer_types if "sliding" in str(t))
        s.sliding_window = int(window)
    vision = meta.vision_config
    if isinstance(vision, dict):
        depth = int(vision.get("depth") or vision.get("num_hidden_layers") or 0)
        vh = int(vision.get("hidden_size") or vision.get("embed_dim") or 0)
        vi = int(vision.get("intermediate_size") or 4 * vh)
        out = int(vision.get("out_hidden_size") or hidden)
        s.vision_params = depth * (4 * vh * vh + 2 * vh * vi) + 4 * vh * vh + vh * out
    return s


def component_params(s: Shapes) -> dict[str, float]:
    """Parameter counts of the parts that are sharded differently."""
    if s.mla:
        q = (s.hidden * s.q_lora_rank + s.q_lora_rank * s.heads * (s.nope_head_dim + s.rope_head_dim)) if s.q_lora_rank \
            else s.hidden * s.heads * (s.nope_head_dim + s.rope_head_dim)
        attn_sharded = q + s.kv_lora_rank * s.heads * (s.nope_head_dim + s.v_head_dim) + s.heads * s.v_head_dim * s.hidden
        attn_replicated = s.hidden * (s.kv_lora_rank + s.rope_head_dim)
        kv = 0.0
    else:
        attn_sharded = 2 * s.hidden * s.heads * s.head_dim
        attn_replicated = 0.0
        kv = 2 * s.hidden * s.kv_heads * s.head_dim
    if s.experts:
        moe_layers = s.layers - s.dense_layers
        mlp = s.dense_layers * 3 * s.hidden * s.intermediate + moe_layers * (
            s.experts * 3 * s.hidden * s.moe_intermediate + 3 * s.hidden * s.shared_intermediate)
        router = moe_layers * s.hidden * s.experts
    else:
        mlp = s.layers * 3 * s.hidden * s.intermediate
        router = 0.0
    return {
        "embed": s.vocab * s.hidden,
        "lm_head": 0.0 if s.tied else s.vocab * s.hidden,
        "attention": s.layers * attn_sharded,
        "attention_replicated": s.layers * attn_replicated + router,
        "kv_proj": s.layers * kv,
        "mlp": mlp,
        "vision": float(s.vision_params),
    }


def _quant_bytes_per_param(meta, quant: str | None, weight_bits: int | None = None) -> tuple[float, str]:
    """Bytes per parameter of quantized linear layers, and a description."""
    method = _quant_method(meta, quant)
    cfg = meta.quant_config or {}
    if method in ("awq", "awq_marlin", "gptq", "gptq_marlin", "compressed-tensors", "auto-round", "moe_wna16"):
        bits = int(cfg.get("bits") or cfg.get("w_bit") or _ct_bits(cfg) or weight_bits or 4)
        group = int(cfg.get("group_size") or cfg.get("q_group_size") or _ct_group(cfg) or 128)
        if bits >= 8 and method == "compressed-tensors" and _ct_is_fp8(cfg):
            return 1.0, "8-bit (compressed-tensors)"
        per = bits / 8 + (2 / group if group > 0 else 0) + (bits / 8 / group if group > 0 else 0)
        return per, f"{bits}-bit, group {group}"
    if method in ("fp8", "fbgemm_fp8", "modelopt", "ptpc_fp8"):
        return 1.0, "FP8"
    if method in ("bitsandbytes",):
        return 0.53, "4-bit bitsandbytes"
    if method in ("mxfp4",):
        return 0.53, "MXFP4"
    return 0.0, ""


_LAYER_NUMBER = re.compile(r"layers\.(\d+)\.")


def unquantized_share(cfg: dict, layers: int) -> dict[str, float]:
    """Share of each part (attention, mlp) that a quantized checkpoint keeps unquantized, from its skip
    list: ``modules_to_not_convert`` (vLLM's AWQ, MXFP4, bitsandbytes configs), ``ignore``
    (compressed-tensors) or ``ignored_layers``. A pattern over every layer (``model.layers.*.self_attn``,
    ``re:.*self_attn.*``) covers the whole part; names of single layers count layer by layer."""
    names = cfg.get("modules_to_not_convert") or cfg.get("ignore") or cfg.get("ignored_layers") or []
    if not isinstance(names, list):
        return {}
    every: set[str] = set()
    some: dict[str, set[int]] = {}
    for name in (str(n).rstrip("$") for n in names):
        part = "attention" if "attn" in name else "mlp" if ("mlp" in name or "experts" in name) else None
        if part is None or "router" in name or name.endswith(".gate") or "shared_expert_gate" in name:
            continue
        number = _LAYER_NUMBER.search(name)
        if number and "*" not in name and not name.startswith("re:"):
            some.setdefault(part, set()).add(int(number.group(1)))
        elif "*" in name or name.startswith("re:") or not number:
            every.add(part)
    share = {part: 1.0 for part in every}
    for part, numbers in some.items():
        share.setdefault(part, min(1.0, len(numbers) / max(layers, 1)))
    if "attention" in share:
        share["attention_replicated"] = share["kv_proj"] = share["attention"]
    return share


def _quant_method(meta, quant: str | None) -> str:
    """The quantization method weights are loaded with: --quantization, else the checkpoint's."""
    return (quant or meta.quant_method or "").lower()


def _ct_groups(cfg):
    groups = cfg.get("config_groups") or {}
    return [g.get("weights") or {} for g in groups.values() if isinstance(g, dict)]


def _ct_bits(cfg):
    for w in _ct_groups(cfg):
        if w.get("num_bits"):
            return int(w["num_bits"])
    return None


def _ct_group(cfg):
    for w in _ct_groups(cfg):
        if w.get("group_size"):
            return int(w["group_size"])
    return None


def _ct_is_fp8(cfg):
    return any(str(w.get("type")) == "float" for w in _ct_groups(cfg))


def model_dtype_bytes(meta, dtype: str) -> int:
    if dtype not in ("auto", None):
        return _DTYPE_BYTES.get(dtype, 2) or 2
    torch_dtype = str(meta.torch_dtype or "bfloat16").replace("torch.", "")
    size = _DTYPE_BYTES.get(torch_dtype, 2) or 2
    return 2 if size == 4 else size  # vLLM serves float32 checkpoints in float16/bfloat16


def mxfp4_uses_marlin(version: str, gpus: list[Gpu]) -> bool:
    """Whether vLLM serves MXFP4 experts with its Marlin kernel: below compute capability 9.0, and on
    every GPU before 0.10.2 (vLLM 0.10.1 on an H100 logs "Weight-only FP4 compression will be used
    leveraging the Marlin kernel", vllm-project/vllm#23278); later Hopper and Blackwell use Triton or
    FlashInfer (mxfp4.py get_mxfp4_backend)."""
    caps = [g.compute_capability for g in gpus if g.compute_capability is not None]
    return Version(version) < Version("0.10.2") or any(c < 9.0 for c in caps)


def _mxfp4_padding(s: Shapes, tp: int, marlin: bool) -> float:
    """How much larger MXFP4 expert weights are in GPU memory than in the checkpoint. vLLM pads them
    for its kernels (mxfp4.py Mxfp4MoEMethod.create_weights, 0.11.0): Marlin rounds the hidden size up to
    a multiple of 256 and the intermediate size per GPU to 128; the Triton path rounds the intermediate
    size to 64 and its Hopper weight layout pads the hidden size as well: gpt-oss-120b takes 64.38 GiB on an
    H100 with vLLM 0.11.0 and 0.14.1, exactly its checkpoint with the hidden size 2880 padded to 3072
    (tests/data/calibration.yaml)."""
    hidden = _round_up(s.hidden, 256)
    inter = math.ceil(s.moe_intermediate / max(tp, 1))
    return hidden * _round_up(inter, 128 if marlin else 64) / (s.hidden * inter) if s.hidden and inter else 1.0


def _round_up(x: int, m: int) -> int:
    return -(-x // m) * m


def weights_per_gpu(meta, s: Shapes, launch: Launch, marlin: bool = False) -> tuple[float, float, str, str]:
    """(bytes on the busiest GPU, total bytes, basis, note)."""
    parts = component_params(s)
    act_bytes = model_dtype_bytes(meta, launch.dtype)
    q_bytes, q_note = _quant_bytes_per_param(meta, launch.quantization, launch.weight_bits)
    linear = q_bytes or act_bytes
    kept = unquantized_share(meta.quant_config or {}, s.layers) if q_bytes else {}

    def linear_bytes(part: str) -> float:  # quantized, except the share the checkpoint left in its dtype
        share = kept.get(part, 0.0)
        return parts[part] * (linear * (1 - share) + act_bytes * share)

    per_part = {
        "embed": parts["embed"] * act_bytes,
        "lm_head": parts["lm_head"] * act_bytes,
        "attention": linear_bytes("attention"),
        "attention_replicated": linear_bytes("attention_replicated"),
        "kv_proj": linear_bytes("kv_proj"),
        "mlp": linear_bytes("mlp") * (_mxfp4_padding(s, launch.tensor_parallel, marlin)
                                      if s.experts and _quant_method(meta, launch.quantization) == "mxfp4" else 1.0),
        "vision": parts["vision"] * act_bytes,
    }
    computed_total = sum(per_part.values())
    exact = meta.weights.total_bytes if meta.weights is not None and meta.weights.total_bytes else None
    scale = exact / computed_total if exact and computed_total else 1.0
    basis = "exact" if exact else "config"
    tp, pp = max(1, launch.tensor_parallel), max(1, launch.pipeline_parallel)
    kv_share = 1.0 / tp if s.kv_heads >= tp else 1.0 / s.kv_heads  # KV heads replicated past their count
    layer_share = 1.0 / pp
    busiest = (
        (per_part["embed"] + per_part["lm_head"]) / tp * (1.0 if pp == 1 else 0.5)
        + (per_part["attention"] / tp + per_part["kv_proj"] * kv_share + per_part["attention_replicated"]
           + per_part["mlp"] / tp) * layer_share
        + per_part["vision"] * (1.0 if launch.mm_encoder_tp_mode == "data" or tp == 1 else 1.0 / tp)
    ) * scale
    note = f"{'checkpoint size' if exact else 'from config.json'}" + (f", {q_note}" if q_note else "")
    return busiest, exact or computed_total, basis, note


def kv_bytes_per_token(meta, s: Shapes, launch: Launch, max_model_len: int) -> tuple[int, str]:
    """KV cache bytes per token on one GPU (all layers of its pipeline stage)."""
    if launch.kv_cache_dtype.startswith("fp8"):
        size = 1
    else:
        size = model_dtype_bytes(meta, launch.dtype)
    tp, pp = max(1, launch.tensor_parallel), max(1, launch.pipeline_parallel)
    layers = math.ceil(s.layers / pp)
    if s.mla:
        per_layer = (s.kv_lora_rank + s.rope_head_dim) * size
        return int(per_layer * layers), "MLA: latent cache, not split by tensor parallel"
    heads = max(1, s.kv_heads // tp)
    per_layer = 2 * heads * s.head_dim * size
    note = f"{layers} layers × {heads} KV head{'s' if heads != 1 else ''} × {s.head_dim} × 2 × {size} B"
    if s.sliding_layers and s.sliding_window and max_model_len > s.sliding_window:
        full = math.ceil((s.layers - s.sliding_layers) / pp)
        sliding = layers - full
        effective = full + sliding * s.sliding_window / max_model_len
        note += f"; {sliding} sliding-window layers keep {s.sliding_window} tokens"
        return int(per_layer * effective), note
    return int(per_layer * layers), note


def activation_bytes(meta, s: Shapes, launch: Launch, tokens: int, seqs: int) -> float:
    """Peak torch memory of vLLM's profile run (dummy batch of ``tokens`` + sampler on ``seqs``)."""
    tp = max(1, launch.tensor_parallel)
    act = model_dtype_bytes(meta, launch.dtype)
    inter = (s.moe_intermediate * max(s.topk, 1) if s.experts else s.intermediate) / tp
    per_token = act * (4 * s.hidden + 3 * inter + (s.heads + 2 * s.kv_heads) * s.head_dim / tp)
    # The sampler's warm-up on max_num_seqs dummy requests (vllm/v1/worker/gpu_model_runner.py
    # _dummy_sampler_run, with top-k and top-p set) holds fp32 logits, their sort (values and int64
    # indices), masks, softmax and scatter outputs at once, while the forward's hidden states stay alive.
    sampler = seqs * s.vocab * SAMPLER_BYTES_PER_LOGIT + tokens * s.hidden * act
    encoder = 0.0
    if meta.is_multimodal and not launch.skip_mm_profiling and launch.limit_images != 0:
        vision = meta.vision_config or {}
        vh = int(vision.get("hidden_size") or 1024)
        patch = int(vision.get("patch_size") or 14)
        pixels = launch.max_pixels or int((meta.preprocessor or {}).get("max_pixels") or
                                          ((meta.preprocessor or {}).get("size") or {}).get("longest_edge") or 1280 * 28 * 28)
        patches = pixels // (patch * patch)
        encoder = patches * vh * act * 6
    return max(ACTIVATION_FACTOR * tokens * per_token, sampler) + encoder


def max_len_of(meta, launch: Launch) -> tuple[int, str | None]:
    """The max_model_len vLLM will use: the flag, else the model's (derived_max_model_len: the native
    context, times the rope scaling factor where one is configured)."""
    if launch.max_model_len:
        return launch.max_model_len, None
    native = int(meta.get("max_position_embeddings") or 0)
    rope = meta.get("rope_scaling") or {}
    factor = 1.0
    if isinstance(rope, dict) and rope.get("rope_type", rope.get("type")) not in (None, "default", "mrope"):
        factor = float(rope.get("factor") or 1)
    length = int(native * factor) if native else 4096
    return length, f"--max-model-len not given: vLLM uses the model's {length}"


def estimate(meta, launch: Launch, gpus: list[tuple[str | None, Gpu]], version: str) -> Estimate:
    """Per GPU: budget, weights, activations, CUDA graphs, other memory and the KV cache left; then the
    KV capacity of the whole launch (the smallest worker's block count, as vLLM takes the minimum)."""
    s = shapes(meta)
    engine = engine_for(version)
    notes: list[str] = []
    max_len, note = max_len_of(meta, launch)
    if note:
        notes.append(note)
    block = launch.block_size or engine_facts()["block_size"]["value"]
    workers = max(1, launch.tensor_parallel * launch.pipeline_parallel)
    if len(gpus) < workers:
        gpus = list(gpus) + [gpus[-1]] * (workers - len(gpus))
    gpus = gpus[:workers]
    marlin = mxfp4_uses_marlin(version, [gpu for _, gpu in gpus])
    w_bytes, w_total, w_basis, w_note = weights_per_gpu(meta, s, launch, marlin)
    per_token, kv_note = kv_bytes_per_token(meta, s, launch, max_len)
    page = per_token * block  # one block of every layer of the stage
    multi = workers > 1
    in_budget = bool(engine.get("cuda_graphs_in_budget"))
    peak_used = engine.get("accounting") == "peak-used"
    graphs = 0.0 if launch.enforce_eager else CUDA_GRAPH_BASE_BYTES + CUDA_GRAPH_PER_LAYER_BYTES * math.ceil(
        s.layers / max(1, launch.pipeline_parallel))
    rows: list[GpuEstimate] = []
    for device, gpu in gpus:
        default_tokens, default_seqs = scheduler_defaults(version, gpu)
        seqs = launch.max_num_seqs or default_seqs
        tokens = launch.max_num_batched_tokens or default_tokens or max(max_len, 2048)
        budget = gpu.cuda_memory_bytes * launch.gpu_memory_utilization
        act = activation_bytes(meta, s, launch, tokens, seqs)
        other = NON_TORCH_BYTES + (NCCL_BYTES if multi else 0)
        outside = float(CUDA_CONTEXT_BYTES)
        if peak_used:  # V0 measures everything in use, the CUDA context included, against the budget
            other += CUDA_CONTEXT_BYTES
            outside = 0.0
        kv = budget - w_bytes - act - other - (graphs if in_budget else 0.0)
        if not in_budget:
            outside += graphs
        rows.append(GpuEstimate(
            device, gpu,
            Figure(budget, "given", (f"{gpu.cuda_total_gib:g} GiB CUDA total" if gpu.cuda_total_gib
                                     else f"{gpu.memory_mib} MiB") + f" × {launch.gpu_memory_utilization:g}"),
            Figure(w_bytes, w_basis, w_note),
            Figure(act, "rule-of-thumb", f"profile run: {tokens} tokens, sampler on {seqs} sequences"),
            Figure(graphs, "rule-of-thumb", ("in budget" if in_budget else "outside the budget") if graphs else "--enforce-eager"),
            Figure(other, "rule-of-thumb", "non-torch memory" + (", NCCL" if multi else "") + (", CUDA context" if peak_used else "")),
            Figure(max(kv, 0.0), "derived", kv_note),
            Figure(outside, "rule-of-thumb", ("CUDA context" if not peak_used else "") +
                   (" and CUDA graphs" if not in_budget and graphs else "")),
            in_budget,
        ))
    blocks = min(int(g.kv_cache.bytes // page) if page else 0 for g in rows)
    tokens_capacity = blocks * block
    per_request_blocks = math.ceil(max_len / block)
    concurrency = blocks / per_request_blocks if per_request_blocks else 0.0
    # vLLM's estimate_max_model_len: the largest length whose ceil(len / block) blocks fit (never above the asked one)
    fits_len = min(tokens_capacity, max_len)
    worst = min(rows, key=lambda g: g.kv_cache.bytes)
    need_util = math.ceil((worst.fixed + per_request_blocks * page) / worst.gpu.cuda_memory_bytes * 100) / 100
    uncertainty = 0.15 if w_basis == "exact" else 0.3
    if meta.is_multimodal:
        uncertainty += 0.1
    return Estimate(meta.model_id, version, launch, rows, per_token, block, tokens_capacity, max_len, concurrency,
                    fits_len, need_util if need_util <= 1 else None, uncertainty, notes)
