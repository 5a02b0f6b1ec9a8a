"""KubeAI ``Model`` (``kubeai.org/v1``, ``spec.engine: VLLM``) → the vLLM pod the KubeAI controller creates.

From KubeAI's source (github.com/kubeai-project/kubeai, read at f442a2c):

- ``internal/modelcontroller/engine_vllm.go`` ``vLLMPodForModel``: the container runs ``python3 -m
  vllm.entrypoints.openai.api_server`` with ``--model=<the url's reference>`` (``hf://org/repo`` →
  ``org/repo``; ``pvc://name[/path]`` → ``/model``, the claim mounted there; ``s3://…`` as written, with
  ``--load-format=runai_streamer``), ``--served-model-name=<metadata.name>``, then ``spec.args``; ``spec.env``
  (sorted) as the container's environment; ``--enable-lora`` and ``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`` when
  ``spec.adapters`` is set; port 8000; a memory-backed ``/dev/shm`` (``dshm``).
- ``api/k8s/v1/model_types.go``: ``resourceProfile: <name>:<count>`` ("nvidia-gpu-l4:2 - 2x NVIDIA L4 GPUs"),
  ``image`` (else the image of the profile's ``imageName`` in the KubeAI configuration, not in this file:
  the vLLM release is then unknown), ``url`` schemes.
- ``charts/kubeai/values.yaml`` ``resourceProfiles``: each ``nvidia-gpu-<type>`` / ``amd-gpu-<type>`` profile is
  one GPU (``nvidia.com/gpu: "1"``); the count multiplies it. The profile's name gives the GPU type
  (``nvidia-gpu-l4`` → L4, ``nvidia-gpu-a100-80gb`` → A100 80GB); a profile of another name is the cluster's
  own: its GPUs are unknown.

With ``cacheProfile`` the model is read from a cache folder that holds the same files as the ``hf://``
repository: the repository is kept as the model so that its checks run. Other engines (OLlama, Infinity,
FasterWhisper) are not vLLM.
"""
from __future__ import annotations

import re

from vllm_lint.launch.deployment import Deployment, EnvVar, GpuRequest, Port, Volume, Word
from vllm_lint.loaders.command import attach_args
from vllm_lint.loaders.keyed import flag_word, get, key_span, literal_word, sub_word, text, version_of_image
from vllm_lint.sources.yamlnodes import YMap, YScalar, YSeq

FORMAT = "kubeai"
_PROFILE = re.compile(r"^(?:nvidia|amd)-gpu-(.+)$")


def is_model(doc: YMap) -> bool:
    api = text(doc.get("apiVersion")) or ""
    return text(doc.get("kind")) == "Model" and api.startswith("kubeai.org/")


def load_document(doc: YMap, sf, ctx, objects) -> list[Deployment]:
    spec = doc.get("spec")
    if not isinstance(spec, YMap) or (text(spec.get("engine")) or "").lower() != "vllm":
        return []
    from vllm_lint.loaders.common import sequence_words
    from vllm_lint.loaders.shell_vars import resolve_words

    name = text(get(doc, "metadata", "name")) or "?"
    name_node = get(doc, "metadata", "name")
    anchor = name_node if isinstance(name_node, YScalar) else doc
    d = Deployment(sf.path, "kubernetes", f"Model/{name}", anchor.span, source_format=FORMAT)
    image = spec.get("image")
    if isinstance(image, YScalar) and text(image):
        version_of_image(d, text(image), image.span)
    words: list[Word] = []
    url = spec.get("url")
    url_text = text(url) or ""
    at = key_span(spec, "url")
    if url_text.startswith("hf://"):
        words += [flag_word("--model", at), sub_word(url, sf, "hf://")]
    elif url_text.startswith("pvc://"):
        claim = url_text[len("pvc://"):].split("/", 1)[0]
        words += [flag_word("--model", at), literal_word("/model", url.span)]
        d.volumes.append(Volume(claim, "/model", url.span, "pvc"))
    elif url_text.startswith(("s3://", "gs://", "oss://")):
        words += [flag_word("--model", at), literal_word(url_text, url.span)]
        if url_text.startswith("s3://") and "cacheProfile" not in spec:
            words += [flag_word("--load-format", at), literal_word("runai_streamer", at)]
    elif url is not None:
        sf.add("invalid-kubernetes", f"KubeAI Model url {url_text!r} is not hf://, pvc://, s3://, gs:// or oss://", url.span)
    if isinstance(name_node, YScalar):
        words += [flag_word("--served-model-name", name_node.span), literal_word(name, name_node.span)]
    env = {}
    env_node = spec.get("env")
    if isinstance(env_node, YMap):
        for key in sorted(str(k) for k in env_node.entries):
            value = env_node.get(key)
            k = env_node.key_node(key)
            env[key] = EnvVar(key, text(value), value.span if value is not None else k.span, name_span=k.span)
    from vllm_lint.loaders.kubernetes import _env

    env.update(_env(YMap(spec.span, spec.tag, {k: v for k, v in spec.entries.items() if k == "envFrom"}), objects))
    if isinstance(spec.get("adapters"), YSeq) and spec.get("adapters").items:
        words.append(flag_word("--enable-lora", key_span(spec, "adapters")))
        env["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] = EnvVar("VLLM_ALLOW_RUNTIME_LORA_UPDATING", "True", key_span(spec, "adapters"))
    d.env = env
    values = {k: v.value for k, v in env.items()}
    words += resolve_words(sequence_words(spec.get("args"), sf, None), values.get, kind="kubernetes")
    profile = spec.get("resourceProfile")
    if isinstance(profile, YScalar) and text(profile):
        pname, _, count = text(profile).partition(":")
        m = _PROFILE.match(pname)
        try:
            n = int(count or "1")
        except ValueError:
            n = None
            sf.add("invalid-kubernetes", f"resourceProfile {text(profile)!r} is not <name>:<count>", profile.span)
        if m and n is not None:
            from vllm_lint.loaders.keyed import gpu_name

            d.gpus.append(GpuRequest(profile.span, count=n, how=f"resourceProfile {pname} × {n}"))
            d.gpu_product, d.gpu_product_span = gpu_name(m.group(1)), profile.span
        elif n is not None:
            d.notes.append(f"resourceProfile {pname} is the cluster's own: its GPUs are not known here")
    d.volumes.append(Volume(None, "/dev/shm", doc.span, "emptyDir"))
    d.ports.append(Port("8000", None, anchor.span))
    attach_args(d, words, "api_server", ctx)
    return [d]
