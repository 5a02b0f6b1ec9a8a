"""The engine checks on bounds and option pairs that need no model (``knowledge/vllm/engine_checks.yaml``): a
data-parallel size of 0, redundant experts without EPLB, the SchedulerConfig / CacheConfig bounds of 0.9.2 and
0.11.0, guided decoding and prompt adapters of 0.9.2, elastic EP, ``--config-format``, ``--nnodes`` against the world
size, prefetch offloading, and the Mamba, fault-tolerance, spec-decode-metrics and KV-transfer checks of 0.20.2 /
0.33.0. Each fires as VLL209 with vLLM's words and source line on a launch the release's engine refuses, and stays
quiet on the variants it accepts, on values known only at run time and on releases outside its ranges."""
from __future__ import annotations

import itertools

import pytest
from conftest import assert_engine_check_fires, engine_findings_with

from vllm_lint.vllm import engine_checks


def _pydantic(cls: str) -> str:
    return f"ValidationError: 1 validation error for {cls}\n  Value error, "


PC, SC, CC = _pydantic("ParallelConfig"), _pydantic("SchedulerConfig"), _pydantic("CacheConfig")
DC, PA, MC = _pydantic("DecodingConfig"), _pydantic("PromptAdapterConfig"), _pydantic("ModelConfig")
OC, VC = _pydantic("OffloadConfig"), _pydantic("VllmConfig")
REDUNDANT = ("num_redundant_experts is set to {} but EPLB is not enabled. Either enable EPLB or unset "
             "num_redundant_experts.")
LONG_PREFILLS = ("max_long_partial_prefills ({}) must be greater than or equal to 1 and less than or equal to "
                 "max_num_partial_prefills (1).")
NNODES_0_33 = ("ValueError: Invalid data-parallel launch options: `--nnodes {}` must evenly divide the total world "
               "size ({}). Adjust `--nnodes`, `--data-parallel-size`, `--pipeline-parallel-size`, "
               "`--tensor-parallel-size`, or `--prefill-context-parallel-size`.")
STOCHASTIC = ("Stochastic rounding for Mamba cache requires the SSM cache to be float16. Please set it explicitly, by "
              "specifying `--mamba-ssm-cache-dtype float16`, or disable stochastic rounding by not specifying "
              "`--enable-mamba-cache-stochastic-rounding`.")

