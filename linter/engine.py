"""The pipeline: discover -> load -> resolve -> check -> suppress. Rules are pure; everything slow is
resolved once, before they run."""
from __future__ import annotations

import collections
import copy
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.config import Settings
from vllm_lint.finding import Finding
from vllm_lint.launch.deployment import Deployment
from vllm_lint.loaders.command import merge_config_file
from vllm_lint.loaders.context import LoadContext
from vllm_lint.rule import Rule, all_rules, rule_by
from vllm_lint.sources.discover import discover, glob_match
from vllm_lint.sources.realpath import resolved
from vllm_lint.sources.source_file import SourceFile
from vllm_lint.sources.span import Span

_SUPPRESSION = re.compile(r"#\s*vllm-lint:\s*(disable-file|disable-next-line|disable)\s*=\s*([A-Za-z0-9_,\- ]+)")


@dataclass
class Project:
    """Everything one run lints: the files read and the launches found in them."""

    files: list[SourceFile]
    deployments: list[Deployment]
    settings: Settings
    releases: dict[int, object] = field(default_factory=dict)  # id(deployment) -> Release
    models: dict[int, object] = field(default_factory=dict)  # id(deployment) -> ModelMeta or ModelError
    model_requests: dict[int, object] = field(default_factory=dict)  # id(deployment) -> ModelRequest
    gpu_lists: dict[int, tuple] = field(default_factory=dict)  # id(deployment) -> gpus_of(...)
    notes: list[str] = field(default_factory=list)  # said once per run (assumed versions, skipped checks)
    changed: dict | None = None  # --diff-base: absolute path -> changed lines (None: new file)
    inventory: object = None  # gpu.Inventory: device id -> GPU
    feasibilities: dict[int, object] = field(default_factory=dict)  # id(deployment) -> Feasibility
    rule_skips: dict = field(default_factory=dict)  # (code, why) -> what a rule skipped for that reason (Context.skip)
    shape_sources: dict[int, object] = field(default_factory=dict)  # id(deployment) -> ShapeSource or None
    launchless: list = field(default_factory=list)  # paths of the command line with no launch (loaders/coverage.py)
    gpu_tenants: list = field(default_factory=list)  # compose services reserving GPUs that run no vLLM (Deployment records)

    def feasibility_of(self, deployment: Deployment):
        """GPUs and memory estimate of a launch (computed on first use)."""
        key = id(deployment)
        if key not in self.feasibilities:
            from vllm_lint.memory.feasibility import feasibility

            release = self.release_of(deployment)
            self.feasibilities[key] = feasibility(deployment, self.model_of(deployment), self.inventory,
                                                  release.version if release is not None else None,
                                                  self.model_error_of(deployment))
        return self.feasibilities[key]

    def gpus_of(self, deployment: Deployment):
        """(the GPUs of a launch, or None; why not), whether or not its model is known."""
        key = id(deployment)
        if key not in self.gpu_lists:
            from vllm_lint.memory.feasibility import gpus_of

            self.gpu_lists[key] = gpus_of(deployment, self.inventory)
        return self.gpu_lists[key]

    def release_of(self, deployment: Deployment):
        return self.releases.get(id(deployment))

    def model_of(self, deployment: Deployment):
        """The deployment's ModelMeta, or None (unresolved, or resolution failed)."""
        meta = self.models.get(id(deployment))
        return meta if meta is not None and not hasattr(meta, "kind") else None

    def model_error_of(self, deployment: Deployment):
        meta = self.models.get(id(deployment))
        return meta if meta is not None and hasattr(meta, "kind") else None

    def shapes_of(self, deployment: Deployment):
        """Where the launch's model shapes are read (:class:`~vllm_lint.models.stand_in.ShapeSource`): its own
        metadata, else a quantized checkpoint's base model's; None when neither is known."""
        key = id(deployment)
        if key not in self.shape_sources:
            from vllm_lint.models.stand_in import shape_source

            self.shape_sources[key] = shape_source(deployment.model, self.model_of(deployment),
                                                   self.model_error_of(deployment))
        return self.shape_sources[key]

    #: The per-launch tables, keyed by ``id(deployment)``: pickled by the launch's index instead, since ids
    #: do not survive a copy to another process (:mod:`vllm_lint.parallel`). The last three are worked out
    #: again on use, so they are not copied (they are most of a copy's size).
    _PER_LAUNCH = ("models", "model_requests", "gpu_lists", "feasibilities", "shape_sources")
    _RECOMPUTED = ("gpu_lists", "feasibilities", "shape_sources")

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_by_path", None)
        index = {id(d): i for i, d in enumerate(self.deployments)}
        for name in self._PER_LAUNCH:
            state[name] = {} if name in self._RECOMPUTED else \
                {index[k]: v for k, v in state[name].items() if k in index}
        # a Release holds its argparse emulation, which does not pickle: its version is loaded again
        state["releases"] = {index[k]: r.name for k, r in self.releases.items() if k in index}
        return state

    def __setstate__(self, state):
        deployments = state["deployments"]
        for name in self._PER_LAUNCH:
            state[name] = {id(deployments[i]): v for i, v in state[name].items()}
        load = _release_loader()
        state["releases"] = {id(deployments[i]): load(name) for i, name in state["releases"].items()}
        self.__dict__.update(state)

    def source(self, path: str) -> SourceFile | None:
        if "_by_path" not in self.__dict__ or len(self._by_path) != len(self.files):
            self._by_path = {f.path: f for f in self.files}
        return self._by_path.get(path)


