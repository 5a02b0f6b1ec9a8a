"""Speculative decoding (``--speculative-config``) as vLLM budgets it: the drafter's weights, the KV cache of its
attention layers, the tokens it adds to each decode step. From vLLM's source (``vllm/config/speculative.py``,
``vllm/v1/spec_decode/``). Checked on vLLM 0.20.2 start-ups on an H200 (tests/data/calibration.yaml): MTP on
DeepSeek-V3 (5 layers, 1 token) and Qwen3.5-35B-A3B (2 tokens), n-gram on Qwen3-8B (4 tokens); EAGLE heads and
draft models are not measured yet.

* ``mtp``: the checkpoint's own multi-token-prediction layers (``num_nextn_predict_layers``, Qwen3.5's
  ``mtp_num_hidden_layers``: n_predict), reused when num_speculative_tokens > n_predict; embeddings and lm_head
  shared with the target (llm_base_proposer.py "Detected MTP model"); one KV-caching attention layer each.
* ``eagle`` / ``eagle3``: a head of the draft checkpoint's ``num_hidden_layers`` decoder layers at the target's
  hidden size, an ``fc`` from 2 (EAGLE) or 3 (EAGLE-3) hidden states, its own lm_head when it has its own
  (draft) vocabulary; embeddings shared when the head has none.
* ``draft_model``: a whole second model with its own KV cache, sharded by ``draft_tensor_parallel_size``.
* ``ngram`` / ``ngram_gpu`` / ``suffix``: no weights and no KV cache on the GPU.

Every method adds ``num_speculative_tokens`` to the decode query of each sequence: CUDA graphs are captured for
``max_num_seqs × (1 + k)`` tokens (vllm/config/vllm.py _set_cudagraph_sizes), the recurrent states of hybrid
models keep k more speculative blocks and conv positions (MambaSpec.num_speculative_blocks), the capture sizes are
rounded up to multiples of 1 + k (adjust_cudagraph_sizes_for_spec_decode), the drafter's warm-ups run without
attention metadata (an MLA drafter allocates its profile workspace again in the FULL warm-ups), and the rejection
sampler's warm-up runs on 2 × max_num_seqs rows (gpu_model_runner.py _dummy_sampler_run).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from vllm_lint.memory.params import PARTS, component_params, mtp_layer_params
from vllm_lint.memory.shapes import Layer, NotModelled, Shapes

_NO_WEIGHTS = ("ngram", "ngram_gpu", "suffix", "[ngram]")
_MTP_ALIASES = ("mtp", "deepseek_mtp", "qwen3_next_mtp", "qwen3_5_mtp", "ernie_mtp", "glm4_moe_mtp", "mimo_mtp",
                "longcat_flash_mtp", "pangu_ultra_moe_mtp", "minimax_m2_mtp", "nemotron_h_mtp")


@dataclass
class Drafter:
    method: str
    tokens: int  # num_speculative_tokens
    params: dict = field(default_factory=dict)  # per part, before sharding (as params.component_params)
    layers: list[Layer] = field(default_factory=list)  # the drafter's KV-caching layers
    shapes: Shapes | None = None  # a separate draft model's shapes (for its KV heads and head size)
    note: str = ""


def drafter(spec: dict | None, s: Shapes, draft_meta=None) -> Drafter | None:
    """What ``--speculative-config`` adds; None without one."""
    if not spec:
        return None
    method = str(spec.get("method") or "").lower()
    model = spec.get("model")
    if not method:
        method = "ngram" if model in ("ngram", "[ngram]") else "draft_model"
    tokens = int(spec.get("num_speculative_tokens") or 0)
    if method in _MTP_ALIASES:
        n = s.mtp_layers
        if not n:
            raise NotModelled("--speculative-config method mtp on a checkpoint without MTP layers "
                              "(num_nextn_predict_layers / mtp_num_hidden_layers)")
        tokens = tokens or n
        per = mtp_layer_params(s)
        params = {part: per.get(part, 0.0) * n for part in PARTS}
        template = [layer for layer in s.layer_list if layer.attention][-1]
        return Drafter("mtp", tokens, params, [Layer(**{**template.__dict__, "state": None})] * n,
                       note=f"MTP: {n} layer(s) of the checkpoint, embeddings and lm_head shared with the target")
    if method in _NO_WEIGHTS:
        return Drafter(method, tokens, note=f"{method}: proposes on the CPU/with no weights, no KV cache")
    if method in ("eagle", "eagle3", "dflash"):
        return _eagle(method, tokens, s, draft_meta, model)
    if method in ("draft_model",):
        if draft_meta is None:
            raise NotModelled(f"the draft model {model!r} (no metadata for it: its weights and KV cache)")
        from vllm_lint.memory.shapes import shapes

        ds = shapes(draft_meta)
        return Drafter("draft_model", tokens, component_params(ds), [x for x in ds.layer_list if x.attention],
                       shapes=ds, note=f"draft model {model}: {ds.layers} layers, its own KV cache")
    raise NotModelled(f"speculative decoding method {method!r}")


def _eagle(method: str, tokens: int, s: Shapes, draft_meta, model) -> Drafter:
    """eagle.py / llama_eagle3.py: decoder layers at the target's hidden size, fc over 2 (EAGLE) or 3 (EAGLE-3)
    hidden states, an lm_head of draft_vocab_size when the head has one, embeddings shared when it has none."""
    get = draft_meta.get if draft_meta is not None else (lambda key, default=None: default)
    n_layers = int(get("num_hidden_layers") or 1)
    inputs = 3 if method == "eagle3" else 2
    template = [layer for layer in s.layer_list if layer.attention][-1]
    template = Layer(**{**template.__dict__, "state": None, "mlp": "dense"})
    from vllm_lint.memory.params import layer_params

    per = layer_params(s, template)
    params = {part: per.get(part, 0.0) * n_layers for part in PARTS}
    params["mlp"] += inputs * s.hidden * s.hidden
    draft_vocab = int(get("draft_vocab_size") or 0)
    if draft_vocab:
        params["lm_head"] = draft_vocab * s.hidden
    known = "" if draft_meta is not None else \
        f" (no metadata for {model!r}: assumed {n_layers} decoder layer shaped as the target's, shared lm_head)"
    return Drafter(method, tokens or 1, params, [template] * n_layers,
                   note=f"{method.upper()} head: {n_layers} layer(s), fc of {inputs}×hidden{known}")
