"""Large trees linted by several processes (``--jobs``), with the findings one process would report.

In: the paths, the settings and the number of processes. Out: one :class:`~vllm_lint.engine.Result`, or None
when the tree is better linted at once (fewer than :data:`MIN_UNITS` units, or files whose launches depend on
files of other units: Kustomize overlays, Helm charts and vLLM ``--config`` files). A large tree is cut into
chunks of about :data:`CHUNK_UNITS` units (at least one per process), so that its memory is that of a chunk, not
of the tree; with ``--jobs 1`` the chunks are read one after the other in this process.

A *unit* is what one loader reads as a whole: a compose project (its override files and everything it
includes, with the configuration's ``projects:`` joined), a script, a Kubernetes manifest, one file of another
format. Units are spread over the shards by a hash of their key, so a unit's launches, and the launches they are
compared with (ports and GPUs of one machine), are always read by one process. Discovery runs once, here; each shard loads
its units and runs the rules; the parent merges what they found (files read by several shards, a shared
``.env``, once) and then does what needs the whole run: suppressions, which paths hold no launch, the
``--diff-base`` lines, order and caps. The launches stay in the workers (the reports get their count and their credential values, for masking);
the processes are forked where the platform can (Linux), else spawned.
A worker that fails or dies (killed, out of memory) never leaves the run waiting: the whole tree is then linted
again in one process, which reports the failure as a one-process run does.
"""
from __future__ import annotations

import copy
import os
import zlib
from pathlib import Path

from vllm_lint.sources.realpath import resolved

#: Below this many units one process is faster than starting more.
MIN_UNITS = 200
#: At most about this many units are read and checked at once (by one process, or one task of a worker): what
#: a chunk loads is freed before the next, so memory stays that of a chunk, however large the tree.
CHUNK_UNITS = 250


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _shard_of(key: str, n: int) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogateescape")) % n


def units(found) -> list[str]:
    """The key of every unit discovery found (see the module's docs), in the order one process reads them."""
    keys = [found.project_of(group[0]) for group in found.compose]
    keys += [_file_key(p) for p in found.kubernetes]
    keys += [found.project_of(p) for p in found.scripts]
    keys += [_file_key(p) for p, _ in found.formats]
    return keys


def splittable(found) -> bool:
    """Whether each unit can be read without the others."""
    return not found.kustomizations and not found.vllm_configs and not getattr(found, "charts", None)


def _file_key(path) -> str:
    return str(resolved(path))


def unit_order(found) -> dict[str, int]:
    """Unit key -> its place in the order one process reads the units (compose projects, Kubernetes manifests,
    scripts, other formats)."""
    order: dict[str, int] = {}
    for key in units(found):
        order.setdefault(key, len(order))
    return order


def tag_unit_order(deployments, found, ctx) -> None:
    """Give each launch of a shard its unit's place in the whole run (``unit_index``), so the parent can keep,
    of a finding several shards made (on a shared env file), the one a single process would have kept."""
    order = found.unit_order
    for d in deployments:
        key = d.host_group if d.kind in ("compose", "script") and d.host_group else None
        if key is None or key not in order:
            source = ctx.by_display(d.path)
            key = _file_key(source.abspath) if source is not None else None
        d.unit_index = order.get(key, len(order))


def keep_shard(found, i: int, n: int) -> None:
    """Keep in ``found`` only the units of shard ``i`` of ``n``; shard 0 also keeps what is said once per run
    (unreadable paths, templates set aside, files named but not linted)."""
    if getattr(found, "unit_order", None) is None:
        found.unit_order = unit_order(found)
    found.compose = [g for g in found.compose if _shard_of(found.project_of(g[0]), n) == i]
    found.scripts = [p for p in found.scripts if _shard_of(found.project_of(p), n) == i]
    found.kubernetes = [p for p in found.kubernetes if _shard_of(_file_key(p), n) == i]
    found.formats = [(p, kind) for p, kind in found.formats if _shard_of(_file_key(p), n) == i]
    if i != 0:
        found.problems, found.templates, found.notes = [], [], []


#: What discovery found, for the forked workers (inherited, not copied to each task).
_FOUND = None


def _shard(args, found=None):
    """One worker: load and check shard ``i`` of ``n``; returns what :func:`run_sharded` merges."""
    paths, settings, compose_files, select, ignore, i, n = args
    from vllm_lint.engine import Project, collect, load_project, select_rules

    project = load_project(paths, settings, compose_files, shard=(i, n), found=found if found is not None else _FOUND)
    rules = select_rules(settings, select, ignore)
    checked = collect(project, rules)
    index = {id(d): k for k, d in enumerate(project.deployments)}
    launch_of = [index.get(checked.launch_of.get(id(f))) for f in checked.findings]
    position = {r.code: k for k, r in enumerate(rules)}
    # where each finding stands in the order one process would have made it: rule, then unit, then this shard's order
    order = [(position.get(f.code, len(position)),
              project.deployments[k].unit_index if k is not None else -1, seq)
             for seq, (f, k) in enumerate(zip(checked.findings, launch_of, strict=True))]
    # what the reports need of the launches is worked out here, and the launches stay: copying them to the
    # parent would cost more than checking them (the formats that list launches run in one process)
    from vllm_lint.reporters.secrets import project_secrets

    slim = Project(project.files, [], project.settings, notes=project.notes, inventory=project.inventory,
                   rule_skips=project.rule_skips, launchless=project.launchless)
    slim.load_errors = list(getattr(project, "load_errors", ()))
    slim.counted = project.counted
    slim.launch_count = len(project.deployments)
    slim.secrets_found = project_secrets(project)
    return slim, checked.findings, checked.errors, checked.skipped, launch_of, order


