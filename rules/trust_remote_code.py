"""``--trust-remote-code``: not needed for an architecture vLLM serves itself, and a risk unpinned.

## What it does
- On a model whose architecture the pinned release serves natively (the model registry,
  ``knowledge/vllm/architectures.yaml``) and whose repository ships no code of its own (no
  ``auto_map`` in ``config.json``): the flag is not needed (info).
- On a model repository that ships its own Python code (``auto_map``, ``*.py`` files) without
  ``--revision`` pinned to a commit: every restart runs whatever code the repository holds that day
  (warning).

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
    if not deployment.flag_set("trust-remote-code"):
        return
    arg = deployment.arg("trust-remote-code")
    meta = ctx.model
    version = ctx.release.version
    if meta.has_custom_code:
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
