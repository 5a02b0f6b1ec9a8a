"""Which files to lint: walk the paths given, pick compose, Kubernetes, vLLM ``--config`` and script
files by name and content, honour excludes, never follow a symlink loop; group them into the projects
that run together, and set templates aside (Helm, ``.tpl``, envsubst: rendered at deploy time).

Projects (what the cross-launch rules compare: one machine's GPUs and host ports): only files that
compose would run together are one project: a compose file with its ``compose.override.yaml``, the
``COMPOSE_FILE`` list of the ``.env`` beside them, an explicit ``--compose-file`` list, the files a
compose file includes (``include:``), and the groups named by ``projects:`` in the configuration. Other compose
files beside each other (``docker-compose.yml`` and ``docker-compose.gpu.yml``, one file per model)
are alternatives: each is its own project. So is each script."""
from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.sources.realpath import resolved
from vllm_lint.sources.source_file import is_regular_file

YAML_SUFFIXES = (".yml", ".yaml")
SCRIPT_SUFFIXES = (".sh", ".bash", ".zsh", ".dockerfile", ".containerfile")
SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".mypy_cache",
                ".pytest_cache", ".ruff_cache", "site-packages"}
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
#: Templates rendered before deployment (envsubst, Jinja, Go/Helm): not read until a loader renders them.
TEMPLATE_SUFFIXES = (".tpl", ".tmpl")
YAML_TEMPLATE_SUFFIXES = tuple(y + t for y in YAML_SUFFIXES for t in (".j2", ".jinja", ".jinja2", ".template", ".in", ".envsubst"))
#: Keys of a compose service; a ``services:`` whose entries have none of them is another tool's.
COMPOSE_SERVICE_KEYS = {"image", "build", "command", "entrypoint", "environment", "env_file", "ports", "volumes",
                        "deploy", "extends", "container_name", "restart", "networks", "depends_on", "healthcheck",
                        "runtime", "gpus", "ipc", "shm_size", "profiles", "labels", "expose", "devices", "working_dir",
                        "user", "ulimits", "logging", "platform", "privileged", "cap_add", "hostname", "network_mode",
                        "volumes_from", "secrets", "configs", "tmpfs", "init", "stop_signal", "pull_policy"}
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
OVERRIDE_NAMES = {"compose.yaml": "compose.override.yaml", "compose.yml": "compose.override.yml",
                  "docker-compose.yaml": "docker-compose.override.yaml",
                  "docker-compose.yml": "docker-compose.override.yml"}

_COMPOSE = re.compile(r"^services\s*:", re.M)
_INCLUDE = re.compile(r"^include\s*:", re.M)
_COMPOSE_NAME = re.compile(r"^(docker-)?compose([.-][^/]*)?\.ya?ml$|\.compose\.ya?ml$")
_CONTAINER_NAME = re.compile(r"^\s+container_name\s*:\s*['\"]?([^'\"#\s]+)", re.M)
#: Go template actions only Helm (or another Go-template renderer) gives meaning to; Jinja chat
#: templates inside a ConfigMap (``{{- bos_token }}``) are not among them.
_HELM = re.compile(r"\{\{-?\s*(?:[^}]*\.(?:Values|Release|Chart|Capabilities|Files|Template)\b|(?:include|template|define|toYaml|tpl|if|range|with)\s)")
_K8S = re.compile(r"^apiVersion\s*:", re.M)
_K8S_KIND = re.compile(r"^kind\s*:", re.M)
_LAUNCH = re.compile(r"\bvllm\s+serve\b|vllm\.entrypoints\.(?:openai\.)?api_server\b")
#: Servers that start vLLM with options they build (loaders/paddlex.py): PaddleX's genai server, vLLM backend.
_WRAPPED_LAUNCH = re.compile(r"\b(?:paddlex_genai_server|paddleocr\s+genai_server|paddlex\.inference\.genai\.server)\b"
                             r"(?:[^\n]|\\\n)*?--backend[= ]+[\"']?vllm\b")
