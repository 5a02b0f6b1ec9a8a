"""Calibration: replay a real vLLM start-up (a case of tests/data/calibration.yaml) through the
estimator and compare with what vLLM printed. Used by the calibration tests and bench/calibration.py."""
from __future__ import annotations

from dataclasses import dataclass, field

from vllm_lint.hardware.gpu import find_gpu
from vllm_lint.memory.estimate import GiB, estimate
from vllm_lint.memory.inputs import Launch
from vllm_lint.models.snapshot import load_snapshot


@dataclass
class Outcome:
    case: dict
    estimated: dict[str, float] = field(default_factory=dict)  # figure -> value (GiB, or tokens)
    printed: dict[str, float] = field(default_factory=dict)
    skipped: str | None = None
    info: dict[str, tuple[float, float]] = field(default_factory=dict)  # figure -> (printed, estimated), unchecked
    estimate: object | None = None

    @property
    def errors(self) -> dict[str, float]:
        """figure -> relative error of the estimate (estimated / printed - 1)."""
        return {k: self.estimated[k] / self.printed[k] - 1 for k in self.printed if k in self.estimated and self.printed[k]}


def launch_of(case: dict) -> Launch:
    args = case.get("args") or {}
    launch = Launch(tensor_parallel=int(case.get("tensor_parallel_size") or 1),
                    pipeline_parallel=int(case.get("pipeline_parallel_size") or 1))
    if args.get("max-model-len"):
        launch.max_model_len = int(args["max-model-len"])
    if args.get("gpu-memory-utilization"):
        launch.gpu_memory_utilization = float(args["gpu-memory-utilization"])
    launch.kv_cache_dtype = str(args.get("kv-cache-dtype") or "auto")
    launch.dtype = str(args.get("dtype") or "auto")
    launch.quantization = args.get("quantization")
    if args.get("max-num-seqs"):
        launch.max_num_seqs = int(args["max-num-seqs"])
    if args.get("max-num-batched-tokens"):
        launch.max_num_batched_tokens = int(args["max-num-batched-tokens"])
    launch.enforce_eager = bool(args.get("enforce-eager"))
    if args.get("block-size"):
        launch.block_size = int(args["block-size"])
    launch.language_model_only = bool(args.get("language-model-only"))
    launch.hf_overrides = args.get("hf-overrides")
    launch.speculative = args.get("speculative-config")
    if args.get("enable-lora"):
        launch.enable_lora = True
        launch.max_loras = int(args.get("max-loras") or 1)
        launch.max_lora_rank = int(args.get("max-lora-rank") or 16)
    launch.data_parallel = int(args.get("data-parallel-size") or 1)
    launch.expert_parallel = bool(args.get("enable-expert-parallel"))
    return launch


def replay(case: dict) -> Outcome:
    out = Outcome(case)
    shapes = case.get("shapes_from") or case["model"]  # a checkpoint with the same config.json shapes
    meta = load_snapshot(shapes)
    if meta is None:
        out.skipped = f"no metadata for {shapes} in knowledge/models"
        return out
    gpu = find_gpu(str(case.get("gpu", "")))
    if gpu is None:
        out.skipped = f"GPU {case.get('gpu')!r} is not in knowledge/gpus.yaml"
        return out
    if case.get("gpu_memory_mib") or case.get("gpu_total_bytes"):  # the total the log printed, when it differs
        from dataclasses import replace

        total = int(case["gpu_total_bytes"]) / 1024**3 if case.get("gpu_total_bytes") else int(case["gpu_memory_mib"]) / 1024
        gpu = replace(gpu, cuda_total_gib=total)
    launch = launch_of(case)
    workers = launch.tensor_parallel * launch.pipeline_parallel
    est = estimate(meta, launch, [(None, gpu)] * workers, str(case["vllm"]))
    g = est.gpus[0]
    figures = case.get("figures") or {}
    if figures.get("weights_gib"):
        out.printed["weights"] = float(figures["weights_gib"])
        out.estimated["weights"] = g.weights.bytes / GiB
    if figures.get("available_kv_gib"):
        out.printed["kv_cache"] = float(figures["available_kv_gib"])
        out.estimated["kv_cache"] = min(x.kv_cache.bytes for x in est.gpus) / GiB
    if figures.get("kv_cache_tokens"):
        out.printed["kv_tokens"] = float(figures["kv_cache_tokens"])
        out.estimated["kv_tokens"] = float(est.kv_cache_tokens)
    if figures.get("max_concurrency"):
        out.printed["concurrency"] = float(figures["max_concurrency"])
        out.estimated["concurrency"] = est.max_concurrency
    for key, name in (("peak_activation_gib", "activation"), ("cuda_graph_estimate_gib", "cuda_graph")):
        if figures.get(key) is not None:  # shown by bench/calibration.py, not checked against a target
            out.info[name] = (float(figures[key]), getattr(g, name).bytes / GiB)
    out.estimate = est
    return out
