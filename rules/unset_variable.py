"""An interpolated variable that is not set and has no default.

## What it does
Follows compose's interpolation (``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
``${VAR:?error}``, ``${VAR?error}``, ``$$``) with the ``.env`` beside the compose file (or
``--env-file``) under the process environment, and reports every reference that ends up unset.
A ``${VAR:?message}`` that is unset is an error (compose refuses to start); a plain ``${VAR}`` is
a warning (compose starts with an empty string).

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


def check(source, ctx):
    for problem in source.problems:
        if problem.kind == "unset-variable":
            yield ctx.finding(problem.span, f"variable {problem.detail} is not set and has no default: "
                              "compose substitutes an empty string",
                              hint=f"define {problem.detail} in the .env file, or write ${{{problem.detail}:-default}}")
        elif problem.kind == "required-variable":
            yield ctx.finding(problem.span, problem.message, severity="error",
                              hint=f"define {problem.detail} in the .env file or the environment")
        elif problem.kind == "invalid-interpolation":
            yield ctx.finding(problem.span, problem.message, severity="error",
                              hint="write $$ for a literal dollar sign")
