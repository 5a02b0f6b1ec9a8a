"""Hostile input (issue 15): a pull request from a stranger must not hang, crash or exhaust the CI that lints it,
and what compose and kubectl would read is read, or the run says why not. One test per defect, each failing
before its fix."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import codes, lint, write

from vllm_lint.cli import main

IMAGE = "vllm/vllm-openai:v0.11.0"


def invalid(result):
    return [(f.span.path, f.span.line, f.message) for f in result.findings if f.code == "VLL001"]


def within(seconds: float, function, *args, **kwargs):
    """``function(*args)``, failing (instead of hanging the suite) when it takes longer than ``seconds``."""
    box: dict = {}

    def run():
        try:
            box["value"] = function(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def cli(cwd: Path, *args: str):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, [*args, "--offline"])
    finally:
        os.chdir(old)


def service(command: str, extra: str = "") -> str:
    return f"services:\n  llm:\n    image: {IMAGE}\n{extra}    command: {command}\n"


# ------------------------------------------------------------------------------------ hangs and floods


def test_a_fifo_named_on_the_command_line_or_in_the_tree_is_a_finding_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "compose.yaml")
    result = within(10, lint, tmp_path, paths=["compose.yaml"])
    [(path, _, message)] = invalid(result)
    assert path == "compose.yaml" and "FIFO" in message
    result = within(10, lint, tmp_path)  # walked: named like a compose file, so said too
    assert any("FIFO" in m for _, _, m in invalid(result))


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "fifo"])
def test_files_a_configuration_points_at_are_read_only_when_regular_and_capped(tmp_path, target):
    if target == "fifo":
        os.mkfifo(tmp_path / "pipe.yaml")
        target = str(tmp_path / "pipe.yaml")
    write(tmp_path, {
        "compose.yaml": f"services:\n  llm:\n    extends: {{file: {target}, service: x}}\n    image: {IMAGE}\n"
                        f"    env_file: {target}\n"
                        f"    command: [\"--model\", \"m\", \"--config\", \"{target}\", \"--tool-parser-plugin\", "
                        f"\"{target}\", \"--tool-call-parser\", \"mine\", \"--enable-auto-tool-choice\"]\n"})
    result = within(10, lint, tmp_path)
    messages = " ".join(m for _, _, m in invalid(result))
    assert "extends" in messages and "env_file" in messages and "--config" in messages
    assert "not a regular file" in messages


def test_the_size_cap_holds_while_reading(tmp_path, monkeypatch):
    from vllm_lint.sources import source_file

    monkeypatch.setattr(source_file, "MAX_FILE_BYTES", 1000)
    write(tmp_path, {"compose.yaml": service('["--model", "m"]') + "#" * 5000 + "\n"})
    [(_, _, message)] = invalid(lint(tmp_path))
    assert "MiB" in message or "larger" in message
    with pytest.raises(source_file.UnreadableFile, match="not a regular file"):
        source_file.read_bytes(Path("/dev/zero"), limit=1000)


def test_deep_yaml_and_deep_interpolation_are_findings_not_recursion_errors(tmp_path):
    deep = "[" * 600 + "]" * 600
    nested = "${A:-" * 500 + "x" + "}" * 500
    write(tmp_path, {"a/compose.yaml": service('["--model", "m"]') + f"x-deep: {deep}\n",
                     "b/compose.yaml": service(f'["--model", "{nested}"]')})
    result = lint(tmp_path)
    assert any("nested deeper" in m for _, _, m in invalid(result))
    assert any("nested more than" in f.message for f in result.findings)


def test_paths_too_long_or_with_a_nul_byte_are_findings(tmp_path):
    long = "a" * 300
    write(tmp_path, {
        "a/compose.yaml": service(f'["--model", "m", "--config", "{long}.yaml"]', f"    env_file: {long}.env\n"),
        "b/compose.yaml": f'services:\n  llm:\n    extends: {{file: "x\\0y.yaml", service: s}}\n    image: {IMAGE}\n'
                          '    command: ["--model", "m"]\n'})
    messages = [m for _, _, m in invalid(lint(tmp_path))]
    assert sum("255" in m for m in messages) == 2  # env_file and --config
    assert any("NUL" in m for m in messages)


@pytest.mark.parametrize("args", [
    "--max-model-len inf", "--max-model-len 1e400", "--max-num-batched-tokens inf", "--tensor-parallel-size 1e23",
    "--tensor-parallel-size 100000000", "--max-model-len 99999999999999999999999999999999999999",
    "--gpu-memory-utilization nan"])
def test_numbers_vllm_refuses_or_no_machine_has_are_bounded_before_arithmetic(tmp_path, args):
    write(tmp_path, {"compose.yaml": service(f"--model Qwen/Qwen3-8B {args}")})
    out = within(20, cli, tmp_path, ".", "--gpu", "rtx-4090", "--format", "json")
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert out.exit_code in (0, 1) and "Traceback" not in out.output


def test_a_json_limit_of_infinity_is_not_an_overflow(tmp_path):
    write(tmp_path, {"compose.yaml": service("""["--model", "Qwen/Qwen3-VL-32B-Instruct-FP8", "--limit-mm-per-prompt", '{"image":1e400}']""")})
    out = within(20, cli, tmp_path, ".", "--gpu", "rtx-4090")
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert out.exit_code in (0, 1)
    from vllm_lint.memory.inputs import _int_or_none, human_int

    assert _int_or_none(float("inf")) is None and _int_or_none(3.0) == 3 and human_int("inf") is None
    assert human_int("128k") == 128_000 and human_int("1K") == 1024


def test_an_internal_error_exits_2_with_one_line_and_the_other_files_are_read(tmp_path, monkeypatch):
    from vllm_lint.loaders import kubernetes

    def broken(path, ctx):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(kubernetes, "load", broken)
    write(tmp_path, {"compose.yaml": service('["--model", "m", "--bogus"]'),
                     "k.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"})
    out = cli(tmp_path, ".")
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert "internal error reading k.yaml: RecursionError" in out.output
    assert "--bogus" in out.output  # the compose file was still linted

    def crash(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr("vllm_lint.engine.load_project", crash)
    out = cli(tmp_path, ".")
    assert out.exit_code == 2 and "Traceback" not in out.output
    assert [line for line in out.output.splitlines() if line] == [
        line for line in out.output.splitlines() if line.startswith("vllm-lint: internal error: MemoryError")]


def test_findings_are_capped_per_launch_file_and_run_with_a_note(tmp_path):
    write(tmp_path, {"compose.yaml": service("--model m" + " --bogus-opt 1" * 20_000)})
    start = time.monotonic()
    out = cli(tmp_path, ".")
    assert time.monotonic() - start < 15
    assert sum(line.startswith("compose.yaml:4:") and "VLL201" in line for line in out.output.splitlines()) == 100
    assert "more findings not shown (at most 100 per launch" in out.output
    assert len(out.output) < 200_000  # each source line under a finding is cut to its columns


def test_many_nodes_without_aliases_are_read_an_alias_bomb_is_not(tmp_path, monkeypatch):
    from vllm_lint.sources import yamlnodes

    monkeypatch.setattr(yamlnodes, "ALIAS_BUDGET", 1000)
    flat = yamlnodes.load_documents("x: [" + "1, " * 5000 + "1]\n", "x")  # 5000 nodes, no alias: read
    assert len(flat[0].get("x")) == 5001
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 5)]
    with pytest.raises(yamlnodes.YamlError, match="alias"):
        yamlnodes.load_documents("\n".join(levels) + "\n", "x")


# ------------------------------------------------------------------------------------ reading what compose reads


def test_duplicate_keys_and_a_second_services_are_errors_at_the_second_key(tmp_path):
    write(tmp_path, {"compose.yaml": service('["--model", "m"]') + "services:\n  redis: {image: redis}\n"})
    [(_, line, message)] = invalid(lint(tmp_path))
    assert line == 5 and "duplicate key 'services'" in message
    write(tmp_path, {"k/k.yaml": "apiVersion: v1\nkind: Pod\nkind: Pod\nmetadata: {name: p}\n"})
    assert any(p == "k/k.yaml" and line == 3 for p, line, _ in invalid(lint(tmp_path)))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-8-sig"])
def test_utf16_and_utf32_files_are_read(tmp_path, encoding):
    write(tmp_path, {"compose.yaml": service('["--model", "m", "--bogus"]').encode(encoding)})
    result = lint(tmp_path, paths=["compose.yaml"])
    assert len(result.project.deployments) == 1 and "VLL201" in codes(result)


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\x00\x01binary\x00", b"\xff\xfe\xfe", b"# nothing\n"])
def test_a_compose_file_that_cannot_be_read_is_always_a_finding(tmp_path, content):
    write(tmp_path, {"compose.yaml": content})
    assert len(invalid(lint(tmp_path))) == 1  # walked
    assert len(invalid(lint(tmp_path, paths=["compose.yaml"]))) == 1  # named


def test_an_explicitly_named_file_always_gets_an_answer(tmp_path):
    write(tmp_path, {"notes.yaml": "title: not a deployment\n", "blob.yaml": b"\x00\x00binary"})
    result = lint(tmp_path, paths=["notes.yaml", "blob.yaml"])
    assert any("notes.yaml: not linted" in n for n in result.project.notes)
    assert [p for p, _, _ in invalid(result)] == ["blob.yaml"]


def test_kind_list_items_are_read(tmp_path):
    write(tmp_path, {"k.yaml": f"""
        apiVersion: v1
        kind: List
        items:
        - apiVersion: apps/v1
          kind: Deployment
          metadata: {{name: v}}
          spec:
            template:
              spec:
                containers:
                - {{name: vllm, image: "{IMAGE}", args: ["--model", "m", "--bogus"]}}
        """})
    result = lint(tmp_path)
    assert [d.name for d in result.project.deployments] == ["Deployment/v/vllm"] and "VLL201" in codes(result)


def test_one_unreadable_kubernetes_document_drops_only_itself(tmp_path):
    write(tmp_path, {"k.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: s}}
        stringData:
          token: {{{{ token }}}}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: c}}
        data: [unclosed
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: p}}
        spec:
          containers:
          - {{name: vllm, image: "{IMAGE}", args: ["--model", "m", "--bogus"]}}
        """})
    result = lint(tmp_path)
    assert len(result.project.deployments) == 1 and "VLL201" in codes(result)
    assert len(invalid(result)) == 2 and all("other documents" in m for _, _, m in invalid(result))


