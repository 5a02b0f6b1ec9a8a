"""Fuzzing: mutants of examples/ and of a few seeds of each input kind (compose with its .env, Kubernetes,
scripts, Dockerfiles, vLLM --config files) are linted; whatever the bytes, vllm-lint answers: no traceback, exit
code 0 or 1 (2 is for usage and internal errors, and these are readable inputs), within a bounded time.

A seeded mutator (deterministic: a failure names the seed and mutant that reproduce it). VLLM_LINT_FUZZ=N runs
N mutants instead of the CI's few hundred."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vllm_lint.cli import main

REPO = Path(__file__).resolve().parent.parent
MUTANTS = int(os.environ.get("VLLM_LINT_FUZZ", "240"))
SEED = int(os.environ.get("VLLM_LINT_FUZZ_SEED", "20261201"))
SECONDS_PER_MUTANT = 10.0

SEEDS = {
    "k8s/deploy.yaml": """apiVersion: apps/v1
kind: Deployment
metadata: {name: vllm}
spec:
  template:
    spec:
      nodeSelector: {nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB}
      containers:
      - name: vllm
        image: vllm/vllm-openai:v0.11.0
        command: ["sh", "-c", "vllm serve $(MODEL) --max-model-len ${LEN:-4096} --tensor-parallel-size 2"]
        env:
        - {name: MODEL, value: Qwen/Qwen3-8B}
        - name: HF_TOKEN
          valueFrom: {secretKeyRef: {name: hf, key: token}}
        resources: {limits: {nvidia.com/gpu: 2}}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    containers:
    - {name: c, image: "vllm/vllm-openai:v0.10.1.1", args: ["--model", "Qwen/Qwen3-0.6B", "--limit-mm-per-prompt", '{"image": 2}']}
""",
    "scripts/start.sh": """#!/bin/bash
set -e
MODEL=${MODEL:-Qwen/Qwen3-8B}
ARGS=(--max-model-len 32k --gpu-memory-utilization 0.9)
cat <<EOF > /tmp/note
vllm serve not-a-launch --bogus
EOF
CUDA_VISIBLE_DEVICES=0,1 vllm serve "$MODEL" "${ARGS[@]}" --tensor-parallel-size 2 \\
  --api-key "$API_KEY" "$@"
""",
    "docker/Dockerfile": """FROM vllm/vllm-openai:v0.11.0
ENV HF_HOME=/models
CMD ["--model", "Qwen/Qwen3-8B", "--max-model-len", "8192"]
""",
    "cfg/vllm.yaml": """model: Qwen/Qwen3-8B
