"""A model folder or model cache bound with compose's short syntax from a host path that does not exist.

## What it does
For a compose bind mount in the short syntax (``./hf:/root/.cache/huggingface``) whose host side is a
path of the project (relative to the compose file, after interpolation) that does not exist, and whose
container side holds what vLLM loads:

- the model folder: ``--model /models/x`` (or the positional model) lies under the mount;
- the model cache: the Hugging Face cache (``/root/.cache/huggingface``, ``HF_HOME``, ``HF_HUB_CACHE``,
  ``TRANSFORMERS_CACHE``) or ``--download-dir``, when vLLM cannot fill it: ``HF_HUB_OFFLINE=1`` (or
  ``TRANSFORMERS_OFFLINE=1``) is set, or the host path is a variable's default because the variable is
  not set (``${HF_CACHE:-./hf}``: the folder meant is elsewhere).

A cache that is meant to start empty and be filled by the first download (online, host path written
as is) is not reported, nor is a model folder that a job of the project writes: a service of a compose file
beside the launch's, or in a project folder above the host path, that is not a vLLM server and binds the
folder (or one above it) writable — a fine-tune's merged output, a quantization, a download. Host paths from ``~`` or absolute paths are machine-specific and not checked.

## Why is this bad?
With the short syntax, compose creates a missing host path as an empty directory (owned by root) and
starts the container anyway: vLLM sees an empty model folder ("not a valid model" / no ``config.json``),
or an empty cache that it cannot fill offline, or downloads tens of GB again because the cache meant
lives under another path. The long syntax with ``bind: {create_host_path: false}`` makes compose refuse
to start instead ("bind source path does not exist"), before any GPU is touched.

## Example
```yaml
    environment: [HF_HUB_OFFLINE=1]
    volumes: ["./hf-cache:/root/.cache/huggingface"]   # ./hf-cache is not in the project
```

## Fix
Create (or correct) the host folder, and write the bind in the long syntax so that a missing folder
stops compose: ``{type: bind, source: ./hf-cache, target: /root/.cache/huggingface, bind:
{create_host_path: false}}``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from vllm_lint.rules._paths import shown

CODE = "VLL114"
NAME = "model-bind-created-empty"
CATEGORY = "filesystem"
SEVERITY = "warning"
OPTIONS = {"cache-targets": ["/root/.cache/huggingface", "/root/.cache/huggingface/hub", "/root/.cache"]}

_CACHE_VARS = ("HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_DEFAULTED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:?-)([^}]*)\}")


def check(deployment, ctx):
    if deployment.kind != "compose" or not deployment.base_dir:
        return
    model = deployment.model or ""
    caches = set(ctx.options["cache-targets"])
    for name in _CACHE_VARS:
        var = deployment.env.get(name)
        if var is not None and var.value and var.value.startswith("/"):
            caches.add(var.value.rstrip("/"))
    download = deployment.value("download-dir")
    if download and download.startswith("/"):
        caches.add(download.rstrip("/"))
    offline = next((n for n in _OFFLINE_VARS if _truthy(deployment.env.get(n))), None)
    for v in deployment.volumes:
        if not v.short or v.kind != "bind" or not v.source or not v.source.startswith("."):
            continue
        host = Path(deployment.base_dir) / v.source
        if _exists(host):
            continue
        target = v.target.rstrip("/") or "/"
        defaulted = _defaulted_variable(v)
        if model.startswith("/") and _under(model, target):
            if _written_by_a_service(deployment, host, ctx):
                continue  # made by a job of the project (training, quantization, download) before vLLM reads it
            what, why = "the launch's model folder" + ("" if model.rstrip("/") == target else f" ({model})"), \
                "vLLM finds no model in it"
        elif target in caches or target.endswith("/.cache/huggingface"):
            if offline:
                what, why = "the model cache", f"{offline} is set, so vLLM cannot fill it and the start fails"
            elif defaulted:
                what, why = "the model cache", (f"{defaulted} is not set, so the bind takes its default: the cache "
                                                "meant is elsewhere and vLLM downloads the weights again")
            else:
                continue  # an empty cache that the first start fills: as intended
        else:
            continue
        if ".." in Path(v.source).parts:
            where = f" (it resolves to {shown(host, ctx)})"
        else:
            where = ""
        yield ctx.finding(v.span, f"{v.source}{where} does not exist in the project: the short bind syntax makes "
                          f"compose create it empty and mount it at {v.target}, {what}; {why}",
                          hint=f"create {v.source}, and use the long syntax so that compose refuses a missing folder: "
                               f"{{type: bind, source: {v.source}, target: {v.target}, bind: {{create_host_path: false}}}}")


def _written_by_a_service(deployment, host: Path, ctx, limit: int = 50) -> bool:
    """A service of a compose file beside the launch's (the same file included) or in a folder of the project above
    ``host`` (``train/compose.yaml`` for ``train/outputs/merged``), other than the launch and not a vLLM server,
    binds ``host`` or a folder above it writable: the job that writes the model there (a fine-tune's merged output,
    a quantization, a download) is part of the project."""
    from vllm_lint.sources.discover import _COMPOSE_NAME
    from vllm_lint.sources.source_file import UnreadableFile, read_text
    from vllm_lint.sources.yamlnodes import YamlError, load_documents, plain

    wanted = _resolved(host)
    root = _resolved(Path(getattr(ctx.settings, "root", None) or deployment.base_dir))
    folders = [_resolved(Path(deployment.base_dir))]
    folders += [f for f in wanted.parents if (f == root or root in f.parents) and f not in folders][:8]
    files: list[Path] = []
    for folder in folders:
        try:
            files += sorted(f for f in folder.iterdir() if _COMPOSE_NAME.search(f.name) and f.is_file())
        except OSError:
            continue
    for path in files[:limit]:
        base = path.parent
        try:
            documents = load_documents(read_text(path), str(path), errors=[])
        except (OSError, UnreadableFile, YamlError, ValueError, RecursionError):
            continue
        for document in documents:
            data = plain(document)
            services = data.get("services") if isinstance(data, dict) else None
            for name, service in (services.items() if isinstance(services, dict) else ()):
                if not isinstance(service, dict) or "vllm" in str(service.get("image") or "").lower() or (
                        name == deployment.name and base == folders[0] and path.name == Path(deployment.path).name):
                    continue
                for source in _writable_sources(service.get("volumes")):
                    mounted = _resolved(base / source)
                    if mounted == wanted or mounted in wanted.parents:
                        return True
    return False


def _writable_sources(volumes) -> list[str]:
    """Host paths of the project (``./...``) that a service's volumes bind without ``:ro`` / ``read_only``."""
    out = []
    for v in volumes if isinstance(volumes, list) else ():
        if isinstance(v, str):
            parts = v.split(":")
            mode = parts[2].split(",") if len(parts) > 2 else []
            if len(parts) >= 2 and parts[0].startswith(".") and "ro" not in mode:
                out.append(parts[0])
        elif isinstance(v, dict) and str(v.get("source") or "").startswith(".") \
                and str(v.get("read_only")).lower() != "true":
            out.append(str(v["source"]))
    return [s for s in out if "$" not in s]


def _resolved(path: Path) -> Path:
    return Path(os.path.normpath(os.path.abspath(path)))


def _defaulted_variable(v) -> str | None:
    """The variable whose default became the host path (``${HF_CACHE:-./hf}`` with HF_CACHE unset), or None."""
    raw_source = v.raw.rsplit(":" + v.target, 1)[0] if v.raw else ""
    for m in _DEFAULTED.finditer(raw_source):
        if _DEFAULTED.sub(lambda x: x.group(3), raw_source) == v.source:
            return m.group(1)
    return None


def _under(path: str, mount: str) -> bool:
    p, m = PurePosixPath(path), PurePosixPath(mount)
    return p == m or m in p.parents


def _truthy(var) -> bool:
    return var is not None and var.value is not None and var.value.strip().lower() in ("1", "true", "yes", "on")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
