"""The VRAM estimator replayed on real vLLM start-ups (tests/data/calibration.yaml: what vLLM printed,
with the model, flags, GPU and the thread each case comes from).

Targets: weights within 5% of "Model loading took X GiB", KV cache within 15% of "Available KV cache
memory" (or of the KV tokens vLLM printed). ``bench/calibration.py`` prints the per-case table."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vllm_lint.memory.calibration import replay

DATA = Path(__file__).resolve().parent / "data" / "calibration.yaml"
CASES = yaml.safe_load(DATA.read_text())["cases"] if DATA.is_file() else []
WEIGHTS_TOLERANCE = 0.05
KV_TOLERANCE = 0.15


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_estimate_matches_what_vllm_printed(case):
    outcome = replay(case)
    if outcome.skipped:
        pytest.skip(outcome.skipped)
    for figure, error in outcome.errors.items():
        limit = WEIGHTS_TOLERANCE if figure == "weights" else KV_TOLERANCE
        limit = case.get("tolerance", {}).get(figure, limit)
        assert abs(error) <= limit, f"{figure}: estimated {outcome.estimated[figure]:.3f}, vLLM printed " \
                                    f"{outcome.printed[figure]:.3f} ({error:+.1%}, limit {limit:.0%})"


def test_calibration_data_has_sources():
    for case in CASES:
        assert str(case.get("source", "")).startswith("https://github.com/"), case["id"]
        assert case.get("printed"), case["id"]
        if case.get("tolerance"):  # a wider bound than the target is explained where it is granted
            assert case.get("tolerance_reason"), case["id"]
