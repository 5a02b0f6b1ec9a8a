"""GitHub Actions workflow commands: one annotation per finding (its message, hint and rule page)."""
from __future__ import annotations

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, **_) -> str:
    from vllm_lint.docs import finding_url

    settings = result.project.settings if result.project is not None else None
    out = []
    for f in result.findings:
        props = (f"file={_escape_property(f.span.path)},line={f.span.line},col={f.span.column},"
                 f"endLine={f.span.end_line},endColumn={f.span.end_column},title={_escape_property(f.code + ' ' + f.name)}")
        message = f.message + (f"\n{f.hint}" if f.hint else "")
        message += f"\ndocs: {finding_url(f, settings)}"
        out.append(f"::{_LEVEL[f.severity]} {props}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")
