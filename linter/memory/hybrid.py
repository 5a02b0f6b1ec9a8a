"""The layer pattern of a model (one :class:`~vllm_lint.memory.shapes.Layer` per decoder layer) and the recurrent
state its linear-attention layers keep per sequence, as vLLM computes it.

Patterns, read the way vLLM's model classes read them:

* Gated DeltaNet (Qwen3-Next, Qwen3.5, Qwen3.6): ``layer_types`` ("linear_attention" / "full_attention"), else
  ``full_attention_interval`` (``qwen3_next.py``, ``qwen3_5.py``);
* Mamba2 (Nemotron-H, Nemotron-3): ``hybrid_override_pattern``, one mixer per layer: ``M`` Mamba2, ``*`` attention,
  ``-`` MLP, ``E`` MoE (``nemotron_h.py``); Granite-4.0-H: ``layer_types`` "mamba" / "attention"
  (``granitemoehybrid.py``); Bamba: ``attn_layer_indices``; Falcon-H1: attention and Mamba2 in every layer;
* Mamba1 (Jamba): ``attn_layer_period`` / ``attn_layer_offset``, ``expert_layer_period`` / ``expert_layer_offset``;
* Kimi Delta Attention (Kimi-Linear): ``linear_attn_config.kda_layers`` / ``full_attn_layers`` (1-based), MLA
  on the full-attention layers;
* sliding windows (``layer_types`` "sliding_attention"; Gemma 4's global layers with their own head size and KV
  heads), chunked local attention (Llama 4: ``attention_chunk_size`` on the RoPE layers, ``no_rope_layers``),
  DeciLM's per-layer ``block_configs`` (no-op attention, ``n_heads_in_group``, ``ffn_mult``).

State shapes per tensor-parallel rank follow ``MambaStateShapeCalculator`` and ``MambaStateDtypeCalculator``
(``vllm/model_executor/layers/mamba/mamba_utils.py``, 0.20.2); knowledge/vllm/engine.yaml ``recurrent_state``.
"""
from __future__ import annotations

from math import prod

from packaging.version import Version

from vllm_lint.memory.shapes import DTYPE_BYTES, Layer, NotModelled, Shapes, _int

#: config.json keys of architectures whose memory is not modelled, with what is missing.
_UNMODELLED_KEYS = {
    "compress_ratios": "DeepSeek V4's compressed sparse attention (compress_ratios, SWA-MLA and compressor caches: "
                       "vLLM's DeepseekV4 KV-cache layout)",
    "attn_res_block_size": "Kimi K3's attention-residual blocks and latent MoE",
    "layers_block_type": "Zamba2's shared transformer blocks (layers_block_type)",
    "num_mem_blocks": "Zamba2's shared transformer blocks (num_mem_blocks)",
    "cross_attention_layers": "cross-attention layers and their encoder cache (cross_attention_layers)",
    "conv_L_cache": "LFM2's short-convolution state",
}
_UNMODELLED_TYPES = {
    "deepseek_v4": _UNMODELLED_KEYS["compress_ratios"],
    "zamba2": _UNMODELLED_KEYS["layers_block_type"],
    "zamba": "Zamba's shared attention block",
    "lfm2": _UNMODELLED_KEYS["conv_L_cache"],
    "lfm2_moe": _UNMODELLED_KEYS["conv_L_cache"],
    "minimax_text_01": "MiniMax-Text-01's lightning (linear) attention state",
    "minimax_m1": "MiniMax-M1's lightning (linear) attention state",
    "plamo2": "PLaMo 2's Mamba layers",
    "gemma3n": "Gemma 3n's per-layer embeddings and KV sharing",
    "mllama": _UNMODELLED_KEYS["cross_attention_layers"],
    "whisper": "encoder-decoder cross-attention cache",
    "bailing_moe_linear": "Ling's linear attention state",
    "olmo_hybrid": "OLMo-hybrid's linear attention state",
    "mamba": "attention-free Mamba (no KV cache at all)",
    "mamba2": "attention-free Mamba2 (no KV cache at all)",
    "falcon_mamba": "attention-free Mamba (no KV cache at all)",
}
_GDN_TYPES = ("qwen3_next", "qwen3_5", "qwen3_5_text", "qwen3_5_moe", "qwen3_5_moe_text")


