"""GPU memory before deployment, as vLLM will budget it.

In: a launch, its model metadata, its GPUs and its release. Out: an
:class:`~vllm_lint.memory.estimate.Estimate` per launch (:mod:`.estimate` is the arithmetic; :mod:`.shapes`,
:mod:`.weights`, :mod:`.kv_cache` and :mod:`.budgeting` its parts), the feasibility of each launch on its GPUs
(:mod:`.feasibility`), the replay of real start-ups (:mod:`.calibration`) and how sizes are written (:mod:`.text`).
"""
