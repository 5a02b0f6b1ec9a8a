"""A healthcheck or probe gives up on vLLM before its cold start can finish.

## What it does
Compares how long the orchestrator waits for a starting vLLM container with how long the launch is
expected to take to become ready the first time:

- compose ``healthcheck``: ``start_period + interval × retries`` (defaults 0 s, 30 s, 3), when something
  acts on "unhealthy": a service that ``depends_on`` it with ``condition: service_healthy`` (``docker
  compose up`` fails with "dependency failed to start"), or autoheal (the ``autoheal=true`` label, or an
  autoheal container with ``AUTOHEAL_CONTAINER_LABEL=all``), which restarts it. Docker itself only marks
  the container unhealthy, so a healthcheck nothing acts on is not reported;
- Kubernetes: the ``startupProbe``, or without one the ``livenessProbe``:
  ``initialDelaySeconds + periodSeconds × failureThreshold`` (defaults 0, 10, 3). The kubelet restarts
  the container when it fails. A ``readinessProbe`` restarts nothing and is not checked.

The expected cold start is the time vLLM needs without reading weights, measured on real start-ups
(``knowledge/vllm/cold_start.yaml``: vLLM 0.20.2 on an H200 with dummy weights, 68–243 s for a first
start that runs torch.compile and captures CUDA graphs, 25–148 s with ``--enforce-eager``), plus the
weights to read: the checkpoint's bytes from the model's metadata at ``disk-throughput`` (default
``2GB/s``, a local NVMe disk; set it lower for network volumes). The measurements of the launch's own
architecture are used when there are some (gpt-oss-20b: 183 s), else those of every model. It reports
only when the budget is shorter than the *lowest* of those starts plus the weights, and gives the
typical (median) estimate and a start period of twice that. A download on first start (an empty model cache) comes on top and is
not counted.

## Why is this bad?
vLLM answers ``/health`` only once the engine is built — weights loaded, memory profiled, the model
compiled and CUDA graphs captured: its HTTP server is started inside ``build_async_engine_client``, after
the engine (``vllm/entrypoints/openai/api_server.py:692`` ``run_server_worker``, 0.20.2). A probe that gives up earlier kills a healthy start (Kubernetes:
restart after restart, CrashLoopBackOff) or fails the services waiting for it. The team whose
deployment history the seed reports record had a boot killed by its own healthcheck; its profiles
now carry ``start_period: 300s`` (seed report 003) and ``start_period: 5m`` (seed report 004).

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-32B"]
    healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:8000/health"], interval: 10s, retries: 3}
  app:
    depends_on: {llm: {condition: service_healthy}}
```

## Fix
Give the start its time: ``start_period`` (compose) or a ``startupProbe`` whose
``failureThreshold × periodSeconds`` covers it (Kubernetes); keep the liveness probe short.
"""
from __future__ import annotations

import math
import re

from vllm_lint.knowledge import load as load_knowledge

CODE = "VLL113"
NAME = "healthcheck-before-ready"
CATEGORY = "deployment"
SEVERITY = "warning"
OPTIONS = {"disk-throughput": "2GB/s"}

_COMPOSE_DEFAULTS = {"start_period": 0.0, "interval": 30.0, "retries": 3.0}
_K8S_DEFAULTS = {"initialDelaySeconds": 0.0, "periodSeconds": 10.0, "failureThreshold": 3.0}
_THROUGHPUT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b(?:/s|ps)?\s*", re.IGNORECASE)


def throughput_bytes(text) -> float | None:
    """Bytes per second of ``2GB/s``, ``500MB/s``, ``1GiB/s``; None when unreadable or not positive."""
    m = _THROUGHPUT.fullmatch(str(text))
    if not m:
        return None
    base = 1024 if m.group(3) else 1000
    value = float(m.group(1)) * base ** "_kmgt".index(m.group(2).lower() or "_")
    return value if value > 0 else None


