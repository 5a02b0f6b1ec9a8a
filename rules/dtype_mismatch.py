"""``--dtype`` that the checkpoint's quantization refuses, or that casts a bfloat16 model to float16.

## What it does
Compares ``--dtype`` with the checkpoint:

- with ``--quantization awq`` or ``gptq`` (the plain kernels), only ``float16``/``half`` is
  accepted: their ``get_supported_act_dtypes`` is ``[torch.half]``; ``awq_marlin``,
  ``gptq_marlin`` and ``fp8`` also take ``bfloat16`` (``vllm/model_executor/layers/quantization``, 0.11.0);
- ``half``/``float16`` on a model trained in bfloat16 (its ``torch_dtype``): vLLM casts with only a
  log line, "Casting torch.bfloat16 to torch.float16", and activations outside float16's range
  overflow to inf/NaN. Not reported when every GPU of the launch lacks bfloat16 (compute capability below 8.0:
  T4, V100): there ``half`` is what vLLM's own bfloat16 error tells the user to write ("You can use float16
  instead"), and the only other choices are float32 (twice the memory) or another GPU.

## Why is this bad?
The first stops vLLM: "torch.bfloat16 is not supported for quantization method awq. Supported
dtypes: [torch.float16]" (``vllm/config/__init__.py``). The second starts, and degrades output on
some prompts. Seed report 003 sets ``--dtype ${DTYPE_MEDIUM_VL:-half}`` on
``Qwen/Qwen3-VL-32B-Instruct-FP8``, a bfloat16 model.

## Example
```yaml
    command: >
      --model Qwen/Qwen3-VL-32B-Instruct-FP8
      --dtype half
```

## Fix
Remove ``--dtype`` (``auto`` takes the checkpoint's dtype, and float16 for AWQ/GPTQ), or give the
dtype the kernel supports.
"""
from vllm_lint.rules._dtype import dtype_of, gpus_without_bfloat16

CODE = "VLL304"
NAME = "dtype-mismatch"
CATEGORY = "model"
SEVERITY = "warning"
NEEDS = ("model",)

_HALF = ("half", "float16")
_HALF_ONLY_KERNELS = ("awq", "gptq")


def check(deployment, ctx):
    arg, dtype = dtype_of(deployment)
    if arg is None or dtype is None:
        return
    quant = (deployment.value("quantization") or "").strip().lower()
    meta = ctx.model
    if quant in _HALF_ONLY_KERNELS and dtype in ("bfloat16", "float32", "float"):
        name = "torch.bfloat16" if dtype == "bfloat16" else "torch.float32"
        yield ctx.finding(arg.value_or_flag_span, f"--dtype {dtype} with --quantization {quant}: vLLM stops with \"{name} is "
                          f"not supported for quantization method {quant}. Supported dtypes: [torch.float16]\"",
                          severity="error", hint=f"--dtype half, or --quantization {quant}_marlin which takes bfloat16")
        return
    trained = meta.torch_dtype
    if dtype in _HALF and trained == "bfloat16" and not _no_bfloat16(deployment, ctx):
        yield ctx.finding(arg.value_or_flag_span, f"--dtype {dtype} on {meta.model_id}, trained in bfloat16: vLLM casts "
                          "it to float16, whose narrower range can overflow to inf/NaN on some prompts",
                          hint="remove --dtype (auto keeps bfloat16)")


def _no_bfloat16(deployment, ctx) -> bool:
    """Every GPU of the launch is known and has no bfloat16 (compute capability below 8.0: T4, V100): there
    float16 is vLLM's own way out ("You can use float16 instead"), not a mistake."""
    gpus, old = gpus_without_bfloat16(deployment, ctx)
    return bool(gpus) and len(old) == len(gpus)
