"""The model's weights alone do not fit in the memory vLLM may use on a GPU.

## What it does
Estimates the weights each GPU holds — the checkpoint's exact size from its safetensors metadata
when known, else computed from ``config.json`` and the quantization method — split the way vLLM
shards them across ``--tensor-parallel-size`` and ``--pipeline-parallel-size`` (KV projections
replicated when tensor parallel exceeds the KV heads, the vision encoder replicated under
``--mm-encoder-tp-mode data``), and compares them with the budget: GPU memory ×
``--gpu-memory-utilization``. Needs the GPU (``hardware:`` in the configuration, ``--gpu``, or a
Kubernetes ``nodeSelector`` on ``nvidia.com/gpu.product``) and the model's metadata.

## Why is this bad?
vLLM loads the weights before it measures anything: the launch dies with CUDA out of memory while
loading, or with "No available memory for the cache blocks" right after. Seed report 001 planned a
32B model on 24 GB cards from an estimate of "22-24 GB"; report 002 then saw 19 GB per GPU go
before the KV cache was even allocated.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-VL-32B-Instruct", "--gpu-memory-utilization", "0.9"]
    # on one RTX 4090 (24 GiB): 64 GiB of bf16 weights
```

## Fix
More tensor parallelism (``--tensor-parallel-size`` over more GPUs), a quantized checkpoint (AWQ,
GPTQ, FP8), or a larger GPU.
"""
from vllm_lint.memory.text import gib, model_label

CODE = "VLL401"
NAME = "weights-exceed-budget"
CATEGORY = "memory"
SEVERITY = "error"
NEEDS = ("gpu", "estimate")


def check(deployment, ctx):
    est = ctx.feasibility.estimate
    over = [g for g in est.gpus if g.weights.bytes >= g.budget.bytes]
    if not over:
        return
    g = max(over, key=lambda x: x.weights.bytes - x.budget.bytes)
    span = _span(deployment)
    tp = est.launch.tensor_parallel
    yield ctx.finding(span, f"{model_label(est)}: {gib(g.weights.bytes)} of weights per GPU ({g.weights.basis}, {g.weights.note}"
                      f"{f', tensor parallel {tp}' if tp > 1 else ''}) exceed the {gib(g.budget.bytes)} vLLM may use on "
                      f"{g.gpu.name} ({g.budget.note})",
                      hint="more tensor parallelism, a quantized checkpoint, or a larger GPU")


def _span(d):
    for name in ("gpu-memory-utilization", "tensor-parallel-size", "model"):
        arg = d.arg(name)
        if arg is not None:
            return arg.value_or_flag_span
    return d.span
