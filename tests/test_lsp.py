"""The language server, driven over stdio by a real LSP client (pygls' LanguageClient): initialize, open a
seed profile, receive its diagnostics, hover, ask for a code action, apply it, see the diagnostic go.

``VLLM_LINT_LSP_TRANSCRIPT=FILE`` also writes the JSON-RPC messages of the main session to FILE (one per
line, ``>`` client to server, ``<`` server to client)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, REPO, write

pytest.importorskip("pygls", reason="the language server needs pygls: pip install '.[lsp]'")

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient

MEDIUM_VL = EXAMPLES / "medium-vl" / "medium-vl.yml"
TIMEOUT = 60


class Client(LanguageClient):
    """A client that keeps what the server publishes, and (optionally) every message."""

    def __init__(self, transcript: list | None = None):
        super().__init__("vllm-lint-tests", "1")
        self.diagnostics: dict[str, list[lsp.Diagnostic]] = {}
        self.versions: dict[str, int | None] = {}
        self.published = asyncio.Event()
        self.transcript = transcript

        @self.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(ls, params: lsp.PublishDiagnosticsParams):
            ls.diagnostics[params.uri] = params.diagnostics
            ls.versions[params.uri] = params.version
            ls.published.set()

        @self.feature(lsp.WINDOW_LOG_MESSAGE)
        def on_log(ls, params):
            pass

        if transcript is not None:
            handle = self.protocol.handle_message

            def recorded(message):
                transcript.append(("<", json.loads(json.dumps(message, default=self.protocol._serialize_message))))
                return handle(message)

            self.protocol.handle_message = recorded
            send = self.protocol._send_data

            def sent(data):
                transcript.append((">", json.loads(json.dumps(data, default=self.protocol._serialize_message))))
                return send(data)

            self.protocol._send_data = sent

    async def wait_for(self, uri: str, predicate, timeout: float = TIMEOUT):
        """Wait until the diagnostics published for ``uri`` satisfy ``predicate``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if uri in self.diagnostics and predicate(self.diagnostics[uri]):
                return self.diagnostics[uri]
            self.published.clear()
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no diagnostics as expected for {uri}: {self.diagnostics.get(uri)}")
            try:
                await asyncio.wait_for(self.published.wait(), left)
            except asyncio.TimeoutError:
                pass


async def _start(transcript=None, options=None, root: Path | None = None) -> Client:
    client = Client(transcript)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    await client.start_io(sys.executable, "-m", "vllm_lint.cli", "server", "--stdio", env=env)
    await client.initialize_async(lsp.InitializeParams(
        process_id=os.getpid(), root_uri=(root or EXAMPLES).as_uri(),
        capabilities=lsp.ClientCapabilities(
            general=lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf16]),
            text_document=lsp.TextDocumentClientCapabilities(
                hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown]))),
        initialization_options={"offline": True, "debounce": 0.05, **(options or {})}))
    client.initialized(lsp.InitializedParams())
    return client


async def _stop(client: Client) -> None:
    await client.shutdown_async(None)
    client.exit(None)
    await asyncio.wait_for(client.stop(), TIMEOUT)


def _apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions; the files here are ASCII where edited)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: lsp.Position) -> int:
        return starts[p.line] + p.character

    for e in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[:offset(e.range.start)] + e.new_text + text[offset(e.range.end):]
    return text


def _full_change(uri: str, version: int, text: str) -> lsp.DidChangeTextDocumentParams:
    return lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)])


def _open(client: Client, path: Path, text: str | None = None, language: str = "yaml") -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=uri, language_id=language, version=1, text=path.read_text() if text is None else text)))
    return uri


def _position_of(text: str, needle: str, offset: int = 0) -> lsp.Position:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return lsp.Position(line=line, character=index - (text.rfind("\n", 0, index) + 1))


