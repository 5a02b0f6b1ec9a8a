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
    """Definitions of a .env file; values may refer to earlier ones and to ``lookup``.

    As compose's own dotenv parser: a value in quotes runs to its closing quote, over several lines if need
    be (a ``\\"`` or ``\\'`` does not close it); double quotes expand ``\\n`` / ``\\r`` escapes and variables,
    single quotes keep everything as written."""
    result: dict[str, Definition] = {}
    text = source.text
    offset = 0
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        raw_line = lines[i]
        i += 1
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
        if rest[:1] in ("'", '"') and _closing_quote(rest) < 0:
            close = _closing_quote(text, value_offset)
            if close < 0:
                source.add("invalid-dotenv", f"unterminated quoted value of {name}: the quote never closes",
                           source.span(value_offset, value_offset + 1))
                break
            while i < len(lines) and offset <= close:  # the lines the value spans
                offset += len(lines[i])
                i += 1
            raw = text[value_offset + 1:close]
            value = _unescape(raw) if rest[0] == '"' else raw
            length = close + 1 - value_offset
            whole = source.span(line_start, close + 1)
        else:
            value, length = _value(rest)
            whole = source.span(line_start, line_start + len(line))
        if not (rest.startswith("'")):
            value = interpolate(value, lambda n: result[n].value if n in result else lookup(n)).value
        span = source.span(value_offset, value_offset + length) if length else source.span(line_start, line_start + len(line))
        result[name] = Definition(name, value, span, whole)
    return result


def _closing_quote(text: str, start: int = 0) -> int:
    """Index of the quote closing the one at ``text[start]`` (not preceded by a backslash), or -1."""
    quote = text[start]
    i = text.find(quote, start + 1)
    while i >= 0 and text[i - 1] == "\\":
        i = text.find(quote, i + 1)
    return i


def _unescape(raw: str) -> str:
    out = []
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw):
            out.append(_ESCAPES.get(raw[i + 1], "\\" + raw[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


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
