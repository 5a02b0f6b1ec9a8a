"""What is asked of the model stage and what it answers when it cannot: :class:`ModelRequest` (a Hub id with an
optional revision, or a local folder) and :class:`ModelError` (why there is no metadata), with the file names
and constants the readers share.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

INDEX_FILE = "model.safetensors.index.json"
PREPROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
REPO_ID = re.compile(r"^(?:[\w.-]{1,96}/)?[\w.-]{1,96}$")
_TOKEN_LIKE = re.compile(r"hf_[A-Za-z0-9]{8,}")
#: Bytes per element of the safetensors dtypes (to turn a parameter count into bytes).
SAFETENSORS_DTYPE_BYTES = {"F64": 8, "I64": 8, "U64": 8, "F32": 4, "I32": 4, "U32": 4, "F16": 2, "BF16": 2, "I16": 2,
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


class InvalidJson(ValueError):
    pass


def redact(text: str) -> str:
    """Remove any token value from a message (the environment's, and anything shaped like one)."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return _TOKEN_LIKE.sub("hf_***", text)


def shorten(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