@dataclass
class Result:
    findings: list[Finding]
    project: Project
    internal_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)  # the rules that ran (the JUnit report's test cases)


class Context:
    """What a rule sees while it checks one target."""

    def __init__(self, rule: Rule, project: Project, deployment: Deployment | None = None, options: dict | None = None):
        self.rule = rule
        self.project = project
        self.deployment = deployment
        self.settings = project.settings
        if options is None:
            options = {**getattr(rule.module, "OPTIONS", {}), **project.settings.rule_options(rule)}
        self.options = options

    @property
    def release(self):
        return self.project.release_of(self.deployment) if self.deployment is not None else None

    @property
    def model(self):
        return self.project.model_of(self.deployment) if self.deployment is not None else None

    @property
    def shapes(self):
        """The ModelMeta to read shapes from (NEEDS "shapes"): the model's own, or its base model's when only a
        quantized derivative's name is known; name it in messages with :attr:`shapes_label`."""
        source = self.project.shapes_of(self.deployment) if self.deployment is not None else None
        return source.meta if source is not None else None

    @property
    def shapes_label(self) -> str | None:
        """The model as a message names it: ``Qwen/X-FP8 (from Qwen/X's shapes: its own metadata is not available)``
        when the shapes are a stand-in's."""
        source = self.project.shapes_of(self.deployment) if self.deployment is not None else None
        return source.label if source is not None else None

    @property
    def shapes_stand_in(self) -> str | None:
        """The base model whose shapes stand in, or None when the shapes are the model's own."""
        source = self.project.shapes_of(self.deployment) if self.deployment is not None else None
        return source.base if source is not None else None

    @property
    def feasibility(self):
        return self.project.feasibility_of(self.deployment) if self.deployment is not None else None

    @property
    def model_error(self):
        return self.project.model_error_of(self.deployment) if self.deployment is not None else None

    def release_of(self, deployment: Deployment):
        return self.project.release_of(deployment)

    def source(self, path: str) -> SourceFile | None:
        return self.project.source(path)

    def skip(self, why: str, what: str | None = None) -> None:
        """Say that part of the rule was skipped for want of a fact (``why``: "no GPU known"), for ``what`` (an
        advisory id): the run's notes list them, as for rules skipped by their NEEDS."""
        self.project.rule_skips.setdefault((self.rule.code, why), set()).add(what or "")

    def finding(self, span: Span, message: str, *, hint: str | None = None, fix=None, severity: str | None = None,
                related=(), deployment: Deployment | None = None) -> Finding:
        d = deployment or self.deployment
        return Finding(self.rule.code, self.rule.name, severity or self.rule.severity, message, span, hint, fix,
                       d.name if d is not None else None, list(related))


def find_files(paths: list[Path], settings: Settings, compose_files: list[list[Path]] | None = None):
    """What discovery finds under ``paths`` (:class:`~vllm_lint.sources.discover.Found`)."""
    return discover(paths, settings.exclude + settings.extend_exclude, settings.root, compose_files, settings.projects,
                    respect_gitignore=getattr(settings, "respect_gitignore", True))