def test_session_on_the_medium_vl_profile():
    """The whole session the issue asks for, on examples/medium-vl/medium-vl.yml (its .env and the examples'
    configuration: vLLM 0.11.0, RTX 4090s), with nothing written to disk."""
    transcript: list | None = [] if os.environ.get("VLLM_LINT_LSP_TRANSCRIPT") else None
    before = MEDIUM_VL.read_text()

    async def session():
        client = await _start(transcript)
        try:
            text = before
            uri = _open(client, MEDIUM_VL, text)
            env_uri = (MEDIUM_VL.parent / ".env").as_uri()
            diagnostics = await client.wait_for(uri, lambda ds: any(d.code == "VLL202" for d in ds))
            codes = sorted(d.code for d in diagnostics)
            assert {"VLL102", "VLL202", "VLL110", "VLL402"} <= set(codes), codes
            # the project's .env gets its own diagnostics (the literal API key)
            env = await client.wait_for(env_uri, lambda ds: True)
            assert any(d.code == "VLL106" for d in env), env
            invalid = next(d for d in diagnostics if d.code == "VLL202" and "mm-encoder-tp-mode" in d.message)
            assert invalid.severity == lsp.DiagnosticSeverity.Error
            assert invalid.code_description.href.endswith("/VLL202.md")
            assert invalid.range.start == _position_of(text, "replicate")

            # hover on a memory option: the launch's memory per GPU on the configured RTX 4090s
            hover = await client.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=_position_of(text, "--max-model-len", 3)))
            value = hover.contents.value
            assert "--max-model-len" in value and "vLLM 0.11.0" in value, value
            assert "Memory per GPU" in value and "RTX 4090" in value and "KV cache" in value and "headroom" in value, value
            assert "tokens" in value and "concurrency" in value, value
            # hover on any option: its documentation in the pinned release
            hover = await client.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=_position_of(text, "--tool-call-parser", 4)))
            assert "--tool-call-parser" in hover.contents.value and "type:" in hover.contents.value

            # the code action of the invalid --mm-encoder-tp-mode value: preferred, safe
            actions = await client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), range=invalid.range,
                context=lsp.CodeActionContext(diagnostics=[invalid])))
            fix = next(a for a in actions if a.kind == lsp.CodeActionKind.QuickFix and a.title.startswith("VLL202"))
            assert fix.is_preferred and fix.diagnostics and fix.diagnostics[0].code == "VLL202"
            assert "weights" in fix.title
            text = _apply(text, fix.edit.changes[uri])
            assert "--mm-encoder-tp-mode weights" in text
            client.text_document_did_change(_full_change(uri, 2, text))
            after = await client.wait_for(uri, lambda ds: client.versions.get(uri) == 2)
            assert not any(d.code == "VLL202" and "mm-encoder-tp-mode" in d.message for d in after), after
            assert any(d.code == "VLL202" for d in after)  # the other invalid value is still there
        finally:
            await _stop(client)

    asyncio.run(session())
    assert MEDIUM_VL.read_text() == before  # the file itself was never written
    if transcript is not None:
        with open(os.environ["VLLM_LINT_LSP_TRANSCRIPT"], "w", encoding="utf-8") as out:
            out.writelines(f"{direction} {json.dumps(message, ensure_ascii=False)}\n" for direction, message in transcript)


