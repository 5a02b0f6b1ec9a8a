"""`vllm-lint calibrate`: vLLM's start-up log parsed (real vLLM 0.20.2 logs from the lent H200,
tests/data/startup_logs), and the command's behaviour — without vLLM (a clear message, exit 2), and with a stand-in
`vllm` package on PYTHONPATH that prints a real log the way `vllm serve` does, so that the whole path (the command
line built, one process per launch, stopped and its process group ended, estimate beside vLLM's figures) runs here
without a GPU."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, REPO, write

from vllm_lint.calibrate import startup_log
from vllm_lint.calibrate.runner import DROPPED, engine_words
from vllm_lint.cli import main

LOGS = DATA / "startup_logs"


def log(name: str) -> str:
    return (LOGS / name).read_text()


# ---------------------------------------------------------------------------------------- the parser

EXPECTED = {
    "qwen3-8b-bf16.log": {"weights_gib": 15.27, "available_kv_gib": 108.68, "kv_tokens": 791_360,
                          "max_concurrency": 96.60, "concurrency_len": 8192},
    "qwen3-8b-bf16-eager.log": {"weights_gib": 15.27, "available_kv_gib": 109.48, "kv_tokens": 797_232,
                                "max_concurrency": 97.32, "concurrency_len": 8192},
    "llama-2-7b-awq.log": {"weights_gib": 3.74, "available_kv_gib": 120.61, "kv_tokens": 246_992,
                           "max_concurrency": 60.30, "concurrency_len": 4096},
    "qwen3.5-27b-gdn.log": {"weights_gib": 50.22, "available_kv_gib": 71.95, "kv_tokens": 1_094_451,
                            "max_concurrency": 33.40, "concurrency_len": 32768},
    "deepseek-v3-5l-mla.log": {"weights_gib": 26.73, "available_kv_gib": 87.16, "kv_tokens": 16_248_304,
                               "max_concurrency": 495.86, "concurrency_len": 32768},
    "failed-no-vllm.log": {},
    "qwen3-8b-eager-calibrate.log": {"weights_gib": 15.27, "available_kv_gib": 109.48, "kv_tokens": 797_232,
                                     "max_concurrency": 97.32, "concurrency_len": 8192},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_figures_of_real_logs(name):
    rec = startup_log.parse_log_text(log(name))
    assert startup_log.kv_figures(rec) == EXPECTED[name]
    if EXPECTED[name]:
        assert rec["vllm_version"] == "0.20.2"


@pytest.mark.parametrize("prefix", ["(EngineCore_DP0 pid=4242) ", "vllm-qwen-1  | ", "(Worker_TP1 pid=77) "])
def test_prefixed_lines_give_the_same_figures(prefix):
    """`vllm serve` logs the engine core's lines with its process name; compose prefixes the service."""
    text = log("qwen3.5-27b-gdn.log")
    prefixed = "\n".join(prefix + line for line in text.splitlines() if not line.startswith("SUMMARY"))
    rec = startup_log.parse_log_text(prefixed)
    assert startup_log.kv_figures(rec) == EXPECTED["qwen3.5-27b-gdn.log"]
    assert rec["peak_activation_gib"] == 2.58 and rec["cudagraph_estimate_gib"] == 0.81
    trimmed = startup_log.trim_log(prefixed, failed=False)
    assert "Available KV cache memory: 71.95 GiB" in trimmed and "Memory profiling takes" in trimmed


def test_the_log_of_a_real_calibrate_run():
    """`vllm-lint calibrate` on the lent H200 (vLLM 0.20.2, engine driver): the engine core's lines carry its
    process name, the ready line is the driver's; the figures are those the estimate was compared with."""
    text = log("qwen3-8b-eager-calibrate.log")
    assert startup_log.READY.search(text) and "(EngineCore pid=675) INFO" in text
    rec = startup_log.parse_log_text(text)
    assert rec["init_engine_s"] == 15.28 and rec["backends"][:2] == [
        "Using FLASH_ATTN attention backend out of potential backends: ['FLASH_ATTN', 'TRITON_ATTN', 'FLEX_ATTENTION'].",
        "Using FlashAttention version 3"]
    assert startup_log.error_lines(text) == []


