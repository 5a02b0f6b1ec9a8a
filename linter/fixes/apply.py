"""Apply fixes: non-overlapping text edits, checked, then written atomically.

Each fix replaces exactly the characters its spans cover, so comments, quoting, key order,
anchors and indentation stay as they were. Before anything is written the new text must read back
as YAML through ruamel.yaml's round-trip parser (the parser editors and formatters use), the file
must be unchanged since it was read, and it is replaced atomically (a temporary file in the same
folder, the original permissions, then a rename). Lint, fix, lint again: up to ``MAX_PASSES`` times,
until no fix applies.
"""
from __future__ import annotations

import difflib
import os
import tempfile
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
    except YAMLError as exc:
        raise FixError(f"{entry.path}: the fixed text does not parse ({str(exc).splitlines()[0]}); not written") from None


def write_atomic(entry: FileFix) -> None:
    path = entry.abspath
    try:
        current = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FixError(f"{entry.path}: cannot re-read before writing ({exc}); not written") from None
    if current != entry.original:
        raise FixError(f"{entry.path}: changed since it was read; not written")
    had_bom = path.read_bytes().startswith(b"\xef\xbb\xbf")
    atomic_write(path, entry.fixed, bom=had_bom)


def atomic_write(path: Path, text: str, bom: bool = False) -> None:
    """Write through a temporary file in the same folder and a rename: readers see the old file or the
    new one, never half of it; an existing file keeps its permissions."""
    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".vllm-lint", dir=path.parent or ".")
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


def fix_run(lint, unsafe: bool, write: bool):
    """Lint, fix and lint again until stable. ``lint()`` returns a fresh engine Result.

    Returns (final result, {path: FileFix with the cumulated change}, errors)."""
    changes: dict[str, FileFix] = {}
    errors: list[str] = []
    result = lint()
    for _ in range(MAX_PASSES):
        entries = plan(result.findings, result.project, unsafe)
        if not entries:
            break
        progressed = False
        for entry in entries.values():
            try:
                check_readable(entry)
                if write:
                    write_atomic(entry)
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
    return result, changes, errors