def load_project(paths: list[Path], settings: Settings, compose_files: list[list[Path]] | None = None,
                 cwd: Path | None = None, resolve_models: bool = True, shard: tuple[int, int] | None = None,
                 found=None) -> Project:
    """Read every launch under ``paths``. ``shard=(i, n)``: only the files of shard ``i`` of ``n``
    (:mod:`vllm_lint.parallel`), without what needs all of them (the paths with no launch, the changed lines);
    ``found``: what discovery found under ``paths`` already (not changed here)."""
    ctx = LoadContext(cwd=cwd or Path.cwd(), default_version=settings.vllm_version, release_for=_release_loader(),
                      env_files=[settings.root / p for p in settings.env_file] if settings.env_file else None,
                      vllm_images=list(getattr(settings, "vllm_images", None) or []))
    from vllm_lint.sources.realpath import forget

    forget()  # real paths are asked again in each run (links may have changed since the last)
    found = copy.copy(found) if found is not None else find_files(paths, settings, compose_files)
    if shard is not None:
        from vllm_lint.parallel import keep_shard

        keep_shard(found, *shard)
    deployments: list[Deployment] = []
    # each loader is imported when discovery found a file of its kind (a one-file run pays for one)
    if found.compose:
        from vllm_lint.loaders import compose
    if found.kubernetes:
        from vllm_lint.loaders import kubernetes
    if found.scripts:
        from vllm_lint.loaders import script
    for group in found.compose:
        if compose.already_read(group, ctx):
            continue  # read through the include: of a project loaded before it
        tenants = ctx.__dict__.setdefault("gpu_tenants", [])
        seen = len(tenants)
        for d in _guarded(compose.load, group, ctx):
            d.host_group = found.project_of(group[0])  # the files compose runs together share one machine
            deployments.append(d)
        for t in tenants[seen:]:  # services that reserve GPUs without running vLLM, on the same machine
            t.host_group = found.project_of(group[0])
    covered, loader_notes = set(), []
    if getattr(found, "kustomizations", None):  # overlays rendered by kubectl kustomize (loaders/kustomize.py)
        from vllm_lint.loaders import kustomize

        for root in kustomize.top_level(found.kustomizations):
            rendered, files, notes = kustomize.load(root, ctx)
            deployments += rendered
            covered |= files
            loader_notes += notes
    if getattr(found, "charts", None):  # Helm charts rendered by helm template (loaders/helm.py)
        from vllm_lint.loaders import helm

        for chart in helm.top_level(found.charts):
            result = _guarded(lambda c, x: [helm.load(c, x, settings)], chart, ctx)  # a bug: exit 2, the rest read
            rendered, files, notes = result[0] if result else ([], set(), [])
            deployments += rendered
            covered |= files
            loader_notes += notes
    for path in found.kubernetes:
        if resolved(path) in covered:
            continue  # read through the kustomization that renders it
        deployments += _guarded(kubernetes.load, path, ctx)
    for path in found.scripts:
        for d in _guarded(script.load, path, ctx):
            d.host_group = found.project_of(path)  # scripts beside each other are alternatives, unless projects: joins them
            deployments.append(d)
    if found.formats:  # production-stack values, Ray Serve, SkyPilot, dstack, Truss, Python launchers
        from vllm_lint.loaders import formats

        deployments += formats.load_all([(p, f) for p, f in found.formats if resolved(p) not in covered], ctx)
    for d in deployments:
        merge_config_file(d, ctx)
    referenced = {d.config_file for d in deployments if d.config_file}
    for path in found.vllm_configs:
        if ctx.display(path) not in referenced and _mostly_vllm_options(path, ctx.release(settings.vllm_version)):
            from vllm_lint.loaders import vllm_config

            deployments += vllm_config.load(path, ctx)
    for path, reason in found.problems:
        sf = ctx.source(path, "")
        sf.add("unreadable", f"cannot read: {reason}", Span.point(sf.path))
    for d in deployments:
        d.freeze_args()
    if shard is not None:
        from vllm_lint.parallel import tag_unit_order

        tag_unit_order(deployments, found, ctx)
    project = Project(sorted(ctx.sources.values(), key=lambda f: f.path), deployments, settings)
    if shard is not None:
        project.counted = {}  # the notes that count launches, merged over the shards by the parent
    project.gpu_tenants = list(ctx.__dict__.get("gpu_tenants", ()))  # non-vLLM services with GPUs (VLL404)
    project.load_errors = list(ctx.__dict__.get("_load_errors", ()))  # a loader's bug: exit 2, the other files linted
    project.notes.extend(_template_notes([(p, k) for p, k in found.templates if resolved(p) not in covered], ctx))
    project.notes.extend(getattr(found, "notes", ()))  # files named on the command line that are not linted
    project.notes.extend(loader_notes)
    from vllm_lint.loaders import coverage

    project.launchless = coverage.scan(paths, deployments, ctx, found, settings)
    project.notes.extend(getattr(ctx, "notes", ()))  # what the loaders did not read (remote includes ...), and why
    if settings.diff_base and shard is None:
        from vllm_lint.sources.gitdiff import changed_lines

        project.changed = changed_lines(settings.diff_base, cwd or Path.cwd())
    _note_runtime_values(project)
    _resolve_releases(project)
    if resolve_models:
        _resolve_models(project)
    from vllm_lint.hardware.gpu import parse_inventory

    project.inventory = parse_inventory(settings.hardware, settings.source or "")
    return project


