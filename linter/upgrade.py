"""The upgrade simulator: every launch re-linted against a target vLLM release, and what changes.

In: paths, the target release (``--to 0.34.0`` or ``latest``), optionally the release to upgrade from (``--from``;
default: each launch's own). Out: an :class:`UpgradeReport` with, per launch, the options the target removes or
renames (with their fixes), the defaults that change under the launch (from the option tables of both releases,
``knowledge/vllm/engine.yaml`` and ``knowledge/vllm/envs.yaml``), the environment variables it stops reading, the
known issues (advisories) it fixes and the ones it introduces, and the KV cache capacity / max concurrency before
and after when the GPUs are known. ``render_text`` / ``render_markdown`` print it; ``upgrade_fix_run`` rewrites
what can be rewritten (the image tag or ``vllm==`` pin, renamed options, values the target reads differently).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from vllm_lint.finding import Edit, Finding, Fix
from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.sources.span import Span
from vllm_lint.vllm.options import version_key

#: Options whose default changing under a launch changes what it does (memory, scheduling, caching, engine).
DEFAULTS_THAT_MATTER = (
    "max-num-batched-tokens", "max-num-seqs", "gpu-memory-utilization", "enable-prefix-caching",
    "enable-chunked-prefill", "async-scheduling", "kv-cache-dtype", "block-size", "max-model-len", "enforce-eager",
    "swap-space", "cuda-graph-sizes", "max-seq-len-to-capture", "scheduling-policy", "tokenizer-mode",
    "load-format", "dtype", "distributed-executor-backend", "model-impl", "generation-config",
    "prefix-caching-hash-algo", "max-logprobs", "kv-cache-memory-bytes", "enable-log-requests",
    "disable-log-requests", "optimization-level", "performance-mode", "attention-backend", "moe-backend",
    "gdn-prefill-backend", "mm-encoder-attn-backend",
)
#: Variables whose default changing changes how the engine runs (each from envs.yaml).
ENV_DEFAULTS_THAT_MATTER = (
    "VLLM_USE_V1", "VLLM_USE_FLASHINFER_SAMPLER", "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS",
    "VLLM_WORKER_MULTIPROC_METHOD", "VLLM_ENABLE_V1_MULTIPROCESSING", "VLLM_USE_V2_MODEL_RUNNER",
    "VLLM_ALLOW_LONG_MAX_MODEL_LEN",
)
CLI_CODES = ("VLL201", "VLL202", "VLL203")
ENV_CODES = ("VLL502", "VLL503", "VLL504")
UPGRADE_CODE = "VLL000"


@dataclass
class LaunchChange:
    path: str
    line: int
    name: str
    before: str  # release
    after: str
    image: str | None
    options: list[Finding] = field(default_factory=list)  # removed / renamed / rejected in the target
    env: list[Finding] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)
    engine: list[str] = field(default_factory=list)
    fixed: list[tuple[str, str]] = field(default_factory=list)  # (advisory id, title)
    introduced: list[tuple[str, str]] = field(default_factory=list)
    other_new: list[Finding] = field(default_factory=list)
    other_gone: list[Finding] = field(default_factory=list)
    memory: dict | None = None
    memory_note: str | None = None


@dataclass
class UpgradeReport:
    target: str
    source: str | None  # --from, or None (each launch's own release)
    launches: list[LaunchChange]
    notes: list[str]


def target_release(text: str) -> str:
    """``latest`` -> the newest release known; otherwise the release the version names (ValueError if unknown)."""
    from vllm_lint.vllm.release import load_release, newest_version, release_name

    name = newest_version() if text.strip().lower() in ("latest", "newest") else release_name(text)
    load_release(name)  # KeyError below the oldest covered release
    return name


def _project_at(paths, settings, version: str | None, compose_files=None, models_from=None):
    """The project with every launch judged as ``version`` (None: as its files pin it)."""
    from vllm_lint import engine

    if version is None:
        return engine.load_project(paths, settings, compose_files)
    project = engine.load_project(paths, settings, compose_files, resolve_models=models_from is None)
    for d in project.deployments:
        d.version, d.version_source, d.nightly = version, f"upgrade simulation ({version})", None
    project.releases.clear()
    project.notes = [n for n in project.notes if not n.startswith("vLLM release assumed")]
    engine._resolve_releases(project)
    if models_from is not None:
        for d, old in zip(project.deployments, models_from.deployments):
            if id(old) in models_from.models:
                project.models[id(d)] = models_from.models[id(old)]
            if id(old) in models_from.model_requests:
                project.model_requests[id(d)] = models_from.model_requests[id(old)]
    return project


def _key(f: Finding):
    adv = f.message.split(":", 1)[0] if f.code == "VLL501" else ""
    return (f.code, f.span.path, f.span.line, f.span.column, adv)


def simulate(paths, settings, to: str, source: str | None = None, compose_files=None) -> UpgradeReport:
    from vllm_lint import engine
    from vllm_lint.vllm.release import load_release

    target = target_release(to)
    start = target_release(source) if source else None
    rules = engine.select_rules(settings)
    before = _project_at(paths, settings, start, compose_files)
    after = _project_at(paths, settings, target, compose_files, models_from=before)
    found_before = engine.check(before, rules)
    found_after = engine.check(after, rules)
    launches = []
    for d0, d1 in zip(before.deployments, after.deployments):
        r0, r1 = before.release_of(d0), after.release_of(d1)
        if r0 is None or r1 is None:
            continue
        change = LaunchChange(d0.path, d0.span.line, d0.name, r0.name, r1.name, d0.image)
        old = {_key(f): f for f in _findings_of(d0, found_before.findings)}
        new = {_key(f): f for f in _findings_of(d1, found_after.findings)}
        for key, f in new.items():
            if key in old:
                continue
            if f.code in CLI_CODES:
                change.options.append(f)
            elif f.code in ENV_CODES:
                change.env.append(f)
            elif f.code == "VLL501":
                change.introduced.append(_advisory(f))
            else:
                change.other_new.append(f)
        for key, f in old.items():
            if key in new:
                continue
            if f.code == "VLL501":
                change.fixed.append(_advisory(f))
            elif f.code not in CLI_CODES + ENV_CODES:
                change.other_gone.append(f)
        change.defaults = changed_defaults(d0, r0, r1)
        f0, f1 = before.feasibility_of(d0), after.feasibility_of(d1)
        change.engine = engine_changes(d0, r0.name, r1.name, f0, f1)
        if f0.estimate is not None and f1.estimate is not None:
            e0, e1 = f0.estimate, f1.estimate
            change.memory = {"kv_cache_tokens": (e0.kv_cache_tokens, e1.kv_cache_tokens),
                             "max_concurrency": (round(e0.max_concurrency, 2), round(e1.max_concurrency, 2)),
                             "max_model_len": (e0.max_model_len, e1.max_model_len),
                             "fits": (e0.fits, e1.fits)}
        else:
            change.memory_note = f0.reason or f1.reason or "no memory estimate"
        launches.append(change)
    load_release(target)
    notes = list(dict.fromkeys(found_before.notes + found_after.notes))
    return UpgradeReport(target, start, launches, notes)


def _findings_of(d, findings) -> list[Finding]:
    """The findings a launch got: its name, in one of the files it is read from."""
    files = {d.path, *d.depends_on_files, *(a.flag_span.path for a in d.args)}
    if d.config_file:
        files.add(d.config_file)
    return [f for f in findings if f.deployment == d.name and f.span.path in files]


def _advisory(f: Finding) -> tuple[str, str]:
    ident, _, rest = f.message.partition(": ")
    return ident, rest.split(" — ", 1)[0]


def changed_defaults(d, r0, r1) -> list[str]:
    """Defaults of options the launch does not set that differ between the two releases' tables."""
    out = []
    if r0.version == r1.version:
        return out
    for name in DEFAULTS_THAT_MATTER:
        flag = "--" + name
        o0, o1 = r0.option(flag), r1.option(flag)
        if o0 is None or o1 is None or d.arg(o1.canonical.lstrip("-")) is not None or d.arg(name) is not None:
            continue
        if o0.default != o1.default and not (o0.default in (None, "None") and o1.default in (None, "None")):
            out.append(f"{o1.canonical}: default {_show(o0.default)} in {r0.name} -> {_show(o1.default)} in {r1.name} "
                       "(the release's own parser default)")
    from vllm_lint.vllm import envs

    for name in ENV_DEFAULTS_THAT_MATTER:
        if name in d.env:
            continue
        s0, s1 = envs.spec(name, r0.name), envs.spec(name, r1.name)
        if s0 is None and s1 is None:
            continue
        if s0 is not None and s1 is None:
            out.append(f"{name}: read by {r0.name} (default {_show(s0.default)}), no longer a variable in {r1.name}")
        elif s0 is None:
            out.append(f"{name}: new in {r1.name}, default {_show(s1.default)} ({s1.source})")
        elif s0.default != s1.default:
            out.append(f"{name}: default {_show(s0.default)} in {r0.name} -> {_show(s1.default)} in {r1.name} ({s1.source})")
    return out


