"""--fix: only the intended characters change, writes are atomic and idempotent, nothing is lost."""
import os
import stat
import subprocess
import sys

from conftest import write

from vllm_lint.config import Settings
from vllm_lint.engine import run
from vllm_lint.fixes.apply import fix_run

PROFILE = """\
# Profile with comments, anchors and odd quoting: all of it must survive.
x-env: &env
  HF_HOME: /hf   # cache
services:
  llm:
    image: 'vllm/vllm-openai:v0.11.0'
    environment:
      - "HUGGING_FACE_HUB_TOKEN=${HUGGING_FACE_HUB_TOKEN:-}"   # old name
      - OTHER=1
    command:   ["--model", "m"]     # flow style kept
"""


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "vllm_lint", *args], capture_output=True, text=True, cwd=cwd)


def test_fix_changes_only_the_name_and_keeps_everything_else(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE})
    path = tmp_path / "compose.yaml"
    path.chmod(0o640)
    out = cli(".", "--fix", "--select", "VLL110", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    expected = PROFILE.replace('"HUGGING_FACE_HUB_TOKEN=', '"HF_TOKEN=')
    assert path.read_bytes() == expected.encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".vllm-lint")]
    # a second run changes nothing
    before = path.read_bytes()
    cli(".", "--fix", "--select", "VLL110", cwd=tmp_path)
    assert path.read_bytes() == before


def test_diff_prints_and_writes_nothing(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE})
    out = cli(".", "--diff", "--select", "VLL110", cwd=tmp_path)
    assert out.returncode == 1
    assert '-      - "HUGGING_FACE_HUB_TOKEN=${HUGGING_FACE_HUB_TOKEN:-}"   # old name' in out.stdout
    assert '+      - "HF_TOKEN=${HUGGING_FACE_HUB_TOKEN:-}"   # old name' in out.stdout
    assert (tmp_path / "compose.yaml").read_text() == PROFILE


def test_file_changed_since_read_is_not_written(tmp_path):
    write(tmp_path, {"compose.yaml": PROFILE})
    path = tmp_path / "compose.yaml"
    settings = Settings(root=tmp_path)
    calls = []

    def lint():
        result = run([tmp_path], settings, select=["VLL110"])
        if not calls:
            path.write_text(PROFILE + "# edited by someone else\n")
        calls.append(1)
        return result

    _, changes, errors = fix_run(lint, unsafe=False, write=True)
    assert changes == {} and "changed since it was read" in errors[0]
    assert path.read_text().endswith("# edited by someone else\n")


def test_unsafe_fixes_need_the_flag(tmp_path):
    from vllm_lint.finding import Edit, Finding, Fix
    from vllm_lint.fixes.apply import plan

    write(tmp_path, {"compose.yaml": PROFILE})
    result = run([tmp_path], Settings(root=tmp_path), select=["VLL110"])
    [f] = result.findings
    f.fix = Fix(f.fix.description, f.fix.edits, safe=False)
    assert plan(result.findings, result.project, unsafe=False) == {}
    assert [p.rsplit("/", 1)[-1] for p in plan(result.findings, result.project, unsafe=True)] == ["compose.yaml"]


ROPE = """\
services:
  folded:
    image: vllm/vllm-openai:v0.12.0
    command: >
      --model Qwen/Qwen3-8B
      --rope_scaling '{"rope_type":"yarn","factor":2.0,"original_max_position_embeddings":32768}'
      --max-model-len 65536
  listed:   # escapes inside a double-quoted item
    image: vllm/vllm-openai:v0.12.0
    command: ["--model", "Qwen/Qwen3-8B", "--rope-scaling={\\"rope_type\\":\\"yarn\\",\\"factor\\":2.0}", "--max-model-len", "65536"]
"""


def test_rope_scaling_moves_into_hf_overrides_where_the_release_dropped_it(tmp_path):
    write(tmp_path, {"compose.yaml": ROPE})
    out = cli(".", "--fix", "--offline", "--select", "VLL201", cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    expected = ROPE.replace("--rope_scaling '{\"rope_type\":\"yarn\",\"factor\":2.0,\"original_max_position_embeddings\":32768}'",
                            "--hf-overrides '{\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":2.0,"
                            "\"original_max_position_embeddings\":32768}}'")
    expected = expected.replace('"--rope-scaling={\\"rope_type\\":\\"yarn\\",\\"factor\\":2.0}"',
                                '"--hf-overrides={\\"rope_scaling\\":{\\"rope_type\\":\\"yarn\\",\\"factor\\":2.0}}"')
    assert (tmp_path / "compose.yaml").read_text() == expected
    assert cli(".", "--offline", "--select", "VLL201,VLL202", cwd=tmp_path).returncode == 0


def test_fix_example_of_the_seed_medium_vl_profile_is_what_fix_produces(tmp_path):
    """examples/medium-vl-after-fix/medium-vl.yml is `--fix --unsafe-fixes` of examples/medium-vl, byte for byte."""
    import shutil

    from conftest import EXAMPLES

    work = tmp_path / "medium-vl"
    shutil.copytree(EXAMPLES / "medium-vl", work)
    shutil.copy(EXAMPLES / ".vllm-lint.yaml", work / ".vllm-lint.yaml")
    out = cli(".", "--offline", "--fix", "--unsafe-fixes", cwd=work)
    assert out.returncode in (0, 1), out.stderr
    assert (work / "medium-vl.yml").read_bytes() == (EXAMPLES / "medium-vl-after-fix" / "medium-vl.yml").read_bytes()
    again = cli(".", "--offline", "--fix", "--unsafe-fixes", cwd=work)  # idempotent
    assert (work / "medium-vl.yml").read_bytes() == (EXAMPLES / "medium-vl-after-fix" / "medium-vl.yml").read_bytes()
    assert "Fixed" not in again.stderr


def test_unsafe_parser_fix_on_qwen3(tmp_path):
    profile = """\
services:
  mini:
    image: vllm/vllm-openai:v0.9.2
    command:
      - "--model=Qwen/Qwen3-8B"
      - "--reasoning-parser"
      - "deepseek_r1"   # from an older recipe
      - "--enable-auto-tool-choice"
      - "--tool-call-parser=granite"
"""
    write(tmp_path, {"compose.yaml": profile})
    safe = cli(".", "--offline", "--select", "VLL208", "--fix", cwd=tmp_path)
    assert (tmp_path / "compose.yaml").read_text() == profile and safe.returncode == 1  # unsafe: not applied
    cli(".", "--offline", "--select", "VLL208", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert (tmp_path / "compose.yaml").read_text() == profile.replace('"deepseek_r1"', '"qwen3"').replace(
        "--tool-call-parser=granite", "--tool-call-parser=hermes")