def run_sharded(paths, settings, select, ignore, compose_files, jobs: int, rules, found=None):
    import collections

    from vllm_lint.engine import Checked, Project, assumed_release_notes, find_files, finish, unavailable_note

    global _FOUND
    if found is None:
        found = find_files(paths, settings, compose_files)
    keys = units(found)
    if len(keys) < MIN_UNITS or not splittable(found):
        return None
    distinct = len(set(keys))
    n = min(distinct, max(jobs, -(-distinct // CHUNK_UNITS)))
    if n <= 1:
        return None
    found = copy.copy(found)  # the caller's stays as discovery made it
    found.unit_order = unit_order(found)
    tasks = [(paths, settings, compose_files, select, ignore, i, n) for i in range(n)]
    if jobs == 1:  # one process, one chunk after the other: each chunk's launches are freed before the next
        parts = [_shard(task, found) for task in tasks]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        _FOUND = found if method == "fork" else None
        if method == "fork":  # what every worker imports, imported once before they are forked
            _preload(found)
        try:
            with ProcessPoolExecutor(min(jobs, n), mp_context=multiprocessing.get_context(method)) as pool:
                parts = list(pool.map(_shard, tasks) if method == "fork" else pool.map(_shard, tasks, [found] * n))
        except Exception:  # noqa: BLE001 - a worker that died (killed, out of memory) or failed: one process does it
            return None  # all, and reports what went wrong the way a one-process run does
        finally:
            _FOUND = None

    files, seen = [], set()
    errors, launch_of = [], {}
    skipped: dict[str, set[str]] = {}
    merged = Project([], [], settings)
    merged.load_errors, merged.launch_count, merged.secrets_found = [], 0, set()
    noted: set[str] = set()
    assumed: dict[str, list] = {}
    unavailable: collections.Counter = collections.Counter()
    ranked = []  # (order, finding): sorted below into the order one process makes them
    for shard, (project, found_here, errs, skips, launches, order) in enumerate(parts):
        for sf in project.files:
            if sf.path not in seen:
                seen.add(sf.path)
                files.append(sf)
        for f, k, place in zip(found_here, launches, order, strict=True):
            ranked.append((place, f))
            if k is not None:
                launch_of[id(f)] = (shard, k)  # the cap per launch counts by this key
        errors += [e for e in errs if e not in errors]
        for why, codes in skips.items():
            skipped.setdefault(why, set()).update(codes)
        for (code, why), items in project.rule_skips.items():
            merged.rule_skips.setdefault((code, why), set()).update(items)
        for note in project.notes:
            if note not in noted:
                noted.add(note)
                merged.notes.append(note)
        merged.load_errors += project.load_errors
        merged.launch_count += project.launch_count
        merged.secrets_found |= project.secrets_found
        merged.inventory = project.inventory
        for what, where in project.counted.get("assumed", {}).items():
            assumed.setdefault(what, []).extend(where)
        unavailable.update(project.counted.get("unavailable", {}))
    # the notes that count launches, as one process words them: launches in the order it reads them
    for where in assumed.values():
        where.sort(key=lambda item: item[0])
    first = {what: where[0][0] for what, where in assumed.items()}
    merged.notes += assumed_release_notes(dict(sorted(assumed.items(), key=lambda item: first[item[0]])))
    merged.notes += unavailable_note(unavailable)
    merged.files = sorted(files, key=lambda f: f.path)
    merged.launchless = _launchless([p[0].launchless for p in parts])
    if settings.diff_base:
        from vllm_lint.sources.gitdiff import changed_lines

        merged.changed = changed_lines(settings.diff_base, Path.cwd())
    ranked.sort(key=lambda item: item[0])
    findings = [f for _, f in ranked]
    unique: dict = {}
    for f in findings:  # a finding on a file several shards read (a shared .env line) counts once, as the first
        unique.setdefault((f.code, f.span.path, f.span.line, f.span.column, f.message), f)
    return finish(merged, Checked(list(unique.values()), errors, skipped, launch_of), rules)


def _preload(found) -> None:
    import importlib

    names = ["vllm_lint.memory.feasibility", "vllm_lint.models.resolve", "vllm_lint.reporters.secrets"]
    names += ["vllm_lint.loaders.compose"] if found.compose else []
    names += ["vllm_lint.loaders.kubernetes"] if found.kubernetes else []
    names += ["vllm_lint.loaders.script"] if found.scripts else []
    names += ["vllm_lint.loaders.formats"] if found.formats else []
    for name in names:
        importlib.import_module(name)


def _launchless(per_shard: list[list]) -> list:
    """A path of the command line holds no launch when no shard found one in it; what no shard read stays
    listed as unread."""
    first, *others = per_shard
    out = []
    for entry in first:
        same = [next((e for e in shard if e.path == entry.path), None) for shard in others]
        if any(e is None for e in same):
            continue  # another shard found a launch there
        entry.files_read += sum(e.files_read for e in same)
        unread = set.intersection(set(entry.unread), *(set(e.unread) for e in same)) if same else set(entry.unread)
        entry.unread = [u for u in entry.unread if u in unread]
        out.append(entry)
    return out
