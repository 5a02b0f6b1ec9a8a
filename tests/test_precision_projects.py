"""Issue 13, classes 2, 9 (second half) and 10: what one project is, and which files are set aside.

Only files that compose runs together are one project (compose.yaml + compose.override.yaml,
COMPOSE_FILE, --compose-file, include:, projects: in the configuration); alternatives beside each
other are not compared (VLL104, VLL404). Templates are set aside with a note, never VLL001; a
``services:`` or a few vLLM-looking keys do not make a file compose or a vLLM config.
"""
import shutil
from pathlib import Path

from conftest import lint, write

from vllm_lint import config
from vllm_lint.config import Settings
from vllm_lint.engine import check, load_project, select_rules

CROSS = ["VLL104", "VLL404"]


def service(name, *, port="8000", gpu="0", util="0.9", model="Qwen/Qwen3-8B", extra=""):
    """One compose service publishing ``port`` on the host, on host GPU ``gpu``."""
    text = (f"  {name}:\n"
            f"    image: vllm/vllm-openai:v0.11.0\n"
            f'    command: ["--model", "{model}", "--gpu-memory-utilization", "{util}"]\n')
    if port:
        text += f'    ports: ["{port}:8000"]\n'
    if gpu is not None:
        text += f'    deploy: {{resources: {{reservations: {{devices: [{{driver: nvidia, device_ids: ["{gpu}"], capabilities: [gpu]}}]}}}}}}\n'
    return text + extra


def compose(*services):
    return "services:\n" + "".join(services)


def found(result, codes=CROSS):
    return sorted((f.code, f.span.path, f.span.line, f.deployment) for f in result.findings if f.code in codes)


# -- bad: a true finding must remain within one project -------------------------------------------

def test_two_services_of_one_file_on_one_gpu_beside_an_alternative(tmp_path):
    result = lint(tmp_path, {
        "docker-compose.yml": compose(service("chat", port="8000"), service("embed", port="8001")),
        "docker-compose.fp8.yml": compose(service("chat-fp8", port="8000")),  # the other variant: not run with it
    }, select=["VLL404"])
    [f] = result.findings
    assert f.span.path == "docker-compose.yml" and f.deployment == "embed"
    assert "shared by 2 launches" in f.message and "chat 0.9 + embed 0.9 = 1.80" in f.message


def test_two_services_of_one_file_publish_one_port_beside_an_alternative(tmp_path):
    result = lint(tmp_path, {
        "docker-compose.yml": compose(service("chat", gpu=None), service("embed", gpu=None)),
        "docker-compose.all.yml": compose(service("chat", gpu=None)),
    }, select=["VLL104"])
    [f] = result.findings
    assert (f.span.path, f.deployment) == ("docker-compose.yml", "embed")
    assert "'chat' (docker-compose.yml:" in f.message


def test_compose_yaml_and_its_override_are_one_project(tmp_path):
    result = lint(tmp_path, {
        "compose.yaml": compose(service("chat")),
        "compose.override.yaml": compose(service("embed", model="Qwen/Qwen3-0.6B")),
        "compose.all.yaml": compose(service("chat"), service("extra", port="9000", gpu="1")),  # an alternative
    })
    assert found(result) == [("VLL104", "compose.override.yaml", 5, "embed"),
                             ("VLL404", "compose.override.yaml", 4, "embed")]


def test_compose_file_in_the_env_joins_files_of_other_folders(tmp_path):
    result = lint(tmp_path, {
        ".env": "COMPOSE_FILE=base.yml:overlays/gpu.yml\n",
        "base.yml": compose(service("chat", gpu=None)),
        "overlays/gpu.yml": compose(service("embed", gpu=None, model="Qwen/Qwen3-0.6B")),
        "alt.yml": compose(service("other", gpu=None)),  # not in COMPOSE_FILE: an alternative
    }, select=["VLL104"])
    [f] = result.findings
    assert (f.span.path, f.deployment) == ("overlays/gpu.yml", "embed") and "'chat' (base.yml:" in f.message


