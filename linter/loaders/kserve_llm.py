"""KServe ``LLMInferenceService`` / ``LLMInferenceServiceConfig`` and the huggingfaceserver runtime with the vLLM
backend → the vLLM pods KServe creates.

From KServe's source (github.com/kserve/kserve, read at aaac4e2):

- ``config/llmisvcconfig/config-llm-template.yaml`` (the well-known config every service is based on): the
  ``main`` container runs ``vllm serve /mnt/models --served-model-name <spec.model.name> --port 8000
  [--tensor-parallel-size <spec.parallelism.tensor>] ${VLLM_ADDITIONAL_ARGS} $@`` — ``$@`` is the container's
  ``args`` — with a memory-backed ``/dev/shm``; ``config-llm-worker-data-parallel.yaml`` (``spec.worker``)
  adds ``--enable-expert-parallel`` (``parallelism.expert``), ``--data-parallel-size`` (``data``, default 1) and
  ``--data-parallel-size-local`` (``dataLocal``, default 1). ``spec.prefill`` is a second workload (the
  prefill pods) with its own parallelism and template.
- ``pkg/apis/serving/v1alpha1/llm_inference_service_types.go``: ``spec.model.uri`` (``hf://org/repo`` is
  downloaded to ``/mnt/models``: the repository is kept as the model so that its checks run; a ``pvc://`` or
  other URI leaves ``/mnt/models``, a path on the serving host), ``spec.model.name``, ``parallelism``
  (``tensor``, ``pipeline``, ``data``, ``dataLocal``, ``expert``), ``template`` / ``worker`` / ``prefill`` (pod
  specs), ``baseRefs`` (``LLMInferenceServiceConfig`` objects merged under the service, later ones first; the
  ``main`` container's ``env`` of every layer is merged, the service's winning; its image, args and resources are
  the first layer's that has a ``main`` container).
  A template whose ``main`` container has a ``command`` of its own is read as written.
- ``python/huggingfaceserver/huggingfaceserver/__main__.py``: an ``InferenceService`` predictor with
  ``modelFormat: huggingface`` runs vLLM when ``--backend=vllm``, or ``auto`` (the default) for a model vLLM
  supports when vLLM is installed (the GPU image; here: when the predictor asks for a GPU). Its own flags
  (``--model_name``, ``--model_id`` → the model, ``--model_dir``, ``--model_revision`` → ``--revision``,
  ``--max_length`` → ``--max-model-len``, ``--backend``, ``--return_*``, ``--disable_lower_case``,
  ``--tensor_input_names`` and KServe's model server options in ``python/kserve/kserve/model_server.py``) are
  not vLLM's; every other argument goes to vLLM's parser (``make_arg_parser``). ``storageUri`` is the model
  when ``--model_id`` is not given.

``baseRefs`` are read from the same file (a config elsewhere is named in a note). An
``LLMInferenceServiceConfig`` no service of the file references is a launch of its own when it
names a model (``spec.model.uri``); a config without one is a base for others.
"""
from __future__ import annotations

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Port, Volume, Word
from vllm_lint.loaders.command import attach_args
from vllm_lint.loaders.keyed import flag_word, get, key_span, literal_word, number, sub_word, text, version_of_image
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YMap, YScalar, YSeq

FORMAT = "kserve"
LLM_KINDS = ("LLMInferenceService", "LLMInferenceServiceConfig")

#: huggingfaceserver's and KServe's model-server flags (not vLLM's), with whether each takes a value.
_SERVER_FLAGS = {
    "--model_name": True, "--model_dir": True, "--model_id": True, "--model_revision": True, "--tokenizer_revision": True,
    "--max_length": True, "--backend": True, "--tensor_input_names": True, "--disable_lower_case": False,
    "--disable_special_tokens": False, "--return_token_type_ids": False, "--return_offsets_mapping": False,
    "--return_probabilities": False, "--return_raw_logits": False, "--http_port": True, "--grpc_port": True,
    "--workers": True, "--max_threads": True, "--max_asyncio_workers": True, "--enable_grpc": True,
    "--enable_docs_url": True, "--enable_latency_logging": True, "--configure_logging": True, "--log_config_file": True,
    "--access_log_format": True, "--predictor_host": True, "--protocol": True, "--predictor_protocol": True,
    "--predictor_use_ssl": True, "--predictor_request_timeout_seconds": True, "--grpc_max_send_message_length": True,
    "--grpc_max_receive_message_length": True, "--predictor_request_retries": True,
    "--enable_predictor_health_check": False,
}


