"""The ``vllm-lint`` command line."""
from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from vllm_lint import __version__
from vllm_lint.cli_options import file_options

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultGroup(click.Group):
    """``vllm-lint PATH...`` means ``vllm-lint check PATH...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        """An internal error anywhere (a bug, a RecursionError, MemoryError) is one line on stderr and exit code 2,
        never a traceback and never 1, which CI reads as "findings". ``VLLM_LINT_TRACEBACK=1`` shows it."""
        import os

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last guard
            if os.environ.get("VLLM_LINT_TRACEBACK"):
                raise
            import traceback

            frames = traceback.extract_tb(exc.__traceback__)
            where = f" [{Path(frames[-1].filename).name}:{frames[-1].lineno}]" if frames else ""
            text = " ".join(str(exc).split())[:300]
            click.echo(f"vllm-lint: internal error: {type(exc).__name__}: {text}{where} (please report it; "
                       "VLLM_LINT_TRACEBACK=1 shows the traceback)", err=True)
            ctx.exit(EXIT_ERROR)


def _codes(values) -> list[str]:
    out = []
    for v in values or ():
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vllm-lint")
def main():
    """Lint vLLM deployments (docker compose, Kubernetes, vLLM --config files, scripts) before they start.

    \b
    vllm-lint profiles/                lint every launch found under profiles/
    vllm-lint rules                    list the rules
    vllm-lint explain VLL103           a rule's documentation
    """
    # A run builds one large tree of long-lived objects (every file's nodes, spans and launches) and frees
    # nothing until it ends: with the default thresholds the cyclic collector walks that growing heap
    # again and again, about a third of a large run. Collect young objects less often; nothing is lost,
    # reference counting still frees everything that is not in a cycle.
    gc.set_threshold(50_000, 20, 100)


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "rdjson", "markdown", "gitlab", "junit"]), default="text",
              show_default=True, help="Output format.")
@click.option("--select", multiple=True, help="Rules to run: codes, prefixes (VLL2), names or ALL; comma-separated.")
@click.option("--extend-select", multiple=True, help="Rules to run in addition to the selected ones.")
@click.option("--ignore", multiple=True, help="Rules not to run.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Lowest severity that makes the exit code 1 [default: warning].")
@file_options
@click.option("--no-cache", is_flag=True, help="Do not read or write the metadata cache.")
@click.option("--exclude", multiple=True, help="gitignore-style patterns of paths to skip (adds to the configuration's).")
@click.option("--diff-base", metavar="REF", help="Only report findings on lines added or changed since git REF.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when stdout is a terminal).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour (with --fix or --diff).")
@click.option("--force", is_flag=True, help="With --fix: also rewrite read-only files, and files whose owner cannot be kept.")
@click.option("--hub-timeout", type=click.FloatRange(min=0.1, max=3600), default=None, metavar="SECONDS",
              help="Most time spent on each model's metadata from the Hugging Face Hub, retries included "
                   "[default: 20; the whole run: 60].")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them.")
@click.option("-q", "--quiet", is_flag=True, help="Only the finding lines.")
@click.option("-v", "--verbose", is_flag=True, help="Also say what was read and assumed.")
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Report only findings not in this baseline (written by `vllm-lint baseline`); say which entries are stale.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None,
              help="Skip what .gitignore and .ignore files ignore when walking folders [default: respect].")
@click.option("--no-inline-suppressions", is_flag=True,
              help="Ignore '# vllm-lint: disable' comments and report them (VLL003), for policy owners.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Processes that read and check a large tree (200 files or more; the findings do not change) "
                   "[default: the CPU count; 0 is the CPU count, 1 is one process].")
def check_command(paths, fmt, select, extend_select, ignore, fail_on, reading, no_cache, exclude, diff_base, statistics, fix, unsafe_fixes, show_diff, color, quiet, verbose,
                  baseline_path=None, respect_gitignore=None, no_inline_suppressions=False, force=False,
                  hub_timeout=None, jobs=None):
    """Lint the vLLM launches found in PATHS (files or folders; default: the current folder)."""
    from vllm_lint.engine import run
    from vllm_lint.finding import severity_rank
    from vllm_lint.reporters import render

    settings = reading.settings(paths)
    if hub_timeout:
        settings.hub_timeout = hub_timeout
    if fail_on:
        settings.fail_on = fail_on
    settings.no_cache = settings.no_cache or no_cache
    settings.extend_select += _codes(extend_select)
    settings.exclude += list(exclude)
    if diff_base:
        settings.diff_base = diff_base
    targets = reading.targets(paths)
    groups = reading.compose_groups
    if respect_gitignore is not None:
        settings.respect_gitignore = respect_gitignore
    if no_inline_suppressions:
        settings.inline_suppressions = False
    baseline = None
    if baseline_path is not None:
        from vllm_lint.baseline import Baseline, BaselineError

        try:
            baseline = Baseline.load(baseline_path)
        except BaselineError as exc:
            click.echo(f"vllm-lint: {exc}", err=True)
            sys.exit(EXIT_ERROR)

    def lint():
        from vllm_lint.sources.gitdiff import GitError

        try:
            if fix or show_diff or fmt == "markdown":
                processes = 1  # fixes are written by the process that read the files; markdown lists the launches
            else:
                from vllm_lint.parallel import default_jobs

                processes = default_jobs() if not jobs else jobs
            result = run(targets, settings, select=_codes(select) or None, ignore=_codes(ignore), compose_files=groups,
                         jobs=processes)
        except GitError as exc:
            click.echo(f"vllm-lint: --diff-base {settings.diff_base}: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        if baseline is not None:  # only new findings are reported (and fixed)
            from vllm_lint.baseline import apply

            applied = apply(result, baseline)
            result.findings = applied.findings
            result.notes.extend(applied.notes(baseline))
        return result

    if fix or show_diff:
        from vllm_lint.fixes.apply import fix_run, unified_diff

        from vllm_lint.reporters.secrets import mask

        result, changes, fix_errors = fix_run(lint, unsafe=unsafe_fixes, write=fix and not show_diff,
                                              force=force)
        for error in fix_errors:
            click.echo(f"vllm-lint: {mask(error, result)}", err=True)
        if show_diff:
            for entry in changes.values():  # changed and context lines: secrets masked as in every output
                click.echo(mask(unified_diff(entry), result), nl=False)
            n = sum(len(e.applied) for e in changes.values())
            click.echo(f"Would fix {n} finding{'s' if n != 1 else ''} in {len(changes)} file{'s' if len(changes) != 1 else ''}.", err=True)
            sys.exit(EXIT_FINDINGS if changes else EXIT_OK)
        n = sum(len(e.applied) for e in changes.values())
        if n and not quiet:
            click.echo(f"Fixed {n} finding{'s' if n != 1 else ''} in {len(changes)} file{'s' if len(changes) != 1 else ''}.", err=True)
    else:
        result = lint()
    if color is None:
        color = sys.stdout.isatty()
    output = render(fmt, result, color=color, quiet=quiet, verbose=verbose, statistics=statistics)
    click.echo(output, nl=False)
    from vllm_lint.reporters.secrets import mask

    for error in result.internal_errors:
        click.echo(f"vllm-lint: {mask(error, result)}", err=True)
    if fmt != "text" and (verbose or not quiet):
        for note in result.notes:
            click.echo(f"vllm-lint: note: {mask(note, result)}", err=True)
    if result.internal_errors:
        sys.exit(EXIT_ERROR)
    if settings.fail_on != "never" and any(severity_rank(f.severity) >= severity_rank(settings.fail_on) for f in result.findings):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK)


def _set_hardware(settings, hardware: str | None) -> None:
    if not hardware:
        return
    from vllm_lint.hardware.gpu import InventoryError, parse_inventory

    try:
        parse_inventory(hardware)
    except InventoryError as exc:
        click.echo(f"vllm-lint: --gpu {hardware}: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    settings.hardware = hardware


def _settings_for(paths, config_path=None):
    from vllm_lint import config as config_module

    try:
        found = config_path or config_module.find_config(Path(paths[0]) if paths and Path(paths[0]).is_dir() else Path.cwd())
        return config_module.load(found)
    except config_module.ConfigError as exc:
        click.echo(f"vllm-lint: {exc}", err=True)
        sys.exit(EXIT_ERROR)


@main.command("vram", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": True})
@click.argument("model", required=False)
@click.argument("serve_args", nargs=-1, type=click.UNPROCESSED)
@file_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vram_command(model, serve_args, reading, fmt):
    """Estimate GPU memory of `vllm serve MODEL [SERVE_ARGS...]` without a config file, or of every launch in
    deployment files (`vllm-lint vram PATH`, a file or folder that is not a model folder).

    SERVE_ARGS are spelled as for vllm serve, e.g.
    `vllm-lint vram Qwen/Qwen3-32B-AWQ --gpu rtx-4090 --max-model-len 32768 --kv-cache-dtype fp8`
    (vLLM's own --config file goes after `--`: `vllm-lint vram MODEL --gpu l4 -- --config serve.yaml`).
    """
    import json
    import shlex
    import tempfile

    from vllm_lint.engine import load_project
    from vllm_lint.reporters.vram_table import row, text_estimate

    if reading.compose_files or (model and Path(model).exists() and not (Path(model) / "config.json").is_file()):
        if serve_args:
            click.echo("vllm-lint: SERVE_ARGS go with a MODEL, not with deployment files", err=True)
            sys.exit(EXIT_ERROR)
        _vram_of_files([model] if model else [], reading, fmt)
    if not model:
        click.echo("vllm-lint: vram needs a MODEL (or deployment files: a PATH, --compose-file)", err=True)
        sys.exit(EXIT_ERROR)
    settings = reading.settings([])
    if not settings.vllm_version:
        from vllm_lint.vllm.options import newest_version

        settings.vllm_version = newest_version()
        click.echo(f"vllm-lint: budgeting as vLLM {settings.vllm_version}, the newest release known "
                   "(--vllm-version to choose)", err=True)
    if not settings.hardware:
        click.echo("vllm-lint: vram needs the GPU: --gpu rtx-4090 (or hardware: in the configuration)", err=True)
        sys.exit(EXIT_ERROR)
    from vllm_lint.vllm.release import load_release

    parsed = load_release(settings.vllm_version).parse(list(serve_args), model=model)
    if not parsed.ok:  # an estimate of a launch vLLM would refuse to start would be an estimate of nothing
        click.echo(f"vllm-lint: vllm serve {settings.vllm_version} rejects these arguments: {parsed.error}", err=True)
        sys.exit(EXIT_ERROR)
    with tempfile.TemporaryDirectory(prefix="vllm-lint-vram-") as tmp:
        script = Path(tmp) / "launch.sh"
        script.write_text("vllm serve " + " ".join(shlex.quote(w) for w in (model, *serve_args)) + "\n", encoding="utf-8")
        project = load_project([script], settings)
        problems = [p for sf in project.files for p in sf.problems]
        if not project.deployments or problems:
            for p in problems:
                click.echo(f"vllm-lint: {p.message}", err=True)
            sys.exit(EXIT_ERROR)
        d = project.deployments[0]
        feasibility = project.feasibility_of(d)
    error = project.model_error_of(d)
    if feasibility.estimate is None:
        reason = error.message if error is not None else feasibility.reason
        click.echo(f"vllm-lint: no estimate for {model}: {reason}", err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "json":
        out = row(feasibility)
        for key in ("file", "name", "line"):
            out.pop(key, None)
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(text_estimate(feasibility.estimate))
    sys.exit(EXIT_OK if feasibility.estimate.fits else EXIT_FINDINGS)


def _vram_of_files(paths, reading, fmt) -> None:
    """`vllm-lint vram PATH`: the estimate of every launch in deployment files (exits)."""
    import json

    from vllm_lint.engine import load_project
    from vllm_lint.reporters.vram_table import row, text_estimate

    settings = reading.settings(paths)
    project = load_project(reading.targets(paths), settings, reading.compose_groups)
    if not project.deployments:
        click.echo(f"vllm-lint: no vLLM launch found in {' '.join(map(str, paths or reading.compose_files))}", err=True)
        sys.exit(EXIT_ERROR)
    feasibilities = [project.feasibility_of(d) for d in project.deployments]
    if fmt == "json":
        click.echo(json.dumps({"launches": [row(f) for f in feasibilities], "notes": project.notes}, indent=2))
    else:
        for f in feasibilities:
            d = f.deployment
            click.echo(f"{d.path}:{d.span.line} {d.name}: {d.model or '-'}")
            if f.estimate is not None:
                click.echo(text_estimate(f.estimate))
            else:
                error = project.model_error_of(d)
                click.echo(f"  no estimate: {error.message if error is not None else f.reason}\n")
    for note in project.notes:
        click.echo(f"vllm-lint: note: {note}", err=True)
    estimated = [f.estimate for f in feasibilities if f.estimate is not None]
    if not estimated:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if any(not e.fits for e in estimated) else EXIT_OK)


@main.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json", "text"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file.")
@file_options
def report_command(paths, fmt, output, reading):
    """The VRAM feasibility report of every launch in PATHS."""
    import json

    from vllm_lint.engine import load_project
    from vllm_lint.reporters.html_report import render_html
    from vllm_lint.reporters.vram_table import markdown_table, row, text_table

    settings = reading.settings(paths)
    project = load_project(reading.targets(paths), settings, reading.compose_groups)
    feasibilities = [project.feasibility_of(d) for d in project.deployments]
    if fmt == "html":
        text = render_html(feasibilities)
    elif fmt == "json":
        text = json.dumps({"launches": [row(f) for f in feasibilities], "notes": project.notes}, indent=2) + "\n"
    elif fmt == "markdown":
        text = "\n".join(["## vLLM VRAM feasibility", ""] + markdown_table(feasibilities)) + "\n"
    else:
        text = text_table(feasibilities)
    if output:
        from vllm_lint.fixes.apply import atomic_write

        try:
            atomic_write(output, text)
        except OSError as exc:
            click.echo(f"vllm-lint: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_ERROR)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    for note in project.notes:
        click.echo(f"vllm-lint: note: {note}", err=True)
    estimated = [f.estimate for f in feasibilities if f.estimate is not None]
    sys.exit(EXIT_FINDINGS if any(not e.fits for e in estimated) else EXIT_OK)


@main.command("launches")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@file_options
def launches_command(paths, fmt, reading):
    """Every vLLM launch found in PATHS: file:line, kind, name, image, vLLM release and where it came from,
    model, GPUs. The first thing to run on a new repository: what vllm-lint sees is what it checks."""
    import json

    from vllm_lint.engine import load_project

    settings = reading.settings(paths)
    settings.offline = True  # models are not read: nothing to fetch
    project = load_project(reading.targets(paths), settings, reading.compose_groups, resolve_models=False)
    rows = []
    for d in project.deployments:
        gpus = [g.how + (f" {','.join(g.device_ids)}" if g.device_ids else f" x{g.count}" if g.count else "")
                for g in d.gpus]
        rows.append({"file": d.span.path, "line": d.span.line, "kind": d.source_format or d.kind, "name": d.name, "image": d.image,
                     "vllm_version": d.version, "version_source": d.version_source, "launcher": d.launcher,
                     "model": d.model, "tensor_parallel_size": d.tensor_parallel, "gpus": gpus,
                     "via": getattr(d, "via", None), "notes": list(getattr(d, "notes", ()))})
    if fmt == "json":
        click.echo(json.dumps({"launches": rows, "notes": project.notes}, indent=2))
    else:
        for r in rows:
            version = (f"vLLM {r['vllm_version']} ({r['version_source']})" if r["vllm_version"]
                       else "vLLM release not pinned")
            click.echo(f"{r['file']}:{r['line']}: {r['kind']} {r['name']}  image={r['image'] or '-'}  {version}  "
                       f"model={r['model'] or '-'}  tp={r['tensor_parallel_size']}  gpus={'; '.join(r['gpus']) or '-'}"
                       + (f"  via={r['via']}" if r["via"] else ""))
        click.echo(f"{len(rows)} vLLM launch{'es' if len(rows) != 1 else ''}", err=True)
        for note in project.notes:
            click.echo(f"vllm-lint: note: {note}", err=True)


@main.command("upgrade")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--to", "to", required=True, metavar="VERSION", help="Target vLLM release, or latest.")
@click.option("--from", "source", metavar="VERSION",
              help="Judge every launch as this release before the upgrade [default: each launch's own].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@file_options
@click.option("--fix", is_flag=True, help="Rewrite the release pins and what the target reads differently.")
@click.option("--unsafe-fixes", is_flag=True, help="Also fixes that change behaviour.")
@click.option("--diff", "show_diff", is_flag=True, help="Print what --fix would change as a unified diff.")
def upgrade_command(paths, to, source, fmt, reading, fix, unsafe_fixes, show_diff):
    """What upgrading the launches in PATHS to vLLM VERSION changes, launch by launch: options removed or renamed
    (with the fix), changed defaults, environment variables, known issues fixed and introduced, KV cache before
    and after. `--format markdown` makes a pull-request description; `--fix` rewrites what can be rewritten."""
    import json

    from vllm_lint.upgrade import render_json, render_markdown, render_text, simulate, upgrade_fix_run

    settings = reading.settings(paths)  # --gpu: the KV cache before and after
    targets, groups = reading.targets(paths), reading.compose_groups
    try:
        if fix or show_diff:
            from vllm_lint.fixes.apply import unified_diff

            _, changes, errors = upgrade_fix_run(targets, settings, to, unsafe=unsafe_fixes, write=fix and not show_diff,
                                                 compose_files=groups)
            for error in errors:
                click.echo(f"vllm-lint: {error}", err=True)
            if show_diff:
                for entry in changes.values():
                    click.echo(unified_diff(entry), nl=False)
            n = sum(len(e.applied) for e in changes.values())
            click.echo(f"{'Would fix' if show_diff else 'Fixed'} {n} finding{'s' if n != 1 else ''} in {len(changes)} "
                       f"file{'s' if len(changes) != 1 else ''} for vLLM {to}.", err=True)
            if show_diff or not fix:
                sys.exit(EXIT_FINDINGS if changes else EXIT_OK)
        report = simulate(targets, settings, to, source, compose_files=groups)
    except (KeyError, ValueError) as exc:
        click.echo(f"vllm-lint: --to/--from: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "json":
        click.echo(json.dumps(render_json(report), indent=2))
    elif fmt == "markdown":
        click.echo(render_markdown(report))
    else:
        click.echo(render_text(report), nl=False)
    for note in report.notes:
        click.echo(f"vllm-lint: note: {note}", err=True)
    broken = any(f.severity == "error" for c in report.launches for f in c.options + c.env)
    sys.exit(EXIT_FINDINGS if broken else EXIT_OK)


@main.command("calibrate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@file_options
@click.option("--python", "python", metavar="PATH", help="The Python whose vLLM runs the launches [default: this one].")
@click.option("--timeout", type=float, default=600.0, show_default=True,
              help="Seconds each launch may take to print its KV cache figures.")
@click.option("--launch", "only", multiple=True, metavar="NAME", help="Only the launches of this name (repeatable).")
@click.option("--logs", type=click.Path(path_type=Path, file_okay=False), help="Keep each start-up's log in this folder.")
@click.option("--driver", type=click.Choice(["auto", "server", "engine"]), default="auto", show_default=True,
              help="Start vLLM's OpenAI server (as vllm serve), or its engine alone (auto: the server where uvicorn "
                   "and fastapi are installed).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def calibrate_command(paths, reading, python, timeout, only, logs, driver, fmt):
    """Start each launch in PATHS with this host's vLLM and dummy weights (`--load-format dummy`: nothing is
    downloaded), one process at a time, and print what vLLM reports (weights, available KV cache, KV cache tokens,
    maximum concurrency) next to vllm-lint's estimate for this host's GPU (`--gpu`, default auto). Proves a launch
    starts before its weights are downloaded. Exit 1 when a launch does not start."""
    import json

    from vllm_lint.calibrate.runner import NoVllm, as_dict, calibrate, installed_vllm, render_text
    from vllm_lint.engine import load_project

    python = python or sys.executable
    try:
        version = installed_vllm(python)
    except NoVllm as exc:
        click.echo(f"vllm-lint: calibrate runs the launches with vLLM, and {exc}: install the release the launches "
                   "pin (pip install vllm==X.Y.Z) or pass --python of an environment that has it", err=True)
        sys.exit(EXIT_ERROR)
    settings = reading.settings(paths)
    settings.hardware = reading.hardware or "auto"  # this host's GPUs, not the configuration's serving hosts
    project = load_project(reading.targets(paths), settings, reading.compose_groups)
    if not project.deployments:
        click.echo("vllm-lint: no vLLM launch found", err=True)
        sys.exit(EXIT_ERROR)
    result = calibrate(project, python=python, timeout=timeout, log_dir=logs, only=list(only) or None,
                       version=version, driver=driver,
                       progress=lambda message: click.echo(f"vllm-lint: {message}", err=True))
    if fmt == "json":
        data = as_dict(result)
        data["notes"] = project.notes + data["notes"]
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(render_text(result), nl=False)
    for note in project.notes + result.notes:
        click.echo(f"vllm-lint: note: {note}", err=True)
    ran = [o for o in result.outcomes if o.status != "skipped"]
    if not ran:
        click.echo("vllm-lint: no launch could be started (see why above)", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if any(o.status in ("failed", "timeout") for o in ran) else EXIT_OK)


@main.command("gpus")
def gpus_command():
    """The GPUs vllm-lint knows (ids for --gpu and hardware:): nvidia-smi's total, CUDA's total where
    known (what vLLM budgets from), compute capability, FP8/BF16 support and name."""
    from vllm_lint.hardware.gpu import table

    click.echo(f"{'id':<18} {'nvidia-smi':>11}  {'CUDA':>10}  {'arch':<8} {'features':<10} name")
    for gpu in table().values():
        cc = f"sm {gpu.compute_capability:g}" if gpu.compute_capability is not None else gpu.rocm_arch or ""
        features = ", ".join(f for f, on in (("fp8", gpu.fp8), ("bf16", gpu.bf16)) if on)
        cuda = f"{gpu.cuda_total_gib:.2f} GiB" if gpu.cuda_total_gib else "-"
        click.echo(f"{gpu.id:<18} {gpu.memory_mib:>7} MiB  {cuda:>10}  {cc:<8} {features:<10} {gpu.name}")


@main.group("models")
def models_group():
    """Model metadata: bundled with vllm-lint (knowledge/models/), and the repository's lock (models lock)."""


