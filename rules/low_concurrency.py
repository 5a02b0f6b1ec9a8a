"""The KV cache holds fewer than ``min-concurrency`` full-length sequences.

## What it does
Computes the launch's KV capacity as vLLM will (see ``kv-cache-too-small``) and the maximum
concurrency vLLM prints at start-up, "Maximum concurrency for N tokens per request: Cx" — the KV
blocks divided by the blocks of one ``--max-model-len`` sequence — and warns below
``min-concurrency`` (default 2).

## Why is this bad?
The launch starts, but two long requests at once already queue or preempt each other: latency
grows with load although the GPUs look idle. Seed report 002 validated its deployment on
"Maximum concurrency for 8192 tokens per request: 5.62x" and on the KV cache left (9.20 GiB per
GPU), not on total VRAM.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-32B-AWQ", "--max-model-len", "131072"]   # on one RTX 4090
```

## Fix
A shorter ``--max-model-len`` (concurrency grows in proportion), ``--kv-cache-dtype fp8`` (doubles
it), or more GPUs. Raise ``min-concurrency`` for a service that must serve many users at full length.
"""
from vllm_lint.memory.text import gib, model_label

CODE = "VLL403"
NAME = "low-concurrency"
CATEGORY = "memory"
SEVERITY = "warning"
NEEDS = ("gpu", "estimate")
OPTIONS = {"min-concurrency": 2.0}


def check(deployment, ctx):
    est = ctx.feasibility.estimate
    minimum = float(ctx.options["min-concurrency"])
    if est.max_concurrency < 1 or est.max_concurrency >= minimum:
        return  # too small at all: kv-cache-too-small says it
    arg = deployment.arg("max-model-len")
    span = arg.value_or_flag_span if arg is not None else (deployment.model_arg.value_or_flag_span
                                                           if deployment.model_arg is not None else deployment.span)
    worst = min(est.gpus, key=lambda g: g.kv_cache.bytes)
    yield ctx.finding(span, f"{model_label(est)}: the KV cache ({gib(worst.kv_cache.bytes)} per GPU, {est.kv_cache_tokens:,} tokens) "
                      f"holds {est.max_concurrency:.2f} sequences of {est.max_model_len:,} tokens (below {minimum:g}): "
                      f"\"Maximum concurrency for {est.max_model_len:,} tokens per request: {est.max_concurrency:.2f}x\"",
                      hint="a shorter --max-model-len" + ("" if est.launch.kv_cache_dtype.startswith("fp8") else
                                                          ", --kv-cache-dtype fp8") + ", or more GPUs")
