"""What vLLM's profile run takes besides the weights: the peak activation of the dummy forward pass and of the
sampler warm-up, MLA's profile-time workspace, the multimodal encoder, and the CUDA-graph memory vLLM estimates
(0.20 on, inside the budget) or captures after the KV cache (before 0.20, outside it).

The forward and sampler figures are rules of thumb calibrated on real start-ups (tests/data/calibration.yaml):
the constants below say which runs they were read from; the MLA workspace and the number of CUDA graphs come
from vLLM's source.
"""
from __future__ import annotations

from packaging.version import Version

from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.shapes import Layer, Shapes
from vllm_lint.memory.weights import model_dtype_bytes

GiB = 1024**3
MiB = 1024**2

#: Forward peak of the profile run, per token: ``RESIDUAL_WIDTH × hidden + WORK_FACTOR × (the widest layer's
#: working set)`` elements of the model's dtype (a layer's mixer or MLP outputs; MoE: the fused-MoE caches of its
#: top-k experts). WORK_FACTOR is the eager figure; a compiled start (torch.compile's first run on an empty cache,
#: the usual case in a fresh container) peaks COMPILE_FACTOR times higher. Read from the 0.20.2 H200 runs with
#: --enforce-eager and without (Qwen3-8B 0.84 / 1.29 GiB, Qwen3.5-27B 1.39 / 2.58 GiB, and Qwen3-32B,
#: Qwen3-30B-A3B, Llama-3.1-8B-FP8, Llama-2-7B-AWQ, NVIDIA-Nemotron-3-Nano, gpt-oss-20b, DeepSeek-V3 5-layer
#: compiled): within 0.5 GiB of what vLLM printed on all of them but Qwen3.5-27B compiled (1.55 against 2.58 GiB:
#: its FLA/Triton Gated-DeltaNet kernels autotune inside the profile run), which moves its KV cache by 1.8%.
RESIDUAL_WIDTH = 4.0
WORK_FACTOR = 1.0
COMPILE_FACTOR = 1.4
#: Peak bytes per (request × vocabulary entry) of the sampler warm-up (gpu_model_runner.py _dummy_sampler_run on
#: max_num_seqs dummy requests with top-k and top-p): 38.5 with the sort-based top-k/top-p of 0.8-0.16 (38.4-38.9
#: in the "Peak activation memory" vLLM 0.11.0 printed for Qwen3-0.6B, Qwen3-32B, Llama-3.1-8B and gpt-oss-20b
#: with 1024 requests, llm-d's runs), 15.25 with the Triton top-k/top-p of 0.17.0 on (topk_topp_triton.py: 2.21 GiB
#: for Qwen3-8B with 1024 requests on vLLM 0.20.2, with and without CUDA graphs).
SAMPLER_BYTES_PER_LOGIT = {"0.0": 38.5, "0.17.0": 15.25}
#: CUDA graphs before 0.20 (captured after the KV cache is allocated, outside the budget).
CUDA_GRAPH_BASE_BYTES = int(0.25 * GiB)
CUDA_GRAPH_PER_LAYER_BYTES = int(0.004 * GiB)
#: vLLM 0.20's profiled estimate (gpu_model_runner.py profile_cudagraph_memory): max over modes of the first
#: capture + (graphs − 1) × the second capture's cost, PIECEWISE then FULL. Per-graph costs read from the 0.20.2
#: H200 runs (4-10 MiB per PIECEWISE graph for 24-64 layers, 1-4 MiB per FULL graph; first captures 82-258 MiB).
GRAPH_FIRST_BYTES = 150 * MiB
GRAPH_PIECEWISE_PER_LAYER_BYTES = int(0.14 * MiB)
GRAPH_FULL_BYTES = 2 * MiB
#: flash_attn_max_num_splits_for_cuda_graph (vllm/config/attention.py, 0.20.2)
FA_MLA_SPLITS = 32
#: adjust_cudagraph_sizes_for_spec_decode (config/compilation.py), read in 0.20.2 and applied from 0.20.0, the first
#: release whose estimate counts the graphs one by one (the release that introduced it is not checked)
SPEC_ROUNDED_SIZES_SINCE = "0.20.0"


def _since(table: dict[str, float], version: str) -> float:
    v = Version(version)
    return [val for since, val in sorted(table.items(), key=lambda kv: Version(kv[0])) if Version(since) <= v][-1]


