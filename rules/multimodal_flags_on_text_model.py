"""Multimodal flags on a text-only model, or image limits the model's processor cannot honour.

## What it does
Reports ``--limit-mm-per-prompt``, ``--mm-processor-kwargs``, ``--mm-encoder-tp-mode``,
``--skip-mm-profiling`` and the other ``--mm-*`` options on a model whose ``config.json`` has no
vision or audio part: vLLM builds its multimodal config only for multimodal models
(``ModelConfig.__post_init__``, ``vllm/config/model.py``) and drops these options without a word. Where a
release stops on one of them instead (0.9.2's ``ModelConfig._init_multimodal_config`` refuses
``--limit-mm-per-prompt``, ``--mm-processor-kwargs`` and ``--disable-mm-preprocessor-cache`` on a text-only
model), VLL209 reports that error and this rule says nothing of the option.
On a vision model, checks ``max_pixels`` / ``min_pixels`` in ``--mm-processor-kwargs`` against the
processor's own limits (``preprocessor_config.json``).

## Why is this bad?
Options that do nothing mislead whoever reads the profile: seed report 004's text-only Qwen3
profiles were tuned as if image limits applied. A ``max_pixels`` below the processor's
``min_pixels`` makes every image fail to resize; one above the processor's maximum raises the
encoder's memory beyond what the model was built for.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-32B-AWQ", "--limit-mm-per-prompt", '{"image": 3}']
```

## Fix
Remove the multimodal options from text-only launches; keep ``max_pixels`` within the processor's
``min_pixels``..``max_pixels``.
"""
CODE = "VLL308"
NAME = "multimodal-flags-on-text-model"
CATEGORY = "model"
SEVERITY = "warning"
NEEDS = ("model",)

MM_OPTIONS = ("limit-mm-per-prompt", "mm-processor-kwargs", "mm-encoder-tp-mode", "skip-mm-profiling",
              "mm-processor-cache-gb", "mm-processor-cache-type", "disable-mm-preprocessor-cache",
              "interleave-mm-strings", "media-io-kwargs", "video-pruning-rate")


def check(deployment, ctx):
    meta = ctx.model
    if not meta.is_multimodal:
        stopping = _refused_on_text_models(ctx.release)
        for arg in deployment.args:
            option = ctx.release.option("--" + arg.name) if ctx.release is not None else None
            if option is not None and option.dest in stopping:
                continue  # this release stops on it (an engine check: VLL209's error), it does not ignore it
            if arg.name in MM_OPTIONS:
                yield ctx.finding(arg.flag_span, f"--{arg.name} on {meta.model_id}, a text-only model "
                                  f"({', '.join(meta.architectures) or meta.model_type}): vLLM ignores it",
                                  hint=f"remove --{arg.name}")
        return
    kwargs = deployment.json_value("mm-processor-kwargs")
    arg = deployment.arg("mm-processor-kwargs")
    if not isinstance(kwargs, dict) or arg is None:
        return
    low, high = _processor_limits(meta.preprocessor or {})
    asked = kwargs.get("max_pixels")
    if not isinstance(asked, int):
        return
    span = arg.value_or_flag_span
    if low and asked < low:
        yield ctx.finding(span, f"max_pixels {asked} is below the processor's min_pixels {low}: images cannot be resized "
                          "into that range", severity="error", hint=f"max_pixels of at least {low}")
    elif high and asked > high:
        yield ctx.finding(span, f"max_pixels {asked} is above the processor's max_pixels {high}", severity="info",
                          hint=f"at most {high}")


def _refused_on_text_models(release) -> set[str]:
    """The dests of the engine checks that stop ``release`` on a text-only model (``model: text_only`` items)."""
    if release is None:
        return set()
    from vllm_lint.vllm import engine_checks

    out = set()
    for check, stretch in engine_checks.applicable(release.name):
        when = stretch.get("when", check["when"])
        if any(item.get("model") == "text_only" for item in when):
            out.update(item["dest"] for item in when if "dest" in item and item.get("truthy") is True)
    return out


def _processor_limits(pre: dict) -> tuple[int | None, int | None]:
    size = pre.get("size") if isinstance(pre.get("size"), dict) else {}
    low = pre.get("min_pixels") or size.get("shortest_edge") or size.get("min_pixels")
    high = pre.get("max_pixels") or size.get("longest_edge") or size.get("max_pixels")
    return (int(low) if isinstance(low, int) else None, int(high) if isinstance(high, int) else None)
