"""Knowledge of each vLLM release, read from ``knowledge/vllm/``.

In: a version. Out: its ``vllm serve`` command line and an emulation of its parser (:mod:`.release`,
:mod:`.options`, :mod:`.parser`, :mod:`.values`; the field types of the config classes behind JSON options from
``config_fields.json``), what it serves and on which GPUs (:mod:`.support`), what
``--quantization`` it accepts for a checkpoint (:mod:`.quantization`) and the context length it derives for a
model (:mod:`.context_length`).
"""