@models_group.command("list")
def models_list_command():
    """The models whose metadata ships with vllm-lint (usable offline)."""
    from vllm_lint.models.snapshot import load_snapshot, snapshot_ids

    for model_id in snapshot_ids():
        meta = load_snapshot(model_id)
        quant = meta.quant_method if meta is not None else None
        arch = ", ".join(meta.architectures) if meta is not None else ""
        click.echo(f"{model_id}  {arch}{f'  ({quant})' if quant else ''}")


@models_group.command("refresh")
@click.argument("model_ids", nargs=-1, required=True)
@click.option("--dest", type=click.Path(path_type=Path, file_okay=False),
              help="Snapshot folder to write [default: the installed knowledge/models/].")
def models_refresh_command(model_ids, dest):
    """Fetch MODEL_IDS from the Hub (HF_ENDPOINT, HF_TOKEN) and write their snapshot entries."""
    from vllm_lint.models.request import ModelError
    from vllm_lint.models.resolve import refresh_snapshot
    from vllm_lint.models.snapshot import snapshot_dir

    target = dest or snapshot_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        probe = target / ".vllm-lint-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        click.echo(f"vllm-lint: cannot write to {target}: {exc.strerror or exc}; use --dest", err=True)
        sys.exit(EXIT_ERROR)
    failed = 0
    for model_id, result in refresh_snapshot(list(model_ids), target).items():
        if isinstance(result, ModelError):
            failed += 1
            click.echo(f"{model_id}: {result.message}", err=True)
        else:
            click.echo(f"{model_id}: updated ({result.revision or 'no revision'})")
    sys.exit(EXIT_ERROR if failed else EXIT_OK)