def test_the_rest_of_the_record():
    gdn = startup_log.parse_log_text(log("qwen3.5-27b-gdn.log"))
    assert gdn["status"] == "failed" and "worker" not in gdn  # "ok" needs bench's SUMMARY line, not in the excerpts
    assert gdn["non_kv_gib"] == 53.06 and gdn["non_torch_gib"] == 0.25 and gdn["graph_capture_gib"] == 0.93
    assert gdn["cudagraph_estimate_parts"] == [
        {"mode": "PIECEWISE", "first_mib": 190.0, "n": 51, "per_graph_mib": 10.0},
        {"mode": "FULL", "first_mib": 196.0, "n": 35, "per_graph_mib": 4.0}]
    assert gdn["compile_cache_hit"] is False and gdn["util_equiv"] == 0.8942
    assert "Using Triton/FLA GDN prefill kernel" in gdn["backends"]
    eager = startup_log.parse_log_text(log("qwen3-8b-bf16-eager.log"))
    assert "cudagraph_estimate_gib" not in eager and "graph_capture_gib" not in eager
    summary = {"name": "q8-eager", "num_gpu_blocks": 4981, "block_size": 16}
    ok = startup_log.parse_log_text(log("qwen3-8b-bf16-eager.log") + "SUMMARY " + json.dumps(summary) + "\n")
    assert ok["status"] == "ok" and ok["worker"] == summary and "error_lines" not in ok
    failed = startup_log.parse_log_text(log("failed-no-vllm.log"))
    assert failed["status"] == "failed" and failed["error_lines"][-1] == "ModuleNotFoundError: No module named 'vllm'"


def test_older_releases_kv_line_is_read_where_the_v1_line_is_absent():
    line = ("INFO 05-01 10:00:00 worker.py:262] the current vLLM instance can use total_gpu_memory (79.19GiB) x "
            "gpu_memory_utilization (0.90) = 71.27GiB\n model weights take 15.26GiB; non_torch_memory takes 0.13GiB; "
            "PyTorch activation peak memory takes 1.26GiB; the rest of the memory reserved for KV Cache is 54.62GiB.\n"
            "INFO 05-01 10:00:01 executor_base.py:111] # cuda blocks: 24966, # CPU blocks: 2048\n"
            "INFO 05-01 10:00:00 llm_engine.py:234] Initializing an LLM engine (v0.6.6.post1) with config: model='x'")
    rec = startup_log.parse_log_text(line)
    assert rec["available_kv_gib"] == 54.62 and rec["vllm_version"] == "0.6.6.post1"


