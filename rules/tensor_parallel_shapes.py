"""``--tensor-parallel-size`` does not divide the model's shapes the way vLLM must split them.

## What it does
Checks, from the model's ``config.json``, what vLLM checks when it builds the sharded layers:

- attention heads divisible by the tensor-parallel size (``ModelConfig.verify_with_parallel_config``);
- KV heads divisible by it, or it by them (``QKVParallelLinear``: KV heads are replicated when
  there are fewer than GPUs, which needs an exact multiple);
- FP8 block-quantized checkpoints (``weight_block_size`` [n, k]): each GPU's share of the MLP
  (``intermediate_size`` / TP, and ``moe_intermediate_size`` / TP for MoE models) divisible by
  ``block_n`` and ``block_k`` (``validate_fp8_block_shape``, ``fp8_utils.py``);
- group-quantized checkpoints (AWQ, GPTQ, compressed-tensors W4A16): each GPU's share of
  ``intermediate_size`` divisible by the group size ("The input size is not aligned with the
  quantized weight shape", ``awq.py`` / ``gptq.py``; Marlin: "not divisible by group_size").

When only a quantized checkpoint's name is known (its own metadata cannot be had: offline, gated)
and its base model's is (``Qwen/Qwen3-32B`` for ``Qwen/Qwen3-32B-AWQ``), the head counts are checked
with the base model's shapes, as the message says; the block and group sizes are in the checkpoint's own
``config.json`` only, so that part is skipped (the run's notes say so).

## Why is this bad?
vLLM stops while loading the model. Seed report 004 quotes "ValueError: The output_size of gate's
and up's weight ... is not divisible by weight quantization block_n" for block-FP8 Qwen3 models
and the cure: "réduire le tensor-parallel-size".

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-30B-A3B-FP8", "--tensor-parallel-size", "4"]
    # moe_intermediate_size 768 / 4 = 192, not a multiple of the 128×128 blocks
```

## Fix
A tensor-parallel size that divides the shapes (often a smaller one), or pipeline parallelism
(``--pipeline-parallel-size``) for the remaining GPUs.
"""
import itertools

CODE = "VLL307"
NAME = "tensor-parallel-shapes"
CATEGORY = "model"
SEVERITY = "error"
NEEDS = ("shapes",)

_GROUP_METHODS = ("awq", "awq_marlin", "gptq", "gptq_marlin", "compressed-tensors", "auto-round", "moe_wna16")


def check(deployment, ctx):
    tp = deployment.tensor_parallel
    arg = deployment.arg("tensor-parallel-size")
    if tp <= 1 or arg is None:
        return
    meta = ctx.shapes
    if ctx.shapes_stand_in:
        ctx.skip("the quantization's block and group sizes are only in the checkpoint's own config.json", deployment.model)
    # the two largest sizes below that work, looked for among sizes a machine can have (tp may be 10^8)
    good = list(itertools.islice((n for n in range(min(tp - 1, 1024), 0, -1) if not shape_problems(meta, n)), 2))
    for problem in shape_problems(meta, tp):
        yield ctx.finding(arg.value_or_flag_span, f"--tensor-parallel-size {tp} on {ctx.shapes_label}: {problem}",
                          hint=(f"--tensor-parallel-size {' or '.join(map(str, good))}" if good else "a smaller tensor-parallel size")
                          + ", with --pipeline-parallel-size for the other GPUs")


def shape_problems(meta, tp: int) -> list[str]:
    problems = []
    heads = meta.get("num_attention_heads")
    kv_heads = meta.get("num_key_value_heads") or heads
    if isinstance(heads, int) and heads % tp:
        problems.append(f"Total number of attention heads ({heads}) must be divisible by tensor parallel size ({tp})")
    if isinstance(kv_heads, int) and kv_heads % tp and tp % kv_heads:
        problems.append(f"its {kv_heads} KV heads can be neither split over nor replicated on {tp} GPUs")
    quant = meta.quant_config or {}
    method = meta.quant_method
    sizes = [("intermediate_size", meta.get("intermediate_size"))]
    if meta.get("moe_intermediate_size"):
        sizes.append(("moe_intermediate_size", meta.get("moe_intermediate_size")))
    block = quant.get("weight_block_size") if method == "fp8" else None
    if tp > 1 and isinstance(block, list) and len(block) == 2:
        block_n, block_k = int(block[0]), int(block[1])
        for name, size in sizes:
            if isinstance(size, int) and size % tp == 0:
                part = size // tp
                for which, b in (("block_n", block_n), ("block_k", block_k)):
                    if part % b:
                        problems.append(f"{name} {size} / {tp} = {part} per GPU is not divisible by weight quantization "
                                        f"{which} = {b}")
                        break
    group = _group_size(quant) if method in _GROUP_METHODS else None
    if tp > 1 and group and group > 0:
        name, size = sizes[0]
        if isinstance(size, int) and size % tp == 0 and (size // tp) % group:
            problems.append(f"{name} {size} / {tp} = {size // tp} per GPU is not a multiple of the quantization group "
                            f"size {group} (\"The input size is not aligned with the quantized weight shape\")")
    return problems


def _group_size(quant: dict) -> int | None:
    for key in ("group_size", "q_group_size"):
        if isinstance(quant.get(key), int):
            return quant[key]
    for group in (quant.get("config_groups") or {}).values():
        weights = group.get("weights") if isinstance(group, dict) else None
        if isinstance(weights, dict) and isinstance(weights.get("group_size"), int):
            return weights["group_size"]
    return None
