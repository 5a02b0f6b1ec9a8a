"""Knowledge files: the YAML data shipped in ``vllm_lint.knowledge``, read once each.

The YAML stays the source of truth. Building Python objects from it is the slowest part of a one-file run
(``vllm/envs.yaml`` alone is a quarter of a megabyte), so the parsed content is also kept as a pickle in the
user's cache folder, named by the SHA-256 of the YAML text it came from: a changed file gets a new name and is
parsed again; a cache that cannot be read or written is skipped, never an error. The cache folder is
``$VLLM_LINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/vllm-lint``, else ``~/.cache/vllm-lint``; only files owned by
the user who runs vllm-lint, and not writable by others, are read from it.
"""
from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

CACHE_FORMAT = 1  # bump when what is pickled changes shape
#: the folder of the knowledge files (a plain folder of the installed package)
ROOT = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The file ``knowledge/<name>``."""
    return ROOT / name


def cache_dir() -> Path | None:
    """The folder of vllm-lint's own caches (None when no home can be found)."""
    env = os.environ
    if env.get("VLLM_LINT_CACHE_DIR"):
        return Path(env["VLLM_LINT_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or (os.path.join(os.path.expanduser("~"), ".cache") if "~" != os.path.expanduser("~") else "")
    return Path(base, "vllm-lint") if base else None


@cache
def load(name: str):
    """The parsed content of ``knowledge/<name>`` (e.g. ``vllm/engine.yaml``)."""
    data, key = _read(name)
    return _cached(name, key, "", lambda: _parse(data))


@cache
def load_part(name: str, *path: str):
    """``load(name)[path[0]][path[1]]...`` (None where a key is missing), cached as a pickle of its own: a
    run that needs one release's part of a large file (``vllm/engine_fields.json`` holds every release read)
    unpickles only that part."""
    data, key = _read(name)

    def part():
        value = load(name)
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        return value

    return _cached(name, key, "." + hashlib.sha256("\0".join(path).encode()).hexdigest()[:16], part)


@cache
def load_keys(name: str, *path: str) -> tuple:
    """The keys of the mapping at ``path`` in ``load(name)``, cached like :func:`load_part`."""
    data, key = _read(name)

    def keys():
        value = load(name)
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        return tuple(value) if isinstance(value, dict) else ()

    return _cached(name, key, ".keys-" + hashlib.sha256("\0".join(path).encode()).hexdigest()[:16], keys)


@cache
def _read(name: str) -> tuple[bytes, str]:
    data = path(name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:32]


def _parse(data: bytes):
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(data.decode("utf-8"), Loader=loader)


def _cached(name: str, key: str, part: str, compute):
    """``compute()``, through the pickle named by the file, its content hash and ``part``."""
    folder = cache_dir()
    cached = folder / "knowledge" / f"{name.replace('/', '--')}.{key}{part}.{CACHE_FORMAT}.pickle" if folder else None
    if cached is not None:
        value = _read_pickle(cached)
        if value is not None:
            return value[0]
    value = compute()
    if cached is not None:
        _write_pickle(cached, value)
    return value


def _read_pickle(path: Path):
    """``(value,)`` from a cache file this user owns and only this user can write, else None."""
    import pickle

    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if (hasattr(os, "getuid") and st.st_uid != os.getuid()) or st.st_mode & 0o022:
                return None
            return (pickle.load(f),)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError, ValueError, TypeError):
        return None


def _write_pickle(path: Path, value) -> None:
    """Write atomically (a temporary file renamed over the name); every failure is ignored."""
    import pickle
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
