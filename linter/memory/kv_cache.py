"""The KV cache as vLLM's V1 engine lays it out (``vllm/v1/kv_cache_interface.py``, ``vllm/v1/core/kv_cache_utils.py``):
one spec per layer (:class:`Spec`: full attention, sliding window, chunked local attention, MLA and the DSA indexer,
Mamba/GDN/KDA recurrent state), the hybrid allocator's groups (:func:`layout`: page sizes unified, attention block
raised to the recurrent-state page, layers split into groups of equal size), then blocks, tokens and maximum
concurrency (:class:`Layout`). The context length vLLM uses when ``--max-model-len`` is not given is here too.

What each release does differently is data (knowledge/vllm/engine.yaml ``kv_cache`` and ``hybrid_kv_cache``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from packaging.version import Version

from vllm_lint.memory.hybrid import state_page_bytes
from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.shapes import NotModelled, Shapes
from vllm_lint.memory.weights import model_dtype_bytes
from vllm_lint.vllm.context_length import derived_max_len

#: What vLLM assumes when config.json has none of the length keys (``_get_and_verify_max_len``, 0.6.0 to 0.33.0).
DEFAULT_MAX_LEN = 2048
#: FLASHMLA_SPARSE's fp8_ds_mla layout: 512 fp8 NoPE values, 4 fp32 scales, 64 bf16 RoPE values per token
#: (kv_cache_interface.py MLAAttentionSpec.real_page_size_bytes "656-byte custom layout").
FP8_DS_MLA_BYTES = 656
_FULL_KINDS = ("full", "mla")  # FullAttentionSpec and its subclasses (MLAAttentionSpec, the DSA indexer's)


def _v(version: str) -> Version:
    return Version(version)


@dataclass(frozen=True)
class Spec:
    """One layer's KV-cache spec on one GPU. Attention: ``per_token`` bytes (page = block × per_token);
    recurrent state: ``state`` bytes per sequence (its page, padded to the attention page by the allocator)."""

    kind: str  # "full", "sliding", "chunked", "mla", "mamba"
    per_token: int = 0
    state: int = 0
    block: int = 0  # 0: the cache block size (layout() sets it)
    window: int = 0
    padded: int = 0  # page_size_padded

    @property
    def page(self) -> int:
        if self.kind == "mamba":
            return self.padded or self.state
        return self.padded or self.block * self.per_token

    def max_memory(self, max_len: int, batched_tokens: int, mamba_mode: str, spec_blocks: int) -> int:
        """KVCacheSpec.max_memory_usage_bytes: what one max_model_len request holds."""
        if self.kind == "sliding":  # SlidingWindowSpec: the window plus a chunk, +1 block for misalignment
            return (math.ceil(min(self.window - 1 + batched_tokens, max_len) / self.block) + 1) * self.page
        if self.kind == "chunked":  # ChunkedLocalAttentionSpec: one chunk plus a prefill chunk
            return math.ceil(min(self.window + batched_tokens, max_len) / self.block) * self.page
        if self.kind == "mamba":  # MambaSpec: one state per sequence ('none'), two ('align'), one per block ('all')
            if mamba_mode == "all":
                return math.ceil(max_len / self.block) * self.page
            return self.page * ((2 if mamba_mode == "align" else 1) + spec_blocks)
        return math.ceil(max_len / self.block) * self.page


def kv_dtype_bytes(meta, launch: Launch) -> int:
    if launch.kv_cache_dtype.startswith(("fp8", "int8")):
        return 1
    if launch.kv_cache_dtype in ("nvfp4",) or "turboquant" in launch.kv_cache_dtype:
        raise NotModelled(f"the {launch.kv_cache_dtype} KV-cache layout")
    if launch.kv_cache_dtype not in ("auto", "bfloat16", "float16", "half", "float32", "float"):
        raise NotModelled(f"--kv-cache-dtype {launch.kv_cache_dtype}")
    return model_dtype_bytes(meta, launch.dtype)


def layer_specs(meta, s: Shapes, launch: Launch, version: str, num_spec: int = 0) -> list[Spec | None]:
    """The spec of every decoder layer on one tensor-parallel rank (None: the layer caches nothing); a layer with
    both attention and a recurrent state (Falcon-H1) gets its attention spec here and its state in state_specs."""
    size = kv_dtype_bytes(meta, launch)
    tp = max(1, launch.tensor_parallel)
    per_token_head = launch.kv_cache_dtype in ("fp8_per_token_head", "int8_per_token_head")
    v = _v(version)
    out: list[Spec | None] = []
    for layer in s.layer_list:
        if layer.attention is None:
            out.append(None)
        elif layer.attention == "mla":
            if s.index_head_dim and (launch.kv_cache_dtype.startswith("fp8") or
                                     (launch.kv_cache_dtype == "auto" and Version("0.11.0") <= v < Version("0.11.1"))):
                per_token = FP8_DS_MLA_BYTES  # DeepSeek V3.2 / GLM-5 with an fp8 cache: fp8_ds_mla
            else:
                per_token = (s.kv_lora_rank + s.rope_head_dim) * size
            out.append(Spec("mla", per_token))
        else:
            kv = max(1, (layer.kv_heads or s.kv_heads) // tp)  # ModelConfig.get_num_kv_heads
            hd = layer.head_dim or s.head_dim
            per_token = kv * (hd + (layer.head_dim_v or hd)) * size + (2 * kv * 4 if per_token_head else 0)
            kind = layer.attention if layer.attention in ("sliding", "chunked") else "full"
            out.append(Spec(kind, per_token, window=layer.window if kind != "full" else 0))
    return out


def indexer_specs(s: Shapes) -> list[Spec | None]:
    """DSA indexer key cache of each MLA layer (deepseek_v2.py DeepseekV32IndexerCache: an MLAAttentionSpec of one
    head of index_head_dim + index_head_dim // 128 × 4 bytes, uint8: fp8 values and fp32 block scales)."""
    if not s.index_head_dim:
        return []
    per_token = s.index_head_dim + s.index_head_dim // 128 * 4
    return [Spec("mla", per_token) if layer.attention == "mla" else None for layer in s.layer_list]


def state_specs(meta, s: Shapes, launch: Launch, version: str, num_spec: int) -> list[Spec | None]:
    if not s.hybrid:
        return []
    page = state_page_bytes(s, max(1, launch.tensor_parallel), num_spec, model_dtype_bytes(meta, launch.dtype),
                            version, launch.mamba_ssm_cache_dtype)
    return [Spec("mamba", state=page) if layer.state else None for layer in s.layer_list]


# -- the allocator -------------------------------------------------------------------------------------------

@dataclass
class Group:
    spec: Spec
    layers: list[int]  # indices into the flat layer list of the layout


@dataclass
class Layout:
    """vLLM's KV-cache groups of one launch, and the arithmetic on them."""

    specs: list[Spec]  # one per KV-caching layer of the whole model (draft layers included)
    owner: list[int]  # pipeline stage of each spec
    groups: list[Group]
    uniform_type: bool  # one group of per-layer pages (UniformTypeKVCacheSpecs)
    mamba_mode: str
    spec_blocks: int
    batched_tokens: int
    version: str
    notes: list[str] = field(default_factory=list)

    @property
    def block_size(self) -> int:
        attn = [g.spec.block for g in self.groups if g.spec.kind != "mamba"]
        return min(attn) if attn else (self.groups[0].spec.block if self.groups else 16)

    def bytes_per_block(self, stage: int) -> int:
        """What one block id costs on a worker of this stage (the divisor of get_kv_cache_config_from_groups)."""
        if not self.groups:
            return 0
        if self.uniform_type:
            return sum(sp.page for sp, o in zip(self.specs, self.owner) if o == stage)
        size = max(sum(1 for i in g.layers if self.owner[i] == stage) for g in self.groups)
        return self.groups[0].spec.page * size

    def num_blocks(self, available: float, stage: int) -> int:
        per = self.bytes_per_block(stage)
        return max(0, int(available // per)) if per else 0

    def blocks_per_request(self, max_len: int) -> int:
        if not self.groups:
            return 0
        args = (self.batched_tokens, self.mamba_mode, self.spec_blocks)
        if self.uniform_type:
            return max(math.ceil(sp.max_memory(max_len, *args) / sp.page) for sp in self.specs)
        page = self.groups[0].spec.page
        return sum(math.ceil(g.spec.max_memory(max_len, *args) / page) for g in self.groups)

    def request_bytes(self, max_len: int, stage: int) -> int:
        """Memory one max_len request needs on a worker of this stage (_max_memory_usage_bytes_from_groups)."""
        if self.uniform_type:
            args = (self.batched_tokens, self.mamba_mode, self.spec_blocks)
            return sum(sp.max_memory(max_len, *args) for sp, o in zip(self.specs, self.owner) if o == stage)
        return self.blocks_per_request(max_len) * self.bytes_per_block(stage)

    def concurrency(self, blocks: int, max_len: int) -> float:
        per = self.blocks_per_request(max_len)
        return blocks / per if per else 0.0

    def tokens(self, blocks: int, max_len: int) -> int:
        """The "GPU KV cache size: N tokens" vLLM prints: concurrency × max_model_len from 0.20.1
        (_report_kv_cache_config), num_blocks // groups × the smallest block size before."""
        if not self.groups:
            return 0
        if _v(self.version) >= Version("0.20.1"):
            return int(self.concurrency(blocks, max_len) * max_len)
        groups = 1 if self.uniform_type else len(self.groups)
        return blocks // groups * min(g.spec.block for g in self.groups)

    def fits_len(self, available: float, stage: int, max_len: int) -> int:
        """estimate_max_model_len: the longest request (≤ max_len) whose KV cache fits in ``available``."""
        lo, hi, best = 1, max_len, 0
        while lo <= hi:
            mid = (lo + hi) // 2
            if self.request_bytes(mid, stage) <= available:
                best, lo = mid, mid + 1
            else:
                hi = mid - 1
        return best


def _uniform_type(specs: list[Spec]) -> bool:
    """UniformTypeKVCacheSpecs.is_uniform_type: one block size and one type (any FullAttentionSpec, or sliding
    windows of one size, chunks of one size, recurrent states)."""
    if len({sp.block for sp in specs}) > 1:
        return False
    kinds = {sp.kind for sp in specs}
    if kinds <= set(_FULL_KINDS):
        return True
    return len(kinds) == 1 and len({sp.window for sp in specs}) == 1


def layout(specs: list[Spec], owner: list[int], *, block: int, batched_tokens: int, version: str,
           mamba_mode: str = "none", spec_blocks: int = 0, hybrid_manager: bool = True) -> Layout:
    """get_kv_cache_groups: uniform spec → one group; one type → one UniformTypeKVCacheSpecs group; else page sizes
    unified (smaller pages take a proportionally larger block) and layers of each spec split into groups of
    ``min(count)`` layers (``max(count)`` when within 1.5×), layer i of a type going to group i mod n."""
    specs = [sp if sp.kind == "mamba" else replace(sp, block=sp.block or block) for sp in specs]
    notes: list[str] = []
    if not hybrid_manager:  # unify_hybrid_kv_cache_specs: sliding / chunked layers cache the whole context
        specs = [replace(sp, kind="full", window=0) if sp.kind in ("sliding", "chunked") else sp for sp in specs]
    base = {"mamba_mode": mamba_mode, "spec_blocks": spec_blocks, "batched_tokens": batched_tokens, "version": version}
    if not specs:
        return Layout([], [], [], False, notes=notes, **base)
    if len(set(specs)) == 1:
        return Layout(specs, owner, [Group(specs[0], list(range(len(specs))))], False, notes=notes, **base)
    if _uniform_type(specs):
        return Layout(specs, owner, [Group(specs[0], list(range(len(specs))))], True, notes=notes, **base)
    pages = {sp.page for sp in specs}
    top = max(pages)
    unified = []
    for sp in specs:  # unify_kv_cache_spec_page_size
        if sp.page != top:
            if top % sp.page:
                raise NotModelled("KV-cache pages vLLM cannot unify (page sizes not multiples of each other)")
            sp = replace(sp, block=sp.block * (top // sp.page)) if sp.kind != "mamba" else replace(sp, padded=top)
        unified.append(sp)
    by_spec: dict[Spec, list[int]] = {}
    for i, sp in enumerate(unified):
        by_spec.setdefault(sp, []).append(i)
    counts = [len(v) for v in by_spec.values()]
    size = min(counts)
    if max(counts) < size * 1.5:
        size = max(counts)
    groups = []
    for sp, idx in by_spec.items():
        if len(idx) % size:
            notes.append(f"{size - len(idx) % size} padding layer(s) in a group of {sp.kind} layers, as vLLM adds")
        n = math.ceil(len(idx) / size)
        groups += [Group(sp, idx[i::n]) for i in range(n)]
    return Layout(unified, owner, groups, False, notes=notes, **base)


def hybrid_block(attn_per_token: int, state_page: int, *, align: int, cache_block: int,
                 mamba_mode: str, chunk: int | None) -> int:
    """The attention block size vLLM sets so that an attention page holds one recurrent-state page
    (_align_hybrid_block_size / HybridAttentionMambaModelConfig): ``align × cdiv(state, align × attention page of
    one token)``; with mamba_cache_mode 'all', a multiple of lcm(mamba chunk size, align)."""
    if mamba_mode == "all" and chunk:
        step = math.lcm(chunk, align)
        size = step * math.ceil(math.ceil(state_page / attn_per_token) / step)
    else:
        size = align * math.ceil(state_page / (align * attn_per_token))
    return max(size, cache_block)


def max_len_of(meta, launch: Launch) -> tuple[int, str | None]:
    """The max_model_len vLLM will use: the flag, else the model's own length as vLLM derives it
    (``context_length.derived_max_len``: for YaRN, ``original_max_position_embeddings`` × factor, not
    ``max_position_embeddings`` × factor), else vLLM's default of 2048 when config.json has no length key."""
    if launch.max_model_len:
        return launch.max_model_len, None
    length, _ = derived_max_len(meta)
    if length is None:
        return DEFAULT_MAX_LEN, (f"--max-model-len not given and config.json has no length key: vLLM assumes "
                                 f"{DEFAULT_MAX_LEN}")
    return length, f"--max-model-len not given: vLLM uses the model's {length}"
