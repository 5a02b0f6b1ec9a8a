"""The baseline document of a run (``vllm-lint baseline``): see :mod:`vllm_lint.baseline`."""
from vllm_lint.baseline import render  # noqa: F401
