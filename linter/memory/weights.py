"""Weights per GPU: exact from the checkpoint's safetensors sizes when known, else from the shapes and the
quantization method (bytes per parameter, group scales, MXFP4 padding, layers a quantized checkpoint keeps
unquantized), split across tensor- and pipeline-parallel workers as vLLM shards them.
"""
from __future__ import annotations

import math
import re

from packaging.version import Version

from vllm_lint.hardware.gpu import Gpu
from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.params import PARTS, component_params, layer_params, mtp_layer_params
from vllm_lint.memory.shapes import DTYPE_BYTES, Shapes


def _quant_bytes_per_param(meta, quant: str | None, weight_bits: int | None = None) -> tuple[float, str]:
    """Bytes per parameter of quantized linear layers, and a description."""
    method = _quant_method(meta, quant)
    cfg = meta.quant_config or {}
    if method in ("awq", "awq_marlin", "gptq", "gptq_marlin", "compressed-tensors", "auto-round", "moe_wna16"):
        bits = int(cfg.get("bits") or cfg.get("w_bit") or _ct_bits(cfg) or weight_bits or 4)
        group = int(cfg.get("group_size") or cfg.get("q_group_size") or _ct_group(cfg) or 128)
        if bits >= 8 and method == "compressed-tensors" and _ct_is_fp8(cfg):
            return 1.0, "8-bit (compressed-tensors)"
        if method == "compressed-tensors" and _ct_is_fp8(cfg):  # NVFP4 (fp8 scale per 16) or MXFP4 (e8m0 per 32)
            return bits / 8 + 1 / group, f"{bits}-bit float, group {group}"
        zeros = not (method == "compressed-tensors" and _ct_symmetric(cfg))  # symmetric: no zero points stored
        per = bits / 8 + (2 / group if group > 0 else 0) + (bits / 8 / group if group > 0 and zeros else 0)
        return per, f"{bits}-bit, group {group}"
    if method == "modelopt":  # hf_quant_config.json / quantization_config quant_algo (modelopt.py ModelOptNvFp4Config)
        algo = str(cfg.get("quant_algo") or (cfg.get("quantization") or {}).get("quant_algo") or "FP8").upper()
        if "FP4" in algo:
            group = int(cfg.get("group_size") or (cfg.get("quantization") or {}).get("group_size") or 16)
            return 0.5 + 1 / group, f"NVFP4 (modelopt), group {group}"
        return 1.0, f"{algo} (modelopt)"
    if method in ("fp8", "fbgemm_fp8", "ptpc_fp8"):
        return 1.0, "FP8"
    if method in ("bitsandbytes",):
        return 0.53, "4-bit bitsandbytes"
    if method in ("mxfp4",):
        return 0.53, "MXFP4"
    return 0.0, ""


_LAYER_NUMBER = re.compile(r"layers\.(\d+)(?:\.|\*|$)")
_NOT_LINEAR = ("norm", "bias", ".gate", "router", "embed_tokens", "lm_head", "e_score_correction", "shared_expert_gate",
               "rotary", "embed_vision", "visual", "vision")
_MLP_WORDS = ("mlp", "block_sparse_moe", "feed_forward", "ffn")
_MLP_PROJ = re.compile(r"(down|gate|up|gate_up)_proj|\bw[123]\b|\(gate")
ATTENTION_PARTS = ("attention", "kv_proj", "attention_replicated")


def unquantized_layers(cfg: dict, layers: int, experts_under_mlp: bool = True) -> dict[str, set[int]]:
    """Layers of each part (attention, kv_proj, attention_replicated, mlp, experts) that a quantized checkpoint keeps
    unquantized, from its skip list: ``modules_to_not_convert`` (vLLM's AWQ, FP8, MXFP4, bitsandbytes configs),
    ``ignore`` (compressed-tensors), ``ignored_layers``, ModelOpt's ``exclude_modules``. A pattern over every layer
    (``model.layers.*.self_attn``, ``re:.*self_attn.*``) covers the part in all of them; ``model.layers.3.self_attn*``
    or ``model.layers.0*`` one layer; norms, biases, routers and the embeddings are not linear layers. A whole
    ``mlp`` covers the routed experts too where they live under it (DeepSeek, Qwen MoE), not where they are a
    block of their own (Gemma 4's ``experts`` beside its dense ``mlp``)."""
    names = cfg.get("modules_to_not_convert") or cfg.get("ignore") or cfg.get("ignored_layers") or \
        cfg.get("exclude_modules") or (cfg.get("quantization") or {}).get("exclude_modules") or []
    if not isinstance(names, list):
        return {}
    out: dict[str, set[int]] = {}
    every = set(range(layers))
    for raw in names:
        name = re.sub(r"(\.\*|\*|\$)+$", "", str(raw).removeprefix("re:").replace("\\.", "."))
        if any(word in name for word in _NOT_LINEAR):
            continue
        number = _LAYER_NUMBER.search(name)
        where = {int(number.group(1))} & every if number else every
        tail = name[number.end():] if number else name
        if "experts" in tail and "shared" not in tail:
            parts = ["experts"]
        elif "shared_expert" in tail:
            parts = ["mlp"]
        elif any(w in tail for w in _MLP_WORDS):
            parts = ["mlp"] if _MLP_PROJ.search(tail) or not experts_under_mlp else ["mlp", "experts"]
        elif any(w in tail for w in ("attn", "attention", "mixer", "linear_attn", "indexer")):
            parts = list(ATTENTION_PARTS)
        elif number and tail.strip(".*") == "":  # the whole layer
            parts = list(ATTENTION_PARTS) + ["mlp", "experts"]
        else:
            continue
        for part in parts:
            out.setdefault(part, set()).update(where)
    return out


