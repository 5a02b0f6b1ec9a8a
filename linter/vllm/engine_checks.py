"""The checks across options that vLLM's engine configuration runs before any GPU work, per release
(``knowledge/vllm/engine_checks.yaml``: written by hand from the release sources it lists, each fact with the
file:line it was read at).

``EngineArgs.create_engine_config()`` and the ``__post_init__`` / model validators of the config classes it builds
(``ParallelConfig``, ``SpeculativeConfig``, ``ModelConfig`` ...) stop ``vllm serve`` on combinations that each
option alone allows: a tensor-parallel size that the decode-context-parallel size does not divide, a
``--data-parallel-size-local`` above ``--data-parallel-size``, a speculative config with no
``num_speculative_tokens`` ... In: a release name and ``value_of(dest)``
(:class:`~vllm_lint.vllm.launch_values.LaunchValues`). Out: the checks that fail, with the exception, vLLM's
message (its ``{dest}`` fields filled in) and the source line of that release.
"""
from __future__ import annotations

import functools

from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.conditions import format_message, holds
from vllm_lint.vllm.startup_checks import holds as in_range
from vllm_lint.vllm.startup_checks import source_in

__all__ = ["applicable", "data", "failing", "read_releases"]


def data() -> dict:
    return load_knowledge("vllm/engine_checks.yaml")


def read_releases() -> list[str]:
    return list(data()["read"])


@functools.cache
def applicable(release: str) -> tuple:
    """``(check, range)`` for each check with a range that holds in ``release`` (a release outside every range of
    a check, older than the first read or between two ranges read differently, is not judged by it)."""
    out = []
    for check in data()["checks"]:
        stretch = next((r for r in check["ranges"] if in_range(r, release)), None)
        if stretch is not None:
            out.append((check, stretch))
    return tuple(out)


def failing(release: str, value_of) -> list[dict]:
    """``{"id", "exception", "message", "source", "when"}`` for each check of ``release`` whose condition holds."""
    out = []
    for check, stretch in applicable(release):
        when = stretch.get("when", check["when"])
        if not holds(when, value_of):
            continue
        message = format_message(stretch.get("message", check["message"]), value_of)
        exception = stretch.get("exception", check["exception"])
        cls = stretch.get("class", check.get("class"))
        if cls:  # a pydantic validator: vLLM prints the ValidationError that wraps it (an assert: "Assertion failed")
            raised_as = stretch.get("raised_as", check.get("raised_as", "Value error"))
            field = stretch.get("field", check.get("field"))  # a field_validator: pydantic names the field
            message = f"1 validation error for {cls}\n" + (f"{field}\n" if field else "") + f"  {raised_as}, {message}"
        out.append({"id": check["id"], "exception": exception, "message": message,
                    "source": source_in(stretch["source"], release), "when": when})
    return out
