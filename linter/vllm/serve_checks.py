"""What ``vllm serve`` checks after parsing, per release (``knowledge/vllm/serve_checks.yaml``, generated from each
release's ``validate_parsed_serve_args`` by ``knowledge/tools/build_vllm_serve_checks.py``), and the releases that
deprecate the ``key=value`` form of JSON options.

In: a release name and the values of the parsed options by argparse dest. Out: the checks that fail, each with the
exception and message vLLM raises and its source line.
"""
from __future__ import annotations

import functools

from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.conditions import holds
from vllm_lint.vllm.options import version_key


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return load_knowledge("vllm/serve_checks.yaml")


def _holds_in(entry: dict, release: str) -> bool:
    key = version_key(release)
    stretches = entry.get("ranges") or [entry]
    newest = _data()["releases"][-1]
    if key > version_key(newest):
        key = version_key(newest)
    return any(key >= version_key(s["since"]) and ("until" not in s or key < version_key(s["until"])) for s in stretches)


def checks(release: str) -> list[dict]:
    """The checks of ``release``'s ``vllm serve`` (none before the oldest release read)."""
    if version_key(release) < version_key(_data()["releases"][0]):
        return []
    return [c for c in _data()["checks"] if _holds_in(c, release)]


def kvs_deprecation(release: str) -> dict | None:
    return next((k for k in _data()["kvs_deprecated"] if _holds_in(k, release)), None)


def failing(release: str, value_of) -> list[dict]:
    """The checks whose condition holds; ``value_of(dest)`` -> (known, value) (known False: set at run time, the
    check is not judged)."""
    return [check for check in checks(release) if holds(check["when"], value_of)]
