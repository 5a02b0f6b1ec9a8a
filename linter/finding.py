"""Finding and Fix: what a rule reports, and how to mend it."""
from __future__ import annotations

from dataclasses import dataclass, field

from vllm_lint.sources.span import Span

SEVERITIES = ("info", "warning", "error")


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Edit:
    """Replace the text a span covers (by character offsets) with ``replacement``."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...] = ()
    safe: bool = True  # unsafe fixes change behaviour and need --unsafe-fixes


@dataclass
class Finding:
    code: str
    name: str
    severity: str
    message: str
    span: Span
    hint: str | None = None  # how to fix it, in words
    fix: Fix | None = None
    deployment: str | None = None  # name of the service/container concerned
    related: list[Span] = field(default_factory=list)

    def sort_key(self):
        return (self.span.path, self.span.line, self.span.column, self.code, self.message)
