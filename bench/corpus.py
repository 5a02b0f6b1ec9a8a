#!/usr/bin/env python3
"""Precision and recall of vllm-lint on a corpus of real deployment files with judged findings.

    python bench/corpus.py DIR LABELS.csv [--launches LAUNCHES.csv] [--gpu a100-80gb] [--json OUT]

DIR holds one folder per repository (``<owner>__<repo>/...``; a ``files/`` sub-folder is used when
present, as in the shared corpus). Each top-level folder is linted on its own, as a user would lint
their repository: ``vllm-lint FOLDER --format json --offline`` run from DIR, and ``vllm-lint
launches FOLDER --format json`` for the launches found.

Findings are matched to LABELS.csv rows (``code, severity, file, line, deployment, message, verdict,
cause_or_note``; ``file`` is ``owner/repo:path``) by (file, line, code). Printed: the known-FALSE
findings still reported (those at error severity listed), the known-TRUE findings kept and those lost,
the findings not in the labels (to judge by reading the files), counts per code and severity, and the
files whose launch count is below (or above) LAUNCHES.csv's ``launches_visible``.
Exit status 0; the figures are for people (and the closing notes), not a gate.
"""
from __future__ import annotations

import argparse
import collections
import csv
import json
import subprocess
import sys
from pathlib import Path


def lint(folder: str, cwd: Path, extra: list[str]) -> list[dict]:
    out = subprocess.run(["vllm-lint", folder, "--format", "json", "--offline", "--fail-on", "never", *extra],
                         cwd=cwd, capture_output=True, text=True, timeout=300)
    if out.returncode not in (0, 1):
        print(f"  {folder}: vllm-lint exited {out.returncode}: {out.stderr.strip()[-300:]}", file=sys.stderr)
        return []
    try:
        return json.loads(out.stdout or "[]")
    except json.JSONDecodeError:
        print(f"  {folder}: output is not JSON: {out.stdout[:200]!r}", file=sys.stderr)
        return []


def launches(folder: str, cwd: Path) -> list[dict]:
    out = subprocess.run(["vllm-lint", "launches", folder, "--format", "json"], cwd=cwd, capture_output=True,
                         text=True, timeout=300)
    try:
        return json.loads(out.stdout)["launches"]
    except (json.JSONDecodeError, KeyError):
        print(f"  {folder}: launches failed: {out.stderr.strip()[-300:]}", file=sys.stderr)
        return []


