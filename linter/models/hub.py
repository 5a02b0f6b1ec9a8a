"""The Hugging Face Hub through the real ``huggingface_hub`` client (imported on the first fetch):
``HfApi.model_info(files_metadata=True)`` for the file list, sizes and parameter counts, ``hf_hub_download``
(into the shared cache) for ``config.json``, the quantization descriptors the listing has, the preprocessor
config of vision models and ``model.safetensors.index.json``.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from vllm_lint.models.failures import classify_failure
from vllm_lint.models.local import index_total, loaded_shards, preprocessor_of
from vllm_lint.models.meta import QUANT_DESCRIPTORS, ModelMeta, WeightInfo
from vllm_lint.models.request import (
    INDEX_FILE,
    PREPROCESSOR_FILES,
    SAFETENSORS_DTYPE_BYTES,
    InvalidJson,
    ModelError,
    ModelRequest,
    shorten,
)

# ---------------------------------------------------------------------------------------- the Hub


def fetch_all(requests: list[ModelRequest], cache: Path, *, max_workers: int, timeout: float,
               show_progress: bool) -> dict[ModelRequest, ModelMeta | ModelError]:
    results: dict[ModelRequest, ModelMeta | ModelError] = {}
    endpoint = (os.environ.get("HF_ENDPOINT") or "").strip().rstrip("/") or None
    try:
        restore = _quiet_hub()
    except ImportError:
        return {r: ModelError("error", "huggingface_hub is not installed: pip install huggingface-hub") for r in requests}
    lock = threading.Lock()
    done = 0

    def report() -> None:
        if show_progress:
            sys.stderr.write(f"\rvllm-lint: model metadata {done}/{len(requests)}")
            sys.stderr.flush()

    try:
        report()
        with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(requests)))) as pool:
            futures = {pool.submit(_fetch_one, r, cache, endpoint, timeout): r for r in requests}
            for future in as_completed(futures):
                request = futures[future]
                try:
                    results[request] = future.result()
                except Exception as exc:  # _fetch_one classifies; this is the last guard
                    results[request] = classify_failure(exc, request, cache)
                with lock:
                    done += 1
                    report()
    finally:
        restore()
        if show_progress:
            sys.stderr.write("\n")
            sys.stderr.flush()
    return results


def _quiet_hub():
    """Silence huggingface_hub's per-file progress bars while fetching; returns how to undo it."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    return (lambda: None) if was_disabled else enable_progress_bars


def _fetch_one(request: ModelRequest, cache: Path, endpoint: str | None, timeout: float) -> ModelMeta | ModelError:
    try:
        return _from_hub(request, cache, endpoint, timeout)
    except Exception as exc:
        return classify_failure(exc, request, cache)


def _from_hub(request: ModelRequest, cache: Path, endpoint: str | None, timeout: float) -> ModelMeta | ModelError:
    from huggingface_hub import HfApi, hf_hub_download

    api = HfApi(endpoint=endpoint)
    info = api.model_info(request.model, revision=request.revision, files_metadata=True, timeout=timeout)
    sizes = {s.rfilename: getattr(s, "size", None) for s in (info.siblings or [])}
    commit = getattr(info, "sha", None) or request.revision
    where = f"{endpoint or 'https://huggingface.co'}/{request.model}" + (f" @ {commit}" if commit else "")
    if "config.json" not in sizes:
        gguf = any(name.endswith(".gguf") for name in sizes)
        return ModelError("no-config", f"{request} has no config.json" + (
            " (a GGUF repository: vLLM reads the config of --tokenizer / --hf-config-path)" if gguf else ""))

    def fetch(name: str) -> dict:
        path = hf_hub_download(request.model, name, revision=request.revision, cache_dir=str(cache),
                               endpoint=endpoint, etag_timeout=timeout)
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidJson(f"{name} of {request} is not valid JSON ({shorten(exc)})") from None
        if not isinstance(data, dict):
            raise InvalidJson(f"{name} of {request} is not a JSON object")
        return data

    config = fetch("config.json")
    quant_files = {name: fetch(name) for name in QUANT_DESCRIPTORS if name in sizes}
    meta = ModelMeta(request.model, commit, "hub", config, quant_files, None, None, sorted(sizes), origin=where)
    if meta.vision_config is not None:
        name = next((n for n in PREPROCESSOR_FILES if n in sizes), None)
        meta.preprocessor = preprocessor_of({name: fetch(name)}) if name else None
    index = None
    if INDEX_FILE in sizes:
        try:
            index = fetch(INDEX_FILE)
        except InvalidJson:
            index = None
    meta.weights = _weights_from_listing(sizes, index, getattr(info, "safetensors", None))
    return meta


def _weights_from_listing(sizes: dict[str, int | None], index: dict | None, safetensors) -> WeightInfo | None:
    params = None
    if safetensors is not None:
        raw = getattr(safetensors, "parameters", None)
        if raw is None and isinstance(safetensors, dict):
            raw = safetensors.get("parameters")
        if isinstance(raw, dict) and raw:
            params = {str(k): int(v) for k, v in raw.items()}
    chosen = loaded_shards(sorted(sizes), index)
    if chosen and all(isinstance(sizes.get(n), int) for n in chosen):
        return WeightInfo(sum(sizes[n] for n in chosen), params, "file-sizes")
    total = index_total(index)
    if total:
        return WeightInfo(total, params, "safetensors-index")
    if params:
        known = all(k.upper() in SAFETENSORS_DTYPE_BYTES for k in params)
        total = sum(n * SAFETENSORS_DTYPE_BYTES[k.upper()] for k, n in params.items()) if known else None
        return WeightInfo(total, params, "hub-api")
    return None


