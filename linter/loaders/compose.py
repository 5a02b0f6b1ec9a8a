"""docker compose files (the Compose Specification) -> Deployments.

Reads ``services`` with interpolation from the ``.env`` beside the first file (or ``--env-file``)
under the process environment, merges several files as ``docker compose -f a -f b`` does, applies
``extends``, YAML anchors, merge keys and ``x-`` extension fields, and keeps the position of every
value it reads.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Healthcheck, Port, Probe, Volume, Word
from vllm_lint.loaders.command import (
    CUSTOM_ENTRYPOINT,
    attach_args,
    image_repository,
    split_launch,
    starts_with_vllm_options,
    version_from_image,
)
from vllm_lint.loaders.common import Environment, interpolate_tree, scalar_words, sequence_words, shell_c_commands
from vllm_lint.loaders.context import LoadContext
from vllm_lint.sources.realpath import resolved
from vllm_lint.sources.source_file import SourceFile, UnreadableFile, is_regular_file, read_text, regular_file_problem
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, YMap, YNode, YScalar, YSeq, load_documents

#: Keys whose value an override file replaces instead of merging.
_REPLACED = {"command", "entrypoint", "test", "image", "runtime", "ipc", "shm_size", "healthcheck.test"}
_MAX_EXTENDS = 10


def _read(path: Path, ctx: LoadContext) -> tuple[SourceFile, YMap | None]:
    sf = ctx.source(path, "compose")
    try:
        sf.text = read_text(path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return sf, None
    duplicates: list = []
    try:
        docs = load_documents(sf.text, sf.path, problems=duplicates)
    except YamlError as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line or 1, exc.column or 1))
        return sf, None
    for kind, message, span in duplicates:  # compose refuses them ("mapping key already defined")
        sf.add(kind, message, span)
    present = [d for d in docs if d is not None]
    if not present:
        sf.add("unreadable", "empty file: no compose document", Span.point(sf.path))
        return sf, None
    root = present[0]
    for doc in present:
        if not isinstance(doc, YMap):
            sf.add("unreadable", "a compose file must be a mapping at the top level", doc.span)
            return sf, None
    for doc in present[1:]:  # several documents: compose merges them in order, as files given with -f
        root = merge(root, doc)
    return sf, root


def environment_for(files: list[Path], ctx: LoadContext) -> Environment:
    if ctx.env_files is not None:
        env_paths = ctx.env_files
    else:
        candidate = files[0].parent / ".env"
        # a .env that is not a regular file (a FIFO, a folder) is read, and reported, by Environment.from_files
        env_paths = [candidate] if os.path.lexists(candidate) and not candidate.is_dir() else []
    sources: dict = {}
    env = Environment.from_files(env_paths, ctx.display, ctx.process_env, sources)
    for key, sf in sources.items():
        ctx.add_source(key, sf)
    return env


def load(files: list[Path], ctx: LoadContext) -> list[Deployment]:
    """Deployments of one compose project made of ``files`` (merged in order)."""
    included_state(ctx)["read"].update(str(resolved(f)) for f in files)
    env = environment_for(files, ctx)
    uses: dict[int, tuple] = {}
    roots: list[tuple[SourceFile, YMap]] = []
    for path in files:
        sf, root = _read(path, ctx)
        if root is None:
            continue
        sf.env_files = list(env.files)
        interpolate_tree(root, sf, env, uses)
        roots.append((sf, root))
    if not roots:
        return []
    included: list[Deployment] = []
    for sf, root in roots:
        included += _includes(root, sf, ctx)
    services: dict[str, YMap] = {}
    service_keys: dict[str, YScalar] = {}
    for sf, root in roots:
        node = root.get("services")
        if node is None or isinstance(node, YScalar) and node.is_null:
            continue
        if not isinstance(node, YMap):
            sf.add("invalid-compose", "'services' must be a mapping", node.span)
            continue
        for name, service in node.items():
            if not isinstance(service, YMap):
                if not (isinstance(service, YScalar) and service.is_null):
                    sf.add("invalid-compose", f"service {name!r} must be a mapping", service.span)
                continue
            services[name] = merge(services[name], service) if name in services else service
            service_keys.setdefault(name, node.key_node(name))
    deployments = []
    base_dir = files[0].parent
    for name, service in services.items():
        sf = ctx.by_display(service.span.path) or roots[0][0]
        service = _extends(service, name, services, sf, ctx, env, uses, 0)
        d = _deployment(name, service, service_keys[name], sf, env, ctx, base_dir)
        if d is not None:
            d.host_group = _host_group(str(files[0]))
            d.depends_on_files.extend(env.files)
            deployments.append(d)
        elif _reserves_gpus(service):
            _gpu_tenant(name, service, service_keys[name], sf, ctx, files[0])
    _health_consumers(deployments, services)
    return deployments + included


def _gpu_tenant(name: str, service: YMap, key: YScalar, sf: SourceFile, ctx: LoadContext, first_file: Path) -> None:
    """A service that reserves GPUs but runs no vLLM (a TTS or embedding server): kept aside, not a launch, for
    the GPU budget of its project (rules/gpu_oversubscription.py). Its declared use is the label
    ``vllm-lint.gpu-memory`` (a fraction of the card, or a size such as ``6GiB``)."""
    image = _scalar(service.get("image"))
    t = Deployment(sf.path, "compose", name, key.span, image=image.value if image else None)
    visible = _env_value(service, "NVIDIA_VISIBLE_DEVICES")
    if visible is not None:
        t.env["NVIDIA_VISIBLE_DEVICES"] = EnvVar("NVIDIA_VISIBLE_DEVICES", visible[0], visible[1])
    _gpus(t, service)
    t.host_group = _host_group(str(first_file))
    profiles = service.get("profiles")
    if isinstance(profiles, YSeq):
        t.profiles = [str(i.value) for i in profiles.items if isinstance(i, YScalar)]
    labels = service.get("labels")
    declared = None
    if isinstance(labels, YMap):
        declared = _scalar(labels.get("vllm-lint.gpu-memory"))
    elif isinstance(labels, YSeq):
        for item in labels.items:
            if isinstance(item, YScalar) and str(item.value).startswith("vllm-lint.gpu-memory="):
                declared = item
    if declared is not None:
        t.notes.append("gpu-memory=" + str(declared.value).split("=", 1)[-1].strip())
        t.span = declared.span
    ctx.__dict__.setdefault("gpu_tenants", []).append(t)


def _env_value(service: YMap, name: str):
    """(value, span) of one variable of a service's ``environment`` (mapping or ``NAME=value`` list), or None."""
    env = service.get("environment")
    node = _env_entries(env).get(name) if env is not None else None
    if not isinstance(node, YScalar) or node.is_null:
        return None
    value = str(node.value)
    if isinstance(env, YSeq):
        value = value.split("=", 1)[1] if "=" in value else ""
    return value.strip(), node.span