def label_key(row: dict) -> tuple[str, int, str]:
    repo, _, path = row["file"].partition(":")
    return f"{repo.replace('/', '__', 1)}/{path}", int(row["line"] or 0), row["code"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("labels", type=Path)
    ap.add_argument("--launches", type=Path, help="LAUNCHES.csv (default: beside LABELS.csv)")
    ap.add_argument("--gpu", help="passed to vllm-lint (--gpu) to exercise the memory rules")
    ap.add_argument("--json", type=Path, help="write every finding with its verdict here")
    ap.add_argument("--show", type=int, default=40, help="findings to list per section")
    a = ap.parse_args(argv)

    root = a.dir / "files" if (a.dir / "files").is_dir() else a.dir
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    extra = ["--gpu", a.gpu] if a.gpu else []
    labels: dict[tuple, list[dict]] = collections.defaultdict(list)  # a key can be labelled twice (two launches)
    with a.labels.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels[label_key(row)].append(row)
    findings: list[dict] = []
    found_launches: collections.Counter = collections.Counter()
    for folder in folders:
        for f in lint(folder, root, extra):
            findings.append(f)
        for launch in launches(folder, root):
            found_launches[launch["file"]] += 1

    verdicts = collections.Counter()
    by_code = collections.Counter()
    false_kept, true_kept, unlabelled = [], [], []
    matched: collections.Counter = collections.Counter()
    for f in findings:
        key = (f["path"], int(f["line"]), f["code"])
        by_code[(f["code"], f["severity"])] += 1
        rows = labels.get(key, [])
        row = rows[min(matched[key], len(rows) - 1)] if rows else None
        matched[key] += 1
        verdict = row["verdict"] if row else "UNLABELLED"
        f["verdict"] = verdict
        verdicts[verdict] += 1
        if verdict == "FALSE":
            false_kept.append(f)
        elif verdict == "TRUE":
            true_kept.append(f)
        elif verdict == "UNLABELLED":
            unlabelled.append(f)
    labelled = collections.Counter(r["verdict"] for rows in labels.values() for r in rows)
    true_lost = [r for k, rows in labels.items() for r in rows[matched[k]:] if r["verdict"] == "TRUE"]

    def line(f):
        return f"    {f['path']}:{f['line']}: {f['code']} [{f['severity']}] {f['message'][:150]}"

    print(f"corpus: {len(folders)} folders, {sum(found_launches.values())} launches found, {len(findings)} findings")
    print(f"labels: {sum(labelled.values())} ({', '.join(f'{v} {k}' for k, v in sorted(labelled.items()))})")
    print("\nfindings per code and severity:")
    for (code, sev), n in sorted(by_code.items()):
        print(f"    {code} {sev:<7} {n}")
    print(f"\nknown-FALSE still reported: {len(false_kept)} of {labelled['FALSE']} "
          f"({sum(f['severity'] == 'error' for f in false_kept)} at error)")
    for f in false_kept[: a.show]:
        print(line(f))
    print(f"\nknown-TRUE kept: {len(true_kept)} of {labelled['TRUE']}; lost: {len(true_lost)}")
    for r in true_lost[: a.show]:
        print(f"    {r['file']}:{r['line']}: {r['code']} {r['message'][:120]}")
    print(f"\nknown-DEBATABLE still reported: {verdicts['DEBATABLE']} of {labelled['DEBATABLE']}")
    print(f"\nnot in the labels (judge by reading): {len(unlabelled)}")
    for f in unlabelled[: a.show]:
        print(line(f))

    launches_csv = a.launches or a.labels.with_name("LAUNCHES.csv")
    if launches_csv.is_file():
        per_kind = collections.defaultdict(lambda: [0, 0])
        short, extra_found = [], []
        with launches_csv.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                repo, _, path = row["file"].partition(":")
                rel = f"{repo.replace('/', '__', 1)}/{path}"
                visible, got = int(row["launches_visible"] or 0), found_launches.get(rel, 0)
                kind = row["kind"]
                per_kind[kind][0] += visible
                per_kind[kind][1] += min(got, visible)
                if got < visible:
                    short.append((rel, kind, visible, got))
                elif got > visible:
                    extra_found.append((rel, kind, visible, got))
        total_v = sum(v for v, _ in per_kind.values())
        total_f = sum(f for _, f in per_kind.values())
        print(f"\nlaunches found: {total_f} of {total_v} visible ({100 * total_f / max(total_v, 1):.1f}%)")
        for kind, (v, f) in sorted(per_kind.items()):
            print(f"    {kind:<40} {f:>3} / {v:<3}")
        print(f"files with fewer launches found than visible: {len(short)}")
        for rel, kind, v, g in short[: a.show]:
            print(f"    {rel} ({kind}): {g} of {v}")
        print(f"files with more launches found than visible: {len(extra_found)}")
        for rel, kind, v, g in extra_found[: a.show]:
            print(f"    {rel} ({kind}): {g} found, {v} visible")
    if a.json:
        a.json.write_text(json.dumps(findings, indent=1) + "\n", encoding="utf-8")
    print(f"\nsummary: FALSE kept {len(false_kept)}/{labelled['FALSE']} "
          f"(error {sum(f['severity'] == 'error' for f in false_kept)}), TRUE kept {len(true_kept)}/{labelled['TRUE']}, "
          f"unlabelled {len(unlabelled)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
