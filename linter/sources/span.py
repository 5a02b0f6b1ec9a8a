"""Span: where a value stands in a source file (1-based lines and columns)."""
from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A range in a source file. Lines and columns are 1-based; ``end_column`` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    # Character offsets into the file's text (0-based, end exclusive), when known.
    # Fixes use them to edit the exact bytes the span covers.
    start: int | None = None
    end: int | None = None

    @classmethod
    def point(cls, path: str, line: int = 1, column: int = 1) -> "Span":
        return cls(path, line, column, line, column + 1)

    def shifted(self, text: str, offset: int, length: int) -> "Span":
        """The sub-span ``[offset, offset + length)`` of this span, given the span's own text.

        Only meaningful for spans whose text has no escapes (plain scalars, single lines or
        raw text); line breaks inside ``text`` are followed.
        """
        before = text[:offset]
        line = self.line + before.count("\n")
        column = (offset - before.rfind("\n")) if "\n" in before else self.column + offset
        inner = text[offset : offset + length]
        end_line = line + inner.count("\n")
        end_column = (len(inner) - inner.rfind("\n")) if "\n" in inner else column + len(inner)
        start = None if self.start is None else self.start + offset
        return Span(self.path, line, column, end_line, end_column, start, None if start is None else start + length)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"
