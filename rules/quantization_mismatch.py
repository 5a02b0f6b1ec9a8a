"""``--quantization`` names a method the checkpoint is not quantized with.

## What it does
Reads the checkpoint's quantization method from its ``config.json`` (``quantization_config``,
``compression_config``) or the descriptors beside it (``quantize_config.json``,
``hf_quant_config.json``), and checks ``--quantization`` against what the pinned vLLM release
accepts for that method: the method itself or one of the "override" kernels that take it over
(an ``awq`` checkpoint accepts ``awq`` and ``awq_marlin``; ``gptq`` accepts ``gptq_marlin``;
``compressed-tensors`` accepts neither ``awq`` nor ``gptq``). The table is
``knowledge/vllm/quantization_overrides.yaml``, read from vLLM's ``_verify_quantization`` and the
``override_quantization_method`` of each kernel. Also reports ``--quantization`` on a checkpoint
that is not quantized.

## Why is this bad?
vLLM refuses to start: "Quantization method specified in the model config (compressed-tensors)
does not match the quantization method specified in the `quantization` argument (awq)." Seed
report 002 was told to add ``--quantization awq`` for ``cpatonn/Qwen3-VL-32B-Thinking-AWQ-4bit``;
its ``config.json`` says ``quant_method: compressed-tensors`` ("Le paramètre --quantization awq
initialement proposé dans les instructions était incompatible et a été retiré").

## Example
```yaml
    command: >
      --model cpatonn/Qwen3-VL-32B-Thinking-AWQ-4bit
      --quantization awq
```

## Fix
Remove ``--quantization``: vLLM detects the checkpoint's method (here compressed-tensors) itself.
``--fix`` removes it.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import remove_arg
from vllm_lint.vllm.quantization import accepted, mismatch_message

CODE = "VLL302"
NAME = "quantization-mismatch"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("model",)
#: --quantization values that quantize an unquantized checkpoint on the fly (not a mismatch)
OPTIONS = {"online-methods": ["fp8", "bitsandbytes", "experts_int8", "fp8_per_tensor", "fp8_per_block",
                              "fp8_per_channel", "int8_per_channel_weight_only", "mxfp8", "online", "torchao", "inc"]}


def check(deployment, ctx):
    arg = deployment.arg("quantization")
    if arg is None or not arg.value or any(v.value is None for v in arg.variables):
        return
    meta = ctx.model
    method = meta.quant_method
    user = arg.value.strip()
    release = ctx.release
    version = release.version if release is not None else None
    if release is not None:
        parsed = release.parse(["--quantization", arg.value])
        if parsed.ok and parsed.values.get("quantization", user) is None:
            return  # `--quantization None`: the release's parser reads no quantization (differential test)
    source = ctx.source(arg.flag_span.path)
    edits = remove_arg(arg, source) if source is not None else None
    if method is None:
        if user in ctx.options["online-methods"]:
            return
        yield ctx.finding(arg.value_or_flag_span, f"--quantization {user} on {meta.model_id}, whose checkpoint is not quantized "
                          "(no quantization_config in its config.json)",
                          hint="remove --quantization, or choose a quantized checkpoint",
                          fix=Fix("remove --quantization", edits, safe=False) if edits else None)
        return
    allowed, origin = accepted(method, version or "0.33.0")
    if user in allowed:
        return
    yield ctx.finding(arg.value_or_flag_span,
                      f"{meta.model_id} is a {method} checkpoint: vLLM stops with \"{mismatch_message(method, user)}\"",
                      hint=f"remove --quantization; vLLM detects {method} (accepted here: {', '.join(allowed)})",
                      fix=Fix("remove --quantization", edits) if edits else None)
