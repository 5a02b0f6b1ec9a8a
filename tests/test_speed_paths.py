"""Issue 18: what a run imports and reads, and that the fast paths give the answers of the slow ones.

Speed itself is measured by ``bench/run.py`` (ratios of paired runs), never by a timed test."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write
from vllm_lint import config, knowledge
from vllm_lint.config import Settings
from vllm_lint.engine import run

#: Modules a lint of one compose file must not import (each costs more than the lint; none is needed there).
HEAVY = ("jsonschema", "referencing", "ruamel", "huggingface_hub", "requests", "httpx", "pygls", "multiprocessing",
         "concurrent", "asyncio", "ssl", "email", "http")

COMPOSE = """
services:
  vllm:
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "32768", "--gpu-memory-utilization", "0.9"]
    ipc: host
    ports: ["8000:8000"]
    deploy:
      resources:
        reservations:
          devices: [{driver: nvidia, device_ids: ["0"], capabilities: [gpu]}]
"""


def _imported(args, cwd) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "vllm_lint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    assert names, proc.stderr[-2000:]
    return names


def test_version_imports_neither_click_nor_the_engine(tmp_path):
    names = _imported(["--version"], tmp_path)
    assert not {n for n in names if n == "click" or n.startswith(("click.", "vllm_lint.engine", "yaml"))}


def test_a_plain_lint_of_one_file_imports_nothing_heavy(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".vllm-lint.yaml": "vllm-version: '0.11.0'\n"})
    for _ in range(2):  # the first run validates the configuration (and caches that it is valid); the second does not
        names = _imported(["compose.yaml", "--offline"], tmp_path)
    heavy = sorted(n for n in names if n.split(".")[0] in HEAVY)
    assert heavy == []


def test_an_invalid_configuration_is_reported_on_every_run(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".vllm-lint.yaml": "fail-on: sometimes\n"})
    for _ in range(2):  # an invalid configuration is never remembered as valid
        proc = subprocess.run([sys.executable, "-m", "vllm_lint", "compose.yaml", "--offline"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 2 and "fail-on" in proc.stderr


def test_knowledge_is_read_from_its_pickle_named_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_LINT_CACHE_DIR", str(tmp_path))
    knowledge.load.cache_clear()
    first = knowledge.load("vllm/releases.yaml")
    [cached] = (tmp_path / "knowledge").glob("vllm--releases.yaml.*.pickle")
    assert pickle.loads(cached.read_bytes()) == first
    # what is read is the pickle: a different value under the same name proves it
    cached.write_bytes(pickle.dumps({"from": "the pickle"}))
    knowledge.load.cache_clear()
    assert knowledge.load("vllm/releases.yaml") == {"from": "the pickle"}
    # a damaged pickle is parsed again from the YAML, and rewritten
    cached.write_bytes(b"\x80\x05not a pickle")
    knowledge.load.cache_clear()
    assert knowledge.load("vllm/releases.yaml") == first
    assert pickle.loads(cached.read_bytes()) == first
    knowledge.load.cache_clear()


def test_a_pickle_others_can_write_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setenv("VLLM_LINT_CACHE_DIR", str(tmp_path))
    knowledge.load.cache_clear()
    first = knowledge.load("vllm/releases.yaml")
    [cached] = (tmp_path / "knowledge").glob("vllm--releases.yaml.*.pickle")
    cached.write_bytes(pickle.dumps({"planted": True}))
    cached.chmod(0o666)
    knowledge.load.cache_clear()
    assert knowledge.load("vllm/releases.yaml") == first
    knowledge.load.cache_clear()


def test_an_unwritable_cache_folder_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("VLLM_LINT_CACHE_DIR", str(blocker))
    knowledge.load.cache_clear()
    assert "releases" in json.dumps(knowledge.load("vllm/releases.yaml"), default=str) or knowledge.load("vllm/releases.yaml")
    knowledge.load.cache_clear()


def _key(f):
    return (f.code, f.severity, f.message, f.span, f.hint, f.deployment, f.fix.description if f.fix else None)


def _tree(root: Path, n: int) -> None:
    """``n`` compose projects (a shared .env, one finding on it), two of them joined by the configuration
    (their ports collide: VLL104 across files), a suppression in one and an unused one in another, scripts."""
    files = {".env": "HF_CACHE=~/.cache/huggingface\n", "shared.env": "VLLM_ATTENTON_BACKEND=FLASHINFER\n",
             ".vllm-lint.yaml": "vllm-version: '0.11.0'\nprojects:\n  - [joined/a.yaml, joined/b.yaml]\n"}
    for i in range(n):
        files[f"p{i:03d}/compose.yaml"] = f"""
            services:
              s{i}:
                image: vllm/vllm-openai:v0.11.0
                command: ["--model", "Qwen/Qwen3-8B", "--port", "8000", "--gpu-memory-utilization", "{0.5 + (i % 6) / 10}"{', "--bogus-flag"' if i % 7 == 0 else ''}]
                ports: ["{9000 + i}:8000"]
                env_file: [../shared.env]
        """
        if i % 5 == 0:
            files[f"s{i:03d}.sh"] = f"vllm serve Qwen/Qwen3-8B --max-model-len {1000 + i} --tensor-parallel-size 3\n"
    files["p007/compose.yaml"] += "            # vllm-lint: disable-file=VLL201\n"
    files["p002/compose.yaml"] += "            # vllm-lint: disable-file=VLL109\n"
    for name in ("a", "b"):
        files[f"joined/{name}.yaml"] = """
            services:
              one-""" + name + """:
                image: vllm/vllm-openai:v0.11.0
                command: ["--model", "Qwen/Qwen3-8B"]
                ports: ["8000:8000"]
        """
    write(root, files)


def test_several_processes_report_what_one_reports(tmp_path, monkeypatch):
    from vllm_lint import parallel

    monkeypatch.setattr(parallel, "MIN_UNITS", 5)
    _tree(tmp_path, 40)

    def settings():
        s = config.load(tmp_path / ".vllm-lint.yaml")
        s.offline = True
        return s

    one = run([tmp_path], settings(), jobs=1)
    many = run([tmp_path], settings(), jobs=3)
    assert [_key(f) for f in one.findings] == [_key(f) for f in many.findings]
    codes = {f.code for f in one.findings}
    assert {"VLL104", "VLL201", "VLL002", "VLL502"} <= codes  # across files, on a shared env_file, suppressions
    assert not [f for f in one.findings if f.code == "VLL201" and f.span.path.startswith("p007")]
    assert many.project.launch_count == len(one.project.deployments)
    assert sorted(f.path for f in many.project.files) == sorted(f.path for f in one.project.files)


def test_jobs_on_the_command_line_gives_identical_json(tmp_path):
    _tree(tmp_path, 210)  # above the threshold: the default --jobs splits the tree
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}

    def out(*extra):
        proc = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--offline", "--format", "json", *extra],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        return proc.stdout

    single = out("--jobs", "1")
    assert json.loads(single) and single == out("--jobs", "2")


def test_a_folder_named_on_the_command_line_is_read_though_an_ignore_file_above_ignores_it(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path, {".gitignore": "generated/\n*.bak\n", "generated/run/compose.yaml": COMPOSE,
                     "generated/run/old.bak": COMPOSE})
    settings = Settings(root=tmp_path, offline=True)
    result = run([tmp_path / "generated" / "run"], settings)
    assert [Path(d.path).relative_to(tmp_path).as_posix() for d in result.project.deployments] == ["generated/run/compose.yaml"]
    assert run([tmp_path], Settings(root=tmp_path, offline=True)).project.deployments == []  # walked from above: ignored


def test_past_the_cap_per_run_one_note_says_how_many(tmp_path):
    from vllm_lint import engine

    notes: list[str] = []
    from vllm_lint.finding import Finding
    from vllm_lint.sources.span import Span

    findings = [Finding("VLL201", "unknown-option", "error", "m", Span.point(f"f{i:04d}.yaml", j + 1), None, None, None, [])
                for i in range(30) for j in range(50)]
    kept = engine._capped(findings, notes)
    assert len(kept) == engine.MAX_FINDINGS_PER_RUN
    assert len(notes) == 1 and notes[0].startswith("500 more findings in 10 files not shown")


@pytest.mark.parametrize("name", ["vllm/advisories.yaml", "vllm/envs.yaml", "gpus.yaml"])
def test_pickled_knowledge_equals_the_yaml(name, tmp_path, monkeypatch):
    import yaml

    monkeypatch.setenv("VLLM_LINT_CACHE_DIR", str(tmp_path))
    knowledge.load.cache_clear()
    knowledge.load(name)
    knowledge.load.cache_clear()
    from_pickle = knowledge.load(name)
    knowledge.load.cache_clear()
    assert from_pickle == yaml.safe_load((REPO / "knowledge" / name).read_text(encoding="utf-8"))


def test_a_worker_that_dies_does_not_hang_the_run(tmp_path, monkeypatch):
    """A killed worker (out of memory, a signal) makes the run fall back to one process, never wait forever."""
    from vllm_lint import parallel

    monkeypatch.setattr(parallel, "MIN_UNITS", 5)
    _tree(tmp_path, 12)

    def dying(args):
        os._exit(9)

    monkeypatch.setattr(parallel, "_shard", dying)
    settings = config.load(tmp_path / ".vllm-lint.yaml")
    settings.offline = True
    result = run([tmp_path], settings, jobs=2)
    assert result.findings and not result.internal_errors


def test_one_process_reads_a_large_tree_in_chunks_with_the_same_findings(tmp_path, monkeypatch):
    """--jobs 1 on a large tree: chunk after chunk in this process (memory of a chunk), findings unchanged."""
    from vllm_lint import parallel

    _tree(tmp_path, 40)

    def settings():
        s = config.load(tmp_path / ".vllm-lint.yaml")
        s.offline = True
        return s

    whole = run([tmp_path], settings(), jobs=1)
    monkeypatch.setattr(parallel, "MIN_UNITS", 5)
    monkeypatch.setattr(parallel, "CHUNK_UNITS", 7)
    calls = []
    real = parallel._shard
    monkeypatch.setattr(parallel, "_shard", lambda task, found=None: calls.append(task[-2:]) or real(task, found))
    chunked = run([tmp_path], settings(), jobs=1)
    assert len(calls) >= 6  # 48 units, 7 a chunk
    assert [_key(f) for f in chunked.findings] == [_key(f) for f in whole.findings]
    assert chunked.notes == whole.notes