#: (release, options, words of the finding, source as the finding names it)
FIRES = [
    # dp-size-zero: the local size defaults to 0 too
    ("0.9.2", "--data-parallel-size 0", PC + "data_parallel_rank (0) must be in the range [0, 0)",
     "vllm/config.py:1969 in 0.9.2"),
    ("0.11.0", "--data-parallel-size 0 --data-parallel-start-rank 2",
     PC + "data_parallel_rank (0) must be in the range [0, 0)", "vllm/config/parallel.py:402 in 0.11.0"),
    ("0.20.2", "--data-parallel-size=0 --headless", PC + "data_parallel_rank (0) must be in the range [0, 0)",
     "vllm/config/parallel.py:769 in 0.20.2"),
    # redundant-experts-need-eplb / eplb-config-redundant-experts-need-eplb
    ("0.9.2", "--num-redundant-experts 16", PC + "num_redundant_experts should be used with EPLB.16.",
     "vllm/config.py:2000 in 0.9.2"),
    ("0.11.0", "--num-redundant-experts 16", PC + REDUNDANT.format(16), "vllm/config/parallel.py:441 in 0.11.0"),
    ("0.11.0", "--eplb-config.num_redundant_experts 4", PC + REDUNDANT.format(4),
     "vllm/config/parallel.py:441 in 0.11.0"),
    ("0.19.1", "--eplb-config '{\"num_redundant_experts\": 4}'", PC + REDUNDANT.format(4),
     "vllm/config/parallel.py:378 in 0.19.1"),
    ("0.33.0", "--eplb-config.num_redundant_experts 2", PC + REDUNDANT.format(2),
     "vllm/config/parallel.py:586 in 0.33.0"),
    # SchedulerConfig bounds of 0.9.2 and 0.11.0
    ("0.9.2", "--num-scheduler-steps 0", SC + "num_scheduler_steps (0) must be greater than or equal to 1.",
     "vllm/config.py:2333 in 0.9.2"),
    ("0.9.2", "--max-num-partial-prefills 0", SC + "max_num_partial_prefills (0) must be greater than or equal to 1.",
     "vllm/config.py:2339 in 0.9.2"),
    ("0.11.0", "--max-num-partial-prefills=0 --max-long-partial-prefills 0",
     SC + "max_num_partial_prefills (0) must be greater than or equal to 1.", "vllm/config/scheduler.py:264 in 0.11.0"),
    ("0.9.2", "--max-long-partial-prefills 0", SC + LONG_PREFILLS.format(0), "vllm/config.py:2354 in 0.9.2"),
    ("0.11.0", "--max-long-partial-prefills 2", SC + LONG_PREFILLS.format(2), "vllm/config/scheduler.py:279 in 0.11.0"),
    ("0.9.2", "--max-num-batched-tokens 100 --max-num-seqs 200 --enable-chunked-prefill",
     SC + "max_num_batched_tokens (100) must be greater than or equal to max_num_seqs (200).",
     "vllm/config.py:2314 in 0.9.2"),
    ("0.11.0", "--max-num-batched-tokens 0 --max-num-seqs 64 --enable-chunked-prefill",
     SC + "max_num_batched_tokens (0) must be greater than or equal to max_num_seqs (64).",
     "vllm/config/scheduler.py:245 in 0.11.0"),
    # gpu-memory-utilization-le-1
    ("0.9.2", "--gpu-memory-utilization 16", CC + "GPU memory utilization must be less than 1.0. Got 16.0.",
     "vllm/config.py:1582 in 0.9.2"),
    ("0.11.0", "--gpu-memory-utilization 1.5", CC + "GPU memory utilization must be less than 1.0. Got 1.5.",
     "vllm/config/cache.py:168 in 0.11.0"),
    # guided decoding (0.9.2)
    ("0.9.2", "--guided-decoding-disable-any-whitespace --guided-decoding-backend outlines",
     DC + "disable_any_whitespace is only supported for xgrammar and guidance backends.",
     "vllm/config.py:3627 in 0.9.2"),
    ("0.9.2", "--guided-decoding-disable-additional-properties",
     DC + "disable_additional_properties is only supported for the guidance backend.", "vllm/config.py:3631 in 0.9.2"),
    ("0.9.2", "--guided-decoding-disable-additional-properties --guided-decoding-backend xgrammar",
     DC + "disable_additional_properties is only supported for the guidance backend.", "vllm/config.py:3631 in 0.9.2"),
    # prompt adapters (0.9.2)
    ("0.9.2", "--enable-prompt-adapter", PA + "max_prompt_adapter_token must be set.", "vllm/config.py:3074 in 0.9.2"),
    ("0.9.2", "--enable-prompt-adapter --max-prompt-adapters 0 --max-prompt-adapter-token 8",
     PA + "max_prompt_adapters (0) must be >= 1.", "vllm/config.py:3071 in 0.9.2"),
    # elastic-ep-needs-eplb (it stops before the redundant experts)
    ("0.19.1", "--enable-elastic-ep --eplb-config.num_redundant_experts 4",
     PC + "Elastic EP is only supported with enable_eplb=True.", "vllm/config/parallel.py:643 in 0.19.1"),
    ("0.33.0", "--enable-elastic-ep", PC + "Elastic EP is only supported with enable_eplb=True.",
     "vllm/config/parallel.py:975 in 0.33.0"),
    # config-format-known
    ("0.11.0", "--config-format gguf", MC + "Unknown config format `gguf`.",
     "vllm/transformers_utils/config.py:213 in 0.11.0"),
    ("0.20.2", "--config-format 1k", MC + "Unknown config format `1k`.",
     "vllm/transformers_utils/config.py:327 in 0.20.2"),
    # nnodes-divide-world-size-*
    ("0.19.1", "--nnodes 4", "AssertionError: world_size=1 must be divisible by nnodes=4.",
     "vllm/engine/arg_utils.py:1644 in 0.19.1"),
    ("0.20.2", "--nnodes 3 -tp 4", "AssertionError: world_size=4 must be divisible by nnodes=3.",
     "vllm/engine/arg_utils.py:1744 in 0.20.2"),
    ("0.20.2", "--nnodes 4 --pipeline-parallel-size 2", "AssertionError: world_size=2 must be divisible by nnodes=4.",
     "vllm/engine/arg_utils.py:1744 in 0.20.2"),
    ("0.19.1", "--nnodes 4 --data-parallel-size 2", "AssertionError: world_size=2 must be divisible by nnodes=4.",
     "vllm/engine/arg_utils.py:1644 in 0.19.1"),
    ("0.20.2", "--nnodes 3 --prefill-context-parallel-size 2",  # 0.20.2's world leaves prefill CP out
     "AssertionError: world_size=1 must be divisible by nnodes=3.", "vllm/engine/arg_utils.py:1744 in 0.20.2"),
    ("0.33.0", "--nnodes 4", NNODES_0_33.format(4, 1), "vllm/engine/arg_utils.py:2406 in 0.33.0"),
    ("0.33.0", "--nnodes 3 --data-parallel-size 2", NNODES_0_33.format(3, 2),
     "vllm/engine/arg_utils.py:2406 in 0.33.0"),
    ("0.33.0", "--nnodes 4 --prefill-context-parallel-size 2", NNODES_0_33.format(4, 2),
     "vllm/engine/arg_utils.py:2406 in 0.33.0"),
    # offload-*-num-in-group
    ("0.19.1", "--offload-backend prefetch", OC + "offload_num_in_group (1) must be <= offload_group_size (0)",
     "vllm/config/offload.py:101 in 0.19.1"),
    ("0.33.0", "--offload-group-size 2 --offload-num-in-group 3",
     OC + "offload_num_in_group (3) must be <= offload_group_size (2)", "vllm/config/offload.py:101 in 0.33.0"),
    # Mamba options
    ("0.20.2", "--mamba-backend auto",
     "ValueError: Unknown Mamba SSU backend: 'AUTO'. Valid options are: TRITON, FLASHINFER",
     "vllm/config/mamba.py:17 in 0.20.2"),
    ("0.33.0", "--mamba-backend 1e3",
     "ValueError: Unknown Mamba SSU backend: '1E3'. Valid options are: TRITON, FLASHINFER, CPU",
     "vllm/config/mamba.py:17 in 0.33.0"),
    ("0.33.0", "--mamba-ssu-algorithm vertical",
     "ValueError: Mamba SSU algorithm selection is only supported with the FlashInfer backend. Please set "
     "`--mamba-backend flashinfer`, or omit `--mamba-ssu-algorithm`.", "vllm/config/mamba.py:76 in 0.33.0"),
    ("0.20.2", "--enable-mamba-cache-stochastic-rounding --mamba-ssm-cache-dtype float32", VC + STOCHASTIC,
     "vllm/config/vllm.py:733 in 0.20.2"),
    ("0.33.0", "--enable-mamba-cache-stochastic-rounding --mamba-ssm-cache-dtype bfloat16", VC + STOCHASTIC,
     "vllm/config/vllm.py:1596 in 0.33.0"),
    # 0.33.0: fault tolerance, per-request spec-decode metrics, a KV-transfer config without a connector
    ("0.33.0", "--enable-fault-tolerance",
     "ValueError: Fault tolerance requires external load balancer mode (--data-parallel-external-lb or "
     "--data-parallel-rank). Internal LB mode is not supported.", "vllm/engine/arg_utils.py:2450 in 0.33.0"),
    ("0.33.0", "--per-request-spec-decode-metrics summary",
     VC + "--per-request-spec-decode-metrics requires speculative decoding to be enabled (via --speculative-config).",
     "vllm/config/vllm.py:1735 in 0.33.0"),
    ("0.33.0", "--kv-transfer-config '{}'", VC + "Connector name is not set in KVTransferConfig",
     "vllm/distributed/kv_transfer/kv_connector/factory.py:101 in 0.33.0"),
    ("0.33.0", "--kv-transfer-config.kv_role kv_both", VC + "Connector name is not set in KVTransferConfig",
     "vllm/distributed/kv_transfer/kv_connector/factory.py:101 in 0.33.0"),
]

