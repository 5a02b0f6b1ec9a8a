"""Knowledge of each model: its Hugging Face metadata, offline first.

In: :class:`~vllm_lint.models.request.ModelRequest` records (a Hub id and revision, or a local folder). Out:
:class:`~vllm_lint.models.meta.ModelMeta` or :class:`~vllm_lint.models.request.ModelError`, read in order from a
local folder, the HF cache, the bundled snapshot and the Hub (:mod:`.resolve` says how).
"""