def test_compose_file_with_compose_path_separator(tmp_path):
    result = lint(tmp_path, {
        ".env": 'COMPOSE_PATH_SEPARATOR=";"\nCOMPOSE_FILE="base.yml;overlays/gpu.yml"  # both\n',
        "base.yml": compose(service("chat", gpu=None)),
        "overlays/gpu.yml": compose(service("embed", gpu=None)),
    }, select=["VLL104"])
    assert [(f.span.path, f.deployment) for f in result.findings] == [("overlays/gpu.yml", "embed")]


def test_compose_file_option_merges_its_list_only(tmp_path):
    write(tmp_path, {
        "p/base.yml": compose(service("chat", gpu=None)),
        "p/gpu.yml": compose(service("embed", gpu=None)),
        "p/alt.yml": compose(service("other", gpu=None)),  # linted, but not one of the -f files
    })
    settings = Settings(root=tmp_path, offline=True)
    project = load_project([tmp_path / "p"], settings, [[tmp_path / "p/base.yml", tmp_path / "p/gpu.yml"]], cwd=tmp_path)
    result = check(project, select_rules(settings, ["VLL104"]))
    assert [(f.span.path, f.deployment) for f in result.findings] == [("p/gpu.yml", "embed")]


def test_include_makes_one_project_and_reads_the_included_file_once(tmp_path):
    result = lint(tmp_path, {
        "compose.yaml": "include:\n  - services/embed.yaml\n" + compose(service("chat", gpu=None)),
        "services/embed.yaml": compose(service("embed", gpu=None)),
    }, select=["VLL104"])
    [f] = result.findings
    assert (f.span.path, f.deployment) == ("services/embed.yaml", "embed") and "'chat' (compose.yaml:" in f.message
    assert sorted(d.name for d in result.project.deployments) == ["chat", "embed"]


def test_include_brings_a_file_outside_the_paths_linted(tmp_path):
    write(tmp_path, {
        "app/compose.yaml": "include:\n  - path: ../shared/embed.yaml\n" + compose(service("chat", gpu=None)),
        "shared/embed.yaml": compose(service("embed", gpu=None)),
    })
    result = lint(tmp_path, paths=["app"], select=["VLL104"])
    assert [(f.span.path, f.deployment) for f in result.findings] == [("shared/embed.yaml", "embed")]


def test_projects_in_the_configuration_join_files(tmp_path):
    write(tmp_path, {
        ".vllm-lint.yaml": 'projects:\n  - ["profiles/docker-compose-*.yml", "scripts/embed.sh"]\n',
        "profiles/docker-compose-micro.yml": compose(service("micro", port="5000", gpu="2")),
        "profiles/docker-compose-mini.yml": compose(service("mini", port="5001", gpu="2")),
        "profiles/docker-compose-big.yml": compose(service("big", port="5002", gpu="0")),
        "scripts/embed.sh": "#!/bin/sh\nCUDA_VISIBLE_DEVICES=0 vllm serve Qwen/Qwen3-0.6B --gpu-memory-utilization 0.5\n",
    })
    settings = config.load(tmp_path / ".vllm-lint.yaml")
    settings.offline = True
    assert settings.projects == [["profiles/docker-compose-*.yml", "scripts/embed.sh"]]
    result = lint(tmp_path, settings=settings, select=["VLL404"])
    assert sorted((f.span.path, f.deployment) for f in result.findings) == [
        ("profiles/docker-compose-mini.yml", "mini"), ("scripts/embed.sh", "line 2")]
    assert "micro 0.9 + mini 0.9 = 1.80" in " ".join(f.message for f in result.findings)


def test_projects_must_be_lists_of_globs(tmp_path):
    import pytest

    (tmp_path / ".vllm-lint.yaml").write_text("projects: [compose.yaml]\n")
    with pytest.raises(config.ConfigError, match="projects/0"):
        config.load(tmp_path / ".vllm-lint.yaml")


def test_one_script_with_two_servers_on_one_gpu_beside_another_script(tmp_path):
    result = lint(tmp_path, {
        "start_all.sh": ("#!/bin/sh\nCUDA_VISIBLE_DEVICES=0 vllm serve Qwen/Qwen3-8B --gpu-memory-utilization 0.6 &\n"
                         "CUDA_VISIBLE_DEVICES=0 vllm serve Qwen/Qwen3-0.6B --gpu-memory-utilization 0.6 &\nwait\n"),
        "start_chat.sh": "#!/bin/sh\nCUDA_VISIBLE_DEVICES=0 vllm serve Qwen/Qwen3-8B --gpu-memory-utilization 0.9\n",
    }, select=["VLL404"])
    [f] = result.findings
    assert f.span.path == "start_all.sh" and "shared by 2 launches" in f.message and "1.20" in f.message


