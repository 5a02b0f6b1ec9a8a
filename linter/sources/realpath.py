"""Paths with their symbolic links resolved, each asked of the file system once per run.

Discovery, the loaders and the models lock compare files by their real path many times each (a 1000-file tree
asked ``Path.resolve`` 15,000 times, a fifth of the run). :func:`resolved` is ``Path(p).resolve()`` remembered;
:func:`forget` (called when a run starts) drops what was remembered, so a long-lived process (the language
server) sees links that changed between runs.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1 << 16)
def _resolved(cwd: str, path: str) -> Path:
    return Path(os.path.join(cwd, path)).resolve()


def resolved(path) -> Path:
    """``Path(path).resolve()``, from memory when the same path was resolved before in this run."""
    text = os.fspath(path)
    return _resolved("" if os.path.isabs(text) else os.getcwd(), text)


def forget() -> None:
    _resolved.cache_clear()