def _layer_width(s: Shapes, layer: Layer, tp: int) -> float:
    """Elements per token a layer holds at its peak on one GPU: the larger of its mixer's and its MLP's outputs."""
    mixer = 0.0
    if layer.attention == "mla":
        mixer = s.heads * (2 * s.nope_head_dim + s.rope_head_dim + 2 * s.v_head_dim) / tp
    elif layer.attention:
        heads, hd, kv = layer.heads or s.heads, layer.head_dim or s.head_dim, layer.kv_heads or s.kv_heads
        mixer = (heads * hd * (3 if layer.gated_q else 2) + 2 * kv * hd) / tp
    st = s.state
    if layer.state == "gdn":
        key, value = st["k_heads"] * st["k_dim"], st["v_heads"] * st["v_dim"]
        mixer = max(mixer, (2 * key + 3 * value + 2 * st["v_heads"]) / tp)
    elif layer.state == "mamba2":
        mixer = max(mixer, (3 * st["inter"] + 2 * st["groups"] * st["state"] + st["heads"]) / tp)
    elif layer.state in ("mamba1", "kda"):
        inner = st.get("inter") or st["heads"] * st["head_dim"]
        mixer = max(mixer, 4 * inner / tp)
    up = 2 if s.gated_mlp else 1
    mlp = 0.0
    if layer.mlp in ("dense", "dense+moe"):
        mlp = (up + 1) * (layer.intermediate or s.intermediate) / tp
    if layer.mlp in ("moe", "dense+moe"):  # fused_moe.py intermediate caches 1-3 for the top-k experts of each token
        mlp += max(s.topk, 1) * ((up + 1) * s.moe_intermediate / tp + s.hidden) + \
            (up + 1) * s.shared_intermediate / tp
    return max(mixer, mlp)


def mla_workspace_bytes(s: Shapes, launch: Launch, max_len: int, seqs: int, block: int, act: int, version: str) -> float:
    """MLA's profile run allocates the up-projected context of a full chunked-prefill workspace
    (mla_attention.py forward_impl with no attention metadata: torch.empty(workspace, heads, nope + v)), with
    workspace = max(min(max(8 × max_model_len, 4 × max_num_seqs × block), 64 Ki), max_num_seqs × block)
    (determine_chunked_prefill_workspace_size, 0.11.0 on)."""
    if not s.mla or Version(version) < Version("0.11.0"):
        return 0.0
    tokens = max(min(max(8 * max_len, 4 * seqs * block), 64 * 1024), seqs * block)
    return tokens * s.heads / max(1, launch.tensor_parallel) * (s.nope_head_dim + s.v_head_dim) * act


def activation_bytes(meta, s: Shapes, launch: Launch, tokens: int, seqs: int, version: str, *,
                     workspace: float = 0.0, spec_tokens: int = 0, stage: range | None = None) -> float:
    """Peak torch memory of vLLM's profile run (dummy batch of ``tokens`` + sampler on ``seqs``)."""
    tp = max(1, launch.tensor_parallel)
    act = model_dtype_bytes(meta, launch.dtype)
    layers = [s.layer_list[i] for i in (stage if stage is not None else range(len(s.layer_list)))] or [Layer()]
    width = max(_layer_width(s, layer, tp) for layer in layers)
    forward = tokens * act * (RESIDUAL_WIDTH * s.hidden + WORK_FACTOR * width)
    if not launch.enforce_eager:
        forward *= COMPILE_FACTOR
    # The sampler's warm-up on max_num_seqs dummy requests holds fp32 logits and the top-k/top-p buffers while the
    # forward's hidden states stay alive; with a drafter, the rejection sampler then runs on 2 × max_num_seqs rows.
    rows = seqs * (2 if spec_tokens else 1)
    sampler = rows * s.vocab * _since(SAMPLER_BYTES_PER_LOGIT, version) + tokens * s.hidden * act
    encoder = 0.0
    if meta.is_multimodal and not launch.skip_mm_profiling and launch.limit_images != 0 and not launch.language_model_only:
        vision = meta.vision_config or {}
        vh = int(vision.get("hidden_size") or 1024)
        patch = int(vision.get("patch_size") or 14)
        pixels = launch.max_pixels or int((meta.preprocessor or {}).get("max_pixels") or
                                          ((meta.preprocessor or {}).get("size") or {}).get("longest_edge") or 1280 * 28 * 28)
        patches = pixels // (patch * patch)
        encoder = patches * vh * act * 6
    return max(forward, sampler) + workspace + encoder


