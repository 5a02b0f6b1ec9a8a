"""Each launch's model metadata, offline first: ``resolve(requests)`` answers every :class:`ModelRequest` with a
:class:`~vllm_lint.models.meta.ModelMeta` or a :class:`ModelError`; it never raises for network or HTTP
problems and one model failing never stops the others. Where a model is read from, in order:

1. a local folder (``ModelRequest.local_dir``: the host folder a volume mounts as the model path):
   ``config.json`` and its companions, sizes from the ``*.safetensors`` on disk (:mod:`.local`);
2. the Hugging Face cache (``HF_HUB_CACHE``, else ``HF_HOME``/hub, else ~/.cache/huggingface/hub) — the cache
   vLLM fills, so a host that ran the model needs no network (:mod:`.cache`);
3. the snapshot bundled with vllm-lint (``knowledge/models/*.json``), unless ``use_snapshot=False``
   (:mod:`.snapshot`);
4. the Hub (``HF_ENDPOINT``; ``HF_TOKEN`` or the saved token), unless ``offline`` or ``HF_HUB_OFFLINE=1``
   (:mod:`.hub`). Models are fetched concurrently, each once; failures are classified by :mod:`.failures`.

``huggingface_hub`` is imported only when the Hub is needed. Tokens never appear in any message.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from vllm_lint.models.cache import from_cache, hub_cache_dir
from vllm_lint.models.failures import redact, suggest_ids
from vllm_lint.models.local import from_local
from vllm_lint.models.meta import ModelMeta
from vllm_lint.models.request import REPO_ID, ModelError, ModelRequest
from vllm_lint.models.snapshot import (
    from_snapshot,
    snapshot_dir,
    snapshot_entry,
    write_snapshot_entry,
)

# ---------------------------------------------------------------------------------------- resolve


def resolve(requests: list[ModelRequest], *, offline: bool = False, use_snapshot: bool = True, use_cache: bool = True,
            progress: bool | None = None, max_workers: int = 8, timeout: float = 10.0,
            deadline: float | None = None,
            run_deadline: float | None = None) -> dict[ModelRequest, ModelMeta | ModelError]:
    """Each distinct request's metadata (or why there is none); see the module docstring for the order.

    ``timeout``: of each request to the Hub; ``deadline``: of each model, every request and retry included
    (``--hub-timeout``); ``run_deadline``: of all the fetching of the run."""
    offline = offline or _env_offline()
    cache = hub_cache_dir()
    results: dict[ModelRequest, ModelMeta | ModelError] = {}
    pending: list[ModelRequest] = []
    for request in dict.fromkeys(requests):
        try:
            found = resolve_without_network(request, cache if use_cache else None, use_snapshot)
        except Exception as exc:  # a broken cache entry must not stop the run
            found = ModelError("error", redact(f"{request.model}: cannot read its metadata: {type(exc).__name__}: {exc}"))
        if found is None:
            if offline:
                found = ModelError("not-cached", f"{request}: offline, and the model is neither in the Hugging Face cache "
                                                 f"({cache}) nor in the metadata bundled with vllm-lint")
            else:
                pending.append(request)
                continue
        results[request] = found
    if pending:
        from vllm_lint.models.hub import MODEL_DEADLINE_S, RUN_DEADLINE_S, fetch_all  # only when a model is fetched

        deadline = MODEL_DEADLINE_S if deadline is None else deadline
        run_deadline = RUN_DEADLINE_S if run_deadline is None else run_deadline
        show = progress if progress is not None else (len(pending) > 3 and _isatty(sys.stderr))
        results.update(fetch_all(pending, cache, max_workers=max_workers, timeout=timeout, show_progress=show,
                                 deadline=deadline, run_deadline=run_deadline))
    return results


def resolve_without_network(request: ModelRequest, cache: Path | None, use_snapshot: bool) -> ModelMeta | ModelError | None:
    if request.local_dir is not None:
        return from_local(request)
    if not REPO_ID.match(request.model) or ".." in request.model or "--" in request.model:
        return ModelError("not-found", f"{request.model!r} is not a valid Hugging Face model id (organization/name)",
                          suggest_ids(request.model, cache))
    if cache is not None:
        meta = from_cache(request, cache)
        if meta is not None:
            return meta
    if use_snapshot:
        return from_snapshot(request)
    return None


def _env_offline() -> bool:
    return any(os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE")
               for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def refresh_snapshot(model_ids: list[str], dest: Path | None = None) -> dict[str, ModelMeta | ModelError]:
    """Fetch ``model_ids`` from the Hub (never the cache or the snapshot) and (re)write their snapshot entries."""
    dest = dest or snapshot_dir()
    requests = [ModelRequest(m) for m in dict.fromkeys(model_ids)]
    fetched = resolve(requests, use_snapshot=False, use_cache=False, progress=None)
    out: dict[str, ModelMeta | ModelError] = {}
    for request in requests:
        result = fetched[request]
        if isinstance(result, ModelMeta):
            write_snapshot_entry(snapshot_entry(result, f"Hugging Face Hub: {result.origin}"), dest)
        out[request.model] = result
    return out


