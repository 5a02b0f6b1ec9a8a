"""Ray Serve LLM → one launch per ``LLMConfig``: in a ``RayService`` (``spec.serveConfigV2``, the serve config
as a string), in a serve config file (``applications[].args.llm_configs``), in an ``LLMConfig`` file of its own,
or in a ConfigMap that holds one; and the legacy RayLLM model configs (``engine_config.type: VLLMEngine``).

From Ray's source (github.com/ray-project/ray):

- ``python/ray/llm/_internal/serve/core/configs/llm_config.py`` (read at 1190ecb): ``LLMConfig`` has
  ``model_loading_config`` (``model_id``: the name clients use; ``model_source``: "a HuggingFace model ID, S3
  mirror config, GCS mirror config, or a local path. When omitted, defaults to the model_id"), ``llm_engine``
  (``vLLM``), ``engine_kwargs`` ("all the configuration knobs [vLLM] provide", passed to vLLM's engine
  arguments: each key is the option of the same name, ``tensor_parallel_size`` → ``--tensor-parallel-size``),
  ``accelerator_type`` (``A10`` read as ``A10G``), ``runtime_env`` (``env_vars``), ``deployment_config``
  (``autoscaling_config``, ``num_replicas``).
- ``LLMServingArgs.llm_configs``: "A list of LLMConfigs, or dicts representing LLMConfigs, or paths to yaml
  files defining LLMConfigs" (the application builder's arguments); a path is read relative to the file
  that names it.
- Ray places each replica's engine workers (tensor × pipeline parallel GPUs) itself: no GPU count is read,
  and the vLLM release is the one installed in the Ray image (``rayproject/ray-llm:2.49.0`` names Ray's):
  unknown unless the image is vLLM's.
- KubeRay (``ray-operator/controllers/ray/common/pod.go``) mounts a memory-backed ``/dev/shm`` in every Ray pod.

Legacy RayLLM (github.com/ray-project/ray-llm, ``rayllm/backend/llm/vllm/vllm_compatibility.py``): the engine
gets ``model=engine_config.hf_model_id or model_id``, ``tensor_parallel_size=scaling_config.num_workers``,
``max_model_len=engine_config.max_total_tokens`` and ``engine_config.engine_kwargs``.
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, Volume, Word
from vllm_lint.loaders.command import attach_args
from vllm_lint.loaders.keyed import (
    embedded_documents,
    env_mapping,
    flag_word,
    get,
    gpu_name,
    key_span,
    mapping_words,
    read_documents,
    text,
    unknown_word,
    value_word,
    version_of_image,
)
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, YMap, YScalar, YSeq, load_documents

FORMAT = "ray-serve"
LAUNCHER = "ray serve"
_APPS = re.compile(r"^applications\s*:", re.MULTILINE)
_LLM_KEYS = re.compile(r"^\s*(?:-\s*)?(?:llm_configs|engine_kwargs|model_loading_config)\s*:", re.MULTILINE)
_LLM_CONFIG = re.compile(r"^model_loading_config\s*:", re.MULTILINE)
_RAYLLM = re.compile(r"^engine_config\s*:", re.MULTILINE)


def detect(path: Path, head: str) -> bool:
    if _APPS.search(head) and _LLM_KEYS.search(head):
        return True
    if _LLM_CONFIG.search(head):
        return True
    return bool(_RAYLLM.search(head) and "VLLMEngine" in head)


def is_serve_config(head: str) -> bool:
    return bool(_APPS.search(head))


def load(path: Path, ctx) -> list[Deployment]:
    """A serve config file, an LLMConfig file or a RayLLM model config, run by ``serve deploy`` / ``serve run``
    on a Ray cluster (not a pod this file describes: read as a process of that cluster)."""
    consumed = ctx.__dict__.setdefault("_ray_llm_config_files", set())
    if str(path.resolve()) in consumed:
        return []  # read through the serve config that names it
    sf, docs = read_documents(path, ctx, "script")
    if docs is None:
        return []
    out = []
    for doc in docs:
        if isinstance(doc, YMap):
            out += from_tree(doc, sf, ctx, kind="script", base=path.parent, label="")
    return out


def from_tree(doc: YMap, sf, ctx, *, kind: str, base: Path, label: str, image: tuple | None = None) -> list[Deployment]:
    """The launches of a parsed serve config, LLMConfig or RayLLM config."""
    if isinstance(doc.get("applications"), YSeq):
        return _applications(doc.get("applications"), sf, ctx, kind, base, label, image)
    if isinstance(doc.get("model_loading_config"), YMap):
        d = llm_config(doc, sf, ctx, kind=kind, label=label or "LLMConfig", image=image)
        return [d] if d is not None else []
    if isinstance(doc.get("engine_config"), YMap):
        d = rayllm_config(doc, sf, ctx, kind=kind, label=label or "RayLLM", image=image)
        return [d] if d is not None else []
    return []


def _applications(apps: YSeq, sf, ctx, kind, base, label, image) -> list[Deployment]:
    out = []
    for i, app in enumerate(apps.items):
        args = get(app, "args")
        if not isinstance(args, YMap):
            continue
        name = text(get(app, "name")) or f"applications[{i}]"
        entries: list[tuple[str, object]] = []
        configs = args.get("llm_configs")
        for j, item in enumerate(configs.items if isinstance(configs, YSeq) else []):
            entries.append((f"llm_configs[{j}]", item))
        for key in ("llm_config", "prefill_config", "decode_config"):
            if args.get(key) is not None:
                entries.append((key, args.get(key)))
        for where, item in entries:
            prefix = f"{label + '/' if label else ''}{name}/{where}"
            if isinstance(item, YMap):
                d = llm_config(item, sf, ctx, kind=kind, label=prefix, image=image)
                if d is not None:
                    out.append(d)
            elif isinstance(item, YScalar) and text(item):
                out += _config_file(text(item), item, base, sf, ctx, kind, prefix, image)
    return out


def _config_file(given: str, node: YScalar, base: Path, sf, ctx, kind, label, image) -> list[Deployment]:
    path = Path(given)
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        return []  # a path on the Ray cluster, or a file outside the tree: not read
    consumed = ctx.__dict__.setdefault("_ray_llm_config_files", set())
    consumed.add(str(path.resolve()))
    other = ctx.source(path, "script")
    try:
        other.text = read_text(path)
        docs = load_documents(other.text, other.path)
    except (UnreadableFile, YamlError) as exc:
        other.add("unreadable", getattr(exc, "message", str(exc)), Span.point(other.path))
        return []
    out = []
    for doc in docs:
        if isinstance(doc, YMap):
            d = llm_config(doc, other, ctx, kind=kind, label=label, image=image)
            if d is not None:
                d.depends_on_files.append(sf.path)
                out.append(d)
    return out


def llm_config(node: YMap, sf, ctx, *, kind: str, label: str, image: tuple | None = None) -> Deployment | None:
    engine = text(node.get("llm_engine"))
    if engine is not None and engine.lower() != "vllm":
        return None
    loading = node.get("model_loading_config")
    model_id = get(loading, "model_id")
    source = get(loading, "model_source")
    anchor = model_id if isinstance(model_id, YScalar) else (loading or node)
    name = text(model_id) or "?"
    d = Deployment(sf.path, kind, f"{label}/{name}" if label else name, anchor.span, base_dir=str(sf.abspath.parent),
                   source_format=FORMAT)
    if image:
        version_of_image(d, image[0], image[1])
    release = ctx.release(d.version) if ctx is not None else None
    words: list[Word] = []
    at = key_span(loading, "model_source") if isinstance(loading, YMap) and "model_source" in loading else anchor.span
    if isinstance(source, YScalar) and text(source):
        words += [flag_word("--model", at), value_word(source, sf)]
    elif isinstance(source, YMap):  # a bucket mirror: the files are fetched at start-up
        uri = text(get(source, "bucket_uri")) or "model_source"
        words += [flag_word("--model", at), unknown_word(uri, source.span, "model_source")]
    elif isinstance(model_id, YScalar):
        words += [flag_word("--model", model_id.span), value_word(model_id, sf)]
    words += mapping_words(node.get("engine_kwargs"), sf, release, skip=("model",))
    accelerator = node.get("accelerator_type")
    if isinstance(accelerator, YScalar) and text(accelerator):
        value = text(accelerator)
        d.gpu_product, d.gpu_product_span = gpu_name("A10G" if value == "A10" else value), accelerator.span
    d.env.update(env_mapping(get(node, "runtime_env", "env_vars")))
    autoscaling = get(node, "deployment_config", "autoscaling_config")
    if isinstance(autoscaling, YMap):
        low, high = text(autoscaling.get("min_replicas")), text(autoscaling.get("max_replicas"))
        d.notes.append(f"autoscaling {low or '?'}–{high or '?'} replicas")
    if kind == "kubernetes":
        d.volumes.append(Volume(None, "/dev/shm", anchor.span, "emptyDir"))  # KubeRay's shared-mem volume
    attach_args(d, words, LAUNCHER, ctx)
    return d


def rayllm_config(node: YMap, sf, ctx, *, kind: str, label: str, image: tuple | None = None) -> Deployment | None:
    engine = node.get("engine_config")
    if (text(get(engine, "type")) or "") != "VLLMEngine":
        return None
    model_id, hf = get(engine, "model_id"), get(engine, "hf_model_id")
    chosen = hf if isinstance(hf, YScalar) and text(hf) else model_id
    anchor = model_id if isinstance(model_id, YScalar) else engine
    name = text(model_id) or "?"
    d = Deployment(sf.path, kind, f"{label}/{name}" if label else name, anchor.span, base_dir=str(sf.abspath.parent),
                   source_format=FORMAT)
    if image:
        version_of_image(d, image[0], image[1])
    release = ctx.release(d.version) if ctx is not None else None
    words: list[Word] = []
    if isinstance(chosen, YScalar):
        words += [flag_word("--model", chosen.span), value_word(chosen, sf)]
    workers = get(node, "scaling_config", "num_workers")
    if isinstance(workers, YScalar) and text(workers):
        words += [flag_word("--tensor-parallel-size", key_span(get(node, "scaling_config"), "num_workers")),
                  value_word(workers, sf)]
    total = get(engine, "max_total_tokens")
    if isinstance(total, YScalar) and text(total):
        words += [flag_word("--max-model-len", key_span(engine, "max_total_tokens")), value_word(total, sf)]
    words += mapping_words(get(engine, "engine_kwargs"), sf, release, skip=("model",))
    for resources in (get(node, "scaling_config", "resources_per_worker"),
                      get(node, "deployment_config", "ray_actor_options", "resources")):
        for key in (resources.keys() if isinstance(resources, YMap) else ()):
            if str(key).startswith("accelerator_type_"):
                d.gpu_product, d.gpu_product_span = gpu_name(str(key)[len("accelerator_type_"):].upper()), \
                    key_span(resources, key)
                break
        if d.gpu_product:
            break
    if kind == "kubernetes":
        d.volumes.append(Volume(None, "/dev/shm", anchor.span, "emptyDir"))
    attach_args(d, words, LAUNCHER, ctx)
    return d


# -- inside Kubernetes objects -------------------------------------------------------------------------------
def is_rayservice(doc: YMap) -> bool:
    return text(doc.get("kind")) == "RayService" and (text(doc.get("apiVersion")) or "").startswith("ray.io/")


def load_rayservice(doc: YMap, sf, ctx) -> list[Deployment]:
    config = get(doc, "spec", "serveConfigV2")
    if not isinstance(config, YScalar) or not text(config):
        return []
    docs = embedded_documents(config, sf)
    if not docs:
        sf.add("invalid-kubernetes", "spec.serveConfigV2 is not a YAML serve config", config.span)
        return []
    name = text(get(doc, "metadata", "name")) or "?"
    image = None
    head = get(doc, "spec", "rayClusterConfig", "headGroupSpec", "template", "spec", "containers")
    for c in head.items if isinstance(head, YSeq) else []:
        if isinstance(get(c, "image"), YScalar):
            image = (text(get(c, "image")), get(c, "image").span)
            break
    out = []
    for inner in docs:
        if isinstance(inner, YMap):
            out += from_tree(inner, sf, ctx, kind="kubernetes", base=Path(sf.abspath).parent,
                             label=f"RayService/{name}", image=image)
    return out


_EMBEDDED = re.compile(r"(?:^|\n)\s*(?:-\s*)?(?:llm_configs|engine_kwargs|model_loading_config|engine_config)\s*:")


def load_configmap(doc: YMap, sf, ctx) -> list[Deployment]:
    """A ConfigMap whose data holds an LLMConfig, a serve config or a RayLLM model config (mounted into the Ray
    pods and named by the serve application)."""
    data = doc.get("data")
    if not isinstance(data, YMap):
        return []
    name = text(get(doc, "metadata", "name")) or "?"
    out = []
    for key, value in data.items():
        if not isinstance(value, YScalar) or not _EMBEDDED.search(str(value.value)):
            continue
        if not str(key).lower().endswith((".yaml", ".yml")) and "\n" not in str(value.value):
            continue
        docs = embedded_documents(value, sf) or []
        for inner in docs:
            if isinstance(inner, YMap):
                out += from_tree(inner, sf, ctx, kind="kubernetes", base=Path(sf.abspath).parent,
                                 label=f"ConfigMap/{name}/{key}")
    return out
