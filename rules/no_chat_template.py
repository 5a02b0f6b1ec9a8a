"""A generative model whose tokenizer has no chat template, served without ``--chat-template``.

## What it does
Reads the checkpoint's ``tokenizer_config.json`` (fetched with the rest of the metadata and kept in the models
lock): when it has no ``chat_template`` and the repository ships no ``chat_template.jinja`` / ``.json``, no
``--chat-template`` is given, no other ``--tokenizer`` is used and vLLM has no template of its own for the model
type (``_MODEL_TYPE_TO_CHAT_TEMPLATE_FALLBACK``, ``vllm/transformers_utils/chat_templates/registry.py``, per
release in ``knowledge/vllm/startup_checks.yaml``), reports it. Pooling models (embedding, classification) and
launches with ``--runner pooling`` / ``--task embed``, and Mistral-format tokenizers (``--tokenizer-mode mistral``,
or ``tekken.json`` / ``tokenizer.model.v*`` in the repository: ``mistral_common`` renders the chat) are not judged; nor is a model whose tokenizer is unknown:
the bundled snapshot records no tokenizer, and an HF cache snapshot without the repository's file list cannot say
that no ``chat_template.jinja`` exists (the Hub's listing and ``vllm-lint models lock`` can).

## Why is this bad?
vLLM starts and passes its health check; then every ``/v1/chat/completions`` request fails with "As of
transformers v4.44, default chat template is no longer allowed, so you must provide a chat template if the
tokenizer does not define one." (``vllm/entrypoints/chat_utils.py`` 0.11.0, ``vllm/renderers/hf.py`` 0.33.0).
Base models, many fine-tunes and converted checkpoints ship no template; ``/v1/completions`` still works.

## Example
```yaml
    command: ["--model", "acme/llama-3-8b-support-base"]   # tokenizer_config.json without chat_template
```

## Fix
Give the template the model was trained with: ``--chat-template /templates/model.jinja`` (mounted) or
inline; or serve the instruction-tuned variant, whose tokenizer has one.
"""
from vllm_lint.vllm.startup_checks import chat_template_fallbacks, data, source_in
from vllm_lint.vllm.support import architecture, in_range

CODE = "VLL313"
NAME = "no-chat-template"
CATEGORY = "model"
SEVERITY = "warning"
NEEDS = ("release", "model")

_POOLING_KINDS = ("embedding", "cross-encoder")


def check(deployment, ctx):
    meta = ctx.model
    tokenizer = meta.tokenizer
    if not isinstance(tokenizer, dict) or tokenizer.get("chat_template") is not False \
            or tokenizer.get("from") != "tokenizer_config.json":
        return  # a template, or nothing read that says there is none
    if any(deployment.arg(name) is not None for name in ("chat-template", "tokenizer")):
        return
    mode = (deployment.value("tokenizer-mode") or "").strip().lower()
    if mode == "mistral" or any(f == "tekken.json" or f.startswith("tokenizer.model.v") for f in meta.files or ()):
        return  # mistral_common renders chats itself (tekken.json / tokenizer.model.v* beside the config)
    runner = (deployment.value("runner") or deployment.value("task") or "").strip().lower()
    if runner in ("pooling", "embed", "embedding", "classify", "score", "reward"):
        return
    version = ctx.release.name
    kinds = [entry["kind"] for a in meta.architectures
             if (entry := architecture(a)) is not None and in_range(version, entry)]
    if kinds and all(k in _POOLING_KINDS for k in kinds):
        return
    fallbacks, _ = chat_template_fallbacks(version)
    if (meta.model_type or "") in fallbacks:
        return
    message = data()["chat_template"]["message"]
    span = deployment.model_arg.value_or_flag_span if deployment.model_arg is not None else deployment.span
    yield ctx.finding(span, f"{meta.model_id}'s tokenizer_config.json has no chat_template and no --chat-template is "
                      f"given: vLLM {version} starts, then every chat request fails with \"{message}\" "
                      f"({source_in(data()['chat_template']['source'], version)})",
                      hint="--chat-template with the template the model was trained with (a mounted .jinja file), or "
                      "the model's instruction-tuned variant")
