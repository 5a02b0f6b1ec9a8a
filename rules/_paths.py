"""Host paths as rule messages give them (shared by the filesystem rules)."""
from __future__ import annotations

import os
from pathlib import Path


def shown(host: Path, ctx) -> str:
    """A host path normalized and relative to the project root, and said to be outside it when ``..`` climbs
    out (``./../../x`` beside a compose file in a sub-folder). Never an absolute path of this machine unless the
    configuration wrote one."""
    try:
        root = Path(getattr(ctx.settings, "root", None) or ".").resolve()
        resolved = Path(os.path.normpath(host if host.is_absolute() else host.resolve()))
    except (OSError, ValueError):  # a path no file system takes (a NUL byte): shown as written
        return str(host)
    try:
        return str(resolved.relative_to(root))
    except ValueError:
        return f"{os.path.relpath(resolved, root)} (outside the project)"
