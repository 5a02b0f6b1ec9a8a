"""Source files: reading them safely, positions from offsets, and the problems found while loading."""
from __future__ import annotations

import bisect
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.sources.span import Span

#: Files larger than this are not read (a configuration file is never this big).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Longest file name and path the usual file systems take (NAME_MAX, PATH_MAX - 1).
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4095


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


def path_problem(path) -> str | None:
    """Why ``path`` (a name a configuration gives) cannot name a file on this system, or None: a NUL byte,
    a component longer than 255 bytes, a whole path longer than 4095 bytes. ``Path.is_file()`` raises on
    these (ValueError, OSError) instead of answering."""
    text = str(path)
    if "\0" in text:
        return "the path contains a NUL byte"
    try:
        raw = os.fsencode(text)
    except (UnicodeError, ValueError):
        return "the path cannot be encoded for this file system"
    if len(raw) > MAX_PATH_BYTES:
        return f"the path is {len(raw)} bytes long, more than the {MAX_PATH_BYTES} a path may have"
    longest = max((len(part) for part in raw.split(b"/")), default=0)
    if longest > MAX_NAME_BYTES:
        return f"a name in the path is {longest} bytes long, more than the {MAX_NAME_BYTES} a file name may have"
    return None


def file_kind(mode: int) -> str:
    """What a stat mode is, in words (for "not a regular file" messages)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def regular_file_problem(path) -> str | None:
    """None when ``path`` is a regular file (through symbolic links) that may be opened; else why not,
    without opening it (opening a FIFO blocks, reading /dev/zero never ends)."""
    why = path_problem(path)
    if why:
        return why
    try:
        st = os.stat(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    except ValueError as exc:
        return str(exc)
    if not stat.S_ISREG(st.st_mode):
        return f"{file_kind(st.st_mode)}, not a regular file; not read"
    return None


def is_regular_file(path) -> bool:
    """``Path.is_file()`` that never raises: False for a bad path (NUL, too long) and for anything but a
    regular file (FIFO, device, socket, folder)."""
    return regular_file_problem(path) is None


def read_bytes(path, limit: int | None = None) -> bytes:
    """At most ``limit`` bytes of a regular file, or :class:`UnreadableFile`. The file is opened without
    blocking (a FIFO swapped in after a check must not hang the run), checked to be a regular file on the
    open descriptor, and the cap is enforced while reading: ``st_size`` is 0 for devices and can lie."""
    limit = MAX_FILE_BYTES if limit is None else limit
    why = path_problem(path)
    if why:
        raise UnreadableFile(f"cannot read file: {why}")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile(f"{file_kind(st.st_mode)}, not a regular file; not read")
        if st.st_size > limit:
            raise UnreadableFile(_too_large(st.st_size, limit))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise UnreadableFile(_too_large(total, limit, grew=True))
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(f"cannot read file: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def head_text(path, size: int) -> str:
    """The first ``size`` bytes of a regular file as text, in the encoding :func:`detect_encoding` finds
    (undecodable bytes replaced); "" for anything that cannot be read or is not a regular file."""
    try:
        data = _read_head(path, size)
    except UnreadableFile:
        return ""
    encoding, bom = detect_encoding(data)
    if encoding.startswith(("utf-16", "utf-32")):
        unit = 2 if encoding.startswith("utf-16") else 4
        data = data[: bom + (len(data) - bom) // unit * unit]
    return data[bom:].decode(encoding, "replace")


def _read_head(path, size: int) -> bytes:
    why = path_problem(path)
    if why:
        raise UnreadableFile(why)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnreadableFile("not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        chunks, total = [], 0
        while total < size:
            chunk = os.read(fd, size - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise UnreadableFile(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def _too_large(size: int, limit: int, grew: bool = False) -> str:
    what = f"more than {limit / 1024 / 1024:.0f} MiB" if grew else f"{size / 1024 / 1024:.1f} MiB"
    return (f"file is {what}, larger than the {limit // 1024 // 1024} MiB a configuration file may have; not read")


#: Byte-order marks, longest first (UTF-32 LE starts like UTF-16 LE).
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xef\xbb\xbf", "utf-8"),
         (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def detect_encoding(data: bytes) -> tuple[str, int]:
    """(encoding, length of its byte-order mark) as YAML 1.2 detects it (5.2): a BOM, else the pattern of NUL
    bytes in the first four (``x 0 0 0`` UTF-32 LE, ``0 0 0 x`` UTF-32 BE, ``x 0`` UTF-16 LE, ``0 x`` UTF-16
    BE), else UTF-8. Compose, kubectl and PyYAML read UTF-16 and UTF-32 files."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    head = data[:4]
    if len(head) == 4:
        if head[0] and not head[1] and not head[2] and not head[3]:
            return "utf-32-le", 0
        if not head[0] and not head[1] and not head[2] and head[3]:
            return "utf-32-be", 0
    if len(head) >= 2:
        if head[0] and not head[1]:
            return "utf-16-le", 0
        if not head[0] and head[1]:
            return "utf-16-be", 0
    return "utf-8", 0


def decode(data: bytes) -> tuple[str, str, bool]:
    """(text, encoding, had a byte-order mark) of a file's bytes, or :class:`UnreadableFile`: binary data
    (NUL bytes in the text), or bytes that are not valid in the encoding detected."""
    encoding, bom = detect_encoding(data)
    body = data[bom:]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise UnreadableFile(f"not valid {encoding.upper()} (byte {exc.start + bom}); not read") from None
        nul = body.find(b"\0", 0, 8192)
        if nul >= 0:
            raise UnreadableFile("binary file (contains NUL bytes); not read", body.count(b"\n", 0, nul) + 1)
        line = body.count(b"\n", 0, exc.start) + 1
        column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UnreadableFile(f"not valid UTF-8 (byte 0x{body[exc.start]:02x}); not read", line, column) from None
    nul = text.find("\0", 0, 8192)
    if nul >= 0:
        raise UnreadableFile("binary file (contains NUL bytes); not read", text.count("\n", 0, nul) + 1)
    return text, encoding, bom > 0


def read_text(path: Path) -> str:
    """The text of a configuration file, or :class:`UnreadableFile` saying why not: not a regular file (a
    FIFO, a device), larger than :data:`MAX_FILE_BYTES`, binary, or not valid in its encoding (UTF-8, or
    UTF-16/UTF-32 as a byte-order mark or the NUL bytes of its first characters say)."""
    from vllm_lint.sources.overlay import text_of

    edited = text_of(path)  # an editor's unsaved buffer (the language server)
    if edited is not None:
        return edited
    text, _, _ = decode(read_bytes(path))
    return text
