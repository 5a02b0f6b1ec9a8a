"""The model's architecture is not served by the pinned vLLM release.

## What it does
Looks up the ``architectures`` of the model's ``config.json`` in
``knowledge/vllm/architectures.yaml`` — generated from the model registry
(``vllm/model_executor/models/registry.py``) of every covered release — and reports an
architecture that the pinned release does not have yet (with the first release that does) or no
longer has. An architecture no covered release knows is left alone: vLLM may still serve it through
its Transformers backend or a plugin.

## Why is this bad?
vLLM stops before loading anything: "Model architectures ['Qwen3VLForConditionalGeneration'] are
not supported for now." Seed report 002's log shows vLLM 0.6.4.post1 serving
``Qwen3VLForConditionalGeneration``, which no release before 0.11.0 has: that log cannot be what
ran.

## Example
```yaml
    image: vllm/vllm-openai:v0.9.2
    command: ["--model", "Qwen/Qwen3-VL-32B-Instruct-FP8"]
```

A release that the knowledge has no registry of (``v0.10.1.1``) is judged by the covered releases
around it: where one serves the architecture and the other does not, it is not reported. The first
release that serves an architecture is named only when the release before it is covered too;
otherwise the message says "served in every release known from X". When the image pins no release,
the newest known is assumed, and an architecture that only newer releases dropped is a warning that
says so.

## Fix
Pin a release that serves the architecture (the message names the first one known).
"""
from packaging.version import Version

from vllm_lint.rule import release_basis
from vllm_lint.vllm.release import first_release_known, known_at
from vllm_lint.vllm.support import architecture, covered_releases, in_range

CODE = "VLL305"
NAME = "architecture-unsupported"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("release", "model")


def served(version: str, entry: dict) -> bool:
    """Whether a covered release serves the architecture (every stretch of ``ranges`` when it came back)."""
    stretches = entry.get("ranges") or [entry]
    return any(in_range(version, stretch) for stretch in stretches)


def check(deployment, ctx):
    meta = ctx.model
    basis = release_basis(ctx)
    covered = covered_releases()
    for name in meta.architectures:
        entry = architecture(name)
        if entry is None:
            continue
        if known_at(basis.name, covered, lambda v, entry=entry: served(v, entry)) is not False:
            continue  # served, or unknown: a release between two registries that disagree
        span = deployment.image_span or (deployment.model_arg.value_or_flag_span if deployment.model_arg else deployment.span)
        if deployment.version is None and deployment.model_arg is not None:
            span = deployment.model_arg.value_or_flag_span
        severity = ctx.rule.severity
        here = Version(basis.name)
        stretches = entry.get("ranges") or [entry]
        ended = [str(x["until"]) for x in stretches if x.get("until") and Version(str(x["until"])) <= here]
        starts = [str(x["since"]) for x in stretches if Version(str(x["since"])) > here]
        parts = []
        if ended:
            parts.append(_removed(max(ended, key=Version), covered))
            severity = basis.severity(severity)  # older releases serve it: wrong only in the assumed one
        if starts:
            parts.append(_first(min(starts, key=Version), covered, again=bool(ended)))
        verb = "no longer serves" if ended and not starts else "does not serve"
        message = f"{basis.text} {verb} {name} ({meta.model_id}): {', '.join(parts)}"
        hint = (f"pin vLLM {min(starts, key=Version)} or later" if starts else
                f"pin a release before {max(ended, key=Version)}")
        yield ctx.finding(span, message + f"; it stops with \"Model architectures ['{name}'] are not supported for now\"",
                          hint=hint, severity=severity)


def _first(since: str, covered: list[str], again: bool = False) -> str:
    if first_release_known(since, covered):
        return f"served again from vLLM {since}" if again else f"first served in vLLM {since}"
    return f"served {'again ' if again else ''}in every release known from {since}"


def _removed(until: str, covered: list[str]) -> str:
    if first_release_known(until, covered) or until not in covered or covered.index(until) == 0:
        return f"removed in {until}"
    return f"removed after {covered[covered.index(until) - 1]}, in no release known from {until}"