def test_bench_uses_the_package_parser():
    spec = importlib.util.spec_from_file_location("gpu_calibration_under_test", REPO / "bench" / "gpu_calibration.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.parse_log_text is startup_log.parse_log_text and bench.trim_log is startup_log.trim_log
    assert bench.PATTERNS is startup_log.PATTERNS
    record = bench.build_record({"name": "gdn", "model": "Qwen3.5-27B", "args": {"max_model_len": 32768}},
                                log("qwen3.5-27b-gdn.log"))
    assert record["kv_tokens"] == 1_094_451 and record["available_kv_gib"] == 71.95 and record["case"] == "gdn"


def test_bench_loads_the_parser_by_path_without_vllm_lint(tmp_path):
    """On the lent GPU vllm-lint is not installed: bench/gpu_calibration.py loads startup_log.py from the checkout."""
    import subprocess

    code = textwrap.dedent(f"""
        import sys
        sys.modules['vllm_lint'] = None  # import vllm_lint fails
        import importlib.util
        spec = importlib.util.spec_from_file_location('g', {str(REPO / 'bench' / 'gpu_calibration.py')!r})
        m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
        rec = m.parse_log_text(open({str(LOGS / 'llama-2-7b-awq.log')!r}).read())
        print(rec['kv_tokens'])
        """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "246992"


# ---------------------------------------------------------------------------------------- the command

FAKE_SERVER = r'''
"""A stand-in for vllm.entrypoints.openai.api_server: prints a real start-up log as vLLM's server does, then
serves until it is stopped. FAKE_VLLM_LOG: the log; FAKE_VLLM_MODE: up (default), fail, hang, quiet-after-figures."""
import json, os, subprocess, sys, time
out = os.environ["FAKE_VLLM_OUT"]
with open(os.path.join(out, "calls.jsonl"), "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "pid": os.getpid(),
                        "env": {k: v for k, v in os.environ.items() if k.startswith("VLLM_")}}) + "\n")
mode = os.environ.get("FAKE_VLLM_MODE", "up")
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])  # the engine core process
open(os.path.join(out, "child.pid"), "w").write(str(child.pid))
if mode == "hang":
    time.sleep(600)
prefix = "(EngineCore_DP0 pid=%d) " % child.pid
for line in open(os.environ["FAKE_VLLM_LOG"]).read().splitlines():
    if line.startswith(("START", "SUMMARY")):
        continue
    print(prefix + line, flush=True)
if mode == "fail":
    print("Traceback (most recent call last):", flush=True)
    print("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", flush=True)
    sys.exit(1)
if mode == "quiet-after-figures":
    time.sleep(600)
print("INFO 12-01 18:52:30 [entrypoints/openai/api_server.py:1000] Starting vLLM API server 0 on http://127.0.0.1:8000", flush=True)
print("INFO:     Application startup complete.", flush=True)
time.sleep(600)
'''


FAKE_ENGINE = {  # what the engine driver imports: vLLM's parser, EngineArgs, UsageContext and LLMEngine
    "vllm/__init__.py": '__version__ = "0.20.2"\nfrom vllm.engine.llm_engine import LLMEngine\n',
    "vllm/engine/__init__.py": "",
    "vllm/engine/arg_utils.py": """
import argparse
class EngineArgs:
    @staticmethod
    def add_cli_args(parser):
        for flag in ("--model", "--served-model-name", "--load-format", "--max-model-len", "--max-num-seqs",
                     "--max-num-batched-tokens", "--gpu-memory-utilization"):
            parser.add_argument(flag)
        parser.add_argument("--skip-tokenizer-init", action="store_true")
        return parser
    @classmethod
    def from_cli_args(cls, args):
        engine_args = cls()
        engine_args.__dict__.update(vars(args))
        return engine_args
""",
    "vllm/utils/__init__.py": "",
    "vllm/utils/argparse_utils.py": "from argparse import ArgumentParser as FlexibleArgumentParser\n",
    "vllm/usage/__init__.py": "",
    "vllm/usage/usage_lib.py": "import enum\nclass UsageContext(enum.Enum):\n    OPENAI_API_SERVER = 'server'\n",
    "vllm/engine/llm_engine.py": """
import json, os
class LLMEngine:
    @classmethod
    def from_engine_args(cls, engine_args, usage_context=None):
        with open(os.path.join(os.environ["FAKE_VLLM_OUT"], "engine.json"), "w") as f:
            json.dump({"args": engine_args.__dict__, "usage_context": str(usage_context)}, f)
        for line in open(os.environ["FAKE_VLLM_LOG"]).read().splitlines():
            print(line, flush=True)
        return cls()
""",
}


@pytest.fixture
def fake_vllm(tmp_path, monkeypatch):
    """A `vllm` 0.20.2 package on PYTHONPATH whose server prints a real log (and whose engine does, for the engine
    driver), with uvicorn and fastapi; returns the folder it reports to."""
    site = tmp_path / "site"
    package = site / "vllm" / "entrypoints" / "openai"
    package.mkdir(parents=True)
    for folder in (site / "vllm" / "entrypoints", package, site / "uvicorn", site / "fastapi"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
    for name, text in FAKE_ENGINE.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(textwrap.dedent(text))
    (package / "api_server.py").write_text(FAKE_SERVER)
    meta = site / "vllm-0.20.2.dist-info"
    meta.mkdir()
    (meta / "METADATA").write_text("Metadata-Version: 2.1\nName: vllm\nVersion: 0.20.2\n")
    out = tmp_path / "fake-out"
    out.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("FAKE_VLLM_OUT", str(out))
    monkeypatch.setenv("FAKE_VLLM_LOG", str(LOGS / "qwen3-8b-bf16.log"))
    return out


def calls(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "calls.jsonl").read_text().splitlines()]


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


QWEN3_8B_LAUNCH = """
    services:
      qwen:
        image: vllm/vllm-openai:v0.11.0
        command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "8192", "--max-num-seqs", "256",
                  "--max-num-batched-tokens", "8192", "--gpu-memory-utilization", "0.9", "--host", "0.0.0.0",
                  "--port", "8000", "--api-key", "sk-not-for-vllm", "--enable-auto-tool-choice",
                  "--tool-call-parser", "hermes"]
        environment:
          VLLM_ATTENTION_BACKEND: FLASH_ATTN
          VLLM_API_KEY: secret
    """


def test_without_vllm_a_clear_message_and_exit_2(tmp_path):
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is importable here")
    write(tmp_path, {"compose.yaml": QWEN3_8B_LAUNCH})
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--offline"])
    assert out.exit_code == 2
    assert "vLLM is not installed for" in out.output and "pip install vllm==" in out.output and "--python" in out.output
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--python", str(tmp_path / "no-python")])
    assert out.exit_code == 2 and "cannot run" in out.output


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and /proc")
def test_a_launch_started_with_dummy_weights_beside_its_estimate(tmp_path, fake_vllm):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": QWEN3_8B_LAUNCH})
    logs = tmp_path / "logs"
    started = time.monotonic()
    out = CliRunner().invoke(main, ["calibrate", str(repo), "--offline", "--gpu", "h200", "--format", "json",
                                    "--logs", str(logs)])
    assert out.exit_code == 0, out.output
    assert time.monotonic() - started < 30  # stopped once up, not after the fake's 600 s
    data = json.loads(out.stdout)
    assert data["vllm_version"] == "0.20.2"
    [row] = data["launches"]
    assert row["status"] == "started" and row["vllm_version_printed"] == "0.20.2"
    assert row["vllm"] == EXPECTED["qwen3-8b-bf16.log"]
    for figure in ("weights_gib", "available_kv_gib"):  # vllm-lint's estimate for an H200 under vLLM 0.20.2
        assert abs(row["error"][figure]) < 0.03, (figure, row["estimate"][figure], row["vllm"][figure])
    assert set(row["error"]) == {"weights_gib", "available_kv_gib", "kv_tokens", "max_concurrency"}

    [call] = calls(fake_vllm)
    argv = call["argv"]
    model_dir = Path(argv[argv.index("--model") + 1])
    assert argv[argv.index("--served-model-name") + 1] == "Qwen/Qwen3-8B"
    assert argv[argv.index("--load-format") + 1] == "dummy" and "--skip-tokenizer-init" in argv
    assert argv[argv.index("--host") + 1] == "127.0.0.1" and argv.count("--port") == 1
    for flag, value in (("--max-model-len", "8192"), ("--max-num-seqs", "256"), ("--max-num-batched-tokens", "8192"),
                        ("--gpu-memory-utilization", "0.9")):
        assert argv[argv.index(flag) + 1] == value
    assert "--api-key" not in argv and "--tool-call-parser" not in argv and "--enable-auto-tool-choice" not in argv
    assert call["env"]["VLLM_ATTENTION_BACKEND"] == "FLASH_ATTN" and "VLLM_API_KEY" not in call["env"]
    assert not model_dir.exists()  # the metadata folder (config.json, generation_config.json) is removed afterwards
    assert gone(call["pid"]) and gone(int((fake_vllm / "child.pid").read_text()))  # its process group ended
    [saved] = logs.glob("*.log")
    assert "Available KV cache memory: 108.68 GiB" in saved.read_text()

    text = CliRunner().invoke(main, ["calibrate", str(repo), "--offline", "--gpu", "h200"])
    assert text.exit_code == 0, text.output
    assert "compose.yaml:2 qwen (Qwen/Qwen3-8B): started with vLLM 0.20.2" in text.stdout
    assert "KV cache tokens" in text.stdout and "791,360" in text.stdout and "max concurrency (8,192)" in text.stdout


@pytest.mark.skipif(sys.platform != "linux", reason="process groups")
@pytest.mark.parametrize("mode, status, code", [("fail", "failed", 1), ("hang", "timeout", 1),
                                                ("quiet-after-figures", "printed", 0)])
def test_what_did_not_start_is_said(tmp_path, fake_vllm, monkeypatch, mode, status, code):
    monkeypatch.setenv("FAKE_VLLM_MODE", mode)
    if mode == "fail":
        monkeypatch.setenv("FAKE_VLLM_LOG", str(LOGS / "qwen3-8b-bf16-eager.log"))
    write(tmp_path, {"compose.yaml": QWEN3_8B_LAUNCH})
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--offline", "--gpu", "h200", "--format", "json",
                                    "--timeout", "3"])
    assert out.exit_code == code, out.output
    [row] = json.loads(out.stdout)["launches"]
    assert row["status"] == status
    if mode == "fail":  # an out-of-memory after the KV cache figures: it does not start, and what it printed is kept
        assert row["error_lines"][-1] == "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
        assert row["vllm"]["available_kv_gib"] == 109.48
    if mode == "quiet-after-figures":
        assert row["vllm"]["kv_tokens"] == 791_360
    if mode == "hang":
        assert row["vllm"] == {} and row["seconds"] >= 3
    assert gone(int((fake_vllm / "child.pid").read_text()))


