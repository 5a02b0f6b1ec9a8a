"""The models lock (`vllm-lint models lock`, .vllm-lint/models.lock): written from the real huggingface_hub client
against a local Hub (tests/hubserver.py) serving a team's own model that neither the bundled snapshot nor any
cache knows, from local folders through their volumes, and read before anything else by offline runs; `--check`
says which launches it does not cover. No mocking, no internet."""
from __future__ import annotations

import json
import shutil
import struct

import pytest
from click.testing import CliRunner
from conftest import write
from hubserver import FIXTURES, commit_of, serve_for_the_client

from vllm_lint.cli import main
from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules
from vllm_lint.models.lock import LOCK_DIR, LOCK_NAME, ModelsLock, find_lock, schema

TEAM_MODEL = "acme/Qwen3-8B-Support-AWQ"  # a community-style checkpoint: on no snapshot, in no cache
CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """A local Hub serving TEAM_MODEL (Qwen3-8B's real config.json with an AutoAWQ descriptor and a tokenizer
    config with a chat template) and the fixtures; a fresh HF cache; HF_ENDPOINT pointing at it."""
    root = tmp_path / "hub"
    shutil.copytree(FIXTURES, root)
    team = root / TEAM_MODEL
    team.mkdir(parents=True)
    config = json.loads((FIXTURES / "Qwen/Qwen3-8B/config.json").read_text())
    (team / "config.json").write_text(json.dumps(config))
    (team / "quant_config.json").write_text(json.dumps({"w_bit": 4, "q_group_size": 128, "zero_point": True,
                                                         "version": "GEMM"}))
    (team / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "Qwen2Tokenizer",
                                                             "chat_template": CHAT_TEMPLATE}))
    (team / "weights.json").write_text(json.dumps({"files": {"model.safetensors": 5_700_000_000}}))
    server = serve_for_the_client(root, tmp_path, monkeypatch)
    yield server
    server.stop()


def compose(*services: tuple[str, list[str]], volumes: dict[str, str] | None = None) -> str:
    lines = ["services:"]
    for name, args in services:
        lines += [f"  {name}:", "    image: vllm/vllm-openai:v0.11.0",
                  "    command: [" + ", ".join(json.dumps(a) for a in args) + "]"]
        if volumes and name in volumes:
            lines += ["    volumes:", f"      - {volumes[name]}"]
    return "\n".join(lines) + "\n"


def lock_of(folder):
    return json.loads((folder / LOCK_DIR / LOCK_NAME).read_text())


def offline_run(folder, select):
    settings = Settings(root=folder, offline=True)
    project = load_project([folder], settings, cwd=folder)
    return project, check(project, select_rules(settings, select))


def validate(data):
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema())
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft202012Validator(schema()).iter_errors(data)]
    assert not errors, errors


# ---------------------------------------------------------------------------------------- writing


def test_lock_a_team_model_from_the_hub_then_lint_offline_from_the_lock(hub, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("support", ["--model", TEAM_MODEL, "--max-model-len", "65536"]),
                                         ("base", ["--model", "Qwen/Qwen3-8B"]))})
    out = CliRunner().invoke(main, ["models", "lock", str(repo)])
    assert out.exit_code == 0, out.output
    data = lock_of(repo)
    validate(data)
    entry = data["models"][TEAM_MODEL]
    assert entry["source"] == "hub" and entry["commit"] == commit_of(TEAM_MODEL, "main")
    assert hub.url in entry["origin"] and entry["revision"] is None
    assert entry["quant_files"] == {"quant_config.json": {"w_bit": 4, "q_group_size": 128, "zero_point": True,
                                                            "version": "GEMM"}}
    assert entry["tokenizer"] == {"chat_template": True, "from": "tokenizer_config.json", "tokenizer_class": "Qwen2Tokenizer"}
    assert entry["weights"]["total_bytes"] == 5_700_000_000
    assert entry["used_by"] == ["compose.yaml:2 support"]
    assert entry["locked_at"] == data["generated"]
    # the bundled model is locked from the Hub too (its current commit, not the snapshot's)
    assert data["models"]["Qwen/Qwen3-8B"]["commit"] == commit_of("Qwen/Qwen3-8B", "main")

    hub.stop()  # CI: no Hub, no HF cache, only the repository
    shutil.rmtree(tmp_path / "hf-cache")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    project, result = offline_run(repo, ["VLL306", "VLL302"])
    support = next(d for d in project.deployments if d.name == "support")
    meta = project.model_of(support)
    assert meta.source == "lock" and meta.quant_method == "awq" and meta.has_chat_template is True
    assert meta.revision == entry["commit"] and ".vllm-lint/models.lock" in meta.origin
    [f] = result.findings  # the model's own context, from the lock: 40960
    assert f.code == "VLL306" and TEAM_MODEL in f.message and "40960" in f.message
    assert any("read from the models lock" in n and "2 launch(es)" in n for n in result.notes)


