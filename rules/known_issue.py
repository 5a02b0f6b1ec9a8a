"""A launch that matches a known vLLM issue (an advisory of ``knowledge/vllm/advisories.yaml``).

## What it does
Checks every launch against the known-issue database: each advisory names the releases it affects (with the
release that fixed it, when one did), the launches it affects as data — options and their values as the
release's parser resolves them (an absent option has the release's default), ``VLLM_*`` and other environment
variables, the model's architecture, quantization, weight format, hybrid attention or MoE (from its
``config.json``), the GPUs' compute capability (``hardware:``, ``--gpu``), tensor/pipeline/expert parallelism,
the platform and how vLLM is installed — and the symptom users see, the links to vLLM's issues and pull
requests, and the workaround. ``vllm-lint explain VLLA-2026-0004`` prints one advisory.

An advisory whose predicate needs a fact that is not known (no GPU given, no model metadata, no platform)
does not fire; the run's notes say which were skipped and why. The platform is given in the configuration::

    rules:
      known-issue: {platform: wsl2-docker-desktop}   # Docker Desktop on Windows (GPU containers run in WSL2)

## Why is this bad?
A third of the failures in a year of real vLLM deployments were known, filed vLLM bugs with known
workarounds, each costing days: a configuration the parser accepts that then deadlocks, crashes on the first
long prompt or OOMs at boot on one release and not the next.

## Example
```yaml
    image: vllm/vllm-openai:v0.25.0       # with hardware: h100-sxm
    command: ["Qwen/Qwen3.5-27B", "--tensor-parallel-size", "2"]
```
VLLA-2026-0004: the FlashInfer GDN prefill kernel hangs the engine on Hopper with Qwen3.5 under load
("RPC call to sample_tokens timed out"); workaround ``--gdn-prefill-backend triton``.

## Fix
Apply the workaround, or move to the release that fixed it. Where the workaround is options to add or
change, ``--fix --unsafe-fixes`` applies it (each option and value checked against the release's own parser
first); environment variables are changed where they are set in the same file.
"""
from __future__ import annotations

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import remove_arg, rename_flag, replace_value
from vllm_lint.fixes.env_edits import replace_env_value
from vllm_lint.fixes.insert import add_args
from vllm_lint.rule import release_basis
from vllm_lint.vllm import advisories as db

CODE = "VLL501"
NAME = "known-issue"
CATEGORY = "known-issues"
SEVERITY = "warning"  # each advisory carries its own severity
NEEDS = ("release",)
OPTIONS = {"platform": None}

OFFICIAL_IMAGES = ("vllm/vllm-openai", "docker.io/vllm/vllm-openai", "index.docker.io/vllm/vllm-openai")


def install_of(deployment) -> str | None:
    """How vLLM is installed for the launch: the official image, another image, or on the host (a script)."""
    image = (deployment.image or "").split("@")[0]
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    dockerfile = deployment.kind == "script" and deployment.path.rsplit("/", 1)[-1].lower().startswith(("dockerfile", "containerfile"))
    if repo and not dockerfile:
        return "official-image" if repo.startswith(OFFICIAL_IMAGES) else "custom-image"
    if dockerfile:
        return "custom-image"
    if deployment.kind == "script":
        return "host"
    return None


def option_getter(deployment, release):
    def get(flag: str) -> db.OptionValue:
        base, _, sub = flag.partition(".")
        option = release.option(base)
        if option is None:  # the release has no such option: not given, nothing to compare
            return db.OptionValue(True, False, None)
        name = option.canonical.lstrip("-")
        if deployment.unknown(name):
            return db.OptionValue(False, True, None)
        if sub:
            value = deployment.json_value(name)
            present = isinstance(value, dict) and sub in value
            return db.OptionValue(True, present, value.get(sub) if present else None)
        arg = deployment.arg(name)
        flagged = option.nargs == 0 or option.action in ("store_true", "store_false", "bool_optional", "enable_disable")
        if arg is None:
            return db.OptionValue(True, False, option.default)
        if flagged:
            return db.OptionValue(True, True, deployment.flag_set(name))
        return db.OptionValue(True, True, arg.value)
    return get


def facts_of(deployment, ctx) -> db.Facts:
    from vllm_lint.memory.feasibility import gpus_of

    release = ctx.release
    env = {n: v.value for n, v in deployment.env.items()}
    env_unknown = {n for n, v in deployment.env.items() if v.value is None or any(u.value is None for u in v.variables)}
    meta = ctx.model
    model = db.model_facts(meta, deployment.value("quantization")) if meta is not None else None
    gpus, _ = gpus_of(deployment, ctx.project.inventory)
    return db.Facts(release=release.name, option=option_getter(deployment, release), env=env, env_unknown=env_unknown,
                    model=model, gpus=[g for _, g in gpus] if gpus else None,
                    platform=ctx.options.get("platform"), install=install_of(deployment),
                    tensor_parallel=deployment.tensor_parallel)