# -- good: alternatives beside each other stay quiet -----------------------------------------------

def test_variant_files_beside_each_other_are_alternatives(tmp_path):
    result = lint(tmp_path, {
        "docker-compose.yml": compose(service("vllm")),
        "docker-compose.all.yml": compose(service("vllm"), service("frontend", port="8501", gpu=None)),
        "docker-compose.simple.yml": compose(service("vllm")),
    })
    assert found(result) == []
    assert len([d for d in result.project.deployments if d.name == "vllm"]) == 3  # each still linted


def test_one_file_per_model_is_an_alternative_each(tmp_path):
    result = lint(tmp_path, {
        "vllm-models/alpha.yml": compose(service("alpha")),
        "vllm-models/beta.yml": compose(service("beta", model="Qwen/Qwen3-0.6B")),
    })
    assert found(result) == []


def test_same_container_name_in_two_files_are_alternatives_even_in_one_configured_project(tmp_path):
    files = {
        "compose.yml": compose(service("llm", extra="    container_name: acme-llm\n")),
        "compose.big.yml": compose(service("llm-big", model="Qwen/Qwen3-32B", extra="    container_name: acme-llm\n")),
    }
    assert found(lint(tmp_path, files)) == []
    settings = Settings(root=tmp_path, offline=True, projects=[["*.yml"]])
    assert found(lint(tmp_path, settings=settings)) == []


def test_scripts_beside_each_other_are_alternatives(tmp_path):
    result = lint(tmp_path, {
        "start_basic.sh": "#!/bin/sh\nCUDA_VISIBLE_DEVICES=0,1 vllm serve Qwen/Qwen3-8B --gpu-memory-utilization 0.95\n",
        "start_fp8.sh": "#!/bin/sh\nCUDA_VISIBLE_DEVICES=0,1 vllm serve Qwen/Qwen3-8B --gpu-memory-utilization 0.9\n",
    }, select=["VLL404"])
    assert result.findings == []


def test_gpu_from_an_unset_variable_is_not_one_gpu(tmp_path):
    result = lint(tmp_path, {"compose.yaml": compose(service("a", gpu="${GPU_A}", port=None),
                                                     service("b", gpu="${GPU_B}", port=None))}, select=["VLL404"])
    assert result.findings == []


# -- templates (class 10) --------------------------------------------------------------------------

HELM_DEPLOYMENT = """\
{{- if .Values.vllm.enabled }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}-vllm
spec:
  template:
    spec:
      containers:
        - name: vllm
          image: "vllm/vllm-openai:{{ .Values.vllm.tag }}"
          args: ["--model", {{ .Values.vllm.model | quote }}]
{{- end }}
"""


def test_helm_templates_are_set_aside_with_a_note(tmp_path):
    result = lint(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/values.yaml": "vllm: {enabled: true, tag: v0.11.0, model: Qwen/Qwen3-8B}\n",
        "chart/templates/deployment.yaml": HELM_DEPLOYMENT,
        "chart/templates/_helpers.tpl": '{{- define "chart.fullname" -}}{{ .Release.Name }}{{- end }}\n',
        "other/templates/vllm.yaml": HELM_DEPLOYMENT,  # no Chart.yaml copied: the Go template actions say it
    })
    assert [f for f in result.findings if f.code == "VLL001"] == []
    [note] = [n for n in result.notes if "template(s)" in n]
    assert "chart/templates/deployment.yaml (Helm template)" in note and "other/templates/vllm.yaml (Helm template)" in note
    assert "_helpers.tpl" not in note  # not a vLLM deployment
    if shutil.which("helm") is None:  # the chart itself is named too (loaders/helm.py renders it where helm is)
        assert "Helm chart chart not rendered (helm not on PATH): its templates are not checked" in result.notes
        assert result.project.deployments == []


