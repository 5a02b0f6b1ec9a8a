"""KV cache per token on one GPU, and the context length vLLM will use when ``--max-model-len`` is not given.
"""
from __future__ import annotations

import math

from vllm_lint.memory.inputs import Launch
from vllm_lint.memory.shapes import Shapes
from vllm_lint.memory.weights import model_dtype_bytes
from vllm_lint.vllm.context_length import derived_max_len

#: What vLLM assumes when config.json has none of the length keys (``_get_and_verify_max_len``, 0.6.0 to 0.33.0).
DEFAULT_MAX_LEN = 2048


def kv_bytes_per_token(meta, s: Shapes, launch: Launch, max_model_len: int) -> tuple[int, str]:
    """KV cache bytes per token on one GPU (all layers of its pipeline stage)."""
    if launch.kv_cache_dtype.startswith("fp8"):
        size = 1
    else:
        size = model_dtype_bytes(meta, launch.dtype)
    tp, pp = max(1, launch.tensor_parallel), max(1, launch.pipeline_parallel)
    layers = math.ceil(s.layers / pp)
    if s.mla:
        per_layer = (s.kv_lora_rank + s.rope_head_dim) * size
        return int(per_layer * layers), "MLA: latent cache, not split by tensor parallel"
    heads = max(1, s.kv_heads // tp)
    per_layer = 2 * heads * s.head_dim * size
    note = f"{layers} layers × {heads} KV head{'s' if heads != 1 else ''} × {s.head_dim} × 2 × {size} B"
    if s.sliding_layers and s.sliding_window and max_model_len > s.sliding_window:
        full = math.ceil((s.layers - s.sliding_layers) / pp)
        sliding = layers - full
        effective = full + sliding * s.sliding_window / max_model_len
        note += f"; {sliding} sliding-window layers keep {s.sliding_window} tokens"
        return int(per_layer * effective), note
    return int(per_layer * layers), note


def max_len_of(meta, launch: Launch) -> tuple[int, str | None]:
    """The max_model_len vLLM will use: the flag, else the model's own length as vLLM derives it
    (``context_length.derived_max_len``: for YaRN, ``original_max_position_embeddings`` × factor, not
    ``max_position_embeddings`` × factor), else vLLM's default of 2048 when config.json has no length key."""
    if launch.max_model_len:
        return launch.max_model_len, None
    length, _ = derived_max_len(meta)
    if length is None:
        return DEFAULT_MAX_LEN, (f"--max-model-len not given and config.json has no length key: vLLM assumes "
                                 f"{DEFAULT_MAX_LEN}")
    return length, f"--max-model-len not given: vLLM uses the model's {length}"