def _guarded(load, what, ctx: LoadContext) -> list:
    """A loader's launches of one file (or compose project); a bug in it is an internal error of the run (exit
    2, one line), and the other files are still read."""
    try:
        return load(what, ctx)
    except Exception as exc:  # noqa: BLE001 - one file must not hide the others
        last = traceback.extract_tb(exc.__traceback__)[-1]
        name = ", ".join(str(p) for p in what) if isinstance(what, list) else str(what)
        text = " ".join(str(exc).split())[:200]
        ctx.__dict__.setdefault("_load_errors", []).append(
            f"internal error reading {name}: {type(exc).__name__}: {text} [{Path(last.filename).name}:{last.lineno}]")
        return []


def _note_runtime_values(project: Project) -> None:
    """One note per launch whose words hold values known only at run time (shell or Kubernetes variables
    from outside the tree, forwarded "$@"): the checks that needed them were skipped, not guessed."""
    for d in project.deployments:
        if d.runtime_values:
            names = ", ".join(d.runtime_values[:6]) + (" ..." if len(d.runtime_values) > 6 else "")
            project.notes.append(f"{d.path}:{d.span.line} {d.name}: set at run time, not checked: {names}")
        for note in getattr(d, "notes", ()):
            project.notes.append(f"{d.path}:{d.span.line} {d.name}: {note}")


def _mostly_vllm_options(path: Path, release) -> bool:
    """Whether a YAML file that no launch passes with ``--config`` is a vLLM config file on its own: all of
    its top-level keys are options of the release, or most of them in a file named for vLLM. Another file
    with keys vLLM does not know is another tool's settings (a serverless worker's, a benchmark's) that
    happens to share option names: not linted as one."""
    if release is None:
        return True
    from vllm_lint.sources.source_file import UnreadableFile, read_text
    from vllm_lint.sources.yamlnodes import YamlError, YMap, load_documents

    try:
        docs = load_documents(read_text(path), str(path))
    except (UnreadableFile, YamlError):
        return True  # the loader reports what is wrong with it
    root = docs[0] if docs else None
    if not isinstance(root, YMap):
        return True
    keys = [k for k, _ in root.items()]
    known = 0
    for key in keys:
        flag = "--" + str(key).split(".", 1)[0].replace("_", "-")
        option = release.option(flag)
        known += option is not None and (flag in option.flags or flag in option.negatives)
    if "vllm" in path.name.lower():  # named for vLLM (vllm.yaml, vllm-config.yml): most keys suffice, typos included
        return known * 2 > len(keys)
    return bool(keys) and known == len(keys)  # one foreign key: another tool's settings (a worker's config)


def _template_notes(templates: list[tuple[Path, str]], ctx: LoadContext) -> list[str]:
    """One note naming the templates set aside that mention vLLM (the others are not deployments of it)."""
    named = []
    for path, kind in templates:
        from vllm_lint.sources.source_file import head_text

        text = head_text(path, 256 * 1024)  # never more than that, and only of a regular file
        if "vllm" in text.lower():
            named.append(f"{ctx.display(path)} ({kind})")
    if not named:
        return []
    return [f"skipped {len(named)} template(s) rendered before deployment, not read (no loader renders them yet): "
            + ", ".join(named[:8]) + (f" and {len(named) - 8} more" if len(named) > 8 else "")]


def _release_loader():
    from vllm_lint.vllm import release as release_module
    cache: dict = {}

    def load(version):
        if version is None:
            version = release_module.newest_version()
        if version not in cache:
            try:
                cache[version] = release_module.load_release(version)
            except (KeyError, ValueError):
                cache[version] = None
        return cache[version]

    return load