def test_envsubst_yaml_tpl_is_read_with_its_variables_unknown(tmp_path):
    # issue 14: an envsubst template is read as Kubernetes, its ${VAR} unknown (tests/test_launches_templates.py)
    result = lint(tmp_path, {"k8s/vllm.yaml.tpl": (
        "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - name: vllm\n          image: ${IMAGE_NAME}\n          args: [\"vllm\", \"serve\", \"${MODEL}\"]\n${RESOURCES}\n")})
    [d] = result.project.deployments
    assert d.path == "k8s/vllm.yaml.tpl" and d.unknown("model")
    assert result.findings == [] and not any("k8s/vllm.yaml.tpl (envsubst template)" in n for n in result.notes)


def test_templates_do_not_hide_broken_yaml_or_chat_templates(tmp_path):
    result = lint(tmp_path, {
        "chart/Chart.yaml": "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
        "chart/templates/deployment.yaml": HELM_DEPLOYMENT,
        # plain YAML, no template syntax: still an error
        "broken/deploy.yaml": "apiVersion: v1\nkind: Pod\nspec:\n  containers: [{name: vllm, args: [\"--model\", \"m\"}\n",
        # a Jinja chat template in a ConfigMap is data: the file is read
        "k8s/deploy.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tpl}\ndata:\n  chat.jinja: |\n"
                            "    {{- bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}\n---\n"
                            "apiVersion: v1\nkind: Pod\nmetadata: {name: chat}\nspec:\n  containers:\n"
                            "    - name: vllm\n      image: vllm/vllm-openai:v0.11.0\n      args: [\"--model\", \"Qwen/Qwen3-8B\"]\n"),
    })
    assert [(f.code, f.span.path) for f in result.findings if f.code == "VLL001"] == [("VLL001", "broken/deploy.yaml")]
    assert [d.path for d in result.project.deployments] == ["k8s/deploy.yaml"]
    assert any("chart/templates/deployment.yaml (Helm template)" in n for n in result.notes)


# -- services: that are not compose, YAML that is not a vLLM config (class 9) ----------------------

def test_project_config_with_services_is_not_compose(tmp_path):
    result = lint(tmp_path, {
        "deployment/config.yaml": ("project: {region: us-central1}\nservices:\n  backend: governed-advisor\n"
                                   "  ui: advisor-ui\nmodel:\n  name: Qwen/Qwen2.5-7B-Instruct\n  max_model_len: 8192\n"),
        # a file that is compose (a real service) keeps its errors
        "stack.yml": compose(service("chat", gpu=None)) + "  proxy: nginx\n",
        "docker-compose.yml": "services:\n  proxy: nginx\n",
    })
    assert sorted((f.code, f.span.path) for f in result.findings if f.code == "VLL001") == [
        ("VLL001", "docker-compose.yml"), ("VLL001", "stack.yml")]
    assert "deployment/config.yaml" not in {f.path for f in result.project.files}


def test_worker_config_with_a_few_vllm_keys_is_not_a_vllm_config(tmp_path):
    result = lint(tmp_path, {
        "configs/chat.yaml": ("model: Qwen/Qwen3-8B\nmax_model_len: 8192\nworker_concurrency: 4\nhandler: chat\n"
                              "cuda_versions: ['12.4']\nwarmup_prompts: 2\n"),  # 2 of 6 keys are vLLM options
        "serve/vllm.yaml": "model: Qwen/Qwen3-8B\nmax-model-len: 8192\nenable-prefix-caching: true\n",  # all options
        # a file passed with --config is read whatever its keys
        "app/docker-compose.yml": ("services:\n  chat:\n    image: vllm/vllm-openai:v0.11.0\n"
                                   '    command: ["--config", "/etc/acme/serve.yaml"]\n'
                                   "    volumes: [./serve.yaml:/etc/acme/serve.yaml:ro]\n"),
        "app/serve.yaml": "model: Qwen/Qwen3-8B\nmax_model_len: 4096\nfoo: 1\nbar: 2\nbaz: 3\n",
    })
    assert sorted(d.path for d in result.project.deployments) == ["app/docker-compose.yml", "serve/vllm.yaml"]
    assert not [f for f in result.findings if f.span.path == "configs/chat.yaml"]
    assert "configs/chat.yaml" not in {f.path for f in result.project.files}
    [chat] = [d for d in result.project.deployments if d.name == "chat"]
    assert chat.value("max-model-len") == "4096" and Path(chat.config_file).name == "serve.yaml"
