"""Context length: the longest ``--max-model-len`` a model allows, derived the way vLLM derives it.

vLLM (``_get_and_verify_max_len`` in ``vllm/config/model.py``, 0.11.0; ``vllm/config.py`` before)
takes the smallest of the length keys of the model's text config (``max_position_embeddings``,
``n_positions``, ``max_seq_len``, ``seq_length``, ``model_max_length``, ``max_target_positions``,
``max_sequence_length``, ``max_seq_length``, ``seq_len``), then multiplies by the rope scaling
factor — of ``original_max_position_embeddings`` for YaRN — unless the rope type is ``su``,
``longrope`` or ``llama3`` (whose configs already give the scaled length) or the model is Gemma 3.
A ``--max-model-len`` above that length is refused unless ``VLLM_ALLOW_LONG_MAX_MODEL_LEN=1``;
a ``model_max_length`` in config.json that covers it is allowed.
"""
from __future__ import annotations

import json

LENGTH_KEYS = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "model_max_length",
               "max_target_positions", "max_sequence_length", "max_seq_length", "seq_len")
SCALED_IN_CONFIG = ("su", "longrope", "llama3")


def rope_override(deployment) -> tuple[dict | None, object]:
    """Rope scaling given on the command line: (scaling dict, the argument) or (None, None).
    From ``--rope-scaling`` (releases that have it) or ``--hf-overrides`` (``rope_scaling``,
    ``rope_parameters``, or inside ``text_config``)."""
    arg = deployment.arg("rope-scaling")
    if arg is not None and arg.value:
        value = _json(arg.value)
        return (value, arg) if isinstance(value, dict) else (None, None)
    overrides = deployment.arg("hf-overrides")
    value = _json(overrides.value) if overrides is not None and overrides.value else None
    if isinstance(value, dict):
        for holder in (value, value.get("text_config")):
            if not isinstance(holder, dict):
                continue
            for key in ("rope_scaling", "rope_parameters"):
                if isinstance(holder.get(key), dict):
                    return holder[key], overrides
    return None, None


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def native_length(meta) -> tuple[int | None, str | None]:
    """(the smallest length key of the text config, its name), before rope scaling."""
    best, best_key = None, None
    cfg = meta.text_config
    for key in LENGTH_KEYS:
        value = cfg.get(key, meta.config.get(key) if cfg is not meta.config else None)
        if isinstance(value, (int, float)) and value > 0 and (best is None or value < best):
            best, best_key = int(value), key
    return best, best_key


def derived_max_len(meta, scaling: dict | None = None) -> tuple[int | None, str]:
    """(the longest max-model-len vLLM accepts, how it was derived); ``scaling`` replaces the model's
    own rope scaling (an override on the command line)."""
    native, key = native_length(meta)
    if native is None:
        return None, "no length key in config.json"
    rope = scaling if scaling is not None else meta.get("rope_scaling")
    how = f"{key}={native}"
    if isinstance(rope, dict) and "gemma3" not in str(meta.model_type or ""):
        kind = rope.get("rope_type") or rope.get("type")
        if kind not in SCALED_IN_CONFIG and kind not in (None, "default", "mrope"):
            factor = float(rope.get("factor") or 1.0)
            base = native
            if kind == "yarn" and rope.get("original_max_position_embeddings"):
                base = int(rope["original_max_position_embeddings"])
            if factor != 1.0:
                how = f"{key}={native}" if base == native else f"original_max_position_embeddings={base}"
                how += f" × {kind} factor {factor:g}"
            return int(base * factor), how
    return native, how
