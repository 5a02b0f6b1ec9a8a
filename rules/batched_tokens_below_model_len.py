"""``--max-num-batched-tokens`` below ``--max-model-len`` with chunked prefill turned off.

## What it does
With ``--no-enable-chunked-prefill`` (or ``--enable-chunked-prefill false``), compares
``--max-num-batched-tokens`` with the context length: ``--max-model-len``, else the model's own (its
``config.json``). What the release does with the flag comes from its source
(``knowledge/vllm/startup_checks.yaml``): from 0.9.0 to 0.11.0 the V1 engine turns chunked prefill back on
for every generative model (``EngineArgs._set_default_args``: "V1 always uses chunked prefills"), so nothing
is reported there; from 0.11.2 the flag is kept and the check below runs. Pooling models (embedding,
classification), whose default differs per pooler, and releases not read are not judged.

## Why is this bad?
vLLM refuses to start: "max_num_batched_tokens (4096) is smaller than max_model_len (40960). This effectively
limits the maximum sequence length to max_num_batched_tokens and makes vLLM reject longer sequences. Please
increase max_num_batched_tokens or decrease max_model_len." (``SchedulerConfig``,
``vllm/config/scheduler.py:256`` in 0.11.2, ``:324`` in 0.33.0).

## Example
```yaml
    image: vllm/vllm-openai:v0.19.1
    command: ["--model", "Qwen/Qwen3-8B", "--no-enable-chunked-prefill", "--max-num-batched-tokens", "4096"]
```

## Fix
Leave chunked prefill on (remove ``--no-enable-chunked-prefill``), raise ``--max-num-batched-tokens`` to the
context length, or lower ``--max-model-len``.
"""
from vllm_lint.memory.inputs import human_int
from vllm_lint.vllm.context_length import derived_max_len, rope_override
from vllm_lint.vllm.startup_checks import data, fact, source_in
from vllm_lint.vllm.support import architecture, in_range

CODE = "VLL210"
NAME = "batched-tokens-below-model-len"
CATEGORY = "vllm-cli"
SEVERITY = "error"
NEEDS = ("release",)

_POOLING_KINDS = ("embedding", "cross-encoder")


def check(deployment, ctx):
    chunked = deployment.arg("enable-chunked-prefill")
    if chunked is None or any(v.value is None for v in chunked.variables):
        return
    off = chunked.negated or (chunked.value or "").strip().lower() in ("false", "0", "no", "off")
    batched_arg = deployment.arg("max-num-batched-tokens")
    if not off or batched_arg is None or not batched_arg.value or any(v.value is None for v in batched_arg.variables):
        return
    batched = human_int(batched_arg.value)
    if batched is None:
        return
    version = ctx.release.name
    meta = ctx.model
    runner = (deployment.value("runner") or deployment.value("task") or "").strip().lower()
    if runner in ("pooling", "embed", "embedding", "classify", "score", "reward"):
        return
    if meta is not None:
        kinds = [e["kind"] for a in meta.architectures if (e := architecture(a)) is not None and in_range(version, e)]
        if kinds and all(k in _POOLING_KINDS for k in kinds):
            return
    behaviour = fact(data()["chunked_prefill"]["generate"], version)
    if behaviour is None:
        ctx.skip(f"what vLLM {version} does with --no-enable-chunked-prefill is not read")
        return
    if behaviour["behaviour"] != "respected":
        return
    len_arg = deployment.arg("max-model-len")
    if len_arg is not None:
        if not len_arg.value or any(v.value is None for v in len_arg.variables):
            return
        max_len, whose = human_int(len_arg.value), "--max-model-len"
    elif meta is not None:
        scaling, _ = rope_override(deployment)
        max_len, how = derived_max_len(meta, scaling)
        whose = f"{meta.model_id}'s context ({how})"
    else:
        return
    if max_len is None or max_len <= 0 or batched >= max_len:
        return
    message = data()["chunked_prefill"]["message"].format(batched=batched, max_model_len=max_len)
    yield ctx.finding(batched_arg.value_or_flag_span, f"--max-num-batched-tokens {batched} is below {whose} {max_len} "
                      f"with chunked prefill off: vLLM {version} stops with \"{message}\" "
                      f"({source_in(data()['chunked_prefill']['check_source'], version)})",
                      hint=f"remove {chunked.flag}, or --max-num-batched-tokens {max_len}, or a smaller --max-model-len",
                      related=[chunked.flag_span])
