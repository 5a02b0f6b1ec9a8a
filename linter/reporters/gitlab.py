"""GitLab Code Quality: the Code Climate-compatible JSON report GitLab shows in merge requests
(``artifacts: reports: codequality:``), one issue per finding with a fingerprint that stays the same when
lines move (the baseline's, :mod:`vllm_lint.baseline`), unique within the report.

Format: https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format (required: description,
check_name, fingerprint, severity, location.path, location.lines.begin); the optional Code Climate fields
(type, categories, content) follow https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md."""
from __future__ import annotations

import json

#: GitLab's scale is info, minor, major, critical, blocker.
SEVERITY = {"error": "major", "warning": "minor", "info": "info"}
#: Code Climate categories by rule category (GitLab ignores them; Code Climate requires one).
_CATEGORY = {"security": "Security", "reproducibility": "Compatibility", "vllm-cli": "Compatibility",
             "suppressions": "Clarity", "syntax": "Clarity"}


def render(result, **_) -> str:
    from vllm_lint.baseline import fingerprints
    from vllm_lint.docs import finding_url

    settings = result.project.settings
    issues = []
    for f, fp in zip(result.findings, fingerprints(result.findings, result.project)):
        from vllm_lint.rule import rule_by

        rule = rule_by(f.code)
        url = finding_url(f, settings)
        description = f.message + (f" ({f.hint})" if f.hint else "")
        issues.append({
            "type": "issue",
            "check_name": f"{f.code} {f.name}",
            "description": description,
            "content": {"body": f"{description}\n\nRule documentation: {url}"},
            "categories": [_CATEGORY.get(rule.category if rule else "", "Bug Risk")],
            "fingerprint": fp,
            "severity": SEVERITY[f.severity],
            "location": {"path": f.span.path.replace("\\", "/"),
                         "lines": {"begin": f.span.line, "end": max(f.span.end_line, f.span.line)}},
        })
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
