"""ruff-like text: ``path:line:col: CODE [severity] message``, the source line with a caret, the hint."""
from __future__ import annotations

from collections import Counter

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(result, *, color: bool = False, quiet: bool = False, verbose: bool = False, statistics: bool = False,
           show_source: bool = True, **_) -> str:
    def c(code, text):
        return f"{code}{text}{_RESET}" if color else text

    from vllm_lint.docs import finding_url

    from vllm_lint.reporters.secrets import masker_for

    masker = masker_for(result)  # secrets masked before a line is cut, so no half of one is shown
    lines: list[str] = []
    project = result.project
    for f in result.findings:
        head = f"{c(_BOLD, f.span.path)}:{f.span.line}:{f.span.column}: {c(_COLORS[f.severity], f.code)} [{f.severity}] {f.message}"
        lines.append(head)
        if quiet:
            continue
        source = project.source(f.span.path)
        text = source.line_text(f.span.line) if source is not None and show_source else ""
        if text.strip():
            gutter = " " * len(str(f.span.line))
            start = max(f.span.column - 1, 0)
            end = f.span.end_column - 1 if f.span.end_line == f.span.line else len(text)
            text, start, end = _window(masker(text[:start]), masker(text[start:end]), masker(text[end:]))
            width = max(1, min(end, len(text)) - start)
            lines.append(c(_DIM, f"{gutter} |"))
            lines.append(c(_DIM, f"{f.span.line} |") + f" {text}")
            lines.append(c(_DIM, f"{gutter} |") + " " + " " * start + c(_COLORS[f.severity], "^" * width))
        if f.hint:
            lines.append(f"  = help: {f.hint}")
        if f.fix is not None:
            lines.append(f"  = fix{'' if f.fix.safe else ' (unsafe)'}: {f.fix.description}")
        lines.append(c(_DIM, f"  = docs: {finding_url(f, project.settings)}"))
        lines.append("")
    if statistics:
        counts = Counter((f.code, f.name) for f in result.findings)
        for (code, name), n in sorted(counts.items(), key=lambda x: (-x[1], x[0])):
            lines.append(f"{n:5d}\t{code}\t{name}")
        if counts:
            lines.append("")
    by_sev = Counter(f.severity for f in result.findings)
    if result.findings:
        parts = [f"{by_sev[s]} {s}{'s' if by_sev[s] != 1 and s != 'info' else ''}" for s in ("error", "warning", "info") if by_sev[s]]
        fixable = sum(1 for f in result.findings if f.fix is not None and f.fix.safe)
        summary = f"Found {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''} ({', '.join(parts)})"
        files = len({f.span.path for f in result.findings})
        summary += f" in {files} file{'s' if files != 1 else ''}."
        if fixable:
            summary += f" {fixable} fixable with --fix."
        lines.append(summary)
    elif not quiet:
        n = getattr(project, "launch_count", None)
        n = len(project.deployments) if n is None else n
        lines.append(f"All checks passed: {n} vLLM launch{'es' if n != 1 else ''} in {len(project.files)} file{'s' if len(project.files) != 1 else ''}.")
    if (verbose or not quiet) and result.notes:
        for note in result.notes:
            lines.append(c(_DIM, f"note: {note}"))
    return "\n".join(lines) + "\n"


#: The longest source line shown under a finding; a longer one is cut around the finding's columns.
MAX_SNIPPET = 200


def _window(before: str, marked: str, after: str) -> tuple[str, int, int]:
    """(line, start, end of the marked part) cut to :data:`MAX_SNIPPET` characters around the marked part."""
    if len(before) + len(marked) + len(after) <= MAX_SNIPPET:
        return before + marked + after, len(before), len(before) + len(marked)
    marked = marked if len(marked) <= MAX_SNIPPET - 40 else marked[:MAX_SNIPPET - 41] + "…"
    room = max(0, MAX_SNIPPET - len(marked))
    head = before[-(room // 2):] if room // 2 and len(before) > room // 2 else before
    if len(head) < len(before):
        head = "…" + head[1:] if head else "…"
    tail_room = max(0, room - len(head))
    tail = after if len(after) <= tail_room else (after[:max(0, tail_room - 1)] + "…")
    return head + marked + tail, len(head), len(head) + len(marked)