def _resolve_releases(project: Project) -> None:
    loader = _release_loader()
    if loader is None:
        return
    assumed: dict[str, list[str]] = {}
    from vllm_lint.vllm.nightly import nightly

    for d in project.deployments:
        night = nightly(d.image)
        if night is not None:  # judged as the release it leads to (or, not known, the configured / newest one)
            d.nightly = night.why
            if d.version is not None and not night.assumed:
                d.version_source = f"image tag {d.image}: {night.why}"
        version = d.version or project.settings.vllm_version
        if d.version is None:
            from vllm_lint.vllm import release as release_module

            shown = version or release_module.newest_version()
            how = "the configured vllm-version" if version else "the newest release known"
            if night is not None:
                how += f"; the image is {night.why}"
            assumed.setdefault(f"{shown} ({how})", []).append((getattr(d, "unit_index", 0), f"{d.path}:{d.name}"))
        release = loader(version)
        if release is not None:
            project.releases[id(d)] = release
    if getattr(project, "counted", None) is not None:  # a shard of a --jobs run: the parent counts all shards
        project.counted["assumed"] = assumed
        return
    project.notes.extend(assumed_release_notes(assumed))


def assumed_release_notes(assumed: dict[str, list[tuple[int, str]]]) -> list[str]:
    """One note per release assumed: ``assumed`` maps it to (unit order, launch) pairs, in launch order."""
    return [f"vLLM release assumed {what} for {len(where)} launch(es) whose image pins none: "
            + ", ".join(w for _, w in where[:3]) + (" ..." if len(where) > 3 else "") for what, where in assumed.items()]


def unavailable_note(unavailable: collections.Counter) -> list[str]:
    """The note on the launches whose model metadata could not be had (offline, no network ...)."""
    if not unavailable:
        return []
    why = ", ".join(f"{UNAVAILABLE_KINDS[k]}: {n}" for k, n in sorted(unavailable.items()))
    return [f"model metadata unavailable for {sum(unavailable.values())} launch(es) ({why}): "
            "the checks that need it were skipped"]


def model_request(d: Deployment):
    """What to fetch for a launch's model: a Hub id (with --revision), or a local folder of this host.

    A local model path is read only where it can be read: a folder that exists here (through the volume
    that mounts it, or the script's own path). A path on the serving host (a script's absolute path, a
    bind whose host folder is not here, a Kubernetes hostPath, a claim, a volume whose host side is an
    unset variable) is unknown: None, and the model checks say they were skipped. ``"unmounted"`` for a
    compose service of the official image with no volume at the path at all: vLLM will not find it."""
    from vllm_lint.loaders.command import is_vllm_image
    from vllm_lint.models.request import ModelRequest

    model = d.model
    if not model or "$" in model or any(v.value is None for v in (d.model_arg.variables if d.model_arg else ())):
        return None
    revision = d.value("revision")
    if model.startswith(("/", "./", "../", "~")) or _is_windows_path(model):
        if d.kind in ("compose", "kubernetes", "docker-run"):
            host = d.host_path(model)
            if host is None:
                return "unmounted" if d.kind in ("compose", "docker-run") and is_vllm_image(d.image) else None
            path = host if isinstance(host, Path) else None
        else:
            path = Path(model).expanduser()
            if not path.is_absolute() and d.base_dir:
                path = Path(d.base_dir) / path
        return ModelRequest(model, revision, path) if path is not None and _is_dir(path) else None
    return ModelRequest(model, revision)


def _is_windows_path(value: str) -> bool:
    return len(value) > 2 and value[1] == ":" and value[0].isalpha() and value[2] in "/\\" or value.startswith("\\\\")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):  # a name too long, a NUL byte
        return False


def _resolve_models(project: Project) -> None:
    settings = project.settings
    from vllm_lint.models.lock import LockFinder
    from vllm_lint.models.request import ModelError
    from vllm_lint.models.resolve import resolve

    locks = LockFinder()  # .vllm-lint/models.lock, nearest above each launch's file: read before anything else
    requests = {}
    for d in project.deployments:
        if project.changed is not None and not _touched(project, d):
            continue  # --diff-base: unchanged launches are not fetched
        request = model_request(d)
        if request != "unmounted":
            source = project.source(d.path)
            locked = locks.lookup(d, request, source.abspath if source is not None else None)
            if locked is not None:
                project.models[id(d)] = locked
                continue
        if request is None:
            continue
        if request == "unmounted":
            project.models[id(d)] = ModelError("local-unmounted", f"{d.model} is a local path that no volume mounts "
                                                   "into the container")
            continue
        requests[id(d)] = request
    project.notes.extend(locks.notes())
    if not requests:
        return
    resolved = resolve(sorted(set(requests.values()), key=str), offline=settings.offline,
                           use_snapshot=settings.use_snapshot, use_cache=not settings.no_cache,
                           deadline=getattr(settings, "hub_timeout", None) or 20.0)
    for key, request in requests.items():
        project.model_requests[key] = request
        project.models[key] = resolved.get(request)
    unavailable = collections.Counter(getattr(m, "kind", None) for m in project.models.values()
                                      if getattr(m, "kind", None) in UNAVAILABLE_KINDS)
    if getattr(project, "counted", None) is not None:  # a shard of a --jobs run: the parent counts all shards
        project.counted["unavailable"] = unavailable
        return
    project.notes.extend(unavailable_note(unavailable))