max_model_len: 16384
enforce_eager: false
tensor_parallel_size: 1
""",
}

#: What hostile files contain: nesting, aliases, interpolation, templates, numbers vLLM refuses, odd bytes.
TOKENS = ["${A:-${B:-x}}", "${", "}", "$$", "$(X)", "{{ .Values.x }}", "&a", "*a", "<<: *a", "---", "...", "\0", "\t",
          "\r\n", "'", '"', "\\", "#", ": ", "- ", "[", "]", "{", "}", "inf", "1e400", "-1", "nan", "1e23", "99999999999",
          "--max-model-len", "--tensor-parallel-size", "--limit-mm-per-prompt", '{"image":1e400}', "--config",
          "/dev/zero", "../../etc/passwd", "a" * 300, "é", "\udcff", "😀", "\ufeff", "<<EOF", "EOF", "services:",
          "include:", "extends:", "env_file: .env", "kind: List", "items:", "apiVersion: v1", "!!python/object:x",
          "!reset", "!override", "? complex", "vllm serve", "--api-key", "Authorization: Bearer x"]


def _seeds() -> list[tuple[str, str, dict[str, str]]]:
    """(name, text, sibling files) of every seed."""
    out = []
    for path in sorted((REPO / "examples").rglob("*")):
        if path.name.startswith(".vllm-lint"):
            continue  # the linter's own configuration: a broken one is a usage error (exit 2), as for ruff
        if path.is_file() and (path.suffix in (".yml", ".yaml", ".sh", ".env") or path.name == "Dockerfile"):
            rel = path.relative_to(REPO / "examples").as_posix()
            siblings = {}
            if path.suffix in (".yml", ".yaml") and (path.parent / ".env").is_file():
                siblings[str(Path(rel).parent / ".env")] = (path.parent / ".env").read_text(encoding="utf-8")
            out.append((rel, path.read_text(encoding="utf-8"), siblings))
    out += [(name, text, {}) for name, text in SEEDS.items()]
    return out


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(8)
        at = rng.randint(0, len(text))
        if kind == 0:  # insert a hostile token
            text = text[:at] + rng.choice(TOKENS) + text[at:]
        elif kind == 1:  # delete a range
            text = text[:at] + text[at + rng.randint(1, 40):]
        elif kind == 2:  # truncate
            text = text[:at]
        elif kind == 3:  # duplicate a line (a second services:, a repeated flag)
            lines = text.splitlines(keepends=True) or [""]
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i] * rng.choice((1, 2, 50)))
            text = "".join(lines)
        elif kind == 4:  # swap two lines
            lines = text.splitlines(keepends=True)
            if len(lines) > 1:
                i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif kind == 5:  # change one character
            if text:
                i = rng.randrange(len(text))
                c = chr(rng.choice((0, 9, 10, 32, 34, 35, 36, 39, 45, 58, 91, 123, 125, 0xe9, 0x1f600)))
                text = text[:i] + c + text[i + 1:]
        elif kind == 6:  # nest deeply
            depth = rng.choice((10, 300, 600))
            text = text[:at] + "[" * depth + "]" * depth + text[at:]
        else:  # re-indent a line
            lines = text.splitlines(keepends=True)
            if lines:
                i = rng.randrange(len(lines))
                lines[i] = " " * rng.randint(0, 7) + lines[i].lstrip(" ")
            text = "".join(lines)
    return text


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8", "surrogateescape"))


def _check(result, where: str, elapsed: float) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), (where, repr(result.exception))
    assert "Traceback" not in result.output, where
    assert "internal error" not in result.output, (where, result.output[-2000:])
    assert result.exit_code in (0, 1), (where, result.exit_code, result.output[-2000:])
    assert elapsed < SECONDS_PER_MUTANT, (where, elapsed)


def test_mutants_never_crash_and_always_answer(tmp_path, monkeypatch):
    seeds = _seeds()
    assert len(seeds) >= 15
    rng = random.Random(SEED)
    runner = CliRunner()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for i in range(MUTANTS):
        name, text, siblings = seeds[i % len(seeds)]
        root = tmp_path / f"m{i}"
        mutated = mutate(text, rng)
        _write(root, name, mutated)
        for sibling, content in siblings.items():
            _write(root, sibling, mutate(content, rng) if rng.random() < 0.3 else content)
        fmt = ("text", "json", "sarif")[i % 3]
        start = time.monotonic()
        result = runner.invoke(main, [str(root), "--offline", "--format", fmt, "--gpu", "rtx-4090"])
        _check(result, f"mutant {i} of {name} (VLLM_LINT_FUZZ_SEED={SEED}): {mutated[:300]!r}", time.monotonic() - start)


@pytest.mark.parametrize("seed", range(3))
def test_random_bytes_named_as_every_kind(tmp_path, seed):
    rng = random.Random(seed)
    runner = CliRunner()
    for name in ("compose.yaml", "k.yaml", "run.sh", "Dockerfile", ".env", "vllm.yaml"):
        root = tmp_path / f"{seed}-{name}"
        root.mkdir()
        (root / name).write_bytes(bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 7, 300, 5000)))))
        start = time.monotonic()
        result = runner.invoke(main, [str(root / name), "--offline"])
        _check(result, f"random bytes named {name} (seed {seed})", time.monotonic() - start)
