"""Outputs for review bots: rdjson (validated against reviewdog's schema), markdown, --diff-base."""
import json
import subprocess
import sys

import jsonschema
from conftest import DATA, lint, write

from vllm_lint.reporters import render

PROFILE = ('services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    environment:\n'
           '      - "HUGGING_FACE_HUB_TOKEN=${T:-}"\n    command: ["--model", "m", "--gpu-memory-utilization", "0.97"]  # é\n')


def test_rdjson_validates_and_carries_suggestions(tmp_path):
    result = lint(tmp_path, {"compose.yaml": PROFILE}, select=["ALL", "VLL110"])  # VLL110 is opt-in
    doc = json.loads(render("rdjson", result))
    schema = json.loads((DATA / "schemas" / "rdjson" / "DiagnosticResult.json").read_text())
    jsonschema.Draft4Validator(schema).validate(doc)
    token = next(d for d in doc["diagnostics"] if d["code"]["value"].startswith("VLL110"))
    assert token["suggestions"] == [{"range": {"start": {"line": 5, "column": 10}, "end": {"line": 5, "column": 32}}, "text": "HF_TOKEN"}]
    assert token["severity"] == "INFO"


def test_rdjson_columns_are_utf8_bytes(tmp_path):
    text = 'services:\n  llm:\n    image: vllm/vllm-openai:latest\n    command: ["--model", "é", "--gpu-memory-utilization", "0.99"]\n'
    doc = json.loads(render("rdjson", lint(tmp_path, {"compose.yaml": text})))
    [d] = [d for d in doc["diagnostics"] if d["code"]["value"].startswith("VLL204")]
    assert d["location"]["range"]["start"] == {"line": 4, "column": 61}  # "é" is 2 bytes: character column 60


def test_markdown_groups_by_file_and_has_the_marker(tmp_path):
    write(tmp_path, {"a/compose.yaml": PROFILE, "b/compose.yaml": PROFILE.replace("v0.11.0", "latest")})
    out = render("markdown", lint(tmp_path))
    assert out.startswith("<!-- vllm-lint report -->\n")
    assert "### `a/compose.yaml`" in out and "### `b/compose.yaml`" in out
    assert "| 🟠 | 6:60 | [`VLL204`](https://github.com/vllm-lint/vllm-lint/blob/main/docs/rules/VLL204.md) gpu-memory-utilization |" in out


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_diff_base_reports_only_changed_lines(tmp_path):
    write(tmp_path, {"old/compose.yaml": PROFILE, "new/compose.yaml": PROFILE})
    git("init", "-q", cwd=tmp_path)
    git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-qm", "base", "--allow-empty", cwd=tmp_path)
    git("add", "old", cwd=tmp_path)
    git("-c", "user.email=a@b", "-c", "user.name=t", "commit", "-qm", "old", cwd=tmp_path)
    (tmp_path / "old/compose.yaml").write_text(PROFILE.replace("0.97", "0.98"))
    out = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--diff-base", "HEAD", "--format", "json",
                          "--extend-select", "VLL110"],
                         cwd=tmp_path, capture_output=True, text=True)
    found = sorted((f["path"], f["code"]) for f in json.loads(out.stdout))
    # the changed line of old/ and everything in the untracked new/ file
    assert ("old/compose.yaml", "VLL204") in found and ("old/compose.yaml", "VLL110") not in found
    assert ("new/compose.yaml", "VLL110") in found and ("new/compose.yaml", "VLL204") in found
    bad = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--diff-base", "no-such-ref"], cwd=tmp_path, capture_output=True, text=True)
    assert bad.returncode == 2 and "no-such-ref" in bad.stderr