def test_heredoc_bodies_are_data_and_array_arguments_are_forwarded(tmp_path):
    write(tmp_path, {"run.sh": """
        #!/bin/bash
        cat > /etc/motd <<EOF
        vllm serve foo --bogus-in-heredoc
        EOF
        cat <<-'EOT'
        \tvllm serve bar --also-bogus
        \tEOT
        ARGS=(--max-model-len 4096 --gpu-memory-utilization 0.9)
        vllm serve Qwen/Qwen3-8B "${ARGS[@]}" "${EXTRA[@]}"
        """})
    result = lint(tmp_path)
    assert [d.model for d in result.project.deployments] == ["Qwen/Qwen3-8B"]
    assert "VLL201" not in codes(result)


def test_dotenv_values_in_quotes_may_span_lines(tmp_path):
    write(tmp_path, {"compose.yaml": service('["--model", "${MODEL}", "--served-model-name", "${NAME}"]'),
                     ".env": 'GREETING="line one\nline two"\nMODEL=Qwen/Qwen3-8B\nNAME=\'a\nb\'\n'})
    result = lint(tmp_path)
    assert "VLL001" not in codes(result)
    assert result.project.deployments[0].model == "Qwen/Qwen3-8B"


def test_multi_document_compose_files_merge_and_includes_are_followed(tmp_path):
    write(tmp_path, {
        "a/compose.yaml": service('["--model", "m"]') + "---\nservices:\n  llm:\n    command: [\"--model\", \"m\", \"--bogus-2nd\"]\n",
        "b/compose.yaml": "include:\n  - ${SUB:-sub}/llm.yaml\n  - missing.yaml\n  - oci://docker.io/x/y:1\n"
                          "services:\n  web: {image: nginx}\n",
        "b/sub/llm.yaml": "services:\n  inc:\n    image: " + IMAGE + "\n    command: [\"--model\", \"m\", \"--bogus-inc\"]\n"})
    result = lint(tmp_path)
    messages = [f.message for f in result.findings]
    assert any("--bogus-2nd" in m for m in messages)  # the second document is read, merged over the first
    assert any("--bogus-inc" in m for m in messages)  # followed through a path known after interpolation
    assert any("include 'missing.yaml' does not exist" in m for m in messages)
    assert any("oci://docker.io/x/y:1 is remote, not fetched" in n for n in result.project.notes)
    assert sorted(d.name for d in result.project.deployments) == ["inc", "llm"]  # each read once