def test_lock_is_found_above_the_file_linted(hub, tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"deploy/prod/compose.yaml": compose(("llm", ["--model", TEAM_MODEL]))})
    assert CliRunner().invoke(main, ["models", "lock", str(repo)]).exit_code == 0
    assert find_lock(repo / "deploy" / "prod" / "compose.yaml") == (repo / LOCK_DIR / LOCK_NAME).resolve()
    hub.stop()
    settings = Settings(root=repo, offline=True)
    project = load_project([repo / "deploy" / "prod" / "compose.yaml"], settings, cwd=repo)
    assert project.model_of(project.deployments[0]).source == "lock"


def test_a_hub_that_cannot_answer_locks_from_the_cache(hub, tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("llm", ["--model", TEAM_MODEL]))})
    assert CliRunner().invoke(main, ["models", "lock", str(repo)]).exit_code == 0  # now in the HF cache too
    hub.set_mode(TEAM_MODEL, "500")
    out = CliRunner().invoke(main, ["models", "lock", str(repo)])
    assert out.exit_code == 0, out.output
    assert "the Hub could not answer" in out.output and "locked from cache" in out.output
    entry = lock_of(repo)["models"][TEAM_MODEL]
    assert entry["source"] == "cache" and entry["commit"] == commit_of(TEAM_MODEL, "main")
    assert entry["tokenizer"]["chat_template"] is True  # tokenizer_config.json was cached by the first lock


def test_a_model_that_cannot_be_read_now_keeps_its_entry(hub, tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("llm", ["--model", TEAM_MODEL]))})
    assert CliRunner().invoke(main, ["models", "lock", str(repo)]).exit_code == 0
    first = lock_of(repo)["models"][TEAM_MODEL]
    hub.stop()
    shutil.rmtree(tmp_path / "hf-cache")
    out = CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"])
    assert out.exit_code == 0, out.output
    assert f"{TEAM_MODEL}: kept: the previous entry" in out.output
    assert lock_of(repo)["models"][TEAM_MODEL]["commit"] == first["commit"]
    write(repo, {"compose.yaml": compose(("llm", ["--model", "acme/never-published"]))})
    out = CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"])
    assert out.exit_code == 1 and "acme/never-published: failed" in out.output
    assert list(lock_of(repo)["models"]) == []  # a model no launch uses any more is dropped