@models_group.command("lock")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@file_options
@click.option("--check", "check_only", is_flag=True,
              help="Write nothing: exit 1 when a launch's model or revision is not in the lock (never the network).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="The lock file [default: the nearest .vllm-lint/models.lock, else one beside the configuration "
                   "file, else in the first folder given; runs read .vllm-lint/models.lock files only].")
def models_lock_command(paths, reading, check_only, output):
    """Write the metadata of every model the launches in PATHS use (Hub, HF cache, local folders through their
    volumes) to .vllm-lint/models.lock, which every run reads before anything else: commit it, and CI and
    pre-commit check the team's own models offline. `--check` says which launches it does not cover."""
    from vllm_lint.engine import load_project
    from vllm_lint.models.lock import (
        LockError,
        ModelsLock,
        build_lock,
        check_lock,
        find_lock,
        lock_path_in,
        lock_root,
        write_lock,
    )

    settings = reading.settings(paths)
    targets = reading.targets(paths)
    project = load_project(targets, settings, reading.compose_groups, resolve_models=False)
    first = Path(targets[0]) if targets else Path(reading.compose_files[0])
    where = output or find_lock(first if first.exists() else Path.cwd())
    if where is None:
        base = Path(settings.source).parent if settings.source else (first if first.is_dir() else first.parent)
        where = lock_path_in(base)
    if check_only:
        try:
            lock = ModelsLock.load(where)
        except LockError as exc:
            click.echo(f"vllm-lint: {exc}; `vllm-lint models lock` writes it", err=True)
            sys.exit(EXIT_ERROR)
        problems, unused = check_lock(project, lock)
        for p in problems:
            click.echo(f"{p.where}: {p.message}")
        if unused:
            click.echo(f"vllm-lint: note: {len(unused)} lock entr{'ies' if len(unused) != 1 else 'y'} no launch uses: "
                       + ", ".join(unused[:6]) + (" ..." if len(unused) > 6 else ""), err=True)
        covered = len(project.deployments) - len(problems)
        click.echo(f"{lock.display()} (locked {lock.generated}): {len(problems)} problem{'s' if len(problems) != 1 else ''}"
                   f"{'' if problems else f', {covered} launch(es) covered'}", err=True)
        sys.exit(EXIT_FINDINGS if problems else EXIT_OK)
    if not project.deployments:
        click.echo("vllm-lint: no vLLM launch found: nothing to lock", err=True)
        sys.exit(EXIT_ERROR)
    previous = None
    if Path(where).is_file():
        try:
            previous = ModelsLock.load(where)
        except LockError as exc:
            click.echo(f"vllm-lint: {exc}: written anew", err=True)
    data, lines = build_lock(project, offline=settings.offline, previous=previous, root=lock_root(where))
    for line in lines:
        click.echo(f"{line.key}: {line.status}: {line.message}", err=line.status not in ("locked", "kept"))
    try:
        write_lock(data, where)
    except OSError as exc:
        click.echo(f"vllm-lint: cannot write {where}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_ERROR)
    failed = [x for x in lines if x.status == "failed"]
    click.echo(f"wrote {where}: {len(data['models'])} model(s)"
               + (f", {len(failed)} could not be read (their launches are not covered)" if failed else ""), err=True)
    sys.exit(EXIT_FINDINGS if failed else EXIT_OK)


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(fmt):
    """List every rule: code, name, severity, category."""
    import json

    from vllm_lint.rule import all_rules

    rules = all_rules()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "category": r.category,
                                "scope": r.scope, "needs": list(r.needs), "default": r.default, "summary": r.summary}
                                for r in rules], indent=2))
        return
    width = max(len(r.name) for r in rules)
    for r in rules:
        click.echo(f"{r.code}  {r.name:<{width}}  {r.severity:<7}  {r.category:<15}  {r.summary}"
                   + ("" if r.default else "  (opt-in)"))


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Configuration file.")
@click.option("--select", multiple=True, help="Rules to run (as for check).")
@click.option("--extend-select", multiple=True, help="Rules to run in addition to the selected ones.")
@click.option("--ignore", multiple=True, help="Rules not to run.")
@click.option("--vllm-version", help="vLLM release of launches whose image pins none.")
@click.option("--gpu", "hardware", metavar="SPEC", help="GPUs of the host (as for check).")
@click.option("--offline", is_flag=True, default=None, help="No network at all.")
@click.option("--compose-file", "compose_files", multiple=True, type=click.Path(path_type=Path),
              help="Compose files merged into one project (repeatable).")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(path_type=Path), help="Env file(s) for compose.")
