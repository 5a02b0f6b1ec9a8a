"""One set of file-reading options (--config, --vllm-version, --gpu, --offline, --compose-file, --env-file) for
every command that reads deployment files, from one definition (vllm_lint.cli_options), applied to the settings
one way."""
from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import write

from vllm_lint.cli import main
from vllm_lint.cli_options import FileOptions
from vllm_lint.config import Settings

SHARED = {"--config", "--vllm-version", "--gpu", "--offline", "--compose-file", "--env-file"}
READERS = [("check",), ("report",), ("vram",), ("launches",), ("upgrade",), ("calibrate",), ("models", "lock")]


def command(path):
    cmd = main
    for name in path:
        cmd = cmd.commands[name]
    return cmd


@pytest.mark.parametrize("path", READERS, ids=[" ".join(p) for p in READERS])
def test_every_file_reading_command_has_the_same_options(path):
    cmd = command(path)
    options = {p.opts[0]: p for p in cmd.params if isinstance(p, click.Option)}
    assert SHARED <= set(options)
    reference = {p.opts[0]: p for p in command(("check",)).params if isinstance(p, click.Option)}
    for flag in SHARED:  # the same definition: same type, multiplicity and help everywhere
        assert options[flag].help == reference[flag].help, (path, flag)
        assert options[flag].multiple == reference[flag].multiple and options[flag].is_flag == reference[flag].is_flag


def test_apply_sets_what_was_given_and_nothing_else(tmp_path):
    settings = Settings(root=tmp_path, vllm_version="0.9.2", hardware="l4", offline=False, env_file=[".env.prod"])
    FileOptions().apply(settings)
    assert (settings.vllm_version, settings.hardware, settings.offline, settings.env_file) == ("0.9.2", "l4", False, [".env.prod"])
    FileOptions(vllm_version="0.11.0", hardware="rtx-4090", offline=True, env_files=(Path("a.env"),)).apply(settings)
    assert (settings.vllm_version, settings.hardware, settings.offline) == ("0.11.0", "rtx-4090", True)
    assert settings.env_file == [str(Path("a.env").resolve())]
    options = FileOptions(compose_files=(Path("a.yml"), Path("b.yml")))
    assert options.targets(()) == [] and options.compose_groups == [[Path("a.yml"), Path("b.yml")]]
    assert FileOptions().targets(()) == [Path(".")] and FileOptions().compose_groups is None


COMPOSE = """
    services:
      llm:
        image: vllm/vllm-openai:v0.11.0
        command: ["--model", "${MODEL}", "--max-model-len", "8192"]
    """


def test_report_reads_env_files_and_compose_files_like_check(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".env.prod": "MODEL=Qwen/Qwen3-8B\n"})
    runner = CliRunner()
    out = runner.invoke(main, ["report", str(tmp_path), "--offline", "--gpu", "rtx-4090", "--format", "json",
                               "--env-file", str(tmp_path / ".env.prod")])
    assert out.exit_code == 0, out.output
    [row] = json.loads(out.stdout)["launches"]
    assert row["model"] == "Qwen/Qwen3-8B" and row["verdict"] == "fits"
    write(tmp_path, {"override.yaml": """
        services:
          llm:
            command: ["--model", "Qwen/Qwen3-32B", "--max-model-len", "8192"]
        """})
    out = runner.invoke(main, ["report", "--offline", "--gpu", "rtx-4090", "--format", "json", "--env-file",
                               str(tmp_path / ".env.prod"), "--compose-file", str(tmp_path / "compose.yaml"),
                               "--compose-file", str(tmp_path / "override.yaml")])
    [row] = json.loads(out.stdout)["launches"]
    assert row["model"] == "Qwen/Qwen3-32B"  # merged as docker compose -f -f does


def test_launches_takes_compose_files_and_validates_gpu(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, "prod.env": "MODEL=Qwen/Qwen3-8B\n"})
    runner = CliRunner()
    out = runner.invoke(main, ["launches", "--format", "json", "--compose-file", str(tmp_path / "compose.yaml"),
                               "--env-file", str(tmp_path / "prod.env")])
    assert out.exit_code == 0, out.output
    assert [r["model"] for r in json.loads(out.stdout)["launches"]] == ["Qwen/Qwen3-8B"]
    bad = runner.invoke(main, ["launches", str(tmp_path), "--gpu", "rtx-9999"])
    assert bad.exit_code == 2 and "--gpu rtx-9999: unknown GPU" in bad.output


def test_vram_of_deployment_files(tmp_path):
    write(tmp_path, {"compose.yaml": COMPOSE, ".env": "MODEL=Qwen/Qwen3-8B\n"})
    runner = CliRunner()
    out = runner.invoke(main, ["vram", str(tmp_path), "--gpu", "rtx-4090", "--offline"])
    assert out.exit_code == 0, out.output
    assert "compose.yaml:2 llm: Qwen/Qwen3-8B" in out.stdout and "KV cache" in out.stdout
    data = json.loads(runner.invoke(main, ["vram", str(tmp_path), "--gpu", "rtx-4090", "--offline", "--format", "json"]).stdout)
    assert data["launches"][0]["model"] == "Qwen/Qwen3-8B" and data["launches"][0]["verdict"] == "fits"
    write(tmp_path, {"prod.env": "MODEL=Qwen/Qwen3-32B\n"})
    data = json.loads(runner.invoke(main, ["vram", str(tmp_path), "--gpu", "rtx-4090", "--offline", "--format", "json",
                                           "--env-file", str(tmp_path / "prod.env")]).stdout)
    assert data["launches"][0]["model"] == "Qwen/Qwen3-32B" and data["launches"][0]["verdict"] == "weights do not fit"
    mixed = runner.invoke(main, ["vram", str(tmp_path), "--gpu", "l4", "--max-model-len", "4096"])
    assert mixed.exit_code == 2 and "SERVE_ARGS go with a MODEL" in mixed.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert runner.invoke(main, ["vram", str(empty), "--gpu", "l4"]).exit_code == 2


def test_vram_of_a_model_is_unchanged(tmp_path):
    out = CliRunner().invoke(main, ["vram", "Qwen/Qwen3-8B", "--gpu", "rtx-4090", "--max-model-len", "16384",
                                    "--offline", "--vllm-version", "0.11.0", "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["max_model_len"] == 16384