def _api(doc: YMap) -> str:
    return text(doc.get("apiVersion")) or ""


def is_llm(doc: YMap) -> bool:
    return text(doc.get("kind")) in LLM_KINDS and _api(doc).startswith("serving.kserve.io/")


def is_huggingface_isvc(doc: YMap) -> bool:
    return (text(doc.get("kind")) == "InferenceService" and _api(doc).startswith("serving.kserve.io/")
            and (text(get(doc, "spec", "predictor", "model", "modelFormat", "name")) or "").lower() == "huggingface")


# -- LLMInferenceService ---------------------------------------------------------------------------------------
def load_llm(doc: YMap, sf, ctx, objects, docs: list) -> list[Deployment]:
    kind = text(doc.get("kind"))
    name = text(get(doc, "metadata", "name")) or "?"
    configs = {text(get(o, "metadata", "name")): o for o in docs
               if isinstance(o, YMap) and text(o.get("kind")) == "LLMInferenceServiceConfig"}
    if kind == "LLMInferenceServiceConfig":
        referenced = any(name == text(get(r, "name")) for o in docs if isinstance(o, YMap)
                         and text(o.get("kind")) == "LLMInferenceService"
                         for r in (get(o, "spec", "baseRefs").items if isinstance(get(o, "spec", "baseRefs"), YSeq) else []))
        if referenced or get(doc, "spec", "model", "uri") is None:
            return []
        layers = [doc]
    else:
        layers = [doc]
        refs = get(doc, "spec", "baseRefs")
        missing = []
        for ref in reversed(refs.items if isinstance(refs, YSeq) else []):
            base = configs.get(text(get(ref, "name")))
            if base is not None:
                layers.append(base)
            elif text(get(ref, "name")):
                missing.append(text(get(ref, "name")))
    out = []
    main = _workload(layers, None, f"{kind}/{name}", doc, sf, ctx, objects)
    if main is not None:
        if kind == "LLMInferenceService" and missing:
            main.notes.append(f"baseRefs not in this file, not read: {', '.join(missing)}")
        out.append(main)
    if any(isinstance(get(layer, "spec", "prefill"), YMap) for layer in layers):
        prefill = _workload(layers, "prefill", f"{kind}/{name}/prefill", doc, sf, ctx, objects)
        if prefill is not None:
            out.append(prefill)
    return out


def _first(layers: list[YMap], *keys: str):
    for layer in layers:
        node = get(layer, "spec", *keys)
        if node is not None:
            return node, layer
    return None, None


def _main_container(template) -> YMap | None:
    containers = get(template, "containers")
    for c in containers.items if isinstance(containers, YSeq) else []:
        if isinstance(c, YMap) and text(c.get("name")) == "main":
            return c
    return None


