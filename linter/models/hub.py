"""The Hugging Face Hub through the real ``huggingface_hub`` client (imported on the first fetch):
``HfApi.model_info(files_metadata=True)`` for the file list, sizes and parameter counts, ``hf_hub_download``
(into the shared cache) for ``config.json``, the quantization descriptors the listing has, the preprocessor
config of vision models and ``model.safetensors.index.json``.
"""
from __future__ import annotations

import inspect
import json
import logging
import os
import queue
import sys
import threading
import time
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


#: Default deadlines: each model (every call it needs, retries included) and the whole run's fetching.
MODEL_DEADLINE_S = 20.0
RUN_DEADLINE_S = 60.0


def fetch_all(requests: list[ModelRequest], cache: Path, *, max_workers: int, timeout: float,
              show_progress: bool, deadline: float = MODEL_DEADLINE_S,
              run_deadline: float = RUN_DEADLINE_S) -> dict[ModelRequest, ModelMeta | ModelError]:
    """Fetch ``requests`` concurrently, each within ``deadline`` seconds and all within ``run_deadline``.

    The deadlines hold whatever the Hub does (answers after minutes, a body drip-fed a byte at a time, resets):
    each model is fetched in a daemon worker thread that is waited for no longer than its deadline (a worker
    still blocked in the client is abandoned; it never delays the exit), and the client's own per-request
    timeout and retries are cut to fit (``timeout`` per request, one retry, see :func:`_client_settings`).
    huggingface_hub's warnings ("Trying to resume download…", "Retrying in 1s") stay off stderr: the last one of
    each model says why it failed (a reset is a reset, not "no answer in time")."""
    results: dict[ModelRequest, ModelMeta | ModelError] = {}
    endpoint = (os.environ.get("HF_ENDPOINT") or "").strip().rstrip("/") or None
    try:
        restore = _quiet_hub()
    except ImportError:
        return {r: ModelError("error", "huggingface_hub is not installed: pip install huggingface-hub") for r in requests}
    started = time.monotonic()
    run_end = started + max(0.0, run_deadline)
    per_request = max(0.1, min(timeout, deadline))
    answers: queue.Queue = queue.Queue()
    pending = list(requests)
    running: dict[ModelRequest, tuple[threading.Thread, float]] = {}  # request -> (worker, its deadline)
    done = 0

    def report() -> None:
        if show_progress:
            sys.stderr.write(f"\rvllm-lint: model metadata {done}/{len(requests)}")
            sys.stderr.flush()

    def start(request: ModelRequest) -> None:
        worker = threading.Thread(target=_work, args=(request, cache, endpoint, per_request, answers),
                                  name=f"vllm-lint-hub {request}", daemon=True)
        running[request] = (worker, min(time.monotonic() + deadline, run_end))
        worker.start()

    undo_client = _client_settings(per_request)
    try:
        report()
        while pending or running:
            while pending and len(running) < max(1, max_workers) and time.monotonic() < run_end:
                start(pending.pop(0))
            if not running:  # the run's deadline came before these were started
                for request in pending:
                    results[request] = _late(request, run_deadline, run=True)
                pending = []
                break
            wait = max(0.0, min(end for _, end in running.values()) - time.monotonic())
            try:
                request, answer = answers.get(timeout=wait)
            except queue.Empty:
                now = time.monotonic()
                for request, (_, end) in list(running.items()):
                    if now >= end:  # abandoned: the worker is a daemon, the answer it may still give is dropped
                        del running[request]
                        results[request] = _late(request, deadline if end < run_end else run_deadline,
                                                 run=end >= run_end, last=_LAST_WARNING.get(str(request)))
                        done += 1
                        report()
                continue
            if request in running:
                del running[request]
                results[request] = answer
                done += 1
                report()
    finally:
        undo_client()
        restore()
        if show_progress:
            sys.stderr.write("\n")
            sys.stderr.flush()
    return results


def _work(request: ModelRequest, cache: Path, endpoint: str | None, timeout: float, answers: queue.Queue) -> None:
    _CURRENT.model = str(request)
    try:
        answers.put((request, _fetch_one(request, cache, endpoint, timeout)))
    except BaseException as exc:  # noqa: BLE001 - a worker must always answer
        answers.put((request, classify_failure(exc, request, cache)))


