"""Issue 14: launches in custom images — a compose ``build:`` whose Dockerfile starts from vLLM's image or
installs vLLM, an args-only command given vLLM's options with GPUs, Kubernetes containers of templated or
custom images, and the configuration's ``vllm-images``. The vLLM release comes from the Dockerfile, and
says so."""
from conftest import codes, lint

from vllm_lint.config import Settings

DEVICES = "    deploy:\n      resources:\n        reservations:\n          devices: [{driver: nvidia, count: 2, capabilities: [gpu]}]\n"


def launches(result):
    return result.project.deployments


def test_build_from_the_vllm_image_runs_the_command_as_vllm_serve_arguments(tmp_path):
    result = lint(tmp_path, {
        "engine/Dockerfile": "FROM vllm/vllm-openai:v0.10.2\nRUN pip install --no-cache-dir acme-telemetry==1.4.0\n",
        "docker-compose.yml": ("services:\n  engine:\n    build: ./engine\n"
                               '    command: ["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]\n'
                               "    ipc: host\n" + DEVICES)})
    [d] = launches(result)
    assert (d.kind, d.name, d.model, d.tensor_parallel, d.launcher) == ("compose", "engine", "Qwen/Qwen3-8B", 2, "image entrypoint")
    assert d.version == "0.10.2" and d.version_source == "FROM vllm/vllm-openai:v0.10.2 in engine/Dockerfile:1"
    assert "engine/Dockerfile" in d.via and "engine/Dockerfile" in d.depends_on_files
    assert codes(result) == []  # the Dockerfile is read with the service, not as a launch of its own


def test_build_that_installs_vllm_with_its_entrypoint_and_target_stage(tmp_path):
    result = lint(tmp_path, {
        "engine/Dockerfile.gpu": (
            "ARG VLLM=0.9.2\nFROM nvidia/cuda:12.8.1-runtime-ubuntu22.04 AS base\n"
            "RUN apt-get update && apt-get install -y python3-pip\n"
            "FROM base AS serve\nARG VLLM\nRUN uv pip install --system \"vllm==${VLLM}\"\nENTRYPOINT [\"vllm\", \"serve\"]\n"
            "FROM base AS tools\nCMD [\"bash\"]\n"),
        "compose.yaml": ("services:\n  engine:\n    build: {context: ./engine, dockerfile: Dockerfile.gpu, target: serve}\n"
                         "    image: registry.acme.dev/ml/acme-engine:2025.07\n"
                         '    command: ["Qwen/Qwen3-8B", "--max-model-length", "16384"]\n' + DEVICES.replace("count: 2", "count: 1"))})
    [d] = launches(result)
    assert d.model == "Qwen/Qwen3-8B" and d.launcher == "vllm serve"
    assert d.version == "0.9.2" and d.version_source == "pip install vllm==0.9.2 in engine/Dockerfile.gpu:6"
    assert d.image == "registry.acme.dev/ml/acme-engine:2025.07"
    assert codes(result) == ["VLL201"]  # --max-model-length is checked: the launch is read, not skipped


def test_build_of_another_server_is_not_a_launch(tmp_path):
    result = lint(tmp_path, {
        "app/Dockerfile": "FROM python:3.12-slim\nRUN pip install vllm-router\nCMD [\"python\", \"app.py\"]\n",
        "compose.yaml": "services:\n  app:\n    build: ./app\n    command: [\"--port\", \"8000\"]\n"})
    assert launches(result) == []


def test_args_only_command_of_a_custom_image_with_gpus(tmp_path):
    good = ("services:\n  llm:\n    image: registry.acme.dev/ml/serving:0.5.1\n"  # the image's own version, not vLLM's
            '    command: ["--model", "Qwen/Qwen3-8B", "--max-model-len", "8192", "--gpu-memory-utilization", "0.85"]\n'
            + DEVICES.replace("count: 2", "count: 1"))
    [d] = launches(lint(tmp_path / "a", {"compose.yaml": good}))
    assert d.model == "Qwen/Qwen3-8B" and d.launcher == "custom image entrypoint" and d.version is None
    # the same options without GPUs, or options vLLM does not have (llama.cpp's): another server
    no_gpus = good.split("    deploy:")[0]
    assert launches(lint(tmp_path / "b", {"compose.yaml": no_gpus})) == []
    llama = good.replace('"--max-model-len", "8192", "--gpu-memory-utilization", "0.85"', '"--n-gpu-layers", "99", "--ctx-size", "8192"')
    assert launches(lint(tmp_path / "c", {"compose.yaml": llama})) == []
    generic = good.replace(', "--max-model-len", "8192", "--gpu-memory-utilization", "0.85"', ', "--port", "8080"')
    assert launches(lint(tmp_path / "d", {"compose.yaml": generic})) == []  # options every server has say nothing


