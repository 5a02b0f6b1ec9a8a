"""Tensor × pipeline parallel size does not match the GPUs the launch is given.

## What it does
Compares ``--tensor-parallel-size`` × ``--pipeline-parallel-size`` (× ``--data-parallel-size``)
with the GPUs the container gets: compose ``device_ids``/``count``, ``NVIDIA_VISIBLE_DEVICES``,
``CUDA_VISIBLE_DEVICES``, or Kubernetes ``nvidia.com/gpu``. More workers than GPUs is an error
(vLLM waits for GPUs that never come, or fails to place workers); fewer is a warning (GPUs
reserved and left idle). A LeaderWorkerSet group has its pods' GPUs together (``size`` × the GPUs
of one pod); with ``--data-parallel-size-local`` a pod runs only its local data-parallel ranks.
Launches spread by ``--nnodes`` or Ray, and sizes set at run time (a variable from outside the
tree), are not checked.

## Why is this bad?
Seed report 004 runs the ``medium`` profile with ``--tensor-parallel-size=2`` on
``device_ids: ['0', '1']``: right. A copy that keeps TP 2 on one device, or reserves two GPUs for a
TP 1 service, either fails at start-up or wastes a 24 GB card.

## Example
```yaml
    command: ["--tensor-parallel-size=2"]
    deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["2"], capabilities: [gpu]}]}}}
```

## Fix
Give the service as many GPUs as tensor × pipeline parallel workers, or change the sizes.
"""
from vllm_lint.launch.placement import placement

CODE = "VLL107"
NAME = "tensor-parallel-gpus"
CATEGORY = "gpus"
SEVERITY = "error"


def check(deployment, ctx):
    if deployment.arg("nnodes") is not None or deployment.value("distributed-executor-backend") == "ray":
        return
    where = placement(deployment)
    usable = where.usable
    if usable is None or where.span is None and where.visible_span is None:
        return
    if where.visible is not None and usable < len(where.visible):
        return  # CUDA_VISIBLE_DEVICES names devices the container does not have: cuda-visible-devices-index says so
    sizes_given = ("tensor-parallel-size", "pipeline-parallel-size", "data-parallel-size", "data-parallel-size-local")
    if any(deployment.unknown(name) for name in sizes_given):
        return
    tp, pp = deployment.tensor_parallel, deployment.pipeline_parallel
    dp = deployment.number("data-parallel-size", int) or 1
    local = deployment.number("data-parallel-size-local", int)
    if local:  # this pod runs its local ranks; the others run elsewhere
        dp = local
    workers = tp * pp * dp
    group = deployment.group_size if deployment.group_size > 1 and not local else 1
    usable *= group
    arg = deployment.arg("tensor-parallel-size") or deployment.arg("pipeline-parallel-size")
    span = arg.value_or_flag_span if arg is not None else (where.visible_span or where.span)
    sizes = f"tensor {tp} × pipeline {pp}" + (f" × data {dp}" + (" (local)" if local else "") if dp > 1 else "")
    given = f"{usable} GPU{'s' if usable != 1 else ''} ({where.how or 'CUDA_VISIBLE_DEVICES'}"
    given += f" × {group} pods of the group)" if group > 1 else ")"
    if workers > usable:
        yield ctx.finding(span, f"{sizes} parallel needs {workers} GPUs, but the launch is given {given}",
                          hint=f"give it {workers} GPUs or lower the parallel sizes", related=[where.span] if where.span else [])
    elif workers < usable:
        yield ctx.finding(span, f"{sizes} parallel uses {workers} of the {given} given to the launch; the others stay idle",
                          severity="warning", hint=f"set --tensor-parallel-size {usable // (pp * dp) or 1}, or reserve fewer GPUs",
                          related=[where.span] if where.span else [])
