"""What a path given on the command line holds that vllm-lint could not read as a launch.

For each path where no launch is found, the files that look like deployments of vLLM and why they were
not read: a Helm chart (``helm not on PATH``, or no vLLM in what it renders), a template rendered before
deployment, a file that cannot be parsed, a Dockerfile of a vLLM image whose arguments come from what
runs it, a systemd unit whose ``ExecStart`` runs a script that is not in the tree, a file that mentions
vLLM in a form no loader reads. The ``no-launch-found`` rule (VLL004) reports them: a folder of launches
that cannot be read must never pass as "0 launches, all checks passed".
"""
from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

_MENTIONS = re.compile(r"vllm", re.I)
_LAUNCHY = re.compile(r"\bvllm\s+serve\b|vllm\.entrypoints|vllm/vllm-openai|\bvllm[\"']?\s*[,\]]\s*[\"']?serve", re.I)
_DOC_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html", ".ipynb", ".json", ".lock", ".csv", ".svg", ".png", ".jpg",
                 ".jinja", ".j2.md", ".toml", ".cfg", ".ini", ".log", ".pdf")
_MAX_FILES = 5000
_HEAD = 64 * 1024


@dataclass
class Launchless:
    """A path of the command line where no launch was found, and what in it could not be read."""

    path: str  # as shown
    is_dir: bool
    files_read: int
    unread: list[tuple[str, str]] = field(default_factory=list)  # (file as shown, why it was not read)


def scan(paths: list[Path], deployments, ctx, found, settings=None) -> list[Launchless]:
    """The paths of ``paths`` under which none of ``deployments`` lies (walked as discovery walks them: the
    configuration's excludes and the ignore files apply)."""
    launch_files = set()
    for d in deployments:
        spans = [d.span, *(s for a in d.args for s in (a.flag_span, a.value_span))]  # a compose override's launch
        for shown in [d.path, *getattr(d, "depends_on_files", ()), *{s.path for s in spans if s is not None}]:
            source = ctx.by_display(shown)
            launch_files.add(os.path.abspath(source.abspath) if source is not None else os.path.abspath(shown))
    templates = {os.path.abspath(p): kind for p, kind in getattr(found, "templates", ())}
    read = {os.path.abspath(sf.abspath): sf for sf in ctx.sources.values()}
    out = []
    for p in paths:
        if not p.exists():
            continue
        top = os.path.abspath(p)
        prefix = top if not p.is_dir() else top.rstrip(os.sep) + os.sep
        if any(f == top or f.startswith(prefix) for f in launch_files):
            continue
        files = _files(p, settings)
        entry = Launchless(ctx.display(p), p.is_dir(), sum(1 for f in files if os.path.abspath(f) in read))
        charts = sorted({os.path.abspath(f.parent) for f in files if f.name in ("Chart.yaml", "Chart.yml")})
        for chart in charts:
            helm = shutil.which("helm")
            why = "Helm chart: helm not on PATH" if helm is None else "Helm chart: no vLLM launch read from it"
            entry.unread.append((ctx.display(Path(chart) / "Chart.yaml"), why))
        for f in files:
            real = os.path.abspath(f)
            if any(real.startswith(c + os.sep) for c in charts):
                continue  # said once, for the chart
            why = _why(f, real, read.get(real), templates.get(real))
            if why:
                entry.unread.append((ctx.display(f), why))
        if not p.is_dir() and not entry.unread:
            continue  # a file that is not a deployment: the run's notes say it was not linted
        out.append(entry)
    return out


def _files(p: Path, settings) -> list[Path]:
    if not p.is_dir():
        return [p]
    from vllm_lint.sources.discover import Excluder, Found, _walk

    excludes = (settings.exclude + settings.extend_exclude) if settings is not None else []
    excluder = Excluder(excludes, settings.root if settings is not None else p)
    if settings is None or getattr(settings, "respect_gitignore", True):
        from vllm_lint.sources.ignorefiles import WithIgnoreFiles

        excluder = WithIgnoreFiles(excluder, p)
    out: list[Path] = []
    _walk(p, excluder, out, set(), Found())
    return out[:_MAX_FILES]


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            data = fh.read(_HEAD)
    except OSError:
        return ""
    if b"\0" in data:
        return ""
    return data.decode("utf-8", "replace")


def _why(path: Path, real: str, source, template: str | None) -> str | None:
    name = path.name.lower()
    if source is not None:
        problems = [p for p in source.problems if p.kind in ("unreadable", "invalid-compose", "invalid-kubernetes", "invalid-command")]
        if problems:
            return f"cannot be read: {problems[0].message}"
    if name.endswith(_DOC_SUFFIXES) or name.startswith(("readme", "license", "changelog")):
        return None
    head = _head(path)
    if not head or not _MENTIONS.search(head):
        return None
    if template:
        return f"{template}, rendered before deployment: not read"
    if name.endswith(".service"):
        m = re.search(r"^\s*ExecStart\s*=\s*[-@:+!]*(\S+)", head, re.M)
        if m:
            return f"systemd unit: ExecStart runs {m.group(1)}, which is not in the tree"
        return None
    from vllm_lint.loaders.script import is_dockerfile

    if is_dockerfile(path):
        if re.search(r"^\s*FROM\s+\S*vllm", head, re.M | re.I) or re.search(r"pip3?\s+install[^\n]*\bvllm\b", head):
            runs = re.findall(r"^\s*(?:ENTRYPOINT|CMD)\s+(.+)$", head, re.M)
            if runs and not _LAUNCHY.search(runs[-1]):
                return (f"Dockerfile of a vLLM image that runs {runs[-1].strip()[:60]}: a launcher in code, "
                        "which vllm-lint does not read")
            return "Dockerfile of a vLLM image: no CMD gives it arguments (they come from what runs the image)"
        return None
    if source is not None:  # read as a deployment, but it starts nothing vllm-lint follows
        if _LAUNCHY.search(head):
            return f"read as {source.kind or 'a file'}: mentions vLLM's server, but starts it in a way vllm-lint does not follow"
        return None
    if name.endswith(".py"):
        if re.search(r"^\s*(?:from|import)\s+vllm\b", head, re.M):
            return "Python that imports vLLM: launchers built from variables are not read"
        return None
    if name.endswith((".yaml", ".yml")):
        if _LAUNCHY.search(head):
            return "YAML that starts vLLM in a format vllm-lint does not read"
        return None
    if name.endswith((".sh", ".bash", ".zsh")) or head.startswith("#!"):
        if _LAUNCHY.search(head):
            return "script that starts vLLM in a way vllm-lint cannot follow"
    return None