def _late(request: ModelRequest, seconds: float, run: bool, last: str | None = None) -> ModelError:
    """The answer for a model the deadline cut: a reset if the client's last warning was one."""
    what = f"the run's {seconds:g} s for the Hub" if run else f"{seconds:g} s (--hub-timeout)"
    if last and _is_reset_text(last):
        return ModelError("connection-reset", f"the Hub reset the connection for {request} (and gave no answer within {what})")
    return ModelError("timeout", f"no answer from the Hub for {request} within {what}")


def _is_reset_text(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in ("reset by peer", "connection reset", "server disconnected",
                                            "peer closed connection", "connection aborted", "remoteprotocolerror"))


_CURRENT = threading.local()  # the model a worker thread fetches (for the warnings it logs)
_LAST_WARNING: dict[str, str] = {}


class _HubWarnings(logging.Handler):
    """Keeps huggingface_hub's warnings ("Trying to resume download…") off stderr, remembering each model's last."""

    def emit(self, record: logging.LogRecord) -> None:
        model = getattr(_CURRENT, "model", None)
        if model is not None:
            try:
                _LAST_WARNING[model] = record.getMessage()
            except Exception:  # noqa: BLE001 - logging must never fail a fetch
                pass


_HANDLER = _HubWarnings()


def _quiet_hub():
    """Silence huggingface_hub's progress bars and warnings while fetching; returns how to undo it. The warnings
    stay silenced for the rest of the run when a worker was abandoned (it may still log)."""
    from huggingface_hub.utils import (
        are_progress_bars_disabled,
        disable_progress_bars,
        enable_progress_bars,
    )

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    hub_logger = logging.getLogger("huggingface_hub")
    saved = (list(hub_logger.handlers), hub_logger.propagate)
    hub_logger.handlers = [_HANDLER]
    hub_logger.propagate = False

    def undo() -> None:
        if not was_disabled:
            enable_progress_bars()
        if not any(t.name.startswith("vllm-lint-hub ") and t.is_alive() for t in threading.enumerate()):
            hub_logger.handlers, hub_logger.propagate = saved

    return undo


def _client_settings(per_request: float):
    """Fit huggingface_hub's own timeout and retries to the deadlines while fetching (its defaults: 10 s per
    request, 5 retries of each call, 5 resumes of each download: minutes for one file): the per-request timeout,
    one retry, one resume. Returns how to undo it."""
    undo = []
    try:
        from huggingface_hub import constants, file_download
        from huggingface_hub.utils import _http
    except ImportError:
        return lambda: None
    for name in ("HF_HUB_DOWNLOAD_TIMEOUT", "HF_HUB_ETAG_TIMEOUT"):
        if hasattr(constants, name):
            old = getattr(constants, name)
            setattr(constants, name, per_request)
            undo.append(lambda name=name, old=old: setattr(constants, name, old))
    for function, key, value in ((getattr(_http, "_http_backoff_base", None), "max_retries", 1),
                                 (getattr(_http, "http_backoff", None), "max_retries", 1),
                                 (getattr(_http, "http_stream_backoff", None), "max_retries", 1),
                                 (getattr(file_download, "http_get", None), "_nb_retries", 1)):
        function = inspect.unwrap(function) if function is not None else None  # under its decorators
        defaults = getattr(function, "__kwdefaults__", None)
        if defaults and key in defaults:
            old = defaults[key]
            defaults[key] = value
            undo.append(lambda defaults=defaults, key=key, old=old: defaults.__setitem__(key, old))
    return lambda: [u() for u in reversed(undo)]


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
    gated = getattr(info, "gated", None)
    meta.gated = gated if gated in (False, "auto", "manual") else None
    if "tokenizer_config.json" in sizes:
        from vllm_lint.models.lock import tokenizer_info

        meta.tokenizer = tokenizer_info(meta, fetch=lambda name: Path(hf_hub_download(
            request.model, name, revision=request.revision, cache_dir=str(cache), endpoint=endpoint,
            etag_timeout=timeout)))
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


