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

Other tenants of the same GPU count too: a compose service of the project that reserves the GPU by id but
runs no vLLM (a TTS, embedding or OCR server) takes the share its label ``vllm-lint.gpu-memory`` declares
(a fraction of the card such as ``0.2``, or a size such as ``6GiB`` when the GPU is known from the
hardware inventory), else ``default-tenant-memory`` (default 0.15 of the card: a CUDA context and a small
model; the message says when it is assumed). A service in compose ``profiles:`` that none of the vLLM
launches on that GPU shares is an alternative to them (``--profile tts`` starts it), and is not counted.

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
OPTIONS = {"max-total": 1.0, "default-utilization": 0.9, "default-tenant-memory": 0.15}
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
    tenants: dict[tuple[str, str], list] = {}
    for t in getattr(project, "gpu_tenants", ()):
        where = placement(t)
        for device in where.host_devices or ():
            if (t.host_group, device) in shares:  # only a GPU some vLLM launch uses
                share, how = _tenant_share(t, device, ctx)
                if share is not None:
                    tenants.setdefault((t.host_group, device), []).append((t, share, where, how))
    for (group, device), users in sorted(shares.items()):
        together = {p for d, _, _ in users for p in d.profiles}  # a tenant in other profiles is an alternative
        others = [o for o in tenants.get((group, device), []) if not o[0].profiles or set(o[0].profiles) & together]
        total = sum(u for _, u, _ in users) + sum(u for _, u, _, _ in others)
        if len(users) + len(others) < 2 or total <= ctx.options["max-total"] + 1e-9:
            continue
        named = [f"{d.name} {u:g}" for d, u, _ in users] + [f"{t.name} (not vLLM) {u:g}{how}" for t, u, _, how in others]
        parts = " + ".join(named[:SHOWN])
        if len(named) > SHOWN:
            parts += f" + {len(named) - SHOWN} more"
        for d, util, where in (users[1:] if len(users) > 1 else users):
            arg = d.arg("gpu-memory-utilization")
            span = arg.value_or_flag_span if arg is not None else where.span
            first = users[0] if len(users) > 1 else others[0]
            what = f"{len(users)} launches" if not others else \
                f"{len(users)} vLLM launch{'es' if len(users) > 1 else ''} and {len(others)} other service{'s' if len(others) > 1 else ''}"
            yield ctx.finding(span, f"GPU {device} is shared by {what} asking {parts} = {total:.2f} of its memory: "
                              f"the one that starts last finds too little free and exits",
                              hint="give each launch its own GPU, or fractions that add up to at most 0.9"
                                   + (" with the other services' memory" if others else ""),
                              related=[first[2].span] if first[2].span else [], deployment=d,
                              severity="warning" if any("assumed" in how for _, _, _, how in others) else None)


def _tenant_share(t, device: str, ctx) -> tuple[float | None, str]:
    """(fraction of the GPU a non-vLLM service takes, how it is known) from its label, else the default."""
    from vllm_lint.rules.shared_memory import size_bytes

    declared = next((n.split("=", 1)[1] for n in t.notes if n.startswith("gpu-memory=")), None)
    if declared is None:
        return float(ctx.options["default-tenant-memory"]), " assumed (default-tenant-memory)"
    try:
        value = float(declared)
    except ValueError:
        value = None
    if value is not None:
        return (value, " declared") if 0 <= value <= 1 else (None, "")
    size = size_bytes(declared.lower().replace("ib", "b"))
    gpu = ctx.project.inventory.gpu(device) if ctx.project.inventory else None
    if size is None or gpu is None:
        ctx.skip("the GPU of a service that declares its memory as a size is not in the hardware inventory", t.name)
        return None, ""
    return size / gpu.memory_bytes, f" declared ({declared})"