#: Scripts that start the vLLM image (``docker run … vllm/vllm-openai:TAG --model …``), Dockerfiles built on it
#: or on a vLLM install (issue 14).
_VLLM_IMAGE_REF = re.compile(r"\bvllm/vllm-openai\b|/vllm-openai:|\brunpod/worker-v1-vllm\b")
_DOCKERFILE_VLLM = re.compile(r"^[ \t]*FROM[ \t]+(?:--platform=\S+[ \t]+)?\S*vllm|"
                              r"\b(?:pip3?|uv[ \t]+pip)[ \t]+install\b[^\n]*[ \t\"']vllm(?:[=<>\[\"' \t]|$)", re.M | re.I)
_VLLM_CONFIG_KEY = re.compile(r"^(model|tensor[-_]parallel[-_]size|max[-_]model[-_]len|gpu[-_]memory[-_]utilization|served[-_]model[-_]name|quantization|kv[-_]cache[-_]dtype)\s*:", re.M)


@dataclass
class Found:
    """The files of one run, by kind, in a stable order."""

    compose: list[list[Path]] = field(default_factory=list)  # each entry: files merged as one project
    kubernetes: list[Path] = field(default_factory=list)
    kustomizations: list[Path] = field(default_factory=list)  # kustomization.yaml files (loaders/kustomize.py)
    charts: list[Path] = field(default_factory=list)  # Helm charts' Chart.yaml files (loaders/helm.py)
    formats: list[tuple[Path, str]] = field(default_factory=list)  # (file, format) read by loaders/formats.py
    scripts: list[Path] = field(default_factory=list)
    vllm_configs: list[Path] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)  # paths that cannot be walked/read
    templates: list[tuple[Path, str]] = field(default_factory=list)  # (file, kind) set aside, not read
    notes: list[str] = field(default_factory=list)  # answers for files named on the command line that are not linted
    projects: dict[Path, str] = field(default_factory=dict)  # resolved compose/script file -> its project

    def project_of(self, path: Path) -> str:
        """The project (one machine: GPUs, host ports) that the launches of ``path`` belong to."""
        real = resolved(path)
        return self.projects.get(real, str(real))


class Excluder:
    """The configuration's ``exclude`` patterns, gitignore-style, matched by ``pathspec`` (git's wildmatch, as
    the ignore files are: :mod:`.ignorefiles`) against the path relative to ``root``: ``name``, ``dir/``,
    ``/anchored``, ``**`` and ``!negation``, the last matching pattern wins; a pattern that matches a folder
    matches what is below it. Except that a ``dir/`` pattern applies to folders only (as vllm-lint has always
    read it): the walk does not enter the folder, while a file below it reached another way (a compose
    ``include:``, a folder named on the command line) is not excluded by it."""

    def __init__(self, patterns: list[str], root: Path):
        self.root = root
        self.resolved_root = root.resolve()
        lines = [p.strip() for p in patterns if p.strip() and not p.strip().startswith("#")]
        self.for_folders = self.for_files = None
        if lines:  # pathspec is imported only when there is a pattern
            import pathspec

            self.for_folders = pathspec.GitIgnoreSpec.from_lines(lines)
            self.for_files = pathspec.GitIgnoreSpec.from_lines(line for line in lines if not line.endswith("/"))

    def excluded(self, path: Path, is_dir: bool) -> bool:
        if self.for_folders is None:
            return False
        try:
            rel = resolved(path).relative_to(self.resolved_root).as_posix()
        except ValueError:
            rel = path.as_posix()
        if is_dir:
            return self.for_folders.match_file(rel + "/")
        return self.for_files.match_file(rel)


def glob_match(path: str, pattern: str) -> bool:
    if "**" in pattern:
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        return re.fullmatch(regex, path) is not None
    return fnmatch.fnmatchcase(path, pattern)


def template_kind(path: Path, head: str) -> str | None:
    """What renders ``path`` before it is deployed (``"Helm template"``, ``"envsubst template"`` ...),
    or None for a file that is deployed as it is."""
    name = path.name.lower()
    if name.endswith(TEMPLATE_SUFFIXES + YAML_TEMPLATE_SUFFIXES):
        if "{{" in head:
            return "Helm template" if _HELM.search(head) else "template"
        return "envsubst template" if re.search(r"\$\{?[A-Za-z_]", head) else "template"
    if not name.endswith(YAML_SUFFIXES) or "{{" not in head:
        return None
    if _HELM.search(head) or _in_chart_templates(path):
        return "Helm template"
    return None