def unquantized_share(cfg: dict, layers: int) -> dict[str, float]:
    """Share of each part's layers that a quantized checkpoint keeps unquantized (see unquantized_layers)."""
    kept = unquantized_layers(cfg, layers)
    return {part: min(1.0, len(idx) / max(layers, 1)) for part, idx in kept.items() if idx}


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


def _ct_symmetric(cfg):
    return all(w.get("symmetric", True) for w in _ct_groups(cfg))


def _ct_is_fp8(cfg):
    return any(str(w.get("type")) == "float" for w in _ct_groups(cfg))


def model_dtype_bytes(meta, dtype: str) -> int:
    if dtype not in ("auto", None):
        return DTYPE_BYTES.get(dtype, 2) or 2
    torch_dtype = str(meta.torch_dtype or "bfloat16").replace("torch.", "")
    size = DTYPE_BYTES.get(torch_dtype, 2) or 2
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


def _bytes_by_part(meta, s: Shapes, launch: Launch, layers, *, embed: bool, lm_head: bool, vision: bool,
                   marlin: bool, mtp: int = 0) -> dict[str, float]:
    """Bytes of each part over ``layers`` as the checkpoint stores them: quantized linear layers at the method's bytes
    per parameter, the layers its skip list names and the embeddings in the model's dtype, MXFP4 experts padded."""
    act = model_dtype_bytes(meta, launch.dtype)
    q_bytes, _ = _quant_bytes_per_param(meta, launch.quantization, launch.weight_bits)
    linear = q_bytes or act
    kept = unquantized_layers(meta.quant_config or {}, s.layers,
                              experts_under_mlp=not any(x.mlp == "dense+moe" for x in s.layer_list)) if q_bytes else {}
    tp, dp = max(1, launch.tensor_parallel), max(1, launch.data_parallel)
    pad = _mxfp4_padding(s, tp * dp, marlin) if s.experts and _quant_method(meta, launch.quantization) == "mxfp4" else 1.0
    out = {part: 0.0 for part in PARTS}
    for i in layers:
        for part, n in layer_params(s, s.layer_list[i]).items():
            out[part] += n * (act if i in kept.get(part, ()) else linear) * (pad if part == "experts" else 1.0)
    if mtp:
        for part, n in mtp_layer_params(s).items():
            out[part] += mtp * n * linear
    whole = component_params(s, range(0), embed=embed, lm_head=lm_head, vision=vision)
    for part in ("embed", "lm_head", "vision"):
        out[part] = whole[part] * act
    return out


def weights_per_gpu(meta, s: Shapes, launch: Launch, marlin: bool = False, stage: range | None = None,
                    first: bool = True, last: bool = True, draft_params: dict | None = None) -> tuple[float, float, str, str]:
    """(bytes on one GPU of the pipeline stage holding ``stage``'s layers, total bytes, basis, note).

    Sharding as vLLM shards it: embeddings and lm_head vocab-parallel over TP (the embedding on the first pipeline
    stage, lm_head on the last: both when tied), attention and dense MLPs over TP, KV projections replicated past
    the KV-head count, MLA down-projections, routers and the DSA indexer replicated, routed experts over TP × DP
    (FusedMoEParallelConfig.make flattens TP across DP, with or without expert parallel). ``draft_params``: the
    speculative-decoding drafter's parameters (MTP layers, an EAGLE head, a draft model) on this GPU."""
    layers = stage if stage is not None else range(len(s.layer_list))
    vision = not launch.language_model_only
    per_part = _bytes_by_part(meta, s, launch, layers, embed=first or s.tied and last, lm_head=last,
                              vision=vision and first, marlin=marlin)
    act_bytes = model_dtype_bytes(meta, launch.dtype)
    q_bytes, q_note = _quant_bytes_per_param(meta, launch.quantization, launch.weight_bits)
    if draft_params:
        for part, n in draft_params.items():
            per_part[part] = per_part.get(part, 0.0) + n * (act_bytes if part in ("embed", "lm_head") else q_bytes or act_bytes)
    exact = meta.weights.total_bytes if meta.weights is not None and meta.weights.total_bytes else None
    scale = 1.0
    if exact:  # the checkpoint holds every layer, its MTP layers and the vision tower, whatever this launch loads
        whole = _bytes_by_part(meta, s, launch, range(len(s.layer_list)), embed=True, lm_head=True, vision=True,
                               marlin=False, mtp=s.mtp_layers)
        scale = exact / sum(whole.values()) if sum(whole.values()) else 1.0
    basis = "exact" if exact else "config"
    tp, dp = max(1, launch.tensor_parallel), max(1, launch.data_parallel)
    kv_share = 1.0 / tp if s.kv_heads >= tp else 1.0 / s.kv_heads  # KV heads replicated past their count
    busiest = (
        (per_part["embed"] + per_part["lm_head"]) / tp
        + per_part["attention"] / tp + per_part["kv_proj"] * kv_share + per_part["attention_replicated"]
        + per_part["mlp"] / tp + per_part["experts"] / (tp * dp)
        + per_part["vision"] * (1.0 if launch.mm_encoder_tp_mode == "data" or tp == 1 else 1.0 / tp)
    ) * scale
    loaded = _bytes_by_part(meta, s, launch, range(len(s.layer_list)), embed=True, lm_head=True, vision=vision,
                            marlin=marlin)
    total = sum(loaded.values()) * scale
    note = f"{'checkpoint size' if exact else 'from config.json'}" + (f", {q_note}" if q_note else "")
    skipped = [what for what, yes in (("MTP layers", s.mtp_layers), ("vision tower", not vision and s.vision_params)) if yes]
    if exact and skipped:
        note += f"; the checkpoint's {' and '.join(skipped)} not loaded"
    return busiest, total, basis, note
