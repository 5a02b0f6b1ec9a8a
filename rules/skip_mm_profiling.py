"""``--skip-mm-profiling`` is set.

## What it does
Reports the flag that makes vLLM skip the multimodal encoder in its start-up memory profiling.

## Why is this bad?
vLLM sizes the KV cache from what the profiling run used; without the encoder in it, the memory
the vision encoder needs at the first large image was handed to the KV cache, and the first heavy
request runs out of memory instead of the start-up. Seed report 000 recommended it as "Bypass
profiling vision encoder (économie mémoire)" and seed report 003 shipped it on a 24 GB card
running a 32B vision model: the saving is borrowed from the first request.

## Example
```yaml
    command: --skip-mm-profiling
```

## Fix
Remove the flag; bound the encoder instead with ``--limit-mm-per-prompt`` and
``--mm-processor-kwargs '{"max_pixels": ...}'``.
"""
CODE = "VLL206"
NAME = "skip-mm-profiling"
CATEGORY = "multimodal"
SEVERITY = "warning"


def check(deployment, ctx):
    if deployment.flag_set("skip-mm-profiling"):
        arg = deployment.arg("skip-mm-profiling")
        yield ctx.finding(arg.flag_span, "--skip-mm-profiling leaves the vision encoder's memory out of the start-up "
                          "budget: the KV cache takes it, and the first large image can run out of memory",
                          hint="remove it; limit images with --limit-mm-per-prompt and max_pixels instead")