def _envsubst_manifest(path: Path, head: str) -> bool:
    """A Kubernetes manifest named as a template (``vllm.yaml.tpl``) that only envsubst fills in (``${VAR}``, or
    nothing at all): no Go or Jinja action, not under a chart's ``templates/``."""
    from vllm_lint.loaders.envsubst import has_go_template, is_template_name

    return is_template_name(path) and not has_go_template(head) and bool(_K8S.search(head) and _K8S_KIND.search(head)) \
        and not _in_chart_templates(path)


def _in_chart_templates(path: Path) -> bool:
    """Whether ``path`` is under the ``templates/`` folder of a Helm chart (beside Chart.yaml or values.yaml)."""
    for parent in path.parents:
        if parent.name == "templates":
            chart = parent.parent
            return any((chart / n).is_file() for n in ("Chart.yaml", "Chart.yml", "values.yaml", "values.yml"))
    return False


def _looks_like_compose(path: Path, head: str) -> bool:
    """A top-level ``services:`` is compose's when the file is named as compose files are, or when its
    services look like compose services (mappings with ``image``, ``build``, ``command`` ...): a worker or
    project configuration may have a ``services:`` of its own."""
    if _COMPOSE_NAME.search(path.name.lower()):
        return True
    data = _yaml(head, path)
    if data is _UNPARSED:
        return True  # unreadable YAML that starts like compose: the compose loader says what is wrong
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        return False
    return any(isinstance(v, dict) and (COMPOSE_SERVICE_KEYS & set(v) or any(str(k).startswith("x-") for k in v))
               for v in services.values())


_UNPARSED = object()


def _yaml(text: str, path: Path):
    """The first YAML document of ``text`` as plain Python values, or ``_UNPARSED``."""
    from vllm_lint.sources.yamlnodes import YamlError, load_documents, typed

    try:
        docs = load_documents(text, str(path))
    except (YamlError, RecursionError, ValueError):
        return _UNPARSED
    return typed(docs[0]) if docs else None


def _other_format(path: Path, head: str) -> str | None:
    """A format of :mod:`vllm_lint.loaders.formats` (found by content), or None."""
    from vllm_lint.loaders.formats import detect

    return detect(path, head)


def classify(path: Path, head: str) -> str | None:
    """The kind of a file from its name and the first part of its text."""
    name = path.name.lower()
    if path.name in KUSTOMIZATION_NAMES:
        return "kustomize"
    if path.name in ("Chart.yaml", "Chart.yml"):
        return "helm-chart"
    if name.endswith(YAML_SUFFIXES):
        if _COMPOSE.search(head) and _looks_like_compose(path, head):
            return "compose"
        if _INCLUDE.search(head) and _COMPOSE_NAME.search(name):
            return "compose"  # a compose file made of include: only
        if _K8S.search(head) and _K8S_KIND.search(head):
            return "kubernetes"
        fmt = _other_format(path, head)
        if fmt:
            return "format:" + fmt  # production-stack values, Ray Serve, SkyPilot, dstack, Truss
        if len(set(m.group(1) for m in _VLLM_CONFIG_KEY.finditer(head))) >= 2:
            return "vllm-config"
        return None
    if name.endswith(".py") and _other_format(path, head):
        return "format:python"  # LLM(...) / EngineArgs(...) read with ast
    if name.startswith(("dockerfile", "containerfile")) or name.endswith(SCRIPT_SUFFIXES) or head.startswith("#!"):
        if _LAUNCH.search(head) or _WRAPPED_LAUNCH.search(head):
            return "script"
        if name.startswith(("dockerfile", "containerfile")) or name.endswith((".dockerfile", ".containerfile")):
            return "script" if _DOCKERFILE_VLLM.search(head) else None
        return "script" if _VLLM_IMAGE_REF.search(head) else None
    if name.endswith(".service") and "[Service]" in head:
        return "script" if _LAUNCH.search(head) else None  # a systemd unit (loaders/systemd.py)
    return None


