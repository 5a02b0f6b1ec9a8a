"""Ray Serve LLM (loaders/ray_serve.py): RayService serve configs (YAML in a string, spans exact), serve config
files, LLMConfig files they name, ConfigMaps and legacy RayLLM model configs."""
from conftest import codes, lint, write

from vllm_lint.config import Settings
from vllm_lint.engine import _release_loader, load_project
from vllm_lint.loaders import kubernetes
from vllm_lint.loaders.context import LoadContext

RAYSERVICE = """
    apiVersion: ray.io/v1
    kind: RayService
    metadata:
      name: acme-llm
    spec:
      serveConfigV2: |
        applications:
          - name: llm
            import_path: ray.serve.llm:build_openai_app
            args:
              llm_configs:
                - model_loading_config:
                    model_id: acme-chat
                    model_source: Qwen/Qwen3-8B
                  accelerator_type: L4
                  runtime_env:
                    env_vars: {VLLM_LOGGING_LEVEL: DEBUG}
                  deployment_config:
                    autoscaling_config: {min_replicas: 1, max_replicas: 2}
                  engine_kwargs:
                    tensor_parallel_size: 2
                    max_model_len: 16384
                    enable_prefix_caching: true
      rayClusterConfig:
        headGroupSpec:
          template:
            spec:
              containers:
                - name: ray-head
                  image: rayproject/ray-llm:2.49.0-py311-cu128
"""


def ctx_for(tmp_path):
    return LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader())


def test_rayservice_llm_config_with_exact_spans(tmp_path):
    write(tmp_path, {"rayservice.yaml": RAYSERVICE})
    [d] = kubernetes.load(tmp_path / "rayservice.yaml", ctx_for(tmp_path))
    assert d.name == "RayService/acme-llm/llm/llm_configs[0]/acme-chat" and d.source_format == "ray-serve"
    assert d.model == "Qwen/Qwen3-8B" and d.tensor_parallel == 2 and d.value("max-model-len") == "16384"
    assert d.flag_set("enable-prefix-caching") and d.gpu_product == "l4"
    assert d.env["VLLM_LOGGING_LEVEL"].value == "DEBUG" and any("1–2 replicas" in n for n in d.notes)
    assert d.version is None  # the Ray image names Ray's release, not vLLM's
    text = (tmp_path / "rayservice.yaml").read_text().splitlines()
    span = d.arg("max-model-len").value_span
    assert span.line == 22 and text[span.line - 1][span.column - 1:span.end_column - 1] == "16384"
    assert d.arg("max-model-len").words[1].quoting == "yaml-plain"  # inside the | block: a fix can edit it


def test_fix_edits_the_value_inside_the_serve_config_string(tmp_path):
    write(tmp_path, {"rayservice.yaml": RAYSERVICE.replace("max_model_len: 16384", "gpu_memory_utilization: 1.0")})
    result = lint(tmp_path)
    [f] = [f for f in result.findings if f.code == "VLL204"]
    assert f.span.line == 22


def test_serve_config_file_and_the_llm_config_file_it_names(tmp_path):
    write(tmp_path, {
        "serve.yaml": """
            applications:
              - name: embed
                import_path: ray.serve.llm:build_openai_app
                args:
                  llm_configs:
                    - models/qwen.yaml
                    - model_loading_config: {model_id: Qwen/Qwen3-0.6B}
                      accelerator_type: A10
        """,
        "models/qwen.yaml": """
            model_loading_config:
              model_id: qwen
              model_source: Qwen/Qwen3-8B
            engine_kwargs:
              max_model_len: 8192
        """,
    })
    project = load_project([tmp_path], Settings(root=tmp_path, offline=True), cwd=tmp_path, resolve_models=False)
    by_path = sorted((d.path, d.model) for d in project.deployments)
    assert by_path == [("models/qwen.yaml", "Qwen/Qwen3-8B"), ("serve.yaml", "Qwen/Qwen3-0.6B")]  # read once
    small = next(d for d in project.deployments if d.path == "serve.yaml")
    assert small.gpu_product == "a10g" and small.kind == "script"


def test_configmap_with_a_rayllm_model_config(tmp_path):
    write(tmp_path, {"cm.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: llama}
        data:
          llama.yaml: |
            engine_config:
              model_id: meta-llama/Llama-2-7b-chat-hf
              type: VLLMEngine
              engine_kwargs:
                max_num_seqs: 64
              max_total_tokens: 4096
            scaling_config:
              num_workers: 2
              resources_per_worker:
                accelerator_type_l4: 0.01
          notes.txt: "engine_kwargs: none here"
    """})
    [d] = kubernetes.load(tmp_path / "cm.yaml", ctx_for(tmp_path))
    assert d.model == "meta-llama/Llama-2-7b-chat-hf" and d.tensor_parallel == 2 and d.value("max-model-len") == "4096"
    assert d.gpu_product == "l4" and d.arg("max-num-seqs").value_span.line == 10


def test_other_engines_and_broken_serve_config(tmp_path):
    write(tmp_path, {"llm.yaml": "model_loading_config: {model_id: x}\nllm_engine: SGLang\n"})
    assert lint(tmp_path).project.deployments == []
    result = lint(tmp_path / "b", {"serve.yaml": "applications:\n  - args:\n      llm_configs: [\n"})
    assert "VLL001" in codes(result)
    bad = RAYSERVICE.replace("        applications:\n", "        applications: [\n", 1)
    assert "VLL001" in codes(lint(tmp_path / "c", {"rayservice.yaml": bad}))