def _workload(layers, part: str | None, label: str, doc: YMap, sf, ctx, objects) -> Deployment | None:
    from vllm_lint.loaders import kubernetes

    prefix = (part,) if part else ()
    template, _ = _first(layers, *prefix, "template")
    main = _main_container(template)
    name_node = get(doc, "metadata", "name")
    anchor = name_node if isinstance(name_node, YScalar) else doc
    if main is not None and main.get("command") is not None:  # a command of its own: the container as written
        d = kubernetes._container(main, doc, label.rsplit("/", 1)[0] if part else label, part or "", sf, ctx,
                                  kubernetes._pod_volumes(template), objects)
        if d is not None:
            d.source_format = FORMAT
        return d
    d = Deployment(sf.path, "kubernetes", label, anchor.span, source_format=FORMAT)
    if main is not None and isinstance(main.get("image"), YScalar):
        version_of_image(d, text(main.get("image")), main.get("image").span)
    words: list[Word] = []
    uri, _ = _first(layers, "model", "uri")
    if isinstance(uri, YScalar) and (text(uri) or "").startswith("hf://"):
        words.append(sub_word(uri, sf, "hf://"))
    else:
        words.append(literal_word("/mnt/models", uri.span if uri is not None else anchor.span))
    served, _ = _first(layers, "model", "name")
    at = served.span if isinstance(served, YScalar) else anchor.span
    words += [flag_word("--served-model-name", at), literal_word(text(served) or text(name_node) or "?", at)]
    words += [flag_word("--port", anchor.span), literal_word("8000", anchor.span)]
    worker, _ = _first(layers, *prefix, "worker")
    parallelism = {}
    for key in ("tensor", "pipeline", "data", "dataLocal", "expert"):
        node, _ = _first(layers, *prefix, "parallelism", key)
        if node is not None:
            parallelism[key] = node
    if worker is not None and "expert" in parallelism and text(parallelism["expert"]) in ("true", "True"):
        words.append(flag_word("--enable-expert-parallel", parallelism["expert"].span))
    if "tensor" in parallelism:
        words += [flag_word("--tensor-parallel-size", parallelism["tensor"].span),
                  _value(parallelism["tensor"], sf)]
    if worker is not None:
        for key, flag in (("data", "--data-parallel-size"), ("dataLocal", "--data-parallel-size-local")):
            node = parallelism.get(key)
            words += [flag_word(flag, node.span if node is not None else anchor.span),
                      _value(node, sf) if node is not None else literal_word("1", anchor.span)]
    # the main container's environment, merged as KServe merges the templates: the base configs first
    env: dict = {}
    extra_from = None
    for layer in reversed(layers):
        container = _main_container(get(layer, "spec", *prefix, "template"))
        if container is not None:
            own = kubernetes._env(container, objects)
            env.update(own)
            if "VLLM_ADDITIONAL_ARGS" in own:
                extra_from = container
    d.env = env
    extra = env.get("VLLM_ADDITIONAL_ARGS")
    if extra is not None and extra.value and extra_from is not None:
        words += _env_words(extra_from, extra, sf)
    if main is not None:
        from vllm_lint.loaders.common import sequence_words
        from vllm_lint.loaders.shell_vars import resolve_words

        words += resolve_words(sequence_words(main.get("args"), sf, None), {k: v.value for k, v in env.items()}.get,
                               kind="kubernetes")
        gpus = None
        for section in ("limits", "requests"):
            gpus = get(main, "resources", section, "nvidia.com/gpu")
            if number(gpus) is not None:
                d.gpus.append(GpuRequest(gpus.span, count=number(gpus), how="nvidia.com/gpu"))
                break
        volumes = kubernetes._pod_volumes(template)
        mounts = main.get("volumeMounts")
        for m in mounts.items if isinstance(mounts, YSeq) else []:
            target = text(get(m, "mountPath"))
            if target:
                kind, source = volumes.get(text(get(m, "name")) or "", ("volume", None))
                d.volumes.append(Volume(source, target, m.span, kind))
        if isinstance(template, YMap):
            kubernetes._gpu_product(d, template)
    if not any(v.target == "/dev/shm" for v in d.volumes):
        d.volumes.append(Volume(None, "/dev/shm", anchor.span, "emptyDir"))  # the well-known config's dshm
    if worker is not None and "data" in parallelism and "dataLocal" in parallelism:
        data, local = number(parallelism["data"]), number(parallelism["dataLocal"])
        if data and local:
            d.group_size = max(1, data // local)
    d.ports.append(Port("8000", None, anchor.span))
    attach_args(d, words, "vllm serve", ctx)
    return d


def _value(node: YScalar, sf) -> Word:
    from vllm_lint.loaders.keyed import value_word

    return value_word(node, sf) if isinstance(node, YScalar) else literal_word(str(node), Span.point(sf.path))


def _env_words(main: YMap, var: EnvVar, sf) -> list[Word]:
    """The words of ``VLLM_ADDITIONAL_ARGS`` (the template expands it unquoted: split as the shell does)."""
    from vllm_lint.loaders.common import scalar_words

    env = main.get("env")
    for item in env.items if isinstance(env, YSeq) else []:
        if text(get(item, "name")) == "VLLM_ADDITIONAL_ARGS" and isinstance(get(item, "value"), YScalar):
            commands = scalar_words(get(item, "value"), sf, None, split=True)
            return [w for c in commands for w in c]
    return []


# -- the huggingfaceserver runtime ------------------------------------------------------------------------------
def load_huggingface(doc: YMap, sf, ctx, objects) -> list[Deployment]:
    from vllm_lint.loaders import kubernetes
    from vllm_lint.loaders.common import sequence_words
    from vllm_lint.loaders.shell_vars import resolve_words

    predictor = get(doc, "spec", "predictor")
    model = get(predictor, "model")
    if not isinstance(model, YMap):
        return []
    env = kubernetes._env(model, objects)
    values = {k: v.value for k, v in env.items()}
    words = resolve_words(sequence_words(model.get("args"), sf, None), values.get, kind="kubernetes")
    gpus = None
    for section in ("limits", "requests"):
        node = get(model, "resources", section, "nvidia.com/gpu")
        if number(node) is not None:
            gpus = node
            break
    own: dict[str, tuple[Word, Word | None]] = {}
    rest: list[Word] = []
    i = 0
    while i < len(words):
        w = words[i]
        flag, eq, inline = w.value.partition("=")
        canonical = flag.replace("-", "_") if flag.startswith("--") else flag
        canonical = "--" + canonical[2:] if canonical.startswith("__") else canonical
        if flag.startswith("--") and canonical in _SERVER_FLAGS:
            value = None
            if eq:
                value = Word(inline, w.span, "", w.variables, False)
            elif _SERVER_FLAGS[canonical] and i + 1 < len(words):
                value = words[i + 1]
                i += 1
            own[canonical] = (w, value)
        else:
            rest.append(w)
        i += 1
    backend = own.get("--backend")
    backend_value = backend[1].value if backend and backend[1] is not None else "auto"
    if backend_value == "huggingface" or backend_value == "auto" and gpus is None:
        return []
    label_name = text(get(doc, "metadata", "name")) or "?"
    name_node = get(doc, "metadata", "name")
    anchor = name_node if isinstance(name_node, YScalar) else doc
    d = Deployment(sf.path, "kubernetes", f"InferenceService/{label_name}/predictor.model", anchor.span, env=env,
                   source_format=FORMAT)
    image = model.get("image") if isinstance(model.get("image"), YScalar) else None
    if image is not None:
        version_of_image(d, text(image), image.span)
    out: list[Word] = []
    model_id = own.get("--model_id") or own.get("--model_dir")
    storage = model.get("storageUri")
    if model_id is not None and model_id[1] is not None:
        out += [flag_word("--model", model_id[0].span), model_id[1]]
    elif isinstance(storage, YScalar) and (text(storage) or "").startswith("hf://"):
        out += [flag_word("--model", key_span(model, "storageUri")), sub_word(storage, sf, "hf://")]
    else:
        at = storage.span if storage is not None else anchor.span
        out += [flag_word("--model", at), literal_word("/mnt/models", at)]
    for theirs, ours in (("--model_revision", "--revision"), ("--max_length", "--max-model-len")):
        if theirs in own and own[theirs][1] is not None:
            out += [flag_word(ours, own[theirs][0].span), own[theirs][1]]
    served = own.get("--model_name")
    if served is not None and served[1] is not None:
        out += [flag_word("--served-model-name", served[0].span), served[1]]
    out += rest
    if gpus is not None:
        d.gpus.append(GpuRequest(gpus.span, count=number(gpus), how="nvidia.com/gpu"))
    kubernetes._gpu_product(d, predictor)  # the server listens on KServe's port, not vLLM's --port: no port here
    d.notes.append(f"KServe huggingfaceserver with the {'vLLM' if backend_value == 'vllm' else 'auto (vLLM on GPU)'} backend")
    attach_args(d, out, "api_server", ctx)
    return [d]
