"""The checkpoint's quantization does not run on the GPU it is placed on, or runs degraded.

## What it does
With the GPU known (``hardware:``, ``--gpu``, a Kubernetes ``nodeSelector``) and the checkpoint's
method read from its ``config.json``, compares the GPU's compute capability with what the pinned
release needs (``knowledge/vllm/quantization.yaml``, from each method's
``get_min_capability`` and ``Fp8LinearMethod``):

- below the method's minimum: error, as vLLM refuses to start;
- FP8 below compute capability 8.9 (no FP8 tensor cores): vLLM runs the weights through FP8
  Marlin as W8A16 — block-wise FP8 checkpoints (``weight_block_size``) only from vLLM 0.9.0;
  before that, error; from then on, info (same memory, slower compute);
- AWQ/GPTQ below the Marlin kernels' minimum: the plain kernels are used (info), or nothing (error).

## Why is this bad?
"The quantization method fp8 is not supported for the current GPU. Minimum capability: 80.
Current capability: 75." Seed report 004: "Ils fonctionnent nativement en w8a8 sur des GPUs avec
une capacité de calcul supérieure à 8.9 ... Depuis vLLM v0.9.0, ils sont également supportés sur les
cartes Ampere ... grâce à FP8 Marlin, qui opère en w8a16."

## Example
```yaml
    image: vllm/vllm-openai:v0.8.5
    command: ["--model", "Qwen/Qwen3-1.7B-FP8"]   # with hardware: rtx-3090 (compute capability 8.6)
```

## Fix
A GPU with the capability, a release that supports the method on this GPU, or another checkpoint
(AWQ/GPTQ on Ampere and older).
"""
from vllm_lint.memory.feasibility import gpus_of
from vllm_lint.vllm.support import fp8_marlin, fp8_marlin_block_wise_since, min_capability, min_capability_message

CODE = "VLL303"
NAME = "quantization-gpu"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release", "model", "gpu")

_MARLIN = {"awq": "awq_marlin", "gptq": "gptq_marlin"}


def check(deployment, ctx):
    meta = ctx.model
    method = (deployment.value("quantization") or meta.quant_method or "").lower()
    if not method:
        return
    version = ctx.release.version
    gpus, _ = gpus_of(deployment, ctx.project.inventory)
    cards = {g.id: g for _, g in gpus if g.compute_capability is not None}
    span = deployment.model_arg.value_or_flag_span if deployment.model_arg is not None else deployment.span
    for gpu in cards.values():
        current = int(round(gpu.compute_capability * 10))
        checked = _MARLIN.get(method, method)
        needed = min_capability(checked, version)
        if needed is not None and current < needed[0] and checked != method:
            plain = min_capability(method, version)
            if plain is not None and current >= plain[0]:
                yield ctx.finding(span, f"{gpu.name} (compute capability {gpu.compute_capability:g}) is below the "
                                  f"{checked} kernels' {needed[0] / 10:g}: vLLM {version} falls back to the slower {method} kernels",
                                  severity="info", hint="a GPU with compute capability 8.0 or more runs the Marlin kernels")
                continue
            needed = plain or needed
        if needed is not None and current < needed[0]:
            yield ctx.finding(span, f"{meta.model_id} is a {method} checkpoint and {gpu.name} has compute capability "
                              f"{gpu.compute_capability:g}: vLLM {version} stops with \"{min_capability_message(method, needed[0], current)}\"",
                              hint="another GPU, or a checkpoint quantized for this one")
            continue
        if method == "fp8" and current < 89:
            block = bool((meta.quant_config or {}).get("weight_block_size"))
            marlin = fp8_marlin(version) or {}
            if not marlin.get("block_wise" if block else "per_tensor"):
                since = fp8_marlin_block_wise_since() if block else None
                yield ctx.finding(span, f"{meta.model_id} is a {'block-wise ' if block else ''}FP8 checkpoint and {gpu.name} "
                                  f"has no FP8 tensor cores (compute capability {gpu.compute_capability:g}): vLLM {version} "
                                  f"does not run it through FP8 Marlin (W8A16)"
                                  + (f"; block-wise FP8 goes through Marlin from vLLM {since}" if since else ""),
                                  hint=(f"pin vLLM {since} or later, " if since else "") + "or use an AWQ/GPTQ checkpoint")
            else:
                yield ctx.finding(span, f"{gpu.name} has no FP8 tensor cores (compute capability {gpu.compute_capability:g}): "
                                  f"vLLM runs {meta.model_id} weight-only (W8A16, FP8 Marlin) — FP8's memory, not its speed",
                                  severity="info", hint="an AWQ/GPTQ checkpoint is usually faster on this GPU")
