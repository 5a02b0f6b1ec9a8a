"""A ``VLLM_*`` environment variable that the pinned vLLM release does not read.

## What it does
Checks every ``VLLM_*`` variable a launch sets — compose ``environment`` and ``env_file``, Kubernetes
``env``, a script's ``NAME=value`` prefix and ``export`` — against the variables of the pinned release
(``knowledge/vllm/envs.yaml``: the keys of ``environment_variables`` in that release's ``vllm/envs.py``).
A name another release has is reported with its history — "``VLLM_ATTENTION_BACKEND`` was removed in
0.15.0" and what vLLM itself said replaces it (its deprecation message, with file and line) — or the
release it first appears in; a name no release has, with the close names of the release (a typo).
Variables whose value is set at run time are still checked by name.

## Why is this bad?
vLLM reads its variables by name and ignores the others: a typo or a variable removed by an upgrade
silently turns a setting off (from 0.17.0 vLLM only logs ``Unknown vLLM environment variable
detected: VLLM_X``). ``VLLM_ATTENTION_BACKEND=FLASHINFER`` on 0.15.0 selects nothing: the option is
``--attention-backend`` now.

## Example
```yaml
    image: vllm/vllm-openai:v0.15.0
    environment:
      VLLM_ATTENTION_BACKEND: FLASHINFER      # removed in 0.15.0
      VLLM_USE_FLASHINFER_SAMPLR: "0"         # typo of VLLM_USE_FLASHINFER_SAMPLER
```

A ``VLLM_*`` name that the launch's files use as a variable (``${VLLM_PORT_MINI}`` interpolated into the
compose file, ``$(VLLM_MODEL)`` in Kubernetes args, ``$VLLM_X`` in a script) is the project's own, not a
setting of vLLM: it is not reported unless another release had it. A name no release had and that
resembles none is information, and only from 0.17.0, where vLLM itself warns about it.

## Fix
Rename the variable (``--fix`` renames a typo when exactly one name is close), or use what replaced
it (for ``VLLM_ATTENTION_BACKEND``: ``--attention-backend``).
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import rename_env
from vllm_lint.rule import release_basis
from vllm_lint.rules._env import named_in_files, referenced, release_of, where
from vllm_lint.vllm import envs

CODE = "VLL502"
NAME = "unknown-env-variable"
CATEGORY = "environment"
SEVERITY = "warning"
NEEDS = ("release",)


def check(deployment, ctx):
    release = release_of(ctx)
    if release is None:
        return
    basis = release_basis(ctx)
    used = None
    for name, var in deployment.env.items():
        if not name.startswith("VLLM_") or name.startswith("VLLM_LINT_") or envs.spec(name, release) is not None:
            continue
        hist = envs.history(name, release)
        span = where(var)
        if hist and hist["kind"] == "removed":
            said, flag = envs.replacement(hist)
            message = (f"{name} was removed in {hist['removed_in']} (last in {hist['last']}): {basis.text} does not "
                       "read it")
            if said:
                message += f"; vLLM said {said}"
            hint = f"use {flag}" if flag and ctx.release.option(flag) is not None else "remove it"
            yield ctx.finding(span, message, hint=hint)
            continue
        if hist and hist["kind"] == "later":
            yield ctx.finding(span, f"{name} is not a variable of {basis.text}: it first appears in {hist['since']}",
                              hint=f"pin vLLM {hist['since']} or later, or remove it")
            continue
        if name in (used if used is not None else (used := referenced(deployment))) or named_in_files(deployment, ctx, name):
            continue  # the project's own variable (interpolated into the command, ports, a script), not vLLM's
        close = envs.suggest(name, release)
        if close:
            source = ctx.source(span.path)
            edits = (rename_env(var, close[0], source) if len(close) == 1 and source is not None
                     and close[0] not in deployment.env else None)  # never two variables of one name
            fix = Fix(f"rename {name} to {close[0]}", edits) if edits else None
            yield ctx.finding(span, f"{name} is not a variable of {basis.text} (vLLM ignores it); did you mean "
                              f"{' or '.join(close)}?", hint=f"rename it to {close[0]}", fix=fix)
            continue
        check = envs.unknown_check(release)
        if check is None:
            continue  # before 0.17.0 vLLM says nothing about a name it does not read: neither do we, without a typo
        yield ctx.finding(span, f"{name} is not a variable of any vLLM release known: {basis.text} ignores it and logs "
                          f"\"Unknown vLLM environment variable detected: {name}\" ({check['source']})",
                          severity="info", hint="remove it, or check the name against vLLM's docs for this release")
