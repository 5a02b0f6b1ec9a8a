"""``docker run`` / ``podman run`` / ``nerdctl run`` in a script -> a Deployment of kind ``docker-run``.

The container's options are read as a compose service's would be: ``-p`` (ports), ``-v`` / ``--mount``
(volumes), ``-e`` / ``--env-file`` (environment), ``--gpus`` / ``--device nvidia.com/gpu=…`` (CDI) /
``--runtime nvidia`` with ``NVIDIA_VISIBLE_DEVICES`` (GPUs), ``--ipc``, ``--shm-size``, ``--entrypoint``.
The image's own entrypoint runs the arguments after the image (``vllm serve`` for ``vllm/vllm-openai``).
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Port, Volume, Word
from vllm_lint.loaders.command import (
    CUSTOM_ENTRYPOINT,
    attach_args,
    image_repository,
    split_launch,
    starts_with_vllm_options,
    version_from_image,
)
from vllm_lint.loaders.shell_launches import Candidate, expand_words
from vllm_lint.loaders.shell_vars import resolve_words
from vllm_lint.sources.source_file import is_regular_file


def deployment(candidate: Candidate, sf, path: Path, ctx) -> Deployment | None:
    run = candidate.container
    scope = candidate.scope

    def resolved(words: list[Word]) -> list[Word]:
        return resolve_words(words, scope.lookup, arrays=scope.arrays)

    image_word = resolved([run.image])[0]
    image = image_word.value if not any(u.value is None for u in image_word.variables) else None
    entry, args = resolved(run.entrypoint), resolved(run.args)
    options = [(name, resolved([value])[0] if value is not None else None, word) for name, value, word in run.options]
    env = _environment(options, scope, path, ctx)
    gpus = _gpus(options, env)
    patterns = getattr(ctx, "vllm_images", ())
    launch = split_launch(entry, args, image, patterns)
    if launch is None:  # the container runs a shell, or a wrapper: what does it start?
        for inner in expand_words(run.entrypoint + run.args, scope, sf):
            launch = split_launch([], inner.words, None)
            if launch is not None:
                break
    if launch is None and not entry and gpus and starts_with_vllm_options(args, ctx.release(None)):
        launch = CUSTOM_ENTRYPOINT, args  # a custom image given vLLM's options, with GPUs
    wrapper = None  # a server that builds vLLM's options itself (loaders/paddlex.py, loaders/runpod_worker.py)
    if launch is None:
        from vllm_lint.loaders import paddlex, runpod_worker

        wrapper = paddlex.find(entry + args)
        if wrapper is None and not entry and not args and runpod_worker.is_worker_image(image):
            wrapper = runpod_worker.LAUNCHER
        launch = ("vllm serve", []) if wrapper is not None else None
    if launch is None:
        return None
    name = next((v.value for n, v, _ in options if n == "--name" and v is not None), None)
    d = Deployment(sf.path, "docker-run", name or f"line {run.head.span.line}", run.head.span, image=image,
                   image_span=image_word.span, env=env, base_dir=str(path.parent),
                   host_group=str(path.parent.resolve()))
    if image and "vllm" in image_repository(image).lower():
        version = version_from_image(image)
        if version:
            d.version, d.version_source = version, f"image tag {image}"
    d.gpus = gpus
    for name, value, _ in options:
        if value is None:
            continue
        if name in ("-p", "--publish"):
            d.ports.append(_port(value))
        elif name in ("-v", "--volume"):
            volume = _volume(value)
            if volume is not None:
                d.volumes.append(volume)
        elif name == "--mount":
            fields = dict(part.split("=", 1) for part in value.value.split(",") if "=" in part)
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if target:
                d.volumes.append(Volume(fields.get("source") or fields.get("src"), target, value.span,
                                        fields.get("type", "volume")))
        elif name == "--ipc":
            d.ipc, d.ipc_span = value.value, value.span
        elif name == "--shm-size":
            d.shm_size, d.shm_size_span = value.value, value.span
        elif name == "--runtime":
            d.runtime = value.value
    if wrapper == "runpod worker-vllm":
        from vllm_lint.loaders import runpod_worker

        d.via = "RunPod worker-vllm: its main.py builds vllm serve's arguments from the environment"
        attach_args(d, runpod_worker.words(d.env, ctx.release(d.version), None, d.span, False, d.notes), "vllm serve", ctx)
    elif wrapper is not None:
        from vllm_lint.loaders import paddlex

        paddlex.attach(d, wrapper, ctx)
    else:
        attach_args(d, launch[1], launch[0], ctx)
    return d


def _environment(options, scope, path: Path, ctx) -> dict[str, EnvVar]:
    env: dict[str, EnvVar] = {}
    for name, value, word in options:
        if value is None:
            continue
        if name in ("-e", "--env"):
            var, eq, text = value.value.partition("=")
            unknown = any(u.value is None for u in value.variables)
            # -e NAME passes the variable of the shell that runs docker: known only when the script sets it
            env[var] = EnvVar(var, (None if unknown else text) if eq else scope.lookup(var), value.span)
        elif name == "--env-file":
            from vllm_lint.loaders.common import Environment

            file = Path(value.value).expanduser()
            file = file if file.is_absolute() else path.parent / file
            if not is_regular_file(file):
                continue  # a file on the serving host: its variables are unknown
            sources: dict = {}
            loaded = Environment.from_files([file], ctx.display, {}, sources)
            for key, source in sources.items():
                ctx.add_source(key, source)
            for var, definition in loaded.definitions.items():
                env[var] = EnvVar(var, definition.value, definition.span)
    return env


def _gpus(options, env) -> list[GpuRequest]:
    out = []
    for name, value, _ in options:
        if value is None:
            continue
        text = value.value.strip().strip("'\"")
        if name == "--gpus":
            if text == "all":
                out.append(GpuRequest(value.span, count=-1, how="--gpus"))
            elif text.isdigit():
                out.append(GpuRequest(value.span, count=int(text), how="--gpus"))
            else:  # "device=0,1" (quoted for docker's CSV reading), count=2, all,capabilities=utility
                text = text.replace('"', "").replace("'", "")
                ids = re.search(r"device=([\w,-]+)", text)
                count = re.search(r"count=(\w+)", text)
                if ids is not None:
                    out.append(GpuRequest(value.span, [i for i in ids.group(1).split(",") if i], how="--gpus"))
                elif count is not None:
                    n = count.group(1)
                    out.append(GpuRequest(value.span, count=-1 if n == "all" else int(n) if n.isdigit() else None, how="--gpus"))
                else:
                    out.append(GpuRequest(value.span, count=-1 if text.split(",")[0] == "all" else None, how="--gpus"))
        elif name == "--device" and text.startswith(("nvidia.com/gpu=", "amd.com/gpu=")):
            which = text.split("=", 1)[1]
            out.append(GpuRequest(value.span, None if which == "all" else [which], -1 if which == "all" else None,
                                  "--device (CDI)"))
    runtime = next((v for n, v, _ in options if n == "--runtime" and v is not None), None)
    visible = env.get("NVIDIA_VISIBLE_DEVICES")
    if runtime is not None and runtime.value == "nvidia" and visible is not None and visible.value not in (None, "", "void", "none"):
        value = visible.value
        out.append(GpuRequest(visible.span, None if value == "all" else [v.strip() for v in value.split(",") if v.strip()],
                              -1 if value == "all" else None, "NVIDIA_VISIBLE_DEVICES"))
    return out


def _port(value: Word) -> Port:
    text, proto = value.value, "tcp"
    if "/" in text:
        text, proto = text.rsplit("/", 1)
    parts = text.rsplit(":", 2)
    if len(parts) == 1:
        return Port(parts[0], None, value.span, proto)
    return Port(parts[-1], ":".join(parts[:-1]) or None, value.span, proto)


def _volume(value: Word) -> Volume | None:
    parts = value.value.split(":")
    if len(parts) >= 2 and len(parts[0]) == 1 and parts[1].startswith(("\\", "/")):  # C:\path
        parts = [parts[0] + ":" + parts[1]] + parts[2:]
    if len(parts) == 1:
        return Volume(None, parts[0], value.span, "volume")
    source = parts[0]
    kind = "bind" if source.startswith((".", "/", "~", "$")) or ":" in source else "volume"
    if "$" in source:
        source = None  # $HOME, $(pwd): a folder of the host that runs the script, not known here
    return Volume(source, parts[1], value.span, kind)
