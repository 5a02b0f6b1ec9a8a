"""Lines added or changed since a git revision (``--diff-base REF``), for review bots that must
only comment on what a pull request touches."""
from __future__ import annotations

import re
from pathlib import Path

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)


class GitError(Exception):
    pass


def _git(args: list[str], cwd: Path) -> str:
    import subprocess

    try:
        out = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if out.returncode != 0:
        raise GitError(out.stderr.strip() or f"git {' '.join(args)} failed")
    return out.stdout


def changed_lines(base: str, cwd: Path) -> dict[Path, set[int] | None]:
    """Absolute path -> changed line numbers in the working tree (None: the whole file is new)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    _git(["rev-parse", "--verify", f"{base}^{{commit}}"], cwd)
    result: dict[Path, set[int] | None] = {}
    diff = _git(["diff", "--unified=0", "--no-color", "--no-ext-diff", "--relative=", base, "--"], top)
    current: Path | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else (top / name[2:] if name.startswith("b/") else top / name)
            if current is not None:
                result.setdefault(current, set())
        elif line.startswith("@@") and current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                result[current].update(range(start, start + count))
    for name in _git(["ls-files", "--others", "--exclude-standard"], top).splitlines():
        result[top / name] = None
    return result
