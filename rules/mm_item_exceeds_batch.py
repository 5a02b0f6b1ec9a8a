"""An image larger than the batch, with chunked multimodal input turned off.

## What it does
With ``--disable-chunked-mm-input`` and ``--max-num-batched-tokens`` given, computes how many tokens the model's
largest image takes, the way vLLM sizes its encoder budget, and compares. Qwen2-VL and Qwen2.5-VL
(``Qwen2VLProcessingInfo.get_max_image_tokens``, ``vllm/model_executor/models/qwen2_vl.py:956`` in 0.11.0): the
image processor's ``max_pixels`` (``--mm-processor-kwargs`` first, then ``preprocessor_config.json``) cut into
``patch_size × spatial_merge_size`` squares — 16384 tokens for Qwen2.5-VL's 12845056 pixels. Qwen3-VL (and its
MoE, from 0.11.0) and Qwen3.5 (and its MoE, from 0.17.0) keep that count (``Qwen3VLProcessingInfo`` and
``Qwen3_5ProcessingInfo`` subclass it, ``vllm/model_executor/models/qwen3_vl.py:586`` in 0.11.0,
``vllm/model_executor/models/qwen3_5.py:112`` in 0.17.0) with ``max_pixels`` = the image processor's
``size.longest_edge`` (``max_pixels`` or ``size`` in ``--mm-processor-kwargs`` first): 16384 tokens for Qwen3-VL's
16777216 pixels in squares of 32. Gemma 4 (from 0.20.0, ``Gemma4ProcessingInfo.get_mm_max_tokens_per_item``,
``vllm/model_executor/models/gemma4_mm.py:215`` in 0.20.0, ``:272`` in 0.33.0): an image is the vision tower's
``default_output_length`` soft tokens (280; from 0.21.0 ``max_soft_tokens`` in ``--mm-processor-kwargs`` when it
is 70, 140, 280, 560 or 1120), a video 32 frames × 78 = 2496 tokens (from 0.21.0 fewer with a ``num_frames`` in
``--limit-mm-per-prompt``); the largest of the modalities left on counts, so Gemma 4 with videos on needs 2496.
Other architectures, and launches with images (for Gemma 4: images and videos) turned off
(``--limit-mm-per-prompt '{"image": 0}'``), are not judged.

## Why is this bad?
vLLM stops while building the scheduler: "Chunked MM input disabled but max_tokens_per_mm_item (16384) is larger
than max_num_batched_tokens (8192). Please increase max_num_batched_tokens."
(``compute_mm_encoder_budget``, ``vllm/v1/core/encoder_cache_manager.py:323`` in 0.11.0). Videos may need more
than images: the count reported is a lower bound.

## Example
```yaml
    command: ["--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--disable-chunked-mm-input", "--max-num-batched-tokens", "8192"]
    # or vllm/vllm-openai:v0.33.0 with google/gemma-4-26B-A4B and 2048: a video takes 2496
```

## Fix
Leave chunked multimodal input on, raise ``--max-num-batched-tokens`` to the item's tokens, or lower
``max_pixels`` (Qwen) / ``max_soft_tokens`` (Gemma 4) in ``--mm-processor-kwargs``, or for Gemma 4 fewer video
frames (``--limit-mm-per-prompt '{"video": {"count": 1, "num_frames": 8}}'``) or videos off.
"""
import math

from vllm_lint.memory.inputs import human_int
from vllm_lint.vllm.startup_checks import data, holds, source_in

CODE = "VLL315"
NAME = "mm-item-exceeds-batch"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release", "model")


def check(deployment, ctx):
    if not deployment.flag_set("disable-chunked-mm-input"):
        return
    batched_arg = deployment.arg("max-num-batched-tokens")
    if batched_arg is None or not batched_arg.value or any(v.value is None for v in batched_arg.variables):
        return
    batched = human_int(batched_arg.value)
    meta = ctx.model
    facts = data()["multimodal"]
    version = ctx.release.name
    family = _family(meta.model_type, version)
    if batched is None or family is None:
        return
    limits = deployment.json_value("limit-mm-per-prompt")
    limits = limits if isinstance(limits, dict) else {}
    if family[0] == "gemma4":
        found = _gemma4_tokens(meta, deployment, limits, family[2])
        if found is None:
            return
        tokens, what, how, hint = found
    else:
        if _count(limits.get("image")) == 0:
            return
        tokens, pixels, whence = _qwen2_vl_image_tokens(meta, deployment, qwen3=family[0] == "qwen3")
        what, how = "image", f"max_pixels {pixels} from {whence}"
        hint = "a smaller max_pixels in --mm-processor-kwargs"
    if tokens is None or tokens <= batched:
        return
    message = facts["item_too_large"]["message"].format(tokens=tokens, batched=batched)
    yield ctx.finding(batched_arg.value_or_flag_span, f"{meta.model_id}'s largest {what} takes {tokens} tokens "
                      f"({how}, counted as {source_in(family[1], version)} does) and "
                      f"chunked multimodal input is off: vLLM {version} stops "
                      f"with \"{message}\" ({source_in(facts['item_too_large']['source'], version)})",
                      hint=f"--max-num-batched-tokens {tokens} or more, remove --disable-chunked-mm-input, or {hint}")


