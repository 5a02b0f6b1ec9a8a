"""Issue 14: Kustomize — a top-level overlay is rendered with the real ``kubectl kustomize`` (skipped when
kubectl is not on PATH) and each value points back at the patch, base or kustomization line that produced it;
bases are not counted twice; without kubectl the resource files are read as they are, with a note."""
import shutil

import pytest
from conftest import codes, lint

from vllm_lint.loaders import kustomize

FILES = {
    "overlays/prod/kustomization.yaml": """\
        resources:
          - ../../base
        images:
          - name: vllm/vllm-openai
            newTag: v0.11.0
        patches:
          - path: tp2.yaml
        """,
    "overlays/prod/tp2.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: acme-chat
        spec:
          template:
            spec:
              containers:
                - name: engine
                  args: ["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "2", "--max-model-length", "8192"]
                  resources:
                    limits:
                      nvidia.com/gpu: "2"
        """,
    "base/kustomization.yaml": "resources:\n  - deployment.yaml\n",
    "base/deployment.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: acme-chat
        spec:
          template:
            spec:
              containers:
                - name: engine
                  image: vllm/vllm-openai:v0.10.2
                  args: ["--model", "Qwen/Qwen3-8B", "--tensor-parallel-size", "1"]
                  resources:
                    limits:
                      nvidia.com/gpu: "1"
                  volumeMounts: [{name: shm, mountPath: /dev/shm}]
              volumes: [{name: shm, emptyDir: {medium: Memory}}]
        """,
}

needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH: the renderer is not installed")


@needs_kubectl
def test_the_overlay_is_rendered_and_its_values_point_at_their_files(tmp_path):
    result = lint(tmp_path, FILES)
    [d] = result.project.deployments  # the overlay's; base/ is not counted on its own
    assert (d.model, d.tensor_parallel, d.version, d.image) == ("Qwen/Qwen3-8B", 2, "0.11.0", "vllm/vllm-openai:v0.11.0")
    assert (d.path, d.span.line) == ("base/deployment.yaml", 9)  # the container, where the resource is defined
    tp = d.arg("tensor-parallel-size").value_span
    assert (tp.path, tp.line, tp.column) == ("overlays/prod/tp2.yaml", 10, 73)  # the patch that set it
    assert (d.image_span.path, d.image_span.line) == ("overlays/prod/kustomization.yaml", 5)  # newTag
    assert "images: in overlays/prod/kustomization.yaml:5" in d.version_source
    assert [g.count for g in d.gpus] == [2] and d.via == "kubectl kustomize overlays/prod"
    [f] = result.findings
    assert (f.code, f.span.path, f.span.line) == ("VLL201", "overlays/prod/tp2.yaml", 10)


@needs_kubectl
def test_a_base_linted_on_its_own_is_rendered_as_the_top(tmp_path):
    result = lint(tmp_path, FILES, paths=["base"])
    [d] = result.project.deployments
    assert (d.tensor_parallel, d.version) == (1, "0.10.2")


def test_without_kubectl_the_resources_are_read_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(kustomize, "kubectl", lambda: None)
    result = lint(tmp_path, FILES)
    [d] = result.project.deployments  # the base as written; the patch (no image) is never a launch
    assert (d.path, d.tensor_parallel, d.version) == ("base/deployment.yaml", 1, "0.10.2")
    assert any("kustomization overlays/prod not rendered (kubectl not on PATH)" in n for n in result.notes)
    assert codes(result) == []


def test_remote_bases_are_not_fetched(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(kustomize, "render", lambda root, timeout=0: calls.append(root) or (None, "x"))
    files = dict(FILES)
    files["overlays/prod/kustomization.yaml"] = files["overlays/prod/kustomization.yaml"].replace(
        "  - ../../base", "  - ../../base\n          - https://github.com/acme/manifests//vllm?ref=v1")
    result = lint(tmp_path, files)
    assert calls == [] and any("remote bases not fetched" in n for n in result.notes)


def test_top_level_kustomizations(tmp_path):
    from conftest import write

    write(tmp_path, FILES)
    tops = kustomize.top_level([tmp_path / "base/kustomization.yaml", tmp_path / "overlays/prod/kustomization.yaml"])
    assert tops == [tmp_path / "overlays/prod/kustomization.yaml"]
