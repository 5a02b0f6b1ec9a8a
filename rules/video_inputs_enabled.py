"""Multimodal limits set for images, but video left enabled.

## What it does
Reports a ``--limit-mm-per-prompt`` that limits images but says nothing about video (neither in
JSON nor as ``--limit-mm-per-prompt.video``). vLLM then keeps its default limit for videos and
budgets memory for them when it profiles the encoder.

## Why is this bad?
Seed report 000 lists ``limit-mm-per-prompt.video`` as "Nombre max de vidéos par requête
(recommandé : 0)", and seed report 001 quotes vLLM's own Qwen3-VL recipe:
``--limit-mm-per-prompt.video 0``. A video-sized dummy input in the profiling run reserves memory
that the KV cache of an image-only service could have used.

## Example
```yaml
    command: --limit-mm-per-prompt '{"image": 3}'
```

## Fix
Disable what you do not serve: ``--limit-mm-per-prompt '{"image": 3, "video": 0}'``.
"""
CODE = "VLL205"
NAME = "video-inputs-enabled"
CATEGORY = "multimodal"
SEVERITY = "info"


def check(deployment, ctx):
    args = deployment.all("limit-mm-per-prompt")
    if not args:
        return
    limits = deployment.json_value("limit-mm-per-prompt")
    if not isinstance(limits, dict) or "image" not in limits or "video" in limits:
        return
    last = args[-1]
    yield ctx.finding(last.value_or_flag_span, "--limit-mm-per-prompt limits images but not video: vLLM still profiles "
                      "memory for video inputs", hint='add "video": 0 if the service takes no video')
