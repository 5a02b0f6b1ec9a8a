"""A language-server session on a seed profile, printed as the JSON-RPC messages it exchanges (abbreviated).

    python bench/lsp_transcript.py [FILE] [--full]

Starts ``vllm-lint server`` (offline) as an editor would, over stdin/stdout with LSP's ``Content-Length``
framing, and drives it with nothing but the protocol: ``initialize``, ``didOpen`` of FILE (default
``examples/medium-vl/medium-vl.yml``, linted with its ``.env`` and the examples' configuration), the
``publishDiagnostics`` that come back, a ``hover`` on ``--max-model-len`` (the launch's memory per GPU) and on
``--tool-call-parser`` (its documentation in the pinned release), a ``completion`` of an option's choices, a
``codeAction`` on the invalid ``--mm-encoder-tp-mode`` value, the edit applied in the "editor" and sent as
``didChange``, the diagnostics without that finding, ``shutdown`` and ``exit``. The file on disk is never
written.

Each message is one line, ``-->`` client to server, ``<--`` server to client, with long strings, long lists
and document texts shortened (``--full``: as sent). Exit status 0 when the session went as described (the
diagnostic gone after the fix), 1 otherwise. Nothing here touches the network.
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "examples" / "medium-vl" / "medium-vl.yml"
TIMEOUT = 120.0


class Server:
    """``vllm-lint server`` in a subprocess, spoken to in framed JSON-RPC; every message is recorded."""

    def __init__(self, full: bool = False):
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "vllm_lint", "server", "--stdio", "--offline"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=REPO)
        self.full = full
        self.inbox: queue.Queue = queue.Queue()
        self.next_id = 0
        self.start = time.monotonic()
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                header = stream.readline()
                if not header:
                    self.inbox.put(None)
                    return
                header = header.decode("ascii").strip()
                if not header:
                    break
                name, _, value = header.partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = stream.read(length or 0)
            self.inbox.put(json.loads(body.decode("utf-8")))

    def _log(self, arrow: str, message: dict) -> None:
        shown = message if self.full else abbreviate(message)
        self.lines.append(f"[{time.monotonic() - self.start:6.2f}s] {arrow} {json.dumps(shown, ensure_ascii=False)}")

    def send(self, message: dict) -> None:
        message = {"jsonrpc": "2.0", **message}
        self._log("-->", message)
        body = json.dumps(message).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params) -> object:
        """Send a request; record (and keep) what arrives before its response; return its result."""
        self.next_id += 1
        ident = self.next_id
        self.send({"id": ident, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == ident and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result")

    def receive(self, timeout: float = TIMEOUT) -> dict:
        try:
            message = self.inbox.get(timeout=timeout)
        except queue.Empty:
            raise RuntimeError("the server said nothing in time") from None
        if message is None:
            raise RuntimeError("the server closed its output")
        self._log("<--", message)
        if "method" in message and "id" in message:  # a request of the server (e.g. registerCapability)
            self.send({"id": message["id"], "result": None})
        return message

    def diagnostics(self, uri: str, predicate, timeout: float = TIMEOUT) -> list:
        """Wait for the publishDiagnostics of ``uri`` that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(max(deadline - time.monotonic(), 0.01))
            if message.get("method") == "textDocument/publishDiagnostics" and message["params"]["uri"] == uri \
                    and predicate(message["params"]):
                return message["params"]["diagnostics"]

    def drain(self, quiet: float = 0.5) -> None:
        """Record what the server still sends within ``quiet`` seconds."""
        while True:
            try:
                message = self.inbox.get(timeout=quiet)
            except queue.Empty:
                return
            if message is None:
                return
            self._log("<--", message)


def _range(r: dict) -> str:
    return f"{r['start']['line']}:{r['start']['character']}-{r['end']['line']}:{r['end']['character']}"


