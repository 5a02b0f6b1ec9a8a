"""Issue 14: Helm — a chart folder (``Chart.yaml``) is rendered with ``helm template`` and each rendered value points
back at the values key (file and line) that produced it, so findings land in ``values.yaml``; values files come from
the configuration (``helm-values:``) or ``--helm-values``. Without helm, a note (and, for a path with nothing else,
VLL004) names the chart not checked.

``test_the_real_helm_*`` run the real renderer and are skipped where helm is not installed. The others that render
use ``tests/helm_stand_in.py``, which renders the subset of Go templates this chart is written in (see its docstring):
they check what vllm-lint does with helm's output (the values merged in order, the sentinel pass, the mapping, the
fallbacks), not helm."""
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from conftest import codes, lint

from vllm_lint.config import Settings
from vllm_lint.loaders import helm

REAL_HELM = shutil.which("helm")
needs_helm = pytest.mark.skipif(REAL_HELM is None, reason="helm is not on PATH: the real renderer is not installed")

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: acme-llm\nversion: 0.1.0\n",
    "chart/values.yaml": """\
        image:
          repository: vllm/vllm-openai
          tag: v0.10.2
        model: Qwen/Qwen3-8B
        maxModelLen: "8192"
        gpus: 1
        extraArgs:
          - --max-model-length
          - "4096"
        """,
    "chart/templates/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{ .Release.Name }}-vllm
        spec:
          template:
            spec:
              containers:
                - name: vllm
                  image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                  args:
                    - --model
                    - {{ .Values.model | quote }}
                    - --max-model-len
                    - {{ .Values.maxModelLen | quote }}
                    {{- range .Values.extraArgs }}
                    - {{ . | quote }}
                    {{- end }}
                  resources:
                    limits:
                      nvidia.com/gpu: {{ .Values.gpus }}
        """,
}


@pytest.fixture
def stand_in(tmp_path_factory, monkeypatch):
    """``helm`` on PATH is the stand-in (and only it)."""
    bin_dir = tmp_path_factory.mktemp("bin")
    exe = bin_dir / "helm"
    script = Path(__file__).with_name("helm_stand_in.py")
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{script}" "$@"\n')
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return exe


def _check_rendered(result):
    [d] = result.project.deployments
    assert (d.kind, d.name, d.path) == ("kubernetes", "Deployment/vllm-lint-vllm/vllm", "chart/templates/deployment.yaml")
    assert (d.model, d.number("max-model-len", int), d.version) == ("Qwen/Qwen3-8B", 8192, "0.10.2")
    assert d.via == "helm template chart" and "chart/values.yaml" in d.depends_on_files
    model = d.model_arg.value_span
    assert (model.path, model.line) == ("chart/values.yaml", 4)
    assert (d.arg("max-model-len").value_span.path, d.arg("max-model-len").value_span.line) == ("chart/values.yaml", 5)
    assert (d.image_span.path, d.image_span.line) == ("chart/values.yaml", 3)  # the tag
    [gpu] = d.gpus
    assert gpu.count == 1 and (gpu.span.path, gpu.span.line) == ("chart/values.yaml", 6)
    [f] = result.findings  # the misspelled option of extraArgs, at its line of values.yaml
    assert (f.code, f.span.path, f.span.line) == ("VLL201", "chart/values.yaml", 8)
    assert not any("template" in n and "not read" in n for n in result.project.notes)  # rendered, not set aside


@needs_helm
def test_the_real_helm_renders_the_chart_and_values_point_at_values_yaml(tmp_path):
    _check_rendered(lint(tmp_path, CHART))


def test_rendered_values_point_at_their_values_key(tmp_path, stand_in):
    _check_rendered(lint(tmp_path, CHART))


def test_configured_values_files_are_merged_after_values_yaml(tmp_path, stand_in):
    files = {**CHART, "deploy/prod.yaml": "model: Qwen/Qwen3-32B\ngpus: 2\n", "deploy/cli.yaml": "maxModelLen: \"16384\"\n"}
    settings = Settings(root=tmp_path, offline=True, helm_values=["deploy/prod.yaml"],
                        helm_values_cli=[str(tmp_path / "deploy/cli.yaml")])
    result = lint(tmp_path, files, settings=settings, paths=["chart"])
    [d] = result.project.deployments
    assert (d.model, d.number("max-model-len", int), [g.count for g in d.gpus]) == ("Qwen/Qwen3-32B", 16384, [2])
    assert (d.model_arg.value_span.path, d.model_arg.value_span.line) == ("deploy/prod.yaml", 1)
    assert d.arg("max-model-len").value_span.path == "deploy/cli.yaml"
    # a map of chart folder to files applies to that chart only
    other = Settings(root=tmp_path, offline=True, helm_values={"elsewhere": ["deploy/prod.yaml"]})
    [d] = lint(tmp_path, settings=other, paths=["chart"]).project.deployments
    assert d.model == "Qwen/Qwen3-8B"


def test_a_fix_rewrites_the_value_in_values_yaml(tmp_path, stand_in):
    files = dict(CHART)
    files["chart/values.yaml"] = files["chart/values.yaml"].replace('maxModelLen: "8192"', 'maxModelLen: "8k"')
    result = lint(tmp_path, files)
    [d] = result.project.deployments
    word = d.arg("max-model-len").words[-1]
    assert (word.span.path, word.span.line, word.quoting) == ("chart/values.yaml", 5, "yaml-double")
    # a value of extraArgs that the release rejects: the fix edits values.yaml, plain as it is written there
    files["chart/values.yaml"] = ("image: {repository: vllm/vllm-openai, tag: v0.10.2}\nmodel: Qwen/Qwen3-8B\n"
                                  "maxModelLen: \"8192\"\ngpus: 1\nextraArgs:\n  - --dtype\n  - bfloat\n")
    result = lint(tmp_path / "b", files)
    [f] = [f for f in result.findings if f.code == "VLL202" and f.fix is not None]
    [edit] = f.fix.edits
    assert (edit.span.path, edit.span.line, edit.replacement) == ("chart/values.yaml", 7, "float")
    # a value the template writes around (the image's "repository:tag") is pointed at, never rewritten
    [d] = result.project.deployments
    assert d.image_span.path == "chart/values.yaml"


def test_a_template_that_cannot_take_a_sentinel_number_falls_back_to_strings(tmp_path, stand_in):
    files = dict(CHART)
    files["chart/templates/deployment.yaml"] = files["chart/templates/deployment.yaml"].replace(
        "{{ .Values.gpus }}", "{{ .Values.gpus | int }}")
    result = lint(tmp_path, files)
    [d] = result.project.deployments
    assert d.model_arg.value_span.path == "chart/values.yaml"  # strings still mapped
    assert [g.count for g in d.gpus] == [1] and d.gpus[0].span.path == "chart/templates/deployment.yaml"


def test_a_chart_helm_cannot_render_is_named_in_a_note(tmp_path, stand_in):
    files = dict(CHART)
    files["chart/templates/deployment.yaml"] += "{{ required \"set it\" .Values.missing }}\n"
    result = lint(tmp_path, files)
    assert result.project.deployments == []
    assert any(n.startswith("Helm chart chart not rendered (helm template failed: ") for n in result.project.notes)
    assert "VLL004" in codes(result)


def test_a_missing_values_file_is_said(tmp_path, stand_in):
    settings = Settings(root=tmp_path, offline=True, helm_values=["nope.yaml"])
    result = lint(tmp_path, CHART, settings=settings)
    assert any("values file nope.yaml does not exist" in n for n in result.project.notes)


def test_without_helm_the_chart_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(helm, "helm", lambda: None)
    monkeypatch.setattr("vllm_lint.loaders.coverage.shutil.which", lambda name: None)
    result = lint(tmp_path, CHART)
    assert result.project.deployments == []
    assert "Helm chart chart not rendered (helm not on PATH): its templates are not checked" in result.project.notes
    [f] = [f for f in result.findings if f.code == "VLL004"]
    assert "chart/Chart.yaml (Helm chart: helm not on PATH)" in f.message
    # beside another launch: the note still names the chart
    files = {"compose.yaml": "services:\n  llm:\n    image: vllm/vllm-openai:v0.10.2\n    command: [\"Qwen/Qwen3-8B\"]\n"}
    result = lint(tmp_path, files)
    assert len(result.project.deployments) == 1
    assert any(n.startswith("Helm chart chart not rendered") for n in result.project.notes)


def test_subcharts_render_with_their_parent():
    parent, sub = Path("a/Chart.yaml"), Path("a/charts/b/Chart.yaml")
    assert helm.top_level([parent, sub]) == [parent] and helm.top_level([sub]) == [sub]


def test_helm_values_on_the_command_line(tmp_path, stand_in, monkeypatch):
    import json

    from click.testing import CliRunner
    from conftest import write

    from vllm_lint.cli import main

    write(tmp_path, {**CHART, "prod.yaml": "model: Qwen/Qwen3-32B\n"})
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(main, ["launches", "chart", "--helm-values", "prod.yaml", "--offline", "--format", "json"])
    assert out.exit_code == 0, out.output
    [launch] = json.loads(out.stdout)["launches"]
    assert launch["model"] == "Qwen/Qwen3-32B" and launch["file"] == "chart/templates/deployment.yaml"


def test_helm_values_in_the_configuration_file(tmp_path):
    from vllm_lint import config

    path = tmp_path / ".vllm-lint.yaml"
    path.write_text("helm-values:\n  deploy/chart: [values-prod.yaml]\n")
    assert config.load(path).helm_values == {"deploy/chart": ["values-prod.yaml"]}
    path.write_text("helm-values: values-prod.yaml\n")
    with pytest.raises(config.ConfigError):
        config.load(path)
