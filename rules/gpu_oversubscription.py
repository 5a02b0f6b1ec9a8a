"""Several launches on one GPU ask for more than all of its memory.

## What it does
Places every launch of one project — what runs together on one machine: the services of one compose
file with its ``compose.override.yaml``, of a ``COMPOSE_FILE`` or ``--compose-file`` list, of the
files a compose file includes (``include:``), the launches of one script, or a group named by ``projects:`` in
the configuration — on its host GPUs (``device_ids``, ``NVIDIA_VISIBLE_DEVICES``, or
``CUDA_VISIBLE_DEVICES`` for scripts) and adds up their ``--gpu-memory-utilization`` (default 0.9)
per GPU. Reports each GPU where the sum exceeds ``max-total`` (default 1.0). Launches whose GPUs are
given only as a count, or by a variable that is not set, are not placed. Compose files or scripts
beside each other are alternatives (one per model, one per variant) and are not added up; name the
ones that do run side by side in ``projects:``.

## Why is this bad?
Each vLLM instance takes its fraction of the *whole* card at start-up and checks that this much is
free: "Free memory on device (...) on startup is less than desired GPU memory utilization (...).
Decrease GPU memory utilization or reduce GPU memory used by other processes."
(``vllm/v1/worker/gpu_worker.py``, 0.9.2 and later). Seed report 004 puts ``micro`` and ``mini``
on GPU 2 (``device_ids: ['2']``) with ``GPU_MEMORY_UTILIZATION_MICRO=0.9`` and
``GPU_MEMORY_UTILIZATION_MINI=0.9``: 1.8 of one GPU; whichever starts second fails.

## Example
```yaml
# one compose file
services:
  micro: {command: ["--gpu-memory-utilization", "0.9"], deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["2"], capabilities: [gpu]}]}}}}
  mini:  {command: ["--gpu-memory-utilization", "0.9"], deploy: {resources: {reservations: {devices: [{driver: nvidia, device_ids: ["2"], capabilities: [gpu]}]}}}}
```

## Fix
Give each service its own GPU, or split the card: fractions that add up to at most about 0.9
(for example 0.45 and 0.4), leaving room for each instance's CUDA context.
"""
from vllm_lint.launch.placement import placement

CODE = "VLL404"
NAME = "gpu-oversubscription"
CATEGORY = "memory"
SEVERITY = "error"
SCOPE = "project"
OPTIONS = {"max-total": 1.0, "default-utilization": 0.9}
SHOWN = 4  # launches named in the message; the others are counted


def check(project, ctx):
    shares: dict[tuple[str, str], list] = {}
    for d in project.deployments:
        if d.host_group is None:
            continue
        where = placement(d)
        if not where.host_devices:
            continue
        util = d.number("gpu-memory-utilization")
        if util is None:
            if d.arg("gpu-memory-utilization") is not None:
                continue  # unreadable value: another rule reports it
            util = ctx.options["default-utilization"]
        for device in where.host_devices:
            if not device.strip() or "$" in device:
                continue  # an unset variable: the GPU is not known
            shares.setdefault((d.host_group, device), []).append((d, util, where))
    for (_, device), users in sorted(shares.items()):
        total = sum(u for _, u, _ in users)
        if len(users) < 2 or total <= ctx.options["max-total"] + 1e-9:
            continue
        parts = " + ".join(f"{d.name} {u:g}" for d, u, _ in users[:SHOWN])
        if len(users) > SHOWN:
            parts += f" + {len(users) - SHOWN} more"
        for d, util, where in users[1:]:
            arg = d.arg("gpu-memory-utilization")
            span = arg.value_or_flag_span if arg is not None else where.span
            first = users[0]
            yield ctx.finding(span, f"GPU {device} is shared by {len(users)} launches asking {parts} = {total:.2f} of its memory: "
                              f"the one that starts last finds too little free and exits",
                              hint="give each launch its own GPU, or fractions that add up to at most 0.9",
                              related=[first[2].span] if first[2].span else [], deployment=d)
