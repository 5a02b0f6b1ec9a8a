"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers, with rule metadata and help."""
from __future__ import annotations

import json

from vllm_lint import REPOSITORY_URL, __version__
from vllm_lint.rule import all_rules

_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def render(result, **_) -> str:
    from vllm_lint.docs import rule_url

    settings = result.project.settings
    rules = list(all_rules())
    index = {r.code: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        item = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": f.span.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.span.line, "startColumn": f.span.column,
                               "endLine": f.span.end_line, "endColumn": max(f.span.end_column, f.span.column + 1)},
                }
            }],
        }
        if f.fix is not None and f.fix.edits:
            item["fixes"] = [{
                "description": {"text": f.fix.description},
                "artifactChanges": [{
                    "artifactLocation": {"uri": f.fix.edits[0].span.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                    "replacements": [{
                        "deletedRegion": {"startLine": e.span.line, "startColumn": e.span.column,
                                          "endLine": e.span.end_line, "endColumn": e.span.end_column},
                        "insertedContent": {"text": e.replacement},
                    } for e in f.fix.edits],
                }],
            }]
        results.append(item)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "vllm-lint",
                "version": __version__,
                "informationUri": REPOSITORY_URL,
                "rules": [{
                    "id": r.code,
                    "name": r.name,
                    "shortDescription": {"text": r.summary},
                    "fullDescription": {"text": r.summary},
                    "help": {"text": r.doc, "markdown": r.doc},
                    "helpUri": rule_url(r.code, settings, r.name),
                    "defaultConfiguration": {"level": _LEVEL[r.severity]},
                    "properties": {"category": r.category, "tags": [r.category]},
                } for r in rules],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the folder vllm-lint ran in"}}},
            "results": results,
            "invocations": [{"executionSuccessful": not result.internal_errors,
                             "toolExecutionNotifications": [{"level": "note", "message": {"text": n}} for n in result.notes]
                             + [{"level": "error", "message": {"text": e}} for e in result.internal_errors]}],
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