def _model_type(meta) -> str:
    return str(meta.text_config.get("model_type") or meta.model_type or "")


def _moe_layer(meta, s: Shapes, i: int) -> bool:
    """Whether decoder layer ``i`` has a MoE block: DeepSeek's first_k_dense_replace / moe_layer_freq, Qwen's
    mlp_only_layers / decoder_sparse_step, Llama 4's interleave_moe_layer_step."""
    if not s.experts:
        return False
    get = meta.get
    if i < s.dense_layers or i in (get("mlp_only_layers") or []):
        return False
    freq = _int(get("moe_layer_freq"), 1) or 1
    step = _int(get("decoder_sparse_step"), 1) or 1
    inter = _int(get("interleave_moe_layer_step"), 1) or 1
    return (i - s.dense_layers) % freq == 0 and (i + 1) % step == 0 and (i + 1) % inter == 0


def _expand(pattern, n: int) -> list:
    return list(pattern)[:n] if isinstance(pattern, list) else []


def layer_list(meta, s: Shapes) -> list[Layer]:
    """One Layer per decoder layer of the language model; raises NotModelled for what the estimate does not model."""
    mt = _model_type(meta)
    cfg = {**meta.config, **meta.text_config}
    if mt in _UNMODELLED_TYPES:
        raise NotModelled(_UNMODELLED_TYPES[mt])
    for key, what in _UNMODELLED_KEYS.items():
        if cfg.get(key) not in (None, [], {}, 0):
            raise NotModelled(what)
    if _int(cfg.get("num_kv_shared_layers")) > 0:
        raise NotModelled("KV-cache sharing between layers (num_kv_shared_layers)")
    types = cfg.get("attn_type_list")
    if isinstance(types, list) and any(str(t) == "0" for t in types):
        raise NotModelled("lightning (linear) attention layers (attn_type_list 0)")
    if mt in _GDN_TYPES:
        return _tag(_gdn(meta, s), s, mt)
    if mt == "nemotron_h":
        return _tag(_nemotron_h(meta, s), s, mt)
    if mt in ("granitemoehybrid", "bamba", "falcon_h1", "jamba"):
        return _tag(_mamba_family(meta, s, mt), s, mt)
    if mt == "kimi_linear":
        return _tag(_kimi_linear(meta, s), s, mt)
    if mt in ("nemotron-nas", "deci", "deci_lm") or cfg.get("block_configs"):
        return _deci(meta, s)
    for key in ("ssm_state_size", "mamba_d_state", "linear_num_value_heads", "linear_attn_config"):
        if cfg.get(key):
            raise NotModelled(f"the recurrent layers of model type {mt!r} ({key})")
    return _transformer(meta, s, mt)


def _tag(layers: list[Layer], s: Shapes, mt: str) -> list[Layer]:
    s.state["model_type"] = mt
    return layers


def _attn(s: Shapes, kind: str = "full", **kw) -> dict:
    return {"attention": kind, "kv_heads": kw.pop("kv_heads", s.kv_heads), "head_dim": kw.pop("head_dim", s.head_dim), **kw}