def _head(path: Path) -> str:
    from vllm_lint.sources.overlay import text_of

    edited = text_of(path)  # an editor's unsaved buffer (the language server)
    if edited is not None:
        return edited[:256 * 1024]
    from vllm_lint.sources.source_file import head_text

    return head_text(path, 256 * 1024)


def discover(paths: list[Path], excludes: list[str], root: Path, explicit_compose: list[list[Path]] | None = None,
             projects: list[list[str]] | None = None, respect_gitignore: bool = True) -> Found:
    """The files under ``paths`` by kind. ``explicit_compose``: ``--compose-file`` lists (each merged as one
    project); ``projects``: the configuration's groups of file globs (relative to ``root``) that run together;
    ``respect_gitignore``: folders are walked without what their ``.gitignore`` / ``.ignore`` files ignore
    (:mod:`.ignorefiles`)."""
    found = Found()
    excluder = Excluder(excludes, root)
    files: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    named: set[Path] = set()  # files named on the command line: each gets an answer
    for p in paths:
        why = _not_a_path(p)
        if why:  # missing, a broken link, a FIFO or a device (opening a FIFO blocks forever): said, never opened
            found.problems.append((p, why))
            continue
        if p.is_dir():
            if respect_gitignore:
                from vllm_lint.sources.ignorefiles import WithIgnoreFiles

                _walk(p, WithIgnoreFiles(excluder, p), files, seen_dirs, found)
            else:
                _walk(p, excluder, files, seen_dirs, found)
        elif p.name == ".env" or p.name.endswith(".env"):
            # a changed .env re-lints the compose files beside it
            for sibling in sorted(p.parent.iterdir()):
                if sibling.is_file() and sibling.name.endswith(YAML_SUFFIXES):
                    files.append(sibling)
        else:
            files.append(p)  # named explicitly: never excluded
            named.add(p.resolve())
            for base, override in OVERRIDE_NAMES.items():  # a compose file and its override go together
                pair = {base: override, override: base}.get(p.name)
                if pair and (p.parent / pair).is_file():
                    files.append(p.parent / pair)
    explicit = [list(group) for group in (explicit_compose or [])]
    composed_in_projects = {resolved(f) for group in explicit for f in group}
    unique: dict[Path, Path] = {}
    for f in files:
        unique.setdefault(resolved(f), f)
    compose: dict[Path, Path] = {}  # resolved -> as found
    heads: dict[Path, str] = {}
    includes: dict[Path, list[list[Path]]] = {}  # compose file -> the files of each include: entry
    queue = list(unique.items()) + [(resolved(f), f) for group in explicit for f in group]
    while queue:
        real, f = queue.pop(0)
        explicitly_compose = real in composed_in_projects
        if real in heads:
            continue
        if not explicitly_compose and not os.access(f, os.R_OK):
            found.problems.append((f, "permission denied"))
            continue
        head = _head(f)
        template = None if explicitly_compose else template_kind(f, head)
        if template and _envsubst_manifest(f, head):
            found.kubernetes.append(f)  # read with its variables unknown (loaders/envsubst.py)
            continue
        if template:
            found.templates.append((f, template))
            continue
        kind = "compose" if explicitly_compose else classify(f, head)
        if kind is None:
            kind = _unclassified(f, head, real in named, found)
        if kind == "compose":
            heads[real] = head
            if not explicitly_compose:
                compose[real] = f
            includes[real] = _included(f, head)
            for entry in includes[real]:  # what compose reads for this project is linted with it
                for inc in entry:
                    if resolved(inc) not in unique and is_regular_file(inc) and not excluder.excluded(inc, False):
                        unique[resolved(inc)] = inc
                        queue.append((resolved(inc), inc))
        elif kind == "kubernetes":
            found.kubernetes.append(f)
        elif kind == "kustomize":
            found.kustomizations.append(f)
        elif kind == "helm-chart":
            found.charts.append(f)
        elif kind == "script":
            found.scripts.append(f)
        elif kind == "vllm-config":
            found.vllm_configs.append(f)
        elif kind and kind.startswith("format:"):
            found.formats.append((f, kind[len("format:"):]))

    # merged groups: each is read as one compose project (docker compose -f a -f b)
    groups: list[list[Path]] = list(explicit)
    taken = set(composed_in_projects)

    def add(group: list[Path]) -> None:
        group = [g for g in group if resolved(g) not in taken]
        if group:
            groups.append(group)
            taken.update(resolved(g) for g in group)

    for real in sorted(includes):  # include: {path: [a.yaml, b.yaml]} merges those files
        for entry in includes[real]:
            if len(entry) > 1 and all(resolved(e) in compose for e in entry):
                add(entry)
    by_dir: dict[Path, list[Path]] = {}
    for real, f in compose.items():
        by_dir.setdefault(f.parent, []).append(f)
    for directory in sorted(by_dir):
        listed = _compose_file_env(directory)
        if listed:  # COMPOSE_FILE in the .env: what `docker compose up` runs in this folder
            add([p for p in listed if resolved(p) in compose or is_regular_file(p)])
        group = [g for g in by_dir[directory] if resolved(g) not in taken]
        names = {g.name: g for g in group}
        for base, override in OVERRIDE_NAMES.items():
            if base in names and override in names:
                add([names[base], names[override]])
        for g in sorted(group):
            add([g])
    found.compose = sorted(groups, key=lambda group: str(group[0]))

    # projects: a merged group, joined by the files it includes and by the configuration's groups
    key_of: dict[Path, str] = {}
    for group in groups:
        for f in group:
            key_of.setdefault(resolved(f), str(resolved(group[0])))
    parent: dict[str, str] = {}
    included_by: dict[str, set[str]] = {}
    for real, entries in includes.items():
        for entry in entries:
            for inc in entry:
                if resolved(inc) in key_of and key_of[resolved(inc)] != key_of.get(real):
                    included_by.setdefault(key_of[resolved(inc)], set()).add(key_of[real])
    for inc_key, by in included_by.items():
        if len(by) == 1:  # included by several projects: it runs in each; compared with none of them
            parent[inc_key] = next(iter(by))

    def top(key: str) -> str:
        seen = set()
        while key in parent and key not in seen:
            seen.add(key)
            key = parent[key]
        return key

    for real in found.scripts:
        key_of.setdefault(resolved(real), str(resolved(real)))
    configured: dict[str, str] = {}
    resolved_root = root.resolve()
    for i, patterns in enumerate(projects or []):
        patterns = [pat.strip().removeprefix("./").lstrip("/") for pat in patterns]
        container_names: set[str] = set()
        for real in sorted(key_of):
            try:
                rel = real.relative_to(resolved_root).as_posix()
            except ValueError:
                continue
            if not any(glob_match(rel, pat) for pat in patterns):
                continue
            names = set(_CONTAINER_NAME.findall(heads.get(real, "")))
            if names & container_names:
                continue  # the same container_name in two files: alternatives by construction
            container_names |= names
            configured.setdefault(top(key_of[real]), f"projects[{i}]")
    found.projects = {real: configured.get(top(key), top(key)) for real, key in key_of.items()}
    found.templates.sort()
    found.formats.sort()
    for lst in (found.kubernetes, found.kustomizations, found.charts, found.scripts, found.vllm_configs):
        lst.sort()
    return found


