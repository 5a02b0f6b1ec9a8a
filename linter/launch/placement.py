"""Which GPUs a launch gets: host device ids and how many the container sees.

Compose reserves host GPUs with ``deploy.resources.reservations.devices`` (``device_ids`` or
``count``), ``gpus:``, or ``runtime: nvidia`` with ``NVIDIA_VISIBLE_DEVICES``; Kubernetes with
``nvidia.com/gpu``. Inside the container the GPUs given are renumbered from 0, and
``CUDA_VISIBLE_DEVICES`` then selects among *those*.
"""
from __future__ import annotations

from dataclasses import dataclass

from vllm_lint.launch.deployment import Deployment
from vllm_lint.sources.span import Span


@dataclass
class Placement:
    host_devices: list[str] | None  # host GPU ids (None: unknown or "all")
    count: int | None  # GPUs the container gets (None: unknown; "all" is unknown without an inventory)
    span: Span | None  # where the GPUs are given
    how: str
    visible: list[str] | None = None  # CUDA_VISIBLE_DEVICES inside the container, when set
    visible_span: Span | None = None

    @property
    def usable(self) -> int | None:
        """GPUs vLLM can use: the container's, narrowed by CUDA_VISIBLE_DEVICES."""
        if self.visible is not None:
            if self.count is None:
                return len(self.visible)
            return len([v for v in self.visible if not v.isdigit() or int(v) < self.count])
        return self.count


def placement(d: Deployment) -> Placement:
    ids: list[str] | None = None
    count: int | None = None
    span = None
    how = ""
    for request in d.gpus:  # the most specific request wins: ids, then a count
        if request.device_ids is not None and ids is None:
            ids, span, how = request.device_ids, request.span, request.how
        elif request.count is not None and request.count >= 0 and ids is None and count is None:
            count, span, how = request.count, request.span, request.how
        elif span is None:
            span, how = request.span, request.how
    if ids is not None:
        count = len(ids)
    visible = None
    visible_span = None
    cvd = d.env.get("CUDA_VISIBLE_DEVICES")
    if cvd is not None and cvd.value is not None and cvd.value.strip() not in ("", "all"):
        visible = [v.strip() for v in cvd.value.split(",") if v.strip()]
        visible_span = cvd.span
    if d.kind == "script" and visible is not None:
        # on the host, CUDA_VISIBLE_DEVICES names host GPUs directly
        return Placement(visible, len(visible), visible_span, "CUDA_VISIBLE_DEVICES")
    return Placement(ids, count, span, how, visible, visible_span)
