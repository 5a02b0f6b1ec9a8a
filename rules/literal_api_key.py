"""An API key is written in the configuration instead of coming from a secret.

## What it does
Reports an ``--api-key`` value or a ``VLLM_API_KEY`` environment value written literally in a
compose file, manifest or script, and a ``.env`` line that gives a real-looking key to the variable
an ``--api-key`` uses. Placeholders (``YOUR_API_KEY``, ``changeme``, ``<...>``, ``sk-xxx``, ``EMPTY``)
are not reported, nor values in ``.env.example`` / ``.env.sample`` / ``.env.template`` files, which
document the variables rather than set them.
The key itself is never printed.

## Why is this bad?
Seed report 002 committed ``VLLM_API_KEY_MEDIUM_VL=Y7PSM...`` to the project's ``.env`` and copied
it into a test script: whoever can read the repository can call the server. A key in a compose
file also shows in ``docker inspect``.

## Example
```bash
# .env (committed)
VLLM_API_KEY_MEDIUM_VL=Y7PSM158SR952HC...
```

## Fix
Keep the key out of the repository: a ``.env`` that is git-ignored, a compose/Kubernetes secret,
or the CI's secret store; pass it to vLLM as ``VLLM_API_KEY`` from that secret.
"""
import re

CODE = "VLL106"
NAME = "literal-api-key"
CATEGORY = "security"
SEVERITY = "error"
OPTIONS = {"placeholder-pattern": r"(?i)your|change.?me|example|placeholder|dummy|xxx|<.*>|\*\*\*|^\$|^token$|^key$|^none$|^empty$"}


#: Env files that document variables (committed in place of the real .env): their values are examples.
_EXAMPLE_FILES = re.compile(r"(?i)(^|[/\\])(\.env\.(example|sample|template|dist|tpl)|(example|sample)\.env)$")


def _is_placeholder(value, ctx):
    return not value or re.search(ctx.options["placeholder-pattern"], value) is not None


def _documentation(span) -> bool:
    return span is not None and _EXAMPLE_FILES.search(span.path) is not None


def check(deployment, ctx):
    seen = set()  # one finding per line: a .env key that is both the --api-key value and the env var
    for finding in _findings(deployment, ctx):
        key = (finding.span.path, finding.span.line, finding.span.column)
        if key not in seen:
            seen.add(key)
            yield finding


def _findings(deployment, ctx):
    arg = deployment.arg("api-key")
    if arg is not None and arg.value and not _is_placeholder(arg.value, ctx):
        if not arg.variables:
            yield ctx.finding(arg.value_or_flag_span, f"{arg.flag or '--api-key'} is written literally "
                              f"({len(arg.value)} characters); anyone who reads this file can call the server",
                              hint="pass it as VLLM_API_KEY from a secret or an untracked .env")
        else:
            for use in arg.variables:
                if (use.defined_at is not None and use.value and not _is_placeholder(use.value, ctx)
                        and not _documentation(use.defined_at)):
                    yield ctx.finding(use.defined_at, f"{use.name} holds a literal API key ({len(use.value)} characters) "
                                      f"in {use.defined_at.path}, used by {arg.flag or '--api-key'} of {deployment.name!r}",
                                      hint="keep this .env out of version control, or read the key from a secret")
    env = deployment.env.get("VLLM_API_KEY")
    if (env is not None and env.value and not env.from_secret and not _is_placeholder(env.value, ctx)
            and not _documentation(env.span)):
        if not env.variables:
            yield ctx.finding(env.span, f"VLLM_API_KEY is written literally ({len(env.value)} characters)",
                              hint="set it from a secret (compose secrets, Kubernetes secretKeyRef)")
        for use in env.variables:
            if (use.defined_at is not None and use.value and not _is_placeholder(use.value, ctx)
                    and not _documentation(use.defined_at)):
                yield ctx.finding(use.defined_at, f"{use.name} holds a literal API key ({len(use.value)} characters) "
                                  f"in {use.defined_at.path}", hint="keep this .env out of version control")
