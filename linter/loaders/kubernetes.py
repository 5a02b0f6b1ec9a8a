"""Kubernetes manifests (multi-document YAML) -> Deployments.

Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, LeaderWorkerSet (leader and
worker templates), KServe InferenceService (predictor) and (Cluster)ServingRuntime. For each
container that starts vLLM: ``command`` + ``args`` (``$(VAR)`` expanded from the container's
``env`` as the kubelet does), ``env`` (``value`` / ``valueFrom``), ``resources.limits
["nvidia.com/gpu"]``, ports, probes and volume mounts.
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Healthcheck, Port, Volume, Word
from vllm_lint.loaders import envsubst
from vllm_lint.loaders.command import (
    CUSTOM_ENTRYPOINT,
    attach_args,
    split_launch,
    starts_with_vllm_options,
    version_from_image,
    version_from_pip,
)
from vllm_lint.loaders.common import sequence_words, shell_c_commands
from vllm_lint.loaders.context import LoadContext
from vllm_lint.loaders.shell_vars import resolve_script, resolve_words
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, YMap, YNode, YScalar, YSeq, load_documents


def _get(node: YNode | None, *keys: str) -> YNode | None:
    for key in keys:
        if not isinstance(node, YMap):
            return None
        node = node.get(key)
    return node


def pod_specs(doc: YMap) -> list[tuple[str, YMap]]:
    """(label, pod spec) pairs of one manifest."""
    kind_node = doc.get("kind")
    kind = kind_node.value if isinstance(kind_node, YScalar) else ""
    specs: list[tuple[str, YNode | None]] = []
    if kind == "Pod":
        specs.append(("", doc.get("spec")))
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"):
        specs.append(("", _get(doc, "spec", "template", "spec")))
    elif kind == "CronJob":
        specs.append(("", _get(doc, "spec", "jobTemplate", "spec", "template", "spec")))
    elif kind == "LeaderWorkerSet":
        lwt = _get(doc, "spec", "leaderWorkerTemplate")
        specs.append(("leader", _get(lwt, "leaderTemplate", "spec")))
        specs.append(("worker", _get(lwt, "workerTemplate", "spec")))
    elif kind == "InferenceService":
        predictor = _get(doc, "spec", "predictor")
        specs.append(("predictor", predictor))
        model = _get(predictor, "model")
        if isinstance(model, YMap):  # the model-format shorthand is itself a container
            specs.append(("predictor.model", YMap(model.span, model.tag, {"containers": (
                YScalar(model.span, "tag:yaml.org,2002:str", "containers"), YSeq(model.span, "tag:yaml.org,2002:seq", [model]))})))
    elif kind in ("ServingRuntime", "ClusterServingRuntime"):
        specs.append(("", doc.get("spec")))
    return [(label, s) for label, s in specs if isinstance(s, YMap)]


def list_items(docs: list) -> list:
    """The documents of a stream with each ``kind: List`` (``kubectl get -o yaml``) replaced by its ``items``."""
    out = []
    for doc in docs:
        kind = doc.get("kind") if isinstance(doc, YMap) else None
        items = doc.get("items") if isinstance(kind, YScalar) and kind.value.endswith("List") else None
        if isinstance(items, YSeq):
            out.extend(item for item in items.items if isinstance(item, YMap))
        else:
            out.append(doc)
    return out


def load(path: Path, ctx: LoadContext) -> list[Deployment]:
    sf = ctx.source(path, "kubernetes")
    try:
        sf.text = read_text(path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return []
    errors: list[YamlError] = []
    duplicates: list = []
    text = sf.text
    if envsubst.is_template_name(path) or _is_envsubst_template(sf):  # filled in by envsubst: variables unknown
        sf.__dict__["_envsubst"] = True
        masked, placeholders = envsubst.mask(sf.text)  # same offsets: spans stay as written
        # a .yaml.tpl always; a .yaml whose image: is ${VAR} only where its ${VAR} lines break the YAML (a line
        # of a script block that is only $CMD is the script's, not a placeholder)
        if placeholders and (envsubst.is_template_name(path) or _breaks_yaml(sf.text, sf.path)):
            text, sf.__dict__["_envsubst_placeholders"] = masked, placeholders
    # per document, as kubectl reads a stream: one that cannot be read (a {{ }} in a Secret) drops only itself
    docs = list_items(load_documents(text, sf.path, problems=duplicates, errors=errors))
    for exc in errors:
        sf.add("unreadable", exc.message + ("; the other documents of the file were read" if len(docs) > 1 else ""),
               Span.point(sf.path, exc.line or 1, exc.column or 1))
    for kind, message, span in duplicates:  # kubectl refuses them: "mapping key ... already defined"
        sf.add(kind, message, span)
    deployments = []
    objects = _config_objects(path, docs, ctx)
    for doc in docs:
        if not isinstance(doc, YMap):
            continue
        name_node = _get(doc, "metadata", "name")
        kind_node = doc.get("kind")
        base = f"{kind_node.value if isinstance(kind_node, YScalar) else '?'}/{name_node.value if isinstance(name_node, YScalar) else '?'}"
        for label, spec in pod_specs(doc):
            volumes = _pod_volumes(spec)
            for list_key in ("initContainers", "containers"):
                containers = spec.get(list_key)
                if not isinstance(containers, YSeq):
                    continue
                for c in containers.items:
                    if not isinstance(c, YMap):
                        continue
                    d = _container(c, doc, base, label, sf, ctx, volumes, objects)
                    if d is not None:
                        d.group_size = _group_size(doc)
                        _gpu_product(d, spec)
                        d.notes.extend(_init_downloads(spec))
                        deployments.append(d)
        # operators' objects (KubeAI, KServe LLM, Ray Serve, AIBrix, KubeRay): the pods they make (loaders/formats.py)
        from vllm_lint.loaders.formats import load_document

        seen = {(d.span.line, d.span.column) for d in deployments}
        deployments += [d for d in load_document(doc, sf, ctx, objects, docs) if (d.span.line, d.span.column) not in seen]
    return deployments


def _pod_volumes(spec: YMap) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    vols = spec.get("volumes")
    if isinstance(vols, YSeq):
        for v in vols.items:
            if isinstance(v, YMap) and isinstance(v.get("name"), YScalar):
                kind = next((k for k in v.keys() if k != "name"), "emptyDir")
                src = _get(v, "hostPath", "path") or _get(v, "persistentVolumeClaim", "claimName") or _get(v, "configMap", "name")
                out[v.get("name").value] = (kind, src.value if isinstance(src, YScalar) else None)
    return out


#: Node labels that name the GPU model (NVIDIA GPU feature discovery; GKE; AWS/Azure instance GPUs).
GPU_PRODUCT_LABELS = ("nvidia.com/gpu.product", "cloud.google.com/gke-accelerator")


def _gpu_product(d: Deployment, spec: YMap) -> None:
    """The GPU model a nodeSelector pins the pod to, if any."""
    selector = spec.get("nodeSelector") if isinstance(spec, YMap) else None
    if not isinstance(selector, YMap):
        return
    for label in GPU_PRODUCT_LABELS:
        node = selector.get(label)
        if isinstance(node, YScalar) and node.value:
            d.gpu_product, d.gpu_product_span = str(node.value), node.span
            return


def _container(c: YMap, doc: YMap, base: str, label: str, sf, ctx: LoadContext, pod_volumes,
               objects: dict) -> Deployment | None:
    image_node = c.get("image")
    image = image_node.value if isinstance(image_node, YScalar) else None
    env = _env(c, objects)
    values = {name: var.value for name, var in env.items()}
    command = resolve_words(sequence_words(c.get("command"), sf, None), values.get, kind="kubernetes")
    args = resolve_words(sequence_words(c.get("args"), sf, None), values.get, kind="kubernetes")
    if _is_envsubst_template(sf):  # ${VAR} filled in by envsubst before kubectl apply: unknown, never literal
        command, args = _envsubst_unknown(command, c, "command", sf), _envsubst_unknown(args, c, "args", sf)
    launch = split_launch(command, args, image, getattr(ctx, "vllm_images", ()))
    installed = None
    if launch is None:
        inner_words = shell_c_commands(command + args, sf)
        for inner in resolve_script(inner_words, values):
            launch = split_launch([], inner, None)
            if launch:
                break
        if launch is not None:  # a script that installs vLLM, then starts it (on any image)
            installed = version_from_pip(" ".join(w.value for cmd in inner_words for w in cmd))
    if launch is None and not command and args and _custom_image(image, c) \
            and starts_with_vllm_options(args, ctx.release(None)):
        launch = CUSTOM_ENTRYPOINT, args  # a templated or custom image given vLLM's options
    if launch is None:
        return None
    name_node = c.get("name")
    cname = name_node.value if isinstance(name_node, YScalar) else "?"
    key = name_node.span if isinstance(name_node, YScalar) else c.span
    full = f"{base}/{label + '/' if label else ''}{cname}"
    d = Deployment(sf.path, "kubernetes", full, key, image=image,
                   image_span=image_node.span if isinstance(image_node, YScalar) else None, env=env,
                   base_dir=str(Path(sf.abspath).parent))
    custom = launch[0] == CUSTOM_ENTRYPOINT and "vllm" not in (image or "").lower()
    version = None if custom else version_from_image(image)  # a custom image's tag is its own version
    if version:
        d.version, d.version_source = version, f"image tag {image}"
    if installed:
        d.version, d.version_source = installed, f"pip install vllm=={installed} in the container's script"
    limits = _get(c, "resources", "limits")
    requests = _get(c, "resources", "requests")
    unknown_resources = _placeholders(_get(c, "resources"), "limits", sf) + _placeholders(_get(c, "resources"), "requests", sf)
    if unknown_resources and not any(isinstance(r, YMap) and r.get("nvidia.com/gpu") is not None for r in (limits, requests)):
        p = unknown_resources[0]  # ${RESOURCE_LIMITS}: the GPUs are among what envsubst writes there, or not
        d.gpus.append(GpuRequest(Span(sf.path, p.line, p.column, p.line, p.column + len(p.text), p.start,
                                      p.start + len(p.text)), how="nvidia.com/gpu"))
        d.runtime_values.append(f"{p.name} (resources)")
    d.runtime_values += [f"{p.name} (environment entries)" for p in _placeholders(c, "env", sf)]
    d.env_from_unseen = _env_from_unseen(c, objects)
    for res in (limits, requests):
        gpu = _get(res, "nvidia.com/gpu") if isinstance(res, YMap) else None
        if isinstance(gpu, YScalar):
            try:
                d.gpus.append(GpuRequest(gpu.span, count=int(gpu.value), how="nvidia.com/gpu"))
            except ValueError:
                if "${" in str(gpu.value) and _is_envsubst_template(sf):
                    d.gpus.append(GpuRequest(gpu.span, how="nvidia.com/gpu"))  # filled in by envsubst: unknown count
                else:
                    sf.add("invalid-kubernetes", f"nvidia.com/gpu must be a whole number, not {gpu.value!r}", gpu.span)
            break
    ports = c.get("ports")
    if isinstance(ports, YSeq):
        for p in ports.items:
            cp = _get(p, "containerPort")
            if isinstance(cp, YScalar):
                hp = _get(p, "hostPort")
                d.ports.append(Port(cp.value, hp.value if isinstance(hp, YScalar) else None, p.span))
    for probe_key in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = c.get(probe_key)
        port = _get(probe, "httpGet", "port")
        if isinstance(port, YScalar):
            path = _get(probe, "httpGet", "path")
            words = [Word(f"http://localhost:{port.value}{path.value if isinstance(path, YScalar) else '/'}", port.span)]
            d.healthcheck = Healthcheck([w.value for w in words], probe.span, words)
            break
    _probe_timing(d, c)
    mounts = c.get("volumeMounts")
    if isinstance(mounts, YSeq):
        for m in mounts.items:
            mp, mn = _get(m, "mountPath"), _get(m, "name")
            if isinstance(mp, YScalar):
                kind, source = pod_volumes.get(mn.value if isinstance(mn, YScalar) else "", ("volume", None))
                d.volumes.append(Volume(source, mp.value, m.span, kind))
    attach_args(d, launch[1], launch[0], ctx)
    return d


#: The timing fields of a Kubernetes probe (core/v1 Probe): seconds, or a count of failures.
_PROBE_FIELDS = ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold")


def _probe_timing(d: Deployment, c: YMap) -> None:
    """The timing of each probe the container has (rules/healthcheck_budget.py)."""
    from vllm_lint.launch.deployment import Probe

    for probe_key in ("startupProbe", "livenessProbe", "readinessProbe"):
        node = c.get(probe_key)
        if not isinstance(node, YMap):
            continue
        probe = Probe(probe_key, node.span)
        for handler in ("httpGet", "tcpSocket", "grpc", "exec"):
            if node.get(handler) is not None:
                command = _get(node, "exec", "command")
                words = [str(i.value) for i in command.items if isinstance(i, YScalar)] if isinstance(command, YSeq) else []
                probe.handler = handler + (": " + " ".join(words) if words else "")
        for name in _PROBE_FIELDS:
            value = node.get(name)
            if isinstance(value, YScalar) and not value.is_null:
                text = str(value.value).strip()
                probe.timing[name] = (float(text) if text.isdigit() else None, value.span)
        d.probes.append(probe)


_ENVSUBST = re.compile(r"^[ \t-]*(?:image|replicas|namespace|nvidia\.com/gpu)[ \t]*:[ \t]*[\"']?\$\{[A-Za-z_]", re.M)
_ENVSUBST_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _is_envsubst_template(sf) -> bool:
    """A manifest whose ``image:``, ``replicas:`` ... are ``${VAR}``: filled in by envsubst (or a CI step)
    before it is applied; the kubelet itself never expands ``${VAR}``."""
    cached = sf.__dict__.get("_envsubst")
    if cached is None:
        cached = sf.__dict__["_envsubst"] = bool(_ENVSUBST.search(sf.text))
    return cached


def _envsubst_unknown(words: list[Word], c: YMap | None = None, key: str = "", sf=None) -> list[Word]:
    """The words with each ``${VAR}`` (``$VAR`` too in a template file) marked unknown, and a forwarded word where a
    placeholder line of the list stands (``${ARGS}``: arguments written in at deploy time, none known here)."""
    from dataclasses import replace

    from vllm_lint.launch.deployment import VarUse

    pattern = envsubst.REFERENCE if sf is not None and envsubst.is_template_name(sf.path) else _ENVSUBST_REF
    out = []
    for w in words:
        names = [m.group(1) or m.group(m.lastindex or 1) for m in pattern.finditer(w.value)]
        out.append(replace(w, variables=w.variables + tuple(VarUse(n, w.span, None, kind="envsubst") for n in names))
                   if names else w)
    for p in _placeholders(c, key, sf) if c is not None else []:
        span = Span(sf.path, p.line, p.column, p.line, p.column + len(p.text), p.start, p.start + len(p.text))
        word = Word(p.text, span, p.text, (VarUse(p.name, span, None, kind="envsubst"),), forwarded=True)
        at = next((i for i, w in enumerate(out) if w.span.line > p.line), len(out))
        out.insert(at, word)
    return out


def _breaks_yaml(text: str, path: str) -> bool:
    errors: list = []
    load_documents(text, path, errors=errors)
    return bool(errors)


def _placeholders(parent, key: str, sf) -> list:
    """The placeholder lines of an envsubst template (:mod:`.envsubst`) that stand in ``parent[key]``."""
    placeholders = sf.__dict__.get("_envsubst_placeholders") if sf is not None else None
    if not placeholders or not isinstance(parent, YMap):
        return []
    lines = sf.__dict__.get("_envsubst_lines")
    if lines is None:
        lines = sf.__dict__["_envsubst_lines"] = envsubst.mask(sf.text)[0].split("\n")
    return envsubst.owned(parent, key, placeholders, lines)


def _custom_image(image: str | None, c: YMap) -> bool:
    """A container whose image is not vLLM's by name but may run it: templated (``${VLLM_IMAGE}``), named for
    vLLM (``registry/x/vllm-custom:tag``), or asking for GPUs."""
    if not image:
        return False
    if "${" in image or "{{" in image or "vllm" in image.lower():
        return True
    for res in (_get(c, "resources", "limits"), _get(c, "resources", "requests")):
        if isinstance(res, YMap) and any(str(k).endswith("/gpu") for k, _ in res.items()):
            return True
    return False


#: An initContainer that fetches a model: ``huggingface-cli download REPO --local-dir DIR``, ``hf download``.
_DOWNLOAD = re.compile(r"\b(?:huggingface-cli|hf)\s+download\s+([^\s'\"]+)(?:[^\n;&|]*?--local[-_]dir[= ]+([^\s'\"]+))?")
_SNAPSHOT = re.compile(r"snapshot_download\((?:[^)]*?repo_id\s*=\s*)?['\"]([^'\"]+)['\"][^)]*?(?:local_dir\s*=\s*['\"]([^'\"]+)['\"])?")


def _init_downloads(spec: YMap) -> list[str]:
    """What the pod's initContainers download before vLLM starts (noted on its launches)."""
    out = []
    containers = spec.get("initContainers")
    for c in containers.items if isinstance(containers, YSeq) else []:
        if not isinstance(c, YMap):
            continue
        text = " ".join(str(i.value) for key in ("command", "args") for i in (
            c.get(key).items if isinstance(c.get(key), YSeq) else [c.get(key)] if isinstance(c.get(key), YScalar) else [])
            if isinstance(i, YScalar))
        name = c.get("name").value if isinstance(c.get("name"), YScalar) else "?"
        for m in list(_DOWNLOAD.finditer(text)) + list(_SNAPSHOT.finditer(text)):
            where = f" to {m.group(2)}" if m.group(2) else ""
            out.append(f"initContainer {name} downloads {m.group(1)}{where} before vLLM starts")
    return out


