"""KubeAI Model (loaders/kubeai.py): the pod KubeAI's controller makes (engine_vllm.go)."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import kubernetes
from vllm_lint.loaders.context import LoadContext

MODEL = """
    apiVersion: kubeai.org/v1
    kind: Model
    metadata:
      name: qwen3-8b-l4
    spec:
      features: [TextGeneration]
      url: hf://Qwen/Qwen3-8B
      engine: VLLM
      image: vllm/vllm-openai:v0.10.2
      args:
        - --max-model-len=16384
        - --tensor-parallel-size=2
      env:
        VLLM_LOGGING_LEVEL: DEBUG
      resourceProfile: nvidia-gpu-l4:2
"""


def load(tmp_path, text):
    write(tmp_path, {"model.yaml": text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return kubernetes.load(tmp_path / "model.yaml", ctx)


def test_model_is_the_api_server_pod_kubeai_makes(tmp_path):
    [d] = load(tmp_path, MODEL)
    assert d.name == "Model/qwen3-8b-l4" and d.source_format == "kubeai" and d.launcher == "api_server"
    assert d.model == "Qwen/Qwen3-8B" and d.value("served-model-name") == "qwen3-8b-l4"
    assert d.tensor_parallel == 2 and d.value("max-model-len") == "16384"
    assert d.version == "0.10.2" and d.env["VLLM_LOGGING_LEVEL"].value == "DEBUG"
    assert d.gpus[0].count == 2 and d.gpu_product == "l4"  # resourceProfile nvidia-gpu-l4:2 → 2 × L4
    assert any(v.target == "/dev/shm" for v in d.volumes)
    # the model sits on the repository id inside the url
    line = (tmp_path / "model.yaml").read_text().splitlines()[d.model_arg.value_span.line - 1]
    assert line[d.model_arg.value_span.column - 1:d.model_arg.value_span.end_column - 1] == "Qwen/Qwen3-8B"


def test_pvc_url_and_other_engines(tmp_path):
    [d] = load(tmp_path, MODEL.replace("hf://Qwen/Qwen3-8B", "pvc://models/qwen3"))
    assert d.model == "/model" and d.host_path("/model") == "pvc:models"
    assert load(tmp_path, MODEL.replace("engine: VLLM", "engine: OLlama")) == []


def test_tensor_parallel_checked_against_the_profile(tmp_path):
    result = lint(tmp_path, {"model.yaml": MODEL.replace("nvidia-gpu-l4:2", "nvidia-gpu-l4:1")})
    [f] = [f for f in result.findings if f.code == "VLL107"]
    assert f.span.line == 12  # --tensor-parallel-size=2 in spec.args


def test_broken_model_file_and_bad_profile(tmp_path):
    assert "VLL001" in codes(lint(tmp_path, {"model.yaml": "apiVersion: kubeai.org/v1\nkind: Model\nspec: {url: [\n"}))
    result = lint(tmp_path / "p", {"model.yaml": MODEL.replace("nvidia-gpu-l4:2", "nvidia-gpu-l4:two")})
    assert "VLL001" in codes(result)