#: Failures that say nothing about the model (the Hub could not answer): a note for the run, not a finding.
UNAVAILABLE_KINDS = {"not-cached": "offline and not cached", "network": "no network", "timeout": "no answer in time",
                     "connection-reset": "connection reset by the Hub",
                     "rate-limited": "rate-limited", "server-error": "Hub server error"}


def _touched(project: Project, d: Deployment) -> bool:
    paths = {d.path, *d.depends_on_files, *(a.flag_span.path for a in d.args)}
    for path in paths:
        source = project.source(path)
        if source is not None and source.abspath in project.changed:
            return True
    return False


def select_rules(settings: Settings, select: list[str] | None = None, ignore: list[str] | None = None) -> list[Rule]:
    chosen = (select or settings.select) + settings.extend_select
    ignored = settings.ignore + (ignore or [])

    def matches(rule: Rule, patterns: list[str]) -> bool:
        return any(p == "ALL" or rule.code.startswith(p) or rule.name == p for p in patterns)

    def named(rule: Rule, patterns: list[str]) -> bool:
        return any(p in (rule.code, rule.name) for p in patterns)

    return [r for r in all_rules()
            if (named(r, chosen) or r.default and matches(r, chosen)) and not matches(r, ignored)]


@dataclass
class Checked:
    """What the rules produced on a project, before suppressions, settings and caps (:func:`finish`)."""

    findings: list[Finding]
    errors: list[str]
    skipped: dict[str, set[str]]  # why -> codes skipped for it
    launch_of: dict[int, int]  # id(finding) -> id(its launch), for the cap per launch


def check(project: Project, rules: list[Rule]) -> Result:
    return finish(project, collect(project, rules), rules)


def collect(project: Project, rules: list[Rule]) -> Checked:
    """Run every rule on its targets (launches, files, the project); a rule's bug is an error, not a stop."""
    findings: list[Finding] = []
    errors: list[str] = list(getattr(project, "load_errors", ()))
    launch_of: dict[int, int] = {}  # id(finding) -> id(its launch), for the cap per launch
    skipped: dict[str, set[str]] = {}
    available: dict[tuple[int, str], bool] = {}  # (id(target), need) -> whether the fact is known
    why_missing: dict[tuple, str] = {}
    for rule in rules:
        if rule.scope == "suppressions":
            continue  # run after the others, on the suppressions that matched nothing
        if rule.scope == "file":
            targets = [(f, None) for f in project.files]
        elif rule.scope == "project":
            targets = [(project, None)]
        else:
            targets = [(d, d) for d in project.deployments]
        options = {**getattr(rule.module, "OPTIONS", {}), **project.settings.rule_options(rule)}
        for target, deployment in targets:
            ctx = Context(rule, project, deployment, options)
            missing = [need for need in rule.needs if not _known(need, ctx, available)]
            if missing:
                key = (id(deployment), tuple(missing))
                if key not in why_missing:  # the same for every rule that needs the same facts of one launch
                    why_missing[key] = _missing_text(missing, ctx)
                skipped.setdefault(why_missing[key], set()).add(rule.code)
                continue
            try:
                produced = list(rule.check(target, ctx) or ())
                if deployment is not None:
                    for f in produced:
                        launch_of[id(f)] = id(deployment)
                findings.extend(produced)
            except Exception as exc:  # a bug in one rule must not hide the others
                where = f" on {deployment}" if deployment is not None else ""
                last = traceback.extract_tb(exc.__traceback__)[-1]
                errors.append(f"internal error in rule {rule.code} ({rule.name}){where}: {type(exc).__name__}: {exc} "
                              f"[{Path(last.filename).name}:{last.lineno}]")
    return Checked(findings, errors, skipped, launch_of)


