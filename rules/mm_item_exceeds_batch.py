"""An image larger than the batch, with chunked multimodal input turned off.

## What it does
With ``--disable-chunked-mm-input`` and ``--max-num-batched-tokens`` given, computes how many tokens the model's
largest image takes, the way vLLM sizes its encoder budget, and compares. Qwen2-VL and Qwen2.5-VL
(``Qwen2VLProcessingInfo.get_max_image_tokens``, ``vllm/model_executor/models/qwen2_vl.py:956`` in 0.11.0): the
image processor's ``max_pixels`` (``--mm-processor-kwargs`` first, then ``preprocessor_config.json``) cut into
``patch_size × spatial_merge_size`` squares — 16384 tokens for Qwen2.5-VL's 12845056 pixels. Other
architectures, and launches with images turned off (``--limit-mm-per-prompt '{"image": 0}'``), are not judged.

## Why is this bad?
vLLM stops while building the scheduler: "Chunked MM input disabled but max_tokens_per_mm_item (16384) is larger
than max_num_batched_tokens (8192). Please increase max_num_batched_tokens."
(``compute_mm_encoder_budget``, ``vllm/v1/core/encoder_cache_manager.py:323`` in 0.11.0). Videos may need more
than images: the count reported is a lower bound.

## Example
```yaml
    command: ["--model", "Qwen/Qwen2.5-VL-7B-Instruct", "--disable-chunked-mm-input", "--max-num-batched-tokens", "8192"]
```

## Fix
Leave chunked multimodal input on, raise ``--max-num-batched-tokens`` to the image's tokens, or lower
``max_pixels`` in ``--mm-processor-kwargs``.
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
    qwen = facts["qwen2_vl_image_tokens"]
    version = ctx.release.name
    if batched is None or meta.model_type not in qwen["model_types"] or not holds(qwen, version):
        return
    limits = deployment.json_value("limit-mm-per-prompt")
    if isinstance(limits, dict) and limits.get("image") == 0:
        return
    tokens, pixels, whence = _qwen2_vl_image_tokens(meta, deployment)
    if tokens is None or tokens <= batched:
        return
    message = facts["item_too_large"]["message"].format(tokens=tokens, batched=batched)
    yield ctx.finding(batched_arg.value_or_flag_span, f"{meta.model_id}'s largest image takes {tokens} tokens "
                      f"(max_pixels {pixels} from {whence}) and chunked multimodal input is off: vLLM {version} stops "
                      f"with \"{message}\" ({source_in(facts['item_too_large']['source'], version)})",
                      hint=f"--max-num-batched-tokens {tokens} or more, remove --disable-chunked-mm-input, or a smaller "
                      "max_pixels in --mm-processor-kwargs")


def _qwen2_vl_image_tokens(meta, deployment) -> tuple[int | None, int | None, str]:
    vision = meta.vision_config or {}
    patch, merge = vision.get("patch_size"), vision.get("spatial_merge_size")
    if not isinstance(patch, int) or not isinstance(merge, int) or patch <= 0 or merge <= 0:
        return None, None, ""
    kwargs = deployment.json_value("mm-processor-kwargs")
    pre = meta.preprocessor or {}
    pixels, whence = None, ""
    if isinstance(kwargs, dict) and isinstance(kwargs.get("max_pixels"), int):
        pixels, whence = kwargs["max_pixels"], "--mm-processor-kwargs"
    elif isinstance(pre.get("max_pixels"), int):
        pixels, whence = pre["max_pixels"], "preprocessor_config.json"
    elif isinstance((pre.get("size") or {}).get("longest_edge"), int):
        pixels, whence = pre["size"]["longest_edge"], "preprocessor_config.json (size.longest_edge)"
    if pixels is None or pixels <= 0 or pixels > 10**12:
        return None, None, ""
    factor = patch * merge
    side = math.isqrt(pixels) // factor  # transformers' smart_resize on a huge square image, in factor units
    return max(1, side) ** 2, pixels, whence
