"""The port vLLM listens on is not the port that is published or health-checked.

## What it does
Compares the port vLLM listens on (``--port``, or the release's default, 8000) with the container
side of every compose ``ports:`` entry, the Kubernetes ``containerPort``, and the port in the
healthcheck or probe URL. Reports each one that points elsewhere.

## Why is this bad?
Seed report 004: the ``medium`` profile runs ``--port=8092`` while compose publishes
``"${VLLM_PORT_MEDIUM}:8000"``. vLLM starts and listens on 8092, nothing listens on 8000, every
request to port 5002 is refused and a healthcheck on 8000 keeps the container unhealthy.

## Example
```yaml
    ports: ["5002:8000"]
    command: ["--port=8092"]
```

## Fix
Use one port: drop ``--port`` (vLLM then listens on 8000) or publish ``"5002:8092"`` and point the
healthcheck at ``http://localhost:8092/health``.
"""
import re

CODE = "VLL103"
NAME = "port-mismatch"
CATEGORY = "networking"
SEVERITY = "error"

_URL_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]):(\d+)")


def _listen_port(deployment, ctx):
    arg = deployment.arg("port")
    if arg is not None and arg.value:
        return arg.value, arg
    release = ctx.release
    option = release.option("--port") if release is not None else None
    if option is not None and option.default is not None:
        return str(option.default), None
    return None, None


def check(deployment, ctx):
    port, arg = _listen_port(deployment, ctx)
    if port is None or not port.isdigit():
        return
    where = f"--port {port}" if arg is not None else f"the default port {port}"
    related = [arg.value_or_flag_span] if arg is not None else []
    published = [p for p in deployment.ports if p.protocol == "tcp"]
    if published and all(_port_range(p.container) and port not in _port_range(p.container) for p in published):
        for p in published:
            yield ctx.finding(p.span, f"container port {p.container} is published, but vLLM listens on {where}",
                              hint=f"publish the port vLLM listens on ({'...:' if p.host else ''}{port}) or change --port",
                              related=related)
    if deployment.healthcheck is not None:
        for word in deployment.healthcheck.words:
            for m in _URL_PORT.finditer(word.value):
                if m.group(1) != port:
                    span = word.span
                    if word.exact and word.raw == word.value:
                        span = word.span.shifted(word.raw, m.start(1), len(m.group(1)))
                    yield ctx.finding(span, f"the healthcheck probes port {m.group(1)}, but vLLM listens on {where}",
                                      hint=f"probe http://localhost:{port}/health", related=related)


def _port_range(text):
    text = text.split(":")[-1]
    if "-" in text:
        lo, _, hi = text.partition("-")
        if lo.isdigit() and hi.isdigit():
            return {str(p) for p in range(int(lo), int(hi) + 1)}
        return set()
    return {text} if text.isdigit() else set()
