"""Calibration on this host: vLLM's own start-up figures next to the estimate.

In: a Project's launches, and a Python that imports vLLM. Out: per launch, what vLLM printed (weights, available
KV cache, KV cache tokens, maximum concurrency, release) beside vllm-lint's estimate for the same launch on this
host's GPU, or why it did not start. :mod:`.startup_log` reads vLLM's log lines (shared with
``bench/gpu_calibration.py``); :mod:`.runner` starts each launch with dummy weights (``vllm-lint calibrate``).
"""
