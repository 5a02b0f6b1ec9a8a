"""A slow or broken Hub is bounded: each model has a deadline (--hub-timeout, default 20 s) and the run one
(60 s), whatever the Hub does (answers late, drip-feeds a body, resets connections); a reset is called a reset;
huggingface_hub's own "Trying to resume download…" lines stay off stderr. Against the local hub (tests/hubserver.py,
127.0.0.1 only), every wait bounded."""
from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from hubserver import FIXTURES, HubServer
from test_hub import hub_env  # noqa: F401 - the fixture: a fresh HF cache, no token

from vllm_lint.models.request import ModelError, ModelRequest
from vllm_lint.models.resolve import resolve

MODEL = "Qwen/Qwen3-8B"


@pytest.fixture
def hub(hub_env, monkeypatch):  # noqa: F811
    server = HubServer(FIXTURES, slow_seconds=30.0, drip_seconds=0.5).start()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    if not (FIXTURES / MODEL / "config.json").is_file():
        pytest.skip(f"no fixture for {MODEL}")
    yield server
    server.stop()


def timed(**kwargs):
    start = time.monotonic()
    result = resolve([ModelRequest(MODEL)], use_snapshot=False, use_cache=False, **kwargs)[ModelRequest(MODEL)]
    return result, time.monotonic() - start


@pytest.mark.parametrize("mode", ["slow", "slow-files", "drip"])
def test_a_model_gets_no_more_than_its_deadline(hub, mode):
    hub.set_mode(MODEL, mode)
    error, seconds = timed(deadline=1.0, timeout=10.0)
    assert isinstance(error, ModelError) and error.kind == "timeout", error
    assert "1 s" in error.message and "--hub-timeout" in error.message
    assert seconds < 3.0


def test_the_run_gets_no_more_than_its_deadline(hub):
    models = [m for m in ("Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B", "Qwen/Qwen3-32B") if (FIXTURES / m / "config.json").is_file()]
    for m in models:
        hub.set_mode(m, "slow")
    start = time.monotonic()
    results = resolve([ModelRequest(m) for m in models], use_snapshot=False, use_cache=False, deadline=20.0,
                      run_deadline=1.0, max_workers=1)
    assert time.monotonic() - start < 3.0
    assert {r.kind for r in results.values()} == {"timeout"}
    assert all("the run's" in r.message for r in results.values())


def test_a_reset_is_called_a_reset_and_is_quick(hub):
    hub.set_mode(MODEL, "reset")
    error, seconds = timed(deadline=20.0, timeout=10.0)
    assert isinstance(error, ModelError) and error.kind == "connection-reset", error
    assert "reset" in error.message
    assert seconds < 10.0  # the client's retries are cut to one


def test_the_clients_own_warnings_stay_off_stderr(hub, capfd):
    hub.set_mode(MODEL, "drip")
    hub.drip_seconds = 0.05
    timed(deadline=1.5, timeout=0.2)  # a read times out mid-body: huggingface_hub would say "Trying to resume download"
    err = capfd.readouterr().err
    assert "resume" not in err.lower() and "Retrying" not in err and "thrown while requesting" not in err


def test_hub_timeout_on_the_command_line(hub, tmp_path, monkeypatch):
    from vllm_lint.cli import main

    model = "example-org/not-bundled-model"  # neither in the bundled snapshot nor in the cache: asked of the Hub
    hub.set_mode(model, "slow")
    (tmp_path / "compose.yaml").write_text(f"services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n"
                                           f"    command: [\"--model\", \"{model}\"]\n")
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    out = CliRunner().invoke(main, [".", "--hub-timeout", "1", "--no-cache"])
    assert time.monotonic() - start < 5.0
    assert "no answer in time" in out.output, out.output
    assert out.exit_code in (0, 1)
