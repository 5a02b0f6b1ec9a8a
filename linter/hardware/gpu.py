"""Gpu: the cards vLLM runs on (``knowledge/gpus.yaml``), and the hardware inventory that maps
device ids to them (config ``hardware:``, ``--gpu``, or ``--gpu auto`` from ``nvidia-smi``)."""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from functools import lru_cache

from vllm_lint.knowledge import load as load_knowledge


@dataclass(frozen=True)
class Gpu:
    id: str
    name: str
    memory_mib: int
    compute_capability: float | None  # None for AMD
    rocm_arch: str | None
    fp8: bool
    bf16: bool
    source: str
    aliases: tuple[str, ...] = ()
    cuda_total_gib: float | None = None  # what CUDA reports as the total (vLLM's budget base), when known

    @property
    def memory_bytes(self) -> int:
        return self.memory_mib * 1024 * 1024

    @property
    def cuda_memory_bytes(self) -> int:
        """The total vLLM multiplies by --gpu-memory-utilization: CUDA's own (torch.cuda.mem_get_info),
        a few hundred MiB below nvidia-smi's memory.total; memory.total where the table has no figure."""
        if self.cuda_total_gib:
            return int(self.cuda_total_gib * 1024**3)
        return self.memory_bytes

    @property
    def label(self) -> str:
        return f"{self.name} ({self.memory_mib / 1024:.1f} GiB)"


def _key(name: str) -> str:
    name = name.lower().replace("nvidia", "").replace("geforce", "").replace("tesla", "")
    return re.sub(r"[^a-z0-9]+", "", name)


@lru_cache(maxsize=1)
def table() -> dict[str, Gpu]:
    data = load_knowledge("gpus.yaml")
    out = {}
    for item in data["gpus"]:
        cc = item.get("compute_capability")
        out[item["id"]] = Gpu(item["id"], item["name"], int(item["memory_mib"]), float(cc) if cc is not None else None,
                              item.get("rocm_arch"), bool(item.get("fp8")), bool(item.get("bf16")), str(item.get("source", "")),
                              tuple(item.get("aliases") or ()), item.get("cuda_total_gib"))
    return out


@lru_cache(maxsize=1)
def _index() -> dict[str, Gpu]:
    index = {}
    for gpu in table().values():
        for name in (gpu.id, gpu.name, *gpu.aliases):
            index.setdefault(_key(name), gpu)
    return index


def find_gpu(name: str) -> Gpu | None:
    return _index().get(_key(name))


class InventoryError(ValueError):
    pass


@dataclass
class Inventory:
    """Device id -> Gpu; ``default`` is the card of every device not listed."""

    default: Gpu | None = None
    devices: dict[str, Gpu] = field(default_factory=dict)
    source: str = ""

    def gpu(self, device: str | None) -> Gpu | None:
        if device is not None and device in self.devices:
            return self.devices[device]
        return self.default

    def count(self) -> int | None:
        return len(self.devices) or None

    def __bool__(self) -> bool:
        return self.default is not None or bool(self.devices)


def parse_inventory(spec, source: str = "") -> Inventory:
    """``rtx-4090`` | ``0=rtx-4090,1=a100-80gb`` | ``{"0": "rtx-4090"}`` | ``auto`` (nvidia-smi)."""
    if spec is None or spec == "":
        return Inventory()
    if isinstance(spec, str) and spec.strip() == "auto":
        return from_nvidia_smi() or Inventory()
    items = spec.items() if isinstance(spec, dict) else [
        tuple(part.split("=", 1)) if "=" in part else (None, part) for part in str(spec).split(",") if part.strip()]
    inventory = Inventory(source=source)
    for device, name in items:
        gpu = find_gpu(str(name).strip())
        if gpu is None:
            known = ", ".join(sorted(table()))
            raise InventoryError(f"unknown GPU {str(name).strip()!r} (known: {known})")
        if device is None or str(device).strip() in ("*", "default"):
            inventory.default = gpu
        else:
            inventory.devices[str(device).strip()] = gpu
    return inventory


def from_nvidia_smi() -> Inventory | None:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    import subprocess  # only when nvidia-smi is asked

    try:
        out = subprocess.run([exe, "--query-gpu=index,name,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    inventory = Inventory(source="nvidia-smi")
    for line in out.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 3:
            continue
        gpu = find_gpu(parts[1])
        if gpu is None:
            try:
                memory = int(float(parts[2]))
            except ValueError:
                continue
            gpu = Gpu(_key(parts[1]) or "gpu", parts[1], memory, None, None, False, True, "nvidia-smi")
        else:
            try:
                memory = int(float(parts[2]))
                # CUDA's total is known for the table's memory.total; another total (driver, ECC) voids it
                cuda_total = gpu.cuda_total_gib if memory == gpu.memory_mib else None
                gpu = Gpu(gpu.id, gpu.name, memory, gpu.compute_capability, gpu.rocm_arch, gpu.fp8, gpu.bf16,
                          "nvidia-smi", gpu.aliases, cuda_total)
            except ValueError:
                pass
        inventory.devices[parts[0]] = gpu
    return inventory or None
