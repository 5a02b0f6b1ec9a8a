"""Estimate: GPU memory per GPU of one vLLM launch, budgeted the way the pinned release does it.

``estimate(meta, launch, gpus, version) -> Estimate`` is the one implementation of the arithmetic, used by the
VRAM rules, ``vllm-lint vram`` and ``vllm-lint report``. In: model metadata, the launch's memory arguments
(:class:`~vllm_lint.memory.inputs.Launch`), the GPUs, the release. What each release does at start-up is data
(``knowledge/vllm/engine.yaml``, read from vLLM's worker and KV-cache code; :mod:`.budgeting`):

* budget = GPU memory × ``--gpu-memory-utilization``;
* KV cache = budget − weights (:mod:`.weights`) − peak activation of the profile run − non-torch memory
  (− CUDA graph memory from 0.20 on, where vLLM profiles it; before, graphs come on top of the budget);
* KV capacity = KV cache // (page size × layers) blocks of 16 tokens (:mod:`.kv_cache`); maximum
  concurrency = blocks / ceil(max_model_len / 16), as vLLM prints "Maximum concurrency for N tokens per request".

Each figure carries its basis: ``exact`` (the checkpoint's safetensors sizes), ``config`` (from the model's
config.json shapes) or ``rule-of-thumb`` (activations, CUDA graphs and non-torch memory, calibrated against
vLLM's own start-up logs in tests/data/calibration.yaml).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from vllm_lint.hardware.gpu import Gpu
from vllm_lint.memory.budgeting import engine_facts, engine_for, scheduler_defaults
from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.kv_cache import kv_bytes_per_token, max_len_of
from vllm_lint.memory.shapes import Shapes, shapes
from vllm_lint.memory.weights import (
    model_dtype_bytes,
    mxfp4_uses_marlin,
    weights_per_gpu,
)

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