#: (release, options, words that no finding may carry): variants the engine accepts (or refuses first with other
#: words), values known only at run time, and releases outside a check's ranges
QUIET = [
    # dp-size-zero
    ("0.20.2", "--data-parallel-size 1", "must be in the range [0, 0)"),
    ("0.20.2", "--data-parallel-size $DP", "must be in the range [0, 0)"),
    ("0.20.2", "--data-parallel-size 0 --nnodes 2", "must be in the range [0, 0)"),  # infers a local size: accepted
    ("0.11.0", "--data-parallel-size 0 --distributed-executor-backend external_launcher",
     "must be in the range [0, 0)"),  # its rank comes from $RANK
    ("0.19.1", "--data-parallel-size 0 --enable-elastic-ep", "must be in the range [0, 0)"),  # elastic EP stops first
    ("0.19.1", "--data-parallel-size 0 --data-parallel-backend ray", "must be in the range [0, 0)"),
    ("0.33.0", "--data-parallel-size 0", "must be in the range [0, 0)"),  # the field's ge=1 says it
    ("0.14.0", "--data-parallel-size 0", "must be in the range [0, 0)"),  # not read
    # redundant experts
    ("0.9.2", "--num-redundant-experts 16 --enable-eplb", "should be used with EPLB"),
    ("0.9.2", "--num-redundant-experts $N", "should be used with EPLB"),
    ("0.11.0", "--num-redundant-experts 0 --eplb-config.num_redundant_experts 4", "but EPLB is not enabled"),
    ("0.11.0", "--eplb-config.num_redundant_experts 4 --enable-eplb", "but EPLB is not enabled"),
    ("0.20.2", "--eplb-config.num_redundant_experts 0", "but EPLB is not enabled"),
    ("0.20.2", "--eplb-config '{\"num_redundant_experts\": $N}'", "but EPLB is not enabled"),
    ("0.20.2", "--eplb-config.num_redundant_experts 4 --enable-elastic-ep", "but EPLB is not enabled"),
    ("0.10.0", "--num-redundant-experts 16", "EPLB"),  # not read
    ("0.14.0", "--eplb-config.num_redundant_experts 4", "but EPLB is not enabled"),  # not read
    # SchedulerConfig bounds
    ("0.9.2", "--num-scheduler-steps 1", "num_scheduler_steps ("),
    ("0.9.2", "--num-scheduler-steps $STEPS", "num_scheduler_steps ("),
    ("0.9.2", "--num-scheduler-steps 0 --max-num-batched-tokens 64", "num_scheduler_steps ("),  # not judged
    ("0.10.0", "--num-scheduler-steps 0", "num_scheduler_steps ("),  # not read
    ("0.11.0", "--max-num-partial-prefills 1", "must be greater than or equal to 1"),
    ("0.11.0", "--max-num-partial-prefills $P", "must be greater than or equal to 1"),
    ("0.11.0", "--max-num-partial-prefills 0 --max-num-seqs 8", "max_num_partial_prefills ("),  # not judged
    ("0.11.0", "--max-num-partial-prefills 0 --num-lookahead-slots -1", "max_num_partial_prefills ("),
    ("0.9.2", "--max-num-partial-prefills 0 --num-scheduler-steps 0", "max_num_partial_prefills ("),  # steps first
    ("0.19.1", "--max-num-partial-prefills 0", "max_num_partial_prefills (0) must be"),  # the field's ge=1
    ("0.9.2", "--max-num-partial-prefills 2 --max-long-partial-prefills 3", "max_long_partial_prefills ("),
    ("0.9.2", "--max-long-partial-prefills 1", "max_long_partial_prefills ("),
    ("0.11.0", "--max-long-partial-prefills $L", "max_long_partial_prefills ("),
    ("0.19.1", "--max-long-partial-prefills 2", "max_long_partial_prefills ("),  # concurrent partial prefill first
    ("0.11.0", "--max-num-batched-tokens 256 --max-num-seqs 256 --enable-chunked-prefill", "max_num_seqs ("),
    ("0.11.0", "--max-num-batched-tokens 100 --max-num-seqs 200", "max_num_seqs ("),  # chunked prefill: the model's
    ("0.11.0", "--max-num-batched-tokens 100 --max-num-seqs $SEQS --enable-chunked-prefill", "max_num_seqs ("),
    ("0.14.0", "--max-num-batched-tokens 100 --max-num-seqs 200 --enable-chunked-prefill", "max_num_seqs ("),
    # gpu-memory-utilization-le-1
    ("0.11.0", "--gpu-memory-utilization 1.0", "GPU memory utilization must"),
    ("0.11.0", "--gpu-memory-utilization $UTIL", "GPU memory utilization must"),
    ("0.11.0", "--gpu-memory-utilization 1.5 --cpu-offload-gb -1", "GPU memory utilization must"),  # offload first
    ("0.19.1", "--gpu-memory-utilization 1.5", "GPU memory utilization must"),  # the field's le=1
    # guided decoding
    ("0.9.2", "--guided-decoding-disable-any-whitespace --guided-decoding-backend xgrammar", "disable_any_whitespace"),
    ("0.9.2", "--guided-decoding-disable-any-whitespace", "disable_any_whitespace"),  # VLLM_USE_V1=0: xgrammar
    ("0.9.2", "--guided-decoding-disable-any-whitespace --guided-decoding-backend $B", "disable_any_whitespace"),
    ("0.9.2", "--guided-decoding-disable-additional-properties --guided-decoding-backend guidance",
     "disable_additional_properties"),
    ("0.11.0", "--guided-decoding-disable-additional-properties true", "disable_additional_properties"),  # unchecked
    # prompt adapters
    ("0.9.2", "--enable-prompt-adapter --max-prompt-adapter-token 8", "max_prompt_adapter"),
    ("0.9.2", "--enable-prompt-adapter --max-prompt-adapter-token $T", "max_prompt_adapter_token"),
    ("0.9.2", "--max-prompt-adapters 0", "max_prompt_adapters ("),
    ("0.10.0", "--enable-prompt-adapter", "max_prompt_adapter"),  # not read
    # elastic-ep-needs-eplb
    ("0.20.2", "--enable-elastic-ep --enable-eplb", "Elastic EP is only supported"),
    ("0.18.0", "--enable-elastic-ep", "Elastic EP is only supported"),  # not read
    # config-format-known
    ("0.20.2", "--config-format mistral", "Unknown config format"),
    ("0.20.2", "--config-format auto", "Unknown config format"),
    ("0.33.0", "--config-format $FORMAT", "Unknown config format"),
    ("0.10.2", "--config-format gguf", "Unknown config format"),  # not read
    # nnodes-divide-world-size-*
    ("0.20.2", "--nnodes 2 -tp 4", "must be divisible by nnodes"),
    ("0.20.2", "--nnodes 2 --data-parallel-size 4", "must be divisible by nnodes"),
    ("0.20.2", "--nnodes $NODES", "must be divisible by nnodes"),
    ("0.19.1", "--nnodes 2 --data-parallel-backend ray", "must be divisible by nnodes"),  # the backend check first
    ("0.20.2", "--nnodes 4 -tp 2 -pp 2", "must be divisible by nnodes"),
    ("0.33.0", "--nnodes 2 -tp 8", "must evenly divide the total world size"),
    ("0.33.0", "--nnodes 2 --data-parallel-size 2 --data-parallel-multi-port-external-lb",
     "must evenly divide the total world size"),  # its supervisor's own checks
    ("0.18.0", "--nnodes 4", "must be divisible by nnodes"),  # not read
    # offload-*-num-in-group
    ("0.20.2", "--offload-backend prefetch --offload-group-size 4", "offload_num_in_group ("),
    ("0.20.2", "--offload-group-size 2 --offload-num-in-group 2", "offload_num_in_group ("),
    ("0.20.2", "--offload-backend prefetch --offload-group-size $G", "offload_num_in_group ("),
    ("0.20.2", "--offload-backend uva", "offload_num_in_group ("),
    ("0.18.0", "--offload-backend prefetch", "offload_num_in_group ("),  # not read
    # Mamba options
    ("0.20.2", "--mamba-backend FlashInfer", "Unknown Mamba SSU backend"),
    ("0.33.0", "--mamba-backend cpu", "Unknown Mamba SSU backend"),
    ("0.33.0", "--mamba-backend $MB", "Unknown Mamba SSU backend"),
    ("0.21.0", "--mamba-backend auto", "Unknown Mamba SSU backend"),  # not read
    ("0.33.0", "--mamba-ssu-algorithm vertical --mamba-backend flashinfer", "Mamba SSU algorithm selection"),
    ("0.33.0", "--mamba-ssu-algorithm vertical --mamba-backend foo", "Mamba SSU algorithm selection"),  # lookup first
    ("0.32.0", "--mamba-ssu-algorithm vertical", "Mamba SSU algorithm selection"),  # not read
    ("0.33.0", "--enable-mamba-cache-stochastic-rounding --mamba-ssm-cache-dtype float16", "Stochastic rounding"),
    ("0.33.0", "--enable-mamba-cache-stochastic-rounding", "Stochastic rounding"),  # "auto": the model's hook decides
    ("0.33.0", "--enable-mamba-cache-stochastic-rounding --mamba-ssm-cache-dtype $DT", "Stochastic rounding"),
    ("0.21.0", "--enable-mamba-cache-stochastic-rounding --mamba-ssm-cache-dtype float32", "Stochastic rounding"),
    # 0.33.0 checks
    ("0.33.0", "--enable-fault-tolerance --data-parallel-external-lb", "Fault tolerance requires"),
    ("0.33.0", "--enable-fault-tolerance --data-parallel-size 2 --data-parallel-rank 1", "Fault tolerance requires"),
    ("0.33.0", "--enable-fault-tolerance --nnodes 2", "Fault tolerance requires"),  # the world-size check first
    ("0.32.0", "--enable-fault-tolerance", "Fault tolerance requires"),  # not read
    ("0.33.0", "--per-request-spec-decode-metrics none", "--per-request-spec-decode-metrics requires"),
    ("0.33.0", "--per-request-spec-decode-metrics detailed --spec-method ngram --spec-tokens 2",
     "--per-request-spec-decode-metrics requires"),
    ("0.33.0", "--per-request-spec-decode-metrics summary --speculative-config "
     "'{\"method\": \"ngram\", \"num_speculative_tokens\": 2, \"prompt_lookup_max\": 3}'",
     "--per-request-spec-decode-metrics requires"),
    ("0.33.0", "--per-request-spec-decode-metrics $M", "--per-request-spec-decode-metrics requires"),
    ("0.32.0", "--per-request-spec-decode-metrics summary", "--per-request-spec-decode-metrics requires"),  # not read
    ("0.33.0", "--kv-transfer-config '{\"kv_connector\": \"NixlConnector\", \"kv_role\": \"kv_both\"}'",
     "Connector name is not set"),
    ("0.33.0", "--kv-transfer-config '{}' --disable-hybrid-kv-cache-manager", "Connector name is not set"),
    ("0.33.0", "--kv-transfer-config '{}' --kv-offloading-size 4", "Connector name is not set"),
    ("0.33.0", "--kv-transfer-config $KVT", "Connector name is not set"),
    ("0.20.2", "--kv-transfer-config '{}'", "Connector name is not set"),  # 0.20.2 accepts it
]


