"""Split a command line into words the way a POSIX shell (and compose) does, keeping offsets.

Compose splits a string ``command:``/``entrypoint:`` with shell quoting rules (quotes, backslash
escapes) but runs no shell: there are no comments, pipes or variable expansion at that stage.
Scripts (``script=True``) additionally end a command at ``;``, ``&&``, ``||``, ``|``, ``&`` and a
newline, treat ``#`` at the start of a word as a comment and drop redirections; the body of a
here-document (``<<EOF`` ... ``EOF``, ``<<-'EOT'``) is data, not commands.
"""
from __future__ import annotations

import re
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
_DELIMITER = re.compile(r"[A-Za-z0-9_.-]+")


def split(text: str, start: int = 0, end: int | None = None, *, script: bool = False) -> list[list[Word]]:
    """Split ``text[start:end]``; returns a list of commands, each a list of words.

    Without ``script`` there is exactly one command.
    """
    end = len(text) if end is None else end
    commands: list[list[Word]] = [[]]
    heredocs: list[tuple[str, bool]] = []  # (delimiter, strip leading tabs) of the << on the current line
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
                if heredocs:  # the bodies of this line's here-documents follow: data, not commands
                    i = _skip_heredocs(text, i, end, heredocs)
                    heredocs = []
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
                i = _skip_redirection(text, i, end, heredocs)
                continue
        word, i = _word(text, i, end, script)
        commands[-1].append(word)
    return [c for c in commands if c] or [[]]


def _skip_redirection(text: str, i: int, end: int, heredocs: list | None = None) -> int:
    operator_start = i
    while i < end and text[i] in "0123456789<>&":
        i += 1
    operator = text[operator_start:i].lstrip("0123456789")
    strip_tabs = i < end and operator == "<<" and text[i] == "-"
    if strip_tabs:
        i += 1
    while i < end and text[i] in " \t":
        i += 1
    word, i = _word(text, i, end, True)
    if operator == "<<" and heredocs is not None and _DELIMITER.fullmatch(word.value):  # <<EOF, <<-'EOT' (not <<<, $((1<<2)))
        heredocs.append((word.value, strip_tabs))
    return i


def _skip_heredocs(text: str, i: int, end: int, heredocs: list[tuple[str, bool]]) -> int:
    """Past the bodies of here-documents that start at ``i``, each ending at a line that is its delimiter
    (after leading tabs, for ``<<-``); an unterminated one runs to the end of the text, as in the shell."""
    for delimiter, strip_tabs in heredocs:
        while i < end:
            nl = text.find("\n", i, end)
            line_end = end if nl < 0 else nl
            line = text[i:line_end].rstrip("\r")
            i = end if nl < 0 else nl + 1
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                break
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