def _health_consumers(deployments: list[Deployment], services: dict) -> None:
    """Who acts on a vLLM service's "unhealthy": a service that ``depends_on`` it with ``condition:
    service_healthy`` (compose up fails: "dependency failed to start"), or autoheal (the label ``autoheal=true``,
    or an autoheal container watching every container), which restarts it."""
    by_name = {d.name: d for d in deployments}
    watch_all = False
    for name, service in services.items():
        image = _scalar(service.get("image")) if isinstance(service, YMap) else None
        if image is not None and "autoheal" in str(image.value):
            label = _env_value(service, "AUTOHEAL_CONTAINER_LABEL")
            watch_all = watch_all or (label is not None and label[0] == "all")
        deps = service.get("depends_on") if isinstance(service, YMap) else None
        if isinstance(deps, YMap):
            for dep, spec in deps.items():
                condition = _scalar(spec.get("condition")) if isinstance(spec, YMap) else None
                if dep in by_name and condition is not None and condition.value == "service_healthy":
                    for probe in by_name[dep].probes:
                        probe.acted_on_by.append(f"service {name} (depends_on: condition: service_healthy)")
    for d in deployments:
        service = services.get(d.name)
        labels = service.get("labels") if isinstance(service, YMap) else None
        marked = False
        if isinstance(labels, YMap):
            value = _scalar(labels.get("autoheal"))
            marked = value is not None and str(value.value).lower() == "true"
        elif isinstance(labels, YSeq):
            marked = any(isinstance(i, YScalar) and str(i.value).lower() == "autoheal=true" for i in labels.items)
        if marked or watch_all:
            for probe in d.probes:
                probe.acted_on_by.append("autoheal (restarts unhealthy containers)")


_MAX_INCLUDE_DEPTH = 10


