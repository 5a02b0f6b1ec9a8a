"""Bad input: one clear diagnostic with file and position, never a traceback, the run goes on."""
import os
import subprocess
import sys

import pytest
from conftest import codes, lint, write

GOOD = 'services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command: ["--model", "m", "--port", "8000"]\n    ports: ["5000:8000"]\n'


def invalid(result):
    return [(f.span.path, f.span.line, f.message) for f in result.findings if f.code == "VLL001"]


def test_malformed_yaml_points_at_the_line(tmp_path):
    result = lint(tmp_path, {"a/compose.yaml": "services:\n  llm:\n    image: [unclosed\n    command: x\n", "b/compose.yaml": GOOD})
    [(path, line, message)] = invalid(result)
    assert path == "a/compose.yaml" and line == 4 and "invalid YAML" in message
    assert len(result.project.deployments) == 1  # the good file was still read


def test_not_utf8(tmp_path):
    write(tmp_path, {"compose.yaml": b"services:\n  llm:\n    image: caf\xe9\n"})
    [(_, line, message)] = invalid(lint(tmp_path))
    assert line == 3 and "UTF-8" in message


def test_binary_file_named_like_yaml(tmp_path):
    write(tmp_path, {"compose.yaml": b"services:\x00\x01\x02binary"})
    [(_, _, message)] = invalid(lint(tmp_path))
    assert "binary" in message


def test_empty_compose_file(tmp_path):
    write(tmp_path, {"compose.yaml": "services:\n"})
    assert codes(lint(tmp_path)) == ["VLL004"]  # valid, a project with no service: but no launch in the folder
    write(tmp_path, {"docker-compose.yml": "# services: nothing yet\n"})
    # named as compose, but nothing in it: compose refuses it ("empty compose file"), and so does the linter
    [(_, _, message)] = invalid(lint(tmp_path, paths=["docker-compose.yml"]))
    assert "empty" in message


def test_explicit_empty_file_is_reported(tmp_path):
    write(tmp_path, {"compose.yaml": ""})
    from vllm_lint.loaders import compose
    from vllm_lint.loaders.context import LoadContext

    ctx = LoadContext(cwd=tmp_path, process_env={})
    assert compose.load([tmp_path / "compose.yaml"], ctx) == []
    [problem] = [p for sf in ctx.sources.values() for p in sf.problems]
    assert "empty" in problem.message


def test_billion_laughs(tmp_path):
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]")
    write(tmp_path, {"compose.yaml": "x-bomb:\n" + "\n".join("  " + l for l in levels) + "\nservices: {}\n"})
    [(_, _, message)] = invalid(lint(tmp_path))
    assert "alias" in message


def test_large_file_is_refused_without_reading(tmp_path):
    path = tmp_path / "compose.yaml"
    with open(path, "w") as f:
        f.write("services:\n")
        f.write(("# " + "x" * 1022 + "\n") * (50 * 1024))
    [(_, _, message)] = invalid(lint(tmp_path))
    assert "MiB" in message


def test_directory_loop_terminates(tmp_path):
    write(tmp_path, {"p/compose.yaml": GOOD})
    os.symlink(tmp_path, tmp_path / "p" / "loop")
    result = lint(tmp_path)
    assert len(result.project.deployments) == 1


def test_dangling_symlink_and_missing_path(tmp_path):
    write(tmp_path, {"compose.yaml": GOOD})
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "broken.yaml")
    result = lint(tmp_path, paths=["compose.yaml", "broken.yaml", "missing.yaml"])
    messages = [m for _, _, m in invalid(result)]
    assert len(messages) == 2 and all("no such file" in m for m in messages)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    write(tmp_path, {"compose.yaml": GOOD})
    (tmp_path / "compose.yaml").chmod(0)
    [(_, _, message)] = invalid(lint(tmp_path, paths=["compose.yaml"]))
    assert "permission" in message.lower()


def test_unterminated_quote_in_command(tmp_path):
    result = lint(tmp_path, {"compose.yaml": "services:\n  llm:\n    image: vllm/vllm-openai:v0.11.0\n    command: --model 'open\n"})
    assert "VLL001" in codes(result)


def test_cli_never_prints_a_traceback(tmp_path):
    write(tmp_path, {"a.yaml": "services: [", "b.yml": b"\xff\xfe\x00", "c/compose.yaml": "services:\n  x: &a [*a]\n"})
    out = subprocess.run([sys.executable, "-m", "vllm_lint", str(tmp_path)], capture_output=True, text=True)
    assert "Traceback" not in out.stdout + out.stderr
    assert out.returncode == 1
