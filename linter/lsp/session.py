"""What the language server knows between requests: the open documents, the last lint of each, and the
answers computed from them. Positions here are 0-based lines and *characters* (code points); the server
converts them to and from the client's encoding (UTF-16 by default).

A document is linted with everything that lints with it on the command line: ``load_project([path])``,
so a compose file brings its ``.env`` and override, a ``.env`` the compose files beside it. Every open
document is read from the editor (:func:`vllm_lint.sources.overlay.overlay`), not from the disk. The
diagnostics of one lint go to every file of its project; a file linted through several open documents shows
the union."""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

#: Options whose hover shows the launch's memory per GPU.
MEMORY_OPTIONS = ("max-model-len", "gpu-memory-utilization", "tensor-parallel-size", "kv-cache-dtype", "max-num-seqs")


def path_of(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return Path(os.path.abspath(url2pathname(unquote(parsed.path))))


def uri_of(path) -> str:
    return Path(os.path.abspath(path)).as_uri()


@dataclass
class Document:
    uri: str
    path: Path
    text: str
    version: int | None = None


@dataclass
class Action:
    """A code action: the fix of one finding (or all safe fixes of a file), as character-range edits."""

    title: str
    kind: str  # "quickfix" or "source.fixAll"
    preferred: bool
    edits: dict[str, list[tuple[int, int, int, int, str]]]  # abs path -> (line, char, end line, end char, text)
    findings: list = field(default_factory=list)


@dataclass
class CompletionEntry:
    label: str
    kind: str  # "option", "value", "key"
    detail: str
    documentation: str
    insert: str
    start: int  # characters of the line the completion replaces: [start, end)
    end: int
    deprecated: bool = False


@dataclass
class Lint:
    owner: str  # the document whose lint this is
    result: object | None  # engine.Result
    error: str | None = None  # the configuration could not be read
    versions: dict[str, int | None] = field(default_factory=dict)  # abs path -> version of the text linted
    settings: object = None

    def sources(self) -> dict[str, object]:
        if self.result is None:
            return {}
        return {str(sf.abspath): sf for sf in self.result.project.files}

    def findings_of(self, path: str) -> list:
        if self.result is None:
            return []
        source = self.sources().get(path)
        return [f for f in self.result.findings if source is not None and f.span.path == source.path]


class Session:
    def __init__(self, options: dict | None = None, root: Path | None = None):
        self.options = dict(options or {})
        self.root = root
        self.documents: dict[str, Document] = {}  # abs path -> document
        self.lints: dict[str, Lint] = {}  # owner uri -> last lint
        self._lock = threading.Lock()  # one lint at a time: the engine's caches are shared

    # -- documents
    def open(self, uri: str, text: str, version: int | None = None) -> Document | None:
        path = path_of(uri)
        if path is None:
            return None
        doc = Document(uri, path, text, version)
        self.documents[str(path)] = doc
        return doc

    def change(self, uri: str, text: str, version: int | None = None) -> Document | None:
        return self.open(uri, text, version)

    def close(self, uri: str) -> None:
        path = path_of(uri)
        if path is not None:
            self.documents.pop(str(path), None)
        self.lints.pop(uri, None)

    def document(self, uri: str) -> Document | None:
        path = path_of(uri)
        return self.documents.get(str(path)) if path is not None else None

    # -- linting
    def settings_for(self, path: Path):
        from vllm_lint import config as config_module

        found = config_module.find_config(path.parent)
        settings = config_module.load(found)
        opts = self.options
        if opts.get("offline") is not None:
            settings.offline = bool(opts["offline"])
        if opts.get("vllmVersion"):
            settings.vllm_version = str(opts["vllmVersion"])
        if opts.get("gpu") and settings.hardware is None:
            settings.hardware = opts["gpu"]
        if opts.get("select"):
            settings.select = list(opts["select"])
        if opts.get("ignore"):
            settings.ignore = settings.ignore + list(opts["ignore"])
        return settings

    def _cwd(self, path: Path, settings) -> Path:
        """Where paths are shown from: the workspace folder holding the file, else the configuration's folder."""
        if self.root is not None:
            try:
                path.relative_to(self.root)
                return self.root
            except ValueError:
                pass
        if settings.source:
            return Path(settings.root).resolve()
        return path.parent

    def lint(self, uri: str) -> Lint:
        """Lint the document ``uri`` (and its project) as the editor holds it; remember and return the lint."""
        from vllm_lint.config import ConfigError
        from vllm_lint.engine import check, load_project, select_rules
        from vllm_lint.hardware.gpu import InventoryError
        from vllm_lint.sources.overlay import overlay

        doc = self.document(uri)
        path = doc.path if doc is not None else path_of(uri)
        if path is None:
            return Lint(uri, None, "not a file")
        with self._lock:
            texts = {p: d.text for p, d in self.documents.items()}
            versions = {p: d.version for p, d in self.documents.items()}
            try:
                settings = self.settings_for(path)
            except ConfigError as exc:
                lint = Lint(uri, None, f"configuration: {exc}", versions)
                self.lints[uri] = lint
                return lint
            try:
                with overlay(texts):
                    project = load_project([path], settings, cwd=self._cwd(path, settings))
                    result = check(project, select_rules(settings))
            except (ConfigError, InventoryError) as exc:  # a bad `gpu` / `hardware:`: said on the document
                lint = Lint(uri, None, f"{'hardware' if isinstance(exc, InventoryError) else 'configuration'}: {exc}",
                            versions)
                self.lints[uri] = lint
                return lint
            lint = Lint(uri, result, None, {str(sf.abspath): versions.get(str(sf.abspath)) for sf in project.files},
                        settings)
            self.lints[uri] = lint
            return lint

    def current(self, uri: str) -> Lint:
        """The last lint of ``uri`` if it saw the text the editor holds now, else a fresh one."""
        lint = self.lints.get(uri)
        doc = self.document(uri)
        if lint is not None and lint.result is not None and doc is not None \
                and lint.versions.get(str(doc.path), doc.version) == doc.version:
            stale = any(lint.versions.get(p, d.version) != d.version for p, d in self.documents.items())
            if not stale:
                return lint
        return self.lint(uri)

    def covering(self, uri: str) -> list[Lint]:
        """The lints that read the document ``uri``: its own, then those of the other open documents whose
        project it is part of (the compose file of a ``--config`` file, of a ``.env``), each current."""
        doc = self.document(uri)
        out = []
        own = self.current(uri)
        if own.result is not None:
            out.append(own)
        for other in list(self.lints):
            if other != uri and doc is not None and str(doc.path) in self.files_of(other):
                lint = self.current(other)
                if lint.result is not None:
                    out.append(lint)
        return out

    def diagnostics_by_file(self) -> dict[str, list[tuple[object, object]]]:
        """abs path -> (finding, its SourceFile) over every remembered lint, each finding once."""
        out: dict[str, dict] = {}
        for lint in self.lints.values():
            if lint.result is None:
                continue
            sources = lint.sources()
            for path, sf in sources.items():
                out.setdefault(path, {})
            by_display = {sf.path: sf for sf in sources.values()}
            for f in lint.result.findings:
                sf = by_display.get(f.span.path)
                if sf is None:
                    continue
                key = (f.code, f.span.line, f.span.column, f.span.end_line, f.span.end_column, f.message)
                out[str(sf.abspath)].setdefault(key, (f, sf))
        return {path: list(items.values()) for path, items in out.items()}

    def files_of(self, uri: str) -> set[str]:
        lint = self.lints.get(uri)
        return set(lint.sources()) if lint is not None else set()

    # -- code actions
    def actions(self, uri: str, line: int, end_line: int) -> list[Action]:
        """The fixes of the findings on lines ``line``..``end_line`` (0-based) of ``uri``, then "fix all" for
        the file's safe fixes."""
        from vllm_lint.fixes.apply import FileFix, FixError, apply_edits, check_readable, plan

        lint = self.current(uri)
        doc = self.document(uri)
        if lint.result is None or doc is None:
            return []
        project = lint.result.project
        sources = lint.sources()
        here = sources.get(str(doc.path))
        if here is None:
            return []
        out = []
        for f in lint.result.findings:
            if f.span.path != here.path or f.fix is None or not f.fix.edits:
                continue
            if f.span.end_line - 1 < line or f.span.line - 1 > end_line:
                continue
            edits = _edits(f.fix.edits, project)
            if edits is None:
                continue
            fixed_ok = True
            for path, items in _by_source(f.fix.edits, project).items():
                sf = project.source(path)
                try:
                    check_readable(FileFix(sf.path, sf.abspath, sf.text, apply_edits(sf.text, items)))
                except FixError:
                    fixed_ok = False
            if not fixed_ok:
                continue
            title = f"{f.code}: {f.fix.description}" + ("" if f.fix.safe else " (unsafe: changes behaviour)")
            out.append(Action(title, "quickfix", f.fix.safe, edits, [f]))
        safe = [f for f in lint.result.findings if f.span.path == here.path]
        planned = plan(safe, project, unsafe=False).get(here.path)
        if planned is not None and planned.applied:
            edits = _edits([e for f in planned.applied for e in f.fix.edits], project)
            if edits:
                n = len(planned.applied)
                out.append(Action(f"vllm-lint: apply {n} safe fix{'es' if n != 1 else ''} in this file", "source.fixAll",
                                  False, edits, list(planned.applied)))
        return out

    # -- hover
    def hover(self, uri: str, line: int, char: int) -> str | None:
        """Markdown for the option under the cursor: its documentation in the launch's release, and for the
        memory options the launch's memory per GPU."""
        doc = self.document(uri)
        if doc is None:
            return None
        found = None
        for lint in self.covering(uri):  # a --config file: the launch of the compose file that reads it first
            sf = lint.sources().get(str(doc.path))
            at = _arg_at(lint.result.project, sf.path, line + 1, char + 1) if sf is not None else None
            if at is not None and (found is None or found[1].kind == "vllm-config" and at[0].kind != "vllm-config"):
                found = (lint, *at)
        if found is None:
            return None
        lint, d, arg = found
        project = lint.result.project
        release = project.release_of(d)
        parts = [option_markdown(arg, release, d, lint.settings)]
        if arg.name in MEMORY_OPTIONS:
            parts.append(memory_markdown(project, d))
        return "\n\n---\n\n".join(p for p in parts if p)

    # -- completion
    def completions(self, uri: str, line: int, char: int) -> list[CompletionEntry]:
        doc = self.document(uri)
        if doc is None:
            return []
        lines = doc.text.split("\n")
        if line >= len(lines):
            return []
        text = lines[line].rstrip("\r")[:char]
        lints = self.covering(uri) or [self.lints.get(uri) or self.lint(uri)]
        release, kind = self._release_at(lints[0], doc, line + 1)
        if kind == "vllm-config" and len(lints) > 1:  # a --config file: the release of the launch that reads it
            release = self._release_at(lints[1], doc, line + 1)[0] or release
        if release is None:
            return []
        m = re.search(r"""([^\s"'\[\],]*)$""", text)
        token = m.group(1) if m else ""
        start = char - len(token)
        if kind == "vllm-config" and (":" not in text):
            return _key_completions(release, token.lstrip("-"), start, char)
        if kind == "vllm-config":
            key = text.split(":", 1)[0].strip()
            value = text.split(":", 1)[1].lstrip().strip("\"'")
            option = release.option("--" + key.replace("_", "-"))
            return _choice_completions(option, value, char - len(value), char)
        if token.startswith("-") and "=" in token:
            flag, _, value = token.partition("=")
            return _choice_completions(release.option(flag), value, char - len(value), char)
        if token.startswith("-"):
            return _option_completions(release, token, start, char)
        previous = _previous_word(lines, line, text[:start])
        if previous and previous.startswith("-"):
            option = release.option(previous.split("=", 1)[0])
            if option is not None and "=" not in previous:
                return _choice_completions(option, token, start, char)
        return []

    def _release_at(self, lint: Lint, doc: Document, line: int):
        """The release of the launch written at or above ``line`` of the document (the nearest), else the
        configured one, else the newest known; and the document's kind."""
        kind = None
        if lint is not None and lint.result is not None:
            project = lint.result.project
            sf = lint.sources().get(str(doc.path))
            if sf is not None:
                kind = sf.kind
                candidates = []
                for d in project.deployments:
                    lines = [a.flag_span.line for a in d.args if a.flag_span.path == sf.path]
                    if d.span.path == sf.path:
                        lines.append(d.span.line)
                    if lines and min(lines) <= line:
                        candidates.append((min(lines), d))
                if not candidates:
                    candidates = [(0, d) for d in project.deployments
                                  if any(a.flag_span.path == sf.path for a in d.args) or d.span.path == sf.path]
                if candidates:
                    d = max(candidates, key=lambda c: c[0])[1]
                    release = project.release_of(d)
                    if release is not None:
                        return release, kind
        from vllm_lint.engine import _release_loader

        settings = lint.settings if lint is not None else None
        return _release_loader()(getattr(settings, "vllm_version", None)), kind


def _by_source(edits, project) -> dict[str, list]:
    out: dict[str, list] = {}
    for e in edits:
        out.setdefault(e.span.path, []).append(e)
    return out


def _edits(edits, project) -> dict[str, list[tuple[int, int, int, int, str]]] | None:
    out: dict[str, list] = {}
    for e in edits:
        sf = project.source(e.span.path)
        if sf is None or e.span.start is None or e.span.end is None:
            return None
        line, column = sf.position(e.span.start)
        end_line, end_column = sf.position(e.span.end)
        out.setdefault(str(sf.abspath), []).append((line - 1, column - 1, end_line - 1, end_column - 1, e.replacement))
    return out


def _inside(span, line: int, column: int) -> bool:
    if span is None:
        return False
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)