def included_state(ctx: LoadContext) -> dict:
    """The compose files read so far in this run (resolved paths), and how deep includes are being followed."""
    return ctx.__dict__.setdefault("_compose_includes", {"read": set(), "depth": 0})


def already_read(files: list[Path], ctx: LoadContext) -> bool:
    """Whether every file of a project was read already (through an ``include:`` of another project)."""
    read = included_state(ctx)["read"]
    return bool(files) and all(str(resolved(f)) in read for f in files)


def _includes(root: YMap, sf: SourceFile, ctx: LoadContext) -> list[Deployment]:
    """Follow ``include:`` as compose does, consistently with discovery (:mod:`vllm_lint.sources.discover`), which
    already reads every local include whose path names no variable, as a project of its own joined to this one.
    Here: an include whose path is known only after interpolation is read (once per run); a local include that
    is not a readable file is a finding (compose cannot load the project); a remote one (git, oci://, https)
    is named in a note, not fetched."""
    node = root.get("include")
    if node is None or isinstance(node, YScalar) and node.is_null:
        return []
    if not isinstance(node, YSeq):
        sf.add("invalid-compose", "'include' must be a list", node.span)
        return []
    state = included_state(ctx)
    out: list[Deployment] = []
    for entry in node.items:
        given = entry.get("path") if isinstance(entry, YMap) else entry
        items = given.items if isinstance(given, YSeq) else [given]
        group: list[Path] = []
        for item in items:
            if not isinstance(item, YScalar) or item.is_null or not item.value:
                if item is not None:
                    sf.add("invalid-compose", "an include needs a path", item.span)
                continue
            value = item.value
            if "://" in value or value.startswith("git@"):
                ctx.notes.append(f"{sf.path}:{item.span.line}: include {value} is remote, not fetched: "
                                 "its services were not linted")
                continue
            path = Path(os.path.normpath(Path(sf.abspath).parent / Path(value).expanduser()))
            why = regular_file_problem(path)
            if why:
                why = "does not exist" if why == "No such file or directory" else why
                sf.add("invalid-compose", f"include {value!r} {why}: compose cannot load this project", item.span)
                continue
            if "$" in item.raw_value:  # discovery could not know this path: read it here
                group.append(path)
        group = [g for g in group if str(resolved(g)) not in state["read"]]
        if group and state["depth"] < _MAX_INCLUDE_DEPTH:
            state["read"].update(str(resolved(g)) for g in group)
            state["depth"] += 1
            try:
                out += load(group, ctx)
            finally:
                state["depth"] -= 1
    return out


def merge(base: YNode, override: YNode, key: str = "") -> YNode:
    """Merge an override into a base node as compose merges files."""
    if override.tag == "!reset":
        return YScalar(override.span, "tag:yaml.org,2002:null", "")
    if override.tag == "!override" or key in _REPLACED:
        return override
    if isinstance(base, YMap) and isinstance(override, YMap):
        result = YMap(override.span, override.tag, dict(base.entries))
        for k, (knode, vnode) in override.entries.items():
            if k in result.entries:
                result.entries[k] = (knode, merge(result.entries[k][1], vnode, k if not key else f"{key}.{k}" if key == "healthcheck" else k))
            else:
                result.entries[k] = (knode, vnode)
        return result
    if key == "environment" and isinstance(base, (YMap, YSeq)) and isinstance(override, (YMap, YSeq)):
        return _merge_environment(base, override)
    if isinstance(base, YSeq) and isinstance(override, YSeq) and key in ("ports", "volumes", "env_file", "expose", "devices", "secrets", "configs"):
        seen = {_plain_key(i) for i in override.items}
        return YSeq(override.span, override.tag, [i for i in base.items if _plain_key(i) not in seen] + list(override.items))
    return override


def _plain_key(node: YNode) -> str:
    if isinstance(node, YScalar):
        return node.value
    if isinstance(node, YMap):
        target = node.get("target")
        return target.value if isinstance(target, YScalar) else str(id(node))
    return str(id(node))


def _env_entries(node: YNode) -> dict[str, YNode]:
    out: dict[str, YNode] = {}
    if isinstance(node, YMap):
        for k, v in node.items():
            out[k] = v
    elif isinstance(node, YSeq):
        for item in node.items:
            if isinstance(item, YScalar):
                out[item.value.split("=", 1)[0]] = item
    return out