def _env(c: YMap, objects: dict) -> dict[str, EnvVar]:
    """The container's ``env``: ``value``, or ``valueFrom`` a ConfigMap / Secret key defined in the same file or
    folder (by name and key); a value from anything else (``fieldRef``, a cluster object not in the tree) is
    unknown (None), never empty. ``envFrom`` whole ConfigMaps/Secrets of the tree are read too."""
    env: dict[str, EnvVar] = {}
    env_from = c.get("envFrom")
    if isinstance(env_from, YSeq):
        for item in env_from.items:
            for kind, ref in (("ConfigMap", _get(item, "configMapRef", "name")), ("Secret", _get(item, "secretRef", "name"))):
                if isinstance(ref, YScalar):
                    prefix = _get(item, "prefix")
                    for key, value in objects.get((kind, ref.value), {}).items():
                        name = (prefix.value if isinstance(prefix, YScalar) else "") + key
                        env[name] = EnvVar(name, value, item.span, from_secret=kind == "Secret")
    env_node = c.get("env")
    if isinstance(env_node, YSeq):
        for item in env_node.items:
            if not isinstance(item, YMap) or not isinstance(item.get("name"), YScalar):
                continue
            name = str(item.get("name").value)
            value = item.get("value")
            source = item.get("valueFrom")
            resolved = str(value.value) if isinstance(value, YScalar) and not value.is_null else None
            if isinstance(value, YScalar) and resolved and "$(" in resolved:  # $(OTHER) of an earlier variable
                known = {k: v.value for k, v in env.items()}
                resolved = resolve_words([Word(resolved, value.span)], known.get, kind="kubernetes")[0]
                resolved = None if any(u.value is None for u in resolved.variables) else resolved.value
            if isinstance(source, YMap):
                for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    ref = source.get(key)
                    ref_name, ref_key = _get(ref, "name"), _get(ref, "key")
                    if isinstance(ref_name, YScalar) and isinstance(ref_key, YScalar):
                        resolved = objects.get((kind, ref_name.value), {}).get(str(ref_key.value))
            env[name] = EnvVar(name, resolved, item.span, from_secret=isinstance(source, YMap) and source.get("secretKeyRef") is not None)
    return env


