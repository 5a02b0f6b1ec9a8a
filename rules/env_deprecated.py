"""A ``VLLM_*`` environment variable that the pinned vLLM release deprecates or ignores.

## What it does
Reports a variable the release still reads but deprecates — ``deprecated_env(...)`` in its ``vllm/envs.py``
(with the release it goes away in and the option to use instead), or a message of the release's sources that
calls it deprecated — and a variable the release lists but whose getter reads something else ("setting it has
no effect"). From ``knowledge/vllm/envs.yaml``, with the file and line of each message.

## Why is this bad?
A deprecated variable is the next upgrade's silent change: when it is removed, vLLM stops reading it and the
setting is lost without an error (see VLL502). ``VLLM_ATTENTION_BACKEND`` was deprecated in 0.13.0 and removed
in 0.15.0; ``VLLM_USE_FLASHINFER_MOE_FP8`` and its siblings were deprecated in 0.22.0 for ``--moe-backend``.

## Example
```yaml
    image: vllm/vllm-openai:v0.22.0
    environment:
      VLLM_USE_FLASHINFER_MOE_FP8: "1"   # Use --moe-backend (e.g. flashinfer_trtllm, flashinfer_cutlass).
```

## Fix
Use what the message names (an option of ``vllm serve``), then remove the variable.
"""
from vllm_lint.rule import release_basis
from vllm_lint.rules._env import release_of, where
from vllm_lint.vllm import envs

CODE = "VLL504"
NAME = "deprecated-env-variable"
CATEGORY = "environment"
SEVERITY = "warning"
NEEDS = ("release",)


def check(deployment, ctx):
    release = release_of(ctx)
    if release is None:
        return
    basis = release_basis(ctx)
    for name, var in deployment.env.items():
        if not name.startswith("VLLM_"):
            continue
        spec = envs.spec(name, release)
        if spec is None:
            continue
        said = envs.deprecation(spec)
        if said is None:
            continue
        ignored = bool(spec.fact.get("ignored"))
        message = (f"{name} has no effect in {basis.text}: {said}" if ignored
                   else f"{name} is deprecated in {basis.text}: {said}")
        yield ctx.finding(where(var), message, hint="remove it" if ignored else "use what the message names, then remove it")