def _merge_environment(base: YNode, override: YNode) -> YSeq:
    merged = _env_entries(base)
    merged.update(_env_entries(override))
    # keep a list whose items are either "K=V" scalars or (key, value) pairs as single-entry maps
    items: list[YNode] = []
    for k, v in merged.items():
        if isinstance(v, YScalar) and v.value.split("=", 1)[0] == k and ("=" in v.value or v.raw_value == k):
            items.append(v)
        else:
            items.append(YMap(v.span, "tag:yaml.org,2002:map", {k: (YScalar(v.span, "tag:yaml.org,2002:str", k), v)}))
    return YSeq(override.span, "tag:yaml.org,2002:seq", items)


def _extends(service: YMap, name: str, services: dict, sf: SourceFile, ctx: LoadContext, env, uses, depth: int) -> YMap:
    ext = service.get("extends")
    if ext is None:
        return service
    if depth >= _MAX_EXTENDS:
        sf.add("invalid-compose", f"service {name!r}: 'extends' nests deeper than {_MAX_EXTENDS} levels (a loop?)", ext.span)
        return service
    if isinstance(ext, YScalar):
        base_name, base_file = ext.value, None
    elif isinstance(ext, YMap) and isinstance(ext.get("service"), YScalar):
        base_name = ext.get("service").value
        f = ext.get("file")
        base_file = f.value if isinstance(f, YScalar) else None
    else:
        sf.add("invalid-compose", f"service {name!r}: 'extends' needs a service name", ext.span)
        return service
    if base_file:
        path = (Path(sf.abspath).parent / base_file)
        why = regular_file_problem(path)
        if why:  # a NUL byte, a name too long, /dev/zero, a FIFO: never opened
            sf.add("invalid-compose", f"service {name!r} extends {base_file!r}: {why}", ext.span)
            return service
        other_sf, root = _read(path, ctx)
        if root is None:
            sf.add("invalid-compose", f"service {name!r} extends {base_file}, which cannot be read", ext.span)
            return service
        interpolate_tree(root, other_sf, env, uses)
        svc = root.get("services")
        base = svc.get(base_name) if isinstance(svc, YMap) else None
        pool = {k: v for k, v in svc.items()} if isinstance(svc, YMap) else {}
        base_sf = other_sf
    else:
        base = services.get(base_name)
        pool = services
        base_sf = sf
    if not isinstance(base, YMap):
        sf.add("invalid-compose", f"service {name!r} extends {base_name!r}, which does not exist", ext.span)
        return service
    base = _extends(base, base_name, pool, base_sf, ctx, env, uses, depth + 1)
    own = YMap(service.span, service.tag, {k: v for k, v in service.entries.items() if k != "extends"})
    return merge(base, own)


@lru_cache(maxsize=1024)
def _host_group(first_file: str) -> str:
    """The launches of one compose project (the files merged) share a machine: its first file names it.
    Files beside it are alternatives; the engine joins projects that ``include:`` each other or that the
    configuration's ``projects:`` groups."""
    return str(resolved(first_file))


def _scalar(node: YNode | None) -> YScalar | None:
    return node if isinstance(node, YScalar) and not node.is_null else None


