"""Estimate: GPU memory per GPU of one vLLM launch, budgeted the way the pinned release does it.

``estimate(meta, launch, gpus, version) -> Estimate`` is the one implementation of the arithmetic, used by the
VRAM rules, ``vllm-lint vram``, ``vllm-lint report`` and the calibration replay. In: model metadata, the launch's
memory arguments (:class:`~vllm_lint.memory.inputs.Launch`), the GPUs, the release. What each release does at
start-up is data (``knowledge/vllm/engine.yaml``, read from vLLM's worker and KV-cache code; :mod:`.budgeting`):

* budget = GPU memory × ``--gpu-memory-utilization``;
* KV cache = budget − weights (:mod:`.weights`, with LoRA slots :mod:`.lora` and the drafter :mod:`.speculative`)
  − peak activation of the profile run − non-torch memory (:mod:`.activation`) (− CUDA graph memory from 0.20 on,
  where vLLM profiles it; before, graphs come on top of the budget);
* KV capacity: vLLM's KV-cache groups and blocks (:mod:`.kv_cache`: full, sliding-window, chunked, MLA/DSA and
  recurrent-state layers, the hybrid allocator), the smallest worker's block count; tokens and maximum
  concurrency as vLLM prints them.

Each figure carries its basis: ``exact`` (the checkpoint's safetensors sizes), ``config`` (from the model's
config.json shapes), ``source`` (vLLM's arithmetic, not checked on a start-up) or ``rule-of-thumb``
(activations, CUDA graphs and non-torch memory, calibrated against vLLM's own start-up logs in
tests/data/calibration.yaml). A model whose architecture it does not model raises
:class:`~vllm_lint.memory.shapes.NotModelled`: no number is better than a wrong one.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, replace

from packaging.version import Version

from vllm_lint.hardware.gpu import Gpu
from vllm_lint.memory import activation as act_model
from vllm_lint.memory.budgeting import engine_facts, engine_for, hybrid_facts, scheduler_defaults
from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.kv_cache import Spec, hybrid_block, indexer_specs, layer_specs, layout, max_len_of, state_specs
from vllm_lint.memory.lora import lora_bytes
from vllm_lint.memory.shapes import NotModelled, Shapes, shapes
from vllm_lint.memory.speculative import drafter
from vllm_lint.memory.weights import model_dtype_bytes, mxfp4_uses_marlin, weights_per_gpu

GiB = 1024**3

#: Non-torch memory (cuBLAS workspaces etc. that grow during the profile run) at TP 1: 0.13-0.14 GiB printed by
#: vLLM 0.11.0 on H100 (llm-d), 0.22-0.25 GiB by 0.20.2 on H200 (the 18 H200 runs of tests/data/calibration.yaml).
NON_TORCH_BYTES = {"0.0": int(0.15 * GiB), "0.20.0": int(0.24 * GiB)}
CUDA_CONTEXT_BYTES = int(0.45 * GiB)  # the CUDA context and libraries, outside vLLM's accounting in V1
NCCL_BYTES = int(0.25 * GiB)  # NCCL buffers with tensor/pipeline parallel > 1 (0.54 GiB non-torch at TP 2, 0.11.0)


@dataclass
class Figure:
    bytes: float
    basis: str  # "exact", "config", "source", "rule-of-thumb", "given", "derived"
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
    stage: int = 0  # pipeline stage

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
    kv_bytes_per_token: int  # per GPU, averaged over a max_model_len request (all layers of the stage)
    block_size: int
    kv_cache_tokens: int
    max_model_len: int
    max_concurrency: float
    max_model_len_that_fits: int
    gpu_memory_utilization_needed: float | None
    uncertainty: float  # relative, on the KV cache figure
    notes: list[str] = field(default_factory=list)
    stand_in: str | None = None  # the base model whose shapes were used, when the model's own metadata was missing
    kv_bytes_per_request: int = 0  # KV cache one max_model_len request needs on the busiest GPU (vLLM's check)
    num_blocks: int = 0
    kv_groups: list[str] = field(default_factory=list)  # vLLM's KV-cache groups, as "kind × layers (block N)"
    family: str = "transformer"

    @property
    def fits(self) -> bool:
        worst = min(self.gpus, key=lambda g: g.kv_cache.bytes)
        return worst.kv_cache.bytes > 0 and self.kv_bytes_per_request <= worst.kv_cache.bytes and \
            all(g.total <= g.gpu.cuda_memory_bytes for g in self.gpus)

    @property
    def weights_fit(self) -> bool:
        return all(g.weights.bytes < g.budget.bytes for g in self.gpus)

    def as_dict(self) -> dict:
        return {"model": self.model, "vllm_version": self.version, "fits": self.fits,
                "kv_cache_tokens": self.kv_cache_tokens, "max_model_len": self.max_model_len,
                "max_concurrency": round(self.max_concurrency, 2), "max_model_len_that_fits": self.max_model_len_that_fits,
                "gpu_memory_utilization_needed": self.gpu_memory_utilization_needed,
                "kv_bytes_per_token": self.kv_bytes_per_token, "kv_bytes_per_request": self.kv_bytes_per_request,
                "block_size": self.block_size, "num_blocks": self.num_blocks, "kv_groups": self.kv_groups,
                "family": self.family, "tensor_parallel": self.launch.tensor_parallel,
                "pipeline_parallel": self.launch.pipeline_parallel, "data_parallel": self.launch.data_parallel,
                "uncertainty": self.uncertainty, "gpus": [g.as_dict() for g in self.gpus], "notes": self.notes,
                "stand_in": self.stand_in}


def _since(table: dict[str, float], version: str) -> float:
    v = Version(version)
    return [val for since, val in sorted(table.items(), key=lambda kv: Version(kv[0])) if Version(since) <= v][-1]


def with_overrides(meta, overrides: dict | None):
    """The metadata with --hf-overrides applied to config.json (its text config too), as vLLM applies them."""
    if not overrides:
        return meta
    config = copy.deepcopy(meta.config)
    for key in ("text_config", "llm_config", "language_config"):
        if isinstance(config.get(key), dict):
            config[key].update({k: v for k, v in overrides.items() if not isinstance(v, dict)})
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(config.get(k), dict):
            config[k].update(v)
        else:
            config[k] = v
    return replace(meta, config=config, weights=None if "num_hidden_layers" in overrides else meta.weights)


def pp_stages(layers: int, pp: int, partition: str | None = None) -> list[range]:
    """vllm/distributed/utils.py get_pp_indices: even split, the remainder on the stages before the last
    (VLLM_PP_LAYER_PARTITION overrides)."""
    if partition:
        sizes = [int(x) for x in partition.split(",")]
        if len(sizes) != pp or sum(sizes) != layers:
            raise NotModelled(f"VLLM_PP_LAYER_PARTITION={partition} for {layers} layers on {pp} stages")
    else:
        sizes = [layers // pp] * pp
        for i in range(2, layers % pp + 2):
            sizes[-i] += 1
    out, start = [], 0
    for n in sizes:
        out.append(range(start, start + n))
        start += n
    return out


def _mamba_mode(s: Shapes, launch: Launch, version: str, has_drafter: bool, notes: list[str]) -> str:
    """The mamba_cache_mode vLLM ends up with (knowledge/vllm/engine.yaml hybrid_kv_cache)."""
    if not s.hybrid:
        return "none"
    facts = hybrid_facts(version)
    prefix = launch.enable_prefix_caching
    if prefix is None:
        prefix = bool(facts.get("prefix_caching_default"))
    if not prefix or not facts.get("prefix_caching"):
        return "none"
    supports = s.state.get("model_type") in facts.get("mamba_prefix_caching_types", [])
    if facts.get("prefix_caching") == "block":  # 0.12-0.15: one state per block when supported, else disabled
        return "all" if supports else "none"
    mode = launch.mamba_cache_mode or ("align" if has_drafter or not supports else "all")
    if mode == "align" and facts.get("align_checkpoints"):
        notes.append("mamba_cache_mode 'align': the prefill checkpoint blocks this release adds are not modelled")
    return mode


def _kv_layout(meta, s: Shapes, launch: Launch, version: str, stages: list[range], draft, *, max_len: int,
               batched: int, gpu: Gpu, notes: list[str]):
    """The launch's KV-cache specs (target and drafter layers) and vLLM's groups over them."""
    k = draft.tokens if draft else 0
    owner_of = {i: n for n, stage in enumerate(stages) for i in stage}
    attn = layer_specs(meta, s, launch, version, k)
    specs: list[Spec] = []
    owner: list[int] = []
    for i, sp in enumerate(attn):
        if sp is not None:
            specs.append(sp)
            owner.append(owner_of[i])
    for i, sp in enumerate(indexer_specs(s)):
        if sp is not None:
            specs.append(sp)
            owner.append(owner_of[i])
    if draft and draft.layers:
        ds = draft.shapes or s
        dmeta = launch.speculative_meta if draft.shapes is not None else meta
        draft_shapes = replace(ds, layer_list=list(draft.layers))
        for sp in layer_specs(dmeta, draft_shapes, launch, version, k):
            if sp is not None:
                specs.append(sp)
                owner.append(len(stages) - 1)
        if draft.method == "mtp":
            for sp in indexer_specs(draft_shapes):
                if sp is not None:
                    specs.append(sp)
                    owner.append(len(stages) - 1)
    facts = hybrid_facts(version) if s.hybrid else {}
    mode = _mamba_mode(s, launch, version, draft is not None, notes)
    block = launch.block_size or _default_block(s, version, gpu)
    if s.hybrid:
        if not facts:
            raise NotModelled(f"hybrid {s.family.replace('hybrid-', '')} models in vLLM {version} "
                              "(the hybrid KV-cache manager arrived in 0.10.0)")
        states = state_specs(meta, s, launch, version, k)
        attn_specs = [sp for sp in specs if sp.kind != "mamba"]
        per_token = attn_specs[0].per_token if attn_specs else 0
        state = next(sp.state for sp in states if sp is not None)
        if per_token:
            align = _alignment(facts, s, gpu, block)
            block = hybrid_block(per_token, state, align=align, cache_block=block, mamba_mode=mode,
                                 chunk=int(meta.get("chunk_size") or meta.get("mamba_chunk_size") or 0) or None)
        mamba_block = max_len if mode == "none" else block
        padded = block * per_token if per_token else 0
        for i, sp in enumerate(states):
            if sp is not None:
                specs.append(replace(sp, block=mamba_block, padded=padded if padded > sp.state else 0))
                owner.append(owner_of[i])
    hybrid_manager = not launch.disable_hybrid_kv_cache_manager
    if any(sp.kind == "chunked" for sp in specs) and (
            Version(version) < Version("0.14.0") and launch.env.get("VLLM_ALLOW_CHUNKED_LOCAL_ATTN_WITH_HYBRID_KV_CACHE") != "1"
            or launch.env.get("VLLM_ALLOW_CHUNKED_LOCAL_ATTN_WITH_HYBRID_KV_CACHE") == "0"
            or (draft is not None and draft.method in ("eagle", "eagle3"))):
        hybrid_manager = False  # config/vllm.py: chunked local attention turns the hybrid manager off
        notes.append("chunked local attention with the hybrid KV-cache manager off: every layer caches the whole context")
    lay = layout(specs, owner, block=block, batched_tokens=batched, version=version, mamba_mode=mode,
                 spec_blocks=k if s.hybrid else 0, hybrid_manager=hybrid_manager)
    return lay, mode


def kv_layout(meta, launch: Launch, version: str, gpu: Gpu):
    """vLLM's KV-cache layout (:class:`~vllm_lint.memory.kv_cache.Layout`) of a launch, without the memory budget:
    for checking its arithmetic against what vLLM printed with the available memory vLLM measured."""
    meta = with_overrides(meta, launch.hf_overrides)
    s = shapes(meta)
    max_len, _ = max_len_of(meta, launch)
    draft = drafter(launch.speculative, s, launch.speculative_meta)
    default_tokens, _ = scheduler_defaults(version, gpu)
    batched = launch.max_num_batched_tokens or default_tokens or max(max_len, 2048)
    stages = pp_stages(s.layers, max(1, launch.pipeline_parallel), launch.env.get("VLLM_PP_LAYER_PARTITION"))
    return _kv_layout(meta, s, launch, version, stages, draft, max_len=max_len, batched=batched, gpu=gpu, notes=[])[0]


#: drafters whose weights, KV cache and CUDA graphs were checked on real start-ups (vLLM 0.20.2 on an H200:
#: MTP of DeepSeek-V3 and Qwen3.5-35B-A3B, n-gram on Qwen3-8B; tests/data/calibration.yaml)
CHECKED_DRAFTERS = ("mtp", "ngram")


def _default_block(s: Shapes, version: str, gpu: Gpu) -> int:
    """The cache block size without --block-size: 16, or what MLA backends force (engine.yaml mla_block_size)."""
    if s.mla and not s.hybrid:
        for entry in engine_facts()["mla_block_size"]:
            if Version(entry["since"]) <= Version(version) and (entry["until"] is None or
                                                                  Version(version) < Version(entry["until"])):
                if s.index_head_dim:
                    return int(entry["sparse"])
                return int(entry["blackwell"] if (gpu.compute_capability or 0) >= 10 else entry["value"])
    return int(engine_facts()["block_size"]["value"])


def _alignment(facts: dict, s: Shapes, gpu: Gpu, block: int) -> int:
    align = int(facts.get("kernel_block_alignment", 16))
    if s.attention_layers and all(x.attention == "mla" for x in s.layer_list if x.attention):
        align = int(facts.get("mla_kernel_block_alignment", align))
        if (gpu.compute_capability or 0) >= 10:
            align = max(align, int(facts.get("mla_kernel_block_alignment_blackwell", align)))
    return max(align, block) if facts.get("alignment_includes_cache_block") else align


def estimate(meta, launch: Launch, gpus: list[tuple[str | None, Gpu]], version: str) -> Estimate:
    """Per GPU: budget, weights, activations, CUDA graphs, other memory and the KV cache left; then the
    KV capacity of the whole launch (the smallest worker's block count, as vLLM takes the minimum)."""
    meta = with_overrides(meta, launch.hf_overrides)
    s = shapes(meta)
    engine = engine_for(version)
    notes: list[str] = []
    max_len, note = max_len_of(meta, launch)
    if note:
        notes.append(note)
    tp, pp, dp = max(1, launch.tensor_parallel), max(1, launch.pipeline_parallel), max(1, launch.data_parallel)
    workers = tp * pp
    if len(gpus) < workers:
        gpus = list(gpus) + [gpus[-1]] * (workers - len(gpus))
    gpus = gpus[:workers]
    marlin = mxfp4_uses_marlin(version, [gpu for _, gpu in gpus])
    draft = drafter(launch.speculative, s, launch.speculative_meta)
    k = draft.tokens if draft else 0
    stages = pp_stages(s.layers, pp, launch.env.get("VLLM_PP_LAYER_PARTITION"))
    default_tokens, default_seqs = scheduler_defaults(version, gpus[0][1])
    seqs = launch.max_num_seqs or default_seqs
    batched = launch.max_num_batched_tokens or default_tokens or max(max_len, 2048)
    lay, mode = _kv_layout(meta, s, launch, version, stages, draft, max_len=max_len, batched=batched,
                           gpu=gpus[0][1], notes=notes)
    notes += lay.notes
    if not lay.groups:
        raise NotModelled("a model without any KV-caching layer")
    in_budget = bool(engine.get("cuda_graphs_in_budget")) and launch.env.get("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS") != "0"
    peak_used = engine.get("accounting") == "peak-used"
    act_bytes = model_dtype_bytes(meta, launch.dtype)
    # GptOssForCausalLMConfig raises the largest CUDA graph to 1024 tokens (model_executor/models/config.py, 0.12.0 on)
    model_max_capture = 1024 if (meta.architectures or [""])[0] == "GptOssForCausalLM" and \
        Version(version) >= Version("0.12.0") else None
    rows: list[GpuEstimate] = []
    for w, (device, gpu) in enumerate(gpus):
        stage_no = w // tp
        stage = stages[stage_no]
        first, last = stage_no == 0, stage_no == pp - 1
        w_bytes, _, w_basis, w_note = weights_per_gpu(meta, s, launch, marlin, stage, first, last,
                                                      draft.params if draft and last else None)
        if launch.enable_lora:
            lb = lora_bytes(s, stage, rank=launch.max_lora_rank, slots=launch.max_loras,
                            dtype_bytes=act_bytes if launch.lora_dtype == "auto" else 2, tp=tp, dp=dp,
                            ep=launch.expert_parallel, first=first, last=last, version=version)
            w_bytes += lb
            w_note += f"; LoRA slots {lb / GiB:.2f} GiB ({launch.max_loras} × rank {launch.max_lora_rank}, source)"
        budget = gpu.cuda_memory_bytes * launch.gpu_memory_utilization
        workspace = act_model.mla_workspace_bytes(s, launch, max_len, seqs, lay.block_size, act_bytes, version) \
            if any(s.layer_list[i].attention == "mla" for i in stage) else 0.0
        act = act_model.activation_bytes(meta, s, launch, batched, seqs if last else 0, version, workspace=workspace,
                                         spec_tokens=k, stage=stage)
        # FLASH_ATTN_MLA is vLLM's first MLA backend below Blackwell (platforms/cuda.py, 0.20.2); FA3 needs Hopper
        cc = gpu.compute_capability or 0
        fa_mla = bool(workspace) and not s.index_head_dim and 9 <= cc < 10
        draft_ws = workspace if draft and last and any(x.attention == "mla" for x in draft.layers) else 0.0
        graphs, g_note = act_model.cuda_graph_bytes(s, launch, version, seqs=seqs, tokens=batched, spec_tokens=k,
                                                    workspace=workspace if in_budget else 0.0,
                                                    layers=len(stage), lora=launch.enable_lora,
                                                    model_max=model_max_capture, fa_mla=fa_mla and in_budget,
                                                    draft_workspace=draft_ws if in_budget else 0.0)
        other = _since(NON_TORCH_BYTES, version) + (NCCL_BYTES if workers > 1 or dp > 1 else 0)
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
            Figure(act, "rule-of-thumb", f"profile run: {batched} tokens, sampler on {seqs} sequences"
                   + (f", MLA workspace {workspace / GiB:.2f} GiB (source)" if workspace else "")),
            Figure(graphs, "rule-of-thumb", (g_note + (", in budget" if in_budget else ", outside the budget"))
                   if graphs else g_note),
            Figure(other, "rule-of-thumb", "non-torch memory" + (", NCCL" if workers > 1 or dp > 1 else "")
                   + (", CUDA context" if peak_used else "")),
            Figure(max(kv, 0.0), "derived", ""),
            Figure(outside, "rule-of-thumb", ("CUDA context" if not peak_used else "") +
                   (" and CUDA graphs" if not in_budget and graphs else "")),
            in_budget, stage_no,
        ))
    blocks = min(lay.num_blocks(g.kv_cache.bytes, g.stage) for g in rows)
    tokens_capacity = lay.tokens(blocks, max_len)
    concurrency = lay.concurrency(blocks, max_len)
    worst = min(rows, key=lambda g: g.kv_cache.bytes - lay.request_bytes(max_len, g.stage))
    request = lay.request_bytes(max_len, worst.stage)
    fits_len = min(lay.fits_len(g.kv_cache.bytes, g.stage, max_len) for g in rows)
    need_util = math.ceil((worst.fixed + request) / worst.gpu.cuda_memory_bytes * 100) / 100
    groups = [f"{g.spec.kind} × {len(g.layers)} (block {g.spec.block})" for g in lay.groups]
    for g in rows:
        g.kv_cache.note = ("; ".join(groups[:6]) + (" ..." if len(groups) > 6 else "")) + \
            f"; page {lay.groups[0].spec.page:,} B" if not lay.uniform_type else "one group of per-layer pages"
    uncertainty = 0.15 if rows[0].weights.basis == "exact" else 0.3
    if meta.is_multimodal and not launch.language_model_only:
        uncertainty += 0.1
    if draft is not None:
        checked = draft.method in CHECKED_DRAFTERS
        notes.append(f"speculative decoding ({draft.note}; {draft.tokens} token(s) per step): figures from vLLM's "
                     "source, " + ("checked on vLLM 0.20.2 start-ups" if checked else "not checked on a start-up"))
        uncertainty += 0.0 if checked else 0.05
    if launch.enable_lora:
        notes.append(f"LoRA: {launch.max_loras} slot(s) of rank {launch.max_lora_rank} on every linear layer, from "
                     "vLLM's source, checked on vLLM 0.20.2 start-ups" + (
                         f"; --max-cpu-loras {launch.max_cpu_loras} adapters wait in CPU memory"
                         if launch.max_cpu_loras else ""))
    if dp > 1:
        notes.append(f"data parallel {dp}: {dp} engines of {workers} GPU(s) each, alike; routed experts sharded over "
                     f"{tp * dp} GPUs" + (" (expert parallel)" if launch.expert_parallel else " (tensor-parallel)"))
    if launch.unmodelled:
        notes.append(f"not modelled: {', '.join(launch.unmodelled)} (the figures are those without it)")
        uncertainty += 0.2
    if s.hybrid:
        notes.append(f"hybrid model: {s.attention_layers} attention and {s.state_layers} {s.state.get('kind')} layers, "
                     f"mamba_cache_mode {mode}, attention block {lay.block_size} tokens")
    per_token = request // max_len if max_len else 0
    return Estimate(meta.model_id, version, launch, rows, per_token, lay.block_size, tokens_capacity, max_len,
                    concurrency, fits_len, need_util if need_util <= 1 else None, uncertainty, notes,
                    kv_bytes_per_request=request, num_blocks=blocks, kv_groups=groups, family=s.family)
