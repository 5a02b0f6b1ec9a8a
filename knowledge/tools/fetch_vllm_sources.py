#!/usr/bin/env python3
"""Download vLLM release wheels from PyPI and keep only their Python sources.

Used by ``dump_vllm_cli.py`` (see its docstring for the whole procedure).
Nothing produced here is committed: the extracted trees live outside the repo.

    python knowledge/tools/fetch_vllm_sources.py --wheels WHEELS \
        --src SRC 0.6.4.post1 0.9.2 0.11.0 ...

For each version ``X`` this runs
``pip download --no-deps --only-binary :all: -d WHEELS vllm==X``, extracts every
member of the wheel except compiled extensions (``*.so``) into ``SRC/X/`` (the
``vllm`` package plus its ``.dist-info`` so ``importlib.metadata`` sees the
version), writes ``SRC/X/.wheel.json`` (wheel file name, sha256, the newest
member timestamp = build date) and deletes the wheel.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import subprocess
import sys
import zipfile


def fetch(version: str, wheels: pathlib.Path, src: pathlib.Path) -> None:
    dest = src / version
    if (dest / ".wheel.json").exists():
        print(f"{version}: already extracted", flush=True)
        return
    wheels.mkdir(parents=True, exist_ok=True)
    before = set(wheels.glob("vllm-*.whl"))
    cands = [w for w in wheels.glob(f"vllm-{version}-*.whl")]
    if not cands:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64",
             "--platform", "manylinux1_x86_64", "--platform", "manylinux2014_x86_64",
             "--platform", "manylinux_2_24_x86_64", "--platform", "manylinux_2_31_x86_64",
             "--platform", "manylinux_2_35_x86_64",
             "-q", "-d", str(wheels), f"vllm=={version}"],
            check=True,
        )
        cands = [w for w in set(wheels.glob("vllm-*.whl")) - before
                 if w.name.startswith(f"vllm-{version}-")] or list(wheels.glob(f"vllm-{version}-*.whl"))
    whl = cands[0]
    h = hashlib.sha256()
    with open(whl, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    newest = (1980, 1, 1, 0, 0, 0)
    with zipfile.ZipFile(whl) as z:
        for info in z.infolist():
            if info.filename.endswith(".so") or info.is_dir():
                continue
            newest = max(newest, info.date_time)
            z.extract(info, dest)
    meta = {
        "wheel": whl.name,
        "sha256": h.hexdigest(),
        "size": whl.stat().st_size,
        "built": "%04d-%02d-%02d" % newest[:3],
    }
    (dest / ".wheel.json").write_text(json.dumps(meta, indent=1))
    whl.unlink()
    print(f"{version}: {meta}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", default="vllm-wheels", type=pathlib.Path)
    ap.add_argument("--src", default="vllm-src", type=pathlib.Path)
    ap.add_argument("versions", nargs="+")
    a = ap.parse_args()
    for v in a.versions:
        try:
            fetch(v, a.wheels, a.src)
        except Exception as e:  # keep going; report at the end
            print(f"{v}: FAILED {e!r}", flush=True)


if __name__ == "__main__":
    main()