def _deployment(name: str, service: YMap, key: YScalar, sf: SourceFile, env: Environment, ctx: LoadContext,
                base_dir: Path) -> Deployment | None:
    def source_for(node: YNode) -> SourceFile:
        return ctx.by_display(node.span.path) or sf

    image_node = _scalar(service.get("image"))
    image = image_node.value if image_node else None
    entry_node = service.get("entrypoint")
    command_node = service.get("command")
    entry_words = sequence_words(entry_node, source_for(entry_node), env) if entry_node is not None else []
    command_words = sequence_words(command_node, source_for(command_node), env) if command_node is not None else []
    if command_node is not None:
        command_words = _without_block_comments(command_node, source_for(command_node), command_words)
    patterns = getattr(ctx, "vllm_images", ())
    built = _built_image(service.get("build"), sf, ctx)  # build: a Dockerfile whose image runs the command
    launch = None
    if built is not None:
        launch = _built_launch(built, entry_words if entry_node is not None else None,
                               command_words if command_node is not None else None, sf)
    if launch is None:
        launch = split_launch(entry_words, command_words, image, patterns)
    if launch is None:
        owner = command_node if command_node is not None else entry_node
        for inner in shell_c_commands(entry_words + command_words, source_for(owner)) if owner is not None else []:
            launch = split_launch([], inner, None)
            if launch:
                break
    if launch is None and entry_node is None and command_words and _reserves_gpus(service) \
            and starts_with_vllm_options(command_words, ctx.release(None)):
        launch = CUSTOM_ENTRYPOINT, command_words  # a custom image given vLLM's options, with GPUs
    wrapper = None  # a server that starts vLLM with options it builds itself (loaders/paddlex.py, runpod_worker.py)
    if launch is None:
        from vllm_lint.loaders import paddlex, runpod_worker

        owner = command_node if command_node is not None else entry_node
        inner = shell_c_commands(entry_words + command_words, source_for(owner)) if owner is not None else []
        wrapper = next((w for w in map(paddlex.find, [entry_words + command_words, *inner]) if w), None)
        if wrapper is None and entry_node is None and command_node is None and (
                runpod_worker.is_worker_image(image)
                or built is not None and runpod_worker.is_worker_dockerfile(built, built.source.text)):
            wrapper = runpod_worker.LAUNCHER  # its arguments come from the service's environment
        launch = ("vllm serve", []) if wrapper is not None else None
    if launch is None:
        return None
    launcher, words = launch
    d = Deployment(sf.path, "compose", name, key.span, image=image, image_span=image_node.span if image_node else None,
                   base_dir=str(base_dir))
    # a custom image's tag is its own version, not vLLM's: read only for images named for vLLM (or run explicitly)
    use_tag = image and ("vllm" in image_repository(image).lower() or built is None and launcher != CUSTOM_ENTRYPOINT)
    version = version_from_image(image) if use_tag else None
    if version:
        d.version, d.version_source = version, f"image tag {image}"
    if built is not None:
        if built.version:
            d.version, d.version_source = built.version, built.version_source
        d.depends_on_files.append(built.path)
        d.via = (f"the image built from {built.path}" + (f" (stage {built.stage.name})" if built.stage.name else "")
                 + (f", FROM {built.vllm_base}" if built.vllm_base else ", which installs vLLM" if built.installs_vllm else ""))
        for var, value in built.env.items():
            d.env.setdefault(var, value)
    _environment(d, service, source_for, env, base_dir, ctx)
    _ports(d, service.get("ports"))
    _volumes(d, service.get("volumes"), base_dir)
    _gpus(d, service)
    _healthcheck(d, service.get("healthcheck"), source_for, env)
    profiles = service.get("profiles")
    if isinstance(profiles, YSeq):
        d.profiles = [str(i.value) for i in profiles.items if isinstance(i, YScalar)]
    for attr in ("ipc", "shm_size", "runtime"):
        node = _scalar(service.get(attr))
        if node is not None:
            setattr(d, attr, node.value)
            if hasattr(d, attr + "_span"):
                setattr(d, attr + "_span", node.span)
    if wrapper == "runpod worker-vllm":
        from vllm_lint.loaders import runpod_worker

        d.via = (d.via + "; " if d.via else "") + "RunPod worker-vllm: its main.py builds vllm serve's arguments from the environment"
        attach_args(d, runpod_worker.words(d.env, ctx.release(d.version), None, key.span, False, d.notes), "vllm serve", ctx)
    elif wrapper is not None:
        from vllm_lint.loaders import paddlex

        paddlex.attach(d, wrapper, ctx)
    else:
        attach_args(d, words, launcher, ctx)
    return d


