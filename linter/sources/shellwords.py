"""Split a command line into words the way a POSIX shell (and compose) does, keeping offsets.

Compose splits a string ``command:``/``entrypoint:`` with shell quoting rules (quotes, backslash
escapes) but runs no shell: there are no comments, pipes or variable expansion at that stage.
Scripts (``script=True``) additionally end a command at ``;``, ``&&``, ``||``, ``|``, ``&`` and a
newline, treat ``#`` at the start of a word as a comment and drop redirections.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Word:
    value: str
    start: int  # offset of the word's first character in the text
    end: int  # offset just past its last character
    quoted: bool = False


class ShellSyntaxError(ValueError):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


_SEPARATORS = (";", "&&", "||", "|", "&")


def split(text: str, start: int = 0, end: int | None = None, *, script: bool = False) -> list[list[Word]]:
    """Split ``text[start:end]``; returns a list of commands, each a list of words.

    Without ``script`` there is exactly one command.
    """
    end = len(text) if end is None else end
    commands: list[list[Word]] = [[]]
    i = start
    while i < end:
        c = text[i]
        if c == "\\" and i + 1 < end and text[i + 1] == "\n":
            i += 2
            continue
        if c == "\\" and text.startswith("\r\n", i + 1):
            i += 3
            continue
        if c in " \t\r" or (c == "\n" and not script):
            i += 1
            continue
        if script:
            if c == "\n":
                commands.append([])
                i += 1
                continue
            if c == "#":
                nl = text.find("\n", i, end)
                i = end if nl < 0 else nl
                continue
            sep = next((s for s in _SEPARATORS if text.startswith(s, i)), None)
            if sep:
                commands.append([])
                i += len(sep)
                continue
            if c in "<>" or (c.isdigit() and i + 1 < end and text[i + 1] in "<>"):
                i = _skip_redirection(text, i, end)
                continue
        word, i = _word(text, i, end, script)
        commands[-1].append(word)
    return [c for c in commands if c] or [[]]


def _skip_redirection(text: str, i: int, end: int) -> int:
    while i < end and text[i] in "0123456789<>&":
        i += 1
    while i < end and text[i] in " \t":
        i += 1
    _, i = _word(text, i, end, True)
    return i


def _word(text: str, i: int, end: int, script: bool) -> tuple[Word, int]:
    start = i
    out: list[str] = []
    quoted = False
    stops = " \t\r\n" + (";&|<>" if script else "")
    while i < end:
        c = text[i]
        if c in stops:
            break
        if c == "\\":
            if i + 1 < end and text[i + 1] == "\n":
                i += 2
                continue
            if i + 1 < end:
                out.append(text[i + 1])
                i += 2
                continue
            i += 1
            continue
        if c == "'":
            close = text.find("'", i + 1, end)
            if close < 0:
                raise ShellSyntaxError("unterminated single quote", i)
            out.append(text[i + 1 : close])
            quoted = True
            i = close + 1
            continue
        if c == '"':
            i += 1
            quoted = True
            while True:
                if i >= end:
                    raise ShellSyntaxError("unterminated double quote", start)
                d = text[i]
                if d == '"':
                    i += 1
                    break
                if d == "\\" and i + 1 < end and text[i + 1] in '"\\$`\n':
                    if text[i + 1] != "\n":
                        out.append(text[i + 1])
                    i += 2
                    continue
                out.append(d)
                i += 1
            continue
        out.append(c)
        i += 1
    return Word("".join(out), start, i, quoted), i
