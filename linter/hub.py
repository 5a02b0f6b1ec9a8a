"""Hub: each launch's model metadata, offline first, with the real ``huggingface_hub`` client.

``resolve(requests)`` answers every :class:`ModelRequest` with a :class:`~vllm_lint.model.ModelMeta`
or a :class:`ModelError`; it never raises for network or HTTP problems and one model failing never
stops the others. Where a model is read from, in order:

1. a local folder (``ModelRequest.local_dir``: the host folder a volume mounts as the model path):
   ``config.json`` and its companions, sizes from the ``*.safetensors`` on disk;
2. the Hugging Face cache (``HF_HUB_CACHE``, else ``HF_HOME``/hub, else ~/.cache/huggingface/hub) —
   the cache vLLM fills, so a host that ran the model needs no network;
3. the snapshot bundled with vllm-lint (``knowledge/models/*.json``), unless ``use_snapshot=False``;
4. the Hub (``HF_ENDPOINT``; ``HF_TOKEN`` or the saved token), unless ``offline`` or
   ``HF_HUB_OFFLINE=1``: ``HfApi.model_info(files_metadata=True)`` for the file list, sizes and
   parameter counts, ``hf_hub_download`` (into the same cache) for ``config.json``, the
   quantization descriptors the listing has, ``preprocessor_config.json`` of vision models and
   ``model.safetensors.index.json``. Models are fetched concurrently, each once.

``huggingface_hub`` is imported only when the Hub is needed: the linter starts fast and runs
without it when everything is cached. Tokens never appear in any message.
"""
from __future__ import annotations

import difflib
import json
import os
import re
import struct
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .model import QUANT_DESCRIPTORS, ModelMeta, WeightInfo

__all__ = ["ModelRequest", "ModelError", "resolve", "snapshot_ids", "snapshot_dir", "load_snapshot",
           "refresh_snapshot", "build_snapshot_from_fixtures", "snapshot_entry", "hub_cache_dir"]

INDEX_FILE = "model.safetensors.index.json"
PREPROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_REPO_ID = re.compile(r"^(?:[\w.-]{1,96}/)?[\w.-]{1,96}$")
_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{8,}")
#: Bytes per element of the safetensors dtypes (to turn a parameter count into bytes).
_DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2,
                "U16": 2, "I8": 1, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1, "F8_E8M0": 1, "E8M0": 1}
#: The preprocessor keys the rules read (image size limits, patching); the rest is dropped from snapshots.
PREPROCESSOR_KEYS = ("image_processor_type", "processor_class", "size", "max_pixels", "min_pixels", "patch_size",
                     "temporal_patch_size", "merge_size", "spatial_merge_size", "crop_size", "image_size",
                     "max_image_size", "max_image_tiles", "max_num_tiles", "num_crops", "image_seq_length",
                     "tokens_per_image", "do_image_splitting", "max_dynamic_patch", "min_dynamic_patch",
                     "use_thumbnail")
_SNAPSHOT_PREPROCESSOR_LIMIT = 2048  # bytes of JSON above which a preprocessor config is trimmed


@dataclass(frozen=True)
class ModelRequest:
    """One model to resolve: a Hub id (with an optional revision), or a local folder."""

    model: str
    revision: str | None = None
    local_dir: Path | None = None  # set for local models, already mapped to a folder of this host

    def __str__(self) -> str:
        return self.model + (f"@{self.revision}" if self.revision else "")


@dataclass
class ModelError:
    """Why a model's metadata could not be had.

    ``kind``: ``not-found`` (no such repository or revision; ``suggestions`` holds close ids from the
    cache and the snapshot), ``gated`` / ``unauthorized`` (a token is needed), ``rate-limited``,
    ``server-error``, ``timeout``, ``network``, ``invalid-json``, ``not-cached`` (offline, and in
    neither the cache nor the snapshot), ``local-missing`` (a local folder without config.json),
    ``no-config`` (a repository without config.json, e.g. GGUF only), ``error`` (anything else).
    """

    kind: str
    message: str
    suggestions: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------- resolve


