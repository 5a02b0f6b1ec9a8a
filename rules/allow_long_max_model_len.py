"""``VLLM_ALLOW_LONG_MAX_MODEL_LEN=1`` is set.

## What it does
Reports the environment variable that makes vLLM accept a ``--max-model-len`` above the model's
``max_position_embeddings`` (and the rope-scaled length) with only a warning.

## Why is this bad?
It turns an error into silence: positions past what the model was trained on give garbage, not an
error. Seed report 004 sets it on ``micro`` and ``medium`` and asks 128000 tokens of a model whose
native context is 32768 — a long context that was never real.

## Example
```yaml
    environment: ["VLLM_ALLOW_LONG_MAX_MODEL_LEN=1"]
    command: ["--max-model-len", "128000"]
```

## Fix
Remove the variable. For a longer context, configure rope scaling (YaRN) for the model, with a
factor matching the length you need.
"""
CODE = "VLL111"
NAME = "allow-long-max-model-len"
CATEGORY = "environment"
SEVERITY = "warning"


def check(deployment, ctx):
    var = deployment.env.get("VLLM_ALLOW_LONG_MAX_MODEL_LEN")
    if var is not None and (var.value or "").strip().lower() in ("1", "true"):
        yield ctx.finding(var.span, "VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 lets --max-model-len exceed what the model supports; "
                          "outputs past the native context are garbage, not errors",
                          hint="remove it; use rope scaling for a longer context")
