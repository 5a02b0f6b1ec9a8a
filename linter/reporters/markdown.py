"""One Markdown document for a pull-request comment or a job summary: findings by file, then the
VRAM feasibility table when estimates were made. Starts with a hidden marker so a bot can find and
update its own comment instead of adding another."""
from __future__ import annotations

from collections import Counter, defaultdict

MARKER = "<!-- vllm-lint report -->"
_ICON = {"error": "🔴", "warning": "🟠", "info": "🔵"}


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render(result, **_) -> str:
    from vllm_lint.docs import finding_url

    lines = [MARKER, "## vllm-lint", ""]
    counts = Counter(f.severity for f in result.findings)
    n = len(result.project.deployments)
    if result.findings:
        summary = ", ".join(f"{counts[s]} {s}{'s' if counts[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if counts[s])
        lines.append(f"**{len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}** ({summary}) in {n} vLLM launch{'es' if n != 1 else ''}.")
    else:
        lines.append(f"No finding in {n} vLLM launch{'es' if n != 1 else ''}. ✅")
    by_file = defaultdict(list)
    for f in result.findings:
        by_file[f.span.path].append(f)
    for path, findings in by_file.items():
        lines += ["", f"### `{path}`", "", "| | line | rule | message |", "|---|---|---|---|"]
        for f in findings:
            message = _cell(f.message) + (f"<br>💡 {_cell(f.hint)}" if f.hint else "")
            lines.append(f"| {_ICON[f.severity]} | {f.span.line}:{f.span.column} | [`{f.code}`]({finding_url(f, result.project.settings)}) {f.name} | {message} |")
    project = result.project
    estimated = [f for f in map(project.feasibility_of, project.deployments) if f.estimate is not None]
    if estimated:
        from vllm_lint.reporters.vram_table import markdown_table

        lines += ["", "### VRAM feasibility", ""] + markdown_table(estimated)
    if result.notes:
        lines += ["", "<details><summary>Notes</summary>", ""] + [f"- {_cell(n)}" for n in result.notes] + ["", "</details>"]
    return "\n".join(lines) + "\n"
