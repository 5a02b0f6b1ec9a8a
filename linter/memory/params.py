"""Parameter counts of a model's parts, layer by layer (:class:`~vllm_lint.memory.shapes.Layer`), grouped by how
vLLM shards them: tensor-parallel (``attention``, ``mlp``), KV projections (replicated past the KV-head count),
replicated (MLA's latent down-projections, routers, the DSA indexer's weights), routed experts (sharded over
tensor × data parallel ranks, by TP or by EP) and the embeddings.

The mixers follow vLLM's layers: Gated DeltaNet (``gdn_linear_attn.py``: in_proj_qkvz, in_proj_ba, conv1d,
out_proj), Mamba2 (``mamba_mixer2.py``: in_proj to 2·I + 2·G·N + H, conv1d over I + 2·G·N), Mamba1
(``mamba_mixer.py``), Kimi Delta Attention (``kda.py``), MLA (``deepseek_v2.py``, with the V3.2 indexer) and
attention with an output gate (Qwen3-Next/3.5: q_proj twice as wide) or without V (Gemma 4 ``k_eq_v``).
"""
from __future__ import annotations

from vllm_lint.memory.shapes import Layer, Shapes

PARTS = ("embed", "lm_head", "attention", "attention_replicated", "kv_proj", "mlp", "experts", "vision")


def _attention(s: Shapes, layer: Layer) -> tuple[float, float, float]:
    """(tensor-parallel, replicated, KV-projection) parameters of one layer's attention."""
    if layer.attention == "mla":
        q = (s.hidden * s.q_lora_rank + s.q_lora_rank * s.heads * (s.nope_head_dim + s.rope_head_dim)) if s.q_lora_rank \
            else s.hidden * s.heads * (s.nope_head_dim + s.rope_head_dim)
        sharded = q + s.kv_lora_rank * s.heads * (s.nope_head_dim + s.v_head_dim) + s.heads * s.v_head_dim * s.hidden
        replicated = s.hidden * (s.kv_lora_rank + s.rope_head_dim)
        if s.index_head_dim:  # deepseek_v2.py Indexer: wq_b, wk + weights_proj, replicated ("no tensor parallel")
            replicated += (s.q_lora_rank or s.hidden) * s.index_heads * s.index_head_dim + \
                s.hidden * (s.index_head_dim + s.index_heads)
        return sharded, replicated, 0.0
    if not layer.attention:
        return 0.0, 0.0, 0.0
    heads = layer.heads or s.heads
    hd = layer.head_dim or s.head_dim
    q = s.hidden * heads * hd * (2 if layer.gated_q else 1)
    o = heads * hd * s.hidden
    kv = s.hidden * (layer.kv_heads or s.kv_heads) * hd * (1 if layer.k_eq_v else 2)
    return q + o, 0.0, kv


def _state_mixer(s: Shapes, layer: Layer) -> float:
    """Parameters of one recurrent mixer (all tensor-parallel)."""
    st, h = s.state, s.hidden
    if layer.state == "gdn":
        key, value = st["k_heads"] * st["k_dim"], st["v_heads"] * st["v_dim"]
        conv = (2 * key + value) * st["kernel"]
        return h * (2 * key + 2 * value) + h * 2 * st["v_heads"] + conv + value * h + 2 * st["v_heads"] + st["v_dim"]
    if layer.state == "mamba2":
        groups_state = 2 * st["groups"] * st["state"]
        inner = st["inter"]
        return h * (2 * inner + groups_state + st["heads"]) + (inner + groups_state) * st["kernel"] + inner * h + \
            3 * st["heads"] + inner
    if layer.state == "mamba1":
        inner, n, r = st["inter"], st["state"], st["dt_rank"]
        return h * 2 * inner + inner * st["kernel"] + inner * (r + 2 * n) + r * inner + inner * n + inner + inner * h
    if layer.state == "kda":
        proj, d = st["heads"] * st["head_dim"], st["head_dim"]
        return 4 * h * proj + 2 * (h * d + d * proj) + h * st["heads"] + 3 * proj * st["kernel"] + proj
    return 0.0


def _mlp(s: Shapes, layer: Layer) -> tuple[float, float, float]:
    """(tensor-parallel dense + shared-expert, routed-expert, replicated router) parameters of one layer's MLP."""
    mats = 3 if s.gated_mlp else 2
    dense = experts = router = 0.0
    if layer.mlp in ("dense", "dense+moe"):
        dense = mats * s.hidden * (layer.intermediate or s.intermediate)
    if layer.mlp in ("moe", "dense+moe"):
        experts = s.experts * mats * s.hidden * s.moe_intermediate
        dense += mats * s.hidden * s.shared_intermediate
        router = s.hidden * s.experts
    return dense, experts, router


def layer_params(s: Shapes, layer: Layer) -> dict[str, float]:
    sharded, replicated, kv = _attention(s, layer)
    dense, experts, router = _mlp(s, layer)
    return {"attention": sharded + _state_mixer(s, layer), "attention_replicated": replicated + router,
            "kv_proj": kv, "mlp": dense, "experts": experts}


def component_params(s: Shapes, layers: range | None = None, *, embed: bool = True, lm_head: bool = True,
                     vision: bool = True) -> dict[str, float]:
    """Parameters of each part over ``layers`` (all by default), with the embeddings and vision tower if asked."""
    out = {part: 0.0 for part in PARTS}
    for i in layers if layers is not None else range(len(s.layer_list)):
        for part, n in layer_params(s, s.layer_list[i]).items():
            out[part] += n
    out["embed"] = s.vocab * s.hidden if embed else 0.0
    out["lm_head"] = s.vocab * s.hidden if lm_head and not s.tied else 0.0
    out["vision"] = float(s.vision_params) if vision else 0.0
    return out


def mtp_layer_params(s: Shapes) -> dict[str, float]:
    """One multi-token-prediction layer (DeepSeek MTP, Qwen3.5/Qwen3-Next MTP): a decoder layer like the model's
    last full-attention one, plus eh_proj (2·hidden × hidden) and its norms; embeddings and lm_head are shared with
    the target (llm_base_proposer.py _maybe_share_embeddings / _maybe_share_lm_head: "Detected MTP model")."""
    attn = [layer for layer in s.layer_list if layer.attention]
    template = attn[-1] if attn else Layer()
    if s.experts and template.mlp == "dense" and any(layer.mlp == "moe" for layer in s.layer_list):
        template = Layer(**{**template.__dict__, "mlp": "moe"})
    out = layer_params(s, Layer(**{**template.__dict__, "state": None}))
    out["mlp"] += 2 * s.hidden * s.hidden + 3 * s.hidden
    return out
