"""A ``VLLM_*`` environment variable whose value the pinned vLLM release rejects or misreads.

## What it does
Reads each ``VLLM_*`` value the way the release's ``vllm/envs.py`` getter does (``knowledge/vllm/envs.yaml``:
its type, how it parses a boolean, its choices): ``bool(int(value))`` booleans given ``true`` raise
``ValueError: invalid literal for int() with base 10: 'true'``; ``env_with_choices`` variables raise
``Invalid value 'x' for VLLM_X. Valid options: [...]``; integers and floats must parse. A boolean that
compares against a list (``value.lower() in ("1", "true")``) never raises, but ``yes`` then reads as false:
that is a warning. Values set at run time (a shell or Kubernetes variable from outside the tree) are not
judged.

## Why is this bad?
vLLM reads these variables lazily: the ``ValueError`` comes at engine start-up (or at the first request
that reads the variable), after the image is pulled and the model downloaded. A misread boolean silently
keeps the default.

## Example
```yaml
    image: vllm/vllm-openai:v0.11.0
    environment:
      VLLM_USE_FLASHINFER_SAMPLER: "false"     # bool(int(...)): ValueError
      VLLM_WORKER_MULTIPROC_METHOD: Spawn      # choices: spawn, fork (case-sensitive)
```

## Fix
``0``/``1`` for integer booleans (``--fix`` rewrites ``true``/``false``/``yes``/``no``), one of the choices
as spelled (``--fix`` corrects the case). Every fix is parsed again as the release parses it before it is
offered.
"""
import difflib

from vllm_lint.finding import Fix
from vllm_lint.fixes.env_edits import replace_env_value
from vllm_lint.rule import release_basis
from vllm_lint.rules._env import literal, release_of
from vllm_lint.vllm import envs

CODE = "VLL503"
NAME = "invalid-env-value"
CATEGORY = "environment"
SEVERITY = "error"
NEEDS = ("release",)

_WORDS = {"true": "1", "false": "0", "yes": "1", "no": "0", "on": "1", "off": "0"}


def check(deployment, ctx):
    release = release_of(ctx)
    if release is None:
        return
    basis = release_basis(ctx)
    for name, var in deployment.env.items():
        if not name.startswith("VLLM_") or not literal(var):
            continue
        spec = envs.spec(name, release)
        if spec is None or spec.fact.get("ignored") or spec.fact.get("converter"):
            continue
        value = var.value
        try:
            parsed = envs.parse(spec, value)
        except envs.EnvValueError as exc:
            yield _rejected(ctx, var, spec, str(exc), basis)
            continue
        how = (spec.fact.get("bool_parse") or {}).get("how")
        if spec.type == "bool" and how in ("in", "not_in") and parsed is False and value.strip().lower() in ("yes", "on", "y", "t"):
            yield ctx.finding(var.span, f"{name}={value} reads as false in {basis.text}: its getter is true only for "
                              f"{', '.join(repr(v) for v in spec.fact['bool_parse'].get('values') or [])} ({spec.source})",
                              severity=basis.severity("warning"), hint="write 1 (or true) for true, 0 for false")


def _rejected(ctx, var, spec, error, basis):
    fix = None
    candidate = None
    value = var.value.strip()
    if spec.type == "bool" and value.lower() in _WORDS:
        candidate, safe = _WORDS[value.lower()], True
    elif spec.fact.get("choices"):
        exact = [c for c in spec.fact["choices"] if c.lower() == value.lower()]
        close = exact or difflib.get_close_matches(value, spec.fact["choices"], n=1)
        candidate, safe = (close[0], bool(exact)) if close else (None, False)
    if candidate is not None:
        try:
            envs.parse(spec, candidate)  # a fix must itself be a value the release accepts
        except envs.EnvValueError:
            candidate = None
    if candidate is not None:
        edits = replace_env_value(var, candidate, ctx.source(var.span.path))
        fix = Fix(f"write {var.name}={candidate}", edits, safe=safe) if edits else None
    hint = None
    if spec.fact.get("choices"):
        hint = "choose from " + ", ".join(spec.fact["choices"])
    elif spec.type == "bool":
        hint = "write 1 for true, 0 for false"
    elif spec.type in ("int", "float"):
        hint = f"a number ({spec.type})"
    return ctx.finding(var.span, f"{basis.text} rejects {var.name}={var.value}: {error} (read by {spec.source})",
                       hint=hint, fix=fix, severity=basis.severity(ctx.rule.severity))
