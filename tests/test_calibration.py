"""The VRAM estimator replayed on real vLLM start-ups (tests/data/calibration.yaml: what vLLM printed,
with the model, flags, GPU and the thread or log each case comes from).

Targets on every case: weights within 3% of "Model loading took X GiB", the KV cache within 5% of "Available KV
cache memory", KV-cache tokens within 5% of "GPU KV cache size" and the maximum concurrency within 5% of "Maximum
concurrency for N tokens per request". A case that cannot meet one says why (tolerance + tolerance_reason).
``bench/calibration.py`` prints the per-case table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from vllm_lint.memory.calibration import replay

DATA = Path(__file__).resolve().parent / "data" / "calibration.yaml"
ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load(DATA.read_text())["cases"] if DATA.is_file() else []
TOLERANCE = {"weights": 0.03, "kv_cache": 0.05, "kv_tokens": 0.05, "concurrency": 0.05}
_LOG = re.compile(r"log in (\S+)$")


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_estimate_matches_what_vllm_printed(case):
    outcome = replay(case)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    for figure, error in outcome.errors.items():
        limit = case.get("tolerance", {}).get(figure, TOLERANCE[figure])
        assert abs(error) <= limit, f"{figure}: estimated {outcome.estimated[figure]:.3f}, vLLM printed " \
                                    f"{outcome.printed[figure]:.3f} ({error:+.1%}, limit {limit:.0%})"


def test_calibration_data_has_sources():
    for case in CASES:
        source = str(case.get("source", ""))
        log = _LOG.search(source)
        assert source.startswith("https://github.com/") or (
            source.startswith("vLLM ") and log and (ROOT / log.group(1)).is_file()), case["id"]
        assert case.get("printed"), case["id"]
        if case.get("tolerance"):  # a wider bound than the target is explained where it is granted
            assert case.get("tolerance_reason"), case["id"]
            assert all(v > TOLERANCE[k] for k, v in case["tolerance"].items()), case["id"]


def test_gpu_cases_are_what_their_logs_print():
    """The H200 cases: every printed line is in the log, the figures are the ones printed, the command is given."""
    gpu_cases = [c for c in CASES if _LOG.search(str(c.get("source", "")))]
    assert len(gpu_cases) >= 27
    for case in gpu_cases:
        log = (ROOT / _LOG.search(case["source"]).group(1)).read_text()
        for line in case["printed"].splitlines():
            message = line.split("] ", 1)[-1]
            assert message in log, (case["id"], message)
        printed = case["printed"]
        f = case["figures"]
        assert f"Model loading took {f['weights_gib']:g} GiB" in printed, case["id"]  # format_gib: 2 decimals, no 0
        assert f"Available KV cache memory: {f['available_kv_gib']:g} GiB" in printed, case["id"]
        assert f"GPU KV cache size: {f['kv_cache_tokens']:,} tokens" in printed, case["id"]
        assert f"{f['max_concurrency']:.2f}x" in printed, case["id"]
        assert case["command"].startswith(("vllm serve ", "VLLM_")), case["id"]


def test_every_gpu_family_is_calibrated():
    gpu_cases = [c for c in CASES if _LOG.search(str(c.get("source", "")))]
    families = {replay(c).estimate.family for c in gpu_cases}
    assert {"hybrid-gdn", "hybrid-mamba2", "mla", "sliding", "transformer"} <= families
    # the list: speculative decoding (MTP) and LoRA, at two --max-num-seqs, with and without CUDA graphs
    methods = {(c["args"].get("speculative-config") or {}).get("method") for c in gpu_cases}
    assert {"mtp", "ngram"} <= methods
    mtp_families = {replay(c).estimate.family for c in gpu_cases
                    if (c["args"].get("speculative-config") or {}).get("method") == "mtp"}
    assert {"mla", "hybrid-gdn"} <= mtp_families
    lora = [c for c in gpu_cases if c["args"].get("enable-lora")]
    assert lora and any(c["args"].get("enforce-eager") for c in lora) and not all(c["args"].get("enforce-eager") for c in lora)
    for family in ("transformer", "hybrid-gdn", "hybrid-mamba2"):
        seqs = {c["args"].get("max-num-seqs") for c in gpu_cases if replay(c).estimate.family == family}
        assert len(seqs) >= 2, family


FAKE_VLLM = """
import os, time
__version__ = "0.0+fake"
class LLM:
    def __init__(self, **kw):
        open(os.environ["FAKE_PID_FILE"], "w").write(str(os.getpid()))
        print(open(os.environ["FAKE_LOG"]).read(), flush=True)
        time.sleep(float(os.environ.get("FAKE_HANG_S", "600")))  # the CUDA-graph capture that never ends
"""


@pytest.mark.parametrize("stop_after_kv", [1.0, None])
def test_gpu_runner_stops_a_start_up_after_its_kv_figures(tmp_path, monkeypatch, stop_after_kv):
    """bench/gpu_calibration.py run --stop-after-kv: the figures are kept and the start-up is ended (its whole process
    group) instead of running into the case's time limit during graph capture; without it the limit ends it."""
    import importlib.util
    import os
    import time

    spec = importlib.util.spec_from_file_location("gpu_calibration_runner", ROOT / "bench" / "gpu_calibration.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    site = tmp_path / "site"
    (site / "vllm").mkdir(parents=True)
    (site / "vllm" / "__init__.py").write_text(FAKE_VLLM)
    (site / "torch").mkdir()
    (site / "torch" / "__init__.py").write_text("")
    log = ROOT / "tests" / "data" / "gpu-logs" / "h200-vllm-0.20.2" / "lora-q8-8k-s256-r64x4.log"
    text = "\n".join(x for x in log.read_text().splitlines() if not x.startswith(("START", "SUMMARY")))
    (tmp_path / "vllm.log").write_text(text)
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "vllm.log"))
    monkeypatch.setenv("FAKE_PID_FILE", str(tmp_path / "pid"))
    (tmp_path / "models" / "m").mkdir(parents=True)
    case = {"name": "c1", "model": "m", "est_s": 1, "args": {"max_model_len": 8192, "enable_lora": True}}
    t0 = time.time()
    bench.run([case], tmp_path / "models", tmp_path / "logs", tmp_path / "out", deadline=60, min_left=1,
              max_case_s=4 if stop_after_kv is None else 50, stop_after_kv=stop_after_kv)
    assert time.time() - t0 < 25
    status = (tmp_path / "logs" / "status.txt").read_text()
    rec = [r for r in map(__import__("json").loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())][-1]
    if stop_after_kv is None:
        assert "state=timeout" in status
    else:
        assert "rc=figures" in status and "state=figures" in status and rec["run_status"] == "figures"
    assert rec["kv_tokens"] == 777_104 and rec["available_kv_gib"] == 106.72 and rec["weights_gib"] == 16.72
    pid = int((tmp_path / "pid").read_text())
    for _ in range(50):  # the start-up's process is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"start-up {pid} still running")
