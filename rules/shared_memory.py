"""Several GPU workers without enough shared memory for NCCL.

## What it does
With tensor or pipeline parallel above 1, vLLM's workers exchange data through NCCL, which uses
``/dev/shm``. Reports a container that has neither ``ipc: host`` nor a ``shm_size`` of at least
``min-shm-size`` (default 1 GiB; Docker's default is 64 MiB), and a Kubernetes pod without a
memory-backed ``emptyDir`` at ``/dev/shm``.

## Why is this bad?
NCCL fails at start-up ("unhandled system error", "Error while creating shared memory segment") or
later under load. Seed report 004 gives the two-GPU ``medium`` profile ``shm_size: 4g``; seed
report 003 gives ``medium-vl`` ``ipc: host`` and ``shm_size: '16gb'``; a profile that drops both
fails only once TP is raised.

## Example
```yaml
    command: ["--tensor-parallel-size", "2"]   # no ipc: host, no shm_size
```

## Fix
Add ``ipc: host`` (vLLM's documentation uses it) or ``shm_size: 8g``; on Kubernetes mount an
``emptyDir: {medium: Memory}`` at ``/dev/shm``.
"""
import re

CODE = "VLL109"
NAME = "shared-memory"
CATEGORY = "gpus"
SEVERITY = "error"
OPTIONS = {"min-shm-size": "1g"}

_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3, "gb": 1024**3}


def size_bytes(text):
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*", str(text).lower())
    return int(float(m.group(1)) * _UNITS[m.group(2)]) if m else None


def check(deployment, ctx):
    if deployment.tensor_parallel * deployment.pipeline_parallel <= 1 or deployment.kind == "script":
        return
    arg = deployment.arg("tensor-parallel-size") or deployment.arg("pipeline-parallel-size")
    if deployment.kind == "kubernetes":
        if not any(v.target == "/dev/shm" for v in deployment.volumes):
            yield ctx.finding(arg.value_or_flag_span, "several GPU workers but no memory-backed volume at /dev/shm: NCCL "
                              "gets the container runtime's 64 MiB default", hint="mount an emptyDir with medium: Memory at /dev/shm")
        return
    if deployment.ipc == "host":
        return
    minimum = size_bytes(ctx.options["min-shm-size"])
    have = size_bytes(deployment.shm_size) if deployment.shm_size else None
    if have is None:
        yield ctx.finding(arg.value_or_flag_span, f"{deployment.tensor_parallel * deployment.pipeline_parallel} GPU workers "
                          "without ipc: host or shm_size: NCCL gets Docker's 64 MiB of /dev/shm",
                          hint="add ipc: host, or shm_size: 8g")
    elif have < minimum:
        yield ctx.finding(deployment.shm_size_span or arg.value_or_flag_span,
                          f"shm_size {deployment.shm_size} is below {ctx.options['min-shm-size']} for "
                          f"{deployment.tensor_parallel * deployment.pipeline_parallel} GPU workers", hint="raise shm_size, or use ipc: host")
