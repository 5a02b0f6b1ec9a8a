"""The API key is passed with ``--api-key`` on the command line.

## What it does
Reports ``--api-key`` given as an argument, even from a variable: arguments are visible to anyone
who can run ``ps`` on the host or ``docker inspect`` the container, and are logged by vLLM at
start-up (``args: Namespace(...)``).

## Why is this bad?
Seed report 003's ``medium-vl`` profile passes ``--api-key ${VLLM_API_KEY_MEDIUM_VL}``; seed report
002 shows vLLM printing its full ``args: Namespace(...)`` at start-up, key included, into the
container log.

## Example
```yaml
    command: --model m --api-key ${VLLM_API_KEY}
```

## Fix
Set ``VLLM_API_KEY`` in the container's environment from a secret; vLLM reads it when
``--api-key`` is absent.
"""
CODE = "VLL112"
NAME = "api-key-on-command-line"
CATEGORY = "security"
SEVERITY = "warning"


def check(deployment, ctx):
    arg = deployment.arg("api-key")
    if arg is not None and arg.origin != "config":
        yield ctx.finding(arg.flag_span, f"{arg.flag} puts the key in the process arguments (ps, docker inspect, "
                          "vLLM's start-up log)", hint="pass VLLM_API_KEY in the environment, from a secret")
