"""The parallel / distributed family of the engine checks (``knowledge/vllm/engine_checks.yaml``): data-parallel
sizes, ranks and load-balancing modes, the data-parallel backend, Ray nsight profiling, the DCP comm backend, NUMA
binding and microbatching. Each fires as VLL209 on a launch that the release's engine refuses, with vLLM's message
and source line, and stays quiet on the variants it accepts, on values known only at run time and on releases outside
its ranges."""
from __future__ import annotations

import pytest
from conftest import assert_engine_check_fires, engine_findings_with

from vllm_lint.vllm import engine_checks

PC = "ValidationError: 1 validation error for ParallelConfig\n  Value error, "
VC = "ValidationError: 1 validation error for VllmConfig\n  Assertion failed, "
UBATCH_0_20 = ("Microbatching currently only supports the deepep_low_latency and deepep_high_throughput all2all "
               "backend. {} is not supported. To fix use --all2all-backend=deepep_low_latency or "
               "--all2all-backend=deepep_high_throughput and install the DeepEP kernels.")
UBATCH_0_33 = ("Microbatching currently only supports the deepep_low_latency, deepep_high_throughput, nixl_ep "
               "all2all backends on this platform. {} is not supported. To fix use one of "
               "--all2all-backend=deepep_low_latency, --all2all-backend=deepep_high_throughput, "
               "--all2all-backend=nixl_ep and install the matching kernels.")

