"""A model folder on this host (a volume's host side, or a test fixture): ``config.json`` and its companions, and
the weights' sizes from the ``*.safetensors`` files (their headers give the parameter count per dtype).
"""
from __future__ import annotations

import json
import os
import struct
from pathlib import Path

from vllm_lint.models.meta import QUANT_DESCRIPTORS, ModelMeta, WeightInfo
from vllm_lint.models.request import (
    INDEX_FILE,
    PREPROCESSOR_FILES,
    ModelError,
    ModelRequest,
    shorten,
)

# ---------------------------------------------------------------------------------------- local folders


def from_local(request: ModelRequest) -> ModelMeta | ModelError:
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
    return read_folder(request.model, request.revision, "local", folder, files, origin=str(folder))


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


def read_folder(model_id: str, revision: str | None, source: str, folder: Path, files: list[str] | None,
                 origin: str) -> ModelMeta | ModelError:
    """config.json and its companions from a folder (a local model, or a cache snapshot)."""
    loaded: dict[str, dict] = {}
    wanted = ["config.json", *QUANT_DESCRIPTORS, *PREPROCESSOR_FILES, INDEX_FILE]
    for name in wanted:
        path = folder / name
        if not path.is_file():
            continue
        from vllm_lint.sources.source_file import UnreadableFile, read_bytes

        try:  # at most 10 MiB: a config.json is a few KiB (a folder of the tree may hold anything)
            data = json.loads(read_bytes(path).decode("utf-8"))
        except UnreadableFile as exc:
            if name == INDEX_FILE:
                continue
            return ModelError("invalid-json", f"{name} of {model_id} cannot be read ({exc.message})")
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            if name == INDEX_FILE:
                continue  # sizes are a bonus: a broken index does not hide the config
            return ModelError("invalid-json", f"{name} of {model_id} is not valid JSON ({shorten(exc)})")
        if isinstance(data, dict):
            loaded[name] = data
    if "config.json" not in loaded:
        return ModelError("invalid-json", f"config.json of {model_id} is not a JSON object")
    meta = ModelMeta(model_id, revision, source, loaded["config.json"],
                     {n: loaded[n] for n in QUANT_DESCRIPTORS if n in loaded}, None, None, files, origin=origin)
    if meta.vision_config is not None:
        meta.preprocessor = preprocessor_of(loaded)
    meta.weights = _weights_from_folder(folder, loaded.get(INDEX_FILE))
    if (folder / "tokenizer_config.json").is_file():
        from vllm_lint.models.lock import tokenizer_info

        info = tokenizer_info(meta, folder)
        # a cache snapshot holds only the files someone downloaded: without the repository's listing, a missing
        # chat_template.jinja beside a template-less tokenizer_config.json says nothing
        unknown = info and info["chat_template"] is False and files is None and source == "cache"
        meta.tokenizer = None if unknown else info
    return meta


def preprocessor_of(loaded: dict[str, dict]) -> dict | None:
    if "preprocessor_config.json" in loaded:
        return loaded["preprocessor_config.json"]
    processor = loaded.get("processor_config.json") or {}
    image = processor.get("image_processor")  # transformers 5 folds the image processor into processor_config.json
    return image if isinstance(image, dict) else None


def _weights_from_folder(folder: Path, index: dict | None) -> WeightInfo | None:
    names = sorted(p.name for p in folder.glob("*.safetensors"))
    chosen = loaded_shards(names, index)
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
    total = index_total(index)
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


def index_total(index: dict | None) -> int | None:
    total = ((index or {}).get("metadata") or {}).get("total_size")
    try:
        return int(total) if total else None
    except (TypeError, ValueError):
        return None


def loaded_shards(names: list[str], index: dict | None) -> list[str]:
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