def finish(project: Project, checked: Checked, rules: list[Rule]) -> Result:
    """Notes, suppressions, the configuration's severities, ``--diff-base``, order and caps."""
    findings, errors, skipped, launch_of = checked.findings, checked.errors, checked.skipped, checked.launch_of
    notes = list(project.notes)
    for what, codes in sorted(skipped.items()):
        notes.append(f"skipped {', '.join(sorted(codes))}: {what}")
    by_code: dict[str, dict[str, set]] = {}
    for (code, why), items in project.rule_skips.items():
        for reason in why.split("; "):  # one note per rule: each missing fact with what it held back
            by_code.setdefault(code, {}).setdefault(reason, set()).update(items)
    for code, reasons in sorted(by_code.items()):
        parts = []
        for reason, items in sorted(reasons.items()):
            named = sorted(i for i in items if i)
            listed = f" ({', '.join(named[:8])}{' and %d more' % (len(named) - 8) if len(named) > 8 else ''})" if named else ""
            parts.append(reason + listed)
        notes.append(f"skipped parts of {code}: " + "; ".join(parts))
    unique: dict = {}
    for f in findings:  # the same finding reached through several launches (a shared .env line) counts once
        unique.setdefault((f.code, f.span.path, f.span.line, f.span.column, f.message), f)
    findings = _apply_suppressions(project, list(unique.values()), {r.code for r in rules})
    findings = _apply_settings(project.settings, findings)
    if project.changed is not None:
        findings = [f for f in findings if _changed(project, f.span)]
    findings.sort(key=Finding.sort_key)
    findings = _capped(findings, notes, launch_of)
    return Result(findings, project, errors, notes, list(rules))


#: At most this many findings per file and per run: past that, a file (a 9 MB command repeating one
#: mistake) is better described by a note than by a million lines.
MAX_FINDINGS_PER_FILE = 100
MAX_FINDINGS_PER_RUN = 1000
MAX_FINDINGS_PER_LAUNCH = 100


def _capped(findings: list[Finding], notes: list[str], launch_of: dict | None = None) -> list[Finding]:
    kept: list[Finding] = []
    per_file: dict[str, int] = collections.Counter()
    per_launch: dict[int, int] = collections.Counter()
    dropped: dict[str, int] = collections.Counter()  # by the caps per file and per launch
    past_run: dict[str, int] = collections.Counter()  # by the cap per run
    launch_of = launch_of or {}
    for f in findings:  # sorted: the first findings of each file are kept
        per_file[f.span.path] += 1
        launch = launch_of.get(id(f))
        if launch is not None:
            per_launch[launch] += 1
        if len(kept) >= MAX_FINDINGS_PER_RUN:
            past_run[f.span.path] += 1
        elif per_file[f.span.path] > MAX_FINDINGS_PER_FILE \
                or launch is not None and per_launch[launch] > MAX_FINDINGS_PER_LAUNCH:
            dropped[f.span.path] += 1
        else:
            kept.append(f)
    for path, n in sorted(dropped.items()):
        notes.append(f"{path}: {n} more finding{'s' if n != 1 else ''} not shown (at most {MAX_FINDINGS_PER_LAUNCH} per "
                     f"launch and {MAX_FINDINGS_PER_FILE} per file)")
    if past_run:  # one note, not one per file: a large tree past the cap would print a line per file
        n = sum(past_run.values())
        notes.append(f"{n} more finding{'s' if n != 1 else ''} in {len(past_run)} file{'s' if len(past_run) != 1 else ''} "
                     f"not shown (at most {MAX_FINDINGS_PER_RUN} per run), from {min(past_run)} on; "
                     "lint fewer files, or --select fewer rules, to see them")
    return kept


def _changed(project: Project, span: Span) -> bool:
    source = project.source(span.path)
    if source is None:
        return False
    lines = project.changed.get(source.abspath, set())
    return lines is None or any(line in lines for line in range(span.line, span.end_line + 1))


_NEED_TEXT = {"release": "no vLLM release known", "model": "no model metadata", "shapes": "no model metadata",
              "gpu": "no GPU known (set hardware: in the configuration, or --gpu)", "estimate": "no memory estimate"}


def _missing_text(missing: list[str], ctx: Context) -> str:
    """Why a rule was skipped, in the words of what is missing. An estimate missing only because something
    else is (the GPUs, the model) says that, not "no GPU known" when the GPUs are known."""
    parts = [_NEED_TEXT.get(m, m) if m != "gpu" or ctx.deployment is None else _gpu_text(ctx)
             for m in missing if m != "estimate"]
    if "estimate" in missing:
        reason = ctx.feasibility.reason if ctx.deployment is not None else None
        if reason and not any(reason.split(" (")[0] in p for p in parts):
            parts.append(f"no memory estimate ({reason})")
        elif not parts:
            parts.append(_NEED_TEXT["estimate"])
    return "; ".join(parts)


