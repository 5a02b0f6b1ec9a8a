"""The model's architecture is not served by the pinned vLLM release.

## What it does
Looks up the ``architectures`` of the model's ``config.json`` in
``knowledge/vllm/architectures.yaml`` — generated from the model registry
(``vllm/model_executor/models/registry.py``) of every covered release — and reports an
architecture that the pinned release does not have yet (with the first release that does) or no
longer has. An architecture no covered release knows is left alone: vLLM may still serve it through
its Transformers backend or a plugin.

## Why is this bad?
vLLM stops before loading anything: "Model architectures ['Qwen3VLForConditionalGeneration'] are
not supported for now." Seed report 002's log shows vLLM 0.6.4.post1 serving
``Qwen3VLForConditionalGeneration``, which no release before 0.11.0 has: that log cannot be what
ran.

## Example
```yaml
    image: vllm/vllm-openai:v0.9.2
    command: ["--model", "Qwen/Qwen3-VL-32B-Instruct-FP8"]
```

## Fix
Pin a release that serves the architecture (the message names the first one).
"""
from packaging.version import Version

from vllm_lint.vllm.support import architecture, in_range

CODE = "VLL305"
NAME = "architecture-unsupported"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release", "model")


def check(deployment, ctx):
    meta = ctx.model
    version = ctx.release.version
    for name in meta.architectures:
        entry = architecture(name)
        if entry is None:
            continue
        if in_range(version, entry):
            continue
        span = deployment.image_span or (deployment.model_arg.value_or_flag_span if deployment.model_arg else deployment.span)
        if deployment.version is None and deployment.model_arg is not None:
            span = deployment.model_arg.value_or_flag_span
        assumed = "" if deployment.version else " (assumed: the image pins no release)"
        if entry.get("until") and Version(version) >= Version(str(entry["until"])):
            message = f"vLLM {version}{assumed} no longer serves {name} ({meta.model_id}): removed in {entry['until']}"
            hint = f"pin a release before {entry['until']}"
        else:
            message = f"vLLM {version}{assumed} does not serve {name} ({meta.model_id}): first served in vLLM {entry['since']}"
            hint = f"pin vLLM {entry['since']} or later"
        yield ctx.finding(span, message + f"; it stops with \"Model architectures ['{name}'] are not supported for now\"",
                          hint=hint)
