"""Pods that AIBrix and KubeRay objects hold: their containers are ordinary Kubernetes containers, read by
:mod:`.kubernetes` (command, args, env, GPUs, volumes, probes).

- AIBrix ``StormService`` (``orchestration.aibrix.ai``): ``spec.template.spec.roles[].template`` — one pod
  template per role (prefill, decode, ...), each its own launch (github.com/vllm-project/aibrix,
  ``api/orchestration/v1alpha1/stormservice_types.go``: ``RoleSetSpec.Roles[].Template``).
- AIBrix ``RayClusterFleet``: ``spec.template.spec`` is a KubeRay ``RayCluster`` spec
  (``api/orchestration/v1alpha1/rayclusterfleet_types.go``).
- KubeRay ``RayCluster`` (``spec``), ``RayService`` (``spec.rayClusterConfig``) and ``RayJob``
  (``spec.rayClusterSpec``): ``headGroupSpec.template`` and ``workerGroupSpecs[].template``. A head that runs
  ``vllm serve`` with the Ray executor uses the GPUs of the whole cluster: its group is the head and the
  workers (``replicas``, else ``minReplicas``), as a LeaderWorkerSet's is. KubeRay mounts a memory-backed
  ``/dev/shm`` in every Ray pod (``ray-operator/controllers/ray/common/pod.go``, ``addEmptyDir`` of
  ``shared-mem``): it is added where the template has none.
"""
from __future__ import annotations

from vllm_lint.launch.deployment import Deployment, Volume
from vllm_lint.loaders.keyed import get, number, text
from vllm_lint.sources.yamlnodes import YMap, YSeq

FORMAT = "aibrix"
RAY_KINDS = {"RayCluster": ("spec",), "RayService": ("spec", "rayClusterConfig"), "RayJob": ("spec", "rayClusterSpec")}


def pod_templates(doc: YMap) -> list[tuple[str, YMap, int, bool]]:
    """(label, pod spec, group size, is a Ray pod) of one object."""
    kind = text(doc.get("kind")) or ""
    api = text(doc.get("apiVersion")) or ""
    out: list[tuple[str, YMap, int, bool]] = []
    if kind == "StormService" and api.startswith("orchestration.aibrix.ai/"):
        roles = get(doc, "spec", "template", "spec", "roles")
        for i, role in enumerate(roles.items if isinstance(roles, YSeq) else []):
            spec = get(role, "template", "spec")
            if isinstance(spec, YMap):
                out.append((f"role/{text(get(role, 'name')) or i}", spec, 1, False))
    elif kind == "RayClusterFleet" and api.startswith("orchestration.aibrix.ai/"):
        out += _ray_cluster(get(doc, "spec", "template", "spec"))
    elif kind in RAY_KINDS and api.startswith("ray.io/"):
        out += _ray_cluster(get(doc, *RAY_KINDS[kind]))
    return out


def _ray_cluster(cluster) -> list[tuple[str, YMap, int, bool]]:
    if not isinstance(cluster, YMap):
        return []
    workers = cluster.get("workerGroupSpecs")
    groups = [g for g in (workers.items if isinstance(workers, YSeq) else []) if isinstance(g, YMap)]
    size = 1 + sum(max(0, number(g.get("replicas")) if number(g.get("replicas")) is not None else number(g.get("minReplicas")) or 0)
                   for g in groups)
    out = []
    head = get(cluster, "headGroupSpec", "template", "spec")
    if isinstance(head, YMap):
        out.append(("head", head, size, True))
    for i, g in enumerate(groups):
        spec = get(g, "template", "spec")
        if isinstance(spec, YMap):
            out.append((f"worker/{text(g.get('groupName')) or i}", spec, 1, True))
    return out


def load_document(doc: YMap, sf, ctx, objects) -> list[Deployment]:
    from vllm_lint.loaders import kubernetes

    templates = pod_templates(doc)
    if not templates:
        return []
    name_node, kind_node = get(doc, "metadata", "name"), doc.get("kind")
    base = f"{text(kind_node) or '?'}/{text(name_node) or '?'}"
    source_format = FORMAT if (text(doc.get("apiVersion")) or "").startswith("orchestration.aibrix.ai/") else "kuberay"
    out = []
    for label, spec, size, ray in templates:
        volumes = kubernetes._pod_volumes(spec)
        containers = spec.get("containers")
        for c in containers.items if isinstance(containers, YSeq) else []:
            if not isinstance(c, YMap):
                continue
            d = kubernetes._container(c, doc, base, label, sf, ctx, volumes, objects)
            if d is None:
                continue
            d.source_format = source_format
            d.group_size = size
            kubernetes._gpu_product(d, spec)
            if ray and not any(v.target == "/dev/shm" for v in d.volumes):
                d.volumes.append(Volume(None, "/dev/shm", c.span, "emptyDir"))  # KubeRay's shared-mem
            out.append(d)
    return out
