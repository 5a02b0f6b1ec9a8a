"""vLLM production-stack Helm values (loaders/production_stack.py): each modelSpec entry is a launch whose words
sit on the values keys that produce them."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import production_stack
from vllm_lint.loaders.context import LoadContext
from vllm_lint.sources.discover import classify

VALUES = """
    servingEngineSpec:
      runtimeClassName: ""
      modelSpec:
        - name: chat
          repository: vllm/vllm-openai
          tag: v0.10.2
          modelURL: Qwen/Qwen3-8B
          requestGPU: 2
          hf_token: hf_xxx
          vllmConfig:
            tensorParallelSize: 2
            maxModelLen: 16384
            dtype: bfloat16
            enableChunkedPrefill: false
            extraArgs: ["--disable-log-requests", "--max-num-seqs", "32"]
          lmcacheConfig:
            enabled: true
        - name: small
          repository: lmcache/vllm-openai
          tag: latest
          modelURL: Qwen/Qwen3-0.6B
          requestGPU: 1
          vllmConfig:
            maxModelLen: 8192
        - name: off
          enabled: false
          repository: vllm/vllm-openai
          tag: v0.10.2
          modelURL: Qwen/Qwen3-0.6B
    routerSpec:
      repository: lmcache/lmstack-router
"""


def load(tmp_path, text):
    write(tmp_path, {"values.yaml": text})
    ctx = LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())
    return production_stack.load(tmp_path / "values.yaml", ctx), ctx


def test_found_by_content_not_by_name(tmp_path):
    write(tmp_path, {"stack-prod.yaml": VALUES, "other.yaml": "servingEngineSpec: {}\nreplicas: 1\n"})
    assert classify(tmp_path / "stack-prod.yaml", (tmp_path / "stack-prod.yaml").read_text()) == "format:helm-values"
    assert classify(tmp_path / "other.yaml", (tmp_path / "other.yaml").read_text()) is None


def test_each_model_spec_is_a_launch_with_the_chart_arguments(tmp_path):
    (chat, small), _ = load(tmp_path, VALUES)  # `enabled: false` starts nothing
    assert chat.name == "modelSpec[0]/chat" and chat.source_format == "helm-values" and chat.kind == "kubernetes"
    assert chat.image == "vllm/vllm-openai:v0.10.2" and chat.version == "0.10.2"
    assert chat.model == "Qwen/Qwen3-8B" and chat.tensor_parallel == 2
    assert chat.value("max-model-len") == "16384" and chat.value("dtype") == "bfloat16"
    assert chat.arg("enable-chunked-prefill").negated and chat.arg("enable-prefix-caching").negated
    assert chat.value("max-num-seqs") == "32" and chat.arg("disable-log-requests") is not None
    assert "LMCacheConnectorV1" in chat.value("kv-transfer-config")
    assert chat.gpus[0].count == 2 and chat.value("port") == "8000"
    assert chat.env["HF_TOKEN"].from_secret and chat.env["HF_TOKEN"].value is None  # the token is never read
    assert any(v.target == "/dev/shm" for v in chat.volumes)  # the chart mounts it with tensorParallelSize
    # spans: the key of the flag, the value as written (rewritable)
    assert chat.arg("max-model-len").flag_span.line == 12 and chat.arg("max-model-len").value_span.line == 12
    assert chat.arg("max-model-len").words[1].quoting == "yaml-plain"
    assert chat.model_arg.value_span.line == 7
    assert small.image == "lmcache/vllm-openai:latest" and small.version is None
    assert not any(v.target == "/dev/shm" for v in small.volumes)


def test_ray_path_passes_pipeline_parallel_and_groups_the_workers(tmp_path):
    [d], _ = load(tmp_path, """
        servingEngineSpec:
          modelSpec:
            - name: pp
              repository: vllm/vllm-openai
              tag: v0.10.2
              modelURL: Qwen/Qwen3-8B
              replicaCount: 1
              requestGPU: 1
              vllmConfig:
                tensorParallelSize: 1
                pipelineParallelSize: 2
              raySpec:
                enabled: true
                headNode:
                  requestGPU: 1
    """)
    assert d.pipeline_parallel == 2 and d.value("distributed-executor-backend") == "ray" and d.group_size == 2


def test_pipeline_parallel_without_ray_is_noted(tmp_path):
    [d], _ = load(tmp_path, """
        servingEngineSpec:
          modelSpec:
            - {name: a, repository: vllm/vllm-openai, tag: v0.10.2, modelURL: Qwen/Qwen3-8B, requestGPU: 2,
               vllmConfig: {tensorParallelSize: 1, pipelineParallelSize: 2}}
    """)
    assert d.pipeline_parallel == 1 and any("pipelineParallelSize" in n for n in d.notes)


def test_rules_point_at_the_values_file(tmp_path):
    result = lint(tmp_path, {"values.yaml": """
        servingEngineSpec:
          modelSpec:
            - name: chat
              repository: vllm/vllm-openai
              tag: v0.10.2
              modelURL: Qwen/Qwen3-8B
              requestGPU: 1
              vllmConfig:
                tensorParallelSize: 2
                maxModelLen: 16384
                extraArgs: ["--no-such-flag"]
    """})
    by_code = {f.code: f for f in result.findings}
    assert by_code["VLL107"].span.line == 9  # tensor 2 on 1 GPU: on the value of tensorParallelSize
    assert by_code["VLL201"].span.line == 11


def test_broken_values_file_is_reported_not_dropped(tmp_path):
    result = lint(tmp_path, {"values.yaml": "servingEngineSpec:\n  modelSpec:\n    - name: [unclosed\n"})
    assert "VLL001" in codes(result)
    d_result = lint(tmp_path / "b", {"values.yaml": "servingEngineSpec:\n  modelSpec:\n    - name: chat\n      requestGPU: 1\n"})
    assert "VLL001" in codes(d_result)  # no modelURL: the chart renders `vllm serve` without a model


def test_a_fix_edits_the_values_key(tmp_path):
    from vllm_lint.config import Settings

    write(tmp_path, {"values.yaml": """
        servingEngineSpec:
          modelSpec:
            - name: chat
              repository: vllm/vllm-openai
              tag: v0.10.2
              modelURL: Qwen/Qwen3-8B
              requestGPU: 1
              vllmConfig:
                maxModelLen: 40960
                gpuMemoryUtilization: 0.9
    """})
    result = lint(tmp_path, settings=Settings(root=tmp_path, offline=True, hardware="rtx-4090"))
    [f] = [f for f in result.findings if f.code == "VLL402"]
    [edit] = f.fix.edits
    text = (tmp_path / "values.yaml").read_text()
    assert edit.span.line == 9 and text[edit.span.start:edit.span.end] == "40960" and edit.replacement.isdigit()
