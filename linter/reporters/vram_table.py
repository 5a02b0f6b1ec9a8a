"""VRAM feasibility: one row per launch, as text, markdown (a PR comment) or JSON.

Rows come from :class:`~vllm_lint.memory.feasibility.Feasibility`; a launch without an estimate says why.
"""
from __future__ import annotations

from vllm_lint.memory.text import GiB, model_label


def verdict(est) -> str:
    if not est.weights_fit:
        return "weights do not fit"
    if est.max_concurrency < 1:
        return "KV cache too small"
    return "fits"


def row(f) -> dict:
    """The JSON form of one launch's feasibility."""
    d = f.deployment
    out = {"file": d.path, "name": d.name, "line": d.span.line, "model": d.model}
    if f.estimate is None:
        return {**out, "fits": None, "skipped": f.reason}
    est = f.estimate
    return {**out, **est.as_dict(), "verdict": verdict(est)}


def _gpus(est) -> str:
    names = [g.gpu.name.replace("NVIDIA ", "").replace("GeForce ", "") for g in est.gpus]
    first = names[0]
    return f"{len(names)}× {first}" if all(n == first for n in names) else ", ".join(names)


def markdown_table(feasibilities) -> list[str]:
    lines = ["| launch | model | GPUs | weights / GPU | KV cache / GPU | KV tokens | max-model-len | concurrency | verdict |",
             "|---|---|---|--:|--:|--:|--:|--:|---|"]
    notes = []
    for f in feasibilities:
        d = f.deployment
        where = f"`{d.path}:{d.span.line}` {d.name}"
        if f.estimate is None:
            notes.append(f"- {where}: no estimate ({f.reason})")
            continue
        est = f.estimate
        worst = min(est.gpus, key=lambda g: g.kv_cache.bytes)
        mark = {"fits": "✅ fits", "KV cache too small": "❌ KV cache too small",
                "weights do not fit": "❌ weights do not fit"}[verdict(est)]
        lines.append(f"| {where} | `{model_label(est)}` | {_gpus(est)} | {worst.weights.bytes / GiB:.2f} GiB | "
                     f"{worst.kv_cache.bytes / GiB:.2f} GiB | {est.kv_cache_tokens:,} | {est.max_model_len:,} | "
                     f"{est.max_concurrency:.2f}x | {mark} (up to {est.max_model_len_that_fits:,}) |")
    if len(lines) == 2:
        lines = []
    return lines + ([""] + notes if notes and lines else notes)


def text_table(feasibilities) -> str:
    out = []
    for f in feasibilities:
        d = f.deployment
        head = f"{d.path}:{d.span.line}: {d.name}"
        if f.estimate is None:
            out.append(f"{head}: no estimate ({f.reason})")
            continue
        out.append(text_estimate(f.estimate, head))
    return "\n\n".join(out) + ("\n" if out else "")


def text_estimate(est, head: str = "") -> str:
    lines = [f"{head + ': ' if head else ''}{model_label(est)} on {_gpus(est)} (vLLM {est.version}, tensor parallel "
             f"{est.launch.tensor_parallel}, pipeline parallel {est.launch.pipeline_parallel})"]
    lines.append(f"  {'GPU':<14}{'budget':>9}{'weights':>9}{'activ.':>9}{'graphs':>9}{'other':>9}{'KV cache':>10}{'total':>9}")
    for i, g in enumerate(est.gpus):
        dev = g.device if g.device is not None else str(i)
        lines.append(f"  {dev + ' ' + g.gpu.id:<14}{g.budget.gib:>9.2f}{g.weights.gib:>9.2f}{g.activation.gib:>9.2f}"
                     f"{g.cuda_graph.gib:>9.2f}{g.other.gib:>9.2f}{g.kv_cache.gib:>10.2f}{g.total / GiB:>9.2f}  GiB")
    g = est.gpus[0]
    lines.append(f"  weights: {g.weights.basis} ({g.weights.note}); activations, graphs, other: rule of thumb; "
                 f"uncertainty on the KV cache ±{est.uncertainty:.0%}")
    lines.append(f"  CUDA graphs: {g.cuda_graph.note}; KV cache {est.num_blocks:,} blocks of {est.block_size} tokens, "
                 f"{est.kv_bytes_per_request / GiB:.2f} GiB per {est.max_model_len:,}-token request ({g.kv_cache.note})")
    lines.append(f"  KV cache: {est.kv_cache_tokens:,} tokens; maximum concurrency for {est.max_model_len:,} tokens per "
                 f"request: {est.max_concurrency:.2f}x")
    fit = verdict(est)
    lines.append(f"  verdict: {fit}; largest --max-model-len that fits: {est.max_model_len_that_fits:,}; "
                 + (f"--gpu-memory-utilization needed: {est.gpu_memory_utilization_needed}" if est.gpu_memory_utilization_needed
                    else "no --gpu-memory-utilization is enough"))
    for note in est.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)
