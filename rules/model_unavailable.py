"""The model's metadata cannot be had: the id does not exist, is gated, or the Hub cannot be reached.

## What it does
Every launch's model is resolved before the rules run: from a mounted local folder, the Hugging
Face cache (the one vLLM fills), the metadata bundled with vllm-lint, then the Hub (unless
``--offline``). Reports a model id the Hub does not know (with close ids from the cache and the
bundled metadata), a gated or private repository without a token, a local path that no volume
mounts. When the Hub cannot answer (offline, no network, a timeout, a rate limit, a server error)
nothing is known about the model: that is one note for the run ("model metadata unavailable for N
launches (no network: N)"), not a finding per model. Tokens are never printed.

## Why is this bad?
vLLM downloads the model only after the container, the image and the GPUs are up: a typo in the
model id, or a gated model without ``HF_TOKEN``, is found minutes into the deployment. Seed report
004's ``medium`` profile would start vLLM with an empty ``--model=`` (its variable is unset).

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-32B-AWK"]
```

## Fix
Correct the id, pass ``HF_TOKEN`` for gated models, or mount the local model folder.
"""
from vllm_lint.engine import UNAVAILABLE_KINDS

CODE = "VLL301"
NAME = "model-unavailable"
CATEGORY = "model"
SEVERITY = "error"

_SEVERITY = {"not-found": "error", "gated": "error", "unauthorized": "error", "local-missing": "error",
             "local-unmounted": "error", "invalid-json": "error"}


def check(deployment, ctx):
    error = ctx.model_error
    if error is None or error.kind in UNAVAILABLE_KINDS:
        return  # the Hub could not answer (offline, no network, timeout...): the run's note says so, once
    arg = deployment.model_arg
    span = arg.value_or_flag_span if arg is not None else deployment.span
    severity = _SEVERITY.get(error.kind, "info")
    hint = None
    if error.suggestions:
        hint = "did you mean " + " or ".join(error.suggestions[:3]) + "?"
    elif error.kind in ("gated", "unauthorized"):
        hint = "set HF_TOKEN (a token with access to this repository) where vllm-lint and vLLM run"
    elif severity == "info":
        hint = "run again with network access, or `vllm-lint models refresh MODEL`"
    yield ctx.finding(span, error.message, severity=severity, hint=hint)
