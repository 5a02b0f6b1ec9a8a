"""The integrations, with the real tools or faithful local servers: pre-commit, the PR comment."""
import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import REPO, write

BAD = 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    ports: ["5000:8000"]\n    command: ["--model", "m", "--port", "9000"]\n'
GOOD = 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    ports: ["5000:8000"]\n    command: ["--model", "m"]\n'


def _registry_reachable() -> bool:
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d",
                              os.path.join(os.environ.get("TMPDIR", "/tmp"), "vllm-lint-probe"), "six"],
                             capture_output=True, timeout=60)
        return out.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.network
def test_pre_commit_hook_with_the_real_framework(tmp_path):
    if shutil.which("pre-commit") is None and subprocess.run([sys.executable, "-m", "pre_commit", "--version"],
                                                           capture_output=True).returncode != 0:
        pytest.skip("pre-commit is not installed (pip install '.[test]')")
    if not (REPO / ".git").exists():
        pytest.skip("this checkout is not a git repository: pre-commit clones the hook repository from git")
    if not _registry_reachable():
        pytest.skip("the package registry cannot be reached: pre-commit installs the hook's dependencies from it")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    project = tmp_path / "project"
    write(project, {
        "bad/compose.yaml": BAD, "good/compose.yaml": GOOD,
        ".pre-commit-config.yaml": f"repos:\n  - repo: {REPO}\n    rev: {rev}\n    hooks:\n      - id: vllm-lint\n",
    })
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(cmd, cwd=project, check=True, env=env)
    run = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"]
    out = subprocess.run(run, cwd=project, capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "bad/compose.yaml:4:" in out.stdout and "VLL103" in out.stdout
    assert "good/compose.yaml" not in out.stdout
    (project / "bad/compose.yaml").write_text(GOOD)
    subprocess.run(["git", "add", "."], cwd=project, check=True, env=env)
    out = subprocess.run(run, cwd=project, capture_output=True, text=True, env=env, timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr


class FakeGitHub(BaseHTTPRequestHandler):
    """Just enough of GitHub's REST API for issue comments."""

    comments: list = []
    requests: list = []

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self):
        if self.headers.get("Authorization") != "Bearer secret-token":
            self._send(401, {"message": "Bad credentials"})
            return False
        return True

    def do_GET(self):
        self.requests.append(("GET", self.path))
        if self._authorized():
            if self.path.startswith("/repos/acme/infra/issues/7/comments"):
                from urllib.parse import parse_qs, urlparse

                page = int(parse_qs(urlparse(self.path).query).get("page", ["1"])[0])
                self._send(200, self.comments[(page - 1) * 100: page * 100])
            else:
                self._send(404, {"message": "Not Found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("POST", self.path))
        if self._authorized():
            comment = {"id": 1000 + len(self.comments), "body": body["body"]}
            self.comments.append(comment)
            self._send(201, comment)

    def do_PATCH(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.requests.append(("PATCH", self.path))
        if self._authorized():
            cid = int(self.path.rsplit("/", 1)[1])
            for c in self.comments:
                if c["id"] == cid:
                    c["body"] = body["body"]
                    return self._send(200, c)
            self._send(404, {"message": "Not Found"})

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    FakeGitHub.comments = [{"id": 1, "body": "LGTM"}] + [{"id": 10 + i, "body": f"noise {i}"} for i in range(120)]
    FakeGitHub.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_pr_comment_created_then_updated(tmp_path, github):
    write(tmp_path, {"bad/compose.yaml": BAD, "event.json": json.dumps({"pull_request": {"number": 7}})})
    report = subprocess.run([sys.executable, "-m", "vllm_lint", "bad", "--format", "markdown"], cwd=tmp_path,
                            capture_output=True, text=True).stdout
    (tmp_path / "report.md").write_text(report)
    env = {**os.environ, "GITHUB_TOKEN": "secret-token", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_API_URL": github,
           "GITHUB_EVENT_PATH": str(tmp_path / "event.json")}
    cmd = [sys.executable, "-m", "vllm_lint", "pr-comment", "report.md"]
    first = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert first.returncode == 0 and first.stdout.startswith("created comment"), first.stderr
    ours = [c for c in FakeGitHub.comments if "<!-- vllm-lint report -->" in c["body"]]
    assert len(ours) == 1 and "VLL103" in ours[0]["body"]
    (tmp_path / "report.md").write_text(report.replace("VLL103", "VLL103 (second run)"))
    second = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert second.returncode == 0 and second.stdout.startswith("updated comment")
    ours = [c for c in FakeGitHub.comments if "<!-- vllm-lint report -->" in c["body"]]
    assert len(ours) == 1 and "second run" in ours[0]["body"]
    assert [m for m, _ in FakeGitHub.requests].count("POST") == 1
    bad_token = subprocess.run(cmd, cwd=tmp_path, env={**env, "GITHUB_TOKEN": "wrong"}, capture_output=True, text=True)
    assert bad_token.returncode == 2 and "401" in bad_token.stderr and "wrong" not in bad_token.stderr


def test_action_and_hooks_files_are_valid():
    import yaml

    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = " ".join(str(s.get("run", "")) for s in action["runs"]["steps"])
    assert "--format sarif" in steps and "--format markdown" in steps and "pr-comment" in steps
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["vllm-lint", "vllm-lint-fix"]
    import re

    for name, match in [("compose.yaml", True), ("k8s/deploy.yml", True), ("serve.sh", True), ("Dockerfile", True),
                        ("profiles/.env", True), ("README.md", False), ("x.py", False)]:
        assert bool(re.search(hooks[0]["files"], name)) is match, name
