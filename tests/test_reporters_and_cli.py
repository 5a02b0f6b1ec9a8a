import json
import subprocess
import sys

import jsonschema
import pytest
from conftest import DATA, EXAMPLES, REPO, lint, write

from vllm_lint.reporters import render

BAD = 'services:\n  llm:\n    image: vllm/vllm-openai:latest\n    ports: ["5000:8000"]\n    command: ["m", "--port", "9000"]\n'


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "vllm_lint", *args], capture_output=True, text=True, cwd=cwd)


def test_json_fields(tmp_path):
    result = lint(tmp_path, {"compose.yaml": BAD})
    items = json.loads(render("json", result))
    assert {tuple(sorted(i)) for i in items} == {tuple(sorted(["code", "name", "severity", "message", "path", "line", "column",
                                                              "end_line", "end_column", "fix", "hint", "deployment", "url"]))}
    port = next(i for i in items if i["code"] == "VLL103")
    assert (port["path"], port["line"], port["column"], port["end_column"]) == ("compose.yaml", 4, 13, 24)


def test_sarif_validates_against_the_official_schema(tmp_path):
    result = lint(tmp_path, {"compose.yaml": BAD})
    doc = json.loads(render("sarif", result))
    schema = json.loads((DATA / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
    run_ = doc["runs"][0]
    assert {r["ruleId"] for r in run_["results"]} == {"VLL102", "VLL103"}
    assert all("help" in r and r["help"]["text"] for r in run_["tool"]["driver"]["rules"])


def test_github_annotations(tmp_path):
    out = render("github", lint(tmp_path, {"compose.yaml": BAD}))
    assert "::error file=compose.yaml,line=4,col=13,endLine=4,endColumn=24,title=VLL103 port-mismatch::" in out


def test_text_has_caret_and_help(tmp_path):
    out = render("text", lint(tmp_path, {"compose.yaml": BAD}), statistics=True)
    assert "compose.yaml:3:12: VLL102 [warning]" in out
    assert "3 |     image: vllm/vllm-openai:latest\n  |            ^^^^^^^^^^^^^^^^^^^^^^^" in out
    assert "= help:" in out and "Found 2 findings (1 error, 1 warning) in 1 file." in out
    assert "\tVLL103\tport-mismatch" in out


def test_exit_codes(tmp_path):
    write(tmp_path, {"bad/compose.yaml": BAD, "good/compose.yaml": BAD.replace("latest", "v0.11.0").replace("9000", "8000")})
    assert run(str(tmp_path / "good")).returncode == 0
    assert run(str(tmp_path / "bad")).returncode == 1
    assert run(str(tmp_path / "bad"), "--fail-on", "error").returncode == 1
    assert run(str(tmp_path / "bad"), "--ignore", "VLL103", "--fail-on", "error").returncode == 0
    assert run(str(tmp_path / "bad"), "--fail-on", "never").returncode == 0
    assert run(str(tmp_path / "bad"), "--format", "nope").returncode == 2
    write(tmp_path, {"bad/.vllm-lint.yaml": "fail-on: 3\n"})
    out = run(str(tmp_path / "bad"))
    assert out.returncode == 2 and ".vllm-lint.yaml:1:10" in out.stderr


def test_select_on_command_line(tmp_path):
    write(tmp_path, {"compose.yaml": BAD})
    out = run(str(tmp_path), "--select", "VLL102", "--format", "json")
    assert [i["code"] for i in json.loads(out.stdout)] == ["VLL102"]


def test_rules_and_explain():
    out = run("rules")
    assert out.returncode == 0 and "VLL103  port-mismatch" in out.stdout
    listed = json.loads(run("rules", "--format", "json").stdout)
    assert all(r["summary"] for r in listed)
    doc = run("explain", "port-mismatch").stdout
    for part in ("## What it does", "## Why is this bad?", "## Example", "## Fix", "8092"):
        assert part in doc
    assert run("explain", "VLL999").returncode == 2


def test_every_rule_is_documented():
    from vllm_lint.rule import all_rules

    for rule in all_rules():
        for part in ("## What it does", "## Why is this bad?", "## Example", "## Fix"):
            assert part in rule.doc, (rule.code, part)
        assert rule.severity in ("error", "warning", "info") and rule.scope in ("deployment", "project", "file", "suppressions")


def test_version_is_fast_to_import():
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "vllm_lint", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "vllm-lint" in out.stdout
    for heavy in ("huggingface_hub", "jsonschema", "ruamel", "yaml"):
        assert f" {heavy}\n" not in out.stderr and f"| {heavy}\n" not in out.stderr, heavy
