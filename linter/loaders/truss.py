"""Baseten Truss ``config.yaml`` with a custom server (``docker_server.start_command``) → the launches that
command starts.

From Baseten's documentation (docs.baseten.co, ``development/model/custom-server`` and
``reference/truss-configuration``): ``base_image.image`` is the image the server runs in (its tag gives the
vLLM release); ``docker_server.start_command`` is "the command to start the server" (often ``sh -c "…"``,
read as a shell command is: :mod:`.shell_launches`), ``server_port`` "the port to listen on",
``readiness_endpoint`` / ``liveness_endpoint`` its health checks; ``resources.accelerator`` is ``TYPE`` or
``TYPE:COUNT`` (``A10G:2``, ``H100``); ``environment_variables`` the server's environment; ``secrets`` are
mounted at run time (never read). A Truss with a Python model class instead is read by :mod:`.python_launcher`.
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, GpuRequest, Healthcheck, Port, Word
from vllm_lint.loaders.keyed import (
    accelerator,
    env_mapping,
    get,
    gpu_name,
    read_documents,
    script_commands,
    script_launches,
    text,
    version_of_image,
)
from vllm_lint.sources.yamlnodes import YMap, YScalar

FORMAT = "truss"
_DOCKER_SERVER = re.compile(r"^docker_server\s*:", re.MULTILINE)
_START = re.compile(r"^\s+start_command\s*:", re.MULTILINE)


def detect(path: Path, head: str) -> bool:
    return bool(_DOCKER_SERVER.search(head) and _START.search(head) and re.search(r"vllm", head, re.IGNORECASE))


def load(path: Path, ctx) -> list[Deployment]:
    sf, docs = read_documents(path, ctx, "script")
    if docs is None:
        return []
    out: list[Deployment] = []
    for doc in docs:
        server = get(doc, "docker_server")
        if isinstance(server, YMap) and server.get("start_command") is not None:
            out += _server(doc, server, sf, path, ctx)
    return out


def _server(doc: YMap, server: YMap, sf, path: Path, ctx) -> list[Deployment]:
    env = env_mapping(doc.get("environment_variables"))
    env.update(env_mapping(doc.get("secrets"), secret=True))
    image = get(doc, "base_image", "image")
    commands = script_commands(server.get("start_command"), sf)
    out = script_launches(commands, sf, path, ctx, kind="script", environment=env, image=text(image))
    model_name = text(doc.get("model_name")) or path.parent.name
    for d in out:
        d.source_format = FORMAT
        d.name = f"{model_name} (docker_server)"
        d.host_group = None  # a Baseten deployment of its own
        if isinstance(image, YScalar) and text(image):
            version_of_image(d, text(image), image.span)
        acc = get(doc, "resources", "accelerator")
        if isinstance(acc, YScalar) and text(acc):
            names, count, _ = accelerator(text(acc))
            d.gpus.append(GpuRequest(acc.span, count=count, how="resources.accelerator"))
            if names:
                d.gpu_product, d.gpu_product_span = gpu_name(names[0]), acc.span
        port = server.get("server_port")
        if isinstance(port, YScalar) and text(port):
            d.ports.append(Port(text(port), None, port.span))
            probe = server.get("readiness_endpoint") or server.get("liveness_endpoint")
            if isinstance(probe, YScalar) and text(probe):
                words = [Word(f"http://localhost:{text(port)}{text(probe)}", port.span)]
                d.healthcheck = Healthcheck([w.value for w in words], probe.span, words)
    return out
