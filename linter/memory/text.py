"""Memory text: how the VRAM rules, ``vllm-lint vram`` and the report write sizes and breakdowns."""
from __future__ import annotations

GiB = 1024**3


def gib(value: float) -> str:
    return f"{value / GiB:.2f} GiB"


def breakdown(g) -> str:
    """One GPU's budget as a sentence: where the memory goes, with each figure's basis."""
    parts = [f"weights {gib(g.weights.bytes)} ({g.weights.basis})",
             f"profile-run activations {gib(g.activation.bytes)}",
             f"non-torch {gib(g.other.bytes)}"]
    if g.graphs_in_budget and g.cuda_graph.bytes:
        parts.append(f"CUDA graphs {gib(g.cuda_graph.bytes)}")
    where = f"GPU {g.device} " if g.device is not None else ""
    return f"{where}{g.gpu.name}: budget {gib(g.budget.bytes)} ({g.budget.note}) − " + " − ".join(parts) + \
        f" = {gib(g.budget.bytes - g.fixed)} for the KV cache"


def model_label(est) -> str:
    """The model an estimate is of, saying so when a base model's shapes stood in for its own."""
    if not est.stand_in:
        return est.model
    return f"{est.model} (estimated from {est.stand_in}'s shapes: its own metadata is not available)"