def test_unsaved_edits_env_changes_completion_and_unsafe_fixes(tmp_path):
    """Typing re-lints from the buffer (the disk keeps the old text); a change of the .env re-lints the compose
    file beside it; completion offers the release's options and an option's choices; unsafe fixes are marked."""
    write(tmp_path, {
        ".vllm-lint.yaml": 'vllm-version: "0.11.0"\n',
        "compose.yaml": """
            services:
              llm:
                image: vllm/vllm-openai:v0.11.0
                environment:
                  - HF_TOKEN=${HF_TOKEN}
                command: ["--model", "${MODEL}", "--kv-cache-dtype", "fp8"]
            """,
        ".env": "MODEL=org/model\nHF_TOKEN=\n",
    })
    compose = tmp_path / "compose.yaml"
    env_path = tmp_path / ".env"

    async def session():
        client = await _start(root=tmp_path)
        try:
            uri = _open(client, compose)
            first = await client.wait_for(uri, lambda ds: True)
            assert not any(d.code == "VLL101" for d in first), first
            # the .env, edited in the editor and not saved: MODEL is gone, the compose file says so
            env_uri = _open(client, env_path, "HF_TOKEN=\n", language="dotenv")
            unset = await client.wait_for(uri, lambda ds: any(d.code == "VLL101" for d in ds))
            assert any("MODEL" in d.message for d in unset if d.code == "VLL101")
            client.text_document_did_change(_full_change(env_uri, 2, "MODEL=org/model\nHF_TOKEN=\n"))
            await client.wait_for(uri, lambda ds: not any(d.code == "VLL101" for d in ds))

            # an unknown option typed into the command, never saved
            text = compose.read_text().replace('"fp8"]', '"fp8", "--max-num-seqz", "8"]')
            client.text_document_did_change(_full_change(uri, 2, text))
            typo = await client.wait_for(uri, lambda ds: any(d.code == "VLL201" for d in ds))
            assert any("--max-num-seqz" in d.message for d in typo)
            assert "--max-num-seqz" not in compose.read_text()

            # completion: option names, then an option's choices
            line = text.splitlines()[5]
            at = lsp.Position(line=5, character=line.index("--max-num-seqz") + len("--max-num-s"))
            items = await client.text_document_completion_async(lsp.CompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=at))
            labels = [i.label for i in items.items]
            assert "--max-num-seqs" in labels and all(label.startswith("--max-num-s") for label in labels), labels
            at = lsp.Position(line=5, character=line.index('"fp8"') + 1)
            items = await client.text_document_completion_async(lsp.CompletionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=at))
            labels = [i.label for i in items.items]
            assert "auto" in labels and "fp8" in labels, labels

            # an unsafe fix (a close choice: it changes what runs) is offered, marked, and not preferred
            text = text.replace('"--max-num-seqz", "8"', '"--max-num-seqs", "8", "--dtype", "bfloat15"')
            client.text_document_did_change(_full_change(uri, 3, text))
            diags = await client.wait_for(uri, lambda ds: any("bfloat15" in d.message for d in ds))
            bad = next(d for d in diags if "bfloat15" in d.message)
            actions = await client.text_document_code_action_async(lsp.CodeActionParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), range=bad.range,
                context=lsp.CodeActionContext(diagnostics=[bad])))
            unsafe = next(a for a in actions if "bfloat16" in a.title)
            assert "unsafe" in unsafe.title and not unsafe.is_preferred
            assert _apply(text, unsafe.edit.changes[uri]).count('"bfloat16"') == 1
            # the fix-all action takes only safe fixes: none here
            assert not any(a.kind == lsp.CodeActionKind.SourceFixAll for a in actions)
        finally:
            await _stop(client)

    asyncio.run(session())


def test_an_unsaved_override_re_lints_its_compose_file(tmp_path):
    """The override is part of the compose file's project: typing an older release into it (never saved)
    makes the option of the base file unknown there, at once; no "no launch found" on the base file."""
    base = 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command: ["m", "--mm-encoder-tp-mode", "data"]\n'
    override = "services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
    write(tmp_path, {"compose.yaml": base, "compose.override.yaml": override})

    async def session():
        client = await _start(root=tmp_path)
        try:
            uri = _open(client, tmp_path / "compose.yaml")
            first = await client.wait_for(uri, lambda ds: True)
            assert not any(d.code in ("VLL201", "VLL004") for d in first), first
            over_uri = _open(client, tmp_path / "compose.override.yaml")
            client.text_document_did_change(_full_change(over_uri, 2, override.replace("v0.11.0", "v0.10.0")))
            older = await client.wait_for(uri, lambda ds: any(d.code == "VLL201" for d in ds))
            assert any("--mm-encoder-tp-mode" in d.message and "0.10.0" in d.message for d in older), older
            client.text_document_did_change(_full_change(over_uri, 3, override))
            await client.wait_for(uri, lambda ds: not any(d.code == "VLL201" for d in ds))
            assert (tmp_path / "compose.override.yaml").read_text() == override
        finally:
            await _stop(client)

    asyncio.run(session())


