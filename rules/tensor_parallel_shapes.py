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

With ``--enable-expert-parallel --enable-eplb``, the experts (``n_routed_experts`` / ``num_experts`` plus
``--eplb-config``'s ``num_redundant_experts``) must divide by the expert-parallel size (tensor × data parallel):
"EPLB currently only supports even distribution of experts across ranks." (``FusedMoE``,
``vllm/model_executor/layers/fused_moe/layer.py:1019`` in 0.11.0, ``:274`` in 0.33.0). Redundant experts
without ``--enable-eplb`` are refused whatever the model: VLL209 reports that, with each release's words
(``knowledge/vllm/engine_checks.yaml``). Without EPLB an uneven split is allowed (``determine_expert_map`` gives
the remainder to the first ranks) and not reported.

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
    yield from _expert_parallel(deployment, ctx)
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


def _expert_parallel(deployment, ctx):
    """With ``--enable-expert-parallel`` the experts are spread over tensor × data parallel ranks; EPLB needs the
    physical experts (routed + redundant) to divide evenly, and redundant experts need EPLB."""
    from vllm_lint.vllm.startup_checks import data, source_in

    facts = data()["expert_parallel"]
    version = ctx.release.name if ctx.release is not None else None
    redundant_arg, redundant = _redundant(deployment)
    eplb = deployment.flag_set("enable-eplb")
    if not eplb or not deployment.flag_set("enable-expert-parallel"):  # redundant experts without EPLB: VLL209
        return
    dp = deployment.number("data-parallel-size", int) or 1
    ep = deployment.tensor_parallel * max(1, dp)
    experts = next((v for k in ("n_routed_experts", "num_experts", "num_local_experts", "moe_num_experts")
                    if isinstance(v := ctx.shapes.get(k), int) and v > 0), None)
    if ep <= 1 or experts is None or (experts + redundant) % ep == 0:
        return
    physical = experts + redundant
    span = deployment.arg("enable-eplb").flag_span
    where = source_in(facts["eplb_even"]["source"], version) if version else facts["eplb_even"]["source"]
    more = -physical % ep  # redundant experts to add for an even split
    yield ctx.finding(span, f"EPLB over {ep} expert-parallel ranks (tensor {deployment.tensor_parallel} × data {max(1, dp)}) "
                      f"on {ctx.shapes_label}: {experts} routed" + (f" + {redundant} redundant" if redundant else "")
                      + f" = {physical} experts do not divide by {ep}: vLLM stops with \"{facts['eplb_even']['message']}\" "
                      f"({where})", hint=f"{redundant + more} redundant experts (--eplb-config "
                      f"'{{\"num_redundant_experts\": {redundant + more}}}'), or an expert-parallel size that divides {physical}")


def _redundant(deployment):
    """(the argument, the number) of redundant experts: ``--num-redundant-experts`` or ``--eplb-config``'s."""
    arg = deployment.arg("num-redundant-experts")
    if arg is not None and arg.value and arg.value.strip().isdigit():
        return arg, int(arg.value)
    config = deployment.arg("eplb-config")
    value = deployment.json_value("eplb-config") if config is not None else None
    if isinstance(value, dict) and isinstance(value.get("num_redundant_experts"), int):
        return config, value["num_redundant_experts"]
    return None, 0


def _group_size(quant: dict) -> int | None:
    for key in ("group_size", "q_group_size"):
        if isinstance(quant.get(key), int):
            return quant[key]
    for group in (quant.get("config_groups") or {}).values():
        weights = group.get("weights") if isinstance(group, dict) else None
        if isinstance(weights, dict) and isinstance(weights.get("group_size"), int):
            return weights["group_size"]
    return None
