"""The Hugging Face token is passed as ``HUGGING_FACE_HUB_TOKEN`` instead of ``HF_TOKEN``.

## What it does
Reports ``HUGGING_FACE_HUB_TOKEN`` in a launch's environment. ``huggingface_hub`` reads
``HF_TOKEN`` first and keeps ``HUGGING_FACE_HUB_TOKEN`` only "for backward compatibility"
(``huggingface_hub/utils/_auth.py``, ``_get_token_from_environment``, up to 2.4.0).

## Why is this bad?
Seed reports 003 and 004 set ``HUGGING_FACE_HUB_TOKEN=${HUGGING_FACE_HUB_TOKEN}`` in every
profile. It works today through the fallback, but a stray ``HF_TOKEN`` in the environment or in an
``env_file`` silently wins over it, and the old name is the one that will go.

## Example
```yaml
    environment:
      - HUGGING_FACE_HUB_TOKEN=${HUGGING_FACE_HUB_TOKEN}
```

## Fix
Rename it: ``HF_TOKEN=${HF_TOKEN}``.

## Opt-in
Off by default (``DEFAULT = False``): on 157 real deployment files it fired 29 times and no maintainer
would have changed a thing, since the fallback works in every huggingface_hub release. Select it by
code or name (``extend-select: [VLL110]``) to keep a repository on the current name.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import rename_env

CODE = "VLL110"
NAME = "hf-token-variable"
CATEGORY = "environment"
SEVERITY = "info"
DEFAULT = False


def check(deployment, ctx):
    old = deployment.env.get("HUGGING_FACE_HUB_TOKEN")
    if old is None:
        return
    new = deployment.env.get("HF_TOKEN")
    fix = None
    if new is not None and new.value and old.value and new.value != old.value:
        message = "HUGGING_FACE_HUB_TOKEN and HF_TOKEN are both set, to different values: huggingface_hub uses HF_TOKEN"
    else:
        message = "HUGGING_FACE_HUB_TOKEN is read by huggingface_hub only as a fallback for HF_TOKEN"
        source = ctx.source(old.name_span.path) if old.name_span is not None else None
        edits = rename_env(old, "HF_TOKEN", source) if source is not None and new is None else None
        fix = Fix("rename HUGGING_FACE_HUB_TOKEN to HF_TOKEN", edits) if edits else None
    yield ctx.finding(old.name_span or old.span, message, hint="rename it to HF_TOKEN", fix=fix)
