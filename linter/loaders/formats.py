"""The formats read besides compose, plain Kubernetes workloads, scripts and vLLM ``--config`` files: which
loader reads a file (found by content, not only by name) and which reads a Kubernetes object of an operator.

Files (:func:`detect`, called by discovery for a YAML or Python file no other kind claims):

- ``helm-values``: vLLM production-stack values (:mod:`.production_stack`);
- ``ray-serve``: a Ray Serve config, an ``LLMConfig`` or a RayLLM model config (:mod:`.ray_serve`);
- ``skypilot``: a SkyPilot task (:mod:`.skypilot`);
- ``dstack``: a dstack service or task (:mod:`.dstack`);
- ``truss``: a Baseten Truss ``config.yaml`` with a custom server (:mod:`.truss`);
- ``python``: a program that calls ``LLM(...)`` / ``EngineArgs(...)`` (:mod:`.python_launcher`).

Kubernetes objects (:func:`load_document`, called by :mod:`.kubernetes` for every document): KubeAI ``Model``
(:mod:`.kubeai`), KServe ``LLMInferenceService`` / ``LLMInferenceServiceConfig`` and the huggingfaceserver
``InferenceService`` (:mod:`.kserve_llm`), ``RayService`` serve configs and ConfigMaps holding Ray Serve LLM
configs (:mod:`.ray_serve`), the pod templates of AIBrix ``StormService`` / ``RayClusterFleet`` and KubeRay
``RayCluster`` / ``RayService`` / ``RayJob`` (:mod:`.aibrix`).
"""
from __future__ import annotations

from pathlib import Path

from vllm_lint.launch.deployment import Deployment

#: (format, module name) in the order they are tried: the most specific first.
_FILE_FORMATS = (("helm-values", "production_stack"), ("truss", "truss"), ("dstack", "dstack"),
                 ("ray-serve", "ray_serve"), ("skypilot", "skypilot"))


def _module(name: str):
    import importlib

    return importlib.import_module(f"vllm_lint.loaders.{name}")


def detect(path: Path, head: str) -> str | None:
    """The format of a YAML or Python file no other loader claims, or None."""
    name = path.name.lower()
    if name.endswith(".py"):
        return "python" if _module("python_launcher").detect(path, head) else None
    if not name.endswith((".yaml", ".yml")):
        return None
    for fmt, module in _FILE_FORMATS:
        if _module(module).detect(path, head):
            return fmt
    return None


def load(path: Path, fmt: str, ctx) -> list[Deployment]:
    module = "python_launcher" if fmt == "python" else dict(_FILE_FORMATS)[fmt]
    return _module(module).load(path, ctx)


def load_all(files: list[tuple[Path, str]], ctx) -> list[Deployment]:
    """Every file's launches; serve configs before the ``LLMConfig`` files they name (read once, through them)."""
    from vllm_lint.loaders.ray_serve import is_serve_config

    def order(item):
        path, fmt = item
        if fmt != "ray-serve":
            return (1, str(path))
        from vllm_lint.sources.source_file import head_text

        head = head_text(path, 65536)  # the first 64 KiB of a regular file, never the whole of a huge one
        return (0 if is_serve_config(head) else 1, str(path))

    out: list[Deployment] = []
    for path, fmt in sorted(files, key=order):
        out += load(path, fmt, ctx)
    return out


def load_document(doc, sf, ctx, objects: dict, docs: list) -> list[Deployment]:
    """The launches an operator makes of one Kubernetes object (none for the workloads :mod:`.kubernetes`
    reads itself)."""
    from vllm_lint.loaders import aibrix, kserve_llm, kubeai, ray_serve
    from vllm_lint.loaders.keyed import text

    if kubeai.is_model(doc):
        return kubeai.load_document(doc, sf, ctx, objects)
    if kserve_llm.is_llm(doc):
        return kserve_llm.load_llm(doc, sf, ctx, objects, docs)
    if kserve_llm.is_huggingface_isvc(doc):
        return kserve_llm.load_huggingface(doc, sf, ctx, objects)
    out: list[Deployment] = []
    if ray_serve.is_rayservice(doc):
        out += ray_serve.load_rayservice(doc, sf, ctx)
    if text(doc.get("kind")) == "ConfigMap":
        out += ray_serve.load_configmap(doc, sf, ctx)
    out += aibrix.load_document(doc, sf, ctx, objects)
    return out
