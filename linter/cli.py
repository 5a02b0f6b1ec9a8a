"""The ``vllm-lint`` command line."""
from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from vllm_lint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultGroup(click.Group):
    """``vllm-lint PATH...`` means ``vllm-lint check PATH...``."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h", "--version"):
            args = ["check", *args]
        elif not args:
            args = ["check"]
        return super().parse_args(ctx, args)


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
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github", "rdjson", "markdown"]), default="text",
              show_default=True, help="Output format.")
@click.option("--select", multiple=True, help="Rules to run: codes, prefixes (VLL2), names or ALL; comma-separated.")
@click.option("--extend-select", multiple=True, help="Rules to run in addition to the selected ones.")
@click.option("--ignore", multiple=True, help="Rules not to run.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default=None,
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Configuration file (default: .vllm-lint.yaml or pyproject.toml [tool.vllm-lint], searched upwards).")
@click.option("--vllm-version", help="vLLM release of launches whose image pins none.")
@click.option("--gpu", "hardware", metavar="SPEC",
              help="GPUs of the host: a card (rtx-4090), per device (0=rtx-4090,1=a100-80gb) or auto (nvidia-smi).")
@click.option("--offline", is_flag=True, default=None, help="No network at all; checks that need it say they were skipped.")
@click.option("--no-cache", is_flag=True, help="Do not read or write the metadata cache.")
@click.option("--compose-file", "compose_files", multiple=True, type=click.Path(path_type=Path),
              help="Compose files merged into one project, like docker compose -f (repeatable).")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(path_type=Path),
              help="Env file(s) for compose interpolation instead of the .env beside the compose file.")
@click.option("--exclude", multiple=True, help="gitignore-style patterns of paths to skip (adds to the configuration's).")
@click.option("--diff-base", metavar="REF", help="Only report findings on lines added or changed since git REF.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: when stdout is a terminal).")
@click.option("--fix", is_flag=True, help="Apply safe fixes in place.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply fixes that change behaviour (with --fix or --diff).")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them.")
@click.option("-q", "--quiet", is_flag=True, help="Only the finding lines.")
@click.option("-v", "--verbose", is_flag=True, help="Also say what was read and assumed.")
def check_command(paths, fmt, select, extend_select, ignore, fail_on, config_path, vllm_version, hardware, offline, no_cache,
                  compose_files, env_files, exclude, diff_base, statistics, fix, unsafe_fixes, show_diff, color, quiet, verbose):
    """Lint the vLLM launches found in PATHS (files or folders; default: the current folder)."""
    from vllm_lint import config as config_module
    from vllm_lint.engine import run
    from vllm_lint.finding import severity_rank
    from vllm_lint.reporters import render

    try:
        found = config_path or config_module.find_config(Path(paths[0]) if paths and Path(paths[0]).is_dir() else Path.cwd())
        settings = config_module.load(found)
    except config_module.ConfigError as exc:
        click.echo(f"vllm-lint: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    if fail_on:
        settings.fail_on = fail_on
    if vllm_version:
        settings.vllm_version = vllm_version
    _set_hardware(settings, hardware)
    if offline is not None:
        settings.offline = offline
    settings.no_cache = settings.no_cache or no_cache
    settings.extend_select += _codes(extend_select)
    settings.exclude += list(exclude)
    if diff_base:
        settings.diff_base = diff_base
    if env_files:
        settings.env_file = [str(p.resolve()) for p in env_files]
    targets = list(paths) or ([] if compose_files else [Path(".")])
    groups = [[Path(p) for p in compose_files]] if compose_files else None
    def lint():
        from vllm_lint.sources.gitdiff import GitError

        try:
            return run(targets, settings, select=_codes(select) or None, ignore=_codes(ignore), compose_files=groups)
        except GitError as exc:
            click.echo(f"vllm-lint: --diff-base {settings.diff_base}: {exc}", err=True)
            sys.exit(EXIT_ERROR)

    if fix or show_diff:
        from vllm_lint.fixes.apply import fix_run, unified_diff

        result, changes, fix_errors = fix_run(lint, unsafe=unsafe_fixes, write=fix and not show_diff)
        for error in fix_errors:
            click.echo(f"vllm-lint: {error}", err=True)
        if show_diff:
            for entry in changes.values():
                click.echo(unified_diff(entry), nl=False)
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
    for error in result.internal_errors:
        click.echo(f"vllm-lint: {error}", err=True)
    if fmt != "text" and (verbose or not quiet):
        for note in result.notes:
            click.echo(f"vllm-lint: note: {note}", err=True)
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
@click.argument("model")
@click.argument("serve_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--gpu", "hardware", metavar="SPEC", help="The GPU(s): rtx-4090, 0=a100-80gb,1=a100-80gb, or auto.")
@click.option("--vllm-version", help="vLLM release to budget as [default: the configured one, else the newest known].")
@click.option("--offline", is_flag=True, default=None, help="Only the HF cache and the bundled snapshot.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def vram_command(model, serve_args, hardware, vllm_version, offline, fmt):
    """Estimate GPU memory of `vllm serve MODEL [SERVE_ARGS...]` without a config file.

    SERVE_ARGS are spelled as for vllm serve, e.g.
    `vllm-lint vram Qwen/Qwen3-32B-AWQ --gpu rtx-4090 --max-model-len 32768 --kv-cache-dtype fp8`.
    """
    import json
    import shlex
    import tempfile

    from vllm_lint.engine import load_project
    from vllm_lint.reporters.vram_table import row, text_estimate

    settings = _settings_for([])
    _set_hardware(settings, hardware)
    if vllm_version:
        settings.vllm_version = vllm_version
    if offline is not None:
        settings.offline = offline
    if not settings.vllm_version:
        from vllm_lint.vllm.options import newest_version

        settings.vllm_version = newest_version()
        click.echo(f"vllm-lint: budgeting as vLLM {settings.vllm_version}, the newest release known "
                   "(--vllm-version to choose)", err=True)
    if not settings.hardware:
        click.echo("vllm-lint: vram needs the GPU: --gpu rtx-4090 (or hardware: in the configuration)", err=True)
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


@main.command("report")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html", "json", "text"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the report to this file.")
@click.option("--gpu", "hardware", metavar="SPEC", help="GPUs of the host (as for check).")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Configuration file.")
@click.option("--vllm-version", help="vLLM release of launches whose image pins none.")
@click.option("--offline", is_flag=True, default=None, help="Only the HF cache and the bundled snapshot.")
def report_command(paths, fmt, output, hardware, config_path, vllm_version, offline):
    """The VRAM feasibility report of every launch in PATHS."""
    import json

    from vllm_lint.engine import load_project
    from vllm_lint.reporters.html_report import render_html
    from vllm_lint.reporters.vram_table import markdown_table, row, text_table

    settings = _settings_for(paths, config_path)
    _set_hardware(settings, hardware)
    if vllm_version:
        settings.vllm_version = vllm_version
    if offline is not None:
        settings.offline = offline
    project = load_project(list(paths) or [Path(".")], settings)
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
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), help="Configuration file.")
@click.option("--vllm-version", help="vLLM release of launches whose image pins none.")
@click.option("--env-file", "env_files", multiple=True, type=click.Path(path_type=Path),
              help="Env file(s) for compose interpolation instead of the .env beside the compose file.")
def launches_command(paths, fmt, config_path, vllm_version, env_files):
    """Every vLLM launch found in PATHS: file:line, kind, name, image, vLLM release and where it came from,
    model, GPUs. The first thing to run on a new repository: what vllm-lint sees is what it checks."""
    import json

    from vllm_lint.engine import load_project

    settings = _settings_for(paths, config_path)
    settings.offline = True
    if vllm_version:
        settings.vllm_version = vllm_version
    if env_files:
        settings.env_file = [str(p.resolve()) for p in env_files]
    project = load_project(list(paths) or [Path(".")], settings, resolve_models=False)
    rows = []
    for d in project.deployments:
        gpus = [g.how + (f" {','.join(g.device_ids)}" if g.device_ids else f" x{g.count}" if g.count else "")
                for g in d.gpus]
        rows.append({"file": d.span.path, "line": d.span.line, "kind": d.kind, "name": d.name, "image": d.image,
                     "vllm_version": d.version, "version_source": d.version_source, "launcher": d.launcher,
                     "model": d.model, "tensor_parallel_size": d.tensor_parallel, "gpus": gpus})
    if fmt == "json":
        click.echo(json.dumps({"launches": rows, "notes": project.notes}, indent=2))
    else:
        for r in rows:
            version = (f"vLLM {r['vllm_version']} ({r['version_source']})" if r["vllm_version"]
                       else "vLLM release not pinned")
            click.echo(f"{r['file']}:{r['line']}: {r['kind']} {r['name']}  image={r['image'] or '-'}  {version}  "
                       f"model={r['model'] or '-'}  tp={r['tensor_parallel_size']}  gpus={'; '.join(r['gpus']) or '-'}")
        click.echo(f"{len(rows)} vLLM launch{'es' if len(rows) != 1 else ''}", err=True)
        for note in project.notes:
            click.echo(f"vllm-lint: note: {note}", err=True)


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
    """The model metadata bundled with vllm-lint (knowledge/models/)."""


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


@main.command("explain")
@click.argument("code")
def explain_command(code):
    """Print a rule's documentation (by code or name)."""
    from vllm_lint.rule import rule_by

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
