"""A local stand-in for the Hugging Face Hub, good enough for the real ``huggingface_hub`` client.

``HubServer(root)`` serves ``root/<org>/<name>/*`` (tests/fixtures/hf: real config files copied from
the Hub) on 127.0.0.1 with the Hub's URL layout and headers:

* ``GET /api/models/{org}/{name}`` and ``/api/models/{org}/{name}/revision/{rev}``: ``id``, ``sha``,
  ``siblings`` [{rfilename, size, blobId}] and ``safetensors`` {parameters, total} when the model's
  ``weights.json`` gives parameter counts;
* ``HEAD`` / ``GET /{org}/{name}/resolve/{rev}/{file}``: ``ETag`` (the git blob id), ``X-Repo-Commit``,
  ``Content-Length``; a missing file answers 404 with ``X-Error-Code: EntryNotFound``, a missing
  repository 404 with ``RepoNotFound`` (the headers ``huggingface_hub.utils.hf_raise_for_status``
  turns into its exceptions).

``SOURCES.md`` and ``weights.json`` are provenance, not repository files: they are not served.
Per model, ``set_mode(model_id, mode)`` makes the server misbehave: ``"401"`` (everything 401,
``RepoNotFound`` — a private repository without a token), ``"403"`` (a gated model: the API answers,
files 403 ``GatedRepo``), ``"gated"`` (files 401 without a token, 403 with one), ``"gated-granted"`` (the API
says gated; files 401 without a token, served with one: a token with access), ``"404"``,
``"429"``, ``"500"``, ``"slow"`` (sleep ``slow_seconds`` before answering), ``"invalid-json"``
(config.json is garbage), ``"invalid-api-json"`` (the API answer is garbage), ``"slow-files"`` (only file
requests sleep ``slow_seconds``), ``"drip"`` (file bodies are sent one byte every ``drip_seconds``),
``"reset"`` (every connection is reset: TCP RST, no answer). ``latency`` adds a fixed delay to every request.
Every request is logged in ``requests``.

Run it by hand: ``python tests/hubserver.py [root] [port]``, then ``HF_ENDPOINT=http://127.0.0.1:PORT``.
"""
from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hf"
NOT_SERVED = {"SOURCES.md", "weights.json"}
MODES = ("401", "403", "gated", "gated-granted", "404", "429", "500", "slow", "invalid-json", "invalid-api-json", "drip",
         "reset", "slow-files")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    authorization: str | None


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def commit_of(model_id: str, revision: str) -> str:
    """A stable fake commit per model and branch (a 40-hex revision is its own commit)."""
    if len(revision) == 40 and all(c in "0123456789abcdef" for c in revision):
        return revision
    return hashlib.sha1(f"{model_id}@{revision}".encode()).hexdigest()


class HubServer:
    def __init__(self, root: Path = FIXTURES, *, latency: float = 0.0, slow_seconds: float = 3.0, port: int = 0,
                 drip_seconds: float = 0.5):
        self.root = Path(root)
        self.latency = latency
        self.slow_seconds = slow_seconds
        self.drip_seconds = drip_seconds
        self.modes: dict[str, str] = {}
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._port = port
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HubServer:
        server = self

        class Handler(_Handler):
            hub = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hubserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def set_mode(self, model_id: str, mode: str | None) -> None:
        if mode is None:
            self.modes.pop(model_id, None)
        else:
            assert mode in MODES, mode
            self.modes[model_id] = mode

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def requests_for(self, model_id: str) -> list[Request]:
        return [r for r in self.requests if f"/{model_id}/" in r.path + "/"]

    # ------------------------------------------------------------------ the repository view

    def folder(self, model_id: str) -> Path | None:
        folder = self.root / model_id
        return folder if model_id.count("/") == 1 and (folder / "config.json").is_file() else None

    def extra(self, model_id: str) -> dict:
        path = self.root / model_id / "weights.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def siblings(self, model_id: str) -> list[dict]:
        folder = self.root / model_id
        out = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = path.relative_to(folder).as_posix()
            if name in NOT_SERVED:
                continue
            data = path.read_bytes()
            out[name] = {"rfilename": name, "size": len(data), "blobId": git_blob_id(data)}
        listed = self.extra(model_id).get("files")  # the real repository's other files, as weights.json lists them
        if isinstance(listed, dict):
            listed = [{"rfilename": k, "size": v} for k, v in listed.items()]
        for item in listed or ():
            entry = {"rfilename": item} if isinstance(item, str) else dict(item)
            out.setdefault(entry["rfilename"], entry)
        return list(out.values())

    def model_json(self, model_id: str, revision: str) -> dict:
        gated = "manual" if self.modes.get(model_id) in ("403", "gated", "gated-granted") else False
        data = {"id": model_id, "modelId": model_id, "sha": commit_of(model_id, revision), "private": False,
                "gated": gated, "disabled": False, "tags": [], "siblings": self.siblings(model_id)}
        params = self.extra(model_id).get("parameters")
        if isinstance(params, dict) and params:
            data["safetensors"] = {"parameters": params, "total": sum(params.values())}
        return data


