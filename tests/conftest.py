"""Shared helpers: write a small project into a temporary folder and lint it."""
from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DATA = Path(__file__).resolve().parent / "data"

# vllm-lint's own caches (the parsed knowledge) go to a folder of this test run, not the developer's home;
# child processes the tests start inherit it.
os.environ.setdefault("VLLM_LINT_CACHE_DIR", tempfile.mkdtemp(prefix="vllm-lint-test-cache-"))


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))


def lint(root: Path, files: dict[str, str | bytes] | None = None, *, select=None, settings: Settings | None = None,
         paths=None, process_env=None, monkeypatch=None):
    """Lint ``files`` written under ``root``; returns the engine's Result."""
    if files:
        write(root, files)
    settings = settings or Settings(root=root, offline=True)  # tests never touch the network
    project = load_project([root / p for p in paths] if paths else [root], settings, cwd=root)
    return check(project, select_rules(settings, select))


def vll209_messages(root: Path, release: str, args: str) -> list[str]:
    """The VLL209 messages of ``vllm serve org/model ARGS`` in a script that pins vLLM ``release``."""
    result = lint(root, {"run.sh": f"pip install vllm=={release}\nvllm serve org/model {args}\n"}, select=["VLL209"])
    return [f.message for f in result.findings if f.code == "VLL209"]


def assert_engine_check_fires(root: Path, release: str, args: str, words: str, source: str) -> None:
    """``vllm serve org/model ARGS`` on ``release`` has exactly one VLL209 engine-config finding with ``words``,
    naming ``source``."""
    msgs = vll209_messages(root, release, args)
    hits = [m for m in msgs if m.startswith(f"vLLM {release} stops building the engine config: {words} (")]
    assert len(hits) == 1, msgs
    assert hits[0].endswith(f"({source})"), hits[0]


def engine_findings_with(root: Path, release: str, args: str, words: str) -> list[str]:
    """The VLL209 messages of ``vllm serve org/model ARGS`` on ``release`` that contain ``words``."""
    return [m for m in vll209_messages(root, release, args) if words in m]


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """Tests see no variables of the developer's shell that compose files could interpolate."""
    import os

    for name in list(os.environ):
        if name.startswith(("VLLM_", "HF_", "HUGGING", "MODEL_", "CUDA_", "NVIDIA_", "GPU_")) and not name.startswith("VLLM_LINT_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # and neither does anything the tests start
