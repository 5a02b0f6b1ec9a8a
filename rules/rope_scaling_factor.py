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

With the model's metadata, its own native context is used too: rope scaling on a model whose
native context already covers ``--max-model-len`` is reported (seed 003 adds YaRN ×4 from 32768
to Qwen3-VL, whose native context is 262144), and a JSON without
``original_max_position_embeddings`` is checked against the model's.

A quantized checkpoint known only by name is judged with its base model's native context, as the
message says.

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
import math

from vllm_lint.vllm.context_length import native_length, rope_override

CODE = "VLL207"
NAME = "rope-scaling-factor"
CATEGORY = "context-length"
SEVERITY = "warning"
OPTIONS = {"slack": 1.5}


def check(deployment, ctx):
    scaling, arg = rope_override(deployment)
    if scaling is None:
        return
    kind = scaling.get("rope_type") or scaling.get("type")
    if kind in (None, "default", "mrope"):
        return
    max_len = deployment.number("max-model-len", int)
    meta = ctx.shapes  # the model's own, or its base model's (a quantized checkpoint known only by name)
    native, key = native_length(meta) if meta is not None else (None, None)
    try:
        factor = float(scaling.get("factor"))
        original = int(scaling.get("original_max_position_embeddings") or native)
    except (TypeError, ValueError):
        return
    if max_len is None or original <= 0 or factor <= 0:
        return
    span = arg.value_or_flag_span
    if native is not None and max_len <= native and native > original:
        yield ctx.finding(span, f"{kind} rope scaling ×{factor:g} on {ctx.shapes_label}, whose native context ({key}={native}) "
                          f"already covers --max-model-len {max_len}: short prompts pay for scaling nothing needs"
                          + (f" (the original_max_position_embeddings {original} given is not the model's)" if original != native else ""),
                          hint="remove rope scaling")
        return
    needed = max_len / original
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