def abbreviate(value, key: str = ""):
    """Shorten what a reader skims, keeping the structure: document texts, messages past their first line,
    ranges as ``line:char-line:char``, diagnostics without their ``data``, completion items after the third."""
    if isinstance(value, dict):
        if set(value) == {"start", "end"} and isinstance(value.get("start"), dict):
            return _range(value)
        if key == "diagnostics" or {"code", "severity", "range"} <= set(value):
            value = {k: v for k, v in value.items() if k not in ("data", "source")}
            if isinstance(value.get("codeDescription"), dict):
                value["codeDescription"] = value["codeDescription"].get("href")
        return {k: abbreviate(v, k) for k, v in value.items()}
    if isinstance(value, list):
        limit = 3 if key == "items" else 12
        head = [abbreviate(v, key) for v in value[:limit]]
        return head + ([f"... {len(value) - limit} more"] if len(value) > limit else [])
    if isinstance(value, str):
        if key == "text":
            return value[:40] + f"... ({len(value)} chars)" if len(value) > 40 else value
        if key == "message":
            first = value.split("\n", 1)[0]
            value = first + (" [...]" if first != value else "")
        limit = 2000 if key == "value" else 140
        if len(value) > limit:
            return value[:limit] + f"... ({len(value)} chars)"
    return value


def position_of(text: str, needle: str, offset: int = 0) -> dict:
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    return {"line": line, "character": index - (text.rfind("\n", 0, index) + 1)}


def apply_edits(text: str, edits: list[dict]) -> str:
    """Apply LSP TextEdits (UTF-16 positions; the edited lines here are ASCII)."""
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: dict) -> int:
        return starts[p["line"]] + p["character"]

    for e in sorted(edits, key=lambda e: offset(e["range"]["start"]), reverse=True):
        text = text[:offset(e["range"]["start"])] + e["newText"] + text[offset(e["range"]["end"]):]
    return text


def session(path: Path, full: bool = False) -> tuple[list[str], bool]:
    server = Server(full)
    text = path.read_text(encoding="utf-8")
    uri = path.resolve().as_uri()
    ok = False
    try:
        server.request("initialize", {
            "processId": os.getpid(), "rootUri": path.resolve().parent.parent.as_uri(),
            "clientInfo": {"name": "lsp_transcript", "version": "1"},
            "capabilities": {"general": {"positionEncodings": ["utf-16"]},
                             "textDocument": {"hover": {"contentFormat": ["markdown"]},
                                              "publishDiagnostics": {"codeDescriptionSupport": True}}},
            "initializationOptions": {"offline": True}})
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1,
                                                                "text": text}})
        diagnostics = server.diagnostics(uri, lambda p: True)
        invalid = next(d for d in diagnostics if d.get("code") == "VLL202" and "mm-encoder-tp-mode" in d["message"])
        server.drain(0.3)  # the project's other files (.env) get theirs too
        doc = {"uri": uri}
        server.request("textDocument/hover", {"textDocument": doc, "position": position_of(text, "--max-model-len", 3)})
        server.request("textDocument/hover", {"textDocument": doc,
                                              "position": position_of(text, "--tool-call-parser", 4)})
        server.request("textDocument/completion", {"textDocument": doc,
                                                   "position": position_of(text, "--kv-cache-dtype fp8", 17)})
        actions = server.request("textDocument/codeAction", {
            "textDocument": doc, "range": invalid["range"], "context": {"diagnostics": [invalid]}})
        fix = next(a for a in actions if a.get("kind") == "quickfix" and a["title"].startswith("VLL202"))
        fixed = apply_edits(text, fix["edit"]["changes"][uri])  # what the editor does with the action
        server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"text": fixed}]})
        after = server.diagnostics(uri, lambda p: p.get("version") == 2)
        ok = fix.get("isPreferred") is True and not any(
            d.get("code") == "VLL202" and "mm-encoder-tp-mode" in d["message"] for d in after)
        server.request("shutdown", None)
        server.notify("exit", None)
        server.proc.wait(timeout=30)
    finally:
        if server.proc.poll() is None:
            server.proc.kill()
    return server.lines, ok and path.read_text(encoding="utf-8") == text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--full", action="store_true", help="print the messages unabbreviated")
    args = parser.parse_args(argv)
    lines, ok = session(args.file, args.full)
    try:
        shown = args.file.resolve().relative_to(REPO)
    except ValueError:
        shown = args.file
    print(f"# vllm-lint server: an LSP session on {shown} (--> client to server, <-- server to client)")
    root = REPO.as_uri()  # the checkout's place on this machine is nobody's business: shown as file:///REPO
    print("\n".join(line.replace(root, "file:///REPO").replace(f'"processId": {os.getpid()}', '"processId": 1234')
                    for line in lines))
    print(f"# {'the fixed diagnostic is gone' if ok else 'UNEXPECTED: the session did not go as described'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
