"""Per-case accuracy of the VRAM estimator against real vLLM start-ups (tests/data/calibration.yaml).

    python bench/calibration.py            # table: case, vLLM, GPU x TP, figure, printed, estimated, error
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from vllm_lint.memory.calibration import replay

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "calibration.yaml"


def family_of(case: dict, outcome) -> str:
    """The estimator's architecture family, with the launch features that add memory terms (LoRA, drafters)."""
    fam = outcome.estimate.family if outcome.estimate is not None else "?"
    args = case.get("args") or {}
    method = (args.get("speculative-config") or {}).get("method")
    if method:
        fam += f"+{method}"
    if args.get("enable-lora"):
        fam += "+lora"
    return fam


def main() -> int:
    cases = yaml.safe_load(DATA.read_text())["cases"]
    print(f"{'case':<40} {'vllm':<8} {'gpu x tp':<22} {'figure':<10} {'printed':>10} {'estimated':>10} {'error':>8}")
    worst: dict[str, float] = {}
    per_family: dict[str, tuple[float, str, str]] = {}  # family -> (|error|, case, figure)
    for case in cases:
        outcome = replay(case)
        where = f"{case.get('gpu')} x{case.get('tensor_parallel_size', 1)}"
        if outcome.skipped:
            print(f"{case['id']:<40} {case['vllm']:<8} {where:<22} skipped: {outcome.skipped}")
            continue
        fam = family_of(case, outcome)
        for figure, error in outcome.errors.items():
            worst[figure] = max(worst.get(figure, 0.0), abs(error))
            if abs(error) >= per_family.get(fam, (-1.0, "", ""))[0]:
                per_family[fam] = (abs(error), case["id"], figure)
            print(f"{case['id']:<40} {case['vllm']:<8} {where:<22} {figure:<10} {outcome.printed[figure]:>10.2f} "
                  f"{outcome.estimated[figure]:>10.2f} {error:>+8.1%}")
    print("worst: " + ", ".join(f"{k} {v:.1%}" for k, v in sorted(worst.items())))
    print("worst per family:")
    for fam, (err, case_id, figure) in sorted(per_family.items()):
        print(f"  {fam:<28} {err:>6.1%}  {figure:<11} {case_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