def _built_image(build: YNode | None, sf: SourceFile, ctx: LoadContext):
    """The image a service's ``build:`` makes (a :class:`~vllm_lint.loaders.dockerfile.Image` of the stage it
    runs: ``target:``, else the last), when its Dockerfile is in the tree and starts from vLLM's image or
    installs vLLM; else None. ``args:`` override the Dockerfile's ``ARG`` defaults."""
    from vllm_lint.loaders import dockerfile

    if build is None:
        return None
    if isinstance(build, YScalar):
        context, file, target, args = build.value, None, None, {}
    elif isinstance(build, YMap):
        context = _scalar(build.get("context")).value if _scalar(build.get("context")) else "."
        file = _scalar(build.get("dockerfile")).value if _scalar(build.get("dockerfile")) else None
        target = _scalar(build.get("target")).value if _scalar(build.get("target")) else None
        args = {}
        node = build.get("args")
        if isinstance(node, YMap):
            args = {k: v.value for k, v in node.items() if isinstance(v, YScalar) and not v.is_null}
        elif isinstance(node, YSeq):
            args = dict(i.value.split("=", 1) for i in node.items if isinstance(i, YScalar) and "=" in i.value)
    else:
        return None
    if not context or "://" in context or context.startswith("git@"):
        return None  # a remote context: not in the tree
    folder = Path(sf.abspath).parent / context
    path = folder / (file or "Dockerfile")
    if file and not is_regular_file(path):
        path = Path(sf.abspath).parent / file
    if not is_regular_file(path):
        return None
    dsf = ctx.source(path, "script")
    try:
        dsf.text = read_text(path)
    except UnreadableFile as exc:
        dsf.add("unreadable", exc.message, Span.point(dsf.path, exc.line, exc.column))
        return None
    images = dockerfile.images(dsf, args, getattr(ctx, "vllm_images", ()))
    chosen = next((i for i in images if target and i.stage.name and i.stage.name.lower() == target.lower()), None)
    chosen = chosen or (images[-1] if images and not target else None)
    if chosen is None or not (chosen.vllm_base or chosen.installs_vllm or chosen.entrypoint or chosen.cmd):
        return None
    ctx.built_dockerfiles.add(str(path.resolve()))
    return chosen


def _built_launch(built, entry: list[Word] | None, command: list[Word] | None, sf: SourceFile):
    """(launcher, words) of a service that runs a built image: the service's ``entrypoint``/``command`` over the
    image's (a service's entrypoint drops the image's CMD), the image's inherited ``vllm serve`` for a
    ``vllm/vllm-openai`` base."""
    from vllm_lint.loaders.shell_launches import expand_words
    from vllm_lint.loaders.shell_vars import ScriptVariables

    entry_words = entry if entry is not None else built.entrypoint
    command_words = command if command is not None else (None if entry is not None else built.cmd)
    if entry_words is None and built.vllm_base:
        return "image entrypoint", list(command_words or [])
    words = list(entry_words or []) + list(command_words or [])
    found = split_launch([], words, None)
    if found is None and words:
        for candidate in expand_words(words, ScriptVariables({k: v.value for k, v in built.env.items()}), built.source):
            found = split_launch([], candidate.words, None)
            if found is not None:
                break
    return found


def _reserves_gpus(service: YMap) -> bool:
    probe = Deployment("", "compose", "", Span.point(""))
    _gpus(probe, service)
    runtime = _scalar(service.get("runtime"))
    return bool(probe.gpus) or runtime is not None and runtime.value == "nvidia"


def _environment(d: Deployment, service: YMap, source_for, env: Environment, base_dir: Path, ctx: LoadContext) -> None:
    env_files = service.get("env_file")
    files = []
    if isinstance(env_files, YScalar) and not env_files.is_null:
        files = [env_files]
    elif isinstance(env_files, YSeq):
        for item in env_files.items:
            if isinstance(item, YScalar):
                files.append(item)
            elif isinstance(item, YMap) and _scalar(item.get("path")):
                files.append(item.get("path"))
    for item in files:
        path = (base_dir / item.value)
        why = regular_file_problem(path)
        if why:
            message = "does not exist" if why == "No such file or directory" else why
            source_for(item).add("missing-env-file", f"env_file {item.value!r}: {message}" if message != "does not exist"
                                 else f"env_file {item.value!r} does not exist", item.span, item.value)
            continue
        sources: dict = {}
        file_env = Environment.from_files([path], ctx.display, {}, sources)
        for key, loaded in sources.items():
            ctx.add_source(key, loaded)
        for var, definition in file_env.definitions.items():
            d.env[var] = EnvVar(var, definition.value, definition.span)
        d.depends_on_files.append(ctx.display(path))
    node = service.get("environment")
    if isinstance(node, YMap):
        for var, value in node.items():
            scalar = _scalar(value)
            d.env[var] = EnvVar(var, scalar.value if scalar else env.lookup(var), value.span, _uses(value, source_for, env),
                                name_span=_name_span(node.key_node(var), var, source_for))
    elif isinstance(node, YSeq):
        for item in node.items:
            if isinstance(item, YMap):  # produced by merging
                for var, value in item.items():
                    scalar = _scalar(value)
                    d.env[var] = EnvVar(var, scalar.value if scalar else env.lookup(var), value.span, _uses(value, source_for, env))
            elif isinstance(item, YScalar):
                var, eq, value = item.value.partition("=")
                d.env[var] = EnvVar(var, value if eq else env.lookup(var), item.span, _uses(item, source_for, env),
                                    name_span=_name_span(item, var, source_for))


