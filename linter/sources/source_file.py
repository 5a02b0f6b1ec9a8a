"""Source files: reading them safely, positions from offsets, and the problems found while loading."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.sources.span import Span

#: Files larger than this are not read (a configuration file is never this big).
MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass
class Problem:
    """Something wrong with a file itself, found while loading it (reported by the VLL0xx rules)."""

    kind: str  # "unreadable", "unset-variable", "required-variable", "invalid-interpolation", ...
    message: str
    span: Span
    detail: str | None = None  # e.g. the variable name


@dataclass
class SourceFile:
    path: str  # the path as the user named it (relative to the working directory when possible)
    abspath: Path
    text: str = ""
    kind: str = ""  # "compose", "kubernetes", "script", "vllm-config", "dotenv"
    problems: list[Problem] = field(default_factory=list)
    env_files: list[str] | None = None  # compose: the env files read for its interpolation ([] when none)
    _line_starts: list[int] | None = None

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self.line_starts
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def span(self, start: int, end: int) -> Span:
        starts = self.line_starts
        line = bisect.bisect_right(starts, start)
        end_line = bisect.bisect_right(starts, end)
        return tuple.__new__(Span, (self.path, line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1,
                                    start, end))

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if not 1 <= line <= len(starts):
            return ""
        start = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r")

    def add(self, kind: str, message: str, span: Span, detail: str | None = None) -> None:
        key = (kind, span.line, span.column, detail)
        if any((p.kind, p.span.line, p.span.column, p.detail) == key for p in self.problems):
            return
        self.problems.append(Problem(kind, message, span, detail))


class UnreadableFile(Exception):
    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def read_text(path: Path) -> str:
    """The text of a configuration file, or :class:`UnreadableFile` saying why not."""
    from vllm_lint.sources.overlay import text_of

    edited = text_of(path)  # an editor's unsaved buffer (the language server)
    if edited is not None:
        return edited
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise UnreadableFile(
            f"file is {size / 1024 / 1024:.1f} MiB, larger than the {MAX_FILE_BYTES // 1024 // 1024} MiB "
            "a configuration file may have; not read")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    nul = data.find(b"\0", 0, 8192)
    if nul >= 0:
        raise UnreadableFile("binary file (contains NUL bytes); not read", data.count(b"\n", 0, nul) + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UnreadableFile(f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); not read", line, column) from None
    return text
