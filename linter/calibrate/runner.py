"""``vllm-lint calibrate``: start each launch with the vLLM installed on this host, with dummy weights, and put
what vLLM printed next to vllm-lint's estimate.

Per launch, one process: ``python -m vllm.entrypoints.openai.api_server`` (or, without uvicorn and fastapi, the
engine alone: :data:`ENGINE_DRIVER`) with the launch's own engine options
(from its command line and ``--config`` file, as parsed), ``--load-format dummy`` (vLLM allocates the real
parameter tensors and fills them with random values: nothing is downloaded), ``--skip-tokenizer-init`` where the
release has it, and the model as a folder holding the metadata vllm-lint resolved (``config.json``, the
quantization descriptors, the preprocessor config, a two-field ``generation_config.json``); a model folder of
this host is used as it is. The process is stopped as soon as the server is up, a grace period after the KV
cache figures, or at the time limit; its whole process group is ended, so the GPU is free for the next launch.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.calibrate.startup_log import READY, error_lines, kv_figures, parse_log_text

GIB = 1 << 30
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
#: The engine without its HTTP server (``--driver engine``, or ``auto`` where uvicorn/fastapi are missing): vLLM's own
#: parser reads the same words, the engine is built with the API server's usage context (so the defaults that
#: depend on it, such as --max-num-batched-tokens, are the ones `vllm serve` gets), and a ready line is printed.
ENGINE_DRIVER = r"""
import sys
from vllm.engine.arg_utils import EngineArgs
try:
    from vllm.utils.argparse_utils import FlexibleArgumentParser
except ImportError:
    from vllm.utils import FlexibleArgumentParser
from vllm.usage.usage_lib import UsageContext
parser = EngineArgs.add_cli_args(FlexibleArgumentParser())
args, unknown = parser.parse_known_args(sys.argv[1:])
if unknown:
    print("WARNING vllm-lint calibrate: options the engine does not take, not passed: " + " ".join(unknown), flush=True)
engine_args = EngineArgs.from_cli_args(args)
from vllm import LLMEngine
engine = LLMEngine.from_engine_args(engine_args, usage_context=UsageContext.OPENAI_API_SERVER)
print("INFO vllm-lint calibrate: Application startup complete (engine built, no HTTP server).", flush=True)
import os
os._exit(0)
"""
ENGINE_DRIVER_SHOWN = "<vllm_lint.calibrate.runner.ENGINE_DRIVER>"  # the script, as commands and logs show it

#: Options not passed on: where the server listens and what it serves (calibrate sets its own), the model's files
#: (replaced by the metadata folder), what needs files or a tokenizer that are not here (chat templates, LoRA
#: adapters, tool and reasoning parsers), logging and TLS. Everything else is the launch's own.
DROPPED = frozenset({
    "model", "", "config", "host", "port", "uds", "api-key", "served-model-name", "load-format", "download-dir",
    "tokenizer", "tokenizer-mode", "tokenizer-revision", "revision", "code-revision", "hf-token", "hf-config-path",
    "chat-template", "chat-template-content-format", "chat-template-kwargs", "default-chat-template-kwargs",
    "response-role", "ssl-keyfile", "ssl-certfile", "ssl-ca-certs", "ssl-cert-reqs", "enable-ssl-refresh", "root-path",
    "middleware", "allowed-origins", "allowed-methods", "allowed-headers", "allow-credentials", "lora-modules",
    "prompt-adapters", "tool-call-parser", "tool-parser-plugin", "enable-auto-tool-choice", "reasoning-parser",
    "reasoning-parser-plugin", "uvicorn-log-level", "disable-uvicorn-access-log", "log-config-file",
    "disable-log-requests", "enable-log-requests", "disable-log-stats", "model-loader-extra-config",
    "ignore-patterns", "otlp-traces-endpoint", "tool-server", "api-server-count", "headless", "skip-tokenizer-init",
    "return-tokens-as-token-ids", "disable-fastapi-docs", "enable-request-id-headers", "enable-prompt-tokens-details",
    "enable-server-load-tracking", "enable-force-include-usage", "max-log-len",
})
#: The launch's environment variables passed on (those that change what vLLM allocates or how it runs).
_ENV_PREFIXES = ("VLLM_", "PYTORCH_CUDA_ALLOC_CONF", "NCCL_", "TORCH_CUDA_ARCH_LIST")
_ENV_DROPPED = {"VLLM_API_KEY", "VLLM_PORT", "VLLM_HOST_IP", "VLLM_LOGGING_CONFIG_PATH", "VLLM_CONFIGURE_LOGGING"}


class NoVllm(Exception):
    """vLLM cannot be imported by the Python that would run it."""


# ---------------------------------------------------------------------------------------- the vLLM of this host


_PROBE = r"""
import importlib.util, sys
spec = importlib.util.find_spec("vllm")
if spec is None:
    sys.exit(3)
