"""Apply fixes: non-overlapping text edits, checked, then written atomically.

Each fix replaces exactly the characters its spans cover, so comments, quoting, key order,
anchors and indentation stay as they were. Before anything is written the new text must read back
as YAML through ruamel.yaml's round-trip parser (the parser editors and formatters use), the file
must be unchanged since it was read (content and identity, under an advisory lock), and it is replaced
atomically (a temporary file in the same folder with the original mode, owner and group, then an atomic
exchange or rename; see :func:`write_atomic`). A symbolic link's target is fixed and the link kept; a read-only
file is not written without ``force``. Lint, fix, lint again: up to ``MAX_PASSES`` times,
until no fix applies.
"""
from __future__ import annotations

import difflib
import os
import re
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.finding import Edit, Finding

MAX_PASSES = 5


@dataclass
class FileFix:
    path: str
    abspath: Path
    original: str
    fixed: str
    applied: list[Finding] = field(default_factory=list)


class FixError(Exception):
    pass


def apply_edits(text: str, edits: list[Edit]) -> str:
    out = []
    cursor = 0
    for e in sorted(edits, key=lambda e: e.span.start):
        out.append(text[cursor:e.span.start])
        out.append(e.replacement)
        cursor = e.span.end
    out.append(text[cursor:])
    return "".join(out)


def plan(findings: list[Finding], project, unsafe: bool) -> dict[str, FileFix]:
    """Choose, per file, the fixes to apply this pass (no two touching the same characters)."""
    by_file: dict[str, FileFix] = {}
    taken: dict[str, list[tuple[int, int]]] = {}
    for f in findings:
        if f.fix is None or not f.fix.edits or (not f.fix.safe and not unsafe):
            continue
        paths = {e.span.path for e in f.fix.edits}
        if len(paths) != 1 or any(e.span.start is None for e in f.fix.edits):
            continue
        path = paths.pop()
        ranges = [(e.span.start, e.span.end) for e in f.fix.edits]
        if any(a < d and c < b or a == b == c for a, b in ranges for c, d in taken.get(path, [])):
            continue  # overlaps a fix already chosen: the next pass gets it
        source = project.source(path)
        if source is None:
            continue
        entry = by_file.setdefault(path, FileFix(path, source.abspath, source.text, source.text))
        entry.applied.append(f)
        taken.setdefault(path, []).extend(ranges)
    for entry in by_file.values():
        entry.fixed = apply_edits(entry.original, [e for f in entry.applied for e in f.fix.edits])
    return by_file


def check_readable(entry: FileFix) -> None:
    """The fixed text must still be the kind of file it was."""
    if entry.abspath.suffix.lower() not in (".yml", ".yaml"):
        return
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        list(YAML(typ="rt").load_all(entry.fixed))
    except RecursionError:
        raise FixError(f"{entry.path}: the fixed text nests too deep to check; not written") from None
    except YAMLError as exc:
        raise FixError(f"{entry.path}: the fixed text does not parse ({str(exc).splitlines()[0]}); not written") from None


class Refused(FixError):
    """A file ``--fix`` chose not to write (read-only, changed meanwhile, locked ...): a VLL005 finding."""


#: Temporary files of a write: ``.NAME.<8 random characters>.vllm-lint`` beside the file they replace.
TEMP_SUFFIX = ".vllm-lint"
_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.vllm-lint$")
#: How long to wait for another vllm-lint --fix that holds a file's advisory lock.
LOCK_WAIT_S = 2.0


