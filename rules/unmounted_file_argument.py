"""A file argument points into the container where no volume provides the file.

## What it does
For arguments that name a file inside the container (``--chat-template``, ``--tool-parser-plugin``,
``--reasoning-parser-plugin``, ``--config``, TLS files, ...), checks that a volume or bind mount covers
the path, and, for a bind mount from a relative host path, that the file exists beside the
configuration; a host path that climbs out of the project (``./../../plugins``) is named by where it
resolves. Paths that the official image ships (``/vllm-workspace/``) and inline Jinja templates are
accepted.

For ``--middleware a.b.Class`` (vLLM imports the module ``a.b``: ``importlib.import_module`` in
``vllm/entrypoints/openai/api_server.py`` ``build_app``, 0.6.0 to 0.33.0), when the module is the
project's own code (``a.py`` or ``a/`` beside the compose file or one folder below), checks that a
``PYTHONPATH`` entry of the container is mounted from the folder that holds it. A module that is not
in the project (an installed package) is not checked, nor are launches of an image built from the
project (its Dockerfile may copy the code in).

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

from vllm_lint.rules._paths import shown

CODE = "VLL105"
NAME = "unmounted-file-argument"
CATEGORY = "filesystem"
SEVERITY = "error"
OPTIONS = {
    "file-options": ["chat-template", "tool-parser-plugin", "reasoning-parser-plugin", "config", "ssl-keyfile",
                     "ssl-certfile", "ssl-ca-certs", "response-role-file", "generation-config", "speculative-config-file"],
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
            yield ctx.finding(arg.value_or_flag_span, f"{arg.flag or '--' + name} {path} is mounted from "
                              f"{shown(host, ctx)}, which does not exist", hint="add the file, or correct the mount")
    yield from _middleware(deployment, ctx)


def _middleware(deployment, ctx):
    """``--middleware`` modules of the project's own code that no mounted PYTHONPATH entry provides."""
    if deployment.via or deployment.launcher == "custom image entrypoint" or not deployment.base_dir:
        return  # an image built from the project may copy the code in
    base = Path(deployment.base_dir)
    pythonpath = deployment.env.get("PYTHONPATH")
    entries = [e for e in (pythonpath.value or "").split(":") if e] if pythonpath is not None else []
    for arg in deployment.all("middleware"):
        if not arg.value or "." not in arg.value or "$" in arg.value:
            continue
        top = arg.value.rsplit(".", 1)[0].split(".")[0]
        local = _project_module(base, top)
        if local is None:
            continue  # not the project's code: an installed package, not checked
        provided = False
        unmounted = []
        for entry in entries:
            host = deployment.host_path(entry) if entry.startswith("/") else None
            if host is None:
                unmounted.append(entry)
            elif isinstance(host, Path) and (_exists(host / f"{top}.py") or _exists(host / top)):
                provided = True
        if provided:
            continue
        where = local.parent.relative_to(base) if local.parent != base else Path(".")
        said = (f"PYTHONPATH {pythonpath.value} is not mounted from it" + (f" ({', '.join(unmounted)}: no volume)" if unmounted else "")
                if entries else "PYTHONPATH is not set to a mounted folder")
        yield ctx.finding(arg.value_or_flag_span, f"--middleware {arg.value}: vLLM imports the module {top}, which is "
                          f"the project's {local.relative_to(base)}, but {said}: the import fails at start-up",
                          hint=f"mount ./{where} (e.g. at /app/{where.name or 'src'}) and add that folder to PYTHONPATH")


def _project_module(base: Path, top: str) -> Path | None:
    """``top.py`` or the package folder ``top/`` beside the compose file or one folder below, or None."""
    if not top.isidentifier():
        return None
    candidates = [base / f"{top}.py", base / top / "__init__.py"]
    try:
        candidates += [sub / f"{top}.py" for sub in sorted(base.iterdir())[:200] if sub.is_dir() and not sub.name.startswith(".")]
        candidates += [sub / top / "__init__.py" for sub in sorted(base.iterdir())[:200] if sub.is_dir() and not sub.name.startswith(".")]
    except OSError:
        pass
    for c in candidates:
        if _exists(c) and c.is_file():
            return c if c.name != "__init__.py" else c.parent
    return None


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