def _arg_at(project, display: str, line: int, column: int):
    """(deployment, argument) whose flag or value is under (line, column) of the file shown as ``display``."""
    best = None
    for d in project.deployments:
        for a in d.args:
            for span, rank in ((a.flag_span, 0), (a.value_span, 1)):
                if span is not None and span.path == display and _inside(span, line, column):
                    size = (span.end_line - span.line, span.end_column - span.column)
                    if best is None or (rank, size) < best[0]:
                        best = ((rank, size), d, a)
    return None if best is None else (best[1], best[2])


def _code(value) -> str:
    import json

    if isinstance(value, str):
        return f"`{value}`"
    return f"`{json.dumps(value)}`"


def option_markdown(arg, release, d, settings=None) -> str:
    """An option's documentation in the launch's release."""
    flag = arg.flag if arg.flag.startswith("-") else "--" + arg.name
    if release is None:
        return f"**`{flag}`**\n\nno vLLM release known for this launch"
    assumed = d.version is None and not getattr(settings, "vllm_version", None)
    where = f"vLLM {getattr(release, 'name', release.version)}" + (" (assumed: the image pins no release)" if assumed else "")
    option = release.option(flag if arg.flag.startswith("-") else "--" + arg.name)
    if option is None:
        history = release.history(flag) if hasattr(release, "history") else None
        return f"**`{flag}`** · {where}\n\nnot an option of this release" + (f": {history}" if history else "")
    lines = [f"**`{option.canonical}`** · {where}" + (f" · `{arg.value}`" if arg.value is not None else ""), ""]
    if option.help:
        lines += [option.help.strip(), ""]
    facts = [f"- type: `{option.type}`" + (" (JSON)" if option.is_json else "")]
    if option.action not in ("store",):
        facts.append(f"- action: `{option.action}`")
    facts.append(f"- default: {_code(option.default)}")
    if option.choices:
        facts.append("- choices: " + ", ".join(_code(c) for c in option.choices))
    if option.json_keys:
        facts.append("- keys: " + ", ".join(_code(k) for k in option.json_keys))
    if option.negatives:
        facts.append("- negated by: " + ", ".join(f"`{n}`" for n in option.negatives))
    others = [f for f in option.flags if f != option.canonical and f not in option.hidden]
    if others:
        facts.append("- also: " + ", ".join(f"`{f}`" for f in others))
    if option.deprecated:
        facts.append(f"- **deprecated**: {option.deprecated}" + (f" (use `{option.replacement}`)" if option.replacement else ""))
    return "\n".join(lines + facts)