def _name_span(node: YScalar | None, name: str, source_for) -> Span | None:
    """The span of a variable name at the start of a scalar (``NAME=value`` or a ``NAME:`` key)."""
    if node is None or node.span.start is None:
        return None
    sf = source_for(node)
    start = node.span.start + (1 if node.style in ("'", '"') else 0)
    if sf.text[start:start + len(name)] != name:
        return None
    return sf.span(start, start + len(name))


def _uses(node: YNode, source_for, env: Environment):
    if not isinstance(node, YScalar) or "$" not in node.raw_value:
        return ()
    words = scalar_words(node, source_for(node), env, split=False)
    return words[0][0].variables if words and words[0] else ()


def _ports(d: Deployment, node: YNode | None) -> None:
    if not isinstance(node, YSeq):
        return
    for item in node.items:
        if isinstance(item, YScalar):
            text = item.value
            proto = "tcp"
            if "/" in text:
                text, proto = text.rsplit("/", 1)
            parts = text.rsplit(":", 2) if text.count(":") <= 2 else [text]
            if len(parts) == 1:
                d.ports.append(Port(parts[0], None, item.span, proto))
            else:
                d.ports.append(Port(parts[-1], ":".join(parts[:-1]) or None, item.span, proto))
        elif isinstance(item, YMap):
            target = _scalar(item.get("target"))
            published = _scalar(item.get("published"))
            proto = _scalar(item.get("protocol"))
            if target:
                d.ports.append(Port(target.value, published.value if published else None, item.span,
                                    proto.value if proto else "tcp"))


def _volumes(d: Deployment, node: YNode | None, base_dir: Path) -> None:
    if not isinstance(node, YSeq):
        return
    for item in node.items:
        if isinstance(item, YScalar):
            parts = item.value.split(":")
            if len(parts) >= 2 and len(parts[0]) == 1 and parts[1].startswith(("\\", "/")):  # C:\path
                parts = [parts[0] + ":" + parts[1]] + parts[2:]
            if len(parts) == 1:
                d.volumes.append(Volume(None, parts[0], item.span, "volume"))
            else:
                source = parts[0]
                kind = "bind" if source.startswith((".", "/", "~")) or ":" in source else "volume"
                d.volumes.append(Volume(source, parts[1], item.span, kind, short=True, raw=item.raw_value or ""))
        elif isinstance(item, YMap):
            target = _scalar(item.get("target"))
            source = _scalar(item.get("source"))
            kind = _scalar(item.get("type"))
            bind = item.get("bind")
            create = _scalar(bind.get("create_host_path")) if isinstance(bind, YMap) else None
            if target:
                d.volumes.append(Volume(source.value if source else None, target.value, item.span,
                                        kind.value if kind else "volume",
                                        create_host_path=None if create is None else str(create.value).lower() == "true"))


def _gpus(d: Deployment, service: YMap) -> None:
    deploy = service.get("deploy")
    devices = None
    if isinstance(deploy, YMap):
        res = deploy.get("resources")
        reservations = res.get("reservations") if isinstance(res, YMap) else None
        devices = reservations.get("devices") if isinstance(reservations, YMap) else None
    if isinstance(devices, YSeq):
        for dev in devices.items:
            if not isinstance(dev, YMap):
                continue
            caps = dev.get("capabilities")
            driver = _scalar(dev.get("driver"))
            cap_values = [c.value for c in caps.items if isinstance(c, YScalar)] if isinstance(caps, YSeq) else []
            if "gpu" not in cap_values and not (driver and driver.value == "nvidia"):
                continue
            ids = dev.get("device_ids")
            count = _scalar(dev.get("count"))
            request = GpuRequest(dev.span, how="deploy.resources.reservations.devices")
            if isinstance(ids, YSeq):
                request.device_ids = [i.value for i in ids.items if isinstance(i, YScalar)]
                request.span = ids.span
            if count is not None:
                request.count = -1 if count.value == "all" else _int(count.value)
                if request.device_ids is None:
                    request.span = count.span
            if request.device_ids is None and request.count is None:
                request.count = -1  # compose: no count and no ids reserves all GPUs
            d.gpus.append(request)
    gpus = service.get("gpus")
    if isinstance(gpus, YScalar) and not gpus.is_null:
        d.gpus.append(GpuRequest(gpus.span, count=-1 if gpus.value == "all" else _int(gpus.value), how="gpus"))
    elif isinstance(gpus, YSeq):
        for dev in gpus.items:
            if isinstance(dev, YMap):
                ids = dev.get("device_ids")
                count = _scalar(dev.get("count"))
                d.gpus.append(GpuRequest(dev.span,
                                         [i.value for i in ids.items if isinstance(i, YScalar)] if isinstance(ids, YSeq) else None,
                                         (-1 if count.value == "all" else _int(count.value)) if count else None, "gpus"))
    visible = d.env.get("NVIDIA_VISIBLE_DEVICES")
    if visible is not None and visible.value not in (None, "", "void", "none"):
        value = visible.value
        d.gpus.append(GpuRequest(visible.span, None if value == "all" else [v.strip() for v in value.split(",") if v.strip()],
                                 -1 if value == "all" else None, "NVIDIA_VISIBLE_DEVICES"))


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


