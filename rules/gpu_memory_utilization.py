"""``--gpu-memory-utilization`` outside (0, 1], or above 0.90.

## What it does
Reports a value vLLM rejects (not a number, ≤ 0 or > 1) as an error, and a value above
``warn-above`` (default 0.90) as a warning.

## Why is this bad?
The fraction is the budget vLLM gives itself for weights, activations and KV cache; the CUDA
context comes on top, and so do CUDA graphs up to vLLM 0.19 (from 0.20 vLLM profiles graph memory
and takes it out of the KV cache instead: ``knowledge/vllm/engine.yaml``). Seed report 004:
"vLLM utilise des CUDA Graphs, qui peuvent allouer de la mémoire GPU d'une manière qui n'est pas
directement contrôlée ou comptabilisée par le paramètre gpu-memory-utilization. En cas d'erreur
OOM, il est souvent recommandé de BAISSER la valeur" — the team had planned to raise it to 0.95
after an out-of-memory error, which makes it worse.

## Example
```yaml
    command: ["--gpu-memory-utilization", "0.95"]
```

## Fix
Stay at or below 0.90; on an out-of-memory error lower it (0.85, 0.80), or use ``--enforce-eager``,
or lower ``--max-model-len``.
"""
CODE = "VLL204"
NAME = "gpu-memory-utilization"
CATEGORY = "memory"
SEVERITY = "warning"
OPTIONS = {"warn-above": 0.90}


def check(deployment, ctx):
    arg = deployment.arg("gpu-memory-utilization")
    if arg is None or arg.value is None or arg.value == "":
        return
    try:
        value = float(arg.value)
    except ValueError:
        return  # not a number: invalid-value reports what the parser says
    span = arg.value_or_flag_span
    if not 0 < value <= 1:
        yield ctx.finding(span, f"--gpu-memory-utilization {arg.value} is outside (0, 1]: it is a fraction of each GPU's memory",
                          severity="error", hint="use a fraction such as 0.85")
    elif value > ctx.options["warn-above"]:
        outside = "the CUDA context and CUDA graphs, which are" if not _graphs_in_budget(ctx) else "the CUDA context, which is"
        yield ctx.finding(span, f"--gpu-memory-utilization {arg.value} leaves under {1 - value:.0%} of the GPU for {outside} "
                          "outside this budget; on out-of-memory lower it, do not raise it",
                          hint=f"use at most {ctx.options['warn-above']}")


def _graphs_in_budget(ctx):
    from vllm_lint.memory.budgeting import engine_for

    release = ctx.release
    return release is not None and bool(engine_for(release.version).get("cuda_graphs_in_budget"))
