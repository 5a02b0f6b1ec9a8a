"""Variable interpolation exactly as docker compose does it.

Supported: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
``${VAR?error}``, ``${VAR:+replacement}``, ``${VAR+replacement}``, nested defaults
(``${A:-${B}}``) and ``$$`` as a literal ``$``. An unset variable with no default becomes an empty
string (compose warns "The "X" variable is not set. Defaulting to a blank string."); ``:?``/``?``
on an unset variable is an error in compose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Deepest nesting of ``${A:-${B:-...}}`` followed (compose's own parser recurses; real files nest two or three).
MAX_NESTING = 32


@dataclass
class Reference:
    """One ``$VAR`` / ``${...}`` in a value: its raw text, the variable and what went wrong."""

    name: str
    text: str  # raw text of the reference, e.g. "${MODEL_NAME_MEDIUM}"
    offset: int  # offset of ``text`` in the raw value
    problem: str | None = None  # "unset", "required" or "invalid"
    message: str | None = None


@dataclass
class Result:
    value: str
    references: list[Reference] = field(default_factory=list)


def interpolate(raw: str, lookup) -> Result:
    """Interpolate ``raw``; ``lookup(name)`` returns the value or None when unset."""
    if "$" not in raw:
        return Result(raw)
    out: list[str] = []
    refs: list[Reference] = []
    _expand(raw, 0, len(raw), lookup, out, refs)
    return Result("".join(out), refs)


def _find_close(raw: str, start: int, end: int) -> int:
    """Index of the ``}`` closing the ``${`` whose body starts at ``start``, or -1."""
    depth = 1
    i = start
    while i < end:
        c = raw[i]
        if c == "$" and i + 1 < end and raw[i + 1] == "$":
            i += 2
            continue
        if c == "$" and i + 1 < end and raw[i + 1] == "{":
            depth += 1
            i += 2
            continue
        if c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _expand(raw, start, end, lookup, out, refs, depth: int = 0) -> None:
    if depth > MAX_NESTING:
        refs.append(Reference("", raw[start:end], start, "invalid",
                              f"invalid interpolation format: defaults nested more than {MAX_NESTING} levels deep"))
        out.append(raw[start:end])
        return
    i = start
    while i < end:
        c = raw[i]
        if c != "$":
            j = raw.find("$", i, end)
            j = end if j < 0 else j
            out.append(raw[i:j])
            i = j
            continue
        nxt = raw[i + 1] if i + 1 < end else ""
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            close = _find_close(raw, i + 2, end)
            if close < 0:
                refs.append(Reference("", raw[i:end], i, "invalid", f"invalid interpolation format: {raw[i:end]!r} has no closing '}}'"))
                out.append(raw[i:end])
                return
            _braced(raw, i, close, lookup, out, refs, depth)
            i = close + 1
            continue
        m = _NAME.match(raw, i + 1, end)
        if m:
            name = m.group(0)
            value = lookup(name)
            ref = Reference(name, raw[i : m.end()], i)
            if value is None:
                ref.problem, ref.message = "unset", f'variable "{name}" is not set; compose defaults it to a blank string'
                value = ""
            refs.append(ref)
            out.append(value)
            i = m.end()
            continue
        # a lone "$" is kept as is by compose
        out.append("$")
        i += 1


def _braced(raw, i, close, lookup, out, refs, depth: int = 0) -> None:
    body_start = i + 2
    m = _NAME.match(raw, body_start, close)
    text = raw[i : close + 1]
    if not m:
        refs.append(Reference("", text, i, "invalid", f"invalid interpolation format: {text!r}"))
        out.append(text)
        return
    name = m.group(0)
    ref = Reference(name, text, i)
    refs.append(ref)
    op_start = m.end()
    value = lookup(name)
    if op_start == close:
        if value is None:
            ref.problem, ref.message = "unset", f'variable "{name}" is not set; compose defaults it to a blank string'
            value = ""
        out.append(value)
        return
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if raw.startswith(op, op_start):
            break
    else:
        ref.problem, ref.message = "invalid", f"invalid interpolation format: {text!r}"
        out.append(text)
        return
    arg_start = op_start + len(op)
    empty_counts = op.startswith(":")
    missing = value is None or (empty_counts and value == "")
    if op.endswith("-"):
        if missing:
            _expand(raw, arg_start, close, lookup, out, refs, depth + 1)
        else:
            out.append(value)
    elif op.endswith("+"):
        if not missing:
            _expand(raw, arg_start, close, lookup, out, refs, depth + 1)
    else:  # "?" / ":?": required
        if missing:
            sub: list[str] = []
            _expand(raw, arg_start, close, lookup, sub, refs, depth + 1)
            message = "".join(sub) or ("not set or empty" if empty_counts else "not set")
            ref.problem, ref.message = "required", f'required variable "{name}" is missing a value: {message}'
        else:
            out.append(value)