#: Compose's healthcheck defaults (the Compose Specification, "healthcheck"; Docker's HEALTHCHECK defaults).
_HEALTH_FIELDS = ("interval", "timeout", "retries", "start_period", "start_interval")


def go_duration(text) -> float | None:
    """Seconds of a compose duration (``1m30s``, ``300s``, ``5m``, ``1h``, ``500ms``), or None."""
    import re

    value = str(text).strip()
    if not value:
        return None
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
    return sum(float(n) * scale[u] for n, u in parts)


def _health_timing(d: Deployment, node: YMap) -> None:
    probe = Probe("compose", node.span)
    disable = _scalar(node.get("disable"))
    test = node.get("test")
    first = test.items[0] if isinstance(test, YSeq) and test.items else test
    probe.disabled = (disable is not None and str(disable.value).lower() == "true") or \
        (isinstance(first, YScalar) and str(first.value).upper() == "NONE")
    if isinstance(test, YSeq):
        probe.handler = " ".join(str(i.value) for i in test.items if isinstance(i, YScalar))
    elif isinstance(test, YScalar) and not test.is_null:
        probe.handler = str(test.value)
    for name in _HEALTH_FIELDS:
        value = _scalar(node.get(name))
        if value is None:
            continue
        if name == "retries":
            probe.timing[name] = (float(value.value) if str(value.value).isdigit() else None, value.span)
        else:
            probe.timing[name] = (go_duration(value.value), value.span)
    d.probes.append(probe)


def _healthcheck(d: Deployment, node: YNode | None, source_for, env: Environment) -> None:
    if not isinstance(node, YMap):
        return
    _health_timing(d, node)
    test = node.get("test")
    if test is None:
        return
    words: list[Word] = []
    if isinstance(test, YSeq):
        for item in test.items:
            if isinstance(item, YScalar):
                words.extend(scalar_words(item, source_for(item), env, split=False)[0])
    elif isinstance(test, YScalar):
        for command in scalar_words(test, source_for(test), env, split=True, script=True):
            words.extend(command)
    d.healthcheck = Healthcheck([w.value for w in words], test.span, words)


def _without_block_comments(node: YNode | None, source: SourceFile, words: list[Word]) -> list[Word]:
    """A ``#`` line inside a block scalar (``command: >``) is text, not a comment: compose passes its words to
    vLLM. Reported once, at the ``#`` (problem ``comment-in-block-scalar``), and its words left out of the
    arguments, so that they are not reported again one by one."""
    if not isinstance(node, YScalar) or node.style not in (">", "|") or node.span.start is None:
        return words
    text = source.text[node.span.start:node.span.end]
    lines: set[int] = set()
    offset = node.span.start
    for raw in text.splitlines(keepends=True):
        stripped = raw.lstrip()
        if stripped.startswith("#"):
            at = offset + len(raw) - len(stripped)
            span = source.span(at, at + len(stripped.rstrip("\r\n")))
            lines.add(span.line)
            source.add("comment-in-block-scalar", "this line is passed to vLLM as arguments: a # inside a block "
                       "scalar is not a comment", span)
        offset += len(raw)
    return [w for w in words if w.span.line not in lines] if lines else words