def capture_sizes(launch: Launch, seqs: int, tokens: int, spec_tokens: int, model_max: int | None = None,
                  version: str = "0.20.2") -> list[int]:
    """CUDA-graph batch sizes (vllm/config/vllm.py _set_cudagraph_sizes): 1, 2, 4, multiples of 8 below 256, of 16
    up to min(2 × max_num_seqs × (1 + k), 512) (1024 for gpt-oss: GptOssForCausalLMConfig), capped at
    max_num_batched_tokens, which is added when it fits; with k speculative tokens, rounded to multiples of 1 + k."""
    top = model_max or min(seqs * (1 + spec_tokens) * 2, 512)
    top = min(tokens, top)
    sizes = [i for i in (1, 2, 4) if i <= top]
    if top >= 8:
        sizes += list(range(8, min(top + 1, 256), 8))
    if top >= 256:
        sizes += list(range(256, top + 1, 16))
    if tokens <= top and tokens not in sizes:
        sizes.append(tokens)
    if spec_tokens and Version(version) >= Version(SPEC_ROUNDED_SIZES_SINCE):
        # adjust_cudagraph_sizes_for_spec_decode (config/compilation.py, 0.20.2): with FULL decode graphs every
        # size is rounded up to a multiple of 1 + k, and those past the largest size dropped
        q = 1 + spec_tokens
        largest = max(sizes)
        sizes = [-(-x // q) * q for x in sizes if -(-x // q) * q <= largest] or ([q] if q <= largest else [])
    return sorted(set(sizes))


def mla_split_buffer_bytes(s: Shapes, tp: int, decode_tokens: int) -> float:
    """FlashAttention-3 MLA decode under FULL CUDA graphs: split-KV intermediate buffers of
    [num_splits, heads, tokens, kv_lora_rank] fp32 (+ the fp32 log-sum-exp), num_splits =
    flash_attn_max_num_splits_for_cuda_graph (32) (v1/attention/backends/mla/flashattn_mla.py _build_decode,
    config/attention.py, 0.20.2). 2,048 MiB for DeepSeek-V3 at 256 decode tokens, as vLLM 0.20.2 measured."""
    heads = s.heads / max(1, tp)
    return FA_MLA_SPLITS * heads * decode_tokens * (s.kv_lora_rank + 1) * 4


def cuda_graph_bytes(s: Shapes, launch: Launch, version: str, *, seqs: int, tokens: int, spec_tokens: int,
                     workspace: float, layers: int, lora: bool, model_max: int | None = None,
                     fa_mla: bool = False, draft_workspace: float = 0.0) -> tuple[float, str]:
    """(bytes, how): CUDA-graph memory of one GPU.

    vLLM 0.20's estimate (gpu_model_runner.py profile_cudagraph_memory) is max(first capture of each mode) + Σ
    (graphs − 1) × per-graph cost. ``fa_mla``: MLA decode through FlashAttention-3 (FLASH_ATTN_MLA, vLLM's first
    choice on Hopper), whose split buffers land in the first FULL capture; ``draft_workspace``: an MLA drafter's
    profile workspace, allocated again in the FULL warm-ups (the drafter's dummy_run has no attention metadata:
    llm_base_proposer.py dummy_run, set_forward_context(None, ...)) while the target's split buffers hold the
    cached block."""
    if launch.enforce_eager:
        return 0.0, "--enforce-eager"
    if Version(version) < Version("0.20.0") or launch.env.get("VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS") == "0":
        return float(CUDA_GRAPH_BASE_BYTES + CUDA_GRAPH_PER_LAYER_BYTES * layers), "captured after the KV cache"
    sizes = capture_sizes(launch, seqs, tokens, spec_tokens, model_max, version)
    decode = seqs * (1 + spec_tokens)
    full = [x for x in sizes if x <= decode]
    cases = 2 if lora else 1  # _get_lora_cases: [0, max_loras + 1]
    pw = max(2 * MiB, GRAPH_PIECEWISE_PER_LAYER_BYTES * layers)
    # PIECEWISE warm-ups run without attention metadata (_warmup_and_capture: force_attention only for FULL), so
    # MLA's profile workspace lands in the first PIECEWISE capture
    first = GRAPH_FIRST_BYTES + workspace
    if fa_mla and full:
        first = max(first, GRAPH_FIRST_BYTES + mla_split_buffer_bytes(s, launch.tensor_parallel, max(full))
                    + draft_workspace)
    total = first + (len(sizes) * cases - 1) * pw + (len(full) * cases - 1) * GRAPH_FULL_BYTES
    return float(total), f"{len(sizes)} PIECEWISE + {len(full)} FULL graphs" + (" ×2 (LoRA)" if lora else "")