def resolve(requests: list[ModelRequest], *, offline: bool = False, use_snapshot: bool = True, use_cache: bool = True,
            progress: bool | None = None, max_workers: int = 8,
            timeout: float = 10.0) -> dict[ModelRequest, ModelMeta | ModelError]:
    """Each distinct request's metadata (or why there is none); see the module docstring for the order."""
    offline = offline or _env_offline()
    cache = hub_cache_dir()
    results: dict[ModelRequest, ModelMeta | ModelError] = {}
    pending: list[ModelRequest] = []
    for request in dict.fromkeys(requests):
        try:
            found = _resolve_without_network(request, cache if use_cache else None, use_snapshot)
        except Exception as exc:  # a broken cache entry must not stop the run
            found = ModelError("error", _redact(f"{request.model}: cannot read its metadata: {type(exc).__name__}: {exc}"))
        if found is None:
            if offline:
                found = ModelError("not-cached", f"{request}: offline, and the model is neither in the Hugging Face cache "
                                                 f"({cache}) nor in the metadata bundled with vllm-lint")
            else:
                pending.append(request)
                continue
        results[request] = found
    if pending:
        show = progress if progress is not None else (len(pending) > 3 and _isatty(sys.stderr))
        results.update(_fetch_all(pending, cache, max_workers=max_workers, timeout=timeout, show_progress=show))
    return results


def _resolve_without_network(request: ModelRequest, cache: Path | None, use_snapshot: bool) -> ModelMeta | ModelError | None:
    if request.local_dir is not None:
        return _from_local(request)
    if not _REPO_ID.match(request.model) or ".." in request.model or "--" in request.model:
        return ModelError("not-found", f"{request.model!r} is not a valid Hugging Face model id (organization/name)",
                          _suggest(request.model, cache))
    if cache is not None:
        meta = _from_cache(request, cache)
        if meta is not None:
            return meta
    if use_snapshot:
        return _from_snapshot(request)
    return None