def _transformer(meta, s: Shapes, mt: str) -> list[Layer]:
    get = meta.get
    types = _expand(get("layer_types"), s.layers)
    known = {"full_attention", "sliding_attention", "attention", "chunked_attention", "deepseek_sparse_attention"}
    odd = sorted({str(t) for t in types} - known)
    if odd:
        raise NotModelled(f"layer types {', '.join(odd)} of model type {mt!r}")
    window = _int(get("sliding_window"))
    chunk = _int(get("attention_chunk_size"))
    no_rope = _expand(get("no_rope_layers"), s.layers)
    mla = "mla" if s.mla else "full"
    gemma4 = mt.startswith("gemma4")
    out = []
    for i in range(s.layers):
        kind = mla
        extra: dict = {}
        if types and str(types[i]) == "sliding_attention" and window:
            kind = "sliding"
            extra["window"] = window
        elif chunk and no_rope and i < len(no_rope) and no_rope[i]:  # llama4.py: chunked unless a NoPE layer
            kind = "chunked"
            extra["window"] = chunk
        if gemma4 and kind == "full":  # gemma4.py: global layers' head size, KV heads and k_eq_v
            k_eq_v = bool(get("attention_k_eq_v"))
            extra.update(head_dim=_int(get("global_head_dim")) or s.head_dim, k_eq_v=k_eq_v,
                         kv_heads=_int(get("num_global_key_value_heads")) or s.kv_heads if k_eq_v else s.kv_heads)
        moe = _moe_layer(meta, s, i)
        mlp = "moe" if moe else "dense"
        if moe and gemma4 and get("enable_moe_block"):
            mlp = "dense+moe"
        inter = _int(get("intermediate_size_mlp")) if not moe and get("intermediate_size_mlp") else 0
        out.append(Layer(**_attn(s, kind, **extra), mlp=mlp, intermediate=inter))
    s.family = "mla" if s.mla else ("sliding" if any(x.attention == "sliding" for x in out) else
                                    "chunked" if any(x.attention == "chunked" for x in out) else "transformer")
    s.mtp_layers = _int(get("num_nextn_predict_layers") or get("num_mtp_modules"))
    return out


def _gdn(meta, s: Shapes) -> list[Layer]:
    get = meta.get
    types = _expand(get("layer_types"), s.layers)
    interval = _int(get("full_attention_interval"), 4) or 4
    gated = bool(get("attn_output_gate", True))
    out = []
    for i in range(s.layers):
        full = str(types[i]) == "full_attention" if types else (i + 1) % interval == 0
        mlp = "moe" if _moe_layer(meta, s, i) else "dense"
        out.append(Layer(**_attn(s, gated_q=gated), mlp=mlp) if full else Layer(attention=None, state="gdn", mlp=mlp))
    s.state = {"kind": "gdn", "k_heads": _int(get("linear_num_key_heads")), "v_heads": _int(get("linear_num_value_heads")),
               "k_dim": _int(get("linear_key_head_dim")), "v_dim": _int(get("linear_value_head_dim")),
               "kernel": _int(get("linear_conv_kernel_dim"), 4),
               # Qwen3.5 keeps the delta state in its config's mamba_ssm_dtype (config.py
               # Qwen3_5ForConditionalGenerationConfig, 0.17.0 on); Qwen3-Next in the cache dtype ("auto")
               "ssm_dtype_config": get("mamba_ssm_dtype") if _model_type(meta).startswith("qwen3_5") else None}
    s.family = "hybrid-gdn"
    s.mtp_layers = _int(get("mtp_num_hidden_layers") or get("num_nextn_predict_layers"))
    return out


def _mamba2_state(get, *, heads, head_dim, groups, state, kernel, inter, spec: bool) -> dict:
    return {"kind": "mamba2", "heads": _int(heads), "head_dim": _int(head_dim), "groups": _int(groups, 1) or 1,
            "state": _int(state), "kernel": _int(kernel, 4) or 4, "inter": _int(inter), "spec_conv": spec}


def _nemotron_h(meta, s: Shapes) -> list[Layer]:
    get = meta.get
    pattern = str(get("hybrid_override_pattern") or "")
    if len(pattern) != s.layers:
        raise NotModelled(f"a hybrid_override_pattern of {len(pattern)} layers for {s.layers} hidden layers")
    s.head_dim = _int(get("head_dim")) or _int(get("attention_head_dim")) or s.head_dim
    s.gated_mlp = str(get("mlp_hidden_act") or "relu2") != "relu2"  # nemotron_h.py NemotronHMLP: up + down for relu2
    out = []
    for ch in pattern:
        if ch == "M":
            out.append(Layer(attention=None, state="mamba2", mlp="none"))
        elif ch == "*":
            out.append(Layer(**_attn(s), mlp="none"))
        elif ch == "-":
            out.append(Layer(attention=None, mlp="dense"))
        elif ch == "E":
            out.append(Layer(attention=None, mlp="moe"))
        else:
            raise NotModelled(f"hybrid_override_pattern layer {ch!r}")
    heads, hd = _int(get("mamba_num_heads")), _int(get("mamba_head_dim"))
    s.state = _mamba2_state(get, heads=heads, head_dim=hd, groups=get("n_groups"), state=get("ssm_state_size"),
                            kernel=get("conv_kernel"), inter=heads * hd, spec=True)
    # NemotronHForCausalLMConfig: the SSM state in the config's mamba_ssm_cache_dtype, else float16 (0.13-0.19) or
    # float32 (0.20 on); before 0.13 the cache dtype ("auto")
    s.state["ssm_dtype_config"] = get("mamba_ssm_cache_dtype")
    s.state["ssm_dtype_default"] = "nemotron_h"
    s.family = "hybrid-mamba2"
    s.mtp_layers = _int(get("num_nextn_predict_layers"))
    return out


