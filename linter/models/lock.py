"""The models lock: the metadata of every model a repository's launches use, written into the repository
(``.vllm-lint/models.lock``, schema ``linter/schemas/models_lock.schema.json``) by ``vllm-lint models lock``, so
that CI and pre-commit hooks check the team's own models (private, gated, community checkpoints, local folders
on the serving host) offline.

Runs read it before anything else: a launch whose model (and ``--revision``) is in the nearest lock above its
file gets the locked metadata (``ModelMeta.source == "lock"``) without looking at local folders, the HF cache,
the bundled snapshot or the Hub. :func:`check_lock` says which launches the lock does not cover.

One entry per model and revision asked for (``Qwen/Qwen3-8B``, ``Qwen/Qwen3-8B@v1.0``, ``/models/mine``): the
commit its files belong to, where they were read, when, ``config.json``, the quantization descriptors, the
preprocessor config of vision models, whether the tokenizer has a chat template, the weights' sizes, the
repository's file names and the launches that use it.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from vllm_lint.models.meta import QUANT_DESCRIPTORS, ModelMeta, WeightInfo
from vllm_lint.models.request import COMMIT_SHA, ModelError, ModelRequest, redact, shorten
from vllm_lint.sources.realpath import resolved

LOCK_DIR = ".vllm-lint"
LOCK_NAME = "models.lock"
LOCK_VERSION = 1
TOKENIZER_FILES = ("tokenizer_config.json",)
CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")


class LockError(Exception):
    """A lock file that cannot be read or does not follow the schema."""


# ---------------------------------------------------------------------------------------- keys


def entry_key(model: str, revision: str | None) -> str:
    """``model`` or ``model@revision``: how the lock names an entry."""
    return model + (f"@{revision}" if revision else "")


def _is_path(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~", "\\\\")) or (len(model) > 2 and model[1] == ":")


def _norm(model: str) -> str:
    """Hub ids compare case-insensitively, as the Hub does; paths exactly."""
    return model if _is_path(model) else model.lower()


def launch_key(d, request) -> tuple[str, str | None] | None:
    """(model, revision) a launch asks for, as the lock names it; None when not known before run time.

    ``request`` is what :func:`vllm_lint.engine.model_request` made of the launch: a ModelRequest, or None for
    a local path not readable on this host (the lock is how such a launch gets metadata at all)."""
    if request is not None and request != "unmounted":
        return request.model, request.revision
    model = d.model
    if not model or "$" in model or any(v.value is None for v in (d.model_arg.variables if d.model_arg else ())):
        return None
    if not _is_path(model):
        return None
    return model, d.value("revision")


# ---------------------------------------------------------------------------------------- reading


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads((Path(__file__).resolve().parent.parent / "schemas" / "models_lock.schema.json").read_text())


@dataclass
class ModelsLock:
    path: Path
    data: dict
    root: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = lock_root(self.path)

    @classmethod
    def load(cls, path: Path) -> ModelsLock:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise LockError(f"cannot read {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise LockError(f"{path} is not valid JSON ({shorten(exc)})") from None
        from vllm_lint.schema_check import validate

        errors = validate(schema(), data)
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
            raise LockError(f"{path} does not follow the models lock schema at {where}: {errors[0].message}")
        return cls(Path(path), data)

    @property
    def entries(self) -> dict[str, dict]:
        return self.data.get("models") or {}

    @property
    def generated(self) -> str | None:
        return self.data.get("generated")

    def entries_of(self, model: str) -> list[dict]:
        key = _norm(model)
        return [e for e in self.entries.values() if _norm(e["model"]) == key]

    def find(self, model: str, revision: str | None) -> dict | None:
        """The entry for ``model`` at ``revision``: the same revision asked for, or (a commit asked for) the
        entry whose files are that commit. None when the lock holds no such revision."""
        for entry in self.entries_of(model):
            if (entry.get("revision") or None) == (revision or None):
                return entry
        if revision and COMMIT_SHA.match(revision):
            for entry in self.entries_of(model):
                if entry.get("commit") == revision:
                    return entry
        return None

    def meta(self, entry: dict, model: str | None = None) -> ModelMeta:
        where = self.display()
        return ModelMeta(
            model_id=model or entry["model"],
            revision=entry.get("commit") or entry.get("revision"),
            source="lock",
            config=dict(entry["config"]),
            quant_files={k: v for k, v in (entry.get("quant_files") or {}).items() if isinstance(v, dict)},
            preprocessor=entry.get("preprocessor") if isinstance(entry.get("preprocessor"), dict) else None,
            weights=WeightInfo.from_dict(entry.get("weights")),
            files=list(entry["files"]) if isinstance(entry.get("files"), list) else None,
            origin=f"{where}, locked {entry.get('locked_at', '?')} from {entry.get('origin') or entry.get('source')}",
            tokenizer=dict(entry["tokenizer"]) if isinstance(entry.get("tokenizer"), dict) else None,
            gated=entry.get("gated") if entry.get("gated") in (False, "auto", "manual") else None,
        )

    def display(self) -> str:
        try:
            return os.path.relpath(self.path)
        except ValueError:  # another drive (Windows)
            return str(self.path)


def lock_root(path: Path) -> Path:
    """The folder a lock belongs to: the parent of ``.vllm-lint/``."""
    path = Path(path).resolve()
    return path.parent.parent if path.parent.name == LOCK_DIR else path.parent


def lock_path_in(folder: Path) -> Path:
    return Path(folder) / LOCK_DIR / LOCK_NAME


def find_lock(start: Path) -> Path | None:
    """The nearest ``.vllm-lint/models.lock`` in ``start`` (a folder, or a file's folder) or above it."""
    start = Path(start).resolve()
    if not start.is_dir():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = lock_path_in(folder)
        if candidate.is_file():
            return candidate
    return None


class LockFinder:
    """The lock nearest each launch's file, each read once per run; what could not be read, said once."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, Path | None] = {}
        self._locks: dict[Path, ModelsLock | None] = {}
        self.problems: list[str] = []
        self.used: dict[Path, int] = {}

    def lock_for(self, file: Path) -> ModelsLock | None:
        folder = resolved(file).parent
        if folder not in self._by_folder:
            self._by_folder[folder] = find_lock(folder)
        path = self._by_folder[folder]
        if path is None:
            return None
        if path not in self._locks:
            try:
                self._locks[path] = ModelsLock.load(path)
            except LockError as exc:
                self._locks[path] = None
                self.problems.append(f"{exc}: the lock was not used (`vllm-lint models lock` rewrites it)")
        return self._locks[path]

    def lookup(self, d, request, file: Path | None) -> ModelMeta | None:
        """The locked metadata of a launch's model, or None (no lock, or not in it)."""
        if file is None:
            return None
        key = launch_key(d, request)
        if key is None:
            return None
        lock = self.lock_for(file)
        if lock is None:
            return None
        entry = lock.find(*key)
        if entry is None:
            return None
        self.used[lock.path] = self.used.get(lock.path, 0) + 1
        return lock.meta(entry, key[0])

    def notes(self) -> list[str]:
        out = list(self.problems)
        for path, n in sorted(self.used.items()):
            lock = self._locks.get(path)
            when = f", locked {lock.generated}" if lock is not None and lock.generated else ""
            out.append(f"model metadata of {n} launch(es) read from the models lock "
                       f"{lock.display() if lock else path}{when}")
        return out


# ---------------------------------------------------------------------------------------- writing


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def config_sha256(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def entry_of(meta: ModelMeta, model: str, revision: str | None, tokenizer: dict | None, used_by: list[str],
             locked_at: str) -> dict:
    """One lock entry (see linter/schemas/models_lock.schema.json)."""
    commit = meta.revision if meta.revision and COMMIT_SHA.match(meta.revision) else None
    return {
        "model": model,
        "revision": revision,
        "commit": commit,
        "source": meta.source,
        "origin": redact(meta.origin or meta.source),
        "locked_at": locked_at,
        "config_sha256": config_sha256(meta.config),
        "config": meta.config,
        "quant_files": {k: v for k, v in meta.quant_files.items() if k in QUANT_DESCRIPTORS},
        "preprocessor": meta.preprocessor,
        "tokenizer": tokenizer,
        "gated": meta.gated if meta.gated in (False, "auto", "manual") else None,
        "weights": meta.weights.to_dict() if meta.weights is not None else None,
        "files": sorted(set(meta.files)) if meta.files else None,
        "used_by": sorted(set(used_by)),
    }


def tokenizer_info(meta: ModelMeta, folder: Path | None = None, fetch=None) -> dict | None:
    """Whether the tokenizer has a chat template, from tokenizer_config.json (read from ``folder``, or got
    with ``fetch(name) -> Path``) and the chat_template.jinja / .json files; None when nothing says. With
    ``tool_format`` when the template's text writes a known tool-call format (``tool_formats`` of
    ``knowledge/vllm/parsers.yaml``): what VLL208 tells the model family by first."""
    files = set(meta.files or ())
    separate = sorted(files & set(CHAT_TEMPLATE_FILES))
    config = None
    path = None
    if folder is not None and (Path(folder) / "tokenizer_config.json").is_file():
        path = Path(folder) / "tokenizer_config.json"
        separate = separate or [n for n in CHAT_TEMPLATE_FILES if (Path(folder) / n).is_file()]
    elif fetch is not None and "tokenizer_config.json" in files:
        try:
            path = fetch("tokenizer_config.json")
        except Exception:  # the lock records what could be read; the config is what matters
            path = None
    if path is not None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            config = data if isinstance(data, dict) else None
        except (OSError, UnicodeDecodeError, ValueError):
            config = None
    if config is not None:
        template = config.get("chat_template")
        info = {"chat_template": bool(template) or bool(separate),
                "from": "tokenizer_config.json" if template else (separate[0] if separate else "tokenizer_config.json"),
                "tokenizer_class": config.get("tokenizer_class") if isinstance(config.get("tokenizer_class"), str) else None}
        return _with_tool_format(info, [*_templates_in(config), *_template_files(separate, folder, fetch)])
    if separate:
        return _with_tool_format({"chat_template": True, "from": separate[0], "tokenizer_class": None},
                                 _template_files(separate, folder, fetch))
    if meta.files is not None and "tokenizer_config.json" not in files:
        return {"chat_template": False, "from": "no tokenizer_config.json in the repository", "tokenizer_class": None}
    return None


def _templates_in(config: dict) -> list[str]:
    """tokenizer_config.json's chat_template: one text, or a list of named templates ("default", "tool_use")."""
    template = config.get("chat_template")
    if isinstance(template, str):
        return [template]
    if isinstance(template, list):
        return [t["template"] for t in template if isinstance(t, dict) and isinstance(t.get("template"), str)]
    return []


def _template_files(names: list[str], folder: Path | None, fetch) -> list[str]:
    """The texts of chat_template.jinja / chat_template.json, read from ``folder`` or got with ``fetch``."""
    from vllm_lint.sources.source_file import UnreadableFile, read_text

    if folder is None and fetch is None:
        return []
    texts = []
    for name in names:
        try:
            path = Path(folder) / name if folder is not None else Path(fetch(name))
        except Exception:  # the Hub could not give it: it says nothing of the format, the rest stays
            continue
        try:
            text = read_text(path)
            if name.endswith(".json"):
                data = json.loads(text)
                text = data.get("chat_template") if isinstance(data, dict) else None
        except (UnreadableFile, OSError, ValueError):
            continue
        if isinstance(text, str):
            texts.append(text)
    return texts


def _with_tool_format(info: dict, templates: list[str]) -> dict:
    """``info`` with ``tool_format`` when the templates' text writes one known tool-call format."""
    from vllm_lint.vllm.support import tool_format_of

    fmt = tool_format_of("\n".join(templates)) if templates else None
    return {**info, "tool_format": fmt} if fmt else info


def _hub_fetcher(meta: ModelMeta, request: ModelRequest, cache: Path):
    def fetch(name: str) -> Path:
        from huggingface_hub import hf_hub_download

        endpoint = (os.environ.get("HF_ENDPOINT") or "").strip().rstrip("/") or None
        return Path(hf_hub_download(request.model, name, revision=meta.revision or request.revision,
                                    cache_dir=str(cache), endpoint=endpoint, etag_timeout=10))
    return fetch


@dataclass
class LockLine:
    """What ``models lock`` did with one model: ``locked``, ``kept`` (the previous entry: cannot be read now)
    or ``failed``, and why."""

    key: str
    status: str
    message: str


def build_lock(project, *, offline: bool = False, previous: ModelsLock | None = None, root: Path | None = None,
               now: str | None = None) -> tuple[dict, list[LockLine]]:
    """The lock of every model the launches of ``project`` use (a Project loaded without model resolution).

    Online, each Hub model is read from the Hub (its current commit, not what the cache happens to hold); where
    the Hub cannot answer, the HF cache and the bundled snapshot. Offline: local folders, the cache, the snapshot.
    A model that cannot be read now keeps its previous entry."""
    from vllm_lint.engine import model_request
    from vllm_lint.models.cache import hub_cache_dir
    from vllm_lint.models.resolve import resolve

    root = Path(root or Path.cwd()).resolve()
    now = now or now_utc()
    lines: list[LockLine] = []
    wanted: dict[str, tuple[str, str | None, ModelRequest | None]] = {}
    used_by: dict[str, list[str]] = {}
    for d in project.deployments:
        request = model_request(d)
        where = _where(project, d, root)
        if request == "unmounted":
            lines.append(LockLine(d.model or "?", "failed", f"{where}: {d.model} is a local path that no volume mounts"))
            continue
        key = launch_key(d, request)
        if key is None:
            if d.model:
                lines.append(LockLine(d.model, "skipped", f"{where}: the model is known only at run time ({d.model})"))
            continue
        name = entry_key(*key)
        wanted.setdefault(name, (key[0], key[1], request if isinstance(request, ModelRequest) else None))
        used_by.setdefault(name, []).append(where)
    hub = [r for _, _, r in wanted.values() if r is not None and r.local_dir is None]
    local = [r for _, _, r in wanted.values() if r is not None and r.local_dir is not None]
    results: dict[ModelRequest, ModelMeta | ModelError] = {}
    if local:
        results.update(resolve(local, offline=True))
    if hub:
        if offline:
            results.update(resolve(hub, offline=True))
        else:
            results.update(resolve(hub, use_cache=False, use_snapshot=False))
            retry = [r for r in hub if isinstance(results.get(r), ModelError) and results[r].kind not in ("not-found", "no-config")]
            if retry:
                again = resolve(retry, offline=True)
                for r in retry:
                    if isinstance(again.get(r), ModelMeta):
                        lines.append(LockLine(entry_key(r.model, r.revision), "note",
                                              f"the Hub could not answer ({results[r].message}): locked from "
                                              f"{again[r].source} instead"))
                        results[r] = again[r]
    cache = hub_cache_dir()
    models: dict[str, dict] = {}
    for name, (model, revision, request) in sorted(wanted.items()):
        result = results.get(request) if request is not None else ModelError(
            "local-missing", f"{model} is a path on the serving host, not readable here")
        if isinstance(result, ModelMeta):
            folder = request.local_dir if result.source == "local" else (
                Path(result.origin) if result.source == "cache" and result.origin else None)
            fetch = _hub_fetcher(result, request, cache) if result.source == "hub" else None
            tokenizer = result.tokenizer if result.source == "hub" and result.tokenizer is not None else \
                tokenizer_info(result, folder, fetch)
            models[name] = entry_of(result, model, revision, tokenizer, used_by[name], now)
            commit = models[name]["commit"]
            lines.append(LockLine(name, "locked", f"from {_SOURCE_TEXT.get(result.source, result.source)}"
                                                  + (f" at {commit}" if commit else " (no commit recorded)")))
            continue
        old = previous.find(model, revision) if previous is not None else None
        if old is not None:
            models[name] = {**old, "used_by": sorted(set(used_by[name]))}
            lines.append(LockLine(name, "kept", f"the previous entry (locked {old.get('locked_at')}): {result.message}"))
        else:
            lines.append(LockLine(name, "failed", result.message))
    from vllm_lint import __version__

    data = {"lock_version": LOCK_VERSION, "generated": now, "generator": f"vllm-lint {__version__}",
            "models": models}
    return data, lines


_SOURCE_TEXT = {"hub": "the Hub", "cache": "the HF cache", "snapshot": "the bundled snapshot", "local": "the local folder"}


def write_lock(data: dict, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _where(project, d, root: Path) -> str:
    source = project.source(d.path)
    path = Path(source.abspath) if source is not None else Path(d.path).resolve()
    try:
        shown = path.relative_to(root).as_posix()
    except ValueError:
        shown = path.as_posix()
    return f"{shown}:{d.span.line} {d.name}"


# ---------------------------------------------------------------------------------------- --check


@dataclass
class LockProblem:
    where: str  # file:line name of the launch
    key: str
    message: str


def check_lock(project, lock: ModelsLock) -> tuple[list[LockProblem], list[str]]:
    """The launches the lock does not cover (model not in it, another revision, a pinned commit that is not the
    one locked, a local folder changed since), and the entries no launch uses. Never the network."""
    from vllm_lint.engine import model_request

    problems: list[LockProblem] = []
    used: set[str] = set()
    for d in project.deployments:
        request = model_request(d)
        key = launch_key(d, request)
        if key is None:
            continue
        model, revision = key
        where = _where(project, d, lock.root)
        name = entry_key(model, revision)
        entry = lock.find(model, revision)
        if entry is None:
            others = lock.entries_of(model)
            if not others:
                problems.append(LockProblem(where, name, f"{name} is not in the lock"))
            else:
                at = ", ".join(sorted(_revision_text(o) for o in others))
                if revision:
                    problems.append(LockProblem(where, name, f"the launch pins {model} at revision {revision}, the lock "
                                                             f"has it at {at}: the lock is older than the revision pinned"))
                else:
                    problems.append(LockProblem(where, name, f"the launch uses {model}'s default branch, the lock has "
                                                             f"it only at {at}"))
            continue
        used.add(next(k for k, e in lock.entries.items() if e is entry))
        if revision and COMMIT_SHA.match(revision) and entry.get("commit") and entry["commit"] != revision:
            problems.append(LockProblem(where, name, f"the launch pins commit {revision}, the lock holds {entry['commit']}"))
        if isinstance(request, ModelRequest) and request.local_dir is not None:
            config = Path(request.local_dir) / "config.json"
            try:
                current = config_sha256(json.loads(config.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, ValueError):
                current = None
            if current is not None and current != entry.get("config_sha256"):
                problems.append(LockProblem(where, name, f"{config} changed since the lock was written "
                                                         f"({entry.get('locked_at')})"))
    unused = sorted(set(lock.entries) - used)
    return problems, unused


def _revision_text(entry: dict) -> str:
    if entry.get("revision"):
        return f"revision {entry['revision']}" + (f" ({entry['commit']})" if entry.get("commit") else "")
    return f"the default branch ({entry.get('commit') or 'no commit recorded'})"
