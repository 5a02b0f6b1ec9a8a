"""reviewdog's diagnostic format (rdjson), with fixes as suggestions; columns are UTF-8 byte counts."""
from __future__ import annotations

import json

from vllm_lint import REPOSITORY_URL

_SEVERITY = {"error": "ERROR", "warning": "WARNING", "info": "INFO"}


def _byte_column(project, path: str, line: int, column: int) -> int:
    source = project.source(path)
    if source is None:
        return column
    text = source.line_text(line)
    return len(text[: column - 1].encode("utf-8")) + 1


def _position(project, span, end=False) -> dict:
    line, column = (span.end_line, span.end_column) if end else (span.line, span.column)
    return {"line": line, "column": _byte_column(project, span.path, line, column)}


def render(result, **_) -> str:
    from vllm_lint.docs import finding_url

    project = result.project
    diagnostics = []
    for f in result.findings:
        item = {
            "message": f.message + (f"\n{f.hint}" if f.hint else ""),
            "location": {"path": f.span.path, "range": {"start": _position(project, f.span), "end": _position(project, f.span, True)}},
            "severity": _SEVERITY[f.severity],
            "source": {"name": "vllm-lint"},
            "code": {"value": f"{f.code} {f.name}", "url": finding_url(f, project.settings)},
        }
        if f.fix is not None and f.fix.edits:
            item["suggestions"] = [{"range": {"start": _position(project, e.span), "end": _position(project, e.span, True)},
                                    "text": e.replacement} for e in f.fix.edits]
        if f.related:
            item["related_locations"] = [{"message": "related", "location": {
                "path": r.path, "range": {"start": _position(project, r), "end": _position(project, r, True)}}} for r in f.related]
        diagnostics.append(item)
    doc = {"source": {"name": "vllm-lint", "url": REPOSITORY_URL}, "diagnostics": diagnostics}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
