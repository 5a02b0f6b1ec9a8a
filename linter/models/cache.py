"""The Hugging Face hub cache as huggingface_hub lays it out (``models--org--name/snapshots/<commit>/``): the
models a host already has, read without network.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from vllm_lint.models.local import read_folder
from vllm_lint.models.meta import ModelMeta
from vllm_lint.models.request import COMMIT_SHA, ModelError, ModelRequest

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


def from_cache(request: ModelRequest, cache: Path) -> ModelMeta | ModelError | None:
    repo = _repo_cache(cache, request.model)
    if not repo.is_dir():
        return None
    revision = request.revision or "main"
    commit = revision if COMMIT_SHA.match(revision) else None
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
    return read_folder(request.model, commit, "cache", folder, _cached_listing(repo, commit), origin=str(folder))


def _cached_listing(repo: Path, commit: str) -> list[str] | None:
    """The repository's file list, when huggingface_hub >= 2 saved the commit's tree (snapshot_download does)."""
    try:
        data = json.loads((repo / "trees" / f"{commit}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    return sorted(files) if isinstance(files, dict) else None


def cached_ids(cache: Path | None) -> list[str]:
    if cache is None or not cache.is_dir():
        return []
    try:
        return [p.name[len("models--"):].replace("--", "/", 1) for p in cache.iterdir()
                if p.name.startswith("models--") and p.is_dir()]
    except OSError:
        return []