def cold_start_base(mode: str, version: str | None, architectures=()) -> tuple[float, float, str] | None:
    """(lowest, median, what) seconds from process start to ready without reading weights, for ``mode``
    ("compiled" or "eager") in ``version``: the measurements of the launch's architecture when there are
    some, else of every model; None when the data has no figure for it."""
    from vllm_lint.vllm.options import version_key

    data = load_knowledge("vllm/cold_start.yaml")
    modes = ["compiled", "eager"]
    if version:
        try:
            v = version_key(version)
        except Exception:  # noqa: BLE001 - an unreadable version: the newest releases' modes
            v = None
        for r in data["releases"]:
            if v is not None and version_key(r["since"]) <= v and (r["until"] is None or v < version_key(r["until"])):
                modes = r["modes"]
                break
    if mode not in modes:
        mode = "eager"  # a release that does not compile by default: the eager start is the lower bound
    pool = [c for c in data["cases"] if c["mode"] == mode and c.get("compile_cache", "cold") == "cold"]
    own = [c for c in pool if c["architecture"] in set(architectures or ())]
    cases = [c["startup_s"] for c in own or pool]
    if not cases:
        return None
    m = data["measured_on"]
    span = f"{min(cases):.0f} s" if len(cases) == 1 else f"{min(cases):.0f}–{max(cases):.0f} s"
    whose = f"{own[0]['architecture']}, {len(cases)} run{'s' if len(cases) > 1 else ''}" if own else f"{len(cases)} runs"
    what = (f"{'first start with torch.compile and CUDA-graph capture' if mode == 'compiled' else 'eager start'} "
            f"measured {span} on vLLM {m['release']} ({m['gpu']}, {whose}, dummy weights)")
    ordered, half = sorted(cases), len(cases) // 2
    median = ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2
    return min(cases), median, what


def _budget(d):
    """(seconds the orchestrator waits, how it is computed, the probe, the span to point at, consequence) or None."""
    if d.kind == "compose":
        probe = next((p for p in d.probes if p.kind == "compose"), None)
        if probe is None or probe.disabled or not probe.acted_on_by or not _probes_vllm(probe.handler):
            return None
        values = {}
        for name, default in _COMPOSE_DEFAULTS.items():
            value = probe.timing.get(name, (default, None))[0]
            if value is None:
                return None  # unreadable (a variable without a value): not guessed
            values[name] = value
        budget = values["start_period"] + values["interval"] * values["retries"]
        how = (f"start_period {values['start_period']:g} s + interval {values['interval']:g} s × "
               f"retries {values['retries']:g}")
        span = (probe.timing.get("start_period") or probe.timing.get("interval") or (None, probe.span))[1]
        return budget, how, probe, span, f"then {probe.acted_on_by[0]} acts on it"
    if d.kind == "kubernetes":
        probe = next((p for p in d.probes if p.kind == "startupProbe"), None) or \
            next((p for p in d.probes if p.kind == "livenessProbe"), None)
        if probe is None or not _probes_vllm(probe.handler):
            return None
        values = {}
        for name, default in _K8S_DEFAULTS.items():
            value = probe.timing.get(name, (default, None))[0]
            if value is None:
                return None
            values[name] = value
        budget = values["initialDelaySeconds"] + values["periodSeconds"] * values["failureThreshold"]
        how = (f"initialDelaySeconds {values['initialDelaySeconds']:g} + periodSeconds {values['periodSeconds']:g} × "
               f"failureThreshold {values['failureThreshold']:g}")
        span = (probe.timing.get("initialDelaySeconds") or probe.timing.get("failureThreshold") or (None, probe.span))[1]
        return budget, how, probe, span, "the kubelet then restarts the container before it is ready (CrashLoopBackOff)"
    return None


