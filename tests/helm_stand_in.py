"""A stand-in for ``helm template`` in the tests of ``loaders/helm.py`` on machines without helm: it renders the
small subset of Go templates the test chart uses (``{{ .Values.a.b }}``, ``| quote``, ``| int``, ``{{ .Release.Name
}}``, a one-line ``{{- range .Values.x }} ... {{ . | quote }} ... {{- end }}``) with the values merged as helm
merges ``--values`` files, and fails as helm does on anything else. It is not helm: the test that runs the real
renderer is separate, and skipped where helm is not installed.

Usage (as helm): ``helm_stand_in.py template NAME CHART [--namespace NS] [--values FILE]...``
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a[k], v) if k in a else v
        return out
    return b


def lookup(values, path: str):
    node = values
    for part in path.split(".")[2:]:  # ".Values.a.b"
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def action(expr: str, values, release: str, dot=None) -> str:
    parts = [p.strip() for p in expr.split("|")]
    head = parts[0]
    if head == ".":
        value = dot
    elif head == ".Release.Name":
        value = release
    elif head.startswith(".Values."):
        value = lookup(values, head)
    else:
        raise ValueError(f"function {head.split()[0]!r} not defined")
    for fn in parts[1:]:
        if fn == "quote":
            value = json.dumps(text(value))
        elif fn == "int":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValueError(f"error calling int: cannot convert {value!r}") from None
        else:
            raise ValueError(f"function {fn!r} not defined")
    return text(value)


def render(template: str, values, release: str) -> str:
    out_lines = []
    lines = template.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"\s*\{\{-\s*range\s+(\.Values\.[\w.]+)\s*\}\}\s*$", line)
        if m:
            body, end = lines[i + 1], lines[i + 2]
            if not re.match(r"\s*\{\{-\s*end\s*\}\}\s*$", end):
                raise ValueError("range: only a one-line body is supported")
            for item in lookup(values, m.group(1)) or []:
                out_lines.append(_ACTION.sub(lambda a, item=item: action(a.group(1), values, release, item), body))
            i += 3
            continue
        out_lines.append(_ACTION.sub(lambda a: action(a.group(1), values, release), line))
        i += 1
    return "\n".join(out_lines) + "\n"


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "template":
        print(f"Error: unknown command {argv[:1]}", file=sys.stderr)
        return 1
    release, chart = argv[1], Path(argv[2])
    files = [argv[i + 1] for i, a in enumerate(argv) if a in ("--values", "-f")]
    values = {}
    for f in files:
        values = merge(values, yaml.safe_load(Path(f).read_text()) or {})
    name = (yaml.safe_load((chart / "Chart.yaml").read_text()) or {}).get("name", chart.name)
    out = []
    for template in sorted((chart / "templates").glob("*.yaml")):
        try:
            rendered = render(template.read_text(), values, release)
        except ValueError as exc:
            print(f"Error: template: {name}/templates/{template.name}: {exc}", file=sys.stderr)
            return 1
        out.append(f"---\n# Source: {name}/templates/{template.name}\n{rendered}")
    sys.stdout.write("".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
