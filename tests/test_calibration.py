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
    assert len(gpu_cases) >= 18
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
    families = {replay(c).estimate.family for c in CASES if _LOG.search(str(c.get("source", "")))}
    assert {"hybrid-gdn", "hybrid-mamba2", "mla", "sliding", "transformer"} <= families