@pytest.mark.parametrize("how", ["--driver engine", "no uvicorn"])
def test_the_engine_without_its_server(tmp_path, fake_vllm, how):
    """Where uvicorn or fastapi are missing (the lent GPU's bundle) or with --driver engine, the engine alone is
    built from the same words by vLLM's own parser, with the API server's usage context."""
    import shutil

    write(tmp_path, {"compose.yaml": QWEN3_8B_LAUNCH})
    extra = ["--driver", "engine"] if how == "--driver engine" else []
    if how == "no uvicorn":
        shutil.rmtree(Path(os.environ["PYTHONPATH"]) / "uvicorn")
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--offline", "--gpu", "h200", "--format", "json", *extra])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["driver"] == "engine" and any("without its HTTP server" in n for n in data["notes"])
    [row] = data["launches"]
    assert row["status"] == "started" and row["vllm"] == EXPECTED["qwen3-8b-bf16.log"]
    assert "--host" not in row["command"] and row["command"][1:3] == ["-c", "<vllm_lint.calibrate.runner.ENGINE_DRIVER>"]
    engine = json.loads((fake_vllm / "engine.json").read_text())
    assert engine["usage_context"] == "UsageContext.OPENAI_API_SERVER"
    assert engine["args"]["load_format"] == "dummy" and engine["args"]["skip_tokenizer_init"] is True
    assert engine["args"]["max_model_len"] == "8192" and engine["args"]["served_model_name"] == "Qwen/Qwen3-8B"