def test_a_project_file_changed_on_disk_re_lints_the_open_documents(tmp_path):
    """The server registers file watchers where the client allows dynamic registration; a `.env` rewritten
    on disk (not open in the editor), reported by workspace/didChangeWatchedFiles, re-lints the compose file
    beside it, and so does a new override created beside it."""
    write(tmp_path, {"compose.yaml": 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n'
                                     '    command: ["--model", "${MODEL}", "--mm-encoder-tp-mode", "data"]\n',
                     ".env": "MODEL=org/model\n"})
    registered = []

    async def session():
        client = Client()

        @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def on_register(ls, params: lsp.RegistrationParams):
            registered.extend(params.registrations)

        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        await client.start_io(sys.executable, "-m", "vllm_lint.cli", "server", "--stdio", env=env)
        await client.initialize_async(lsp.InitializeParams(
            process_id=os.getpid(), root_uri=tmp_path.as_uri(),
            capabilities=lsp.ClientCapabilities(workspace=lsp.WorkspaceClientCapabilities(
                did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True))),
            initialization_options={"offline": True, "debounce": 0.05}))
        client.initialized(lsp.InitializedParams())
        try:
            uri = _open(client, tmp_path / "compose.yaml")
            first = await client.wait_for(uri, lambda ds: True)
            assert not any(d.code in ("VLL101", "VLL201") for d in first), first
            watchers = [w["globPattern"] for r in registered if r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES
                        for w in r.register_options["watchers"]]  # LSPAny: as sent
            assert "**/.env" in watchers and "**/.vllm-lint.yaml" in watchers, registered

            (tmp_path / ".env").write_text("OTHER=1\n")
            client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(
                uri=(tmp_path / ".env").as_uri(), type=lsp.FileChangeType.Changed)]))
            unset = await client.wait_for(uri, lambda ds: any(d.code == "VLL101" for d in ds))
            assert any("MODEL" in d.message for d in unset if d.code == "VLL101")

            (tmp_path / "compose.override.yaml").write_text("services:\n  llm:\n    image: vllm/vllm-openai:v0.10.0\n")
            client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(
                uri=(tmp_path / "compose.override.yaml").as_uri(), type=lsp.FileChangeType.Created)]))
            await client.wait_for(uri, lambda ds: any(d.code == "VLL201" and "0.10.0" in d.message for d in ds))
        finally:
            await _stop(client)

    asyncio.run(session())


def test_changes_are_debounced_saves_lint_and_closing_clears(tmp_path):
    write(tmp_path, {"compose.yaml": 'services:\n  llm:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n'})
    compose = tmp_path / "compose.yaml"

    async def session():
        client = await _start(root=tmp_path, options={"debounce": 0.5})
        try:
            uri = _open(client, compose)
            await client.wait_for(uri, lambda ds: any(d.code == "VLL102" for d in ds))
            published = []
            original = client.protocol.fm.features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

            def counting(params):
                if params.uri == uri:
                    published.append(params.version)
                return original(params)

            client.protocol.fm.features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = counting
            text = compose.read_text()
            for version in range(2, 7):  # typing: five changes inside the debounce window
                text = text.replace("latest" if version == 2 else f"v0.{version - 1}.0", f"v0.{version}.0")
                client.text_document_did_change(_full_change(uri, version, text))
                await asyncio.sleep(0.02)
            await client.wait_for(uri, lambda ds: client.versions.get(uri) == 6)
            assert published == [6], published  # one lint, of the last text
            assert not any(d.code == "VLL102" for d in client.diagnostics[uri])

            # saving lints at once, with the text the editor saved
            client.text_document_did_save(lsp.DidSaveTextDocumentParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), text=text.replace("v0.6.0", "nightly")))
            await client.wait_for(uri, lambda ds: any(d.code == "VLL102" for d in ds), timeout=0.45 + TIMEOUT)

            client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
            await client.wait_for(uri, lambda ds: ds == [] or ds == ())
        finally:
            await _stop(client)

    asyncio.run(session())


def test_the_transcript_script_runs_the_session_it_describes():
    """bench/lsp_transcript.py (the issue's closing transcript) drives the server with raw JSON-RPC: it exits 0
    only when the fixed diagnostic is gone, and prints no path of the machine it ran on."""
    out = subprocess.run([sys.executable, str(REPO / "bench" / "lsp_transcript.py")], capture_output=True, text=True,
                         timeout=TIMEOUT * 2, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    methods = [json.loads(line.split("> ", 1)[1]).get("method") for line in out.stdout.splitlines()
               if line.startswith("[") and "--> " in line]
    assert methods == ["initialize", "initialized", "textDocument/didOpen", "textDocument/hover", "textDocument/hover",
                       "textDocument/completion", "textDocument/codeAction", "textDocument/didChange", "shutdown",
                       "exit"], methods
    assert "Memory per GPU" in out.stdout and '"isPreferred": true' in out.stdout
    assert str(REPO) not in out.stdout and out.stdout.rstrip().endswith("# the fixed diagnostic is gone")


def test_positions_in_utf16():
    """Non-ASCII text before a finding moves its UTF-16 column, not its character column."""
    from vllm_lint.lsp.server import _chars, _units

    assert _units("é😀x", "utf-16") == 4 and _units("é😀x", "utf-8") == 7 and _units("é😀x", "utf-32") == 3
    assert _chars("é😀x", 3, "utf-16") == 2 and _chars("é😀x", 6, "utf-8") == 2