def _gpu_text(ctx: Context) -> str:
    why = ctx.project.gpus_of(ctx.deployment)[1] or _NEED_TEXT["gpu"]
    return _NEED_TEXT["gpu"] if why.startswith("no GPU known") else why


def _known(need: str, ctx: Context, memo: dict) -> bool:
    """:func:`_available`, asked once per launch and fact."""
    key = (id(ctx.deployment), need)
    if key not in memo:
        memo[key] = _available(need, ctx)
    return memo[key]


def _available(need: str, ctx: Context) -> bool:
    if need == "release":
        return ctx.release is not None
    if need == "model":
        return ctx.model is not None
    if need == "shapes":
        return ctx.shapes is not None
    if need == "gpu":
        return ctx.deployment is None or ctx.project.gpus_of(ctx.deployment)[0] is not None
    if need == "estimate":
        return ctx.deployment is None or ctx.feasibility.estimate is not None
    return True


def _apply_settings(settings: Settings, findings: list[Finding]) -> list[Finding]:
    out = []
    for f in findings:
        ignored = False
        for pattern, codes in settings.per_file_ignores.items():
            if glob_match(f.span.path, pattern) or glob_match(f.span.path, "**/" + pattern.lstrip("/")):
                if any(c == "ALL" or f.code.startswith(c) or f.name == c for c in codes):
                    ignored = True
        if ignored:
            continue
        override = settings.severity.get(f.code) or settings.severity.get(f.name)
        if override:
            f.severity = override
        out.append(f)
    return out


@dataclass
class Suppression:
    codes: set[str]
    span: Span
    lines: set[int]  # empty = whole file
    used: set[str] = field(default_factory=set)


def suppressions(source: SourceFile) -> list[Suppression]:
    if "vllm-lint:" not in source.text:
        return []
    out = []
    for m in _SUPPRESSION.finditer(source.text):
        kind = m.group(1)
        codes = {c.strip().upper() if c.strip().upper().startswith("VLL") else c.strip()
                 for c in m.group(2).split(",") if c.strip()}
        span = source.span(m.start(), m.end())
        line = span.line
        if kind == "disable-file":
            lines: set[int] = set()
        elif kind == "disable-next-line":
            lines = {line + 1}
        else:
            own_line_comment = source.line_text(line).lstrip().startswith("#")
            lines = {line, line + 1} if own_line_comment else {line}
        out.append(Suppression(codes, span, lines))
    return out


def _apply_suppressions(project: Project, findings: list[Finding], active: set[str]) -> list[Finding]:
    by_file = {f.path: suppressions(f) for f in project.files}
    if not getattr(project.settings, "inline_suppressions", True):  # policy: comments suppress nothing, and are reported
        ignored = rule_by("VLL003")
        every = [s for items in by_file.values() for s in items]
        if every and ignored is not None and ignored.code in active:
            return findings + list(ignored.check(every, Context(ignored, project)))
        return findings
    kept = []
    for f in findings:
        matched = None
        for s in by_file.get(f.span.path, ()):
            if (not s.lines or f.span.line in s.lines) and (f.code in s.codes or f.name in s.codes):
                matched = s
                s.used.add(f.code if f.code in s.codes else f.name)
        if matched is None:
            kept.append(f)
    unused = []
    for items in by_file.values():
        for s in items:
            for code in sorted(s.codes - s.used):
                rule = rule_by(code)
                if rule is not None and rule.code not in active:
                    continue  # the rule did not run: its suppression cannot be judged
                unused.append((s, code, rule))
    reporter = rule_by("VLL002")
    if unused and reporter is not None and reporter.code in active:
        kept.extend(reporter.check(unused, Context(reporter, project)))
    return kept


def run(paths: list[Path], settings: Settings, select=None, ignore=None, compose_files=None, jobs: int = 1) -> Result:
    """Lint ``paths``. A large tree is read and checked in chunks, by ``jobs`` processes
    (:mod:`vllm_lint.parallel`); the findings are the same as at once."""
    rules = select_rules(settings, select, ignore)
    found = find_files(paths, settings, compose_files)
    from vllm_lint.parallel import run_sharded

    result = run_sharded(paths, settings, select, ignore, compose_files, jobs, rules, found)
    if result is not None:  # a large tree, in chunks (and processes)
        return result
    project = load_project(paths, settings, compose_files, found=found)
    return check(project, rules)
