"""Last stage, reporters: findings to text for people and to formats for machines.

In: the run's result (findings, notes, estimates). Out: text, json, sarif, github, rdjson, markdown, gitlab
(Code Quality) or junit (:func:`render`; ``baseline``, the document ``vllm-lint baseline`` writes), the VRAM report (:mod:`.vram_table`, :mod:`.html_report`) and the one pull-request comment
vllm-lint keeps up to date (:mod:`.pr_comment`).
"""
from __future__ import annotations

from importlib import import_module

FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown", "gitlab", "junit")


def render(fmt: str, result, **options) -> str:
    """``result`` in format ``fmt``, with every secret value of the run masked (:mod:`.secrets`)."""
    from vllm_lint.reporters.secrets import mask

    module = import_module(f"{__name__}.{fmt}")
    return mask(module.render(result, **options), result)