def test_launches_that_cannot_be_started_here_are_skipped(tmp_path, fake_vllm):
    write(tmp_path, {"compose.yaml": """
        services:
          runtime:
            image: vllm/vllm-openai:v0.11.0
            command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "${LEN:?}"]
          unknown:
            image: vllm/vllm-openai:v0.11.0
            command: ["--model", "acme/not-published"]
          big:
            image: vllm/vllm-openai:v0.11.0
            command: ["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "8"]
        """})
    out = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--offline", "--gpu", "0=h200", "--format", "json"])
    assert out.exit_code == 2, out.output
    rows = {r["name"]: r for r in json.loads(out.stdout)["launches"]}
    assert all(r["status"] == "skipped" for r in rows.values())
    assert rows["runtime"]["skipped"] == "its options use unset variable(s) LEN (--env-file to give them)"
    assert "no model metadata" in rows["unknown"]["skipped"] and "models lock" in rows["unknown"]["skipped"]
    assert rows["big"]["skipped"] == "needs 8 GPUs (tensor x pipeline parallel), this host has 1"
    assert not (fake_vllm / "calls.jsonl").exists()
    only = CliRunner().invoke(main, ["calibrate", str(tmp_path), "--offline", "--gpu", "h200", "--launch", "big",
                                     "--format", "json"])
    assert [r["name"] for r in json.loads(only.stdout)["launches"]] == ["big"]


def test_engine_words_keep_the_launch_and_drop_what_is_not_here(tmp_path):
    from vllm_lint.config import Settings
    from vllm_lint.engine import load_project
    from vllm_lint.vllm.release import load_release

    write(tmp_path, {"compose.yaml": """
        services:
          llm:
            image: vllm/vllm-openai:v0.11.0
            command: ["--config", "/etc/vllm/serve.yaml", "--kv-cache-dtype=fp8", "--limit-mm-per-prompt.image", "2",
                      "--chat-template", "/app/t.jinja", "--no-enable-prefix-caching"]
            volumes: ["./serve.yaml:/etc/vllm/serve.yaml"]
        """, "serve.yaml": """
        model: Qwen/Qwen3-8B
        max-model-len: 16384
        enforce-eager: true
        enable-chunked-prefill: false
        """})
    project = load_project([tmp_path], Settings(root=tmp_path, offline=True), cwd=tmp_path, resolve_models=False)
    [d] = project.deployments
    words = engine_words(d, load_release("0.11.0"))
    assert words == ["--max-model-len", "16384", "--enforce-eager", "--no-enable-chunked-prefill",
                     "--kv-cache-dtype=fp8", "--limit-mm-per-prompt.image", "2", "--no-enable-prefix-caching"]
    assert {"model", "config", "chat-template", "host", "port", "api-key"} <= DROPPED
