"""``.gitignore`` and ``.ignore`` files, as git (and ripgrep, ruff) read them, for the discovery's walk.

A file in folder ``D`` applies to the paths below ``D``, relative to ``D``; a deeper file decides before a
shallower one, and in one folder ``.ignore`` before ``.gitignore`` (as ripgrep orders them); the last matching
pattern of a file wins, ``!pattern`` re-includes. A folder that is ignored is not entered, so nothing
below it can be re-included (git's rule). The repository's ``.git/info/exclude`` counts as a ``.gitignore``
at its root. Files above the folder walked are read up to the repository's root (the folder with ``.git``),
none above a folder outside any repository. Patterns are matched by ``pathspec`` (git's wildmatch),
imported only when an ignore file is found.

Files named on the command line are never ignored, as with ``exclude``; nor is a folder named there: a pattern
of a file above it that ignores the folder itself (``bench/corpus/`` when ``bench/corpus/1000`` is walked) does not
hide what is in it, as with ripgrep and ruff, while its other patterns still apply."""
from __future__ import annotations

import os
from pathlib import Path

IGNORE_FILES = (".ignore", ".gitignore")  # in the order they decide


def _repository_root(folder: Path) -> Path | None:
    for d in (folder, *folder.parents):
        if (d / ".git").exists():
            return d
    return None


class IgnoreFiles:
    """The ignore files that apply below one walked folder."""

    def __init__(self, top: Path):
        top = Path(os.path.abspath(top))
        self.top = top
        repo = _repository_root(top)
        self.stop = repo if repo is not None else top  # the highest folder whose files apply
        self._specs: dict[Path, list] = {}
        self._repo = repo

    def _specs_of(self, folder: Path) -> list:
        specs = self._specs.get(folder)
        if specs is None:
            specs = []
            names = [folder / n for n in IGNORE_FILES]
            if self._repo is not None and folder == self._repo:
                names.append(folder / ".git" / "info" / "exclude")
            for path in names:
                try:
                    text = path.read_text(encoding="utf-8", errors="replace")
                except OSError:  # absent, a folder, unreadable: no patterns
                    continue
                lines = text.splitlines()
                if any(line.strip() and not line.lstrip().startswith("#") for line in lines):
                    import pathspec

                    specs.append(pathspec.GitIgnoreSpec.from_lines(lines))
            self._specs[folder] = specs
        return specs

    def _top_below(self, folder: Path) -> str | None:
        """The walked folder relative to ``folder`` (with a trailing slash) when ``folder`` is above it, else None."""
        if folder == self.top:
            return None
        try:
            return self.top.relative_to(folder).as_posix() + "/"
        except ValueError:
            return None

    def ignored(self, path: Path, is_dir: bool) -> bool:
        path = Path(os.path.abspath(path))
        folder = path.parent
        while True:
            specs = self._specs_of(folder)
            if specs:
                rel = path.relative_to(folder).as_posix() + ("/" if is_dir else "")
                top_rel = self._top_below(folder)
                for spec in specs:
                    result = spec.check_file(rel)
                    if result.include is None:
                        continue
                    if result.include and top_rel is not None and spec.check_file(top_rel).index == result.index:
                        continue  # the pattern ignores the folder walked itself: named on the command line, it is read
                    return result.include
            if folder == self.stop or folder.parent == folder:
                return False
            try:
                folder.relative_to(self.stop)
            except ValueError:  # a path outside the walked tree's repository
                return False
            folder = folder.parent


class WithIgnoreFiles:
    """An excluder (``exclude`` patterns) that also honours the ignore files of one walked folder."""

    def __init__(self, excluder, top: Path):
        self.excluder = excluder
        self.files = IgnoreFiles(top)

    def excluded(self, path: Path, is_dir: bool) -> bool:
        return self.excluder.excluded(path, is_dir) or self.files.ignored(path, is_dir)
