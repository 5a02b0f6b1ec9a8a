"""A file argument points into the container where no volume provides the file.

## What it does
For arguments that name a file inside the container (``--chat-template``, ``--tool-parser-plugin``,
``--config``, TLS files, ...), checks that a volume or bind mount covers the path, and, for a bind
mount from a relative host path, that the file exists beside the configuration. Paths that the
official image ships (``/vllm-workspace/``) and inline Jinja templates are accepted.

## Why is this bad?
Seed report 004: the ``medium`` profile passes ``--chat-template=/app/chat-templates/qwen.jinja``
while its only volume is ``~/.cache/huggingface:/root/.cache/huggingface``. vLLM exits at start-up
on the missing file — after the image pull, and in a multi-GPU profile after the NCCL set-up.

## Example
```yaml
    volumes: ["~/.cache/huggingface:/root/.cache/huggingface"]
    command: ["--chat-template=/app/chat-templates/qwen.jinja"]
```

## Fix
Mount the file (``./chat-templates:/app/chat-templates:ro``) or drop the argument.
"""
from pathlib import Path

CODE = "VLL105"
NAME = "unmounted-file-argument"
CATEGORY = "filesystem"
SEVERITY = "error"
OPTIONS = {
    "file-options": ["chat-template", "tool-parser-plugin", "config", "ssl-keyfile", "ssl-certfile",
                     "ssl-ca-certs", "response-role-file", "generation-config", "speculative-config-file"],
    "image-paths": ["/vllm-workspace/", "/usr/", "/opt/", "/etc/"],
}


def check(deployment, ctx):
    if deployment.kind not in ("compose", "kubernetes", "docker-run"):
        return  # scripts run on the host: their paths are not inside a container
    for name in ctx.options["file-options"]:
        arg = deployment.arg(name)
        if arg is None or not arg.value or arg.origin == "config":
            continue
        path = arg.value
        if "{{" in path or "{%" in path or not path.startswith("/"):
            continue  # an inline template, or a path relative to the working directory
        if any(path.startswith(p) for p in ctx.options["image-paths"]):
            continue
        host = deployment.host_path(path)
        if host is None:
            mounts = ", ".join(v.target for v in deployment.volumes) or "none"
            yield ctx.finding(arg.value_or_flag_span, f"{arg.flag or '--' + name} {path}: no volume mounts this path "
                              f"into the container (mounted: {mounts})",
                              hint=f"mount the file, e.g. ./{Path(path).parent.name}:{Path(path).parent}:ro")
        elif isinstance(host, Path) and not _under_home(deployment, path) and not _exists(host):
            yield ctx.finding(arg.value_or_flag_span, f"{arg.flag or '--' + name} {path} is mounted from {host}, "
                              "which does not exist", hint="add the file, or correct the mount")


def _under_home(deployment, path):
    """Bind mounts from ~ or absolute host paths are machine-specific: not checked for existence."""
    for v in deployment.volumes:
        if path.startswith(v.target.rstrip("/") + "/") or path == v.target:
            return not v.source or v.source.startswith(("~", "/", "$"))
    return True


def _exists(path) -> bool:
    """``Path.exists()`` that answers False for a path no file system takes (a NUL byte, a name too long)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False
