"""GPU memory before deployment, as vLLM will budget it.

In: a launch, its model metadata, its GPUs and its release. Out: an
:class:`~vllm_lint.memory.estimate.Estimate` per launch (:mod:`.estimate` is the arithmetic), the feasibility of each
launch on its GPUs (:mod:`.feasibility`), the replay of real start-ups (:mod:`.calibration`) and how sizes are written
(:mod:`.text`). The parts: :mod:`.shapes` (sizes and one Layer per decoder layer) with :mod:`.hybrid` (layer patterns
of hybrid models, recurrent-state shapes), :mod:`.params` (parameters per part), :mod:`.weights`, :mod:`.lora`,
:mod:`.speculative` (the drafter), :mod:`.kv_cache` (vLLM's KV-cache specs, groups and blocks), :mod:`.activation`
(profile run and CUDA graphs) and :mod:`.budgeting` (what each release does, knowledge/vllm/engine.yaml). An
architecture it does not model raises :class:`~vllm_lint.memory.shapes.NotModelled`: no number rather than a wrong one.
"""
