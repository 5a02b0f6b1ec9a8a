"""Helm charts: a folder with ``Chart.yaml`` is what ``helm install`` deploys; it is rendered with the real renderer
(``helm template``, a subprocess with a timeout, never a shell, with its own empty Helm home and no cluster) and
the rendered manifests are read as Kubernetes manifests.

The values are the chart's ``values.yaml`` and then the files the configuration names (``helm-values:``, a list
for every chart or a map of chart folder to list) or ``--helm-values`` (repeatable), in that order, as ``helm
template -f ... -f ...`` merges them: maps key by key, anything else replaced whole by the later file.

Each rendered value points back at the values key that produced it: the chart is rendered a second time with a
sentinel in place of every string and number of the merged values (a last ``-f`` file), and what a sentinel
stands in is the value of that key, at its line in the values file that set it, so findings (and fixes of a
value written whole) land in ``values.yaml``. When a template cannot take a sentinel for a number (``gt``,
``int`` on it), only the strings are replaced; when it cannot take that either, or a value comes from the
template itself, the value is looked for in the template that ``# Source:`` names, and else points at its start.
Subcharts render with their parent (a ``Chart.yaml`` under another chart's ``charts/`` is not rendered alone).

Without helm (or when it fails: a dependency missing from ``charts/``, a template error), the chart is not
rendered and a note names it; its templates stay set aside, and a values file that another loader reads (the
vLLM production-stack values) is still read by that loader.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vllm_lint.launch.deployment import Deployment
from vllm_lint.loaders.keyed import read_documents
from vllm_lint.sources.source_file import read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YMap, YNode, YScalar, YSeq, load_documents, plain

TIMEOUT_S = 60
RELEASE_NAME = "vllm-lint"
CHART_NAMES = ("Chart.yaml", "Chart.yml")
_SENTINEL = re.compile(r"vllmlint(\d+)s", re.IGNORECASE)
_SOURCE = re.compile(r"^# Source: (\S+)\s*$", re.MULTILINE)


def helm() -> str | None:
    return shutil.which("helm")


def top_level(charts: list[Path]) -> list[Path]:
    """The charts (their ``Chart.yaml``) that are not a subchart of another one of them (under its ``charts/``)."""
    folders = {c.resolve().parent for c in charts}
    out = []
    for c in charts:
        folder = c.resolve().parent
        if any(parent.name == "charts" and parent.parent in folders for parent in folder.parents):
            continue
        out.append(c)
    return out


def values_files(chart: Path, settings, cwd: Path) -> list[Path]:
    """The values files of a chart folder: its ``values.yaml``, then the configuration's, then ``--helm-values``."""
    out = [chart / n for n in ("values.yaml", "values.yml") if (chart / n).is_file()][:1]
    configured = getattr(settings, "helm_values", None) or []
    root = Path(getattr(settings, "root", cwd))
    if isinstance(configured, dict):
        for folder, files in configured.items():
            if (root / folder).resolve() == chart.resolve():
                out += [root / f for f in files]
    else:
        out += [root / f for f in configured]
    out += [Path(p) for p in getattr(settings, "helm_values_cli", None) or []]
    return out


def render(chart: Path, files: list[Path], timeout: int = TIMEOUT_S) -> tuple[str | None, str]:
    """(rendered YAML, "") or (None, why not)."""
    exe = helm()
    if exe is None:
        return None, "helm not on PATH"
    command = [exe, "template", RELEASE_NAME, str(chart), "--namespace", "default"]
    for f in files:
        command += ["--values", str(f)]
    with tempfile.TemporaryDirectory(prefix="vllm-lint-helm-") as home:
        env = {**os.environ, "KUBECONFIG": os.devnull, "HELM_CACHE_HOME": home, "HELM_CONFIG_HOME": home,
               "HELM_DATA_HOME": home}
        try:
            out = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout, shell=False, env=env)
        except subprocess.TimeoutExpired:
            return None, f"helm template did not finish in {timeout} s"
        except OSError as exc:
            return None, f"helm template could not run: {exc}"
    if out.returncode != 0:
        message = (out.stderr or out.stdout).strip().splitlines()
        return None, "helm template failed: " + (message[-1][:300] if message else f"exit {out.returncode}")
    return out.stdout, ""


@dataclass
class Leaf:
    """A scalar of the merged values: where it is written."""

    node: YScalar
    file: Path


def _read_values(path: Path, ctx) -> YMap | None:
    _, docs = read_documents(path, ctx, "helm-values")
    root = docs[0] if docs else None
    return root if isinstance(root, YMap) else None