#: (release, options, words of the finding, source as the finding names it)
FIRES = [
    # dp-size-local-le-dp-size
    ("0.9.2", "--data-parallel-size 2 --data-parallel-size-local 4",
     PC + "data_parallel_size_local (4) must be <= data_parallel_size (2)", "vllm/config.py:1960 in 0.9.2"),
    ("0.11.0", "--data-parallel-size 2 --data-parallel-size-local 4",
     PC + "data_parallel_size_local (4) must be <= data_parallel_size (2)", "vllm/config/parallel.py:383 in 0.11.0"),
    ("0.20.2", "--data-parallel-size-local 2",
     PC + "data_parallel_size_local (2) must be <= data_parallel_size (1)", "vllm/config/parallel.py:426 in 0.20.2"),
    ("0.33.0", "--data-parallel-size 4 --data-parallel-size-local 8",
     PC + "data_parallel_size_local (8) must be <= data_parallel_size (4)", "vllm/config/parallel.py:545 in 0.33.0"),
    # dp-rank-below-dp-size
    ("0.9.2", "--data-parallel-size 4 --data-parallel-rank 4",
     PC + "data_parallel_rank (4) must be in the range [0, 4)", "vllm/config.py:1969 in 0.9.2"),
    ("0.20.2", "--data-parallel-size 2 --data-parallel-rank 2 --data-parallel-size-local 1",
     PC + "data_parallel_rank (2) must be in the range [0, 2)", "vllm/config/parallel.py:769 in 0.20.2"),
    ("0.33.0", "--data-parallel-size 2 --data-parallel-rank 3",
     PC + "data_parallel_rank (3) must be in the range [0, 2)", "vllm/config/parallel.py:1017 in 0.33.0"),
    # dp-external-lb-needs-dp: --data-parallel-rank turns external load balancing on
    ("0.11.0", "--data-parallel-rank 0",
     PC + "data_parallel_external_lb can only be set when data_parallel_size > 1",
     "vllm/config/parallel.py:414 in 0.11.0"),
    ("0.33.0", "--data-parallel-size 1 --data-parallel-rank 1 --data-parallel-external-lb",
     PC + "data_parallel_external_lb can only be set when data_parallel_size > 1",
     "vllm/config/parallel.py:551 in 0.33.0"),
    # dp-hybrid-lb-needs-size-local
    ("0.11.0", "--data-parallel-size 4 --data-parallel-hybrid-lb",
     "AssertionError: data_parallel_size_local must be set to use data_parallel_hybrid_lb.",
     "vllm/engine/arg_utils.py:1259 in 0.11.0"),
    ("0.20.2", "--data-parallel-size 4 --data-parallel-hybrid-lb",
     "AssertionError: data_parallel_size_local must be set to use data_parallel_hybrid_lb.",
     "vllm/engine/arg_utils.py:1812 in 0.20.2"),
    ("0.33.0", "--data-parallel-size 4 --data-parallel-hybrid-lb --api-server-count 2",
     ("ValueError: Invalid data-parallel launch options: `--data-parallel-hybrid-lb` requires "
      "`--data-parallel-size-local`. Set it to the number of data-parallel ranks on this node."),
     "vllm/engine/arg_utils.py:2519 in 0.33.0"),
    # dp-external-lb-needs-rank
    ("0.19.1", "--data-parallel-size 2 --data-parallel-external-lb",
     "AssertionError: data_parallel_rank or node_rank must be specified if data_parallel_external_lb is enable.",
     "vllm/engine/arg_utils.py:1670 in 0.19.1"),
    ("0.33.0", "--data-parallel-external-lb",
     ("ValueError: Invalid data-parallel launch options: `--data-parallel-external-lb` requires a data-parallel "
      "rank. Set `--data-parallel-rank`, or set `--data-parallel-size` greater than 1 and use `--nnodes` with "
      "`--node-rank` so the rank can be inferred."), "vllm/engine/arg_utils.py:2468 in 0.33.0"),
    # dp-backend-ray-or-mp: an assert whose message is a tuple
    ("0.9.2", "--data-parallel-backend nccl",
     "AssertionError: ('data_parallel_backend can only be ray or mp, got %s', 'nccl')",
     "vllm/engine/arg_utils.py:1152 in 0.9.2"),
    ("0.11.0", "--data-parallel-size 2 --data-parallel-backend multiprocessing",
     "AssertionError: ('data_parallel_backend can only be ray or mp, got %s', 'multiprocessing')",
     "vllm/engine/arg_utils.py:1276 in 0.11.0"),
    ("0.20.2", "--data-parallel-backend nccl",
     "AssertionError: ('data_parallel_backend can only be ray or mp, got %s', 'nccl')",
     "vllm/engine/arg_utils.py:1836 in 0.20.2"),
    # ray-nsight-needs-ray-executor
    ("0.9.2", "--ray-workers-use-nsight --distributed-executor-backend mp",
     PC + "Unable to use nsight profiling unless workers run with Ray.", "vllm/config.py:2074 in 0.9.2"),
    ("0.19.1", "-tp 2 --ray-workers-use-nsight --distributed-executor-backend mp",
     PC + "Unable to use nsight profiling unless workers run with Ray.", "vllm/config/parallel.py:820 in 0.19.1"),
    # ray-nsight-needs-ray-executor-one-gpu: no backend given, one GPU: vLLM picks "uni"
    ("0.11.0", "--ray-workers-use-nsight --data-parallel-size 2",  # 0.11.0 picks it over tp * pp
     PC + "Unable to use nsight profiling unless workers run with Ray.", "vllm/config/parallel.py:520 in 0.11.0"),
    ("0.33.0", "--ray-workers-use-nsight",
     PC + "Unable to use nsight profiling unless workers run with Ray.", "vllm/config/parallel.py:1173 in 0.33.0"),
    # dcp-a2a-needs-dcp
    ("0.19.1", "--dcp-comm-backend a2a",
     PC + "dcp_comm_backend='a2a' requires decode_context_parallel_size > 1.", "vllm/config/parallel.py:397 in 0.19.1"),
    ("0.20.2", "-tp 4 --decode-context-parallel-size 1 --dcp-comm-backend a2a",
     PC + "dcp_comm_backend='a2a' requires decode_context_parallel_size > 1.", "vllm/config/parallel.py:478 in 0.20.2"),
    # numa-bind-nodes-need-numa-bind / numa-bind-cpus-need-numa-bind
    ("0.20.2", "--numa-bind-nodes 0 1",
     PC + "numa_bind_nodes and numa_bind_cpus require numa_bind=True.", "vllm/config/parallel.py:437 in 0.20.2"),
    ("0.33.0", "--numa-bind-cpus 0-15",
     PC + "numa_bind_nodes and numa_bind_cpus require numa_bind=True.", "vllm/config/parallel.py:556 in 0.33.0"),
    # ubatch-size-needs-deepep-all2all
    ("0.20.2", "--ubatch-size 2", VC + UBATCH_0_20.format("allgather_reducescatter"),
     "vllm/config/vllm.py:1227 in 0.20.2"),
    ("0.19.1", "--ubatch-size 2 --all2all-backend flashinfer_all2allv --enable-dbo",
     VC + UBATCH_0_20.format("flashinfer_all2allv"), "vllm/config/vllm.py:1169 in 0.19.1"),
    ("0.33.0", "--ubatch-size 4 --all2all-backend flashinfer_all2allv", VC + UBATCH_0_33.format("flashinfer_all2allv"),
     "vllm/config/vllm.py:2198 in 0.33.0"),
]

