"""Which files to lint: walk the paths given, pick compose, Kubernetes, vLLM ``--config`` and script
files by name and content, honour excludes, never follow a symlink loop."""
from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

YAML_SUFFIXES = (".yml", ".yaml")
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".dockerfile", ".containerfile")
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache",
                ".pytest_cache", ".ruff_cache", "site-packages"}
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
OVERRIDE_NAMES = {"compose.yaml": "compose.override.yaml", "compose.yml": "compose.override.yml",
                  "docker-compose.yaml": "docker-compose.override.yaml",
                  "docker-compose.yml": "docker-compose.override.yml"}

_COMPOSE = re.compile(r"^services\s*:", re.M)
_K8S = re.compile(r"^apiVersion\s*:", re.M)
_K8S_KIND = re.compile(r"^kind\s*:", re.M)
_LAUNCH = re.compile(r"\bvllm\s+serve\b|vllm\.entrypoints\.openai\.api_server")
_VLLM_CONFIG_KEY = re.compile(r"^(model|tensor[-_]parallel[-_]size|max[-_]model[-_]len|gpu[-_]memory[-_]utilization|served[-_]model[-_]name|quantization|kv[-_]cache[-_]dtype)\s*:", re.M)


@dataclass
class Found:
    """The files of one run, by kind, in a stable order."""

    compose: list[list[Path]] = field(default_factory=list)  # each entry: files merged as one project
    kubernetes: list[Path] = field(default_factory=list)
    scripts: list[Path] = field(default_factory=list)
    vllm_configs: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)  # paths that cannot be walked/read


class Excluder:
    """gitignore-style patterns: ``name``, ``dir/``, ``/anchored``, ``**`` and ``!negation``."""

    def __init__(self, patterns: list[str], root: Path):
        self.root = root
        self.resolved_root = root.resolve()
        self.rules = []
        for p in patterns:
            p = p.strip()
            if not p or p.startswith("#"):
                continue
            negate = p.startswith("!")
            p = p[1:] if negate else p
            dir_only = p.endswith("/")
            p = p.rstrip("/")
            anchored = "/" in p
            p = p.lstrip("/")
            self.rules.append((negate, dir_only, anchored, p))

    def excluded(self, path: Path, is_dir: bool) -> bool:
        try:
            rel = path.resolve().relative_to(self.resolved_root).as_posix()
        except ValueError:
            rel = path.as_posix()
        result = False
        for negate, dir_only, anchored, pattern in self.rules:
            if dir_only and not is_dir:
                continue
            if anchored:
                hit = glob_match(rel, pattern)
            else:
                hit = any(glob_match(part, pattern) for part in rel.split("/")) or glob_match(rel, "**/" + pattern)
            if hit:
                result = not negate
        return result


def glob_match(path: str, pattern: str) -> bool:
    if "**" in pattern:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        return re.fullmatch(regex, path) is not None
    return fnmatch.fnmatchcase(path, pattern)


def classify(path: Path, head: str) -> str | None:
    """The kind of a file from its name and the first part of its text."""
    name = path.name.lower()
    if name.endswith(YAML_SUFFIXES):
        if _COMPOSE.search(head):
            return "compose"
        if _K8S.search(head) and _K8S_KIND.search(head):
            return "kubernetes"
        if len(set(m.group(1) for m in _VLLM_CONFIG_KEY.finditer(head))) >= 2:
            return "vllm-config"
        return None
    if name.startswith(("dockerfile", "containerfile")) or name.endswith(SCRIPT_SUFFIXES) or head.startswith("#!"):
        return "script" if _LAUNCH.search(head) else None
    return None


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(256 * 1024)
    except OSError:
        return ""
    return data.decode("utf-8", "replace")


def discover(paths: list[Path], excludes: list[str], root: Path, explicit_compose: list[list[Path]] | None = None) -> Found:
    found = Found()
    excluder = Excluder(excludes, root)
    files: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    for p in paths:
        if not p.exists():
            found.problems.append((p, "no such file or directory" + (" (broken symbolic link)" if p.is_symlink() else "")))
            continue
        if p.is_dir():
            _walk(p, excluder, files, seen_dirs, found)
        elif p.name == ".env" or p.name.endswith(".env"):
            # a changed .env re-lints the compose files beside it
            for sibling in sorted(p.parent.iterdir()):
                if sibling.is_file() and sibling.name.endswith(YAML_SUFFIXES):
                    files.append(sibling)
        else:
            files.append(p)  # named explicitly: never excluded
            for base, override in OVERRIDE_NAMES.items():  # a compose file and its override go together
                pair = {base: override, override: base}.get(p.name)
                if pair and (p.parent / pair).is_file():
                    files.append(p.parent / pair)
    composed_in_projects = {f.resolve() for group in (explicit_compose or []) for f in group}
    found.compose.extend(explicit_compose or [])
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(f.resolve(), f)
    by_dir: dict[Path, list[Path]] = {}
    for real, f in unique.items():
        if real in composed_in_projects:
            continue
        if not os.access(f, os.R_OK):
            found.problems.append((f, "permission denied"))
            continue
        kind = classify(f, _head(f))
        if kind == "compose":
            by_dir.setdefault(f.parent, []).append(f)
        elif kind == "kubernetes":
            found.kubernetes.append(f)
        elif kind == "script":
            found.scripts.append(f)
        elif kind == "vllm-config":
            found.vllm_configs.append(f)
    for directory, group in by_dir.items():
        names = {g.name: g for g in group}
        merged = set()
        for base, override in OVERRIDE_NAMES.items():
            if base in names and override in names:
                found.compose.append([names[base], names[override]])
                merged.update((base, override))
        for g in sorted(group):
            if g.name not in merged:
                found.compose.append([g])
    found.compose.sort(key=lambda group: str(group[0]))
    for lst in (found.kubernetes, found.scripts, found.vllm_configs):
        lst.sort()
    return found


def _walk(top: Path, excluder: Excluder, files: list[Path], seen: set, found: Found) -> None:
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError as exc:
            found.problems.append((d, exc.strerror or str(exc)))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue  # a symlink loop, or a folder reached twice
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append((d, exc.strerror or str(exc)))
            continue
        subdirs = []
        for e in entries:
            path = Path(e.path)
            try:
                is_dir = e.is_dir()  # follows symlinks; loops are caught by the inode check
            except OSError:
                continue
            if is_dir:
                if e.name in SKIPPED_DIRS or excluder.excluded(path, True):
                    continue
                subdirs.append(path)
            elif e.is_file() and not excluder.excluded(path, False):
                files.append(path)
        stack.extend(reversed(subdirs))