try:
    from importlib.metadata import version
    v = version("vllm")
except Exception:
    import vllm
    v = getattr(vllm, "__version__", "")
sys.stdout.write(v)
sys.stdout.write(" server" if importlib.util.find_spec("uvicorn") and importlib.util.find_spec("fastapi") else " engine")
"""


def installed_vllm(python: str, env: dict | None = None, timeout: float = 120) -> str:
    """The vLLM release ``python`` imports (``importlib.metadata``, else ``vllm.__version__``); NoVllm if none."""
    return probe_vllm(python, env, timeout)[0]


def probe_vllm(python: str, env: dict | None = None, timeout: float = 120) -> tuple[str, str]:
    """(the vLLM release ``python`` imports, the driver it can run: ``server`` when uvicorn and fastapi are there
    too, else ``engine``); NoVllm if it has no vLLM."""
    try:
        out = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoVllm(f"cannot run {python}: {exc}") from None
    if out.returncode == 3:
        raise NoVllm(f"vLLM is not installed for {python} (`import vllm` fails)")
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        raise NoVllm(f"`import vllm` fails for {python}: {last}")
    version, _, driver = out.stdout.strip().rpartition(" ")
    return version or "unknown", driver or "server"


# ---------------------------------------------------------------------------------------- one launch


@dataclass
class Case:
    """One launch to start: the command, its environment, and why it cannot be started (``skipped``)."""

    deployment: object
    model: str | None
    args: list[str] = field(default_factory=list)  # engine options, as words
    env: dict[str, str] = field(default_factory=dict)
    folder: Path | None = None  # the model folder given to vLLM (None: the model id itself)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)

    def command(self, python: str, port: int, skip_tokenizer_init: bool, driver: str = "server") -> list[str]:
        model = str(self.folder) if self.folder is not None else self.model
        if driver == "engine":
            words = [python, "-c", ENGINE_DRIVER, "--model", model, "--served-model-name", self.model or model,
                     "--load-format", "dummy"]
        else:
            words = [python, "-m", SERVER_MODULE, "--model", model, "--served-model-name", self.model or model,
                     "--host", "127.0.0.1", "--port", str(port), "--load-format", "dummy"]
        if skip_tokenizer_init:
            words.append("--skip-tokenizer-init")
        return words + self.args


@dataclass
class Outcome:
    """What happened to one launch: ``status`` is ``started`` (the server came up), ``printed`` (it printed its KV
    cache figures and was stopped before the server was up: a grace period after them, or the time limit),
    ``failed`` (it exited before the server was up; the figures it printed first are kept: an out-of-memory in
    CUDA-graph capture comes after them), ``timeout`` (no figures in time) or ``skipped``."""

    case: Case
    status: str
    seconds: float = 0.0
    printed: dict = field(default_factory=dict)  # kv_figures() of the log
    record: dict = field(default_factory=dict)  # parse_log_text() of the log
    estimate: object = None  # memory.estimate.Estimate, or None
    estimate_reason: str | None = None
    command: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the log's error lines (failed start-ups)
    log_path: str | None = None

    def estimated(self) -> dict:
        est = self.estimate
        if est is None:
            return {}
        worst = min(est.gpus, key=lambda g: g.kv_cache.bytes)
        return {"weights_gib": est.gpus[0].weights.bytes / GIB, "available_kv_gib": worst.kv_cache.bytes / GIB,
                "kv_tokens": float(est.kv_cache_tokens), "max_concurrency": float(est.max_concurrency),
                "concurrency_len": float(est.max_model_len)}

    def errors_by_figure(self) -> dict[str, float]:
        """figure -> estimate / printed - 1, for every figure both have."""
        estimated = self.estimated()
        out = {}
        for key in ("weights_gib", "available_kv_gib", "kv_tokens", "max_concurrency"):
            if self.printed.get(key) and key in estimated:
                out[key] = estimated[key] / float(self.printed[key]) - 1
        return out


def plan(project, deployment, work: Path, release=None) -> Case:
    """The Case of one launch: its engine options and the model folder (written under ``work``)."""
    from vllm_lint.engine import model_request

    d = deployment
    case = Case(d, d.model)
    if not d.model:
        case.skipped = "no model"
        return case
    if d.runtime_values:
        case.skipped = "set at run time, not known here: " + ", ".join(d.runtime_values[:6])
        return case
    unset = sorted({v.name for a in d.args for v in a.variables if v.value is None})
    if unset:
        case.skipped = f"its options use unset variable(s) {', '.join(unset[:6])} (--env-file to give them)"
        return case
    if d.arg("config") is not None and not d.config_file:
        case.skipped = f"its --config file {d.value('config')} is not readable here"
        return case
    meta = project.model_of(d)
    request = model_request(d)
    local = getattr(request, "local_dir", None) if request not in (None, "unmounted") else None
    if local is not None and Path(local).is_dir():
        case.folder = Path(local)
    elif meta is not None and d.flag_set("trust-remote-code") and meta.has_custom_code:
        case.notes.append("custom model code: vLLM reads the config and code from the Hub (no weights)")
    elif meta is not None:
        case.folder = write_model_folder(meta, work / _safe(f"{d.name}-{d.span.line}"))
    else:
        error = project.model_error_of(d)
        case.skipped = "no model metadata" + (f" ({error.message})" if error is not None else "") + \
            ": `vllm-lint models lock` with network, or the HF cache, provide it"
        return case
    case.args = engine_words(d, release)
    case.env = {k: v.value for k, v in d.env.items()
                if v.value is not None and k.startswith(_ENV_PREFIXES) and k not in _ENV_DROPPED}
    return case


def engine_words(d, release=None) -> list[str]:
    """The launch's engine options as command-line words, minus :data:`DROPPED`."""
    words: list[str] = []
    for a in d.args:
        if a.name in DROPPED or a.origin == "positional":
            continue
        flag = "--" + a.name + (f".{a.subkey}" if a.subkey else "")
        if a.origin != "config" and a.words:
            words += [w.value for w in a.words]
            continue
        option = release.option(flag.split(".", 1)[0]) if release is not None else None
        if a.negated:
            negative = next(iter(option.negatives), None) if option is not None and option.negatives else None
            if negative:
                words.append(negative)
            continue
        if a.value is None:
            words.append(flag)
        elif option is not None and (option.nargs in ("+", "*") or isinstance(option.nargs, int) and option.nargs > 1):
            words += [flag, *a.value.split()]
        else:
            words += [flag, a.value]
    return words