def test_vllm_images_in_the_configuration(tmp_path):
    compose = 'services:\n  llm:\n    image: myorg/vllm-serving:1.4\n    command: ["Qwen/Qwen3-8B", "--tensor-parallel-size", "1"]\n'
    assert launches(lint(tmp_path / "a", {"compose.yaml": compose})) == []
    settings = Settings(root=tmp_path / "b", offline=True, vllm_images=["myorg/vllm-*"])
    [d] = launches(lint(tmp_path / "b", {"compose.yaml": compose}, settings=settings))
    assert d.model == "Qwen/Qwen3-8B" and d.launcher == "custom image entrypoint"


def test_vllm_images_is_validated(tmp_path):
    import pytest

    from vllm_lint import config

    (tmp_path / ".vllm-lint.yaml").write_text('vllm-images: ["myorg/vllm-*"]\n')
    assert config.load(tmp_path / ".vllm-lint.yaml").vllm_images == ["myorg/vllm-*"]
    (tmp_path / ".vllm-lint.yaml").write_text("vllm-images: myorg/vllm-*\n")
    with pytest.raises(config.ConfigError, match="vllm-images"):
        config.load(tmp_path / ".vllm-lint.yaml")


KUBE = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: acme-chat}
spec:
  template:
    spec:
      containers:
        - name: engine
          image: IMAGE
          args: ARGS
          resources:
            limits:
              nvidia.com/gpu: GPUS
"""


def test_kubernetes_custom_image_whose_args_are_vllm_options(tmp_path):
    manifest = KUBE.replace("IMAGE", "registry.acme.dev/ml/vllm-custom:2025.07").replace(
        "ARGS", '["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]').replace("GPUS", '"2"')
    result = lint(tmp_path, {"deploy.yaml": manifest})
    [d] = launches(result)
    assert (d.name, d.model, d.tensor_parallel, d.version) == ("Deployment/acme-chat/engine", "Qwen/Qwen3-8B", 2, None)
    assert codes(result) == ["VLL109"]  # two workers and no /dev/shm volume: checked like any launch
    assert not any(f.code == "VLL203" for f in result.findings)  # its entrypoint is not known: --model is not judged


def test_kubernetes_templated_image_and_values_are_unknown_not_empty(tmp_path):
    manifest = KUBE.replace("IMAGE", "${VLLM_IMAGE}").replace(
        "ARGS", '["--model", "${MODEL_ID}", "--tensor-parallel-size", "${GPU_COUNT}", "--max-model-len", "8192"]'
    ).replace("GPUS", '"${GPU_COUNT}"')
    result = lint(tmp_path, {"deploy.yaml": manifest})
    [d] = launches(result)
    assert d.unknown("model") and d.unknown("tensor-parallel-size") and d.value("max-model-len") == "8192"
    assert codes(result) == []  # no VLL101 (envsubst, not compose), no VLL001 for the templated GPU count
    assert any("set at run time, not checked: MODEL_ID, GPU_COUNT" in n for n in result.notes)


def test_kubernetes_other_servers_are_not_launches(tmp_path):
    tgi = KUBE.replace("IMAGE", "ghcr.io/huggingface/text-generation-inference:2.4").replace(
        "ARGS", '["--model-id", "Qwen/Qwen3-8B", "--num-shard", "2"]').replace("GPUS", '"2"')
    no_image = KUBE.replace("          image: IMAGE\n", "").replace(  # a patch: no image, never a launch
        "ARGS", '["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]').replace("GPUS", '"2"')
    assert launches(lint(tmp_path, {"tgi.yaml": tgi, "patch.yaml": no_image})) == []