def _mamba_family(meta, s: Shapes, mt: str) -> list[Layer]:
    get = meta.get
    h = s.hidden
    out = []
    if mt == "jamba":  # jamba.py: attention every attn_layer_period from attn_layer_offset, MoE likewise
        ap, ao = _int(get("attn_layer_period"), 8) or 8, _int(get("attn_layer_offset"), 4)
        ep, eo = _int(get("expert_layer_period"), 2) or 2, _int(get("expert_layer_offset"), 1)
        for i in range(s.layers):
            mlp = "moe" if s.experts and i % ep == eo else "dense"
            out.append(Layer(**_attn(s), mlp=mlp) if i % ap == ao else Layer(attention=None, state="mamba1", mlp=mlp))
        inter = _int(get("mamba_expand"), 2) * h
        s.state = {"kind": "mamba1", "inter": inter, "state": _int(get("mamba_d_state"), 16),
                   "kernel": _int(get("mamba_d_conv"), 4), "dt_rank": _int(get("mamba_dt_rank")) or -(-h // 16)}
        s.family = "hybrid-mamba1"
        return out
    if mt == "falcon_h1":  # falcon_h1.py: every layer runs attention and Mamba2 in parallel, then its MLP
        out = [Layer(**_attn(s), state="mamba2", mlp="dense") for _ in range(s.layers)]
        inter = _int(get("mamba_d_ssm")) or int(_int(get("mamba_expand"), 2) * h)
    else:
        if mt == "granitemoehybrid":
            types = _expand(get("layer_types"), s.layers) or ["mamba"] * s.layers
            attn = [str(t) == "attention" for t in types]
        else:  # bamba
            idx = set(get("attn_layer_indices") or [])
            attn = [i in idx for i in range(s.layers)]
        mlp = "moe" if s.experts else "dense"
        if mt == "granitemoehybrid":
            s.shared_intermediate = _int(get("shared_intermediate_size"))
            if not s.experts:
                s.intermediate = s.shared_intermediate or s.intermediate
        out = [Layer(**_attn(s), mlp=mlp) if a else Layer(attention=None, state="mamba2", mlp=mlp) for a in attn]
        inter = _int(get("mamba_expand"), 2) * h
    s.state = _mamba2_state(get, heads=get("mamba_n_heads"), head_dim=get("mamba_d_head"), groups=get("mamba_n_groups"),
                            state=get("mamba_d_state"), kernel=get("mamba_d_conv"), inter=inter, spec=False)
    s.family = "hybrid-mamba2"
    return out


def _kimi_linear(meta, s: Shapes) -> list[Layer]:
    cfg = meta.get("linear_attn_config") or {}
    kda = {int(i) - 1 for i in cfg.get("kda_layers") or []}  # 1-based in config.json (kimi_linear.py is_kda_layer)
    out = []
    for i in range(s.layers):
        mlp = "moe" if _moe_layer(meta, s, i) else "dense"
        out.append(Layer(attention=None, state="kda", mlp=mlp) if i in kda else Layer(**_attn(s, "mla"), mlp=mlp))
    s.state = {"kind": "kda", "heads": _int(cfg.get("num_heads")), "head_dim": _int(cfg.get("head_dim")),
               "kernel": _int(cfg.get("short_conv_kernel_size"), 4)}
    s.family = "hybrid-kda"
    return out


def _deci(meta, s: Shapes) -> list[Layer]:
    """nemotron_nas.py: per-layer attention (no_op, n_heads_in_group) and FFN width (ffn_mult)."""
    blocks = meta.get("block_configs") or []
    if len(blocks) != s.layers:
        raise NotModelled("block_configs that do not cover every layer")
    out = []
    for block in blocks:
        attn, ffn = block.get("attention") or {}, block.get("ffn") or {}
        if attn.get("replace_with_linear") or ffn.get("replace_with_linear") or attn.get("window_length") \
                or attn.get("num_sink_tokens"):
            raise NotModelled("DeciLM layers replaced with linear layers or windowed attention")
        inter = 0
        if not ffn.get("no_op"):
            inter = int(2 * float(ffn.get("ffn_mult") or 1.0) * s.hidden / 3)  # _ffn_mult_to_intermediate_size
            inter = -(-inter // 256) * 256
        if attn.get("no_op"):
            out.append(Layer(attention=None, mlp="dense" if inter else "none", intermediate=inter))
        else:
            kv = max(1, s.heads // int(attn.get("n_heads_in_group") or 1))
            out.append(Layer(**_attn(s, kv_heads=kv), mlp="dense" if inter else "none", intermediate=inter))
    s.family = "transformer-heterogeneous"
    return out


# -- recurrent state -------------------------------------------------------------------------------

def _ssm_dtype(s: Shapes, model_bytes: int, version: str, launch_ssm: str | None) -> int:
    """Bytes per element of the SSM/delta state: --mamba-ssm-cache-dtype, else what the model's config class sets."""
    if launch_ssm and launch_ssm != "auto":
        return DTYPE_BYTES.get(launch_ssm, 4) or 4
    configured = s.state.get("ssm_dtype_config")
    if s.state.get("ssm_dtype_default") == "nemotron_h":
        v = Version(version)
        if v >= Version("0.13.0"):
            return DTYPE_BYTES.get(str(configured or ("float32" if v >= Version("0.20.0") else "float16")), 2) or 2
        return model_bytes
    if configured and Version(version) >= Version("0.17.0"):
        return DTYPE_BYTES.get(str(configured), model_bytes) or model_bytes
    return model_bytes


def state_shapes(s: Shapes, tp: int, num_spec: int, model_bytes: int, version: str,
                 launch_ssm: str | None = None) -> list[tuple[tuple[int, ...], int]]:
    """(shape, bytes per element) of each state tensor of one linear-attention layer on one tensor-parallel rank
    (MambaStateShapeCalculator; conv states in the "SD" layout (state_len, dim), the default)."""
    st = s.state
    kind = st.get("kind")
    ssm = _ssm_dtype(s, model_bytes, version, launch_ssm)
    if kind == "gdn":
        conv_dim = st["k_dim"] * st["k_heads"] * 2 + st["v_dim"] * st["v_heads"]
        return [((st["kernel"] - 1 + num_spec, conv_dim // tp), model_bytes),
                ((st["v_heads"] // tp, st["v_dim"], st["k_dim"]), ssm)]
    if kind == "mamba2":
        groups = st["groups"] + (0 if st["groups"] % tp == 0 else tp - st["groups"])  # extra_groups_for_head_shards
        conv_dim = st["inter"] + 2 * groups * st["state"]
        spec = num_spec if st.get("spec_conv") else 0
        return [((st["kernel"] - 1 + spec, conv_dim // tp), model_bytes),
                ((st["heads"] // tp, st["head_dim"], st["state"]), ssm)]
    if kind == "mamba1":
        return [((st["kernel"] - 1, st["inter"] // tp), model_bytes), ((st["inter"] // tp, st["state"]), ssm)]
    if kind == "kda":
        proj = st["heads"] * st["head_dim"] // tp
        conv = ((st["kernel"] - 1, proj), model_bytes)
        return [conv, conv, conv, ((st["heads"] // tp, st["head_dim"], st["head_dim"]), 4)]
    raise NotModelled(f"the recurrent state of {kind!r} layers")


def state_page_bytes(s: Shapes, tp: int, num_spec: int, model_bytes: int, version: str,
                     launch_ssm: str | None = None) -> int:
    """MambaSpec.page_size_bytes before padding: the state of one layer for one sequence."""
    return sum(prod(shape) * size for shape, size in state_shapes(s, tp, num_spec, model_bytes, version, launch_ssm))
