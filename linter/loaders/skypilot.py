"""SkyPilot task YAML → the launches its ``run:`` script starts on the cluster it provisions.

From SkyPilot's documentation (``docs/source/reference/yaml-spec.rst`` and
``docs/source/running-jobs/environment-variables.rst``):

- ``resources.accelerators``: ``L4:1``, ``L4`` (one), a set of candidates ``{L4:1, A100:1}`` (SkyPilot picks
  one of them) or a list ``[L4:1, A100:1]`` (in order of preference); ``resources.any_of`` / ``ordered``:
  lists of resources, each with its ``accelerators``. Every candidate is a machine the launch may land on:
  the memory checks are made on the candidate with the least memory (if it fits there it fits on the others),
  and a note names them all.
- ``resources.image_id: docker:<image>`` → the image (and its vLLM release); ``setup:`` ``pip install
  vllm==X`` (or in ``run:``) → the release.
- ``envs:`` → the variables of ``setup`` and ``run`` (a null value is one given with ``--env`` at launch:
  unknown); ``secrets:`` likewise, never read.
- ``SKYPILOT_NUM_GPUS_PER_NODE``: "the same as the count in ``accelerators: <name>:<count>``", known when
  every candidate has the same count; ``SKYPILOT_NUM_NODES`` = ``num_nodes`` (default 1). ``run:`` is a
  script read as a shell script is (:mod:`.script`, :mod:`.shell_vars`): one launch per ``vllm serve`` it
  starts. With ``num_nodes`` > 1 each node runs the script: the group is all nodes.
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest
from vllm_lint.loaders.command import version_from_pip
from vllm_lint.loaders.keyed import (
    accelerator,
    env_mapping,
    get,
    gpu_name,
    number,
    read_documents,
    script_commands,
    script_launches,
    smallest,
    text,
    version_of_image,
)
from vllm_lint.sources.yamlnodes import YMap, YNode, YScalar, YSeq

FORMAT = "skypilot"
_RUN = re.compile(r"^run\s*:", re.MULTILINE)
_SKY_KEYS = re.compile(r"^(?:resources|setup|envs|num_nodes|file_mounts|workdir|service|secrets|config)\s*:", re.MULTILINE)
_VLLM = re.compile(r"vllm", re.IGNORECASE)  # by content: a task that names vLLM (another task starts nothing to check)
_NOT_SKY = re.compile(r"^(?:type|apiVersion|kind|services|commands)\s*:", re.MULTILINE)


def detect(path: Path, head: str) -> bool:
    name = path.name.lower()
    if name.endswith((".sky.yaml", ".sky.yml")) or name in ("sky.yaml", "sky.yml"):
        return True
    return bool(_RUN.search(head) and _SKY_KEYS.search(head) and not _NOT_SKY.search(head) and _VLLM.search(head))


def load(path: Path, ctx) -> list[Deployment]:
    sf, docs = read_documents(path, ctx, "script")
    if docs is None:
        return []
    out: list[Deployment] = []
    for doc in docs:
        if isinstance(doc, YMap) and doc.get("run") is not None:
            out += _task(doc, sf, path, ctx)
    return out


def candidates(resources: YNode | None) -> list[tuple[str, int | None, YNode]]:
    """(GPU name, count, node) of every accelerator the task may get."""
    found: list[tuple[str, int | None, YNode]] = []
    if not isinstance(resources, YMap):
        return found
    acc = resources.get("accelerators")
    items: list[tuple[str, YNode]] = []
    if isinstance(acc, YScalar) and text(acc):
        raw = text(acc).strip()
        if raw.startswith(("{", "[")):
            items += [(p.strip(), acc) for p in raw.strip("{}[]").split(",") if p.strip()]
        else:
            items.append((raw, acc))
    elif isinstance(acc, YMap):
        for key, value in acc.items():
            node = value if text(value) else acc.key_node(key)
            items.append((f"{key}:{text(value)}" if text(value) else str(key), node))
    elif isinstance(acc, YSeq):
        items += [(text(v), v) for v in acc.items if text(v)]
    for spec, node in items:
        names, count, _ = accelerator(spec)
        for name in names:
            found.append((name, count, node))
    for key in ("any_of", "ordered"):
        alternatives = resources.get(key)
        for alt in alternatives.items if isinstance(alternatives, YSeq) else []:
            found += candidates(alt)
    return found


def _task(doc: YMap, sf, path: Path, ctx) -> list[Deployment]:
    resources = doc.get("resources")
    gpus = candidates(resources)
    env: dict[str, EnvVar] = env_mapping(doc.get("envs"))
    env.update(env_mapping(doc.get("secrets"), secret=True))
    counts = {c for _, c, _ in gpus}
    nodes = number(doc.get("num_nodes")) or 1
    if gpus and len(counts) == 1 and None not in counts:
        count = counts.pop()
        env["SKYPILOT_NUM_GPUS_PER_NODE"] = EnvVar("SKYPILOT_NUM_GPUS_PER_NODE", str(count), gpus[0][2].span)
    env["SKYPILOT_NUM_NODES"] = EnvVar("SKYPILOT_NUM_NODES", str(nodes), doc.get("num_nodes").span if doc.get("num_nodes")
                                       is not None else doc.span)
    image = get(resources, "image_id")
    image_name = text(image)[len("docker:"):] if text(image) and text(image).startswith("docker:") else None
    version = (None, None)
    for key in ("setup", "run"):
        body = text(doc.get(key))
        found = version_from_pip(body) if body else None
        if found:
            version = (found, f"pip install vllm=={found} in {key}: of {sf.path}")
            break
    commands = script_commands(doc.get("run"), sf)
    out = script_launches(commands, sf, path, ctx, kind="script", environment=env, image=image_name, version=version)
    for i, d in enumerate(out):
        d.source_format = FORMAT
        d.name = f"run line {d.span.line}"
        d.host_group = f"{Path(sf.abspath).resolve()}#run"  # one cluster: the launches of the script share its GPUs
        d.group_size = nodes
        if image_name:
            version_of_image(d, image_name, image.span)
            if version[0]:
                d.version, d.version_source = version
        if gpus:
            same = [c for _, c, _ in gpus]
            if len(set(same)) == 1 and same[0] is not None:
                d.gpus.append(GpuRequest(gpus[0][2].span, count=same[0], how="resources.accelerators"))
            chosen = smallest([n for n, _, _ in gpus])
            node = next(n for name, _, n in gpus if gpu_name(name) == chosen or name == chosen)
            d.gpu_product, d.gpu_product_span = chosen, node.span
            if len(gpus) > 1:
                listed = ", ".join(f"{n}:{c if c is not None else '?'}" for n, c, _ in gpus)
                d.notes.append(f"GPU candidates {listed}: checked on the one with the least memory, {chosen}")
    return out
