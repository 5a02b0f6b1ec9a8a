"""dstack run configurations (``type: service`` / ``task``, ``.dstack.yml``) → the launches their ``commands``
start in the container dstack runs.

From dstack's documentation (``docs/docs/concepts/services.md``, ``tasks.md``, ``reference/dstack.yml``):
``image`` (else dstack's base image, whose vLLM release is unknown), ``commands`` (run in order by one
shell), ``env`` (``NAME=value``, or a bare ``NAME`` taken from the environment of ``dstack apply``: unknown
here), ``port``, ``resources.gpu`` (``H100:8``, ``8:H200``, ``A100:40GB:2``, ``24GB..``, ``{name: [A100,
H100], count: 2}``; a range of counts is unknown), ``resources.shm_size``, ``volumes`` (``/host:/container``),
``nodes`` (tasks). dstack sets ``DSTACK_GPUS_NUM`` ("the total number of GPUs in the run"),
``DSTACK_GPUS_PER_NODE`` and ``DSTACK_NODES_NUM`` for the commands. The commands run in a Docker container:
the launch is read as a container's (``shm_size`` checked as compose's).
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Port, Volume
from vllm_lint.loaders.keyed import (
    accelerator,
    env_list,
    get,
    number,
    read_documents,
    script_commands,
    script_launches,
    smallest,
    text,
    version_of_image,
)
from vllm_lint.sources.yamlnodes import YMap, YScalar, YSeq

FORMAT = "dstack"
_TYPE = re.compile(r"^type\s*:\s*['\"]?(service|task|dev-environment)\b", re.MULTILINE)
_COMMANDS = re.compile(r"^(commands|init)\s*:", re.MULTILINE)


def detect(path: Path, head: str) -> bool:
    if path.name.lower().endswith((".dstack.yml", ".dstack.yaml")) or path.name.lower() in (".dstack.yml", ".dstack.yaml"):
        return bool(_COMMANDS.search(head))
    return bool(_TYPE.search(head) and _COMMANDS.search(head) and re.search(r"vllm", head, re.IGNORECASE))


def load(path: Path, ctx) -> list[Deployment]:
    sf, docs = read_documents(path, ctx, "compose")
    if docs is None:
        return []
    out: list[Deployment] = []
    for doc in docs:
        if isinstance(doc, YMap) and (doc.get("commands") is not None or doc.get("init") is not None):
            out += _run(doc, sf, path, ctx)
    return out


def gpu_spec(node) -> tuple[list[str], int | None]:
    """(GPU names, count per node) of ``resources.gpu``."""
    if isinstance(node, YScalar) and text(node):
        names, count, _ = accelerator(text(node))
        return names, count
    if isinstance(node, YMap):
        names_node = node.get("name")
        names = [text(n) for n in names_node.items] if isinstance(names_node, YSeq) else [text(names_node)] if text(names_node) else []
        count_node = node.get("count")
        count = number(count_node) if count_node is not None else 1
        return [n for n in names if n], count
    return [], None


def _run(doc: YMap, sf, path: Path, ctx) -> list[Deployment]:
    resources = doc.get("resources")
    names, per_node = gpu_spec(get(resources, "gpu"))
    nodes = number(doc.get("nodes")) or 1
    env: dict[str, EnvVar] = env_list(doc.get("env"))
    gpu_node = get(resources, "gpu")
    at = gpu_node.span if gpu_node is not None else doc.span
    if per_node is not None and gpu_node is not None:
        env["DSTACK_GPUS_PER_NODE"] = EnvVar("DSTACK_GPUS_PER_NODE", str(per_node), at)
        env["DSTACK_GPUS_NUM"] = EnvVar("DSTACK_GPUS_NUM", str(per_node * nodes), at)
    env["DSTACK_NODES_NUM"] = EnvVar("DSTACK_NODES_NUM", str(nodes), at)
    image = doc.get("image")
    image_name = text(image)
    key = "commands" if doc.get("commands") is not None else "init"
    commands = script_commands(doc.get(key), sf)
    out = script_launches(commands, sf, path, ctx, kind="compose", environment=env, image=image_name)
    run_name = text(doc.get("name")) or path.name
    for d in out:
        d.source_format = FORMAT
        d.name = f"{run_name} ({text(doc.get('type')) or 'run'}) line {d.span.line}"
        d.host_group = None  # dstack gives each run its own machine
        d.group_size = nodes
        d.base_dir = str(path.parent)
        if image_name:
            version_of_image(d, image_name, image.span)
        if gpu_node is not None:
            if per_node is not None:
                d.gpus.append(GpuRequest(gpu_node.span, count=per_node, how="resources.gpu"))
            chosen = smallest(names)
            if chosen:
                d.gpu_product, d.gpu_product_span = chosen, gpu_node.span
                if len(names) > 1:
                    d.notes.append(f"GPU candidates {', '.join(names)}: checked on the one with the least memory, {chosen}")
        shm = get(resources, "shm_size")
        if isinstance(shm, YScalar) and text(shm):
            d.shm_size, d.shm_size_span = text(shm), shm.span
        port = doc.get("port")
        if isinstance(port, YScalar) and text(port):
            d.ports.append(Port(text(port).split(":")[-1], None, port.span))
        volumes = doc.get("volumes")
        for v in volumes.items if isinstance(volumes, YSeq) else []:
            spec = text(v)
            if spec and ":" in spec:
                source, target = spec.split(":", 1)
                # an instance volume: a folder of the machine dstack provisions, not of this one
                d.volumes.append(Volume(source, target.split(":")[0], v.span, "instance" if source.startswith(("/", "~")) else "volume"))
            elif isinstance(v, YMap) and text(v.get("path")):
                d.volumes.append(Volume(text(v.get("name")), text(v.get("path")), v.span, "volume"))
    return out
