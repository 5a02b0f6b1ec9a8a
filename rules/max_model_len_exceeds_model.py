"""``--max-model-len`` is longer than the model's context.

## What it does
Derives the longest context the model allows the way vLLM does (the smallest length key of its
``config.json``, times the rope scaling factor when rope scaling is configured in the model or
given with ``--rope-scaling`` / ``--hf-overrides``) and compares ``--max-model-len`` with it.

A quantized checkpoint known only by name is checked against its base model's context (same name
without the ``-FP8``/``-AWQ`` suffix), as the message says: quantizing does not change it.

## Why is this bad?
vLLM refuses to start: "User-specified max_model_len (X) is greater than the derived
max_model_len (max_position_embeddings=Y ...)" (``vllm/config/model.py``). With
``VLLM_ALLOW_LONG_MAX_MODEL_LEN=1`` it starts, and "positions exceeding derived_max_model_len lead
to nan": seed report 004's ``micro`` profile asks 128000 tokens of a 32768-token model that way.

## Example
```yaml
    environment: ["VLLM_ALLOW_LONG_MAX_MODEL_LEN=1"]
    command: ["--model=Qwen/Qwen2-1.5B-Instruct-AWQ", "--max-model-len", "128000"]
```

## Fix
Ask for at most the model's context, or configure rope scaling (YaRN) with
``factor ≈ max-model-len / original_max_position_embeddings`` where the model supports it.
"""
from vllm_lint.vllm.context_length import derived_max_len, rope_override

CODE = "VLL306"
NAME = "max-model-len-exceeds-model"
CATEGORY = "context-length"
SEVERITY = "error"
NEEDS = ("shapes",)


def check(deployment, ctx):
    arg = deployment.arg("max-model-len")
    if arg is None or not arg.value:
        return
    from vllm_lint.memory.inputs import human_int

    asked = human_int(arg.value)
    scaling, _ = rope_override(deployment)
    meta = ctx.shapes
    allowed, how = derived_max_len(meta, scaling)
    if asked is None or allowed is None or asked <= allowed:
        return
    model_max = meta.get("model_max_length")
    if isinstance(model_max, int) and asked <= model_max:
        return
    env = deployment.env.get("VLLM_ALLOW_LONG_MAX_MODEL_LEN")
    allowed_long = env is not None and (env.value or "").strip().lower() in ("1", "true")
    whose = f"the context of {ctx.shapes_label}" if ctx.shapes_stand_in else f"{meta.model_id}'s context"
    what = f"--max-model-len {asked} is longer than {whose} ({allowed}: {how})"
    if allowed_long:
        yield ctx.finding(arg.value_or_flag_span, what + ": VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 lets vLLM start, and positions "
                          f"past {allowed} give garbage (\"lead to nan\")", related=[env.span],
                          hint=f"--max-model-len {allowed}, or rope scaling for the model")
    else:
        yield ctx.finding(arg.value_or_flag_span, what + f": vLLM stops with \"User-specified max_model_len ({asked}) is "
                          f"greater than the derived max_model_len\"",
                          hint=f"--max-model-len {allowed}, or rope scaling for the model")
