"""Edits of an environment variable's value where it is set: a compose ``environment`` map or list item, a
Kubernetes ``env`` value, an ``env_file`` line, a script's ``NAME=value`` / ``export NAME=value``.

The span of an :class:`EnvVar` covers the value (a map value, a Kubernetes ``value:``) or the whole
``NAME=value`` text (a list item, an env-file line, a shell word). The edit rewrites only the value's characters,
keeping its quotes; a value whose text is not its value (escapes, interpolation) gives no edit.
"""
from __future__ import annotations

import re

from vllm_lint.finding import Edit
from vllm_lint.launch.deployment import EnvVar
from vllm_lint.sources.source_file import SourceFile

_SAFE = re.compile(r"^[A-Za-z0-9_.:/@+-]*$")


def replace_env_value(var: EnvVar, value: str, source: SourceFile | None) -> tuple[Edit, ...] | None:
    """Edits that make ``var`` read ``value`` (both the old and the new value plain: letters, digits, ``_.:/@+-``)."""
    if source is None or var.value is None or var.variables or not _SAFE.match(value) or not _SAFE.match(var.value):
        return None
    span = var.span
    if span.start is None or span.end is None:
        return None
    text = source.text[span.start:span.end]
    inner = text
    offset = 0
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        inner, offset = text[1:-1], 1
    if inner == var.value:
        start = span.start + offset
    elif inner == f"{var.name}={var.value}":
        start = span.start + offset + len(var.name) + 1
    elif inner.endswith(f"={var.value}") and inner.split("=", 1)[0].strip().endswith(var.name):
        start = span.start + offset + len(inner) - len(var.value)
    else:
        return None
    if not var.value and start != span.start + offset:
        return None
    return (Edit(source.span(start, start + len(var.value)), value),)