@click.option("--exclude", multiple=True, help="gitignore-style patterns of paths to skip.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None, help="As for check [default: respect].")
@click.option("--no-inline-suppressions", is_flag=True, help="As for check: record what the comments suppress too.")
@click.pass_context
def baseline_command(ctx, paths, config_path, select, extend_select, ignore, vllm_version, hardware, offline, compose_files,
                     env_files, exclude, respect_gitignore, no_inline_suppressions):
    """Record today's findings in PATHS as a baseline, on stdout:
    `vllm-lint baseline . > .vllm-lint-baseline.json`, then `vllm-lint . --baseline .vllm-lint-baseline.json`
    reports only new findings. Findings are matched by rule, file, launch and the text flagged, not by line."""
    ctx.invoke(check_command, paths=paths, fmt="baseline", select=select, extend_select=extend_select, ignore=ignore,
               fail_on="never", config_path=config_path, vllm_version=vllm_version, hardware=hardware, offline=offline,
               compose_files=compose_files, env_files=env_files, exclude=exclude, respect_gitignore=respect_gitignore,
               no_inline_suppressions=no_inline_suppressions, quiet=True)


@main.command("docs")
@click.option("--out", "out", type=click.Path(path_type=Path, file_okay=False), required=True,
              help="Folder to write the pages to (created).")
@click.option("--format", "fmt", type=click.Choice(["both", "md", "html"]), default="both", show_default=True)
def docs_command(out, fmt):
    """Write one page per rule (from its docstring) and per known vLLM issue, with an index, as Markdown and/or
    HTML: the pages each finding links to (`docs-url` in the configuration says where they are served)."""
    from vllm_lint.docs import write_site

    try:
        written = write_site(out, fmt)
    except OSError as exc:
        click.echo(f"vllm-lint: cannot write to {out}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"wrote {len(written)} pages to {out}", err=True)


@main.command("schema")
def schema_command():
    """Print the JSON schema of the configuration (.vllm-lint.yaml), as published at its $id."""
    import json

    from vllm_lint.config import schema

    click.echo(json.dumps(schema(), indent=2, ensure_ascii=False))


@main.command("server")
@click.option("--stdio", is_flag=True, help="Talk LSP over stdin/stdout (the default and only transport).")
@click.option("--offline", is_flag=True, default=None, help="No network: model metadata from the cache and the snapshot.")
@click.option("--gpu", "hardware", metavar="SPEC", help="GPUs of the host, for files whose configuration names none.")
@click.option("--vllm-version", help="vLLM release of launches whose image pins none (over the configuration's).")
@click.option("--debounce", type=float, default=None, help="Seconds to wait after a change before linting [default: 0.3].")
def server_command(stdio, offline, hardware, vllm_version, debounce):
    """A language server (LSP 3.17 over stdio) for editors: diagnostics as you type, fixes as code actions,
    the memory of a launch on hover, completion of options. Needs pygls: pip install 'vllm-lint[lsp]'."""
    try:
        from vllm_lint.lsp.server import serve
    except ImportError as exc:
        click.echo(f"vllm-lint: the language server needs pygls ({exc}): pip install 'vllm-lint[lsp]'", err=True)
        sys.exit(EXIT_ERROR)
    if hardware:
        from vllm_lint.config import Settings

        _set_hardware(Settings(), hardware)  # a wrong spec is an error now, not at the first lint
    serve({"offline": offline, "gpu": hardware, "vllmVersion": vllm_version, "debounce": debounce})


@main.command("explain")
@click.argument("code")
def explain_command(code):
    """Print a rule's documentation (by code or name), or a known vLLM issue (VLLA-2026-0007)."""
    from vllm_lint.rule import rule_by

    if code.upper().startswith("VLLA-"):
        from vllm_lint.vllm.advisories import advisory, explain_text

        found = advisory(code)
        if found is None:
            click.echo(f"vllm-lint: no advisory {code!r} in knowledge/vllm/advisories.yaml", err=True)
            sys.exit(EXIT_ERROR)
        click.echo(explain_text(found))
        return
    rule = rule_by(code)
    if rule is None:
        click.echo(f"vllm-lint: no rule {code!r}; `vllm-lint rules` lists them", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"# {rule.code} {rule.name}\n\ncategory: {rule.category} · default severity: {rule.severity} · scope: {rule.scope}\n")
    click.echo(rule.doc)


@main.command("pr-comment")
@click.argument("report", type=click.File("r", encoding="utf-8"))
@click.option("--repository", envvar="GITHUB_REPOSITORY", required=True, help="owner/name [env: GITHUB_REPOSITORY]")
@click.option("--pr", "number", type=int, help="Pull-request number [default: from GITHUB_EVENT_PATH].")
@click.option("--api-url", envvar="GITHUB_API_URL", default="https://api.github.com", show_default=True)
def pr_comment_command(report, repository, number, api_url):
    """Create or update vllm-lint's comment on a pull request with a Markdown REPORT (GITHUB_TOKEN)."""
    import os

    from vllm_lint.reporters.pr_comment import CommentError, pull_request_number, upsert

    token = os.environ.get("GITHUB_TOKEN")
    number = number or pull_request_number(os.environ.get("GITHUB_EVENT_PATH"))
    if not token or not number:
        click.echo("vllm-lint: pr-comment needs GITHUB_TOKEN and a pull-request number (--pr or GITHUB_EVENT_PATH)", err=True)
        sys.exit(EXIT_ERROR)
    try:
        action, comment_id = upsert(report.read(), repository=repository, number=number, token=token, api_url=api_url)
    except CommentError as exc:
        click.echo(f"vllm-lint: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"{action} comment {comment_id} on {repository}#{number}")


if __name__ == "__main__":  # pragma: no cover
    main()