def _included(path: Path, head: str) -> list[list[Path]]:
    """The files of each ``include:`` entry of a compose file (local paths only)."""
    if not _INCLUDE.search(head):
        return []
    data = _yaml(head, path)
    entries = data.get("include") if isinstance(data, dict) else None
    out = []
    for entry in entries if isinstance(entries, list) else []:
        given = entry.get("path") if isinstance(entry, dict) else entry
        given = given if isinstance(given, list) else [given]
        paths = [Path(os.path.normpath(path.parent / Path(p).expanduser())) for p in given
                 if isinstance(p, str) and p and "$" not in p and "://" not in p]
        if paths:
            out.append(paths)
    return out


def _compose_file_env(directory: Path) -> list[Path]:
    """The files ``COMPOSE_FILE`` in the folder's ``.env`` names (separated by ``COMPOSE_PATH_SEPARATOR``,
    by default ``:``, or ``;`` as on Windows), relative to the folder."""
    values = _dotenv_values(directory / ".env", ("COMPOSE_FILE", "COMPOSE_PATH_SEPARATOR"))
    listed = values.get("COMPOSE_FILE")
    if not listed:
        return []
    sep = values.get("COMPOSE_PATH_SEPARATOR") or (";" if ";" in listed else ":")
    return [Path(os.path.normpath(directory / Path(p.strip()).expanduser())) for p in listed.split(sep)
            if p.strip() and "$" not in p]


