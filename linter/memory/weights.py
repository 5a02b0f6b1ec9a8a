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
from vllm_lint.memory.shapes import DTYPE_BYTES, Shapes, component_params


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

