from conftest import write

from vllm_lint.loaders import kubernetes
from vllm_lint.loaders.context import LoadContext


def load(tmp_path, text):
    write(tmp_path, {"m.yaml": text})
    ctx = LoadContext(cwd=tmp_path, process_env={})
    return kubernetes.load(tmp_path / "m.yaml", ctx), ctx


def test_deployment_with_args_env_gpus_probes_and_mounts(tmp_path):
    [d], _ = load(tmp_path, """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: unrelated}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: qwen}
        spec:
          template:
            spec:
              volumes:
                - name: cache
                  persistentVolumeClaim: {claimName: hf-cache}
              containers:
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: ["vllm", "serve"]
                  args: ["Qwen/Qwen3-8B", "--tensor-parallel-size", "$(TP)", "--port", "8000"]
                  env:
                    - {name: TP, value: "2"}
                    - name: HF_TOKEN
                      valueFrom: {secretKeyRef: {name: hf, key: token}}
                  ports: [{containerPort: 8000}]
                  resources: {limits: {nvidia.com/gpu: 2}}
                  readinessProbe: {httpGet: {path: /health, port: 8000}}
                  volumeMounts: [{name: cache, mountPath: /root/.cache/huggingface}]
    """)
    assert d.name == "Deployment/qwen/vllm" and d.version == "0.11.0"
    assert d.model == "Qwen/Qwen3-8B" and d.tensor_parallel == 2
    assert d.gpus[0].count == 2 and d.gpus[0].how == "nvidia.com/gpu"
    assert d.env["HF_TOKEN"].from_secret
    assert d.healthcheck.test == ["http://localhost:8000/health"]
    assert d.volumes[0].target == "/root/.cache/huggingface" and d.volumes[0].kind == "persistentVolumeClaim"
    assert d.arg("tensor-parallel-size").value_span.line == 18


def test_leaderworkerset_and_shell_wrapped_launch(tmp_path):
    deployments, _ = load(tmp_path, """
        apiVersion: leaderworkerset.x-k8s.io/v1
        kind: LeaderWorkerSet
        metadata: {name: big}
        spec:
          leaderWorkerTemplate:
            leaderTemplate:
              spec:
                containers:
                  - name: leader
                    image: vllm/vllm-openai:v0.10.2
                    command: ["sh", "-c", "ray start --head && vllm serve deepseek-ai/DeepSeek-V3 --tensor-parallel-size 8 --pipeline-parallel-size 2"]
            workerTemplate:
              spec:
                containers:
                  - name: worker
                    image: vllm/vllm-openai:v0.10.2
                    command: ["sh", "-c", "ray start --block --address=$(LWS_LEADER_ADDRESS):6379"]
    """)
    [d] = deployments
    assert d.name == "LeaderWorkerSet/big/leader/leader"
    assert d.tensor_parallel == 8 and d.pipeline_parallel == 2
    assert d.arg("tensor-parallel-size").flag_span.line == 11


def test_kserve_inference_service_and_serving_runtime(tmp_path):
    deployments, _ = load(tmp_path, """
        apiVersion: serving.kserve.io/v1beta1
        kind: InferenceService
        metadata: {name: llm}
        spec:
          predictor:
            containers:
              - name: kserve-container
                image: vllm/vllm-openai:v0.9.2
                args: ["--model", "/mnt/models", "--max-model-len", "8192"]
                resources: {limits: {nvidia.com/gpu: "1"}}
        ---
        apiVersion: serving.kserve.io/v1alpha1
        kind: ServingRuntime
        metadata: {name: vllm-runtime}
        spec:
          containers:
            - name: kserve-container
              image: vllm/vllm-openai:v0.11.0
              command: ["python3", "-m", "vllm.entrypoints.openai.api_server"]
              args: ["--port=8080", "--model=/mnt/models"]
    """)
    isvc, runtime = deployments
    assert isvc.value("max-model-len") == "8192" and isvc.gpus[0].count == 1
    assert runtime.launcher == "api_server" and runtime.value("port") == "8080"


def test_invalid_yaml_is_a_problem_not_an_exception(tmp_path):
    deployments, ctx = load(tmp_path, "apiVersion: v1\nkind: Pod\nspec: [unclosed\n")
    assert deployments == []
    [problem] = [p for sf in ctx.sources.values() for p in sf.problems]
    assert problem.kind == "unreadable" and problem.span.line >= 3
