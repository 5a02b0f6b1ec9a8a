"""Baseten Truss config.yaml with a custom server (loaders/truss.py)."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import truss
from vllm_lint.loaders.context import LoadContext

CONFIG = """
    model_name: acme-chat
    base_image:
      image: vllm/vllm-openai:v0.10.2
    docker_server:
      start_command: sh -c "vllm serve Qwen/Qwen3-8B --tensor-parallel-size 2 --max-model-len 16384 --port 8000"
      readiness_endpoint: /health
      liveness_endpoint: /health
      predict_endpoint: /v1/chat/completions
      server_port: 8000
    resources:
      accelerator: A100:2
      use_gpu: true
    environment_variables:
      VLLM_LOGGING_LEVEL: INFO
"""


def test_start_command_resources_and_port(tmp_path):
    write(tmp_path, {"config.yaml": CONFIG})
    [d] = truss.load(tmp_path / "config.yaml", LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader()))
    assert d.name == "acme-chat (docker_server)" and d.source_format == "truss" and d.version == "0.10.2"
    assert d.model == "Qwen/Qwen3-8B" and d.tensor_parallel == 2 and d.gpus[0].count == 2
    assert d.gpu_product == "a100-40gb-sxm4" and d.env["VLLM_LOGGING_LEVEL"].value == "INFO"
    assert d.arg("max-model-len").value_span.line == 5


def test_server_port_that_vllm_does_not_listen_on(tmp_path):
    result = lint(tmp_path, {"config.yaml": CONFIG.replace("server_port: 8000", "server_port: 8080")})
    assert {(f.code, f.span.line) for f in result.findings if "8080" in f.message} == {("VLL103", 9)}  # on server_port


def test_broken_config(tmp_path):
    assert "VLL001" in codes(lint(tmp_path, {"config.yaml": "docker_server:\n  start_command: [vllm serve\n"}))
