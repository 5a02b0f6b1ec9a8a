"""Issue 14: a path given on the command line where no launch is found is a finding (VLL004
no-launch-found), naming the files that look like deployments vllm-lint cannot read and why — never "All
checks passed: 0 vLLM launches" with exit 0 for a folder of launches it cannot read."""
import os
import subprocess
import sys

from conftest import codes, lint, write

from vllm_lint.rule import rule_by


def message(result):
    [f] = [f for f in result.findings if f.code == "VLL004"]
    return f.message


def test_a_folder_of_launches_vllm_lint_cannot_read(tmp_path, monkeypatch):
    import shutil

    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name: None if name == "helm" else real(name))
    result = lint(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: acme\nversion: 0.1.0\n",
        "chart/templates/vllm.yaml": "image: {{ .Values.image }}\nargs: [vllm, serve, {{ .Values.model }}]\n",
        "k8s/vllm.yaml.tpl": "image: ${IMAGE}\nargs: [\"vllm\", \"serve\", \"${MODEL}\"]\n",
        "docker/Dockerfile": 'FROM vllm/vllm-openai:v0.11.0\nENTRYPOINT ["python3", "/src/handler.py"]\n',
        "README.md": "Run vllm serve with our chart.\n",
    })
    assert codes(result) == ["VLL004"]
    text = message(result)
    assert "3 files look like deployments vllm-lint cannot read" in text
    assert "chart/Chart.yaml (Helm chart: helm not on PATH)" in text
    assert "k8s/vllm.yaml.tpl (envsubst template, rendered before deployment: not read)" in text
    assert "docker/Dockerfile (Dockerfile of a vLLM image that runs" in text
    assert rule_by("VLL004").severity == "warning"


def test_a_folder_with_nothing_of_vllm(tmp_path):
    result = lint(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    assert codes(result) == ["VLL004"] and "(1 file read; nothing in it starts vLLM" in message(result)


def test_a_folder_with_a_launch_and_a_file_that_is_no_deployment(tmp_path):
    write(tmp_path, {"serve.sh": "vllm serve Qwen/Qwen3-8B\n", "notes.txt": "hello\n"})
    assert "VLL004" not in codes(lint(tmp_path))
    assert "VLL004" not in codes(lint(tmp_path, paths=["notes.txt"]))  # a note says it was not linted
    assert "VLL004" not in codes(lint(tmp_path, paths=["serve.sh"]))


def test_each_path_is_judged_on_its_own(tmp_path):
    write(tmp_path, {"a/serve.sh": "vllm serve Qwen/Qwen3-8B\n", "b/compose.yaml": "services:\n  web:\n    image: nginx\n"})
    result = lint(tmp_path, paths=["a", "b"])
    [f] = result.findings
    assert f.code == "VLL004" and f.span.path.endswith("b")


def test_the_exit_code_is_not_a_silent_pass(tmp_path):
    write(tmp_path, {"k8s/vllm.yaml.tpl": "image: ${IMAGE}\nargs: [\"vllm\", \"serve\", \"${MODEL}\"]\n"})
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--offline"], cwd=tmp_path, capture_output=True,
                         text=True, env=env)
    assert out.returncode == 1 and "VLL004" in out.stdout and "All checks passed" not in out.stdout
    out = subprocess.run([sys.executable, "-m", "vllm_lint", ".", "--offline", "--ignore", "VLL004"], cwd=tmp_path,
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0
