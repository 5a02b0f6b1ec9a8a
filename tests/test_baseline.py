"""Baselines: record today's findings, report only new ones, robust to line moves, stale entries listed."""
import json
import subprocess
import sys

import pytest
from conftest import write

from vllm_lint.baseline import Baseline, BaselineError, apply, fingerprint, record

OLD = """
services:
  llm:
    image: vllm/vllm-openai:latest
    ports: ["5000:8000"]
    command: ["m", "--port", "9000"]
"""


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "vllm_lint", *args], check=False, capture_output=True, text=True, cwd=cwd)


def record_baseline(tmp_path) -> str:
    out = run("baseline", ".", "--offline", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    (tmp_path / ".vllm-lint-baseline.json").write_text(out.stdout)
    return out.stdout


def test_baseline_records_and_hides_the_known_findings(tmp_path):
    write(tmp_path, {"compose.yaml": OLD})
    doc = json.loads(record_baseline(tmp_path))
    assert doc["format"] == "vllm-lint-baseline/1"
    assert {(e["code"], e["path"], e["deployment"]) for e in doc["findings"]} == {
        ("VLL102", "compose.yaml", "llm"), ("VLL103", "compose.yaml", "llm")}
    assert all(len(e["fingerprint"]) == 32 and e["text"] for e in doc["findings"])
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 known finding(s) not reported" in out.stdout


def test_line_moves_are_not_new_findings_but_new_text_is(tmp_path):
    write(tmp_path, {"compose.yaml": OLD})
    record_baseline(tmp_path)
    moved = "# a header added later\n# and another line\n" + OLD.lstrip("\n").replace("    ports", "    restart: always\n    ports")
    write(tmp_path, {"compose.yaml": moved})
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0 and json.loads(out.stdout) == [], out.stdout + out.stderr
    write(tmp_path, {"compose.yaml": moved.replace('"5000:8000"', '"5001:8000"')})
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1
    new = json.loads(out.stdout)
    assert [f["code"] for f in new] == ["VLL103"]  # another port flagged: new
    assert "stale entr" in out.stderr and "VLL103" in out.stderr.split("stale", 1)[1]  # the old one is gone


def test_stale_entries_are_listed(tmp_path):
    write(tmp_path, {"compose.yaml": OLD})
    record_baseline(tmp_path)
    write(tmp_path, {"compose.yaml": OLD.replace("latest", "v0.11.0")})
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", cwd=tmp_path)
    assert out.returncode == 0
    assert "1 stale entry (no longer found" in out.stdout and "VLL102" in out.stdout and "vllm/vllm-openai:latest" in out.stdout


def test_entries_of_files_not_linted_are_not_stale(tmp_path):
    write(tmp_path, {"a/compose.yaml": OLD, "b/compose.yaml": OLD})
    record_baseline(tmp_path)
    out = run("a", "--offline", "--baseline", ".vllm-lint-baseline.json", cwd=tmp_path)
    assert out.returncode == 0 and "stale" not in out.stdout, out.stdout
    (tmp_path / "b" / "compose.yaml").unlink()  # a file deleted: its entries are stale
    out = run("a", "--offline", "--baseline", ".vllm-lint-baseline.json", cwd=tmp_path)
    assert "2 stale entries" in out.stdout, out.stdout


def test_identical_findings_are_counted(tmp_path):
    from conftest import lint

    twice = ('services:\n  a:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n'
             '  b:\n    image: vllm/vllm-openai:latest\n    command: ["m"]\n')
    result = lint(tmp_path, {"compose.yaml": twice}, select=["VLL102"])
    fps = [fingerprint(f, result.project) for f in result.findings]
    assert len(fps) == 2 and fps[0] != fps[1]  # different launches
    base = Baseline("b.json", record(result)["findings"][:1])
    applied = apply(result, base)
    assert len(applied.findings) == 1 and applied.known == 1 and not applied.stale


def test_baseline_with_fix_fixes_only_new_findings(tmp_path):
    write(tmp_path, {"compose.yaml": OLD.replace('"m"', '"m", "--dtype", "halff"')})
    record_baseline(tmp_path)
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert "halff" in (tmp_path / "compose.yaml").read_text(), out.stdout + out.stderr  # a known finding: left alone


@pytest.mark.parametrize("content,message", [("{", "is not JSON"), ('{"format": "other"}', "not a vllm-lint baseline"),
                                             ('{"format": "vllm-lint-baseline/1", "findings": [{}]}', "lacks")])
def test_bad_baselines_are_usage_errors(tmp_path, content, message):
    write(tmp_path, {"compose.yaml": OLD, "b.json": content})
    with pytest.raises(BaselineError, match=message):
        Baseline.load(tmp_path / "b.json")
    out = run(".", "--offline", "--baseline", "b.json", cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr


def test_a_script_launch_named_by_its_line_survives_line_moves(tmp_path):
    """Script launches are named by their line ("line 2"): the fingerprint leaves the number out."""
    write(tmp_path, {"start.sh": "#!/bin/sh\nvllm serve m --dtype halff\n"})
    doc = json.loads(record_baseline(tmp_path))
    assert [(e["code"], e["deployment"]) for e in doc["findings"]] == [("VLL202", "line 2")]
    write(tmp_path, {"start.sh": "#!/bin/sh\n# started by the supervisor\nexport X=1\n\nvllm serve m --dtype halff\n"})
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0 and json.loads(out.stdout) == [], out.stdout + out.stderr
    assert "stale" not in out.stderr
    # a second launch with the same mistake, below: new (counted), and the first is still known
    write(tmp_path, {"start.sh": "#!/bin/sh\nvllm serve m --dtype halff\nvllm serve m --dtype halff --port 8001\n"})
    out = run(".", "--offline", "--baseline", ".vllm-lint-baseline.json", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1 and [(f["code"], f["line"]) for f in json.loads(out.stdout)] == [("VLL202", 3)]
