"""VLL502 unknown-env-variable, VLL503 invalid-env-value, VLL504 deprecated-env-variable, from knowledge/vllm/envs.yaml."""
from __future__ import annotations

import json

import yaml
from conftest import REPO, lint

from vllm_lint.vllm import envs


def test_envs_table_validates():
    import jsonschema

    data = yaml.safe_load((REPO / "knowledge" / "vllm" / "envs.yaml").read_text())
    jsonschema.validate(data, json.loads((REPO / "knowledge" / "schemas" / "vllm_envs.schema.json").read_text()))
    assert data["releases"][0] == "0.6.0" and data["releases"][-1] == "0.33.0"


def test_reading_values_as_the_release_does():
    sampler = envs.spec("VLLM_USE_FLASHINFER_SAMPLER", "0.11.0")
    assert envs.parse(sampler, "1") is True and envs.parse(sampler, "0") is False
    try:
        envs.parse(sampler, "true")
    except envs.EnvValueError as exc:
        assert "invalid literal for int() with base 10: 'true'" in str(exc)
    else:
        raise AssertionError("bool(int('true')) raises")
    method = envs.spec("VLLM_WORKER_MULTIPROC_METHOD", "0.11.0")
    assert envs.parse(method, "spawn") == "spawn"
    assert envs.spec("VLLM_WORKER_MULTIPROC_METHOD", "0.10.2").type == "str"  # no choices before 0.11.0
    assert envs.spec("VLLM_USE_V1", "0.11.1") is None and envs.spec("VLLM_USE_V1", "0.11.0") is not None


def _messages(result, code):
    return [f.message for f in result.findings if f.code == code]


def test_removed_typo_later_and_project_variables(tmp_path):
    result = lint(tmp_path, {
        ".env": "VLLM_PORT_MINI=5001\n",
        "compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.15.0
            env_file: [.env]
            ports: ["${VLLM_PORT_MINI}:8000"]
            environment:
              VLLM_ATTENTION_BACKEND: FLASHINFER
              VLLM_USE_FLASHINFER_SAMPLR: "0"
              VLLM_WSL2_ENABLE_PIN_MEMORY: "1"
              VLLM_NOT_A_THING: "1"
            command: ["Qwen/Qwen3-8B"]
        """}, select=["VLL502"])
    messages = _messages(result, "VLL502")
    assert any(m.startswith("VLLM_ATTENTION_BACKEND was removed in 0.15.0 (last in 0.14.1)") and
               "--attention-config" in m and "vllm/config/attention.py:83 (0.13.0)" in m for m in messages)
    assert any("did you mean VLLM_USE_FLASHINFER_SAMPLER?" in m for m in messages)
    assert any(m.startswith("VLLM_WSL2_ENABLE_PIN_MEMORY is not a variable of vLLM 0.15.0: it first appears in 0.24.0")
               for m in messages)
    assert not any("VLLM_PORT_MINI" in m for m in messages)  # interpolated into the file: the project's own
    assert not any("VLLM_NOT_A_THING" in m for m in messages)  # 0.15.0 says nothing about unknown names
    typo = next(f for f in result.findings if "SAMPLR" in f.message)
    assert typo.fix is not None and typo.fix.edits[0].replacement == "VLLM_USE_FLASHINFER_SAMPLER"


def test_unknown_name_is_information_where_vllm_warns(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.20.0
            environment: ["VLLM_NOT_A_THING=1"]
            command: ["Qwen/Qwen3-8B"]
    """}, select=["VLL502"])
    [finding] = result.findings
    assert finding.severity == "info" and "Unknown vLLM environment variable detected: VLLM_NOT_A_THING" in finding.message


def test_invalid_values_and_their_fixes(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.11.0
            environment:
              VLLM_USE_FLASHINFER_SAMPLER: "false"
              VLLM_WORKER_MULTIPROC_METHOD: Spawn
              VLLM_LOGGING_LEVEL: debug
              VLLM_ENGINE_ITERATION_TIMEOUT_S: "${TIMEOUT}"
            command: ["Qwen/Qwen3-8B"]
    """}, select=["VLL503"])
    by_name = {f.message.split("=", 1)[0].split()[-1]: f for f in result.findings}
    assert set(by_name) == {"VLLM_USE_FLASHINFER_SAMPLER", "VLLM_WORKER_MULTIPROC_METHOD"}
    sampler = by_name["VLLM_USE_FLASHINFER_SAMPLER"]
    assert "invalid literal for int() with base 10: 'false'" in sampler.message
    assert sampler.fix.safe and sampler.fix.edits[0].replacement == "0"
    method = by_name["VLLM_WORKER_MULTIPROC_METHOD"]
    assert "Valid options: ['spawn', 'fork']" in method.message and method.fix.edits[0].replacement == "spawn"


def test_valid_values_are_quiet(tmp_path):
    result = lint(tmp_path, {"compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.11.0
            environment:
              VLLM_USE_FLASHINFER_SAMPLER: "0"
              VLLM_WORKER_MULTIPROC_METHOD: spawn
            command: ["Qwen/Qwen3-8B"]
    """}, select=["VLL502", "VLL503", "VLL504"])
    assert result.findings == []


def test_deprecated_variables(tmp_path):
    files = {"compose.yaml": """
        services:
          a:
            image: vllm/vllm-openai:v0.22.0
            environment: ["VLLM_USE_FLASHINFER_MOE_FP8=1"]
            command: ["Qwen/Qwen3-8B"]
          b:
            image: vllm/vllm-openai:v0.21.0
            environment: ["VLLM_USE_FLASHINFER_MOE_FP8=1"]
            command: ["Qwen/Qwen3-8B"]
          c:
            image: vllm/vllm-openai:v0.13.0
            environment: ["VLLM_ATTENTION_BACKEND=FLASH_ATTN", "VLLM_HOST_IP=10.0.0.1"]
            command: ["Qwen/Qwen3-8B"]
    """}
    result = lint(tmp_path, files, select=["VLL504"])
    messages = sorted((f.deployment, f.message) for f in result.findings)
    assert [d for d, _ in messages] == ["a", "c"]
    assert "Use --moe-backend" in messages[0][1] and "v0.23" in messages[0][1]
    assert "VLLM_ATTENTION_BACKEND is deprecated in vLLM 0.13.0" in messages[1][1]  # VLLM_HOST_IP is not (HOST_IP is)


def test_script_exports_and_kubernetes_env(tmp_path):
    result = lint(tmp_path, {
        "start.sh": """
            #!/bin/bash
            export VLLM_USE_FLASHINFER_SAMPLER=true
            export VLLM_LOGGING_LEVEL=${LEVEL:-INFO}
            export CUDA_VISIBLE_DEVICES=0
            pip install vllm==0.11.0
            vllm serve Qwen/Qwen3-8B
        """,
        "k8s.yaml": """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: ["Qwen/Qwen3-8B"]
                  env:
                    - {name: VLLM_USE_FLASHINFER_SAMPLR, value: "0"}
                    - {name: VLLM_WORKER_MULTIPROC_METHOD, value: "$(METHOD)"}
        """}, select=["VLL502", "VLL503"])
    found = sorted((f.span.path, f.code) for f in result.findings)
    assert found == [("k8s.yaml", "VLL502"), ("start.sh", "VLL503")]
