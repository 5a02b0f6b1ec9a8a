"""``.env`` files as compose reads them: ``KEY=VALUE`` lines, ``export``, quotes and comments."""
from __future__ import annotations

import re
from dataclasses import dataclass

from vllm_lint.sources.interpolation import interpolate
from vllm_lint.sources.source_file import SourceFile
from vllm_lint.sources.span import Span

_LINE = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(=|:)?\s*(.*)$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


@dataclass
class Definition:
    name: str
    value: str
    span: Span  # the value on its line (the whole line for an empty value)
    line_span: Span


def parse(source: SourceFile, lookup=lambda name: None) -> dict[str, Definition]:
    """Definitions of a .env file; values may refer to earlier ones and to ``lookup``."""
    result: dict[str, Definition] = {}
    offset = 0
    for raw_line in source.text.splitlines(keepends=True):
        line_start = offset
        offset += len(raw_line)
        line = raw_line.rstrip("\r\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(line)
        if not m or not m.group(2):
            source.add("invalid-dotenv", f"cannot read this line of an env file: {stripped[:60]!r}",
                       source.span(line_start, line_start + len(line)))
            continue
        name, rest = m.group(1), m.group(3)
        value_offset = line_start + m.start(3)
        value, length = _value(rest)
        if not (rest.startswith("'")):
            value = interpolate(value, lambda n: result[n].value if n in result else lookup(n)).value
        span = source.span(value_offset, value_offset + length) if length else source.span(line_start, line_start + len(line))
        result[name] = Definition(name, value, span, source.span(line_start, line_start + len(line)))
    return result


def _value(rest: str) -> tuple[str, int]:
    """(value, length of its text on the line)."""
    if rest[:1] == "'":
        end = rest.find("'", 1)
        if end > 0:
            return rest[1:end], end + 1
        return rest[1:], len(rest)
    if rest[:1] == '"':
        out = []
        i = 1
        while i < len(rest):
            c = rest[i]
            if c == "\\" and i + 1 < len(rest):
                out.append(_ESCAPES.get(rest[i + 1], "\\" + rest[i + 1]))
                i += 2
                continue
            if c == '"':
                return "".join(out), i + 1
            out.append(c)
            i += 1
        return "".join(out), len(rest)
    comment = re.search(r"\s#", rest)
    value = rest[: comment.start()] if comment else rest
    value = value.rstrip()
    return value, len(value)
