"""Issue 14: Kubernetes containers that ``pip install vllm`` in a ``bash -c`` script and start it on any
image (``-exc`` too), and initContainers that download the model (noted with the launch)."""
from conftest import codes, lint

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: acme-decode}
spec:
  template:
    spec:
      initContainers:
        - name: fetch
          image: python:3.12-slim
          command: ["sh", "-c", "pip install huggingface_hub && huggingface-cli download Qwen/Qwen3-8B --local-dir /models/qwen3-8b"]
      containers:
        - name: engine
          image: ubuntu:22.04
          env:
            - {name: MODEL_ID, value: /models/qwen3-8b}
          command:
            - /bin/bash
            - -exc
            - |
              apt-get update && apt-get install -y python3-pip
              pip install vllm==0.10.2
              python3 -m vllm.entrypoints.openai.api_server --model ${MODEL_ID} --tensor-parallel-size 1 MAXLEN
          resources:
            limits:
              nvidia.com/gpu: "1"
"""


def test_a_script_that_installs_vllm_then_starts_it(tmp_path):
    result = lint(tmp_path, {"deploy.yaml": DEPLOY.replace(" MAXLEN", "")})
    [d] = result.project.deployments
    assert (d.name, d.launcher, d.model) == ("Deployment/acme-decode/engine", "api_server", "/models/qwen3-8b")
    assert d.version == "0.10.2" and "pip install vllm==0.10.2" in d.version_source
    assert d.notes == ["initContainer fetch downloads Qwen/Qwen3-8B to /models/qwen3-8b before vLLM starts"]
    assert any("initContainer fetch downloads Qwen/Qwen3-8B to /models/qwen3-8b" in n for n in result.notes)
    assert codes(result) == []  # ${MODEL_ID} is the container shell's: no VLL101


def test_the_installed_release_judges_the_arguments(tmp_path):
    result = lint(tmp_path, {"deploy.yaml": DEPLOY.replace(" MAXLEN", " --max-model-length 8192")})
    [f] = result.findings
    assert f.code == "VLL201" and "0.10.2" in f.message
