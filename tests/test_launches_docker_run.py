"""Issue 14: ``docker run … vllm/vllm-openai:TAG [args]`` in a script (``podman run``, ``nerdctl run``): the
container's options read as a compose service's would be — ports, volumes, environment, GPUs, ipc, shm."""
from conftest import codes, lint

START = """\
#!/bin/bash
docker run -d --name acme-chat --gpus all --ipc=host -p 8000:8000 \\
  -v "$HOME/.cache/huggingface:/root/.cache/huggingface" -e HF_TOKEN -e VLLM_LOGGING_LEVEL=INFO \\
  vllm/vllm-openai:v0.10.2 \\
  --model Qwen/Qwen3-8B --tensor-parallel-size 2
podman run --rm --device nvidia.com/gpu=all -p 8001:8000 --shm-size 8g docker.io/vllm/vllm-openai:v0.11.0 Qwen/Qwen3-0.6B
"""


def test_docker_and_podman_run_options_are_read_as_a_service(tmp_path):
    result = lint(tmp_path, {"start.sh": START})
    docker, podman = result.project.deployments
    assert (docker.kind, docker.name, docker.image, docker.version) == ("docker-run", "acme-chat", "vllm/vllm-openai:v0.10.2", "0.10.2")
    assert docker.model == "Qwen/Qwen3-8B" and docker.tensor_parallel == 2 and docker.ipc == "host"
    assert [(p.host, p.container) for p in docker.ports] == [("8000", "8000")]
    assert [(v.source, v.target) for v in docker.volumes] == [(None, "/root/.cache/huggingface")]  # $HOME: the host's
    assert docker.env["HF_TOKEN"].value is None and docker.env["VLLM_LOGGING_LEVEL"].value == "INFO"
    assert [(g.how, g.count) for g in docker.gpus] == [("--gpus", -1)]
    assert (docker.span.line, docker.span.column) == (2, 1)
    assert podman.version == "0.11.0" and podman.model == "Qwen/Qwen3-0.6B" and podman.shm_size == "8g"
    assert [(g.how, g.count) for g in podman.gpus] == [("--device (CDI)", -1)]
    assert "VLL104" not in codes(result)  # host ports 8000 and 8001


def test_gpu_devices_and_env_file(tmp_path):
    result = lint(tmp_path, {"vllm.env": "VLLM_LOGGING_LEVEL=DEBUG\n", "run.sh": (
        "nerdctl run --gpus '\"device=0,1\"' --env-file vllm.env --entrypoint vllm vllm/vllm-openai:v0.11.0 "
        "serve Qwen/Qwen3-8B --tensor-parallel-size 2 --ipc=host\n")})
    [d] = result.project.deployments
    assert d.gpus[0].device_ids == ["0", "1"] and d.env["VLLM_LOGGING_LEVEL"].value == "DEBUG"
    assert d.launcher == "vllm serve"


def test_missing_shared_memory_is_reported_on_a_docker_run(tmp_path):
    result = lint(tmp_path, {"start.sh": "docker run --gpus all vllm/vllm-openai:v0.11.0 Qwen/Qwen3-8B --tensor-parallel-size 2\n"})
    assert codes(result) == ["VLL109"]


def test_other_images_and_other_commands_are_not_launches(tmp_path):
    result = lint(tmp_path, {"start.sh": (
        "docker run -d -p 8080:80 nginx:1.27\n"
        "docker pull vllm/vllm-openai:v0.11.0\n"
        "docker run --gpus all ghcr.io/ggml-org/llama.cpp:server -m /models/x.gguf --port 8080\n")})
    assert result.project.deployments == []


def test_a_broken_docker_run_line_is_reported(tmp_path):
    result = lint(tmp_path, {"start.sh": "docker run --gpus all vllm/vllm-openai:v0.11.0 --model 'Qwen/Qwen3-8B\n"})
    assert sorted(codes(result)) == ["VLL001", "VLL004"]  # the quote never closes; so the folder has no launch read
    assert "start.sh (cannot be read" in next(f.message for f in result.findings if f.code == "VLL004")
