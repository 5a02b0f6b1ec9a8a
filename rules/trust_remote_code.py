"""``--trust-remote-code``: not needed for an architecture vLLM serves itself, and a risk unpinned.

## What it does
- Without the flag, on a model whose ``config.json`` maps its configuration class to the repository's own
  code (``auto_map.AutoConfig``) and whose architecture the pinned release does not serve natively: error, vLLM
  cannot read the config — "Failed to load the model config. If the model is a custom model not yet available in the
  HuggingFace transformers library, consider setting `trust_remote_code=True` in LLM or using the
  `--trust-remote-code` flag in the CLI." (``vllm/transformers_utils/config.py:151`` in 0.11.0, ``:458`` in
  0.33.0; the same text since 0.6.0).
- On a model whose architecture the pinned release serves natively (the model registry,
  ``knowledge/vllm/architectures.yaml``) and whose repository ships no code of its own (no
  ``auto_map`` in ``config.json``): the flag is not needed (info).
- On a model repository that ships its own Python code (``auto_map``, ``*.py`` files) without
  ``--revision`` pinned to a commit: every restart runs whatever code the repository holds that day
  (warning). A local model folder (``--model /models/mine``) has no revision to pin and is not reported.

## Why is this bad?
``--trust-remote-code`` lets the model repository run arbitrary Python in the serving container,
with its tokens and its network. Where vLLM's own implementation is used it buys nothing; where it
is needed, an unpinned revision means code can change under a running deployment.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-32B-AWQ", "--trust-remote-code"]
```

## Fix
Remove the flag for natively served models; otherwise pin ``--revision`` to a reviewed commit.
"""
import re

from vllm_lint.vllm.support import architecture, in_range

CODE = "VLL310"
NAME = "trust-remote-code"
CATEGORY = "model"
SEVERITY = "warning"
NEEDS = ("release", "model")

_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def check(deployment, ctx):
    meta = ctx.model
    version = ctx.release.version
    if not deployment.flag_set("trust-remote-code"):
        yield from _missing(deployment, ctx, meta, version)
        return
    arg = deployment.arg("trust-remote-code")
    if meta.has_custom_code:
        if _local(meta):
            return  # a folder of the deployment: --revision has nothing to pin, the code is what the folder holds
        revision = deployment.value("revision") or ""
        if not _COMMIT.match(revision.strip()):
            yield ctx.finding(arg.flag_span, f"--trust-remote-code runs {meta.model_id}'s own Python code, and "
                              f"--revision {'is ' + repr(revision) if revision else 'is not given'}: each restart "
                              "runs whatever the repository holds that day",
                              hint="pin --revision to a reviewed commit (40 hex digits)")
        return
    native = [a for a in meta.architectures if (entry := architecture(a)) is not None and in_range(version, entry)]
    if native:
        yield ctx.finding(arg.flag_span, f"--trust-remote-code is not needed: vLLM {version} serves {native[0]} itself "
                          f"and {meta.model_id} ships no code", severity="info", hint="remove --trust-remote-code")


def _missing(deployment, ctx, meta, version):
    """The model's config.json maps its classes to the repository's own code (``auto_map``) and no architecture it
    names is served by the release: vLLM cannot read the config without running that code."""
    auto_map = meta.config.get("auto_map")
    if not isinstance(auto_map, dict) or "AutoConfig" not in auto_map or deployment.unknown("trust-remote-code"):
        return  # no configuration code of its own: an architecture vLLM lacks is VLL305's
    archs = meta.architectures
    if not archs or any((entry := architecture(a)) is not None and in_range(version, entry) for a in archs):
        return
    span = deployment.model_arg.value_or_flag_span if deployment.model_arg is not None else deployment.span
    yield ctx.finding(span, f"{meta.model_id} ships its own code (auto_map: {', '.join(sorted(auto_map))}) for "
                      f"{archs[0]}, which vLLM {version} does not serve itself, and --trust-remote-code is not given: "
                      "vLLM stops with \"Failed to load the model config. If the model is a custom model not yet "
                      "available in the HuggingFace transformers library, consider setting `trust_remote_code=True` in "
                      "LLM or using the `--trust-remote-code` flag in the CLI.\" (vllm/transformers_utils/config.py)",
                      severity="error", hint="review the folder's code, then --trust-remote-code" if _local(meta) else
                      "review the repository's code, then --trust-remote-code with --revision pinned to that commit")


def _local(meta) -> bool:
    """The model is a folder (``--model /models/mine``), read from it or from the models lock, not a Hub repository."""
    return meta.source == "local" or meta.model_id.startswith(("/", "./", "../", "~"))