def write_model_folder(meta, folder: Path) -> Path:
    """A folder vLLM can start from with dummy weights: config.json, the quantization descriptors, the
    preprocessor config and a generation_config.json with the config's bos/eos token ids."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(meta.config, indent=1) + "\n", encoding="utf-8")
    for name, content in meta.quant_files.items():
        (folder / name).write_text(json.dumps(content, indent=1) + "\n", encoding="utf-8")
    if meta.preprocessor:
        (folder / "preprocessor_config.json").write_text(json.dumps(meta.preprocessor, indent=1) + "\n", encoding="utf-8")
    generation = {k: meta.get(k) for k in ("bos_token_id", "eos_token_id") if meta.get(k) is not None}
    (folder / "generation_config.json").write_text(json.dumps(generation or {"_from_model_config": True}) + "\n",
                                                   encoding="utf-8")
    return folder


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)[:80]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(case: Case, python: str, *, skip_tokenizer_init: bool, timeout: float, grace: float = 60.0,
          log_dir: Path | None = None, env: dict | None = None, driver: str = "server") -> Outcome:
    """Run one launch until the server is up, ``grace`` seconds after its KV cache figures, its exit, or
    ``timeout``; then end its process group. The log is kept in ``log_dir`` when given."""
    port = free_port()
    command = case.command(python, port, skip_tokenizer_init, driver)
    child_env = dict(os.environ if env is None else env)
    child_env.update(case.env)
    child_env.setdefault("VLLM_NO_USAGE_STATS", "1")
    child_env.setdefault("DO_NOT_TRACK", "1")
    child_env["PYTHONUNBUFFERED"] = "1"
    lines: list[str] = []
    started = time.monotonic()
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                text=True, errors="replace", env=child_env, start_new_session=(os.name == "posix"))
    except OSError as exc:
        return Outcome(case, "failed", command=[ENGINE_DRIVER_SHOWN if w == ENGINE_DRIVER else w for w in command],
                       errors=[f"cannot start {python}: {exc}"])
    up, ended = threading.Event(), threading.Event()
    figures_at: list[float] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if READY.search(line):
                up.set()
            elif not figures_at and ("Maximum concurrency for" in line or "# GPU blocks:" in line):
                figures_at.append(time.monotonic())
        ended.set()  # the output ended: the process is gone (or closed its output)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    status = None
    while status is None:
        ended.wait(0.2)
        if up.is_set():
            status = "started"
        elif ended.is_set() or proc.poll() is not None:  # its workers may hold the output open after it died
            ended.wait(0.5)
            status = "exited"
        elif figures_at and time.monotonic() - figures_at[0] > grace:
            status = "printed"
        elif time.monotonic() - started > timeout:
            status = "timeout"
    seconds = time.monotonic() - started
    _stop(proc)
    reader.join(timeout=10)
    text = "\n".join(lines) + "\n"
    record = parse_log_text(text)
    printed = kv_figures(record)
    have_figures = "available_kv_gib" in printed or "kv_tokens" in printed
    if status == "exited":  # it stopped by itself before the server was up: it does not start
        status = "failed"
    elif status == "timeout" and have_figures:
        status = "printed"
    shown = [ENGINE_DRIVER_SHOWN if w == ENGINE_DRIVER else w for w in command]
    outcome = Outcome(case, status, round(seconds, 1), printed, record, command=shown)
    if status in ("failed", "timeout"):
        outcome.errors = error_lines(text) or [x for x in lines[-5:] if x.strip()]
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        path = log_dir / (_safe(f"{case.deployment.name}-{case.deployment.span.line}") + ".log")
        path.write_text(shlex.join(shown) + "\n" + text, encoding="utf-8")
        outcome.log_path = str(path)
    return outcome


def _stop(proc: subprocess.Popen, wait: float = 20.0) -> None:
    """End the process we started and the workers it started: its process group (new session, so the group id is
    its pid), also when it has already exited and left workers behind."""
    if os.name != "posix":  # pragma: no cover
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return
    _signal_group(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and (proc.poll() is None or _group_alive(proc.pid)):
        time.sleep(0.1)
    if proc.poll() is None or _group_alive(proc.pid):
        _signal_group(proc.pid, signal.SIGKILL)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass


def _signal_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (signal 0 reaches zombies too: /proc tells them apart)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():  # pragma: no cover - no procfs: assume alive until SIGKILL
        return True
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


# ---------------------------------------------------------------------------------------- every launch


@dataclass
class Calibration:
    vllm_version: str
    python: str
    outcomes: list[Outcome]
    notes: list[str] = field(default_factory=list)
    driver: str = "server"


def calibrate(project, *, python: str | None = None, timeout: float = 600.0, grace: float = 60.0,
              log_dir: Path | None = None, only: list[str] | None = None, version: str | None = None,
              progress=None, driver: str = "auto") -> Calibration:
    """Start every launch of ``project`` (or those named in ``only``) with this host's vLLM, one at a time.
    ``version``: the installed vLLM release (:func:`installed_vllm`), found when not given. ``driver``: ``server``
    (vLLM's OpenAI server, as `vllm serve`), ``engine`` (the engine alone: :data:`ENGINE_DRIVER`) or ``auto`` (the
    server where uvicorn and fastapi are installed)."""
    from vllm_lint.hardware.gpu import Inventory
    from vllm_lint.memory.feasibility import feasibility

    python = python or sys.executable
    if version is None or driver == "auto":
        found, can = probe_vllm(python)
        version = version or found
        driver = can if driver == "auto" else driver
    release = _release(version)
    skip_tokenizer = release is None or release.option("--skip-tokenizer-init") is not None
    inventory = project.inventory
    cards = list(inventory.devices.values()) if inventory else []
    host_gpus = len(cards) or None
    card = inventory.default if inventory and inventory.default is not None else (cards[0] if cards else None)
    estimate_inventory = Inventory(default=card, source="calibrate") if card is not None else Inventory()
    out = Calibration(version, python, [], driver=driver)
    if driver == "engine":
        out.notes.append("vLLM's engine was started without its HTTP server (uvicorn or fastapi missing, or "
                         "--driver engine): the same engine options and defaults as `vllm serve`")
    if release is None:
        out.notes.append(f"vLLM {version} is not in vllm-lint's release tables: its options are passed as written")
    if card is None:
        out.notes.append("no GPU known (--gpu, or nvidia-smi for --gpu auto): vLLM's figures only, no estimate")
    with tempfile.TemporaryDirectory(prefix="vllm-lint-calibrate-") as tmp:
        for d in project.deployments:
            if only and d.name not in only:
                continue
            case = plan(project, d, Path(tmp), release or project.release_of(d))
            workers = max(1, d.tensor_parallel * d.pipeline_parallel)
            if case.skipped is None and host_gpus is not None and workers > host_gpus:
                case.skipped = f"needs {workers} GPUs (tensor x pipeline parallel), this host has {host_gpus}"
            if case.skipped is not None:
                out.outcomes.append(Outcome(case, "skipped"))
                continue
            if progress is not None:
                progress(f"starting {d.path}:{d.span.line} {d.name} ({d.model}) with vLLM {version} ...")
            outcome = start(case, python, skip_tokenizer_init=skip_tokenizer, timeout=timeout, grace=grace,
                            log_dir=log_dir, driver=driver)
            if card is not None:
                f = feasibility(d, project.model_of(d), estimate_inventory, version, project.model_error_of(d))
                outcome.estimate, outcome.estimate_reason = f.estimate, f.reason
            else:
                outcome.estimate_reason = "no GPU known"
            out.outcomes.append(outcome)
    return out


def _release(version: str):
    from vllm_lint.vllm.release import load_release

    try:
        return load_release(version)
    except (KeyError, ValueError):
        return None


# ---------------------------------------------------------------------------------------- output


_FIGURES = (("weights_gib", "weights / GPU (GiB)", "{:.2f}"), ("available_kv_gib", "KV cache / GPU (GiB)", "{:.2f}"),
            ("kv_tokens", "KV cache tokens", "{:,.0f}"), ("max_concurrency", "max concurrency", "{:.2f}x"))


def render_text(cal: Calibration) -> str:
    lines = []
    for o in cal.outcomes:
        d = o.case.deployment
        head = f"{d.path}:{d.span.line} {d.name} ({o.case.model or '-'})"
        if o.status == "skipped":
            lines.append(f"{head}: skipped: {o.case.skipped}")
            continue
        said = {"started": f"started with vLLM {cal.vllm_version} in {o.seconds:.0f} s",
                "printed": f"printed its KV cache with vLLM {cal.vllm_version} in {o.seconds:.0f} s",
                "failed": f"did not start with vLLM {cal.vllm_version} ({o.seconds:.0f} s)",
                "timeout": f"gave no KV cache figures in {o.seconds:.0f} s (--timeout)"}[o.status]
        lines.append(f"{head}: {said}")
        for note in o.case.notes:
            lines.append(f"  note: {note}")
        if o.printed:
            estimated, errors = o.estimated(), o.errors_by_figure()
            lines.append(f"  {'figure':<26} {'vLLM':>14} {'estimate':>14} {'error':>8}")
            for key, label, fmt in _FIGURES:
                if key not in o.printed:
                    continue
                if key == "max_concurrency" and o.printed.get("concurrency_len"):
                    label = f"max concurrency ({o.printed['concurrency_len']:,})"
                est = fmt.format(estimated[key]) if key in estimated else "-"
                err = f"{errors[key]:+.1%}" if key in errors else ""
                lines.append(f"  {label:<26} {fmt.format(o.printed[key]):>14} {est:>14} {err:>8}")
            if o.estimate is None:
                lines.append(f"  no estimate: {o.estimate_reason}")
            elif o.estimate.stand_in:
                lines.append(f"  estimated from {o.estimate.stand_in}'s shapes (its own metadata is not available)")
        for error in o.errors[-6:]:
            lines.append(f"  ! {error}")
        if o.log_path:
            lines.append(f"  log: {o.log_path}")
    return "\n".join(lines) + ("\n" if lines else "")


def as_dict(cal: Calibration) -> dict:
    rows = []
    for o in cal.outcomes:
        d = o.case.deployment
        row = {"file": d.path, "line": d.span.line, "name": d.name, "model": o.case.model, "status": o.status}
        if o.status == "skipped":
            row["skipped"] = o.case.skipped
        else:
            row.update(seconds=o.seconds, command=o.command, vllm=o.printed,
                       vllm_version_printed=o.record.get("vllm_version"),
                       estimate={k: round(v, 4) for k, v in o.estimated().items()},
                       error={k: round(v, 4) for k, v in o.errors_by_figure().items()},
                       estimate_skipped=o.estimate_reason if o.estimate is None else None,
                       stand_in=getattr(o.estimate, "stand_in", None), notes=o.case.notes,
                       error_lines=o.errors, log=o.log_path)
        rows.append(row)
    return {"vllm_version": cal.vllm_version, "python": cal.python, "driver": cal.driver, "launches": rows,
            "notes": cal.notes}
