"""A JSON list of findings (stable keys; 1-based lines and columns, end column exclusive)."""
from __future__ import annotations

import json as _json


def finding_dict(f, settings=None) -> dict:
    from vllm_lint.docs import finding_url

    return {
        "code": f.code,
        "name": f.name,
        "severity": f.severity,
        "message": f.message,
        "path": f.span.path,
        "line": f.span.line,
        "column": f.span.column,
        "end_line": f.span.end_line,
        "end_column": f.span.end_column,
        "deployment": f.deployment,
        "hint": f.hint,
        "url": finding_url(f, settings),
        "fix": None if f.fix is None else {
            "description": f.fix.description,
            "safe": f.fix.safe,
            "edits": [{"line": e.span.line, "column": e.span.column, "end_line": e.span.end_line,
                       "end_column": e.span.end_column, "content": e.replacement} for e in f.fix.edits],
        },
    }


def render(result, **_) -> str:
    return _json.dumps([finding_dict(f, result.project.settings) for f in result.findings], indent=2, ensure_ascii=False) + "\n"