def _safetensors(path, n):
    header = json.dumps({"w": {"dtype": "BF16", "shape": [n], "data_offsets": [0, 2 * n]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * (2 * n))
    return path.stat().st_size


def test_a_local_folder_through_its_volume_is_locked_and_read_in_ci(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    folder = repo / "models" / "mine"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "Qwen/Qwen3-8B/config.json", folder / "config.json")
    size = _safetensors(folder / "model.safetensors", 1000)
    write(repo, {"compose.yaml": compose(("llm", ["--model", "/models/mine", "--max-model-len", "65536"]),
                                         volumes={"llm": "./models:/models"})})
    out = CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"])
    assert out.exit_code == 0, out.output
    entry = lock_of(repo)["models"]["/models/mine"]
    validate(lock_of(repo))
    assert entry["source"] == "local" and entry["commit"] is None and entry["origin"] == str(folder)
    assert entry["weights"] == {"total_bytes": size, "parameters": {"BF16": 1000}, "basis": "safetensors-header"}
    assert entry["tokenizer"] == {"chat_template": False, "from": "no tokenizer_config.json in the repository",
                                  "tokenizer_class": None}
    assert CliRunner().invoke(main, ["models", "lock", "--check", str(repo)]).exit_code == 0

    config = json.loads((folder / "config.json").read_text())
    config["max_position_embeddings"] = 131072
    (folder / "config.json").write_text(json.dumps(config))
    out = CliRunner().invoke(main, ["models", "lock", "--check", str(repo)])
    assert out.exit_code == 1 and "changed since the lock was written" in out.output

    shutil.rmtree(repo / "models")  # CI: the weights live on the serving host only
    project, result = offline_run(repo, ["VLL306"])
    assert project.model_of(project.deployments[0]).source == "lock"
    assert [f.code for f in result.findings] == ["VLL306"]  # the locked context (40960), not the edited one


# ---------------------------------------------------------------------------------------- --check


def test_check_reports_models_and_revisions_the_lock_does_not_cover(tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B"]))})
    runner = CliRunner()
    assert runner.invoke(main, ["models", "lock", "--check", str(repo)]).exit_code == 2  # no lock yet
    assert runner.invoke(main, ["models", "lock", str(repo), "--offline"]).exit_code == 0
    ok = runner.invoke(main, ["models", "lock", "--check", str(repo)])
    assert ok.exit_code == 0 and "0 problems, 1 launch(es) covered" in ok.output
    sha = "0123456789abcdef0123456789abcdef01234567"
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B", "--revision", sha]),
                                         ("new", ["--model", "Qwen/Qwen3-32B"]))})
    out = runner.invoke(main, ["models", "lock", "--check", str(repo)])
    assert out.exit_code == 1
    assert f"compose.yaml:2 llm: the launch pins Qwen/Qwen3-8B at revision {sha}, the lock has it at the default " \
           "branch (no commit recorded): the lock is older than the revision pinned" in out.output
    assert "compose.yaml:5 new: Qwen/Qwen3-32B is not in the lock" in out.output
    failed = runner.invoke(main, ["models", "lock", str(repo), "--offline"])  # offline, that commit cannot be read
    assert failed.exit_code == 1 and f"Qwen/Qwen3-8B@{sha}: failed" in failed.output
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B"]), ("new", ["--model", "Qwen/Qwen3-32B"]))})
    assert runner.invoke(main, ["models", "lock", str(repo), "--offline"]).exit_code == 0  # the snapshot has both
    assert runner.invoke(main, ["models", "lock", "--check", str(repo)]).exit_code == 0


def test_a_pinned_commit_matches_the_entry_of_that_commit(tmp_path):
    repo = tmp_path / "repo"
    sha = "0123456789abcdef0123456789abcdef01234567"
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B"]))})
    assert CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"]).exit_code == 0
    path = repo / LOCK_DIR / LOCK_NAME
    data = json.loads(path.read_text())
    data["models"]["Qwen/Qwen3-8B"]["commit"] = sha
    path.write_text(json.dumps(data))
    lock = ModelsLock.load(path)
    assert lock.find("qwen/qwen3-8b", sha) is lock.entries["Qwen/Qwen3-8B"]  # Hub ids: any case
    assert lock.find("Qwen/Qwen3-8B", "v2.0") is None
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B", "--revision", sha]))})
    assert CliRunner().invoke(main, ["models", "lock", "--check", str(repo)]).exit_code == 0


def test_a_broken_lock_is_a_note_and_is_not_used(tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("llm", ["--model", "Qwen/Qwen3-8B"])),
                 f"{LOCK_DIR}/{LOCK_NAME}": '{"lock_version": 1, "generated": "2026-01-01T00:00:00Z", "models": {"x": {}}}'})
    project, result = offline_run(repo, ["VLL306"])
    assert project.model_of(project.deployments[0]).source == "snapshot"
    assert any("does not follow the models lock schema" in n and "not used" in n for n in result.notes)
    out = CliRunner().invoke(main, ["models", "lock", "--check", str(repo)])
    assert out.exit_code == 2 and "does not follow the models lock schema" in out.output


def test_an_unmounted_local_model_stays_an_error_whatever_the_lock_says(tmp_path):
    repo = tmp_path / "repo"
    write(repo, {"compose.yaml": compose(("llm", ["--model", "/models/mine"]))})
    out = CliRunner().invoke(main, ["models", "lock", str(repo), "--offline"])
    assert out.exit_code == 1 and "no volume mounts" in out.output