def serve_for_the_client(root: Path, tmp_path: Path, monkeypatch) -> HubServer:
    """Start a HubServer on ``root`` and point the real ``huggingface_hub`` client at it: a cache of the test's own,
    no Xet, no telemetry, online (``HF_ENDPOINT``). The caller stops the server."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    server = HubServer(root).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    return server


class _Handler(BaseHTTPRequestHandler):
    hub: HubServer
    server_version = "hubserver/1"

    def log_message(self, format, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    # ------------------------------------------------------------------ routing

    def _serve(self, body: bool) -> None:
        hub = self.hub
        self._drip = False
        path = urlsplit(self.path).path
        hub.log(Request(self.command, path, self.headers.get("Authorization")))
        if hub.latency:
            time.sleep(hub.latency)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if len(parts) >= 4 and parts[:2] == ["api", "models"]:
            model_id = "/".join(parts[2:4])
            revision = parts[5] if len(parts) >= 6 and parts[4] == "revision" else "main"
            if self._misbehave(model_id, api=True, body=body):
                return
            if hub.folder(model_id) is None:
                return self._error(404, "RepoNotFound", "Repository not found", body)
            if hub.modes.get(model_id) == "invalid-api-json":
                return self._send(200, b'{"id": "' + model_id.encode() + b'", "siblings": [', body,
                                  {"Content-Type": "application/json"})
            payload = json.dumps(hub.model_json(model_id, revision)).encode()
            return self._send(200, payload, body, {"Content-Type": "application/json"})
        if len(parts) >= 5 and parts[2] == "resolve":
            model_id, revision, filename = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
            if self._misbehave(model_id, api=False, body=body):
                return
            folder = hub.folder(model_id)
            if folder is None:
                return self._error(404, "RepoNotFound", "Repository not found", body)
            commit = commit_of(model_id, revision)
            file = folder / filename
            if filename in NOT_SERVED or not file.is_file():
                return self._error(404, "EntryNotFound", f"{filename} does not exist on \"{revision}\"", body,
                                   {"X-Repo-Commit": commit})
            data = file.read_bytes()
            if filename == "config.json" and hub.modes.get(model_id) == "invalid-json":
                data = data[: len(data) // 2]  # a truncated upload
            return self._send(200, data, body, {"ETag": f'"{git_blob_id(data)}"', "X-Repo-Commit": commit,
                                                "Content-Type": "application/json" if filename.endswith(".json")
                                                else "application/octet-stream", "Accept-Ranges": "bytes"})
        return self._error(404, None, "Not Found", body)

    def _misbehave(self, model_id: str, *, api: bool, body: bool) -> bool:
        mode = self.hub.modes.get(model_id)
        self._drip = mode == "drip" and not api
        if mode is None:
            return False
        if mode == "slow" or mode == "slow-files" and not api:
            time.sleep(self.hub.slow_seconds)
            return False
        if mode == "reset":
            import socket
            import struct

            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # closed with linger 0: the client reads a TCP reset
            self.close_connection = True
            return True
        if mode == "401":
            self._error(401, "RepoNotFound", "Invalid username or password.", body)
        elif mode == "404":
            self._error(404, "RepoNotFound", "Repository not found", body)
        elif mode == "gated-granted":
            if api or self.headers.get("Authorization"):
                return False
            self._error(401, "GatedRepo", f"Access to model {model_id} is restricted. You must have access to it "
                                          "and be authenticated to access it.", body)
        elif mode in ("403", "gated") and not api:
            status = 403 if mode == "403" or self.headers.get("Authorization") else 401
            self._error(status, "GatedRepo", f"Access to model {model_id} is restricted. You must have access to it "
                                             "and be authenticated to access it.", body)
        elif mode == "429":
            self._error(429, None, "Too Many Requests", body, {"Retry-After": "1"})
        elif mode == "500":
            self._error(500, None, "Internal Error", body)
        else:
            return False
        return True

    def _error(self, status: int, code: str | None, message: str, body: bool, headers: dict | None = None) -> None:
        extra = dict(headers or {})
        if code:
            extra["X-Error-Code"] = code
        extra["X-Error-Message"] = message
        extra["Content-Type"] = "application/json"
        self._send(status, json.dumps({"error": message}).encode(), body, extra)

    def _send(self, status: int, data: bytes, body: bool, headers: dict) -> None:
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body and getattr(self, "_drip", False):  # a body drip-fed, one byte at a time
                self.wfile.flush()
                for i in range(len(data)):
                    self.wfile.write(data[i:i + 1])
                    self.wfile.flush()
                    time.sleep(self.hub.drip_seconds)
            elif body:
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, OSError):  # the client gave up (timeouts)
            pass


if __name__ == "__main__":  # pragma: no cover - manual use
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURES
    hub = HubServer(root, port=int(sys.argv[2]) if len(sys.argv) > 2 else 0).start()
    print(f"serving {root} at {hub.url}  (HF_ENDPOINT={hub.url})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        hub.stop()
