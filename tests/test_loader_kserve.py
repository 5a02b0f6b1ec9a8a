"""KServe LLMInferenceService / LLMInferenceServiceConfig and the huggingfaceserver runtime (loaders/kserve_llm.py)."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import kubernetes
from vllm_lint.loaders.context import LoadContext

LLMISVC = """
    apiVersion: serving.kserve.io/v1alpha1
    kind: LLMInferenceServiceConfig
    metadata:
      name: long-context
    spec:
      template:
        containers:
          - name: main
            env:
              - name: VLLM_ADDITIONAL_ARGS
                value: "--max-model-len 16384 --enable-prefix-caching"
    ---
    apiVersion: serving.kserve.io/v1alpha1
    kind: LLMInferenceService
    metadata:
      name: acme-chat
    spec:
      baseRefs: [{name: long-context}, {name: elsewhere}]
      model:
        uri: hf://Qwen/Qwen3-8B
        name: acme
      parallelism:
        tensor: 2
      template:
        containers:
          - name: main
            image: vllm/vllm-openai:v0.11.0
            args: ["--max-num-seqs", "64"]
            resources:
              limits:
                nvidia.com/gpu: "2"
"""


def load(tmp_path, text):
    write(tmp_path, {"isvc.yaml": text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return kubernetes.load(tmp_path / "isvc.yaml", ctx)


def test_llm_inference_service_with_its_base_config(tmp_path):
    [d] = load(tmp_path, LLMISVC)  # the referenced config is a base, not a launch
    assert d.name == "LLMInferenceService/acme-chat" and d.source_format == "kserve" and d.launcher == "vllm serve"
    assert d.model == "Qwen/Qwen3-8B" and d.value("served-model-name") == "acme" and d.value("port") == "8000"
    assert d.tensor_parallel == 2 and d.arg("tensor-parallel-size").value_span.line == 23
    assert d.version == "0.11.0" and d.gpus[0].count == 2 and d.value("max-num-seqs") == "64"
    # VLLM_ADDITIONAL_ARGS of the base config (merged under the service), on the config's line
    assert d.value("max-model-len") == "16384" and d.arg("max-model-len").flag_span.line == 11
    assert d.arg("enable-prefix-caching") is not None
    assert any("elsewhere" in n for n in d.notes)  # a baseRef outside the file is named


def test_prefill_workload_is_a_second_launch(tmp_path):
    text = LLMISVC + """
      prefill:
        parallelism: {tensor: 1}
        template:
          containers:
            - name: main
              image: vllm/vllm-openai:v0.11.0
              resources: {limits: {nvidia.com/gpu: "1"}}
    """
    decode, prefill = load(tmp_path, text)
    assert prefill.name.endswith("/prefill") and prefill.tensor_parallel == 1 and decode.tensor_parallel == 2


def test_vllm_additional_args_are_read(tmp_path):
    [d] = load(tmp_path, """
        apiVersion: serving.kserve.io/v1alpha2
        kind: LLMInferenceService
        metadata: {name: tools}
        spec:
          model: {uri: "pvc://models/qwen", name: qwen}
          template:
            containers:
              - name: main
                env:
                  - name: VLLM_ADDITIONAL_ARGS
                    value: "--enable-auto-tool-choice --tool-call-parser=hermes"
    """)
    assert d.model == "/mnt/models" and d.value("tool-call-parser") == "hermes"
    assert d.arg("enable-auto-tool-choice").flag_span.line == 11


def test_huggingfaceserver_with_the_vllm_backend(tmp_path):
    [d] = load(tmp_path, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: hf-chat}
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              args:
                - --model_name=hf-chat
                - --model_id=Qwen/Qwen3-8B
                - --backend=vllm
                - --max_length=8192
                - --gpu-memory-utilization=0.85
              resources: {limits: {nvidia.com/gpu: "1"}}
    """)
    assert d.model == "Qwen/Qwen3-8B" and d.value("served-model-name") == "hf-chat"
    assert d.value("max-model-len") == "8192" and d.value("gpu-memory-utilization") == "0.85"
    assert d.arg("backend") is None and d.arg("model-name") is None  # the server's own flags are not vLLM's


def test_huggingfaceserver_other_backend_is_not_vllm(tmp_path):
    assert load(tmp_path, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: hf}
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              args: [--model_id=bert-base-uncased, --backend=huggingface]
    """) == []


def test_no_unknown_option_on_server_flags_and_broken_file(tmp_path):
    result = lint(tmp_path, {"isvc.yaml": """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: hf-chat}
        spec:
          predictor:
            model:
              modelFormat: {name: huggingface}
              args: [--model_name=hf-chat, --model_id=Qwen/Qwen3-8B, --backend=vllm, --no-such-flag]
              resources: {limits: {nvidia.com/gpu: "1"}}
    """})
    assert [f.message.split()[0] for f in result.findings if f.code == "VLL201"] == ["--no-such-flag"]
    assert "VLL001" in codes(lint(tmp_path / "b", {"isvc.yaml": "apiVersion: serving.kserve.io/v1alpha1\nkind: LLMInferenceService\nspec: [\n"}))
