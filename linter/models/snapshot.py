"""The model metadata bundled with vllm-lint (``knowledge/models/<org>--<name>.json``, schema
``knowledge/schemas/model_snapshot.schema.json``): reading entries, and writing them from fixtures or a fetch.
"""
from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path

from vllm_lint.models.local import read_folder
from vllm_lint.models.meta import ModelMeta, WeightInfo
from vllm_lint.models.request import (
    _SNAPSHOT_PREPROCESSOR_LIMIT,
    PREPROCESSOR_KEYS,
    ModelError,
    ModelRequest,
)

# ---------------------------------------------------------------------------------------- the bundled snapshot


def snapshot_dir() -> Path:
    """knowledge/models/ of the installed package (or of the source tree)."""
    from vllm_lint.knowledge import path

    return path("models")


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


def from_snapshot(request: ModelRequest) -> ModelMeta | None:
    meta = load_snapshot(request.model)
    if meta is None:
        return None
    if request.revision not in (None, "main") and request.revision != meta.revision:
        return None  # another revision than the one bundled: only the cache or the Hub know it
    meta.model_id = request.model
    return meta


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
    meta = read_folder(model_id, revision, "local", folder, files, origin=str(folder))
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