def _identity(st: os.stat_result) -> tuple:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def write_atomic(entry: FileFix, force: bool = False) -> None:
    """Replace ``entry``'s file with its fixed text, or raise :class:`Refused` / :class:`FixError` and leave it
    as it is.

    The file written is the target of a symbolic link (the link stays). Under an advisory lock (``fcntl.flock``
    where the platform has it, so two ``--fix`` runs never interleave) its content and identity (device, inode,
    size, mtime_ns) are checked against what was linted; the fixed text goes to a temporary file beside it,
    with the original mode, owner and group; content and identity are checked again, and the temporary file
    takes the file's place: by an atomic exchange where Linux has ``renameat2(RENAME_EXCHANGE)``, after which
    the file moved out is checked once more and, if a save slipped in, exchanged back (nothing written);
    elsewhere by ``os.replace`` right after the last check. What remains is documented in the README: an
    editor writing in place into the old inode in the microseconds after that last check."""
    link = entry.abspath
    path = Path(os.path.realpath(link))
    shown = entry.path if path == Path(os.path.abspath(link)) else f"{entry.path} (the target of a symbolic link, {path})"
    try:
        st = os.stat(path)
    except OSError as exc:
        raise FixError(f"{shown}: cannot re-read before writing ({exc.strerror or exc}); not written") from None
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{shown}: not a regular file; not written")
    if not force and not st.st_mode & 0o222:
        raise Refused(f"{shown} is read-only (mode {stat.S_IMODE(st.st_mode):04o}); not written: --force writes it anyway")
    if not force and not os.access(path, os.W_OK):
        raise Refused(f"{shown}: no permission to write it; not written")
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Refused(f"{shown}: the folder {folder} is read-only (no new file can be made in it); not written")
    with _locked(path, shown):
        encoding, had_bom, data = _current(path, entry, shown, st)
        fd, tmp = _temp_file(path, shown)
        try:
            with os.fdopen(fd, "wb") as f:
                _hold_lock(f.fileno())  # a live write: the stale-file sweep of another run leaves it alone
                f.write(_encode(entry.fixed, encoding, had_bom))
                f.flush()
                os.fsync(f.fileno())
                os.chmod(tmp, stat.S_IMODE(st.st_mode))
                _keep_owner(tmp, st, shown, force)
                # the last checks, immediately before the rename: content and identity as linted
                now = os.stat(path)
                if _identity(now) != _identity(st):
                    raise Refused(f"{shown}: changed since it was read (saved meanwhile); not written")
                _current(path, entry, shown, now)
                if _exchange(tmp, path):  # atomic swap: the old file is now at tmp, checked once more
                    moved = os.stat(tmp)
                    if _identity(moved) != _identity(st) or _read(tmp) != data:
                        _exchange(tmp, path)  # a save slipped in: give it back its place
                        raise Refused(f"{shown}: changed while it was being fixed (saved meanwhile); not written")
                    os.unlink(tmp)
                else:
                    os.replace(tmp, path)
        except BaseException:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            raise


def _current(path: Path, entry: FileFix, shown: str, st) -> tuple[str, bool, bytes]:
    """(encoding, had a BOM, bytes) of the file now, after checking its text is still what was linted."""
    from vllm_lint.sources.source_file import UnreadableFile, decode

    try:
        data = _read(path)
        text, encoding, bom = decode(data)
    except (OSError, UnreadableFile) as exc:
        raise FixError(f"{shown}: cannot re-read before writing ({getattr(exc, 'message', exc)}); not written") from None
    if text != entry.original:
        raise Refused(f"{shown}: changed since it was read; not written")
    return encoding, bom, data


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _encode(text: str, encoding: str, bom: bool) -> bytes:
    boms = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
            "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}
    return (boms.get(encoding, b"") if bom else b"") + text.encode(encoding)


def _temp_file(path: Path, shown: str) -> tuple[int, str]:
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise Refused(f"{shown}: cannot create a file in {path.parent} ({exc.strerror or exc}); not written") from None


def _keep_owner(tmp: str, st, shown: str, force: bool) -> None:
    """The new file gets the old one's owner and group (as root, a fixed file must not become root's)."""
    if not hasattr(os, "chown"):
        return
    now = os.stat(tmp)
    if (now.st_uid, now.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.chown(tmp, st.st_uid, st.st_gid)
    except OSError:
        try:  # not root: the group may still be kept, the owner cannot be another user
            os.chown(tmp, -1, st.st_gid)
        except OSError:
            pass
        if not force:
            raise Refused(f"{shown}: its owner and group (uid {st.st_uid}, gid {st.st_gid}) cannot be kept; "
                          "not written: --force writes it as yours") from None


class _locked:
    """An exclusive advisory lock on ``path`` (``fcntl.flock``), waited for up to :data:`LOCK_WAIT_S`."""

    def __init__(self, path: Path, shown: str):
        self.path, self.shown, self.fd = path, shown, None

    def __enter__(self):
        try:
            import fcntl
        except ImportError:  # no advisory locks on this platform
            return self
        try:
            self.fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            return self
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise Refused(f"{self.shown}: locked by another process (another vllm-lint --fix?); "
                                  "not written") from None
                time.sleep(0.01)

    def __exit__(self, *exc):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
        return False


def _hold_lock(fd: int) -> None:
    try:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass


_RENAME_EXCHANGE = 2
_renameat2 = None


def _exchange(a: str, b) -> bool:
    """Atomically swap the files at ``a`` and ``b`` (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    platform or the file system cannot."""
    global _renameat2
    if _renameat2 is False or not sys.platform.startswith("linux"):
        return False
    if _renameat2 is None:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            function = libc.renameat2
            function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
            _renameat2 = function
        except (OSError, AttributeError):
            _renameat2 = False
            return False
    import ctypes

    at_fdcwd = -100
    if _renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE) == 0:
        return True
    errno = ctypes.get_errno()
    import errno as errnos

    if errno in (errnos.ENOSYS, errnos.EINVAL, errnos.ENOTSUP if hasattr(errnos, "ENOTSUP") else -1):
        return False  # this kernel or file system cannot exchange: replace instead
    raise OSError(errno, os.strerror(errno), str(b))