def _dotenv_values(path: Path, names: tuple[str, ...]) -> dict[str, str]:
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    from vllm_lint.sources.overlay import text_of

    try:
        text = text_of(path)
        text = path.read_text(encoding="utf-8", errors="replace") if text is None else text
    except OSError:
        return {}
    for line in text.splitlines():
        m = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if not m or m.group(1) not in names:
            continue
        value = m.group(2).strip()
        if value[:1] in ("'", '"') and value[:1] in value[1:]:
            value = value[1:value.index(value[0], 1)]
        else:
            value = re.sub(r"\s+#.*$", "", value)
        out[m.group(1)] = value
    return out


def _walk(top: Path, excluder: Excluder, files: list[Path], seen: set, found: Found) -> None:
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            st = d.stat()
        except OSError as exc:
            found.problems.append((d, exc.strerror or str(exc)))
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:
            continue  # a symlink loop, or a folder reached twice
        seen.add(key)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append((d, exc.strerror or str(exc)))
            continue
        subdirs = []
        for e in entries:
            path = Path(e.path)
            try:
                is_dir = e.is_dir()  # follows symlinks; loops are caught by the inode check
            except OSError:
                continue
            if is_dir:
                if e.name in SKIPPED_DIRS or excluder.excluded(path, True):
                    continue
                subdirs.append(path)
            elif e.is_file() and not excluder.excluded(path, False):
                files.append(path)
            elif _named_like_deployment(e.name) and not excluder.excluded(path, False):
                found.problems.append((path, _not_a_path(path) or "not a regular file"))
        stack.extend(reversed(subdirs))


def _not_a_path(p: Path) -> str | None:
    """Why a path named on the command line (or met in a walk) cannot be read as a file or walked as a
    folder, by ``stat`` alone (never by opening it), or None."""
    from vllm_lint.sources.source_file import file_kind, path_problem

    why = path_problem(p)
    if why:
        return why
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        if os.path.islink(p):
            return "no such file or directory (broken symbolic link)"
        return "no such file or directory" if isinstance(exc, FileNotFoundError) else (exc.strerror or str(exc))
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    return f"{file_kind(mode)}, not a regular file"


def _named_like_deployment(name: str) -> bool:
    """A name that says "deployment file": compose's, a YAML file, a script or a Dockerfile."""
    lower = name.lower()
    return bool(_COMPOSE_NAME.search(lower)) or lower.endswith(YAML_SUFFIXES + SCRIPT_SUFFIXES) \
        or lower.startswith(("dockerfile", "containerfile"))


def _unclassified(f: Path, head: str, named: bool, found: Found) -> str | None:
    """The answer for a file no kind claims. A file named like a compose file that is empty, blank, binary or
    not text goes to the compose loader, which reports it as compose would (compose refuses it); a file named
    on the command line that cannot be read is a finding, one that is not a deployment a note."""
    from vllm_lint.sources.source_file import UnreadableFile, read_text

    compose_named = bool(_COMPOSE_NAME.search(f.name.lower()))
    if not compose_named and not named:
        return None
    try:
        text = read_text(f)
    except UnreadableFile as exc:
        if compose_named:
            return "compose"
        found.problems.append((f, exc.message))
        return None
    if compose_named and _blank_yaml(text):
        return "compose"  # compose: "empty compose file"
    if compose_named and _yaml(text[:256 * 1024], f) is _UNPARSED:
        return "compose"  # broken YAML named as compose: the loader says where
    if named:
        found.notes.append(f"{f}: not linted: not a compose file, Kubernetes manifest, vLLM config, script or other "
                           "format that starts vLLM" + (" (empty file)" if not text.strip() else ""))
    return None


def _blank_yaml(text: str) -> bool:
    """Nothing but blank lines, comments and document markers."""
    return all(not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "...")
               for line in text.splitlines())
