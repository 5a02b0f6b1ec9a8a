"""Kustomize: a folder with ``kustomization.yaml`` is what ``kubectl apply -k`` deploys; it is rendered with
the real renderer (``kubectl kustomize``, a subprocess with a timeout, never a shell) and the rendered
manifests are read as Kubernetes manifests.

Only the top-level overlays are rendered: the kustomizations of the linted paths that no other one of them
references (``resources:``, ``bases:``, ``components:``), so a base is not counted once on its own and once
in each overlay; the files an overlay renders from are not read on their own. Each value of a rendered
launch points back at the file and line that produced it: kustomize's ``buildMetadata: [originAnnotations,
transformerAnnotations]`` (set in a wrapper kustomization, the user's files are not touched) name the
resource's file and the kustomizations whose patches and ``images:`` changed it; the value is found in the
patches first, then in the resource's file, then in the kustomization files (``newTag:``).

Without kubectl (or when it fails, or the tree has remote bases, which are not fetched), the resource files
are read as they are, with a note: the overlay's patches and image changes are then not applied.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import fields, is_dataclass, replace
from pathlib import Path

from vllm_lint.launch.deployment import Deployment
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, load_documents, typed

TIMEOUT_S = 60
_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _read(path: Path) -> dict:
    try:
        docs = load_documents(read_text(path), str(path))
    except (UnreadableFile, YamlError, OSError):
        return {}
    data = typed(docs[0]) if docs else None
    return data if isinstance(data, dict) else {}


def _kustomization_in(folder: Path) -> Path | None:
    for name in _NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _remote(entry: str) -> bool:
    return "://" in entry or entry.startswith(("github.com/", "git@", "gitlab.com/", "bitbucket.org/"))


class Tree:
    """What one kustomization reads, followed through its bases: files, patches, kustomizations."""

    def __init__(self, root: Path):
        self.root = root
        self.resources: list[Path] = []  # manifest files
        self.patches: list[Path] = []  # patch files, in the order they apply (bases first)
        self.kustomizations: list[Path] = []
        self.remote: list[str] = []
        self._walk(root, set())

    def _walk(self, path: Path, seen: set) -> None:
        real = path.resolve()
        if real in seen:
            return
        seen.add(real)
        self.kustomizations.append(path)
        data = _read(path)
        folder = path.parent
        for key in ("bases", "resources", "components"):
            for entry in data.get(key) or []:
                if not isinstance(entry, str):
                    continue
                if _remote(entry):
                    self.remote.append(entry)
                    continue
                target = Path(os.path.normpath(folder / entry))
                if target.is_dir():
                    inner = _kustomization_in(target)
                    if inner is not None:
                        self._walk(inner, seen)
                elif target.is_file():
                    self.resources.append(target)
        patches = []
        for entry in data.get("patchesStrategicMerge") or []:
            if isinstance(entry, str) and "\n" not in entry:
                patches.append(entry)
        for key in ("patches", "patchesJson6902"):
            for entry in data.get(key) or []:
                if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                    patches.append(entry["path"])
                elif isinstance(entry, str) and "\n" not in entry:
                    patches.append(entry)
        for entry in patches:
            target = Path(os.path.normpath(folder / entry))
            if target.is_file():
                self.patches.append(target)

    @property
    def files(self) -> set[Path]:
        return {p.resolve() for p in self.resources + self.patches + self.kustomizations}


def top_level(kustomizations: list[Path]) -> list[Path]:
    """The kustomizations that no other one of ``kustomizations`` references (directly or through bases)."""
    referenced: set[Path] = set()
    for k in kustomizations:
        tree = Tree(k)
        referenced |= {p.resolve() for p in tree.kustomizations[1:]}
    return [k for k in kustomizations if k.resolve() not in referenced]


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(root: Path, timeout: int = TIMEOUT_S) -> tuple[str | None, str]:
    """(rendered YAML, the folder its annotations' paths are relative to) or (None, why not)."""
    exe = kubectl()
    if exe is None:
        return None, "kubectl not on PATH"
    with tempfile.TemporaryDirectory(prefix="vllm-lint-kustomize-") as tmp:
        wrapper = Path(tmp) / "kustomization.yaml"
        relative = os.path.relpath(root.parent.resolve(), tmp)
        wrapper.write_text(f"resources:\n  - {relative}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n")
        try:
            out = subprocess.run([exe, "kustomize", "--load-restrictor", "LoadRestrictionsNone", tmp],
                                 capture_output=True, text=True, timeout=timeout, shell=False,
                                 env={**os.environ, "KUBECONFIG": os.devnull})
        except subprocess.TimeoutExpired:
            return None, f"kubectl kustomize did not finish in {timeout} s"
        except OSError as exc:
            return None, f"kubectl kustomize could not run: {exc}"
        if out.returncode != 0:
            message = (out.stderr or out.stdout).strip().splitlines()
            return None, "kubectl kustomize failed: " + (message[-1][:300] if message else f"exit {out.returncode}")
        return out.stdout, tmp


def load(root: Path, ctx) -> tuple[list[Deployment], set[Path], list[str]]:
    """The launches of the top-level kustomization ``root`` (a kustomization file), the files it covers (not
    to be read on their own) and the notes to give."""
    from vllm_lint.loaders import kubernetes

    tree = Tree(root)
    folder = ctx.display(root.parent) or "."
    if tree.remote:
        text, why = None, f"remote bases not fetched ({', '.join(tree.remote[:2])})"
    else:
        text, why = render(root)  # why: on success, the folder the annotations' paths are relative to
    if text is None:
        deployments = []
        for path in dict.fromkeys(tree.resources):
            deployments += kubernetes.load(path, ctx)
        note = (f"kustomization {folder} not rendered ({why}): its resource files are read as they are, "
                "without the patches and image changes of its overlays")
        return deployments, tree.files, [note]
    with tempfile.TemporaryDirectory(prefix="vllm-lint-rendered-") as tmp:
        rendered = Path(tmp) / "rendered.yaml"
        rendered.write_text(text)
        found = kubernetes.load(rendered, ctx)
        key = os.path.abspath(rendered)
        sf = ctx.sources.pop(key, None)
        if sf is not None:
            ctx._displayed.pop(sf.path, None)
            for problem in sf.problems:  # what the rendered manifests hold that is wrong: reported on the kustomization
                kz = ctx.source(root, "kubernetes")
                if not kz.text:
                    kz.text = read_text(root)
                kz.add(problem.kind, f"rendered by kubectl kustomize {folder}: {problem.message}", Span.point(kz.path),
                       getattr(problem, "detail", None))
        if sf is None:
            return found, tree.files, []
        mapper = _Mapper(sf, text, ctx, tree, Path(why))
        for d in found:
            mapper.remap(d)
            d.via = f"kubectl kustomize {folder}"
            if d.image_span is not None and Path(d.image_span.path).name in _NAMES and d.version_source:
                d.version_source += f" (images: in {d.image_span.path}:{d.image_span.line})"
            d.depends_on_files.extend(ctx.display(p) for p in tree.kustomizations + tree.patches)
    return found, tree.files, []


_ORIGIN = re.compile(r"config\.kubernetes\.io/origin:\s*\|\s*\n\s+path:\s*(\S+)")
_CONFIGURED = re.compile(r"configuredIn:\s*(\S+)")


class _Mapper:
    """Spans in the rendered text -> spans in the files that produced them."""

    def __init__(self, sf, text: str, ctx, tree: Tree, base: Path):
        self.sf, self.text, self.ctx, self.tree, self.base = sf, text, ctx, tree, base
        self.docs: list[tuple[int, int, list[Path], Path | None]] = []  # (start, end, candidates, origin)
        bounds = [0] + [m.start() for m in re.finditer(r"(?m)^---\s*$", text)] + [len(text)]
        for i in range(len(bounds) - 1):
            chunk = text[bounds[i]:bounds[i + 1]]
            origin = _ORIGIN.search(chunk)
            origin_path = self._resolve(origin.group(1)) if origin else None
            kustomizations = [p for p in (self._resolve(c) for c in _CONFIGURED.findall(chunk)) if p is not None]
            kustomizations = list(dict.fromkeys(kustomizations))
            # the patches that changed the resource, the last applied first; then its file; then the kustomizations
            patches = [p for k in reversed(kustomizations) for p in reversed(Tree(k).patches)] if kustomizations \
                else list(reversed(tree.patches))
            candidates = list(dict.fromkeys(patches + ([origin_path] if origin_path else []) +
                                            (kustomizations or tree.kustomizations)))
            self.docs.append((bounds[i], bounds[i + 1], candidates, origin_path))
        self.cursors: dict[Path, int] = {}

    def _resolve(self, written: str) -> Path | None:
        """A path of the annotations (relative to the wrapper kustomization's folder)."""
        path = Path(os.path.normpath(self.base / written))
        return path if path.is_file() else None

    def _doc(self, offset: int):
        for start, end, candidates, origin in self.docs:
            if start <= offset < end:
                return candidates, origin
        return [], None

    def remap(self, d: Deployment) -> None:
        spans = sorted({s for s in _spans(d) if s.path == self.sf.path and s.start is not None}, key=lambda s: s.start)
        self.cursors = {}
        anchor = d.span
        mapping = {s: self._map(s, origin_first=s == anchor) for s in spans}
        _replace_spans(d, lambda s: mapping.get(s, s) if s.path == self.sf.path else s)
        first = mapping.get(anchor, anchor)
        d.path = first.path
        source = self.ctx.by_display(first.path)
        d.base_dir = str(Path(source.abspath).parent) if source is not None else d.base_dir
        d.__dict__.pop("_winners_cache", None)

    def _map(self, span: Span, origin_first: bool = False) -> Span:
        token = self.text[span.start:span.end]
        candidates, origin = self._doc(span.start)
        if origin_first and origin is not None:
            candidates = [origin] + [c for c in candidates if c != origin]
        for path in candidates:
            hit = self._find(path, token)
            if hit is not None:
                return hit
        if ":" in token and "/" in token:  # an image whose tag an images: entry changed: newTag's line
            tag = token.rsplit(":", 1)[1]
            for path in candidates:
                hit = self._find(path, tag)
                if hit is not None:
                    return hit
        target = origin or (candidates[0] if candidates else self.tree.root)
        source = self.ctx.source_with_text(target, "kubernetes")
        return Span.point(source.path) if source is not None else span

    def _find(self, path: Path, token: str) -> Span | None:
        if not token.strip():
            return None
        source = self.ctx.source_with_text(path, "kubernetes")
        if source is None:
            return None
        cursor = self.cursors.get(path, 0)
        forms = [token]
        if len(token) > 1 and token[0] == token[-1] and token[0] in "\"'":  # a quoted item: its value as written
            forms += [token[1:-1]]
        for form in forms:
            pattern = re.compile(r"(?<![\w./-])" + re.escape(form) + r"(?![\w./-])")
            m = pattern.search(source.text, cursor) or pattern.search(source.text)
            if m is not None:
                self.cursors[path] = m.start() + 1  # the next value is at or after this one (a value inside it too)
                return source.span(m.start(), m.end())
        return None


def _spans(obj, out=None, seen=None):
    out = [] if out is None else out
    seen = set() if seen is None else seen
    if isinstance(obj, Span):
        out.append(obj)
    elif is_dataclass(obj) and not isinstance(obj, type):
        if id(obj) in seen:
            return out
        seen.add(id(obj))
        for f in fields(obj):
            _spans(getattr(obj, f.name), out, seen)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _spans(item, out, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            _spans(item, out, seen)
    return out


def _replace_spans(obj, change, memo=None):
    """``obj`` with every Span replaced by ``change(span)``: dataclasses rebuilt (frozen ones too), the
    Deployment itself changed in place."""
    memo = {} if memo is None else memo
    if isinstance(obj, Span):
        return change(obj)
    if id(obj) in memo:
        return memo[id(obj)]
    if isinstance(obj, Deployment):
        memo[id(obj)] = obj
        for f in fields(obj):
            setattr(obj, f.name, _replace_spans(getattr(obj, f.name), change, memo))
        return obj
    if is_dataclass(obj) and not isinstance(obj, type):
        new = replace(obj, **{f.name: _replace_spans(getattr(obj, f.name), change, memo) for f in fields(obj) if f.init})
        memo[id(obj)] = new
        return new
    if isinstance(obj, list):
        return [_replace_spans(i, change, memo) for i in obj]
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_replace_spans(i, change, memo) for i in obj)
    if isinstance(obj, dict):
        return {k: _replace_spans(v, change, memo) for k, v in obj.items()}
    return obj