def _probes_vllm(handler: str) -> bool:
    """Whether the check waits for vLLM's server: an HTTP or TCP probe, or a command that calls a URL."""
    if handler.startswith(("httpGet", "tcpSocket", "grpc")):
        return True
    return bool(re.search(r"https?://|curl|wget|/health|/v1/|localhost|127\.0\.0\.1|urlopen|requests\.get", handler))


def check(deployment, ctx):
    found = _budget(deployment)
    if found is None:
        return
    budget, how, probe, span, consequence = found
    rate = throughput_bytes(ctx.options["disk-throughput"])
    if rate is None:
        ctx.skip(f"disk-throughput {ctx.options['disk-throughput']!r} is not a rate such as 2GB/s")
        return
    release = ctx.release
    mode = "eager" if deployment.flag_set("enforce-eager") else "compiled"
    shapes = ctx.model or ctx.shapes
    base = cold_start_base(mode, getattr(release, "version", None), getattr(shapes, "architectures", None) or ())
    if base is None:
        return
    low, typical, what = base
    weights, basis = _weights_bytes(deployment, ctx)
    if weights:
        reading = weights / rate
        weights_text = (f"{weights / 1e9:.1f} GB of weights ({basis}) at {ctx.options['disk-throughput']} "
                        f"(option disk-throughput): {reading:.0f} s")
    else:
        reading = 0.0
        weights_text = "weights not counted (the model's size is not known)"
    low, typical = low + reading, typical + reading
    if budget >= low:
        return
    suggest = max(60, math.ceil(2 * typical / 60) * 60)
    if probe.kind == "compose":
        hint = f"start_period: {suggest}s (twice the typical cold start), or more for a model downloaded on first start"
    else:
        period = probe.timing.get("periodSeconds", (10.0, None))[0] or 10.0
        threshold = math.ceil(suggest / period)
        hint = (f"raise the startupProbe's failureThreshold to {threshold} (× periodSeconds {period:g} = {suggest} s)"
                if probe.kind == "startupProbe" else
                f"add a startupProbe with periodSeconds: {period:g} and failureThreshold: {threshold} ({suggest} s), "
                "and keep the liveness probe for after the start")
    name = "healthcheck" if probe.kind == "compose" else probe.kind
    expected = f"about {typical:.0f} s" + (f", at least {low:.0f} s" if round(typical) != round(low) else "")
    yield ctx.finding(span, f"the {name} gives up after {budget:g} s ({how}), but this launch's cold start is expected "
                      f"to take {expected} ({what}; {weights_text}; not counting a download into an empty cache): "
                      f"{consequence}", hint=hint)


def _weights_bytes(deployment, ctx) -> tuple[float | None, str]:
    """The checkpoint's bytes to read: the metadata's file sizes, else the memory estimate's weights (all GPUs)."""
    meta = ctx.model
    total = getattr(getattr(meta, "weights", None), "total_bytes", None) if meta is not None else None
    if total:
        return float(total), "the checkpoint's files"
    est = ctx.feasibility.estimate if meta is not None or ctx.shapes is not None else None
    if est is None and meta is not None:
        # no GPU known: the weights do not depend on the card, so weigh them on a stand-in of the same count
        from vllm_lint.hardware.gpu import find_gpu
        from vllm_lint.memory.estimate import estimate
        from vllm_lint.memory.inputs import Launch
        from vllm_lint.memory.shapes import NotModelled

        gpu = find_gpu("h200")
        workers = max(1, deployment.tensor_parallel * deployment.pipeline_parallel)
        release = ctx.release
        try:
            if gpu is not None and workers <= 64:
                est = estimate(meta, Launch.from_deployment(deployment), [(None, gpu)] * workers,
                               getattr(release, "version", None) or "0.0")
        except (NotModelled, KeyError, TypeError, ValueError, ZeroDivisionError):
            est = None
    if est is None:
        return None, ""
    return float(sum(g.weights.bytes for g in est.gpus)), "estimated from the model's shapes"