@pytest.mark.parametrize("release, args, words, source", FIRES)
def test_bounds_check_fires(tmp_path, release, args, words, source):
    assert_engine_check_fires(tmp_path, release, args, words, source)


@pytest.mark.parametrize("release, args, words", QUIET)
def test_bounds_check_stays_quiet(tmp_path, release, args, words):
    assert engine_findings_with(tmp_path, release, args, words) == []


def _failing_ids(release: str, values: dict, prefix: str) -> list[str]:
    def value_of(dest):
        return True, values.get(dest)

    return [c["id"] for c in engine_checks.failing(release, value_of) if c["id"].startswith(prefix)]


@pytest.mark.parametrize("release", ["0.20.2", "0.33.0"])
def test_nnodes_checks_judge_a_world_of_one_size(release):
    """At most one of the --nnodes checks fires, and one fires exactly when the world (the product of the sizes that
    the release multiplies) does not divide by --nnodes and at most one size differs from 1."""
    sizes = ["tensor_parallel_size", "pipeline_parallel_size", "data_parallel_size", "prefill_context_parallel_size"]
    counted = sizes if release == "0.33.0" else sizes[:3]
    for values in itertools.product([1, 2, 3, 4], repeat=4):
        for nnodes in (1, 2, 3, 4):
            launch = dict(zip(sizes, values, strict=True), nnodes=nnodes, data_parallel_backend="mp")
            ids = _failing_ids(release, launch, "nnodes-divide-world-size")
            world = 1
            for name in counted:
                world *= launch[name]
            one_size = sum(launch[name] != 1 for name in counted) <= 1
            assert len(ids) == (1 if world % nnodes and one_size else 0), (launch, ids)


def test_offload_checks_do_not_overlap():
    for backend, group, in_group in itertools.product(["auto", "prefetch", "uva"], [0, 1, 2, 4], [1, 2, 3, 5]):
        launch = {"offload_backend": backend, "offload_group_size": group, "offload_num_in_group": in_group}
        ids = _failing_ids("0.20.2", launch, "offload-")
        refused = (backend == "prefetch" or group > 0) and in_group > group
        assert len(ids) == (1 if refused else 0), (launch, ids)