def _env_offline() -> bool:
    return any(os.environ.get(name, "").strip().upper() in ("1", "ON", "YES", "TRUE")
               for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------- local folders


def _from_local(request: ModelRequest) -> ModelMeta | ModelError:
    folder = Path(request.local_dir)
    if folder.is_file():
        if folder.suffix == ".gguf":
            return ModelError("no-config", f"{request.model} is a GGUF file: its config comes from --tokenizer / "
                                           "--hf-config-path, which vllm-lint does not read")
        return ModelError("local-missing", f"{request.model} is a file ({folder}), not a model folder with config.json")
    if not folder.is_dir():
        return ModelError("local-missing", f"{request.model}: the folder {folder} does not exist on this host")
    if not (folder / "config.json").is_file():
        return ModelError("local-missing", f"{request.model}: {folder} has no config.json")
    files = _list_folder(folder)
    return _read_folder(request.model, request.revision, "local", folder, files, origin=str(folder))


def _list_folder(folder: Path, limit: int = 5000) -> list[str]:
    names: list[str] = []
    for root, dirs, filenames in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = Path(root).relative_to(folder)
        for name in sorted(filenames):
            names.append((rel / name).as_posix() if rel.parts else name)
            if len(names) >= limit:
                return names
    return names


def _read_folder(model_id: str, revision: str | None, source: str, folder: Path, files: list[str] | None,
                 origin: str) -> ModelMeta | ModelError:
    """config.json and its companions from a folder (a local model, or a cache snapshot)."""
    loaded: dict[str, dict] = {}
    wanted = ["config.json", *QUANT_DESCRIPTORS, *PREPROCESSOR_FILES, INDEX_FILE]
    for name in wanted:
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            if name == INDEX_FILE:
                continue  # sizes are a bonus: a broken index does not hide the config
            return ModelError("invalid-json", f"{name} of {model_id} is not valid JSON ({_short(exc)})")
        if isinstance(data, dict):
            loaded[name] = data
    if "config.json" not in loaded:
        return ModelError("invalid-json", f"config.json of {model_id} is not a JSON object")
    meta = ModelMeta(model_id, revision, source, loaded["config.json"],
                     {n: loaded[n] for n in QUANT_DESCRIPTORS if n in loaded}, None, None, files, origin=origin)
    if meta.vision_config is not None:
        meta.preprocessor = _preprocessor(loaded)
    meta.weights = _weights_from_folder(folder, loaded.get(INDEX_FILE))
    return meta


def _preprocessor(loaded: dict[str, dict]) -> dict | None:
    if "preprocessor_config.json" in loaded:
        return loaded["preprocessor_config.json"]
    processor = loaded.get("processor_config.json") or {}
    image = processor.get("image_processor")  # transformers 5 folds the image processor into processor_config.json
    return image if isinstance(image, dict) else None


def _weights_from_folder(folder: Path, index: dict | None) -> WeightInfo | None:
    names = sorted(p.name for p in folder.glob("*.safetensors"))
    chosen = _loaded_shards(names, index)
    if chosen and (not index or set(_index_files(index)) <= set(chosen)):
        total = 0
        params: dict[str, int] | None = {}
        for name in chosen:
            path = folder / name
            total += path.stat().st_size  # follows the cache's symlinks to the blobs
            counts = _safetensors_parameters(path)
            if counts is None or params is None:
                params = None
            else:
                for dtype, n in counts.items():
                    params[dtype] = params.get(dtype, 0) + n
        return WeightInfo(total, params or None, "safetensors-header" if params else "file-sizes")
    total = _index_total(index)
    return WeightInfo(total, None, "safetensors-index") if total else None


def _safetensors_parameters(path: Path, max_header: int = 100 * 1024 * 1024) -> dict[str, int] | None:
    """Parameter count per dtype, from a safetensors file's JSON header (the first 8 + N bytes)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
            if len(head) != 8:
                return None
            (length,) = struct.unpack("<Q", head)
            if length > max_header:
                return None
            header = json.loads(fh.read(length))
    except (OSError, ValueError, struct.error):
        return None
    counts: dict[str, int] = {}
    for name, tensor in header.items():
        if name == "__metadata__" or not isinstance(tensor, dict):
            continue
        n = 1
        for dim in tensor.get("shape") or ():
            n *= int(dim)
        dtype = str(tensor.get("dtype"))
        counts[dtype] = counts.get(dtype, 0) + n
    return counts


def _index_files(index: dict | None) -> list[str]:
    weight_map = (index or {}).get("weight_map")
    return sorted(set(weight_map.values())) if isinstance(weight_map, dict) else []


def _index_total(index: dict | None) -> int | None:
    total = ((index or {}).get("metadata") or {}).get("total_size")
    try:
        return int(total) if total else None
    except (TypeError, ValueError):
        return None


def _loaded_shards(names: list[str], index: dict | None) -> list[str]:
    """The root-level *.safetensors vLLM loads: those of the index, else all but Mistral's ``consolidated``
    copies when Hugging Face shards are there too."""
    names = [n for n in names if "/" not in n and n.endswith(".safetensors")]
    in_index = set(_index_files(index))
    if in_index:
        chosen = [n for n in names if n in in_index]
        if chosen:
            return chosen
    plain = [n for n in names if not n.startswith("consolidated")]
    return plain or names


# ---------------------------------------------------------------------------------------- the HF cache


def hub_cache_dir() -> Path:
    """The Hugging Face hub cache, as huggingface_hub computes it (read now, not at import)."""
    env = os.environ
    path = env.get("HF_HUB_CACHE") or env.get("HUGGINGFACE_HUB_CACHE")
    if not path:
        home = env.get("HF_HOME") or os.path.join(env.get("XDG_CACHE_HOME") or os.path.join("~", ".cache"), "huggingface")
        path = os.path.join(home, "hub")
    return Path(os.path.expandvars(os.path.expanduser(path)))


def _repo_cache(cache: Path, model_id: str) -> Path:
    return cache / ("models--" + model_id.replace("/", "--"))


def _from_cache(request: ModelRequest, cache: Path) -> ModelMeta | ModelError | None:
    repo = _repo_cache(cache, request.model)
    if not repo.is_dir():
        return None
    revision = request.revision or "main"
    commit = revision if _COMMIT.match(revision) else None
    if commit is None:
        ref = repo / "refs" / revision
        try:
            commit = ref.read_text().strip() if ref.is_file() else None
        except OSError:
            commit = None
    if not commit:
        return None
    folder = repo / "snapshots" / commit
    if not (folder / "config.json").is_file():
        return None
    return _read_folder(request.model, commit, "cache", folder, _cached_listing(repo, commit), origin=str(folder))


def _cached_listing(repo: Path, commit: str) -> list[str] | None:
    """The repository's file list, when huggingface_hub >= 2 saved the commit's tree (snapshot_download does)."""
    try:
        data = json.loads((repo / "trees" / f"{commit}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    return sorted(files) if isinstance(files, dict) else None


def _cached_ids(cache: Path | None) -> list[str]:
    if cache is None or not cache.is_dir():
        return []
    try:
        return [p.name[len("models--"):].replace("--", "/", 1) for p in cache.iterdir()
                if p.name.startswith("models--") and p.is_dir()]
    except OSError:
        return []


# ---------------------------------------------------------------------------------------- the bundled snapshot


def snapshot_dir() -> Path:
    """knowledge/models/ of the installed package (or of the source tree)."""
    try:
        from importlib import resources

        p = resources.files("vllm_lint.knowledge").joinpath("models")
        if p.is_dir():
            return Path(str(p))
    except Exception:  # pragma: no cover - fall back to the source tree
        pass
    return Path(__file__).resolve().parent.parent / "knowledge" / "models"


def snapshot_file(model_id: str, dest: Path | None = None) -> Path:
    return (dest or snapshot_dir()) / (model_id.replace("/", "--") + ".json")


@lru_cache(maxsize=4)
def _snapshot_index(folder: str) -> dict[str, tuple[str, str]]:
    """lower-cased model id -> (model id, file), for every entry of a snapshot folder."""
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(Path(folder).glob("*.json")):
        try:
            model_id = json.loads(path.read_text(encoding="utf-8")).get("model_id")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(model_id, str):
            out[model_id.lower()] = (model_id, str(path))
    return out


def snapshot_ids() -> list[str]:
    """The model ids whose metadata ships with vllm-lint."""
    return sorted(model_id for model_id, _ in _snapshot_index(str(snapshot_dir())).values())


def load_snapshot(model_id: str, dest: Path | None = None) -> ModelMeta | None:
    """The bundled snapshot entry of ``model_id`` (case-insensitive), or None."""
    path = snapshot_file(model_id, dest)
    if not path.is_file():
        found = _snapshot_index(str(dest or snapshot_dir())).get(model_id.lower())
        if found is None:
            return None
        path = Path(found[1])
    try:
        return ModelMeta.from_snapshot(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _from_snapshot(request: ModelRequest) -> ModelMeta | None:
    meta = load_snapshot(request.model)
    if meta is None:
        return None
    if request.revision not in (None, "main") and request.revision != meta.revision:
        return None  # another revision than the one bundled: only the cache or the Hub know it
    meta.model_id = request.model
    return meta


# ---------------------------------------------------------------------------------------- the Hub


def _fetch_all(requests: list[ModelRequest], cache: Path, *, max_workers: int, timeout: float,
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
                    results[request] = _classify(exc, request, cache)
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
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    was_disabled = are_progress_bars_disabled()
    disable_progress_bars()
    return (lambda: None) if was_disabled else enable_progress_bars


def _fetch_one(request: ModelRequest, cache: Path, endpoint: str | None, timeout: float) -> ModelMeta | ModelError:
    try:
        return _from_hub(request, cache, endpoint, timeout)
    except Exception as exc:
        return _classify(exc, request, cache)


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
            raise _InvalidJson(f"{name} of {request} is not valid JSON ({_short(exc)})") from None
        if not isinstance(data, dict):
            raise _InvalidJson(f"{name} of {request} is not a JSON object")
        return data

    config = fetch("config.json")
    quant_files = {name: fetch(name) for name in QUANT_DESCRIPTORS if name in sizes}
    meta = ModelMeta(request.model, commit, "hub", config, quant_files, None, None, sorted(sizes), origin=where)
    if meta.vision_config is not None:
        name = next((n for n in PREPROCESSOR_FILES if n in sizes), None)
        meta.preprocessor = _preprocessor({name: fetch(name)}) if name else None
    index = None
    if INDEX_FILE in sizes:
        try:
            index = fetch(INDEX_FILE)
        except _InvalidJson:
            index = None
    meta.weights = _weights_from_listing(sizes, index, getattr(info, "safetensors", None))
    return meta


class _InvalidJson(ValueError):
    pass


def _weights_from_listing(sizes: dict[str, int | None], index: dict | None, safetensors) -> WeightInfo | None:
    params = None
    if safetensors is not None:
        raw = getattr(safetensors, "parameters", None)
        if raw is None and isinstance(safetensors, dict):
            raw = safetensors.get("parameters")
        if isinstance(raw, dict) and raw:
            params = {str(k): int(v) for k, v in raw.items()}
    chosen = _loaded_shards(sorted(sizes), index)
    if chosen and all(isinstance(sizes.get(n), int) for n in chosen):
        return WeightInfo(sum(sizes[n] for n in chosen), params, "file-sizes")
    total = _index_total(index)
    if total:
        return WeightInfo(total, params, "safetensors-index")
    if params:
        known = all(k.upper() in _DTYPE_BYTES for k in params)
        total = sum(n * _DTYPE_BYTES[k.upper()] for k, n in params.items()) if known else None
        return WeightInfo(total, params, "hub-api")
    return None


# ---------------------------------------------------------------------------------------- errors


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _classify(exc: BaseException, request: ModelRequest, cache: Path | None) -> ModelError:
    """A ModelError for whatever the client raised (huggingface_hub 0.24 to 2.x: matched by class name)."""
    model = str(request)
    token = _token_in_use()
    for e in _chain(exc):
        names = _names(e)
        if "LocalEntryNotFoundError" in names:
            continue  # "not cached, and the Hub failed": the reason is its cause
        status = _status(e)
        if isinstance(e, _InvalidJson):
            return ModelError("invalid-json", str(e))
        if "GatedRepoError" in names:
            how = ("the token in use (HF_TOKEN or the saved token) has no access: accept the model's terms on the Hub with that account"
                   if token else "set HF_TOKEN to a token of an account that accepted the model's terms")
            return ModelError("gated", f"{model} is a gated repository ({status or 'refused'}): {how}")
        if "RevisionNotFoundError" in names:
            return ModelError("not-found", f"{request.model} has no revision {request.revision!r}")
        if "RepositoryNotFoundError" in names or status in (401, 403, 404):
            if status == 401:
                how = ("the token in use (HF_TOKEN or the saved token) has no access to it" if token
                       else "it does not exist, or it is private or gated and needs a token in HF_TOKEN")
                return ModelError("unauthorized", f"the Hub refused {model} (401): {how}", _suggest(request.model, cache))
            if status == 403:
                how = ("the token in use (HF_TOKEN or the saved token) lacks access" if token
                       else "set HF_TOKEN to a token with access")
                return ModelError("gated", f"the Hub forbids {model} (403): gated or private; {how}")
            return ModelError("not-found", f"{request.model} is not a model on the Hub (404)", _suggest(request.model, cache))
        if "EntryNotFoundError" in names or "RemoteEntryNotFoundError" in names:
            return ModelError("not-found", f"{model}: a file the listing names is missing on the Hub")
        if status == 429:
            return ModelError("rate-limited", f"the Hub rate-limited the request for {model} (429)"
                                              + ("" if token else "; HF_TOKEN raises the limits"))
        if status is not None and status >= 500:
            return ModelError("server-error", f"the Hub failed on {model} ({status})")
        if status is not None and status >= 400:
            return ModelError("error", f"the Hub answered {status} for {model}")
        if "OfflineModeIsEnabled" in names:
            return ModelError("not-cached", f"{model}: offline mode (HF_HUB_OFFLINE) and not cached")
        if any("Timeout" in n for n in names):
            return ModelError("timeout", f"no answer from the Hub for {model} in time")
        if names & {"ConnectError", "ConnectionError", "NetworkError", "ProxyError", "gaierror", "ConnectionRefusedError",
                    "RemoteProtocolError", "ProtocolError"}:
            return ModelError("network", f"cannot reach the Hub for {model}: {_redact(_short(e))}")
        if "JSONDecodeError" in names:
            return ModelError("invalid-json", f"the Hub's answer for {model} is not valid JSON")
        if "HFValidationError" in names:
            return ModelError("not-found", f"{request.model!r} is not a valid Hugging Face model id", _suggest(request.model, cache))
    if "LocalEntryNotFoundError" in _names(exc):
        return ModelError("network", f"cannot reach the Hub for {model}, and it is not cached")
    return ModelError("error", _redact(f"cannot fetch {model}: {type(exc).__name__}: {_short(exc)}"))


def _token_in_use() -> bool:
    if os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"):
        return True
    try:
        from huggingface_hub import get_token

        return get_token() is not None
    except Exception:
        return False


def _redact(text: str) -> str:
    """Remove any token value from a message (the environment's, and anything shaped like one)."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return _TOKEN_LIKE.sub("hf_***", text)


def _short(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _suggest(model_id: str, cache: Path | None) -> list[str]:
    """Close model ids from the HF cache and the bundled snapshot (case-insensitive)."""
    candidates = {c.lower(): c for c in [*_cached_ids(cache), *snapshot_ids()] if c.lower() != model_id.lower()}
    close = difflib.get_close_matches(model_id.lower(), list(candidates), n=3, cutoff=0.75)
    return [candidates[c] for c in close]


# ---------------------------------------------------------------------------------------- writing snapshots


def snapshot_entry(meta: ModelMeta, source: str) -> dict:
    """One knowledge/models/ entry (see knowledge/schemas/model_snapshot.schema.json)."""
    preprocessor = meta.preprocessor
    if preprocessor is not None and len(json.dumps(preprocessor)) > _SNAPSHOT_PREPROCESSOR_LIMIT:
        preprocessor = {k: preprocessor[k] for k in PREPROCESSOR_KEYS if k in preprocessor}
    return {
        "model_id": meta.model_id,
        "revision": meta.revision,
        "source": source,
        "config": meta.config,
        "quant_files": meta.quant_files,
        "preprocessor": preprocessor,
        "weights": meta.weights.to_dict() if meta.weights is not None else None,
        "files": meta.files,
    }


def write_snapshot_entry(entry: dict, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    path = snapshot_file(entry["model_id"], dest)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(entry, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    _snapshot_index.cache_clear()
    return path


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


def build_snapshot_from_fixtures(fixtures_dir: Path, dest: Path) -> list[str]:
    """Write one snapshot entry per ``<org>/<name>/config.json`` under ``fixtures_dir`` (real files copied
    from the Hub, with their provenance in SOURCES.md and optional weights.json); returns the model ids."""
    fixtures_dir = Path(fixtures_dir)
    sources = _fixture_sources(fixtures_dir)
    written = []
    for config in sorted(fixtures_dir.glob("*/*/config.json")):
        folder = config.parent
        model_id = f"{folder.parent.name}/{folder.name}"
        fixture = read_fixture(folder, model_id)
        if isinstance(fixture, ModelError):
            raise ValueError(f"fixture {model_id}: {fixture.message}")
        source = sources.get(model_id.lower()) or f"tests/fixtures/hf/{model_id}"
        write_snapshot_entry(snapshot_entry(fixture, source), Path(dest))
        written.append(model_id)
    return written


def read_fixture(folder: Path, model_id: str) -> ModelMeta | ModelError:
    """A fixture folder as a ModelMeta: its JSON files, and weights.json (``total_size``, ``parameters``,
    ``files``, ``revision``) for what the folder cannot hold."""
    extra = {}
    if (folder / "weights.json").is_file():
        extra = json.loads((folder / "weights.json").read_text(encoding="utf-8"))
    revision = extra.get("revision") or extra.get("sha")
    files = extra.get("files") if isinstance(extra.get("files"), list) else None
    meta = _read_folder(model_id, revision, "local", folder, files, origin=str(folder))
    if isinstance(meta, ModelError):
        return meta
    total = extra.get("total_size")
    params = extra.get("parameters") if isinstance(extra.get("parameters"), dict) else None
    if total or params:
        basis = str(extra.get("basis") or ("safetensors-index" if "index" in str(extra.get("source", "")).lower()
                                           else "hub-api" if params and not total else "file-sizes"))
        meta.weights = WeightInfo(int(total) if total else None, params, basis)
    return meta


def _fixture_sources(fixtures_dir: Path) -> dict[str, str]:
    """lower-cased model id -> the SOURCES.md line (top level or per model) that names it."""
    out: dict[str, str] = {}
    for sources in [fixtures_dir / "SOURCES.md", *sorted(fixtures_dir.glob("*/*/SOURCES.md"))]:
        if not sources.is_file():
            continue
        own = None if sources.parent == fixtures_dir else f"{sources.parent.parent.name}/{sources.parent.name}"
        for line in sources.read_text(encoding="utf-8").splitlines():
            text = line.strip().lstrip("-*# ").strip()
            if not text:
                continue
            if own is not None:
                out.setdefault(own.lower(), text)
                if "huggingface.co" in text or "http" in text:
                    out[own.lower()] = text
                    break
                continue
            for model_id in re.findall(r"([\w.-]+/[\w.-]+)", text):
                out.setdefault(model_id.lower(), text)
    return out


# ---------------------------------------------------------------------------------------- stand-ins for the estimate

#: A quantized checkpoint's name: its base model's name and a suffix naming the quantization.
_QUANTIZED_NAME = re.compile(
    r"^(?P<base>.+?)[-_.](?P<tag>fp8(?:[-_](?:dynamic|static|block))?|awq(?:[-_]?(?:4|8)[-_]?bit)?|"
    r"gptq(?:[-_]?int[48])?|int[48]|w4a16|w8a8|w8a16)$", re.IGNORECASE)


def quantization_in_name(model_id: str) -> tuple[str, str, int] | None:
    """(base model name, method, weight bits) that a quantized checkpoint's name states, e.g.
    ``Qwen/Qwen3-VL-32B-Instruct-FP8`` -> (``Qwen3-VL-32B-Instruct``, ``fp8``, 8)."""
    name = model_id.rsplit("/", 1)[-1]
    m = _QUANTIZED_NAME.match(name)
    if m is None:
        return None
    tag = m["tag"].lower()
    bits = 8 if ("8" in tag and not tag.startswith("w4")) or tag.startswith("fp8") else 4
    method = "fp8" if tag.startswith("fp8") else "awq" if tag.startswith("awq") else "gptq" if tag.startswith(("gptq", "int")) \
        else "compressed-tensors"
    return m["base"], method, bits


def stand_in(model_id: str) -> tuple[ModelMeta, str, int] | None:
    """Metadata to estimate memory with when a quantized checkpoint's own is not available: its base
    model's (same name without the quantization suffix, from the cache or the bundled snapshot; the
    same organization first), with the method and weight bits its name states. Never the network."""
    if quantization_in_name(model_id) is None:
        return None
    cache = hub_cache_dir()
    try:  # the answer changes only when the cache does (a model downloaded meanwhile)
        cache_state = cache.stat().st_mtime_ns if cache is not None else None
    except OSError:
        cache_state = None
    return _stand_in(model_id, cache, cache_state)


@lru_cache(maxsize=256)
def _stand_in(model_id: str, cache: Path | None, cache_state: int | None) -> tuple[ModelMeta, str, int] | None:
    base, method, bits = quantization_in_name(model_id)
    org = model_id.split("/", 1)[0] if "/" in model_id else ""
    known = sorted({*snapshot_ids(), *_cached_ids(cache)}, key=lambda i: (i.split("/", 1)[0].lower() != org.lower(), i))
    for candidate in known:
        if candidate.rsplit("/", 1)[-1].lower() != base.lower() or quantization_in_name(candidate):
            continue
        try:
            meta = _resolve_without_network(ModelRequest(candidate), cache, True)
        except Exception:  # a broken cache entry: try the next
            continue
        if isinstance(meta, ModelMeta) and not meta.quant_method:
            return meta, method, bits
    return None
