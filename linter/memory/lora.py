"""LoRA adapter slots (``--enable-lora``): what vLLM allocates on each GPU before any adapter is loaded.

vLLM wraps every linear layer of the model (``get_supported_lora_modules``: every LinearBase, FusedMoE from 0.11.1,
and the ``embedding_modules`` embed_tokens / lm_head) and gives each ``max_loras`` slots of ``max_lora_rank``
(``lora/layers/base_linear.py`` create_lora_weights, 0.20.2): per slice, lora_a [max_loras, rank, input] and
lora_b [max_loras, output, rank], in the model's dtype (``--lora-dtype auto``). Column-parallel layers shard
lora_b's output over tensor parallel, row-parallel ones lora_a's input; the embedding keeps lora_a over the whole
vocabulary; FusedMoE's w13 / w2 slots are per local expert (``lora/layers/fused_moe.py``). All of it is allocated
while the model loads, so it is part of "Model loading took". ``--max-cpu-loras`` adapters wait in CPU memory.
CUDA graphs are captured twice, without and with LoRA (cudagraph_dispatcher.py _get_lora_cases).
Checked on vLLM 0.20.2 start-ups on an H200 (Qwen3-8B with 4 × rank 64 and 2 × rank 16: 16.72 and 15.45 GiB
printed, 16.71 and 15.44 estimated).
"""
from __future__ import annotations

from packaging.version import Version

from vllm_lint.memory.shapes import Layer, Shapes


def _linears(s: Shapes, layer: Layer) -> list[tuple[int, list[int], str]]:
    """(input size, output size of each slice, "column" | "row" | "replicated") of each linear layer."""
    h = s.hidden
    out: list[tuple[int, list[int], str]] = []
    if layer.attention == "mla":
        q_in = s.q_lora_rank or h
        if s.q_lora_rank:
            out.append((h, [s.q_lora_rank, s.kv_lora_rank + s.rope_head_dim], "replicated"))
        else:
            out.append((h, [s.kv_lora_rank + s.rope_head_dim], "replicated"))
        out.append((q_in, [s.heads * (s.nope_head_dim + s.rope_head_dim)], "column"))
        out.append((s.kv_lora_rank, [s.heads * (s.nope_head_dim + s.v_head_dim)], "column"))
        out.append((s.heads * s.v_head_dim, [h], "row"))
    elif layer.attention:
        heads, hd, kv = layer.heads or s.heads, layer.head_dim or s.head_dim, layer.kv_heads or s.kv_heads
        q = heads * hd * (2 if layer.gated_q else 1)
        out.append((h, [q, kv * hd] + ([] if layer.k_eq_v else [kv * hd]), "column"))
        out.append((heads * hd, [h], "row"))
    st = s.state
    if layer.state == "gdn":
        key, value = st["k_heads"] * st["k_dim"], st["v_heads"] * st["v_dim"]
        out += [(h, [key, key, value, value], "column"), (h, [st["v_heads"], st["v_heads"]], "column"),
                (value, [h], "row")]
    elif layer.state == "mamba2":
        inner = st["inter"]
        out += [(h, [2 * inner + 2 * st["groups"] * st["state"] + st["heads"]], "column"), (inner, [h], "row")]
    elif layer.state in ("mamba1", "kda"):
        inner = st.get("inter") or st["heads"] * st["head_dim"]
        out += [(h, [2 * inner], "column"), (inner, [h], "row")]
    inter = layer.intermediate or s.intermediate
    if layer.mlp in ("dense", "dense+moe"):
        gate = [inter, inter] if s.gated_mlp else [inter]
        out += [(h, gate, "column"), (inter, [h], "row")]
    if layer.mlp in ("moe", "dense+moe") and s.shared_intermediate:
        out += [(h, [s.shared_intermediate] * 2, "column"), (s.shared_intermediate, [h], "row")]
    return out


def lora_bytes(s: Shapes, layers: range, *, rank: int, slots: int, dtype_bytes: int, tp: int, dp: int, ep: bool,
               first: bool, last: bool, version: str) -> float:
    """LoRA slot memory on one GPU of the pipeline stage holding ``layers``."""
    elements = 0.0
    for i in layers:
        layer = s.layer_list[i]
        for n_in, outs, kind in _linears(s, layer):
            for n_out in outs:
                a_in = n_in / tp if kind == "row" else n_in
                b_out = n_out / tp if kind == "column" else n_out
                elements += rank * (a_in + b_out)
        if layer.mlp in ("moe", "dense+moe") and Version(version) >= Version("0.11.1"):
            # FusedMoEParallelConfig: experts split over TP × DP with expert parallel, their width without
            local = s.experts / (tp * dp) if ep else s.experts
            inter = s.moe_intermediate if ep else s.moe_intermediate / (tp * dp)
            w13 = 2 if s.gated_mlp else 1
            elements += local * rank * (w13 * (s.hidden + inter) + inter + s.hidden)
    if first:  # VocabParallelEmbeddingWithLoRA: lora_a over the whole vocabulary
        elements += s.vocab * rank + s.hidden * rank
    if last:  # LogitsProcessorWithLoRA
        elements += rank * s.hidden + s.vocab / tp * rank
    return elements * slots * dtype_bytes