def memory_markdown(project, d) -> str:
    """The launch's memory per GPU: weights, KV cache (GiB and tokens), concurrency, headroom."""
    from vllm_lint.memory.text import GiB, model_label
    from vllm_lint.reporters.vram_table import verdict

    feasibility = project.feasibility_of(d)
    est = feasibility.estimate
    if est is None:
        return f"**Memory per GPU**: no estimate ({feasibility.reason})"
    names = [g.gpu.name.replace("NVIDIA ", "").replace("GeForce ", "") for g in est.gpus]
    gpus = f"{len(names)}× {names[0]}" if all(n == names[0] for n in names) else ", ".join(names)
    head = (f"**Memory per GPU** · {model_label(est)} on {gpus} (vLLM {est.version}, tensor parallel "
            f"{est.launch.tensor_parallel}, pipeline parallel {est.launch.pipeline_parallel})")
    lines = [head, "",
             "| GPU | budget | weights | activations | CUDA graphs | other | KV cache | total | headroom |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for i, g in enumerate(est.gpus):
        device = g.device if g.device is not None else str(i)
        headroom = (g.gpu.cuda_memory_bytes - g.total) / GiB
        lines.append(f"| {device} {g.gpu.id} | {g.budget.gib:.2f} | {g.weights.gib:.2f} | {g.activation.gib:.2f} | "
                     f"{g.cuda_graph.gib:.2f} | {g.other.gib:.2f} | {g.kv_cache.gib:.2f} | {g.total / GiB:.2f} | "
                     f"{headroom:.2f} |")
    lines += ["", "GiB; headroom: CUDA memory of the card less what vLLM holds once running.", ""]
    needed = (f"--gpu-memory-utilization needed: {est.gpu_memory_utilization_needed}"
              if est.gpu_memory_utilization_needed else "no --gpu-memory-utilization is enough")
    lines.append(f"KV cache: **{est.kv_cache_tokens:,} tokens** for --max-model-len {est.max_model_len:,}: maximum "
                 f"concurrency **{est.max_concurrency:.2f}×**; largest --max-model-len that fits: "
                 f"{est.max_model_len_that_fits:,}; {needed}. Verdict: **{verdict(est)}** "
                 f"(KV cache ±{est.uncertainty:.0%}).")
    for note in est.notes:
        lines.append(f"\n_note: {note}_")
    return "\n".join(lines)


def _visible_flags(option) -> list[str]:
    return [f for f in (option.canonical, *option.negatives) if f.startswith("--") and f not in option.hidden]


def _option_doc(option) -> tuple[str, str]:
    detail = option.type + (f" = {option.default!r}" if option.default not in (None, False, "") else "")
    doc = option.help.strip() if option.help else ""
    if option.choices:
        doc += ("\n\n" if doc else "") + "choices: " + ", ".join(str(c) for c in option.choices)
    if option.deprecated:
        doc += ("\n\n" if doc else "") + f"deprecated: {option.deprecated}"
    return detail, doc


def _option_completions(release, token: str, start: int, end: int) -> list[CompletionEntry]:
    out = []
    prefix = token.replace("_", "-")
    for option in release.options():
        detail, doc = _option_doc(option)
        for flag in _visible_flags(option):
            if flag.startswith(prefix) or prefix in ("-", "--"):
                out.append(CompletionEntry(flag, "option", detail, doc, flag, start, end, bool(option.deprecated)))
    return sorted(out, key=lambda c: (c.deprecated, c.label))


def _key_completions(release, token: str, start: int, end: int) -> list[CompletionEntry]:
    out = []
    prefix = token.replace("_", "-")
    for option in release.options():
        flag = option.canonical
        if not flag.startswith("--") or option.canonical in option.hidden:
            continue
        key = flag[2:]
        if key.startswith(prefix):
            detail, doc = _option_doc(option)
            out.append(CompletionEntry(key, "key", detail, doc, key + ": ", start, end, bool(option.deprecated)))
    return sorted(out, key=lambda c: (c.deprecated, c.label))


def _choice_completions(option, token: str, start: int, end: int) -> list[CompletionEntry]:
    if option is None:
        return []
    choices = list(option.choices or ())
    if not choices and option.action == "store_boolean":
        choices = ["true", "false"]
    out = []
    for c in choices:
        text = str(c)
        if text.startswith(token):
            out.append(CompletionEntry(text, "value", f"{option.canonical} choice", option.help.strip() if option.help else "",
                                       text, start, end))
    return out


def _previous_word(lines: list[str], line: int, before: str) -> str | None:
    """The word before the cursor's: on the same line, else the last word of the nearest line above."""
    words = re.findall(r"""[^\s"'\[\],]+""", before)
    if words:
        return words[-1]
    for above in range(line - 1, max(-1, line - 50), -1):
        words = re.findall(r"""[^\s"'\[\],]+""", lines[above].split("#", 1)[0] if "#" in lines[above] else lines[above])
        if words:
            return words[-1].rstrip("\\") or (words[-2] if len(words) > 1 else None)
    return None
