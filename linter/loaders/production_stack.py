"""vLLM production-stack Helm values (``servingEngineSpec.modelSpec[]``) → one launch per model, read from the
values file itself, chart or no chart.

The chart (github.com/vllm-project/production-stack, ``helm/``, read at a6c01db) turns each ``modelSpec`` entry
into a Deployment whose container runs ``vllm serve``; this loader builds the same command line, each word
placed on the values key that produces it:

- ``helm/templates/deployment-vllm-multi.yaml``: ``vllm serve <modelURL> --host 0.0.0.0 --port <containerPort,
  default 8000>``; ``enableLoRA`` → ``--enable-lora``; ``enableTool`` → ``--enable-auto-tool-choice``;
  ``toolCallParser`` → ``--tool-call-parser``; from ``vllmConfig``: ``enableChunkedPrefill`` (when set) →
  ``--enable-chunked-prefill`` / ``--no-enable-chunked-prefill``, ``enablePrefixCaching`` →
  ``--enable-prefix-caching``, else ``--no-enable-prefix-caching`` (whenever ``vllmConfig`` is given),
  ``maxModelLen`` → ``--max-model-len``, ``dtype`` → ``--dtype``, ``tensorParallelSize`` →
  ``--tensor-parallel-size``, ``maxNumSeqs`` → ``--max-num-seqs``, ``gpuMemoryUtilization`` →
  ``--gpu_memory_utilization``, ``maxLoras`` → ``--max_loras``, ``runner`` / ``convert``, then ``extraArgs``
  word for word; ``modelRevision`` → ``--revision``; ``lmcacheConfig.enabled`` → ``--kv-transfer-config``
  (``LMCacheConnectorV1``, ``LMCacheConnector`` with ``vllmConfig.v0: 1``, the PD form with ``enablePD``;
  ``kvRole`` default ``kv_both``); ``chatTemplate`` → ``--chat-template /templates/<name>``. Environment:
  ``HF_TOKEN`` from a Secret when ``hf_token`` is set (its value is never read), ``VLLM_API_KEY`` likewise
  for ``servingEngineSpec.vllmApiKey``, ``VLLM_USE_V1=0`` for ``vllmConfig.v0: "1"``,
  ``lmcacheConfig.cudaVisibleDevices`` → ``CUDA_VISIBLE_DEVICES``, then ``servingEngineSpec.env`` and
  ``modelSpec.env``. Image ``<repository>:<tag>``. Volumes: ``pvcStorage`` → a claim at ``/data``; a
  memory-backed ``/dev/shm`` (``shmSize``, default 20Gi) only when ``vllmConfig.tensorParallelSize`` is set.
  ``vllmConfig.pipelineParallelSize`` is not passed on this path (noted on the launch).
- ``helm/templates/_helpers.tpl`` ``chart.resources``: ``requestGPU`` GPUs of ``requestGPUType`` (default
  ``nvidia.com/gpu``), unless ``resources`` is given as is; ``nodeSelectorTerms`` → the GPU model when they
  select ``nvidia.com/gpu.product``.
- ``helm/templates/ray-cluster.yaml`` (``raySpec.enabled``): the head's ``vllm-entrypoint.sh`` runs ``vllm
  serve <modelURL> --host 0.0.0.0 --port … --distributed-executor-backend ray`` with the same options plus
  ``pipelineParallelSize`` → ``--pipeline-parallel-size`` (``enablePrefixCaching`` only when true); the
  head (``raySpec.headNode.requestGPU``) and ``replicaCount`` workers make one group.

Entries with ``enabled: false`` and ``servingEngineSpec.enableEngine: false`` start nothing. Values that
Helm's ``--set`` or another values file give are not seen: this is the file as written.
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Port, Volume, Word
from vllm_lint.loaders.command import attach_args
from vllm_lint.loaders.context import LoadContext
from vllm_lint.loaders.keyed import (
    flag_word,
    get,
    is_true,
    key_span,
    literal_word,
    number,
    option_words,
    read_documents,
    text,
    value_word,
    version_of_image,
)
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YMap, YScalar, YSeq

FORMAT = "helm-values"
_DETECT = re.compile(r"^servingEngineSpec\s*:", re.MULTILINE)
_MODEL_SPEC = re.compile(r"^\s+modelSpec\s*:", re.MULTILINE)

#: vllmConfig keys in the order the chart writes them, with the flag each becomes.
_VLLM_CONFIG = (("maxModelLen", "--max-model-len"), ("dtype", "--dtype"), ("tensorParallelSize", "--tensor-parallel-size"),
                ("maxNumSeqs", "--max-num-seqs"), ("gpuMemoryUtilization", "--gpu_memory_utilization"),
                ("maxLoras", "--max_loras"), ("runner", "--runner"), ("convert", "--convert"))
_RAY_CONFIG = (("maxModelLen", "--max-model-len"), ("dtype", "--dtype"), ("tensorParallelSize", "--tensor-parallel-size"),
               ("pipelineParallelSize", "--pipeline-parallel-size"), ("maxNumSeqs", "--max-num-seqs"),
               ("gpuMemoryUtilization", "--gpu-memory-utilization"), ("maxLoras", "--max-loras"))


def detect(path: Path, head: str) -> bool:
    """A values file of the chart: ``servingEngineSpec:`` at the top level with a ``modelSpec`` list."""
    return bool(_DETECT.search(head) and _MODEL_SPEC.search(head))


def load(path: Path, ctx: LoadContext) -> list[Deployment]:
    sf, docs = read_documents(path, ctx, "kubernetes")
    if docs is None:
        return []
    out: list[Deployment] = []
    for doc in docs:
        engine = get(doc, "servingEngineSpec")
        if not isinstance(engine, YMap) or (isinstance(engine.get("enableEngine"), YScalar) and not is_true(engine.get("enableEngine"))):
            continue
        specs = engine.get("modelSpec")
        if not isinstance(specs, YSeq):
            continue
        for i, spec in enumerate(specs.items):
            if not isinstance(spec, YMap):
                continue
            enabled = spec.get("enabled")
            if isinstance(enabled, YScalar) and not enabled.is_null and not is_true(enabled):
                continue
            d = _model(spec, i, engine, sf, path, ctx)
            if d is not None:
                out.append(d)
    return out


def _model(spec: YMap, index: int, engine: YMap, sf, path: Path, ctx) -> Deployment | None:
    from vllm_lint.loaders.kubernetes import GPU_PRODUCT_LABELS, _env

    url = spec.get("modelURL")
    name = text(spec.get("name")) or str(index)
    anchor = spec.get("name") if isinstance(spec.get("name"), YScalar) else spec
    d = Deployment(sf.path, "kubernetes", f"modelSpec[{index}]/{name}", anchor.span, base_dir=str(path.parent),
                   source_format=FORMAT)
    repository, tag = text(spec.get("repository")), text(spec.get("tag"))
    if repository:
        image = f"{repository}:{tag}" if tag else repository
        tag_node = spec.get("tag") if tag else spec.get("repository")
        version_of_image(d, image, tag_node.span, f"image {image} (repository + tag)")
    release = ctx.release(d.version) if ctx is not None else None
    config = spec.get("vllmConfig")
    config = config if isinstance(config, YMap) else None
    ray = is_true(get(spec, "raySpec", "enabled"))
    words: list[Word] = []
    if isinstance(url, YScalar) and not url.is_null:
        words.append(value_word(url, sf))
    else:
        sf.add("invalid-kubernetes", f"modelSpec {name!r} has no modelURL: the chart renders `vllm serve` without a model",
               key_span(spec, "name") if "name" in spec else spec.span)
    port_node = engine.get("containerPort")
    port = text(port_node) or "8000"
    port_at = port_node.span if isinstance(port_node, YScalar) else anchor.span
    words += [flag_word("--port", port_at), value_word(port_node, sf) if isinstance(port_node, YScalar) else literal_word(port, port_at)]
    d.ports.append(Port(port, None, port_at))
    if ray:
        words += [flag_word("--distributed-executor-backend", key_span(spec, "raySpec")), literal_word("ray", key_span(spec, "raySpec"))]
    for key, flag in (("enableLoRA", "--enable-lora"), ("enableTool", "--enable-auto-tool-choice")):
        if is_true(spec.get(key)):
            words.append(flag_word(flag, key_span(spec, key)))
    if isinstance(spec.get("toolCallParser"), YScalar) and text(spec.get("toolCallParser")):
        words += [flag_word("--tool-call-parser", key_span(spec, "toolCallParser")), value_word(spec.get("toolCallParser"), sf)]
    v0 = False
    if config is not None:
        words += _config_words(config, key_span(spec, "vllmConfig"), sf, release, ray)
        v0 = text(config.get("v0")) == "1"
        if not ray and "pipelineParallelSize" in config:
            d.notes.append("vllmConfig.pipelineParallelSize is passed to vLLM only with raySpec.enabled: the chart's "
                           "Deployment ignores it")
    if text(spec.get("modelRevision")):
        words += [flag_word("--revision", key_span(spec, "modelRevision")), value_word(spec.get("modelRevision"), sf)]
    lmcache = spec.get("lmcacheConfig")
    if isinstance(lmcache, YMap) and is_true(lmcache.get("enabled")):
        role = text(lmcache.get("kvRole")) or "kv_both"
        role = role if not ray else "kv_both"  # the Ray entrypoint writes kv_both
        if "enablePD" in lmcache and not ray:
            rpc = text(lmcache.get("nixlRole")) or ""
            value = (f'{{"kv_connector":"LMCacheConnectorV1","kv_role":"{role}","kv_connector_extra_config":'
                     f'{{"discard_partial_chunks": false, "lmcache_rpc_port": "{rpc}"}}}}')
        elif (v0 and not ray) or (ray and not (config is not None and text(config.get("v1")) == "1")):
            value = f'{{"kv_connector":"LMCacheConnector","kv_role":"{role}"}}'
        else:
            value = f'{{"kv_connector":"LMCacheConnectorV1","kv_role":"{role}"}}'
        at = key_span(spec, "lmcacheConfig")
        words += [flag_word("--kv-transfer-config", at), literal_word(value, at)]
        cvd = lmcache.get("cudaVisibleDevices")
        if isinstance(cvd, YScalar) and not cvd.is_null:
            d.env["CUDA_VISIBLE_DEVICES"] = EnvVar("CUDA_VISIBLE_DEVICES", str(cvd.value), cvd.span)
    template = text(spec.get("chatTemplate"))
    if template:
        at = spec.get("chatTemplate").span
        words += [flag_word("--chat-template", key_span(spec, "chatTemplate")),
                  literal_word(template if ray else f"/templates/{template}", at)]
        if not ray:
            d.volumes.append(Volume("chat-templates", "/templates", at, "configMap" if "chatTemplateConfigMap" in spec else "pvc"))
    # environment, as the template orders it (later entries win, as the kubelet reads a duplicated name)
    if spec.get("hf_token") is not None and not (isinstance(spec.get("hf_token"), YScalar) and spec.get("hf_token").is_null):
        d.env["HF_TOKEN"] = EnvVar("HF_TOKEN", None, spec.get("hf_token").span, from_secret=True,
                                   name_span=key_span(spec, "hf_token"))
    if engine.get("vllmApiKey") is not None:
        d.env["VLLM_API_KEY"] = EnvVar("VLLM_API_KEY", None, engine.get("vllmApiKey").span, from_secret=True)
    if v0:
        d.env["VLLM_USE_V1"] = EnvVar("VLLM_USE_V1", "0", config.get("v0").span)
    d.env.update(_env(engine, {}))
    d.env.update(_env(spec, {}))
    _resources(d, spec, ray, sf)
    _volumes(d, spec, config)
    product = _gpu_product(spec, GPU_PRODUCT_LABELS)
    if product is not None:
        d.gpu_product, d.gpu_product_span = product
    if ray:
        d.group_size = 1 + max(0, number(spec.get("replicaCount")) or 0)
    attach_args(d, words, "vllm serve", ctx)
    return d


def _config_words(config: YMap, config_key: Span, sf, release, ray: bool) -> list[Word]:
    words: list[Word] = []
    if "enableChunkedPrefill" in config:
        on = is_true(config.get("enableChunkedPrefill"))
        words.append(flag_word("--enable-chunked-prefill" if on else "--no-enable-chunked-prefill",
                               key_span(config, "enableChunkedPrefill")))
    if is_true(config.get("enablePrefixCaching")):
        words.append(flag_word("--enable-prefix-caching", key_span(config, "enablePrefixCaching")))
    elif not ray:  # the chart writes the --no- form whenever vllmConfig is there and the key is not true
        at = key_span(config, "enablePrefixCaching") if "enablePrefixCaching" in config else config_key
        words.append(flag_word("--no-enable-prefix-caching", at))
    for key, flag in (_RAY_CONFIG if ray else _VLLM_CONFIG):
        if key in config:
            words += option_words(flag, key_span(config, key), config.get(key), sf, release)
    extra = config.get("extraArgs")
    if isinstance(extra, YSeq) or isinstance(extra, YScalar) and not extra.is_null:
        from vllm_lint.loaders.common import sequence_words

        words += sequence_words(extra, sf, None)
    return words


def _resources(d: Deployment, spec: YMap, ray: bool, sf) -> None:
    owner = get(spec, "raySpec", "headNode") if ray else spec
    resources = get(owner, "resources") if isinstance(owner, YMap) else None
    if isinstance(resources, YMap):
        for section in ("limits", "requests"):
            for key, value in (get(resources, section).items() if isinstance(get(resources, section), YMap) else ()):
                if str(key).endswith("/gpu") and number(value) is not None:
                    d.gpus.append(GpuRequest(value.span, count=number(value), how=str(key)))
                    return
        return
    gpu = get(owner, "requestGPU") if isinstance(owner, YMap) else None
    count = number(gpu)
    if count is None:
        return
    kind = text(get(owner, "requestGPUType")) or "nvidia.com/gpu"
    if count > 0:
        d.gpus.append(GpuRequest(gpu.span, count=count, how=f"requestGPU ({kind})"))


def _volumes(d: Deployment, spec: YMap, config: YMap | None) -> None:
    pvc = spec.get("pvcStorage")
    if pvc is not None:
        kind = "emptyDir" if isinstance(pvc, YMap) and "emptyDir" in pvc else "pvc"
        d.volumes.append(Volume(text(spec.get("pvcExistingClaimName")) or "storage-claim", "/data", pvc.span, kind))
    if config is not None and "tensorParallelSize" in config:
        shm = spec.get("shmSize")
        d.volumes.append(Volume(None, "/dev/shm", shm.span if shm is not None else key_span(config, "tensorParallelSize"),
                                "emptyDir"))
        d.shm_size = text(shm) or "20Gi"
        d.shm_size_span = shm.span if shm is not None else None
    mounts = spec.get("extraVolumeMounts")
    if isinstance(mounts, YSeq):
        for m in mounts.items:
            target = text(get(m, "mountPath"))
            if target:
                d.volumes.append(Volume(text(get(m, "name")), target, m.span, "volume"))


def _gpu_product(spec: YMap, labels) -> tuple[str, Span] | None:
    terms = spec.get("nodeSelectorTerms")
    for term in terms.items if isinstance(terms, YSeq) else []:
        expressions = get(term, "matchExpressions")
        for e in expressions.items if isinstance(expressions, YSeq) else []:
            values = get(e, "values")
            if text(get(e, "key")) in labels and text(get(e, "operator")) == "In" and isinstance(values, YSeq) \
                    and len(values.items) == 1 and text(values.items[0]):
                return text(values.items[0]), values.items[0].span
    return None
