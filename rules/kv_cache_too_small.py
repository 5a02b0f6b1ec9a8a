"""The KV cache left after weights and activations cannot hold one ``--max-model-len`` sequence.

## What it does
Follows vLLM's start-up: budget = GPU memory × ``--gpu-memory-utilization``; the KV cache gets the
budget minus the weights, the peak activations of the profile run and non-torch memory (and, from
vLLM 0.20, CUDA graph memory). It is cut into blocks of 16 tokens × every layer's K and V
(``--kv-cache-dtype fp8`` halves them); vLLM takes the smallest block count of all GPUs. If one
sequence of ``--max-model-len`` tokens (the model's own context when the flag is not given) needs
more blocks than that, vLLM refuses to start. The arithmetic and message are those of
``check_enough_kv_cache_memory`` and ``estimate_max_model_len`` in ``vllm/v1/core/kv_cache_utils.py``.

## Why is this bad?
vLLM stops with "To serve at least one request with the models's max seq len (X), (Y GiB KV cache
is needed, which is larger than the available KV cache memory (Z GiB)". Seed report 002: the
32B FP8 model on two 24 GB GPUs had "aucune marge pour le KV cache, qui nécessite plusieurs GB
pour un contexte de 128k tokens".

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-VL-32B-Instruct-FP8", "--tensor-parallel-size", "2",
              "--max-model-len", "131072"]   # on two RTX 4090
```

## Fix
Lower ``--max-model-len`` to what fits (``--fix --unsafe-fixes`` does, rounded down to a multiple
of 1024, when the estimate rests on the model's own metadata), use ``--kv-cache-dtype fp8``, raise ``--gpu-memory-utilization`` if the GPU is not
shared, or spread the model over more GPUs.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.memory.text import breakdown, gib, model_label

CODE = "VLL402"
NAME = "kv-cache-too-small"
CATEGORY = "memory"
SEVERITY = "error"
NEEDS = ("gpu", "estimate")
OPTIONS = {"round-to": 1024}


def check(deployment, ctx):
    est = ctx.feasibility.estimate
    if est.max_concurrency >= 1:  # one max_model_len request's blocks fit (tokens are not blocks for hybrids)
        return
    worst = min(est.gpus, key=lambda g: g.kv_cache.bytes)
    if worst.weights.bytes >= worst.budget.bytes:
        return  # weights-exceed-budget says it
    needed = est.kv_bytes_per_request  # vLLM's check: the request's pages in every KV-cache group
    arg = deployment.arg("max-model-len")
    span = arg.value_or_flag_span if arg is not None else (deployment.model_arg.value_or_flag_span
                                                           if deployment.model_arg is not None else deployment.span)
    step = int(ctx.options["round-to"])
    fits = est.max_model_len_that_fits // step * step if est.max_model_len_that_fits >= step else est.max_model_len_that_fits
    fix = None
    if arg is not None and fits > 0 and not est.stand_in:  # no edit on shapes assumed from a base model
        edits = replace_value(arg, str(fits))
        fix = Fix(f"lower --max-model-len to {fits}", edits, safe=False) if edits else None
    length = f"max seq len ({est.max_model_len})" + ("" if arg is not None else ", the model's own as --max-model-len is not given")
    ways = [f"--max-model-len {fits}" if fits > 0 else None,
            "--kv-cache-dtype fp8" if not est.launch.kv_cache_dtype.startswith("fp8") else None,
            f"--gpu-memory-utilization {est.gpu_memory_utilization_needed}" if est.gpu_memory_utilization_needed else None,
            "more tensor parallelism"]
    yield ctx.finding(span, f"{model_label(est)}: to serve one request at the {length}, {gib(needed)} of KV cache is needed, "
                      f"more than the {gib(worst.kv_cache.bytes)} left ({breakdown(worst)}; ±{est.uncertainty:.0%})",
                      hint="; or ".join(w for w in ways if w), fix=fix)
