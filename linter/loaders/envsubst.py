"""Manifests filled in by ``envsubst`` (or a CI step like it) before ``kubectl apply``: read with the variables
left unknown.

``envsubst`` replaces ``$VAR`` and ``${VAR}`` anywhere in the text, so a template can hold a variable where YAML
expects a value (``image: ${IMAGE_NAME}``) or a whole line that becomes several lines of YAML (``${ARGS}`` at the
end of a ``command:`` list, ``${RESOURCE_LIMITS}`` under ``limits:``). The second kind is not YAML until it is
rendered; here each such line is read as a comment of the same length (every offset and span stays as written)
and remembered as a *placeholder* of the node it stands in: arguments of a ``command``/``args`` list given at
deploy time (a forwarded word, as ``"$@"`` in a script), environment entries, resource limits. A value is never
made up for a variable: checks that need one skip it, as for an unset shell variable (``VarUse`` of kind
``"envsubst"``, value None).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from vllm_lint.sources.yamlnodes import YMap, YNode, YScalar, YSeq

#: Suffixes of templates rendered before deployment, after a YAML name (``vllm.yaml.tpl``).
TEMPLATE_SUFFIXES = (".tpl", ".tmpl", ".template", ".in", ".envsubst")
#: ``$VAR`` / ``${VAR}`` as envsubst reads them (``$(VAR)`` is the kubelet's, ``$$`` is no variable).
REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_PLACEHOLDER_LINE = re.compile(r"^([ \t]*)(\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Placeholder:
    """A line that is nothing but one variable: YAML that envsubst writes there."""

    line: int  # 1-based
    column: int  # 1-based column of the ``$``
    text: str  # ``${ARGS}``
    name: str
    start: int  # offset of the ``$`` in the file's text


def is_template_name(path: Path | str) -> bool:
    """``x.yaml.tpl``, ``x.yml.tmpl``, ``x.yaml.envsubst`` ...: a YAML file that a renderer fills in."""
    name = Path(path).name.lower()
    return any(name.endswith(y + t) for y in (".yaml", ".yml") for t in TEMPLATE_SUFFIXES)


def has_go_template(text: str) -> bool:
    """Whether the text is a Go/Jinja template (``{{ }}``, ``{% %}``), which envsubst does not fill in."""
    return "{{" in text or "{%" in text


def mask(text: str) -> tuple[str, list[Placeholder]]:
    """The text with each placeholder line turned into a comment of the same length, and those lines."""
    found: list[Placeholder] = []
    if "$" not in text:
        return text, found
    chars = None
    for m in _PLACEHOLDER_LINE.finditer(text):
        ref = m.group(2)
        start = m.start(2)
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        name = ref.strip("${}")
        found.append(Placeholder(line, column, ref, name, start))
        if chars is None:
            chars = list(text)
        chars[start] = "#"
    return ("".join(chars) if chars is not None else text), found


def last_line(node: YNode | None) -> int:
    """The last line that holds content of ``node`` (a block collection's own end mark may be the next line)."""
    if node is None:
        return 0
    if isinstance(node, YScalar):
        return node.span.end_line if node.span.end_column > 1 or node.span.end_line == node.span.line \
            else node.span.end_line - 1
    if isinstance(node, YSeq):
        return max([last_line(i) for i in node.items] or [node.span.line])
    if isinstance(node, YMap):
        return max([max(last_line(k), last_line(v)) for k, v in node.entries.values()] or [node.span.line])
    return node.span.line


def owned(parent: YMap, key: str, placeholders: list[Placeholder], text_lines: list[str]) -> list[Placeholder]:
    """The placeholders that stand in ``parent[key]``: on a line after the key's, before the value's last line,
    or right after it (only blank, comment and placeholder lines between) unless indented as a sibling of the key."""
    key_node = parent.key_node(key)
    value = parent.get(key)
    if key_node is None or not placeholders:
        return []
    first, last = key_node.span.line, max(key_node.span.line, last_line(value))
    out = []
    for p in placeholders:
        if p.line <= first:
            continue
        if p.line <= last:
            out.append(p)
            continue
        between = text_lines[last:p.line - 1]  # the lines after the value's last line, before the placeholder
        if all(not s.strip() or s.lstrip().startswith("#") for s in between) \
                and not (p.column > 1 and p.column <= key_node.span.column):
            out.append(p)
    return out
