"""How long resolving model metadata takes: 20 models cold (empty cache, local Hub with 50 ms per
request) and warm (the same 20 from the filled cache, the Hub stopped).

The models are the real fixtures of tests/fixtures/hf served by tests/hubserver.py with the real
huggingface_hub client. With fewer than 20 fixtures, ids are repeated under other revisions
(``r1``, ``r2`` ...: each a distinct commit and cache entry, as a pinned ``--revision`` would be),
which the output says.

    python bench/hub_bench.py [--models 20] [--latency 0.05] [--workers 8] [--root tests/fixtures/hf]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hubserver import FIXTURES, HubServer  # noqa: E402


def fixture_ids(root: Path) -> list[str]:
    return sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in root.glob("*/*/config.json"))


def requests_for(count: int, root: Path):
    from vllm_lint.models.request import ModelRequest

    ids = fixture_ids(root)
    if not ids:
        raise SystemExit(f"no fixture models under {root}")
    out = []
    for i in range(count):
        model = ids[i % len(ids)]
        rnd = i // len(ids)
        out.append(ModelRequest(model, None if rnd == 0 else f"r{rnd}"))
    return ids, out


def run(count: int, latency: float, workers: int, root: Path = FIXTURES) -> None:
    t0 = time.perf_counter()
    from vllm_lint.models import resolve as hub  # huggingface_hub itself is imported on the first fetch (inside "cold")
    import_s = time.perf_counter() - t0
    ids, requests = requests_for(count, root)
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        os.environ.update(HF_HUB_CACHE=str(Path(tmp) / "hub"), HF_HOME=tmp, HF_HUB_DISABLE_XET="1",
                          HF_HUB_DISABLE_TELEMETRY="1")
        for name in ("HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
            os.environ.pop(name, None)
        server = HubServer(root, latency=latency).start()
        os.environ["HF_ENDPOINT"] = server.url
        try:
            t0 = time.perf_counter()
            cold = hub.resolve(requests, use_snapshot=False, max_workers=workers, progress=False)
            cold_s = time.perf_counter() - t0
            cold_requests = len(server.requests)
        finally:
            server.stop()
        t0 = time.perf_counter()
        warm = hub.resolve(requests, use_snapshot=False, max_workers=workers, progress=False)
        warm_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        snap = hub.resolve(requests, use_cache=False, offline=True, progress=False)
        snap_s = time.perf_counter() - t0

    def ok(results, source):
        return sum(1 for r in results.values() if getattr(r, "source", None) == source)

    repeated = len(requests) - len(set(r.model for r in requests))
    print(f"served from {root}")
    print(f"models: {len(requests)} requests over {len(ids)} fixture models"
          + (f" ({repeated} are fixture ids repeated under revisions r1, r2 ...: fewer than {count} fixtures)"
             if repeated else ""))
    print(f"import vllm_lint.models.resolve (without huggingface_hub): {import_s * 1000:.0f} ms")
    print(f"cold  (empty cache, {latency * 1000:.0f} ms/request, {workers} workers): {cold_s:.2f} s, "
          f"{cold_requests} HTTP requests, {ok(cold, 'hub')}/{len(requests)} from the Hub")
    print(f"warm  (filled cache, Hub stopped): {warm_s * 1000:.0f} ms, {ok(warm, 'cache')}/{len(requests)} from the cache")
    print(f"snapshot (offline, no cache): {snap_s * 1000:.0f} ms, {ok(snap, 'snapshot')}/{len(requests)} from "
          "knowledge/models (revisions other than the bundled one are not served from it)")
    failed = {str(k): v for k, v in cold.items() if getattr(v, "kind", None)}
    if failed:
        print("cold failures:", failed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every request")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--root", type=Path, default=FIXTURES, help="the <org>/<name>/ tree to serve (default: the fixtures)")
    args = parser.parse_args()
    run(args.models, args.latency, args.workers, args.root)


if __name__ == "__main__":
    main()
