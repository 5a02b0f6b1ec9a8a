"""AIBrix StormService / RayClusterFleet and KubeRay pods (loaders/aibrix.py): ordinary containers."""
from conftest import codes, lint, write

from vllm_lint.engine import _release_loader
from vllm_lint.loaders import kubernetes
from vllm_lint.loaders.context import LoadContext

STORM = """
    apiVersion: orchestration.aibrix.ai/v1alpha1
    kind: StormService
    metadata: {name: pd}
    spec:
      template:
        spec:
          roles:
            - name: prefill
              template:
                spec:
                  containers:
                    - name: prefill
                      image: vllm/vllm-openai:v0.10.2
                      command: ["sh", "-c"]
                      args: ["vllm serve Qwen/Qwen3-8B --port 8000"]
                      resources: {limits: {nvidia.com/gpu: 1}}
            - name: decode
              template:
                spec:
                  containers:
                    - name: decode
                      image: vllm/vllm-openai:v0.10.2
                      args: ["Qwen/Qwen3-8B", "--tensor-parallel-size", "2"]
                      resources: {limits: {nvidia.com/gpu: 2}}
"""

FLEET = """
    apiVersion: orchestration.aibrix.ai/v1alpha1
    kind: RayClusterFleet
    metadata: {name: big}
    spec:
      template:
        spec:
          headGroupSpec:
            template:
              spec:
                containers:
                  - name: ray-head
                    image: vllm/vllm-openai:v0.10.2
                    command: ["/bin/bash", "-lc", "--"]
                    args: ["$KUBERAY_GEN_RAY_START_CMD; vllm serve Qwen/Qwen3-32B --tensor-parallel-size 8 --pipeline-parallel-size 2 --distributed-executor-backend ray"]
                    resources: {limits: {nvidia.com/gpu: 8}}
          workerGroupSpecs:
            - groupName: worker
              replicas: 1
              template:
                spec:
                  containers:
                    - name: ray-worker
                      image: vllm/vllm-openai:v0.10.2
                      command: ["/bin/bash", "-lc", "--"]
                      args: ["$KUBERAY_GEN_RAY_START_CMD"]
                      resources: {limits: {nvidia.com/gpu: 8}}
"""


def load(tmp_path, text):
    write(tmp_path, {"m.yaml": text})
    return kubernetes.load(tmp_path / "m.yaml", LoadContext(cwd=tmp_path, process_env={}, release_for=_release_loader()))


def test_storm_service_roles_are_launches(tmp_path):
    prefill, decode = load(tmp_path, STORM)
    assert prefill.name == "StormService/pd/role/prefill/prefill" and prefill.source_format == "aibrix"
    assert prefill.model == "Qwen/Qwen3-8B" and prefill.version == "0.10.2" and prefill.gpus[0].count == 1
    assert decode.tensor_parallel == 2 and decode.launcher == "image entrypoint"


def test_ray_cluster_fleet_head_groups_the_workers(tmp_path):
    [head] = load(tmp_path, FLEET)  # the worker only joins the Ray cluster
    assert head.name == "RayClusterFleet/big/head/ray-head" and head.group_size == 2
    assert head.tensor_parallel == 8 and head.pipeline_parallel == 2
    assert any(v.target == "/dev/shm" for v in head.volumes)  # KubeRay mounts it in every Ray pod
    result = lint(tmp_path / "lint", {"m.yaml": FLEET})
    assert not [f for f in result.findings if f.code in ("VLL107", "VLL109")]


def test_tensor_parallel_checked_per_role_and_broken_file(tmp_path):
    result = lint(tmp_path, {"m.yaml": STORM.replace("nvidia.com/gpu: 2", "nvidia.com/gpu: 1")})
    assert [f.span.line for f in result.findings if f.code == "VLL107"] == [23]
    assert "VLL001" in codes(lint(tmp_path / "b", {"m.yaml": "apiVersion: orchestration.aibrix.ai/v1alpha1\nkind: StormService\nspec: {\n"}))