def clean_stale_temp_files(folders) -> list[str]:
    """Remove the temporary files of earlier ``--fix`` runs that were killed (``.NAME.<random>.vllm-lint``
    beside a file NAME): only ours, by name, and only those no running write holds locked."""
    removed = []
    for folder in sorted({str(f) for f in folders}):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            m = _TEMP.match(e.name)
            if not m or not e.is_file(follow_symlinks=False):
                continue
            if not os.path.lexists(os.path.join(folder, m.group("name"))):
                continue  # not beside the file it was written for: not one of ours
            try:
                fd = os.open(e.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
            except OSError:
                continue
            try:
                try:
                    import fcntl

                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except ImportError:
                    if time.time() - os.fstat(fd).st_mtime < 600:
                        continue  # no locks here: only an old one is surely stale
                except OSError:
                    continue  # a live write holds it
                os.unlink(e.path)
                removed.append(e.path)
            finally:
                os.close(fd)
    return removed


def atomic_write(path: Path, text: str, bom: bool = False) -> None:
    """Write through a temporary file in the same folder and a rename: readers see the old file or the
    new one, never half of it; an existing file keeps its permissions."""
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def unified_diff(entry: FileFix) -> str:
    return "".join(difflib.unified_diff(entry.original.splitlines(keepends=True), entry.fixed.splitlines(keepends=True),
                                        fromfile=f"a/{entry.path}", tofile=f"b/{entry.path}"))


def fix_run(lint, unsafe: bool, write: bool, force: bool = False):
    """Lint, fix and lint again until stable. ``lint()`` returns a fresh engine Result. ``force``: write read-only
    files, and files whose owner cannot be kept.

    Returns (final result, {path: FileFix with the cumulated change}, errors). A file not written for a reason
    of its own (read-only, changed meanwhile ...) is also a VLL005 finding of the final result."""
    changes: dict[str, FileFix] = {}
    errors: list[str] = []
    refused: dict[str, str] = {}
    result = lint()
    if write:
        clean_stale_temp_files({Path(f.abspath).parent for f in result.project.files}
                               | {Path(os.path.realpath(f.abspath)).parent for f in result.project.files})
    for _ in range(MAX_PASSES):
        entries = plan(result.findings, result.project, unsafe)
        entries = {k: v for k, v in entries.items() if k not in refused}
        if not entries:
            break
        progressed = False
        for entry in entries.values():
            try:
                check_readable(entry)
                if write:
                    write_atomic(entry, force=force)
            except Refused as exc:
                errors.append(str(exc))
                refused[entry.path] = str(exc)
                continue
            except FixError as exc:
                errors.append(str(exc))
                continue
            total = changes.setdefault(entry.path, FileFix(entry.path, entry.abspath, entry.original, entry.original))
            total.fixed = entry.fixed
            total.applied.extend(entry.applied)
            progressed = True
        if not write or not progressed:
            break  # without writing, one pass is all a diff can show
        result = lint()
    for path, message in refused.items():
        result.findings.append(_refusal(path, message))
    return result, changes, errors


def _refusal(path: str, message: str) -> Finding:
    from vllm_lint.sources.span import Span

    rule = _rule()
    return Finding(rule.CODE, rule.NAME, rule.SEVERITY, f"not fixed: {message}", Span.point(path),
                   "make the file writable (or pass --force), or run --fix again once nobody is saving it")


def _rule():
    from importlib import import_module

    return import_module("vllm_lint.rules.fix_not_written")
