"""A model's shapes as the estimator needs them (:class:`Shapes`), read from its config.json: the global sizes
(hidden, vocabulary, heads, experts, MLA ranks, vision tower) and one :class:`Layer` per decoder layer saying what
it keeps between steps (an attention KV cache of some kind, a recurrent state, nothing) and which MLP it has.

The per-layer pattern of hybrid models (``layer_types``, ``full_attention_interval``, ``hybrid_override_pattern``,
Jamba's periods, Kimi-Linear's ``linear_attn_config``, DeciLM's ``block_configs`` ...) is read in :mod:`.hybrid`;
an architecture whose memory the estimate does not model raises :class:`NotModelled` with what is missing, so that
no number is given for it rather than a wrong one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DTYPE_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2, "fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1,
               "fp8_inc": 1, "fp8_ds_mla": 1, "auto": None}


class NotModelled(ValueError):
    """The estimate does not model this part of the model's architecture (the message says which)."""


@dataclass(frozen=True)
class Layer:
    """One decoder layer: what it caches and which MLP it has.

    ``attention``: None, "full", "sliding", "chunked" (Llama 4 local attention) or "mla"; ``state``: None or the
    recurrent mixer whose state vLLM keeps per sequence ("gdn", "mamba1", "mamba2", "kda"); a layer may have both
    (Falcon-H1 runs attention and Mamba2 side by side). ``mlp``: "dense", "moe", "dense+moe" or "none"."""

    attention: str | None = "full"
    state: str | None = None
    mlp: str = "dense"
    kv_heads: int = 0
    head_dim: int = 0
    head_dim_v: int = 0
    window: int = 0  # sliding window or attention chunk, in tokens
    intermediate: int = 0  # this layer's dense MLP width (0: the model's intermediate_size)
    heads: int = 0  # query heads (0: the model's)
    gated_q: bool = False  # attention output gate: q_proj twice as wide (Qwen3-Next, Qwen3.5)
    k_eq_v: bool = False  # keys double as values: no v_proj (Gemma 4 full attention)


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
    index_head_dim: int = 0  # DeepSeek V3.2 / GLM-5 sparse-attention indexer (DSA)
    index_heads: int = 0
    sliding_layers: int = 0
    sliding_window: int = 0
    vision_params: int = 0
    topk: int = 0
    gated_mlp: bool = True  # gate+up+down; False for relu2 MLPs (Nemotron-H): up+down
    layer_list: list[Layer] = field(default_factory=list)
    state: dict = field(default_factory=dict)  # recurrent-state dimensions (hybrid.state_shapes)
    family: str = "transformer"
    mtp_layers: int = 0  # multi-token-prediction layers the checkpoint carries (not loaded without --speculative-config)
    extra_mtp_params: int = 0  # per MTP layer, beyond a decoder layer (eh_proj, norms)

    @property
    def mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def attention_layers(self) -> int:
        return sum(1 for layer in self.layer_list if layer.attention)

    @property
    def state_layers(self) -> int:
        return sum(1 for layer in self.layer_list if layer.state)

    @property
    def hybrid(self) -> bool:
        return self.state_layers > 0


def _int(value, default: int = 0) -> int:
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


def shapes(meta) -> Shapes:
    """The shapes of ``meta``'s language model (and its vision tower), with one Layer per decoder layer."""
    from vllm_lint.memory.hybrid import layer_list

    get = meta.get
    hidden = int(get("hidden_size"))
    heads = int(get("num_attention_heads"))
    layers = int(get("num_hidden_layers"))
    kv_heads = _int(get("num_key_value_heads")) or heads
    head_dim = _int(get("head_dim")) or _int(get("attention_head_dim")) or hidden // heads
    experts = _int(get("num_experts") or get("n_routed_experts") or get("num_local_experts"))
    s = Shapes(hidden, layers, heads, kv_heads, head_dim, _int(get("intermediate_size")) or 4 * hidden,
               _int(get("vocab_size") or meta.config.get("vocab_size")) or 32000,
               bool(get("tie_word_embeddings", meta.config.get("tie_word_embeddings", False))))
    if experts:
        s.experts = experts
        s.moe_intermediate = _int(get("moe_intermediate_size")) or s.intermediate
        shared = _int(get("n_shared_experts") or get("num_shared_experts"))
        s.shared_intermediate = _int(get("shared_expert_intermediate_size") or get("moe_shared_expert_intermediate_size")
                                     or get("shared_intermediate_size")) or shared * s.moe_intermediate
        s.dense_layers = _int(get("first_k_dense_replace"))
        s.topk = _int(get("num_experts_per_tok") or get("num_experts_per_token") or get("experts_per_token")
                      or get("top_k_experts")) or 2
    if get("kv_lora_rank"):
        s.kv_lora_rank = int(get("kv_lora_rank"))
        s.q_lora_rank = _int(get("q_lora_rank"))
        s.rope_head_dim = _int(get("qk_rope_head_dim")) or 64
        s.nope_head_dim = _int(get("qk_nope_head_dim")) or 128
        s.v_head_dim = _int(get("v_head_dim")) or 128
        if get("index_topk"):
            s.index_head_dim = _int(get("index_head_dim")) or 128
            s.index_heads = _int(get("index_n_heads")) or 64
    vision = meta.vision_config
    if isinstance(vision, dict):
        depth = int(vision.get("depth") or vision.get("num_hidden_layers") or 0)
        vh = int(vision.get("hidden_size") or vision.get("embed_dim") or 0)
        vi = int(vision.get("intermediate_size") or 4 * vh)
        out = int(vision.get("out_hidden_size") or hidden)
        s.vision_params = depth * (4 * vh * vh + 2 * vh * vi) + 4 * vh * vh + vh * out
    s.layer_list = layer_list(meta, s)
    sliding = [layer for layer in s.layer_list if layer.attention == "sliding"]
    if sliding:
        s.sliding_layers, s.sliding_window = len(sliding), sliding[0].window
    return s