#: (release, options, words that no finding may carry): variants the engine accepts, values known only at run time,
#: releases outside a check's ranges, and launches another check (or another message of vLLM's) covers
QUIET = [
    ("0.20.2", "--data-parallel-size 4 --data-parallel-size-local 2", "must be <= data_parallel_size"),
    ("0.20.2", "--data-parallel-size $DP --data-parallel-size-local 4", "must be <= data_parallel_size"),
    ("0.14.0", "--data-parallel-size 2 --data-parallel-size-local 4", "must be <= data_parallel_size"),  # not read
    ("0.33.0", "--data-parallel-size 2 --data-parallel-size-local 4 --data-parallel-multi-port-external-lb",
     "must be <= data_parallel_size"),  # the supervisor's own check and message
    ("0.20.2", "--data-parallel-size 2 --data-parallel-rank 1", "must be in the range"),
    ("0.20.2", "--data-parallel-size 2 --data-parallel-rank $RANK", "must be in the range"),
    ("0.11.0", "--data-parallel-size 2 --data-parallel-rank 2 --distributed-executor-backend external_launcher",
     "must be in the range"),  # the rank comes from $RANK
    ("0.20.2", "--data-parallel-size 4 --data-parallel-rank 4 --nnodes 2 --node-rank 1", "must be in the range"),
    ("0.20.2", "--data-parallel-size 2 --data-parallel-rank 0", "data_parallel_external_lb can only be set"),
    ("0.11.0", "--data-parallel-size $DP --data-parallel-rank 0", "data_parallel_external_lb can only be set"),
    ("0.20.2", "--data-parallel-external-lb", "data_parallel_external_lb can only be set"),  # needs-rank first
    ("0.20.2", "--data-parallel-size 4 --data-parallel-size-local 2 --data-parallel-hybrid-lb",
     "use data_parallel_hybrid_lb"),
    ("0.20.2", "--data-parallel-size 4 --data-parallel-hybrid-lb --headless", "use data_parallel_hybrid_lb"),
    ("0.20.2", "--data-parallel-size 4 --data-parallel-hybrid-lb --nnodes 2", "use data_parallel_hybrid_lb"),
    ("0.9.2", "--data-parallel-size 4", "use data_parallel_hybrid_lb"),
    ("0.19.1", "--data-parallel-size 2 --data-parallel-external-lb --data-parallel-rank 1",
     "must be specified if data_parallel_external_lb"),
    ("0.19.1", "--data-parallel-size 2 --data-parallel-external-lb --nnodes 2 --node-rank 1",
     "must be specified if data_parallel_external_lb"),  # the rank is inferred from the node rank
    ("0.33.0", "--data-parallel-size 2 --data-parallel-external-lb --nnodes $N", "requires a data-parallel rank"),
    ("0.11.0", "--data-parallel-backend ray", "data_parallel_backend can only be"),
    ("0.11.0", "--data-parallel-backend nccl --data-parallel-address 10.0.0.1", "data_parallel_backend can only be"),
    ("0.20.2", "--data-parallel-backend $DPB", "data_parallel_backend can only be"),
    ("0.19.1", "--ray-workers-use-nsight --distributed-executor-backend ray", "nsight profiling"),
    ("0.19.1", "--distributed-executor-backend mp", "nsight profiling"),
    ("0.20.2", "--ray-workers-use-nsight -tp 2", "nsight profiling"),  # vLLM may pick ray
    ("0.20.2", "--ray-workers-use-nsight --data-parallel-size 2 --data-parallel-backend ray", "nsight profiling"),
    ("0.33.0", "--ray-workers-use-nsight --distributed-executor-backend $BACKEND", "nsight profiling"),
    ("0.20.2", "-tp 4 --decode-context-parallel-size 2 --dcp-comm-backend a2a", "requires decode_context_parallel"),
    ("0.20.2", "--decode-context-parallel-size $DCP --dcp-comm-backend a2a", "requires decode_context_parallel"),
    ("0.33.0", "--dcp-comm-backend a2a", "requires decode_context_parallel"),  # no longer checked
    ("0.20.2", "--numa-bind --numa-bind-nodes 0 1", "require numa_bind=True"),
    ("0.33.0", "--numa-bind --numa-bind-cpus 0-15", "require numa_bind=True"),
    ("0.20.2", "--numa-bind-nodes $NODES", "require numa_bind=True"),
    ("0.20.2", "--ubatch-size 2 --all2all-backend deepep_low_latency", "Microbatching"),
    ("0.20.2", "--enable-dbo", "Microbatching"),  # the CPU platform turns DBO off: not judged
    ("0.19.1", "--ubatch-size 2 --all2all-backend pplx", "Microbatching"),  # vLLM would name allgather_reducescatter
    ("0.19.1", "--ubatch-size 1", "Microbatching"),
    ("0.20.2", "--ubatch-size $UB", "Microbatching"),
    ("0.33.0", "--ubatch-size 2", "Microbatching"),  # allgather_reducescatter: refused on CUDA only
    ("0.33.0", "--ubatch-size 2 --all2all-backend nixl_ep", "Microbatching"),
    ("0.11.0", "--enable-dbo", "Microbatching"),  # 0.11.0 reads VLLM_ALL2ALL_BACKEND, not an option
]


@pytest.mark.parametrize("release, args, words, source", FIRES)
def test_parallel_check_fires(tmp_path, release, args, words, source):
    assert_engine_check_fires(tmp_path, release, args, words, source)


@pytest.mark.parametrize("release, args, words", QUIET)
def test_parallel_check_stays_quiet(tmp_path, release, args, words):
    assert engine_findings_with(tmp_path, release, args, words) == []


def test_nsight_checks_do_not_overlap():
    def value_of(dest):
        return True, {"ray_workers_use_nsight": True, "distributed_executor_backend": "uni",
                      "tensor_parallel_size": 1, "pipeline_parallel_size": 1, "prefill_context_parallel_size": 1,
                      "data_parallel_size": 1}.get(dest)

    assert [c["id"] for c in engine_checks.failing("0.20.2", value_of)
            if "nsight" in c["id"]] == ["ray-nsight-needs-ray-executor"]
