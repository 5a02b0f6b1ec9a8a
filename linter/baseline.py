"""Baselines: today's findings recorded (``vllm-lint baseline PATH > .vllm-lint-baseline.json``) so that a
later run with ``--baseline FILE`` reports only the new ones — how a team adopts the linter on a large
repository without fixing everything first.

A finding is recognised by its rule, its file, its launch (a service or object name; a launch named by its
line, as in scripts, without the number) and the text it flags (whitespace folded), not by its line: adding
or removing lines above it does not make it new. Two identical findings in one file (the same text flagged
twice) are counted, so a third one is new. Entries of a file that was linted (or that no
longer exists) and matched nothing are *stale*: what they recorded was fixed, and the run says which."""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

FORMAT = "vllm-lint-baseline/1"


class BaselineError(Exception):
    pass


def flagged_text(finding, project) -> str:
    """The source text a finding points at, whitespace folded (its message when the text is unknown)."""
    source = project.source(finding.span.path) if project is not None else None
    span = finding.span
    text = ""
    if source is not None:
        if span.start is not None and span.end is not None and span.end > span.start:
            text = source.text[span.start:span.end]
        else:
            line = source.line_text(span.line)
            end = span.end_column - 1 if span.end_line == span.line else len(line)
            text = line[span.column - 1:end] if end > span.column - 1 else line
    text = " ".join(text.split())
    return text or finding.message


def _path(path: str) -> str:
    return path.replace("\\", "/")


#: A launch named by its position (a script's ``line 12``, ``LLM() line 40``): the number goes, so that lines
#: added above it keep its fingerprint; two such launches of one file are told apart by counting.
_POSITION = re.compile(r"\bline \d+\b")


def launch_key(deployment: str | None) -> str:
    return _POSITION.sub("line", deployment or "")


def key_of(finding, project) -> tuple[str, str, str, str]:
    return (finding.code, _path(finding.span.path), launch_key(finding.deployment), flagged_text(finding, project))


def fingerprint(finding, project) -> str:
    """A stable hash of (rule, file, launch, flagged text): the same across line moves."""
    return hashlib.sha256("\0".join(key_of(finding, project)).encode("utf-8")).hexdigest()[:32]


def fingerprints(findings, project) -> list[str]:
    """One fingerprint per finding, unique within the run: a repeated one gets its occurrence number."""
    seen: Counter = Counter()
    out = []
    for f in findings:
        base = fingerprint(f, project)
        seen[base] += 1
        out.append(base if seen[base] == 1 else hashlib.sha256(f"{base}:{seen[base]}".encode()).hexdigest()[:32])
    return out


def record(result) -> dict:
    """The baseline document of a run's findings."""
    entries = []
    for f in result.findings:
        code, path, _launch, text = key_of(f, result.project)
        entries.append({"code": code, "name": f.name, "path": path, "deployment": f.deployment or None,
                        "fingerprint": fingerprint(f, result.project), "text": text[:200], "line": f.span.line,
                        "message": f.message})
    entries.sort(key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]))
    return {"format": FORMAT, "findings": entries}


def render(result, **_) -> str:
    return json.dumps(record(result), indent=2, ensure_ascii=False) + "\n"


@dataclass
class Baseline:
    path: str
    entries: list[dict]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BaselineError(f"baseline {path} is not JSON: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("findings"), list):
            raise BaselineError(f"baseline {path} is not a vllm-lint baseline (format {FORMAT}); "
                                "write one with `vllm-lint baseline PATH > .vllm-lint-baseline.json`")
        for i, e in enumerate(data["findings"]):
            if not isinstance(e, dict) or not all(isinstance(e.get(k), str) for k in ("code", "path", "fingerprint")):
                raise BaselineError(f"baseline {path}: entry {i} lacks code, path or fingerprint")
        return cls(str(path), data["findings"])


@dataclass
class Applied:
    findings: list  # the new findings: not in the baseline
    known: int  # findings the baseline held
    stale: list[dict] = field(default_factory=list)  # entries that matched nothing in the files linted

    def notes(self, baseline: Baseline) -> list[str]:
        out = []
        if self.known:
            out.append(f"baseline {baseline.path}: {self.known} known finding(s) not reported")
        if self.stale:
            shown = "; ".join(f"{e['path']}:{e.get('line', '?')} {e['code']}"
                              + (f" {e['deployment']}" if e.get("deployment") else "")
                              + (f" {e['text'][:60]!r}" if e.get("text") else "") for e in self.stale[:10])
            more = f" and {len(self.stale) - 10} more" if len(self.stale) > 10 else ""
            out.append(f"baseline {baseline.path}: {len(self.stale)} stale entr{'y' if len(self.stale) == 1 else 'ies'} "
                       f"(no longer found; re-record the baseline to drop them): {shown}{more}")
        return out


def apply(result, baseline: Baseline, cwd: Path | None = None) -> Applied:
    """Split a run's findings into the baseline's and the new ones; find the stale entries."""
    remaining = Counter(e["fingerprint"] for e in baseline.entries)
    kept = []
    known = 0
    for f in result.findings:
        fp = fingerprint(f, result.project)
        if remaining[fp] > 0:
            remaining[fp] -= 1
            known += 1
        else:
            kept.append(f)
    linted = {_path(sf.path) for sf in result.project.files}
    stale = []
    left = Counter(remaining)
    for e in baseline.entries:
        if left[e["fingerprint"]] <= 0:
            continue
        gone = not (Path(cwd or Path.cwd()) / e["path"]).exists()
        if _path(e["path"]) in linted or gone:
            left[e["fingerprint"]] -= 1
            stale.append(e)
    return Applied(kept, known, stale)
