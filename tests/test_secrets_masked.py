"""Secrets never leave vllm-lint: a value a secret rule recognises, or the value of an option or variable that
holds credentials, is masked in every output (the source lines under findings, --diff lines, notes, every
machine format). One project plants a secret in every input kind and every output is scanned for them."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from conftest import write

from vllm_lint.cli import main
from vllm_lint.reporters import FORMATS
from vllm_lint.reporters.secrets import MASK, Masker, values_in_text

SECRETS = {
    "compose": "Y7PSM158SR952HCQ0a1b",  # --api-key in a compose command
    "dotenv": "Kq83JdLx02PzWm55Tt9v",  # VLLM_API_KEY in .env
    "kubernetes": "hf_" + "AbCdEfGhIjKlMnOpQrStUvWx",  # HF_TOKEN env value of a container
    "bearer": "Zb7Yc6Xd5We4Vf3Ug2Th",  # Authorization: Bearer in a healthcheck
    "script": "S9r8Q7p6O5n4M3l2K1j0",  # --api-key in a script
    "config": "Cf1Cf2Cf3Cf4Cf5Cf6Cf7",  # api_key: in a --config file
    "secret": "U2VjcmV0VmFsdWUxMjM0NQ==",  # data of a Kubernetes Secret
}

# Each line holding a secret also holds a suppression that matches nothing (VLL002): a finding on that very line,
# so the text output prints the line under it.
FILES = {
    "compose.yaml": f"""
        services:
          llm:
            image: vllm/vllm-openai:v0.11.0
            environment:
              - HUGGING_FACE_HUB_TOKEN=${{HUGGING_FACE_HUB_TOKEN:-}}
              - VLLM_API_KEY=${{VLLM_API_KEY}}
            command: --model Qwen/Qwen3-8B --api-key {SECRETS['compose']} --config /cfg/vllm.yaml --bogus-flag
            volumes: ["./cfg:/cfg"]
            healthcheck:
              test: ["CMD", "curl", "-H", "Authorization: Bearer {SECRETS['bearer']}", "http://localhost:8000/health"]  # vllm-lint: disable=VLL203
        """,
    ".env": f"VLLM_API_KEY={SECRETS['dotenv']}  # vllm-lint: disable=VLL203\nHUGGING_FACE_HUB_TOKEN=\n",
    "cfg/vllm.yaml": f"api_key: {SECRETS['config']}  # vllm-lint: disable=VLL203\nmax_model_len: 4096\nbogus_key: 1\n",
    "k8s/pod.yaml": f"""
        apiVersion: v1
        kind: Secret
        metadata: {{name: s}}
        data:
          token: {SECRETS['secret']}  # vllm-lint: disable=VLL203
        ---
        apiVersion: v1
        kind: Pod
        metadata: {{name: vllm}}
        spec:
          containers:
          - name: vllm
            image: vllm/vllm-openai:v0.11.0
            args: ["--model", "Qwen/Qwen3-8B", "--bogus-k8s"]
            env:
            - name: HF_TOKEN
              value: {SECRETS['kubernetes']}  # vllm-lint: disable=VLL203
            - name: VLLM_API_KEY
              value: "{SECRETS['kubernetes']}x"
        """,
    "start.sh": f"#!/bin/sh\nexport HF_TOKEN={SECRETS['kubernetes']}  # vllm-lint: disable=VLL203\nvllm serve Qwen/Qwen3-8B --api-key {SECRETS['script']} --bogus-sh\n",
}


def _leaks(text: str) -> list[str]:
    return [name for name, value in SECRETS.items() if value in text or value.rstrip("=") in text]


@pytest.fixture
def project(tmp_path, monkeypatch):
    write(tmp_path, FILES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_output_format_prints_a_planted_secret(project, fmt):
    out = CliRunner().invoke(main, [".", "--offline", "--format", fmt, "--select", "ALL", "-v"])
    assert out.exit_code == 1, out.output
    assert "VLL" in out.output  # findings were reported, over the files holding the secrets
    assert _leaks(out.output) == [], out.output


def test_text_output_shows_the_lines_with_the_secret_masked(project):
    out = CliRunner().invoke(main, [".", "--offline", "--select", "ALL"])
    assert _leaks(out.output) == []
    assert f"--api-key {MASK}" in out.output  # the line under the finding is shown, the key is not
    assert "--bogus-flag" in out.output


def test_diff_masks_changed_and_context_lines(project):
    out = CliRunner().invoke(main, [".", "--offline", "--diff", "--select", "VLL110"])
    assert "HF_TOKEN=" in out.output  # the rename the fix makes is shown
    assert _leaks(out.output) == [], out.output


def test_values_recognised_and_left_alone():
    found = values_in_text('HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyz\n--api-key=abc123xyz9 --max-num-batched-tokens 8192\n'
                           'MY_SECRET: "s3cr3t-value"\nVLLM_API_KEY=${VLLM_API_KEY}\nAuthorization: Bearer tok3n-value\n'
                           '--tokenizer Qwen/Qwen3-8B --hf-token hf_zzzzzzzzzzzzzzzzzzzzzz\nMODEL=Qwen/Qwen3-8B\n')
    assert {"hf_abcdefghijklmnopqrstuvwxyz", "abc123xyz9", "s3cr3t-value", "tok3n-value",
            "hf_zzzzzzzzzzzzzzzzzzzzzz"} <= found
    assert not found & {"8192", "Qwen/Qwen3-8B", "${VLLM_API_KEY}"}
    mask = Masker({"abc\"12|3xyz"})
    assert mask('"abc\\"12|3xyz"') == f'"{MASK}"'  # JSON-escaped
    assert mask("| abc\"12\\|3xyz |") == f"| {MASK} |"  # Markdown-escaped