def check(deployment, ctx):
    release = ctx.release
    basis = release_basis(ctx)
    facts = None
    for adv in db.affecting(release.name):
        facts = facts or facts_of(deployment, ctx)
        verdict = db.evaluate(adv.when, facts)
        if verdict.status == db.UNKNOWN:
            # the parts that are known match: say which facts were missing, once per run
            ctx.skip("; ".join(dict.fromkeys(verdict.missing)), adv.id)
            continue
        if not verdict.fires:
            continue
        yield _finding(adv, verdict, deployment, ctx, basis)


def _span(verdict, deployment):
    for kind, name in verdict.where:
        if kind == "option":
            option_name = name.split(".", 1)[0].lstrip("-")
            arg = deployment.arg(option_name) or next((a for a in deployment.all(option_name)), None)
            if arg is not None:
                return arg.value_or_flag_span if arg.value is not None and kind == "option" else arg.flag_span
        if kind == "env" and name in deployment.env:
            var = deployment.env[name]
            return var.name_span or var.span
    if deployment.model_arg is not None:
        return deployment.model_arg.value_or_flag_span
    return deployment.image_span or deployment.span


def _finding(adv, verdict, deployment, ctx, basis):
    message = (f"{adv.id}: {adv.title} — {basis.text} is affected ({db.range_words(adv)}); "
               f"symptom: \"{adv.symptom}\"; see {', '.join(adv.links[:3])}")
    hint = adv.workaround["text"]
    fix = workaround_fix(adv, deployment, ctx)
    return ctx.finding(_span(verdict, deployment), message, hint=hint, fix=fix, severity=basis.severity(adv.severity))


def workaround_fix(adv, deployment, ctx):
    """The workaround as edits (unsafe: it changes behaviour), each option and value accepted by the release's
    parser; None when any part cannot be written or proven valid."""
    work = adv.workaround
    release = ctx.release
    edits = []
    additions: list[str] = []
    said = []
    for flag, value in (work.get("set_options") or {}).items():
        option = release.option(flag)
        if option is None:
            return None
        boolean = isinstance(value, bool)
        if (release.check_value(option.canonical, None) if boolean and value else
                None if boolean else release.check_value(option.canonical, str(value))) is not None:
            return None  # the release would reject what the fix writes
        arg = deployment.arg(option.canonical.lstrip("-"))
        if boolean and not value:
            if arg is None or not deployment.flag_set(arg.name):
                continue
            negative = next((n for n in option.negatives), None)
            got = rename_flag(arg, negative) if negative and arg.value is None else None
        elif boolean:
            if arg is not None and deployment.flag_set(arg.name):
                continue
            got = rename_flag(arg, option.canonical) if arg is not None and arg.negated else None
            if arg is None:
                additions.append(option.canonical)
                said.append(option.canonical)
                continue
        elif arg is not None and arg.origin != "config":
            got = replace_value(arg, str(value))
        elif arg is None:
            additions += [option.canonical, str(value)]
            said.append(f"{option.canonical} {value}")
            continue
        else:
            got = None
        if not got:
            return None
        edits.extend(got)
        said.append(f"{option.canonical} {value}" if not boolean else option.canonical)
    for flag in work.get("remove_options") or ():
        option = release.option(flag)
        arg = deployment.arg(option.canonical.lstrip("-")) if option is not None else None
        if arg is None:
            continue
        source = ctx.source(arg.flag_span.path)
        got = remove_arg(arg, source) if source is not None and arg.origin != "config" else None
        if not got:
            return None
        edits.extend(got)
        said.append(f"remove {arg.flag}")
    for name, value in (work.get("set_env") or {}).items():
        var = deployment.env.get(name)
        if var is None:
            return None  # adding a variable is not written (the place it belongs is a choice)
        got = replace_env_value(var, value, ctx.source(var.span.path))
        if not got:
            return None
        edits.extend(got)
        said.append(f"{name}={value}")
    if additions:
        source = ctx.source(deployment.args[0].flag_span.path) if deployment.args else None
        got = add_args(deployment, additions, source)
        if not got:
            return None
        edits.extend(got)
    if not edits or len({e.span.path for e in edits}) != 1:
        return None
    return Fix(f"{adv.id} workaround: {', '.join(said)}", tuple(edits), safe=False)