def _show(value) -> str:
    return "unset (auto)" if value in (None, "None") else repr(value) if isinstance(value, str) else str(value)


def _stretch(items, release):
    key = version_key(release)
    for item in items:
        if key >= version_key(item["since"]) and (item.get("until") is None or key < version_key(item["until"])):
            return item
    return None


def engine_changes(d, before: str, after: str, feasibility, feasibility_after=None) -> list[str]:
    """What knowledge/vllm/engine.yaml says changes between the releases: the engine, whether CUDA graphs count in
    the budget (with the launch's own graph estimate when there is one: the KV cache line gives the net effect,
    which other changes such as the activation profile can outweigh), the scheduler defaults by GPU."""
    data = load_knowledge("vllm/engine.yaml")
    out = []
    e0, e1 = _stretch(data["engines"], before), _stretch(data["engines"], after)
    if e0 and e1 and e0 is not e1:
        if e0["engine"] != e1["engine"]:
            out.append(f"engine {e0['engine'].upper()} -> {e1['engine'].upper()} ({e1['source']})")
        if e0["cuda_graphs_in_budget"] != e1["cuda_graphs_in_budget"]:
            counted = e1["cuda_graphs_in_budget"]
            f = feasibility_after if counted else feasibility
            graphs = max((g.cuda_graph.gib for g in f.estimate.gpus), default=None) \
                if f is not None and f.estimate is not None else None
            amount = f" (about {graphs:.2f} GiB per GPU for this launch)" if graphs else ""
            out.append(f"CUDA graph memory{amount} "
                       + ("now counted inside --gpu-memory-utilization: that much less is left for the KV cache"
                          if counted else "no longer counted in the budget") + f" ({e1['source']})")
    t0, t1 = _stretch(data["api_server_defaults"], before), _stretch(data["api_server_defaults"], after)
    if t0 is not t1 and t1 is not None and not (d.arg("max-num-batched-tokens") and d.arg("max-num-seqs")):
        gpu = feasibility.gpus[0][1] if feasibility is not None and feasibility.gpus else None
        if gpu is not None:
            a, b = _tier(t0, gpu) if t0 else None, _tier(t1, gpu)
            if a != b and b is not None:
                out.append(f"scheduler defaults on {gpu.name}: max_num_batched_tokens/max_num_seqs "
                           f"{a[0] if a else '?'}/{a[1] if a else '?'} -> {b[0]}/{b[1]} ({t1['source']})")
        else:
            out.append(f"scheduler defaults by GPU change ({t1['source']}); give --gpu to see the values")
    return out