def merged_values(files: list[Path], ctx):
    """The values as ``-f`` merges them: nested dicts and lists whose leaves are (YScalar, file)."""
    def convert(node: YNode, path: Path):
        if isinstance(node, YMap):
            return {k: convert(v, path) for k, v in node.items()}
        if isinstance(node, YSeq):
            return [convert(i, path) for i in node.items]
        return Leaf(node, path)

    def merge(a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            out = dict(a)
            for k, v in b.items():
                out[k] = merge(a[k], v) if k in a else v
            return out
        return b

    merged: dict = {}
    for f in files:
        root = _read_values(f, ctx)
        if root is not None:
            merged = merge(merged, convert(root, f))
    return merged


def sentinel_values(merged, numbers: bool) -> tuple[object, dict[int, Leaf]]:
    """The merged values with a sentinel for each string (and number) leaf, and the leaf of each sentinel."""
    leaves: dict[int, Leaf] = {}

    def walk(v):
        if isinstance(v, dict):
            return {k: walk(i) for k, i in v.items()}
        if isinstance(v, list):
            return [walk(i) for i in v]
        node = v.node
        if not isinstance(node, YScalar) or node.is_null:
            return plain(node)
        kind = node.tag.rsplit(":", 1)[-1]
        if kind == "str" or numbers and kind in ("int", "float"):
            n = len(leaves)
            leaves[n] = v
            return f"vllmlint{n}s"
        return plain(node)

    return walk(merged), leaves


def load(chart_file: Path, ctx, settings) -> tuple[list[Deployment], set[Path], list[str]]:
    """The launches of the chart ``chart_file`` (its Chart.yaml), the files it covers and the notes to give."""
    chart = chart_file.parent
    shown = ctx.display(chart) or "."
    files = values_files(chart, settings, ctx.cwd)
    missing = [f for f in files if not f.is_file()]
    if missing:
        return [], set(), [f"Helm chart {shown} not rendered: values file {ctx.display(missing[0])} does not exist"]
    text, why = render(chart, files)
    if text is None:
        return [], set(), [f"Helm chart {shown} not rendered ({why}): its templates are not checked"]
    found, rendered_sf = _read_rendered(text, ctx, chart_file, shown)
    covered = {p.resolve() for p in chart.rglob("*") if p.is_file()} | {f.resolve() for f in files}
    if not found:
        return [], covered, []
    merged = merged_values(files, ctx)
    sentinel_text, leaves = None, {}
    for numbers in (True, False):
        values, leaves = sentinel_values(merged, numbers)
        if not leaves:
            break
        with tempfile.TemporaryDirectory(prefix="vllm-lint-helm-values-") as tmp:
            extra = Path(tmp) / "sentinels.yaml"
            extra.write_text(json.dumps(values))  # JSON is YAML
            sentinel_text, _ = render(chart, files + [extra])
        if sentinel_text is not None:
            break
    mapper = _Mapper(text, rendered_sf, sentinel_text, leaves, chart, ctx)
    for d in found:
        mapper.remap(d)
        d.via = f"helm template {shown}"
        d.depends_on_files.extend(ctx.display(p) for p in [chart_file, *files])
    return found, covered, []


def _pair(a: YNode | None, b: YNode | None, out: list) -> None:
    """The scalars at the same place of two documents."""
    if isinstance(a, YMap) and isinstance(b, YMap):
        for key, value in a.items():
            _pair(value, b.get(key), out)
    elif isinstance(a, YSeq) and isinstance(b, YSeq) and len(a.items) == len(b.items):
        for x, y in zip(a.items, b.items):
            _pair(x, y, out)
    elif isinstance(a, YScalar) and isinstance(b, YScalar):
        out.append((a, b))


def _read_rendered(text: str, ctx, chart_file: Path, shown: str):
    """The launches of rendered manifests (read from a temporary file that is then forgotten) and its SourceFile;
    what is wrong in them is reported on the chart's Chart.yaml."""
    from vllm_lint.loaders import kubernetes

    with tempfile.TemporaryDirectory(prefix="vllm-lint-rendered-") as tmp:
        rendered = Path(tmp) / "rendered.yaml"
        rendered.write_text(text)
        found = kubernetes.load(rendered, ctx)
        sf = ctx.sources.pop(os.path.abspath(rendered), None)
        if sf is not None:
            ctx._displayed.pop(sf.path, None)
            if sf.problems:
                chart_sf = ctx.source(chart_file, "helm-chart")
                if not chart_sf.text:
                    chart_sf.text = read_text(chart_file)
                for problem in sf.problems:
                    chart_sf.add(problem.kind, f"rendered by helm template {shown}: {problem.message}",
                                 Span.point(chart_sf.path), getattr(problem, "detail", None))
    return found, sf


class _Mapper:
    """Spans in the rendered text -> the values key (or the template) that produced them.

    The two renderings (with the values, with the sentinels) are read as YAML and their scalars paired by their
    place in the documents (a sentinel changes a scalar, not the shape around it); within one scalar, the text
    around the sentinels is matched against the rendered one, which gives each sentinel's characters there."""

    def __init__(self, text, sf, sentinel_text, leaves, chart: Path, ctx):
        self.text, self.sf, self.sentinel_text, self.leaves, self.chart, self.ctx = text, sf, sentinel_text, leaves, chart, ctx
        self.sources = [(m.start(), m.group(1)) for m in _SOURCE.finditer(text)]
        self.scalars: list[tuple[YScalar, YScalar]] = []  # (rendered, with sentinels), by offset
        if sentinel_text is not None:
            ours = load_documents(text, "rendered", errors=[])
            theirs = load_documents(sentinel_text, "sentinels", errors=[])
            if len(ours) == len(theirs):
                for a, b in zip(ours, theirs):
                    _pair(a, b, self.scalars)
        self.scalars.sort(key=lambda pair: pair[0].span.start or 0)
        self.starts = [pair[0].span.start or 0 for pair in self.scalars]

    def _leaf(self, span: Span) -> tuple[Leaf, bool] | None:
        """The values key a rendered span comes from, and whether the span is its value whole, as written."""
        import bisect

        i = bisect.bisect_right(self.starts, span.start) - 1
        if i < 0:
            return None
        ours, theirs = self.scalars[i]
        if ours.span.end is None or span.end > ours.span.end or theirs.span.start is None:
            return None
        rendered = self.text[ours.span.start:ours.span.end]
        written = self.sentinel_text[theirs.span.start:theirs.span.end]
        parts = _SENTINEL.split(written)  # literal, id, literal, id, ..., literal
        if len(parts) < 3:
            return None
        pattern = "".join(re.escape(p) if k % 2 == 0 else f"(?P<s{k}_{p}>.*?)" for k, p in enumerate(parts))
        m = re.fullmatch(pattern, rendered, re.DOTALL)
        if m is None:
            return None
        lo, hi = span.start - ours.span.start, span.end - ours.span.start
        hits = [(g, m.start(g), m.end(g)) for g in m.groupdict() if m.start(g) < hi and lo < m.end(g) or m.start(g) == lo == hi]
        hits = [(int(g.split("_")[1]), start, end) for g, start, end in hits if int(g.split("_")[1]) in self.leaves]
        if not hits:
            return None
        n, start, end = hits[-1]  # several ("{{ .repository }}:{{ .tag }}"): the last, the tag
        leaf = self.leaves[n]
        exact = len(hits) == 1 and (start, end) == (lo, hi) and rendered[start:end] == leaf.node.value
        return leaf, exact

    def _template(self, offset: int) -> Path | None:
        """The template that ``# Source:`` names for the document at ``offset`` (``chart-name/templates/x.yaml``)."""
        written = None
        for start, path in self.sources:
            if start > offset:
                break
            written = path
        if written is None:
            return None
        parts = Path(written).parts  # "<chart name>/templates/x.yaml", "<chart name>/charts/sub/templates/x.yaml"
        candidate = self.chart / Path(*parts[1:]) if len(parts) > 1 else None
        return candidate if candidate is not None and candidate.is_file() else None

    def remap(self, d: Deployment) -> None:
        from vllm_lint.loaders.kustomize import _replace_spans, _spans

        mine = [s for s in _spans(d) if s.path == self.sf.path and s.start is not None and s.end is not None]
        mapping: dict[Span, Span] = {}
        whole: set[Span] = set()  # mapped to a values key whose value the rendered word is, as written
        for s in mine:
            found = self._leaf(s) if self.scalars else None
            if found is not None:
                leaf, exact = found
                mapping[s] = leaf.node.span
                if exact:
                    whole.add(leaf.node.span)
        for s in mine:
            if s not in mapping:
                mapping[s] = self._in_template(s)
        _replace_spans(d, lambda s: mapping.get(s, s) if s.path == self.sf.path else s)
        styles = {lf.node.span: lf.node.style for lf in self.leaves.values()}
        for arg in d.args:  # a fix rewrites a value only where the rendered word is that value, as written
            for w in arg.words:
                if w.span in whole:
                    style = styles.get(w.span)  # a block scalar ("|", ">") is not rewritten
                    w.quoting = "yaml-plain" if not style else {"'": "yaml-single", '"': "yaml-double"}.get(style, "")
                    w.raw, w.exact = w.value, True
                elif w.span.path != self.sf.path:
                    w.quoting = ""  # part of a value, or found in a template: pointed at, never rewritten
        d.path = d.span.path
        source = self.ctx.by_display(d.path)
        d.base_dir = str(Path(source.abspath).parent) if source is not None else d.base_dir
        d.__dict__.pop("_winners_cache", None)

    def _in_template(self, span: Span) -> Span:
        template = self._template(span.start)
        source = self.ctx.source_with_text(template, "helm-template") if template is not None else None
        if source is None:
            chart_sf = self.ctx.source_with_text(self.chart / "Chart.yaml", "helm-template")
            return Span.point(chart_sf.path) if chart_sf is not None else span
        token = self.text[span.start:span.end].strip()
        for form in dict.fromkeys([token, token.strip("\"'")]):
            if not form:
                continue
            m = re.search(r"(?<![\w./-])" + re.escape(form) + r"(?![\w./-])", source.text)
            if m is not None:
                return source.span(m.start(), m.end())
        return Span.point(source.path)
