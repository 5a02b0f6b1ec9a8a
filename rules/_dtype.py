"""Helpers shared by the ``--dtype`` rules (dtype-unsupported, dtype-mismatch): the launch's dtype and its GPUs
without bfloat16."""
from __future__ import annotations


def dtype_of(deployment):
    """(the launch's ``--dtype`` argument or None, its value as vLLM compares it: stripped, lower case). Without
    the argument the value is ``"auto"``, vLLM's default; it is None when the value is not known here (empty, or
    set at run time)."""
    arg = deployment.arg("dtype")
    if arg is None:
        return None, "auto"
    if not arg.value or any(v.value is None for v in arg.variables):
        return arg, None
    return arg, arg.value.strip().lower()


def gpus_without_bfloat16(deployment, ctx):
    """(the GPUs of the launch, those of them without bfloat16): compute capability below the floor of vLLM's
    bfloat16 check (``knowledge/vllm/startup_checks.yaml``: 8.0; T4, V100). Both empty when the GPUs are not known."""
    from vllm_lint.vllm.startup_checks import data

    gpus, _ = ctx.project.gpus_of(deployment)
    gpus = [g for _, g in (gpus or ())]
    floor = data()["bfloat16"]["min_capability"]
    return gpus, [g for g in gpus if g.compute_capability is not None and g.compute_capability * 10 < floor]