def _tier(stretch, gpu):
    memory = gpu.memory_mib / 1024
    name = gpu.name.lower()
    for tier in stretch["tiers"]:
        if tier.get("min_memory_gib") and memory < tier["min_memory_gib"]:
            continue
        if any(x in name for x in tier.get("exclude_names", [])):
            continue
        if tier.get("gpu_names") and not any(x in name for x in tier["gpu_names"]):
            continue
        return tier["max_num_batched_tokens"], tier["max_num_seqs"]
    return None


# ----------------------------------------------------------------------------- rendering


def render_text(report: UpgradeReport) -> str:
    lines = [f"vLLM upgrade to {report.target}" + (f" from {report.source}" if report.source else ""), ""]
    for c in report.launches:
        lines.append(f"{c.path}:{c.line} {c.name}: vLLM {c.before} -> {c.after}")
        lines += _section("options removed, renamed or rejected", [_finding_text(f) for f in c.options])
        lines += _section("environment variables", [_finding_text(f) for f in c.env])
        lines += _section("changed defaults", c.defaults + c.engine)
        lines += _section("known issues fixed", [f"{i} {t}" for i, t in c.fixed])
        lines += _section("known issues introduced", [f"{i} {t}" for i, t in c.introduced])
        lines += _section("other findings new in the target", [_finding_text(f) for f in c.other_new])
        lines += _section("other findings gone", [_finding_text(f) for f in c.other_gone])
        if c.memory:
            m = c.memory
            lines.append(f"  KV cache: {m['kv_cache_tokens'][0]:,} -> {m['kv_cache_tokens'][1]:,} tokens; max concurrency "
                         f"at {m['max_model_len'][1]:,} tokens: {m['max_concurrency'][0]}x -> {m['max_concurrency'][1]}x")
        else:
            lines.append(f"  KV cache: not estimated ({c.memory_note})")
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _section(title, items):
    if not items:
        return []
    return [f"  {title}:"] + [f"    - {i}" for i in items]


