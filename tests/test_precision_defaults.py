"""Defaults worth their noise, and diagnostics that do not mislead (precision classes 13 and 14)."""
import socket

from conftest import lint

from vllm_lint.config import Settings
from vllm_lint.engine import select_rules

SERVICE = """\
services:
  llm:
    image: vllm/vllm-openai:v0.11.0
    environment: ["HUGGING_FACE_HUB_TOKEN=${T:-x}"]
    command: ["acme/some-model", "--max-model-len", "4096"]
"""


def test_opt_in_rules_run_only_when_named():
    codes = lambda sel: {r.code for r in select_rules(Settings(), sel)}  # noqa: E731
    assert "VLL110" not in codes(None) and "VLL110" not in codes(["ALL"]) and "VLL110" not in codes(["VLL1"])
    assert "VLL110" in codes(["VLL110"]) and "VLL110" in codes(["hf-token-variable"])
    assert "VLL101" in codes(["VLL1"])


def test_opt_in_rule_is_quiet_by_default_and_fires_when_selected(tmp_path):
    assert not [f for f in lint(tmp_path, {"compose.yaml": SERVICE}).findings if f.code == "VLL110"]
    assert [f.code for f in lint(tmp_path, select=["VLL110"]).findings] == ["VLL110"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_hub_is_one_note_not_a_finding_per_model(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    files = {"a/compose.yaml": SERVICE, "b/compose.yaml": SERVICE.replace("some-model", "other-model")}
    result = lint(tmp_path, files, settings=Settings(root=tmp_path, offline=False, use_snapshot=False))
    assert [f for f in result.findings if f.code == "VLL301"] == []  # before: an info finding per model
    [note] = [n for n in result.notes if n.startswith("model metadata unavailable")]
    assert "2 launch(es) (no network: 2)" in note


def test_skipped_memory_rules_name_what_is_missing(tmp_path):
    result = lint(tmp_path, {"compose.yaml": SERVICE}, settings=Settings(root=tmp_path, offline=True, hardware="rtx-4090"))
    skipped = [n for n in result.notes if "VLL402" in n]
    assert skipped and all("no GPU known" not in n for n in skipped)  # the GPU is known: the model is not
    assert any("no model metadata" in n for n in skipped)


def test_a_comment_inside_a_folded_command_is_reported_once(tmp_path):
    text = ("services:\n  vllm:\n    image: vllm/vllm-openai:v0.11.0\n    command: >\n      Qwen/Qwen3-8B\n"
            "      --max-model-len 8192\n      # --enforce-eager --bogus 3\n      --gpu-memory-utilization 0.9\n")
    result = lint(tmp_path, {"compose.yaml": text})
    assert [(f.code, f.span.line, f.span.column) for f in result.findings] == [("VLL001", 7, 7)]  # before: VLL201 x2
    assert "not a comment" in result.findings[0].message
    good = text.replace("      # --enforce-eager --bogus 3\n", "")
    assert lint(tmp_path / "good", {"compose.yaml": good}).findings == []


def test_keys_in_example_env_files_are_documentation(tmp_path):
    compose = ("services:\n  vllm:\n    image: vllm/vllm-openai:v0.11.0\n    env_file: [.env.example]\n"
               '    command: ["Qwen/Qwen3-8B", "--api-key", "${VLLM_API_KEY}"]\n')
    example = "VLLM_API_KEY=sk-4f8a9c2e7b1d3f6a\n"
    result = lint(tmp_path, {"compose.yaml": compose, ".env.example": example},
                  settings=Settings(root=tmp_path, offline=True, env_file=[".env.example"]))
    assert [f for f in result.findings if f.code == "VLL106"] == []
    real = lint(tmp_path / "real", {"compose.yaml": compose.replace(".env.example", ".env"), ".env": example})
    assert [f.code for f in real.findings if f.code == "VLL106"] == ["VLL106"]


def test_findings_are_capped_per_file_and_per_run_with_a_note(tmp_path):
    bad = " ".join(f'"--no-such-option-{i}"' for i in range(150))
    files = {f"p{n}/compose.yaml": f"services:\n  vllm:\n    image: vllm/vllm-openai:v0.11.0\n    command: [\"m\", {bad.replace(' ', ', ')}]\n"
             for n in range(12)}
    result = lint(tmp_path, files)
    per_file = {}
    for f in result.findings:
        per_file[f.span.path] = per_file.get(f.span.path, 0) + 1
    assert max(per_file.values()) == 100 and len(result.findings) == 1000
    assert any("50 more findings not shown" in n for n in result.notes)
    # the files past the run's cap: one note for all of them, not one line per file
    assert [n for n in result.notes if "per run" in n] == [
        "350 more findings in 3 files not shown (at most 1000 per run), from p7/compose.yaml on; lint fewer files, "
        "or --select fewer rules, to see them"]
