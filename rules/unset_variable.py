"""An interpolated variable that is not set and has no default.

## What it does
Follows compose's interpolation (``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?error}``, ``${VAR?error}``, ``$$``) with the ``.env`` beside the compose file (or
``--env-file``) under the process environment, and reports every reference that ends up unset.
A ``${VAR:?message}`` that is unset is an error (compose refuses to start); a plain ``${VAR}`` is
a warning (compose starts with an empty string). When no ``.env`` was read for the file at all (it is
usually kept out of version control, and a ``.env.example`` documents it), the variables are reported
once for the file, as information (a warning when one of them is required), instead of once each.

## Why is this bad?
Seed report 004: the ``medium`` profile passes ``--model=${MODEL_NAME_MEDIUM}`` while its
``.env`` defines only ``MODEL_NAME=Qwen/Qwen3-32B-AWQ``. Compose prints one warning line and starts
vLLM with ``--model=`` — an empty model id, found only when the container crash-loops.

## Example
```yaml
    command: ["--model=${MODEL_NAME_MEDIUM}"]   # .env: MODEL_NAME=Qwen/Qwen3-32B-AWQ
```

## Fix
Define the variable in ``.env``, give it a default (``${MODEL_NAME_MEDIUM:-Qwen/Qwen3-32B-AWQ}``),
or make it mandatory with a message (``${MODEL_NAME_MEDIUM:?set MODEL_NAME_MEDIUM in .env}``).
"""
CODE = "VLL101"
NAME = "unset-variable"
CATEGORY = "interpolation"
SEVERITY = "warning"
SCOPE = "file"


#: Env files that document the variables a deployment needs, committed in place of the real .env.
EXAMPLE_ENV_FILES = (".env.example", ".env.sample", ".env.template", ".env.dist", "example.env", "sample.env")


def check(source, ctx):
    unset = sorted((p for p in source.problems if p.kind in ("unset-variable", "required-variable")),
                   key=lambda p: (p.span.line, p.span.column))
    if unset and source.kind == "compose" and not source.env_files:
        yield _without_env_file(source, unset, ctx)
    else:
        for problem in unset:
            if problem.kind == "unset-variable":
                yield ctx.finding(problem.span, f"variable {problem.detail} is not set and has no default: "
                                  "compose substitutes an empty string",
                                  hint=f"define {problem.detail} in the .env file, or write ${{{problem.detail}:-default}}")
            else:
                yield ctx.finding(problem.span, problem.message, severity="error",
                                  hint=f"define {problem.detail} in the .env file or the environment")
    for problem in source.problems:
        if problem.kind == "invalid-interpolation":
            yield ctx.finding(problem.span, problem.message, severity="error",
                              hint="write $$ for a literal dollar sign")


def _without_env_file(source, unset, ctx):
    """No .env was read for this file (it is usually kept out of version control on purpose): one finding
    for the file, at the first variable, instead of one per variable the deployment will provide."""
    names = list(dict.fromkeys(p.detail for p in unset))
    required = [p.detail for p in unset if p.kind == "required-variable"]
    folder = source.abspath.parent
    example = next((name for name in EXAMPLE_ENV_FILES if (folder / name).is_file()), None)
    shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
    message = (f"{len(names)} variable{'s are' if len(names) != 1 else ' is'} not set and no .env was read for this "
               f"file ({shown}): compose substitutes empty strings unless the deployment provides them")
    if required:
        message += f"; without {', '.join(required[:3])} compose refuses to start"
    hint = (f"copy {example} to .env (its values are documentation, not settings)" if example else
            "keep a .env beside the compose file (or pass --env-file) so that vllm-lint sees the values")
    return ctx.finding(unset[0].span, message, severity="warning" if required else "info", hint=hint)
