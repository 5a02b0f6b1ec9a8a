"""A ``--dtype`` that the GPU or the model type does not support.

## What it does
With the pinned release's checks (``knowledge/vllm/startup_checks.yaml``, read from vLLM's source):

- ``--dtype bfloat16`` on a GPU of compute capability below 8.0 (T4, V100, RTX 20xx) for a model type that
  refuses float16 too, where the way out advisory VLLA-2026-0024 (VLL501) gives, ``--dtype half``, fails as
  well (the plain case is the advisory's): vLLM stops with
  "Bfloat16 is only supported on GPUs with compute capability of at least 8.0. Your Tesla T4 GPU has compute
  capability 7.5. You can use float16 instead by explicitly setting the `dtype` flag in CLI, for example:
  --dtype=half." (``CudaPlatform.check_if_supports_dtype``, ``vllm/platforms/cuda.py`` 0.11.0; the worker's
  ``_check_if_gpu_supports_dtype`` in 0.9.2) — error;
- ``--dtype half`` / ``float16`` on a model type vLLM refuses it for (``_FLOAT16_NOT_SUPPORTED_MODELS``:
  Gemma 2 and 3, GLM-4, PLaMo 2): "The model type 'gemma2' does not support float16. Reason: Numerical
  instability. Please use bfloat16 or float32 instead." (``vllm/config/model.py``) — error, on any GPU;
- ``--dtype auto`` (the default) on a bfloat16 checkpoint below compute capability 8.0: up to 0.8.5.post1 vLLM
  keeps bfloat16 and stops as above (error; the fix writes ``--dtype half``); from 0.9.0 it falls back
  (``_resolve_auto_dtype``: "Your device ... doesn't support torch.bfloat16. Falling back to torch.float16 for
  compatibility."): to float16 (info: a bfloat16 model cast to float16 can overflow), or to float32 for the
  model types that refuse float16 (warning: the weights take twice the memory).

A release outside the ranges read is not judged; the run's notes say so.

## Why is this bad?
The errors stop vLLM before the model loads, in a restart loop; the fallbacks start a model in a precision it
was not trained in, or at twice its size.

## Example
```yaml
    image: vllm/vllm-openai:v0.8.5.post1
    command: ["--model", "Qwen/Qwen3-8B"]   # bfloat16 checkpoint, --dtype auto; with hardware: t4
```

## Fix
``--dtype half`` on a GPU without bfloat16 where the model type accepts float16; ``float32`` or a GPU of compute
capability 8.0 or more for the model types that refuse float16.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.fixes.insert import add_args
from vllm_lint.rules._dtype import dtype_of, gpus_without_bfloat16
from vllm_lint.vllm.startup_checks import data, fact, float16_refusal, source_in

CODE = "VLL311"
NAME = "dtype-unsupported"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release",)

_HALF = ("half", "float16")
_BF16 = ("bfloat16", "bf16")


def check(deployment, ctx):
    arg, dtype = dtype_of(deployment)
    if dtype is None:
        return
    version = ctx.release.name
    meta = ctx.model
    model_type = meta.model_type if meta is not None else None
    refusal = float16_refusal(model_type, version)
    span = arg.value_or_flag_span if arg is not None else (
        deployment.model_arg.value_or_flag_span if deployment.model_arg is not None else deployment.span)
    if dtype in _HALF and refusal is not None:
        message = data()["float16_refused"]["message"].format(model_type=model_type, reason=refusal["reason"])
        yield ctx.finding(span, f"--dtype {dtype} on {meta.model_id}: vLLM {version} stops with \"{message}\" "
                          f"({source_in(refusal['source'], version)})", hint="--dtype bfloat16 on a GPU of compute capability 8.0 or more, "
                          "else --dtype float32")
        return
    if dtype not in _BF16 and dtype != "auto":
        return
    _, old = gpus_without_bfloat16(deployment, ctx)
    if not old:
        return
    gpu = old[0]
    checkpoint_bf16 = meta is not None and meta.torch_dtype == "bfloat16"
    kept = dtype == "auto" and checkpoint_bf16 and fact(data()["bfloat16"]["auto_kept"], version) is not None
    if dtype in _BF16 and refusal is None:
        return  # advisory VLLA-2026-0024 (VLL501) reports it, with --dtype half as the way out
    if dtype in _BF16 or kept:
        refused = fact(data()["bfloat16"]["refused"], version)
        if refused is None:
            ctx.skip(f"vLLM {version}'s bfloat16 check is not read (knowledge/vllm/startup_checks.yaml)")
            return
        message = data()["bfloat16"]["message"].format(gpu=gpu.name, capability=f"{gpu.compute_capability:.1f}")
        fix = None
        if refusal is not None:
            hint = (f"--dtype float32: the model type {model_type} refuses float16 too (\"{refusal['reason']}\"); or a "
                    "GPU of compute capability 8.0 or more")
        else:
            hint = "--dtype half"
            edits = replace_value(arg, "half") if arg is not None else add_args(
                deployment, ["--dtype", "half"], ctx.source(deployment.path))
            fix = Fix("use --dtype half", edits, safe=False) if edits else None
        what = f"--dtype {dtype}" if arg is not None and not kept else f"{meta.model_id} is bfloat16 and --dtype auto keeps it"
        yield ctx.finding(span, f"{what} on {gpu.name}: vLLM {version} stops with \"{message}\" "
                          f"({source_in(refused['source'], version)})", hint=hint, fix=fix)
        return
    if dtype != "auto" or not checkpoint_bf16:
        return
    fallback = fact(data()["bfloat16"]["auto_fallback"], version)
    if fallback is None:
        ctx.skip(f"what vLLM {version} does with --dtype auto on a GPU without bfloat16 is not read")
        return
    if refusal is not None:
        yield ctx.finding(span, f"{meta.model_id} is bfloat16 and {gpu.name} (compute capability "
                          f"{gpu.compute_capability:g}) has no bfloat16; its model type {model_type} refuses float16, so "
                          f"vLLM {version} falls back to float32: the weights take twice the memory",
                          severity="warning", hint="a GPU of compute capability 8.0 or more")
        return
    yield ctx.finding(span, f"{meta.model_id} is bfloat16 and {gpu.name} (compute capability {gpu.compute_capability:g}) "
                      f"has no bfloat16: vLLM {version} falls back to float16 (\"Falling back to torch.float16 for "
                      "compatibility\"), whose narrower range can overflow on some prompts", severity="info",
                      hint="--dtype half says so in the configuration; a GPU of compute capability 8.0 or more keeps bfloat16")