def _env_from_unseen(c: YMap, objects: dict) -> list[str]:
    """The container's ``envFrom`` ConfigMaps / Secrets that are not in the tree ("Secret/name"): their variables are
    unknown. A reference that is not a plain name counts too."""
    env_from = c.get("envFrom")
    out = []
    for item in env_from.items if isinstance(env_from, YSeq) else ():
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = _get(item, key)
            if ref is None:
                continue
            name = _get(ref, "name")
            if not isinstance(name, YScalar) or (kind, name.value) not in objects:
                out.append(f"{kind}/{name.value if isinstance(name, YScalar) else '?'}")
    return out


def _config_objects(path: Path, docs: list, ctx: LoadContext) -> dict[tuple[str, str], dict[str, str]]:
    """ConfigMaps and Secrets (kind, name) -> data, from this file and the other manifests of its folder."""
    folder = path.resolve().parent
    cache = ctx.__dict__.setdefault("_kube_config_objects", {})
    if folder not in cache:
        found: dict[tuple[str, str], dict[str, str]] = {}
        for other in sorted(folder.iterdir()) if folder.is_dir() else []:
            if other.suffix.lower() not in (".yaml", ".yml") or not other.is_file():
                continue
            try:
                found.update(_objects_of(list_items(load_documents(read_text(other), str(other), errors=[]))))
            except (UnreadableFile, YamlError, OSError):
                continue
        cache[folder] = found
    return {**cache[folder], **_objects_of(docs)}