def _finding_text(f: Finding) -> str:
    fix = f" [fix{'' if f.fix.safe else ' (unsafe)'}: {f.fix.description}]" if f.fix and f.fix.edits else ""
    return f"{f.code} {f.span.path}:{f.span.line}: {f.message}{fix}"


def _summary(report: UpgradeReport) -> str:
    n = len(report.launches)
    opts = sum(len(c.options) for c in report.launches)
    fixed = sum(len(c.fixed) for c in report.launches)
    intro = sum(len(c.introduced) for c in report.launches)
    return (f"{n} launch{'es' if n != 1 else ''}: {opts} option finding{'s' if opts != 1 else ''} in the target, "
            f"{fixed} known issue{'s' if fixed != 1 else ''} fixed, {intro} introduced")


def render_markdown(report: UpgradeReport) -> str:
    out = [f"## vLLM upgrade to {report.target}" + (f" (from {report.source})" if report.source else ""), "",
           _summary(report) + ".", ""]
    for c in report.launches:
        out.append(f"### `{c.path}:{c.line}` {c.name}: vLLM {c.before} → {c.after}")
        out.append("")
        for title, items in (("Options removed, renamed or rejected", [_md_finding(f) for f in c.options]),
                             ("Environment variables", [_md_finding(f) for f in c.env]),
                             ("Changed defaults", c.defaults + c.engine),
                             ("Known issues fixed", [f"**{i}** {t}" for i, t in c.fixed]),
                             ("Known issues introduced", [f"**{i}** {t}" for i, t in c.introduced]),
                             ("Other findings new in the target", [_md_finding(f) for f in c.other_new]),
                             ("Other findings gone", [_md_finding(f) for f in c.other_gone])):
            if items:
                out.append(f"**{title}**")
                out.append("")
                out += [f"- {i}" for i in items]
                out.append("")
        if c.memory:
            m = c.memory
            out += ["| | before | after |", "|---|---|---|",
                    f"| KV cache tokens | {m['kv_cache_tokens'][0]:,} | {m['kv_cache_tokens'][1]:,} |",
                    f"| max concurrency ({m['max_model_len'][1]:,} tokens) | {m['max_concurrency'][0]}x | "
                    f"{m['max_concurrency'][1]}x |", ""]
        else:
            out += [f"KV cache: not estimated ({c.memory_note}).", ""]
    return "\n".join(out)


def _md_finding(f: Finding) -> str:
    fix = f" — fix{'' if f.fix.safe else ' (unsafe)'}: {f.fix.description}" if f.fix and f.fix.edits else ""
    return f"`{f.code}` `{f.span.path}:{f.span.line}` {f.message}{fix}"


