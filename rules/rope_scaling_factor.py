"""Rope scaling that the context length does not need, or with a factor that does not match it.

## What it does
Reads rope scaling from ``--rope-scaling`` (any spelling), ``--hf-overrides`` (``rope_scaling``
or ``rope_parameters``) or a ``--config`` file, and its ``original_max_position_embeddings``, and
compares it with ``--max-model-len``:

- ``--max-model-len`` at or below the original context: scaling is not needed (warning);
- a factor below ``max-model-len / original``: positions past ``original × factor`` are outside what
  the scaling covers (warning);
- a factor more than ``slack`` (default 1.5) times what the length needs: it costs quality on every
  prompt for context that is never used (warning).

With model metadata (the Hugging Face rules), the model's own native context is used too.

## Why is this bad?
Seed report 004: "L'activation systématique de RoPE Scaling avec un facteur élevé
("factor":4.0) pour tous les modèles a un impact négatif sur les performances ... pour une longueur
de contexte cible de 65 536 tokens, un factor de 2.0 est plus approprié". vLLM's YaRN scaling is
static: the factor applies to short prompts too.

## Example
```yaml
    command: ["--max-model-len", "32768",
              "--rope-scaling", '{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}']
```

## Fix
Drop rope scaling when ``--max-model-len`` fits the native context; otherwise use
``factor ≈ max-model-len / original_max_position_embeddings`` (2.0 for 65536 on a 32768 model).
"""
import json
import math

CODE = "VLL207"
NAME = "rope-scaling-factor"
CATEGORY = "context-length"
SEVERITY = "warning"
OPTIONS = {"slack": 1.5}


def rope_scaling(deployment):
    """(scaling dict, the argument it came from) or (None, None)."""
    arg = deployment.arg("rope-scaling")
    if arg is not None and arg.value:
        try:
            value = json.loads(arg.value)
        except ValueError:
            return None, None
        return (value, arg) if isinstance(value, dict) else (None, None)
    overrides = deployment.arg("hf-overrides")
    if overrides is not None and overrides.value:
        try:
            value = json.loads(overrides.value)
        except ValueError:
            return None, None
        if isinstance(value, dict):
            for key in ("rope_scaling", "rope_parameters"):
                if isinstance(value.get(key), dict):
                    return value[key], overrides
            text = value.get("text_config")
            if isinstance(text, dict) and isinstance(text.get("rope_scaling"), dict):
                return text["rope_scaling"], overrides
    return None, None


def check(deployment, ctx):
    scaling, arg = rope_scaling(deployment)
    if scaling is None:
        return
    kind = scaling.get("rope_type") or scaling.get("type")
    if kind in (None, "default", "mrope"):
        return
    try:
        factor = float(scaling.get("factor"))
        original = int(scaling.get("original_max_position_embeddings"))
    except (TypeError, ValueError):
        return
    max_len = deployment.number("max-model-len", int)
    if max_len is None or original <= 0 or factor <= 0:
        return
    needed = max_len / original
    span = arg.value_or_flag_span
    if max_len <= original:
        yield ctx.finding(span, f"{kind} rope scaling ×{factor:g} while --max-model-len {max_len} fits the original context "
                          f"({original}): short prompts pay for scaling the context never uses",
                          hint="remove rope scaling")
    elif factor < needed:
        yield ctx.finding(span, f"rope scaling ×{factor:g} covers {int(original * factor)} tokens, but --max-model-len is {max_len}",
                          hint=f"use a factor of at least {math.ceil(needed * 10) / 10:g}")
    elif factor > needed * ctx.options["slack"]:
        yield ctx.finding(span, f"rope scaling ×{factor:g} for --max-model-len {max_len} on an original context of {original}: "
                          f"×{needed:.2g} would do, and a larger factor degrades every prompt",
                          hint=f"use a factor of about {math.ceil(needed * 10) / 10:g}")