def _objects_of(docs: list) -> dict[tuple[str, str], dict[str, str]]:
    import base64
    import binascii

    out: dict[tuple[str, str], dict[str, str]] = {}
    for doc in docs:
        kind, name = _get(doc, "kind"), _get(doc, "metadata", "name")
        if not (isinstance(kind, YScalar) and kind.value in ("ConfigMap", "Secret") and isinstance(name, YScalar)):
            continue
        data: dict[str, str] = {}
        for key in ("data", "stringData"):
            section = _get(doc, key)
            if not isinstance(section, YMap):
                continue
            for k, v in section.items():
                if not isinstance(v, YScalar) or v.is_null:
                    continue
                value = str(v.value)
                if kind.value == "Secret" and key == "data":
                    try:
                        value = base64.b64decode(value, validate=True).decode("utf-8")
                    except (binascii.Error, UnicodeDecodeError, ValueError):
                        continue
                data[str(k)] = value
        out[(kind.value, str(name.value))] = data
    return out


def _group_size(doc: YMap) -> int:
    """Pods of one LeaderWorkerSet group (``spec.leaderWorkerTemplate.size``: the leader and its workers)."""
    size = _get(doc, "spec", "leaderWorkerTemplate", "size")
    try:
        return max(1, int(size.value)) if isinstance(size, YScalar) else 1
    except (TypeError, ValueError):
        return 1