def render_json(report: UpgradeReport) -> dict:
    def finding(f):
        return {"code": f.code, "path": f.span.path, "line": f.span.line, "message": f.message,
                "fix": f.fix.description if f.fix and f.fix.edits else None}

    return {"target": report.target, "from": report.source, "notes": report.notes, "launches": [
        {"path": c.path, "line": c.line, "name": c.name, "before": c.before, "after": c.after,
         "options": [finding(f) for f in c.options], "env": [finding(f) for f in c.env],
         "changed_defaults": c.defaults + c.engine, "advisories_fixed": [i for i, _ in c.fixed],
         "advisories_introduced": [i for i, _ in c.introduced], "other_new": [finding(f) for f in c.other_new],
         "other_gone": [finding(f) for f in c.other_gone], "memory": c.memory, "memory_note": c.memory_note}
        for c in report.launches]}


# ----------------------------------------------------------------------------- --fix --to X

_TAG = re.compile(r"^(?P<pre>v?)(?P<version>\d+\.\d+(?:\.\d+){0,2}(?:\.post\d+)?)(?P<rest>(?:[-+_.].*)?)$")
_PIN = re.compile(r"(\bvllm\s*==\s*v?)(\d+\.\d+(?:\.\d+){0,2}(?:\.post\d+)?)")


def pin_fix(d, source, target: str) -> Fix | None:
    """Rewrite the release a launch pins (its image tag, or its ``pip install vllm==X``) to ``target``."""
    if source is None:
        return None
    if d.image and d.image_span is not None and d.image_span.start is not None and d.image_span.path == source.path:
        text = source.text[d.image_span.start:d.image_span.end]
        name, sep, tag = text.rpartition(":")
        m = _TAG.match(tag.rstrip("'\"")) if sep and "$" not in text else None
        if m and m.group("version") != target:
            start = d.image_span.start + len(name) + 1 + len(m.group("pre"))
            edit = Edit(source.span(start, start + len(m.group("version"))), target)
            return Fix(f"pin vLLM {target} ({name.strip(chr(34) + chr(39))}:{m.group('pre')}{target}{m.group('rest')})",
                       (edit,))
    if d.version_source and d.version_source.startswith("pip install") and source.path == d.path:
        m = _PIN.search(source.text)
        if m and m.group(2) != target:
            return Fix(f"pin vllm=={target}", (Edit(source.span(m.start(2), m.end(2)), target),))
    return None


def upgrade_fix_run(paths, settings, to: str, unsafe: bool, write: bool, compose_files=None):
    """Rewrite the pins and what the target reads differently, lint again until stable (fixes.apply.fix_run)."""
    from vllm_lint import engine
    from vllm_lint.fixes.apply import fix_run

    target = target_release(to)
    rules = [r for r in engine.select_rules(settings) if r.code in CLI_CODES + ENV_CODES]

    def lint():
        project = _project_at(paths, settings, target, compose_files)
        result = engine.check(project, rules)
        _remove_replaced(result, project)
        for d in project.deployments:
            fix = pin_fix(d, project.source(d.image_span.path if d.image_span else d.path), target)
            if fix is not None:
                span = d.image_span or d.span
                result.findings.append(Finding(UPGRADE_CODE, "upgrade-pin", "info", f"pin vLLM {target}",
                                               span, fix=fix, deployment=d.name))
        return result

    return fix_run(lint, unsafe=unsafe, write=write)


_RENAMED = re.compile(r": renamed to (--[a-z0-9-]+) ")


def _remove_replaced(result, project) -> None:
    """An option the target removed in favour of another that the launch already gives (``--enable-reasoning``
    with ``--reasoning-parser``): removing it is what the target reads, so the fix is offered (safe)."""
    from vllm_lint.fixes.edits import remove_arg

    for f in result.findings:
        m = _RENAMED.search(f.message) if f.code == "VLL201" and f.fix is None else None
        if not m:
            continue
        for d in project.deployments:
            arg = next((a for a in d.args if a.flag_span == f.span), None)
            if arg is None:
                continue
            if d.arg(m.group(1).lstrip("-")) is not None and arg.value is None and arg.origin != "config":
                edits = remove_arg(arg, project.source(arg.flag_span.path))
                if edits:
                    f.fix = Fix(f"remove {arg.flag}: {m.group(1)} is given", edits)
            break
