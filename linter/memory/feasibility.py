"""Feasibility: on which GPUs each launch runs, and its memory estimate, worked out once per launch
for the VRAM rules, ``vllm-lint vram`` and the feasibility report.

The GPUs of a launch come from the hardware inventory (config ``hardware:``, ``--gpu``): the host
device ids the launch is placed on (compose ``device_ids``, ``NVIDIA_VISIBLE_DEVICES``,
``CUDA_VISIBLE_DEVICES`` of scripts) are looked up in it; a launch placed by count only, or not
placed, gets the inventory's default card. A Kubernetes ``nodeSelector`` on
``nvidia.com/gpu.product`` names the card itself. vLLM uses the first
``tensor_parallel × pipeline_parallel`` GPUs it sees.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from vllm_lint.hardware.gpu import Gpu, Inventory, find_gpu
from vllm_lint.launch.deployment import Deployment
from vllm_lint.launch.placement import placement
from vllm_lint.memory.inputs import Launch

if TYPE_CHECKING:  # the estimate is imported when a launch has GPUs and a model to estimate, not before
    from vllm_lint.memory.estimate import Estimate


@dataclass
class Feasibility:
    deployment: Deployment
    gpus: list[tuple[str | None, Gpu]] | None
    estimate: Estimate | None
    reason: str | None = None  # why there is no estimate


def gpus_of(d: Deployment, inventory: Inventory) -> tuple[list[tuple[str | None, Gpu]] | None, str | None]:
    """(device id, card) of each GPU the launch uses, or (None, why not)."""
    from vllm_lint.memory.inputs import MAX_GPUS

    workers = max(1, d.tensor_parallel * d.pipeline_parallel)
    if workers > MAX_GPUS:  # bounded before anything is built per GPU
        return None, f"tensor × pipeline parallel is {workers} GPUs, more than any machine has"
    if d.gpu_product:
        gpu = find_gpu(d.gpu_product)
        if gpu is not None:
            return [(None, gpu)] * workers, None
    if not inventory:
        return None, "no GPU known (set hardware: in the config, or --gpu)"
    where = placement(d)
    devices: list[str | None] = list(where.host_devices) if where.host_devices else []
    if where.visible is not None and d.kind != "script" and devices:
        devices = [devices[int(v)] for v in where.visible if v.isdigit() and int(v) < len(devices)]
    devices = devices[:workers] + [None] * max(0, workers - len(devices))
    out = []
    for device in devices:
        gpu = inventory.gpu(device)
        if gpu is None:
            return None, f"GPU {device} is not in the hardware inventory" if device else "no default GPU in the inventory"
        out.append((device, gpu))
    return out, None


#: Failures after which no stand-in is used: the model id itself is wrong, or it is a local folder.
_NO_STAND_IN = {"not-found", "local-missing", "local-unmounted", "no-config"}


def feasibility(d: Deployment, meta, inventory: Inventory, version: str | None, error=None) -> Feasibility:
    from vllm_lint.memory.inputs import out_of_range

    why = out_of_range(d)
    if why:
        return Feasibility(d, None, None, why)
    base = found = None
    if meta is None:
        found = _stand_in(d, error)
        if found is None:
            return Feasibility(d, None, None, "no model metadata")
    gpus, why = gpus_of(d, inventory)
    if gpus is None:
        return Feasibility(d, None, None, why)
    from vllm_lint.memory.estimate import estimate
    from vllm_lint.memory.shapes import NotModelled

    launch = Launch.from_deployment(d)  # after the cheap answers: most launches of a large tree stop above
    if found is not None:
        meta, method, bits = found
        base = meta.model_id
        meta = replace(meta, model_id=d.model, weights=None)  # the base's checkpoint size is not this one's
        launch.quantization = launch.quantization or method
        launch.weight_bits = bits
    launch.speculative_meta = _draft_meta(launch)
    try:
        result = estimate(meta, launch, gpus, version or "0.0")
    except NotModelled as exc:  # an architecture the estimate does not model: say which part, give no number
        return Feasibility(d, gpus, None, f"not modelled: {exc}")
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return Feasibility(d, gpus, None, f"the model's config.json lacks the shapes the estimate needs ({exc})")
    if base is not None:
        result.stand_in = base
        result.uncertainty += 0.1
        result.notes.append(f"no metadata for {d.model}: shapes of {base}, weights {launch.quantization} "
                            f"({bits}-bit, as its name says)")
    return Feasibility(d, gpus, result)


def _stand_in(d: Deployment, error):
    """A quantized checkpoint whose metadata is missing: its base model's, if known offline."""
    model = d.model
    if not model or model.startswith(("/", "./", "../", "~")) or getattr(error, "kind", None) in _NO_STAND_IN:
        return None
    from vllm_lint.models.stand_in import stand_in

    return stand_in(model)


def _draft_meta(launch: Launch):
    """The drafter's own metadata (an EAGLE head or draft model named by --speculative-config), when bundled or cached."""
    model = (launch.speculative or {}).get("model")
    if not model or model in ("ngram", "[ngram]"):
        return None
    from vllm_lint.models.snapshot import load_snapshot

    return load_snapshot(str(model))
