"""``CUDA_VISIBLE_DEVICES`` names a host GPU inside a container that renumbers its GPUs from 0.

## What it does
When compose gives a container specific host GPUs (``device_ids: ['2']``,
``NVIDIA_VISIBLE_DEVICES=2``), the NVIDIA runtime exposes them inside the container as devices
0, 1, ...; ``CUDA_VISIBLE_DEVICES`` set in the container selects among those. Reports indices that
are not below the number of GPUs the container gets.

## Why is this bad?
Seed report 004's ``micro`` and ``mini`` profiles reserve host GPU 2 with ``device_ids: ['2']`` and
also set ``CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES_MICRO}`` (= 2) inside the container. The
container has one GPU, numbered 0; CUDA is asked for device 2 and sees none, and vLLM stops with
"No CUDA GPUs are available" or falls back to a platform it cannot use.

## Example
```yaml
    environment: ["CUDA_VISIBLE_DEVICES=2"]
    deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["2"], capabilities: [gpu]}]}}}
```

## Fix
Select host GPUs only with ``device_ids`` (or ``NVIDIA_VISIBLE_DEVICES``) and drop
``CUDA_VISIBLE_DEVICES`` from the container, or set it to container indices (``0``).
"""
from vllm_lint.launch.placement import placement

CODE = "VLL108"
NAME = "cuda-visible-devices-index"
CATEGORY = "gpus"
SEVERITY = "error"


def check(deployment, ctx):
    if deployment.kind == "script":
        return
    where = placement(deployment)
    if where.visible is None or where.count is None or where.host_devices is None:
        return
    wrong = [v for v in where.visible if v.isdigit() and int(v) >= where.count]
    if wrong:
        yield ctx.finding(where.visible_span, f"CUDA_VISIBLE_DEVICES={','.join(where.visible)} inside a container that is given "
                          f"{where.count} GPU{'s' if where.count != 1 else ''} (host {','.join(where.host_devices)}, seen inside as "
                          f"{','.join(str(i) for i in range(where.count))}): device {', '.join(wrong)} does not exist there",
                          hint="drop CUDA_VISIBLE_DEVICES and select host GPUs with device_ids only",
                          related=[where.span] if where.span else [])
