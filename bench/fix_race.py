"""Racing saves against ``--fix``: how many of N saves an editor makes while vllm-lint rewrites the same file
are lost (the file does not hold the save in the end). Half the saves are atomic renames (most editors), half
in-place writes; each lands at a random moment of the write.

    python bench/fix_race.py [N=1000] [--seed S]

The test suite runs the same race 100 times (tests/test_fix_safety.py); the target is 0 lost.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_fix_safety import race_once  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="vllm-lint-fix-race-") as tmp:
        path = Path(tmp) / "compose.yaml"
        start = time.perf_counter()
        lost = sum(race_once(path, rng) for _ in range(args.n))
        elapsed = time.perf_counter() - start
    print(f"{lost} of {args.n} racing saves lost ({elapsed:.1f} s)")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
