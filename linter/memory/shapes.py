"""A model's shapes as the estimator needs them (:class:`Shapes`: layers, heads, KV heads, experts, vocabulary,
vision tower), read from its config.json, and the parameters of each component.
"""
from __future__ import annotations

from dataclasses import dataclass

# -- model shapes ---------------------------------------------------------------------------------

DTYPE_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2, "fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1,
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

