"""vllm-lint upgrade: the target release's view of every launch, and --fix --to."""
from click.testing import CliRunner
from conftest import write

from vllm_lint.cli import main
from vllm_lint.config import Settings
from vllm_lint.upgrade import render_markdown, render_text, simulate

COMPOSE = {"compose.yaml": """
    services:
      reasoning:
        image: vllm/vllm-openai:v0.9.2
        command: ["Qwen/Qwen3-8B", "--enable-reasoning", "--reasoning-parser", "deepseek_r1"]
      pp:
        image: vllm/vllm-openai:v0.11.0
        command: ["Qwen/Qwen3-8B", "--async-scheduling", "--pipeline-parallel-size", "2"]
"""}


def test_removed_options_advisories_and_defaults(tmp_path):
    write(tmp_path, COMPOSE)
    report = simulate([tmp_path], Settings(root=tmp_path, offline=True), "0.15.0")
    by = {c.name: c for c in report.launches}
    assert by["reasoning"].before == "0.9.2" and by["reasoning"].after == "0.15.0"
    assert any(f.code == "VLL201" and "--enable-reasoning" in f.message for f in by["reasoning"].options)
    assert ("VLLA-2026-0038" in [i for i, _ in by["pp"].fixed])
    assert any("default" in d for d in by["reasoning"].defaults)
    text = render_text(report)
    assert "known issues fixed:" in text and "VLLA-2026-0038" in text
    md = render_markdown(report)
    assert md.startswith("## vLLM upgrade to 0.15.0") and "**Known issues fixed**" in md


def test_from_and_latest(tmp_path):
    write(tmp_path, COMPOSE)
    out = CliRunner().invoke(main, ["upgrade", str(tmp_path), "--from", "0.11.0", "--to", "latest", "--offline",
                                    "--format", "json"])
    assert out.exit_code in (0, 1), out.output
    import json

    data = json.loads(out.stdout)
    assert data["target"] == "0.33.0" and {l["before"] for l in data["launches"]} == {"0.11.0"}


def test_fix_rewrites_the_pin_and_renamed_options(tmp_path):
    write(tmp_path, COMPOSE)
    out = CliRunner().invoke(main, ["upgrade", str(tmp_path), "--to", "0.11.0", "--fix", "--offline"])
    assert out.exit_code in (0, 1), out.output
    text = (tmp_path / "compose.yaml").read_text()
    assert text.count("vllm/vllm-openai:v0.11.0") == 2 and "v0.9.2" not in text
    again = CliRunner().invoke(main, ["upgrade", str(tmp_path), "--to", "0.11.0", "--diff", "--offline"])
    assert "Would fix 0 findings" in again.stderr


def test_unknown_target(tmp_path):
    write(tmp_path, COMPOSE)
    out = CliRunner().invoke(main, ["upgrade", str(tmp_path), "--to", "0.1.0", "--offline"])
    assert out.exit_code == 2


def test_cuda_graphs_in_budget_gives_this_launchs_graph_estimate(tmp_path):
    # 0.11.0 captures CUDA graphs after the KV cache is sized; 0.33.0 counts them inside the budget. The change line
    # gives the launch's own graph estimate and leaves the net effect to the KV cache line (the activation profile
    # also changes between the releases, so the KV cache need not shrink).
    write(tmp_path, {"compose.yaml": """
    services:
      chat:
        image: vllm/vllm-openai:v0.11.0
        command: ["Qwen/Qwen3-8B", "--max-model-len", "32768"]
    """})
    settings = Settings(root=tmp_path, offline=True, hardware="rtx-4090")
    report = simulate([tmp_path], settings, "0.33.0")
    (change,) = report.launches
    line = next(x for x in change.engine if x.startswith("CUDA graph memory"))
    assert "now counted inside --gpu-memory-utilization" in line and "GiB per GPU for this launch" in line
    assert "gets less" not in line
    quiet = simulate([tmp_path], settings, "0.11.0")
    assert not any(x.startswith("CUDA graph memory") for x in quiet.launches[0].engine)