def _count(limit) -> int | None:
    """The item count of one --limit-mm-per-prompt value: a number, or {"count": n, ...}; None when not given."""
    if isinstance(limit, dict):
        limit = limit.get("count")
    return _int(limit)


def _gemma4_tokens(meta, deployment, limits: dict, entry: dict):
    """(tokens, "image"/"video", how counted, hint) of Gemma 4's largest item, or None when no modality is on."""
    vision = meta.vision_config or {}
    items = {}
    if _count(limits.get("image")) != 0:
        image, how = _int(vision.get("default_output_length")), "vision_config.default_output_length"
        kwargs = deployment.json_value("mm-processor-kwargs")
        kwargs = kwargs if isinstance(kwargs, dict) else {}
        scoped = kwargs.get("images_kwargs") if isinstance(kwargs.get("images_kwargs"), dict) else {}
        asked = kwargs.get("max_soft_tokens", scoped.get("max_soft_tokens"))
        if entry["options"] and _int(asked) in entry["supported_soft_tokens"]:
            image, how = asked, "max_soft_tokens in --mm-processor-kwargs"
        if image is not None:
            items["image"] = (image, f"{how} {image}", "a smaller max_soft_tokens in --mm-processor-kwargs")
    video = limits.get("video")
    if _count(video) != 0:
        frames = entry["video_max_frames"]
        asked = _int(video.get("num_frames")) if isinstance(video, dict) else None
        if entry["options"] and asked is not None and asked > 0:
            frames = min(frames, asked)
        items["video"] = (frames * entry["video_frame_tokens"], f"{frames} frames × {entry['video_frame_tokens']}",
                          'fewer frames (--limit-mm-per-prompt \'{"video": {"count": 1, "num_frames": 8}}\') or '
                          'videos off (\'{"video": 0}\')' if entry["options"] else "videos off "
                          "(--limit-mm-per-prompt '{\"video\": 0}')")
    if not items:
        return None
    what = max(items, key=lambda k: items[k][0])
    tokens, how, hint = items[what]
    return tokens, what, how, hint


def _family(model_type: str | None, version: str) -> tuple | None:
    """("qwen2", "qwen3" or "gemma4", the source of its count[, its entry]) when the release counts this model type's
    item tokens so."""
    facts = data()["multimodal"]
    qwen2 = facts["qwen2_vl_image_tokens"]
    if model_type in qwen2["model_types"] and holds(qwen2, version):
        return "qwen2", qwen2["source"]
    for entry in facts["qwen3_vl_image_tokens"]:
        if model_type in entry["model_types"] and holds(entry, version):
            return "qwen3", entry["source"]
    for entry in facts["gemma4_tokens"]:
        if model_type in entry["model_types"] and holds(entry, version):
            return "gemma4", entry["source"], entry
    return None


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _qwen2_vl_image_tokens(meta, deployment, qwen3: bool = False) -> tuple[int | None, int | None, str]:
    vision = meta.vision_config or {}
    patch, merge = _int(vision.get("patch_size")), _int(vision.get("spatial_merge_size"))
    if patch is None or merge is None or patch <= 0 or merge <= 0:
        return None, None, ""
    kwargs = deployment.json_value("mm-processor-kwargs")
    kwargs = kwargs if isinstance(kwargs, dict) else {}
    pre = meta.preprocessor or {}
    size = pre.get("size") if isinstance(pre.get("size"), dict) else {}
    kw_size = kwargs.get("size") if isinstance(kwargs.get("size"), dict) else {}
    pixels, whence = None, ""
    if _int(kwargs.get("max_pixels")) is not None:
        pixels, whence = kwargs["max_pixels"], "--mm-processor-kwargs"
    elif qwen3 and _int(kw_size.get("longest_edge")) is not None:
        pixels, whence = kw_size["longest_edge"], "--mm-processor-kwargs (size.longest_edge)"
    elif not qwen3 and _int(pre.get("max_pixels")) is not None:
        pixels, whence = pre["max_pixels"], "preprocessor_config.json"
    elif _int(size.get("longest_edge")) is not None:
        pixels, whence = size["longest_edge"], "preprocessor_config.json (size.longest_edge)"
    if pixels is None or pixels <= 0 or pixels > 10**12:
        return None, None, ""
    factor = patch * merge
    side = math.isqrt(pixels) // factor  # transformers' smart_resize on a huge square image, in factor units
    return max(1, side) ** 2, pixels, whence
