"""The LSP 3.17 protocol on pygls: ``vllm-lint server`` talks it over stdin/stdout.

Lints on open and save at once, on change after ``debounce`` seconds without another change (0.3 by
default); each lint runs in a worker thread, so the editor's requests are answered meanwhile. Diagnostics
are published for every file of the document's project (the ``.env`` of a compose file, its override). A
file of the project changed on disk (``workspace/didChangeWatchedFiles``, registered where the client
allows) re-lints the documents it belongs to; a changed configuration re-lints every open document.

Initialization options (all optional): ``offline`` (bool), ``gpu`` (a ``--gpu`` spec, for files whose
configuration names no hardware), ``vllmVersion``, ``select`` / ``ignore`` (lists of codes), ``debounce``
(seconds)."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from vllm_lint import __version__
from vllm_lint.config import CONFIG_NAMES
from vllm_lint.lsp.session import Session, path_of, uri_of

SOURCE = "vllm-lint"
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "info": lsp.DiagnosticSeverity.Information}
#: Findings shown faded (unused suppressions) or struck through (deprecated options).
_TAGS = {"VLL002": [lsp.DiagnosticTag.Unnecessary], "VLL203": [lsp.DiagnosticTag.Deprecated]}
DEFAULT_DEBOUNCE = 0.3
#: Files whose change on disk (a `git pull`, another editor, a script) re-lints the open documents whose
#: project they are part of, or that they configure; watched where the client can register watchers.
WATCHED = ("**/.env", "**/.env.*", "**/*.env", "**/.vllm-lint.yaml", "**/.vllm-lint.yml", "**/pyproject.toml",
           "**/*.yaml", "**/*.yml", "**/*.json", "**/*.sh")


# ----------------------------------------------------------------------------- positions


def _units(text: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-32":
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def _chars(text: str, units: int, encoding: str) -> int:
    """How many characters of ``text`` make ``units`` code units."""
    if encoding == "utf-32":
        return min(units, len(text))
    count = 0
    for i, c in enumerate(text):
        if count >= units:
            return i
        count += len(c.encode("utf-8")) if encoding == "utf-8" else (2 if ord(c) > 0xFFFF else 1)
    return len(text)


def _line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line].rstrip("\r") if 0 <= line < len(lines) else ""


class VllmLintServer(LanguageServer):
    def __init__(self, options: dict | None = None):
        super().__init__(SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental)
        self.defaults = {k: v for k, v in (options or {}).items() if v is not None}
        self.session = Session(self.defaults)
        self.debounce = float(self.defaults.get("debounce") or DEFAULT_DEBOUNCE)
        self._pending: dict[str, asyncio.Task] = {}
        self._published: dict[str, set[str]] = {}  # uri -> files last published for it

    @property
    def encoding(self) -> str:
        enc = self.workspace.position_encoding
        value = getattr(enc, "value", enc) or "utf-16"
        return str(value)

    def text_of(self, path: str) -> str:
        doc = self.session.documents.get(path)
        if doc is not None:
            return doc.text
        try:
            return Path(path).read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            return ""

    def position(self, text: str, line: int, char: int) -> lsp.Position:
        return lsp.Position(line=line, character=_units(_line(text, line)[:char], self.encoding))

    def char_of(self, text: str, position: lsp.Position) -> int:
        return _chars(_line(text, position.line), position.character, self.encoding)

    def span_range(self, span, sf) -> lsp.Range:
        text = sf.text
        start = self.position(text, span.line - 1, span.column - 1)
        end = self.position(text, span.end_line - 1, max(span.end_column - 1, 0))
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return lsp.Range(start=start, end=end)

    # -- diagnostics
    def diagnostic(self, finding, sf, project) -> lsp.Diagnostic:
        from vllm_lint.docs import finding_url

        message = finding.message + (f"\n{finding.hint}" if finding.hint else "")
        if finding.fix is not None:
            message += f"\nfix{'' if finding.fix.safe else ' (unsafe)'}: {finding.fix.description}"
        related = []
        for span in finding.related:
            other = project.source(span.path)
            if other is not None:
                related.append(lsp.DiagnosticRelatedInformation(
                    location=lsp.Location(uri=uri_of(other.abspath), range=self.span_range(span, other)),
                    message="related"))
        return lsp.Diagnostic(
            range=self.span_range(finding.span, sf), message=message, severity=_SEVERITY[finding.severity],
            code=finding.code, source=SOURCE,
            code_description=lsp.CodeDescription(href=finding_url(finding, project.settings)),
            tags=_TAGS.get(finding.code), related_information=related or None,
            data={"name": finding.name, "fixable": finding.fix is not None})

    def publish(self, owner: str) -> None:
        """Publish the diagnostics of every file the lint of ``owner`` touched (and clear the files it no
        longer touches)."""
        lint = self.session.lints.get(owner)
        by_file = self.session.diagnostics_by_file()
        files = set(self.session.files_of(owner))
        if lint is not None and lint.error and lint.result is None:
            doc = self.session.document(owner)
            if doc is not None:
                self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=owner, version=doc.version,
                    diagnostics=[lsp.Diagnostic(range=lsp.Range(start=lsp.Position(line=0, character=0),
                                                                end=lsp.Position(line=0, character=0)),
                                                message=f"vllm-lint: {lint.error}", severity=lsp.DiagnosticSeverity.Error,
                                                source=SOURCE)]))
                self._published[owner] = {str(doc.path)}
                return
        for path in files | self._published.get(owner, set()):
            items = by_file.get(path, [])
            project = next((lt.result.project for lt in self.session.lints.values()
                            if lt.result is not None and path in lt.sources()), None)
            doc = self.session.documents.get(path)
            diagnostics = [self.diagnostic(f, sf, project) for f, sf in items] if project is not None else []
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=doc.uri if doc is not None else uri_of(path), diagnostics=diagnostics,
                version=doc.version if doc is not None else None))
        self._published[owner] = files

    def on_disk(self, paths) -> set[str]:
        """Schedule the lints that files changed, created or deleted on disk affect: every open document for a
        configuration; else the documents whose project holds the file, or whose project has a file in the
        same folder (a new ``.env`` or override). A file open in the editor is read from the editor: its disk
        text changes nothing. Returns the documents scheduled."""
        owners: set[str] = set()
        for path in paths:
            if path is None or str(path) in self.session.documents:
                continue
            if path.name in CONFIG_NAMES or path.name == "pyproject.toml":
                owners |= set(self.session.lints)
                continue
            for owner, files in self._published.items():
                if str(path) in files or any(Path(f).parent == path.parent for f in files):
                    owners.add(owner)
        for owner in owners:
            self.schedule(owner, self.debounce)
        return owners

    async def lint_now(self, uri: str) -> None:
        try:
            await asyncio.get_running_loop().run_in_executor(None, self.session.lint, uri)
        except Exception as exc:  # a bug must not take the server down: say it, keep serving
            logging.getLogger(__name__).exception("lint failed")
            self.window_log_message(lsp.LogMessageParams(type=lsp.MessageType.Error, message=f"vllm-lint: {exc}"))
            return
        self.publish(uri)

    def schedule(self, uri: str, delay: float) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None and not pending.done():
            pending.cancel()

        async def later():
            if delay:
                await asyncio.sleep(delay)
            await self.lint_now(uri)

        self._pending[uri] = asyncio.ensure_future(later())

    async def settle(self, uri: str) -> None:
        """Let a lint that is due for ``uri`` finish before answering a request that needs it."""
        pending = self._pending.get(uri)
        if pending is not None and not pending.done():
            pending.cancel()
            await self.lint_now(uri)


def build(options: dict | None = None) -> VllmLintServer:
    server = VllmLintServer(options)

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: VllmLintServer, params: lsp.InitializeParams):
        opts = params.initialization_options if isinstance(params.initialization_options, dict) else {}
        ls.session.options = {**ls.defaults, **{k: v for k, v in opts.items() if v is not None}}
        if opts.get("debounce") is not None:
            ls.debounce = float(opts["debounce"])
        root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
        ls.session.root = path_of(root) if root else None

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: VllmLintServer, params: lsp.InitializedParams):
        workspace = getattr(ls.client_capabilities, "workspace", None)
        watched = getattr(workspace, "did_change_watched_files", None)
        if watched is not None and watched.dynamic_registration:
            ls.client_register_capability(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="vllm-lint-watched-files", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                    watchers=[lsp.FileSystemWatcher(glob_pattern=g) for g in WATCHED]))]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: VllmLintServer, params: lsp.DidChangeWatchedFilesParams):
        ls.on_disk([path_of(change.uri) for change in params.changes])

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: VllmLintServer, params: lsp.DidOpenTextDocumentParams):
        doc = params.text_document
        ls.session.open(doc.uri, doc.text, doc.version)
        ls.schedule(doc.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: VllmLintServer, params: lsp.DidChangeTextDocumentParams):
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        ls.session.change(uri, document.source, params.text_document.version)
        ls.schedule(uri, ls.debounce)
        for other, files in list(ls._published.items()):  # the documents whose project this file is part of
            path = path_of(uri)
            if other != uri and path is not None and str(path) in files:
                ls.schedule(other, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=True))
    async def did_save(ls: VllmLintServer, params: lsp.DidSaveTextDocumentParams):
        uri = params.text_document.uri
        if params.text is not None:
            doc = ls.session.document(uri)
            ls.session.change(uri, params.text, doc.version if doc is not None else None)
        path = path_of(uri)
        if path is not None and (path.name in CONFIG_NAMES or path.name == "pyproject.toml"):
            for other in list(ls.session.lints):  # a saved configuration re-lints everything open
                ls.schedule(other, 0)
        if ls.session.document(uri) is not None:
            ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: VllmLintServer, params: lsp.DidCloseTextDocumentParams):
        uri = params.text_document.uri
        pending = ls._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        files = ls._published.pop(uri, set())
        ls.session.close(uri)
        remaining = ls.session.diagnostics_by_file()
        for path in files:  # what only this document's lint reported goes away with it
            if path not in remaining:
                ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri_of(path), diagnostics=[]))
        for owner in list(ls._published):
            ls.publish(owner)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll]))
    async def code_action(ls: VllmLintServer, params: lsp.CodeActionParams):
        uri = params.text_document.uri
        await ls.settle(uri)
        actions = await asyncio.get_running_loop().run_in_executor(
            None, ls.session.actions, uri, params.range.start.line, params.range.end.line)
        only = params.context.only
        out = []
        diagnostics = list(params.context.diagnostics or ())
        for action in actions:
            kind = lsp.CodeActionKind.QuickFix if action.kind == "quickfix" else lsp.CodeActionKind.SourceFixAll
            if only and not any(kind.value == o or kind.value.startswith(str(getattr(o, "value", o)) + ".")
                                for o in only):
                continue
            changes = {}
            for path, edits in action.edits.items():
                text = ls.text_of(path)
                changes[uri_of(path) if ls.session.documents.get(path) is None else ls.session.documents[path].uri] = [
                    lsp.TextEdit(range=lsp.Range(start=ls.position(text, a, b), end=ls.position(text, c, d)), new_text=t)
                    for a, b, c, d, t in edits]
            codes = {f.code for f in action.findings}
            matched = [dg for dg in diagnostics if dg.code in codes and any(
                dg.range.start.line <= f.span.line - 1 <= dg.range.end.line for f in action.findings)]
            out.append(lsp.CodeAction(title=action.title, kind=kind, is_preferred=action.preferred or None,
                                      diagnostics=matched or None, edit=lsp.WorkspaceEdit(changes=changes)))
        return out

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    async def hover(ls: VllmLintServer, params: lsp.HoverParams):
        uri = params.text_document.uri
        await ls.settle(uri)
        doc = ls.session.document(uri)
        if doc is None:
            return None
        char = ls.char_of(doc.text, params.position)
        text = await asyncio.get_running_loop().run_in_executor(None, ls.session.hover, uri, params.position.line, char)
        if not text:
            return None
        return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["-", "=", " ", '"']))
    async def completion(ls: VllmLintServer, params: lsp.CompletionParams):
        uri = params.text_document.uri
        doc = ls.session.document(uri)
        if doc is None:
            return None
        char = ls.char_of(doc.text, params.position)
        entries = await asyncio.get_running_loop().run_in_executor(
            None, ls.session.completions, uri, params.position.line, char)
        kinds = {"option": lsp.CompletionItemKind.Property, "key": lsp.CompletionItemKind.Field,
                 "value": lsp.CompletionItemKind.EnumMember}
        items = []
        for e in entries:
            rng = lsp.Range(start=ls.position(doc.text, params.position.line, e.start),
                            end=ls.position(doc.text, params.position.line, e.end))
            items.append(lsp.CompletionItem(
                label=e.label, kind=kinds[e.kind], detail=e.detail or None,
                documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=e.documentation) if e.documentation else None,
                text_edit=lsp.TextEdit(range=rng, new_text=e.insert),
                tags=[lsp.CompletionItemTag.Deprecated] if e.deprecated else None))
        return lsp.CompletionList(is_incomplete=False, items=items)

    return server


def serve(options: dict | None = None) -> None:
    """Run the server on stdin/stdout until the client says exit."""
    logging.basicConfig(level=logging.WARNING)
    build(options).start_io()
