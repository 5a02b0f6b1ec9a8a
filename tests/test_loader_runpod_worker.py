"""Issue 14: RunPod's vLLM worker — an image whose Python entrypoint (``main.py``) starts ``vllm serve`` with the
arguments it builds from the environment (``MAX_MODEL_LEN=4096`` -> ``--max-model-len 4096``, ``MODEL_NAME`` ->
the model, booleans as ``--flag`` / ``--no-flag``, ``VLLM_EXTRA_ARGS`` last). The Dockerfile alone is a launch whose
endpoint environment is unknown; a compose service of the worker's image is read with its environment."""
from conftest import codes, lint

WORKER = """\
    ARG VLLM_VERSION=v0.10.2
    FROM vllm/vllm-openai:${VLLM_VERSION}
    COPY builder/requirements.txt /requirements.txt
    RUN python3 -m pip install --no-cache-dir -r /requirements.txt
    ARG MODEL_NAME=""
    ARG BASE_PATH="/runpod-volume"
    ENV MODEL_NAME=$MODEL_NAME \\
        BASE_PATH=$BASE_PATH \\
        HF_HOME="${BASE_PATH}/huggingface-cache/hub"
    COPY src /src
    ENTRYPOINT ["python3", "/src/main.py"]
    """


def test_the_worker_dockerfile_is_a_launch_whose_endpoint_environment_is_unknown(tmp_path):
    result = lint(tmp_path, {"Dockerfile": WORKER})
    [d] = result.project.deployments
    assert d.path == "Dockerfile" and d.launcher == "vllm serve" and d.version == "0.10.2"
    assert d.via.startswith("RunPod worker-vllm: python3 /src/main.py")
    assert (d.value("host"), d.value("port")) == ("127.0.0.1", "8000")
    assert d.unknown("model")  # MODEL_NAME=$MODEL_NAME: set when the image is built, or by the endpoint
    assert "the endpoint's environment" in d.runtime_values
    assert codes(result) == []  # nothing reported missing that the endpoint may set
    assert not result.project.launchless


def test_a_compose_service_of_the_worker_image_is_read_from_its_environment(tmp_path):
    result = lint(tmp_path, {"docker-compose.yml": """\
        services:
          worker:
            image: runpod/worker-v1-vllm:v2.7.0
            environment:
              MODEL_NAME: Qwen/Qwen3-8B
              MAX_MODEL_LEN: "8192"
              TENSOR_PARALLEL_SIZE: "2"
              ENFORCE_EAGER: "false"
              TRUST_REMOTE_CODE: "1"
              MAX_NUM_BATCHED_TOKENS: "0"
              GPU_MEMORY_UTILIZATION: ""
              PORT: "9000"
              VLLM_EXTRA_ARGS: "--max-num-seqs 32 --max-model-len 4096"
            deploy:
              resources:
                reservations:
                  devices: [{driver: nvidia, count: 2, capabilities: [gpu]}]
        """})
    [d] = result.project.deployments
    assert (d.model, d.tensor_parallel) == ("Qwen/Qwen3-8B", 2)
    assert d.number("max-model-len", int) == 4096  # VLLM_EXTRA_ARGS comes last and wins
    assert d.flag_set("trust-remote-code") and not d.flag_set("enforce-eager")
    assert d.value("max-num-batched-tokens") is None  # 0 means "leave it to vLLM"
    assert d.value("gpu-memory-utilization") is None  # an empty value is skipped
    assert d.value("port") == "8000"  # PORT is reserved: main.py pins host and port
    model = d.model_arg.value_span
    assert (model.path, model.line) == ("docker-compose.yml", 5)  # findings point at the variable
    tp = d.arg("tensor-parallel-size")
    assert tp.flag_span.line == 7


def test_a_misspelled_value_is_reported_at_its_variable(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """\
        services:
          worker:
            image: runpod/worker-v1-vllm:v2.7.0
            environment:
              - MODEL_NAME=Qwen/Qwen3-8B
              - TENSOR_PARALLEL_SIZE=two
        """})
    findings = [f for f in result.findings if f.code == "VLL202"]
    assert findings and findings[0].span.line == 6


def test_an_invalid_boolean_is_said(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """\
        services:
          worker:
            image: runpod/worker-v1-vllm:v2.7.0
            environment: {MODEL_NAME: Qwen/Qwen3-8B, ENFORCE_EAGER: "maybe"}
        """})
    [d] = result.project.deployments
    assert any("ENFORCE_EAGER='maybe' is not a boolean" in n for n in d.notes)


def test_other_python_entrypoints_on_the_vllm_image_are_not_this_worker(tmp_path):
    other = WORKER.replace("runpod-volume", "data").replace("python3 -m pip", "pip")
    result = lint(tmp_path, {"Dockerfile": other.replace('ENV MODEL_NAME', 'ENV X')})
    assert result.project.deployments == []
    [entry] = result.project.launchless  # still said: a launcher in code vllm-lint does not read
    assert "launcher in code" in entry.unread[0][1]


def test_docker_run_of_the_worker_image(tmp_path):
    result = lint(tmp_path, {"run.sh": (
        "#!/bin/bash\ndocker run --gpus all -p 8000:8000 \\\n  -e MODEL_NAME=Qwen/Qwen3-8B -e MAX_MODEL_LEN=8192 \\\n"
        "  runpod/worker-v1-vllm:v2.7.0\n")})
    [d] = result.project.deployments
    assert (d.kind, d.model, d.number("max-model-len", int)) == ("docker-run", "Qwen/Qwen3-8B", 8192)
    assert (d.value("host"), d.value("port")) == ("127.0.0.1", "8000")  # what main.py passes
