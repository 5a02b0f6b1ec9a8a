"""Issue 14: Dockerfiles — ``CMD [...]`` arguments on ``FROM vllm/vllm-openai`` (whose inherited ENTRYPOINT is
``vllm serve``), multi-stage builds (each stage that sets its own command is an image), ``ARG VLLM_VERSION``
used in ``FROM``, an image's own server ENTRYPOINT."""
from conftest import codes, lint


def test_cmd_arguments_on_the_vllm_image_with_arg_in_from_and_stages(tmp_path):
    result = lint(tmp_path, {"Dockerfile": """\
        ARG VLLM_VERSION=v0.11.0
        FROM python:3.12-slim AS assets
        RUN mkdir -p /assets
        FROM vllm/vllm-openai:${VLLM_VERSION}
        COPY --from=assets /assets /assets
        ENV VLLM_LOGGING_LEVEL=INFO
        CMD ["--model", "google/gemma-3-4b-it", "--tensor-parallel-size", "1", "--max-model-len", "8192"]
        """})
    [d] = result.project.deployments
    assert (d.kind, d.launcher, d.model, d.value("max-model-len")) == ("script", "image entrypoint", "google/gemma-3-4b-it", "8192")
    assert d.version == "0.11.0" and "ARG" in d.version_source and "Dockerfile:4" in d.version_source
    assert (d.arg("max-model-len").value_span.line, d.arg("max-model-len").value_span.column) == (7, 92)
    assert d.env["VLLM_LOGGING_LEVEL"].value == "INFO"
    assert codes(result) == []


def test_cmd_with_an_unknown_option_is_reported_at_its_line(tmp_path):
    result = lint(tmp_path, {"Dockerfile": 'FROM vllm/vllm-openai:v0.11.0\nCMD ["Qwen/Qwen3-8B", "--max-model-length", "8192"]\n'})
    [f] = result.findings
    assert (f.code, f.span.line, f.span.column) == ("VLL201", 2, 24)


def test_entrypoint_the_image_defines_and_the_base_one_redeclared(tmp_path):
    result = lint(tmp_path, {
        "own/Dockerfile": 'FROM nvidia/cuda:12.8.1-runtime-ubuntu22.04\nRUN pip install vllm==0.9.2\n'
                          'ENTRYPOINT ["python3", "-m", "vllm.entrypoints.openai.api_server"]\n',
        "same/Dockerfile": 'FROM vllm/vllm-openai:v0.11.0\nRUN pip install nixl\nENTRYPOINT ["vllm", "serve"]\n',
        "plain/Dockerfile": 'FROM vllm/vllm-openai:v0.11.0\nRUN pip install opentelemetry-sdk\n'})
    [d] = result.project.deployments  # the image's own server; re-declaring the base's `vllm serve` defines nothing
    assert d.path == "own/Dockerfile" and d.launcher == "api_server" and d.version == "0.9.2"


def test_the_final_stage_and_a_target_stage(tmp_path):
    result = lint(tmp_path, {"Dockerfile": """\
        FROM vllm/vllm-openai:v0.10.2 AS serve
        CMD ["Qwen/Qwen3-8B", "--port", "8000"]
        FROM serve AS debug
        RUN pip install debugpy
        FROM serve AS small
        CMD ["Qwen/Qwen3-0.6B", "--port", "8001"]
        """})
    assert sorted(d.model for d in result.project.deployments) == ["Qwen/Qwen3-0.6B", "Qwen/Qwen3-8B"]  # debug inherits serve's


def test_an_unreadable_dockerfile_is_reported(tmp_path):
    result = lint(tmp_path, {"Dockerfile": b"FROM vllm/vllm-openai:v0.11.0\nCMD [\"caf\xe9\"]\n"})
    assert "VLL001" in codes(result) and result.project.deployments == []
