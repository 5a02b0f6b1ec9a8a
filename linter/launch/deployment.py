"""Deployment: one vLLM launch found in a configuration file, with the position of everything."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from vllm_lint.sources.span import Span


@dataclass(frozen=True)
class VarUse:
    """A variable that a value was interpolated from."""

    name: str
    span: Span  # where ``${NAME}`` is written
    value: str | None  # None when unset (compose) or not known before run time (shell, Kubernetes)
    defined_at: Span | None = None  # the line of the .env file that defines it, when it comes from one
    kind: str = "compose"  # "compose" (interpolated by compose: unset means empty), "shell" or "kubernetes"


@dataclass
class Word:
    """One word of a command line, after interpolation, with the span of its source text."""

    value: str
    span: Span
    raw: str = ""
    variables: tuple[VarUse, ...] = ()
    exact: bool = True  # False when the span could only be approximated (escapes in a quoted scalar)
    # How text written at ``span`` is read back, for fixes: "yaml-plain" (a whole plain scalar),
    # "yaml-single" / "yaml-double" (the inside of a quoted scalar), "shell" (a word of a command
    # string), "json" (the inside of a JSON string); "" when the span cannot be rewritten exactly.
    quoting: str = ""
    item_span: Span | None = None  # the whole list item the word is, for list-form commands
    forwarded: bool = False  # "$@", "${ARGS[@]}", an unquoted unknown $VAR: any number of arguments, unknown


@dataclass
class Arg:
    """One vLLM argument as written: ``--flag value``, ``--flag=value``, a bare ``--flag`` or the
    positional model of ``vllm serve MODEL``."""

    name: str  # normalized: no leading dashes, "_" -> "-", no "no-" prefix, no ".subkey"
    flag: str  # as written, e.g. "--rope_scaling", "--limit-mm-per-prompt.image"; "" for positional
    value: str | None
    flag_span: Span
    value_span: Span | None = None
    subkey: str | None = None
    negated: bool = False  # --no-flag
    origin: str = "command"  # "command", "positional" or "config" (from a --config file)
    variables: tuple[VarUse, ...] = ()
    words: tuple[Word, ...] = ()  # the words this argument was written with (for fixes)
    inline: bool = False  # written as --flag=value in one word

    @property
    def span(self) -> Span:
        """From the flag to the end of the value."""
        end = self.value_span or self.flag_span
        return Span(self.flag_span.path, self.flag_span.line, self.flag_span.column, end.end_line,
                    end.end_column, self.flag_span.start, end.end)

    @property
    def value_or_flag_span(self) -> Span:
        return self.value_span or self.flag_span


@dataclass
class EnvVar:
    name: str
    value: str | None
    span: Span  # where the variable is set for the container
    variables: tuple[VarUse, ...] = ()
    from_secret: bool = False  # k8s valueFrom / a compose secret
    name_span: Span | None = None  # where the variable's name is written (for renames)


@dataclass
class Port:
    container: str
    host: str | None
    span: Span
    protocol: str = "tcp"


@dataclass
class Volume:
    source: str | None  # host path or volume name
    target: str  # path in the container
    span: Span
    kind: str = "bind"  # bind, volume, tmpfs, hostPath, pvc, configMap, secret, emptyDir ...
    short: bool = False  # compose short syntax (``./hf:/root/.cache/huggingface``): a missing host path is created empty
    create_host_path: bool | None = None  # compose long syntax ``bind: {create_host_path: ...}``, when written
    raw: str = ""  # compose short syntax as written, before interpolation (``${HF_CACHE:-./hf}:/root/.cache/huggingface``)


@dataclass
class GpuRequest:
    """The GPUs a launch is given, as written."""

    span: Span
    device_ids: list[str] | None = None  # host device ids
    count: int | None = None  # None = unspecified; -1 = all
    how: str = ""  # "deploy.resources", "NVIDIA_VISIBLE_DEVICES", "nvidia.com/gpu", "runtime: nvidia"


@dataclass
class Healthcheck:
    test: list[str]
    span: Span
    words: list[Word] = field(default_factory=list)


@dataclass
class Probe:
    """When an orchestrator gives up on a container that does not answer its health check: a compose
    ``healthcheck`` (the container is marked unhealthy) or a Kubernetes probe (a failing startup or liveness
    probe restarts it)."""

    kind: str  # "compose", "startupProbe", "livenessProbe", "readinessProbe"
    span: Span
    # the timing fields written, in seconds (durations) or as a count (retries, failureThreshold);
    # None when the value cannot be read (a variable, a typo)
    timing: dict[str, tuple[float | None, Span]] = field(default_factory=dict)
    disabled: bool = False  # compose ``disable: true`` or ``test: [NONE]``
    handler: str = ""  # what it runs: the compose test's words, "httpGet", "tcpSocket", "grpc" or "exec: ..."
    acted_on_by: list[str] = field(default_factory=list)  # compose: what acts on "unhealthy" (dependent services, autoheal)


@dataclass
class Deployment:
    path: str
    kind: str  # "compose", "kubernetes", "script" (on the host: scripts, Dockerfiles, systemd units), "docker-run", "vllm-config"
    name: str
    span: Span
    image: str | None = None
    image_span: Span | None = None
    version: str | None = None  # the vLLM release the launch runs, when the source pins one
    version_source: str | None = None
    nightly: str | None = None  # a nightly image: which release it is judged as, and why (vllm/nightly.py)
    launcher: str = ""  # "vllm serve", "api_server", "image entrypoint" (vLLM's image) or "custom image entrypoint"
    args: list[Arg] = field(default_factory=list)
    env: dict[str, EnvVar] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    gpus: list[GpuRequest] = field(default_factory=list)
    healthcheck: Healthcheck | None = None
    probes: list[Probe] = field(default_factory=list)  # timing of the healthcheck / probes (rules/healthcheck_budget.py)
    profiles: list[str] = field(default_factory=list)  # compose ``profiles:`` the service belongs to
    ipc: str | None = None
    ipc_span: Span | None = None
    shm_size: str | None = None
    shm_size_span: Span | None = None
    runtime: str | None = None
    gpu_product: str | None = None  # the GPU model a Kubernetes nodeSelector asks for
    gpu_product_span: Span | None = None
    config_file: str | None = None  # the --config file read, if any
    base_dir: str | None = None  # folder that relative host paths (volumes, env files) are relative to
    host_group: str | None = None  # launches with the same group share one machine (GPUs, host ports)
    depends_on_files: list[str] = field(default_factory=list)  # .env, env_file, --config ...
    group_size: int = 1  # pods of a multi-node group (LeaderWorkerSet size): GPUs per pod x group_size in all
    runtime_values: list[str] = field(default_factory=list)  # variables and forwarded words known only at run time
    env_from_unseen: list[str] = field(default_factory=list)  # k8s envFrom objects not in the tree: any variable may be set
    notes: list[str] = field(default_factory=list)  # said in the run's notes: a model an initContainer downloads ...
    via: str | None = None  # how the launch is started when not directly: "bash -c → eval", "built from engine/Dockerfile"
    # The format it was read from when ``kind`` alone does not say (``kind`` is how it runs: "kubernetes" for a
    # pod an operator creates): "helm-values", "kubeai", "kserve", "ray-serve", "skypilot", "dstack", "truss",
    # "aibrix", "python"; "" for the formats ``kind`` names.
    source_format: str = ""

    def host_path(self, container_path: str):
        """The host path that a volume mounts at ``container_path``, or None when no volume does.

        Returns a ``pathlib.Path`` for bind mounts and the string ``"<kind>:<name>"`` for named
        volumes, claims and the like (present, but not readable from here)."""
        from pathlib import Path, PurePosixPath

        target = PurePosixPath(container_path)
        best = None
        for v in self.volumes:
            mount = PurePosixPath(v.target)
            if target == mount or mount in target.parents:
                if best is None or len(mount.parts) > len(PurePosixPath(best.target).parts):
                    best = v
        if best is None:
            return None
        rest = target.relative_to(best.target)
        if best.kind in ("bind", "hostPath") and best.source:
            source = Path(best.source).expanduser()
            if not source.is_absolute() and self.base_dir:
                source = Path(self.base_dir) / source
            return source / rest
        return f"{best.kind}:{best.source or best.target}"

    # -- arguments -----------------------------------------------------------------------------
    def all(self, name: str) -> list[Arg]:
        """Every occurrence of an argument (config file first, then command line order)."""
        return [a for a in self.args if a.name == name]

    def arg(self, name: str) -> Arg | None:
        """The occurrence that wins (the last one), ignoring dotted sub-keys."""
        frozen = self.__dict__.get("_frozen")
        if frozen is not None and frozen[0] is self.args and frozen[1] == len(self.args):
            return frozen[2].get(name)
        return self._winners().get(name)

    def __getstate__(self):
        """Copied to another process (``--jobs``) without the argument tables, which are rebuilt there on use."""
        state = dict(self.__dict__)
        state.pop("_winners_cache", None)
        state.pop("_frozen", None)
        return state

    def freeze_args(self) -> None:
        """Loading is over: :meth:`arg` answers from one table (asked some hundred times per launch by the rules)
        without rebuilding its key; arguments added afterwards (or a new list) are seen all the same."""
        self.__dict__["_frozen"] = (self.args, len(self.args), dict(self._winners()))

    def _winners(self) -> dict[str, Arg]:
        """name -> winning occurrence; rebuilt when the loaders have added arguments since."""
        key = (id(self.args), len(self.args))
        cached = self.__dict__.get("_winners_cache")
        if cached is None or cached[0] != key:
            cached = (key, {a.name: a for a in self.args if a.subkey is None})
            self.__dict__["_winners_cache"] = cached
        return cached[1]

    def value(self, name: str) -> str | None:
        a = self.arg(name)
        if a is None or a.negated:
            return None
        return a.value

    def flag_set(self, name: str) -> bool:
        """Whether a boolean flag ends up true."""
        a = self.arg(name)
        if a is None:
            return False
        if a.negated:
            return False
        return a.value is None or a.value.strip().lower() not in ("false", "0", "no")

    def unknown(self, name: str) -> bool:
        """Whether the argument is given but its value is known only at run time (a shell or Kubernetes
        variable from outside the tree): checks that need it skip it rather than guess."""
        a = self.arg(name)
        return a is not None and any(v.value is None and v.kind != "compose" for v in a.variables)

    def number(self, name: str, kind=float):
        v = self.value(name)
        if v is None:
            return None
        try:
            return kind(v)
        except ValueError:
            return None

    def json_value(self, name: str):
        """A JSON-valued argument merged with its dotted sub-keys, or None when unreadable."""
        result = None
        for a in self.all(name):
            if a.subkey is None:
                try:
                    parsed = json.loads(a.value) if a.value is not None else None
                except ValueError:
                    parsed = None
                result = parsed if isinstance(parsed, dict) else result
            else:
                result = dict(result or {})
                node = result
                keys = a.subkey.split(".")
                for key in keys[:-1]:
                    node = node.setdefault(key, {})
                try:
                    node[keys[-1]] = json.loads(a.value) if a.value is not None else True
                except ValueError:
                    node[keys[-1]] = a.value
        return result

    @property
    def model(self) -> str | None:
        return self.value("model")

    @property
    def model_arg(self) -> Arg | None:
        return self.arg("model")

    @property
    def tensor_parallel(self) -> int:
        return self.number("tensor-parallel-size", int) or 1

    @property
    def pipeline_parallel(self) -> int:
        return self.number("pipeline-parallel-size", int) or 1

    @property
    def env_value(self):
        return {k: v.value for k, v in self.env.items()}

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r} in {self.path}"
