"""LoadContext: what a loader needs from the run (paths, environment, the release for a version)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from vllm_lint.sources.source_file import SourceFile, UnreadableFile, read_text


@dataclass
class LoadContext:
    cwd: Path = field(default_factory=Path.cwd)
    env_files: list[Path] | None = None  # --env-file: replaces the .env beside a compose file
    process_env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    default_version: str | None = None  # --vllm-version / config
    release_for: Callable[[str | None], object] | None = None  # version -> Release or None
    vllm_images: list[str] = field(default_factory=list)  # configuration: images whose entrypoint is vLLM's (globs)
    built_dockerfiles: set = field(default_factory=set)  # Dockerfiles a compose service builds (their launch is the service)
    notes: list[str] = field(default_factory=list)  # said once per run: what a loader did not read, and why
    sources: dict[str, SourceFile] = field(default_factory=dict)  # abspath -> SourceFile
    _displayed: dict[str, SourceFile] = field(default_factory=dict)  # shown path -> SourceFile

    def __post_init__(self) -> None:
        self._cwd = str(self.cwd.resolve())

    def display(self, path: Path) -> str:
        """The path as shown in findings: relative to the working directory when below it."""
        absolute = os.path.abspath(path)
        if absolute.startswith(self._cwd + os.sep):
            return absolute[len(self._cwd) + 1:]
        return os.path.normpath(str(path))  # one name per file, whichever file's relative path reached it

    def source(self, path: Path, kind: str) -> SourceFile:
        key = os.path.abspath(path)
        sf = self.sources.get(key)
        if sf is None:
            sf = SourceFile(self.display(path), Path(key), kind=kind)
            self.add_source(key, sf)
        return sf

    def source_with_text(self, path: Path, kind: str) -> SourceFile | None:
        """:meth:`source` with its text read once (when it has none yet); None when the file cannot be read."""
        sf = self.source(path, kind)
        if not sf.text:
            try:
                sf.text = read_text(path)
            except UnreadableFile:
                return None
        return sf

    def add_source(self, key: str, sf: SourceFile) -> None:
        if key not in self.sources:
            self.sources[key] = sf
            self._displayed.setdefault(sf.path, sf)

    def by_display(self, display: str) -> SourceFile | None:
        return self._displayed.get(display)

    def release(self, version: str | None):
        if self.release_for is None:
            return None
        return self.release_for(version or self.default_version)
