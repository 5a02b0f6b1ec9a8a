"""YAML documents as small trees of located nodes.

Parsing uses pyyaml's C composer (fast, and it keeps the position of every node); nothing is
constructed into Python objects by a YAML constructor, so no tag can run code. Aliases are expanded
here with a budget, so a "billion laughs" document fails with a clear message instead of eating
memory. Merge keys (``<<``) are applied as compose applies them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import yaml

from vllm_lint.sources.span import Span

try:  # the C composer is ~10x faster; fall back to pure Python where libyaml is missing
    _Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how pyyaml was built
    _Base = yaml.SafeLoader


class _Loader(_Base):
    """The safe loader, with the implicit tag of each plain scalar remembered: even libyaml's composer
    asks pyyaml's Python resolver (a regular expression per scalar), and configuration files repeat
    the same keys and values over and over."""

    _tags: dict = {}

    def resolve(self, kind, value, implicit):
        key = (kind, value, implicit)
        try:
            return self._tags[key]
        except KeyError:
            tag = super().resolve(kind, value, implicit)
            if len(self._tags) < 100_000:
                self._tags[key] = tag
            return tag
        except TypeError:  # an unhashable value (not produced by the composer, but never fail on it)
            return super().resolve(kind, value, implicit)

#: Maximum number of nodes one document may expand to (aliases included).
NODE_BUDGET = 250_000


class YamlError(Exception):
    """A YAML document that cannot be read; carries the position when there is one."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(eq=False, slots=True)
class YNode:
    span: Span
    tag: str


@dataclass(eq=False, slots=True)
class YScalar(YNode):
    value: str  # the value as read, after interpolation when the loader applies one
    style: str | None = None  # None (plain), "'", '"', "|", ">"
    raw_value: str = ""  # the value before interpolation

    def __post_init__(self) -> None:
        if not self.raw_value:
            self.raw_value = self.value

    @property
    def is_null(self) -> bool:
        return self.tag.endswith(":null")


@dataclass(eq=False, slots=True)
class YSeq(YNode):
    items: list[YNode] = field(default_factory=list)

    def __iter__(self) -> Iterator[YNode]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


@dataclass(eq=False, slots=True)
class YMap(YNode):
    # key -> (key node, value node); insertion order is the document's order
    entries: dict[str, tuple[YScalar, YNode]] = field(default_factory=dict)

    def get(self, key: str) -> YNode | None:
        entry = self.entries.get(key)
        return entry[1] if entry else None

    def key_node(self, key: str) -> YScalar | None:
        entry = self.entries.get(key)
        return entry[0] if entry else None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def items(self):
        return ((k, v[1]) for k, v in self.entries.items())

    def keys(self):
        return self.entries.keys()


_new_span = tuple.__new__  # Span is a NamedTuple: building it from a tuple skips its keyword handling


def _span(path: str, node: yaml.Node) -> Span:
    s, e = node.start_mark, node.end_mark
    return _new_span(Span, (path, s.line + 1, s.column + 1, e.line + 1, e.column + 1, s.index, e.index))


class _Converter:
    def __init__(self, path: str):
        self.path = path
        self.budget = NODE_BUDGET
        self.active: set[int] = set()

    def convert(self, node: yaml.Node) -> YNode:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(
                f"document expands to more than {NODE_BUDGET} nodes through aliases "
                "(an alias bomb?); not read",
                node.start_mark.line + 1,
                node.start_mark.column + 1,
            )
        if node.__class__ is yaml.ScalarNode:
            s, e = node.start_mark, node.end_mark
            span = _new_span(Span, (self.path, s.line + 1, s.column + 1, e.line + 1, e.column + 1, s.index, e.index))
            return YScalar(span, node.tag, node.value, node.style, node.value)
        if id(node) in self.active:
            raise YamlError("recursive alias: a node contains itself", node.start_mark.line + 1, node.start_mark.column + 1)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return YSeq(_span(self.path, node), node.tag, [self.convert(n) for n in node.value])
            return self._mapping(node)
        finally:
            self.active.discard(id(node))

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        result = YMap(_span(self.path, node), node.tag)
        merged: dict[str, tuple[YScalar, YNode]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    converted = self.convert(source)
                    if not isinstance(converted, YMap):
                        raise YamlError("merge key '<<' needs a mapping or a list of mappings",
                                        value_node.start_mark.line + 1, value_node.start_mark.column + 1)
                    for k, v in converted.entries.items():
                        merged.setdefault(k, v)  # earlier sources win, as in YAML 1.1
                continue
            key = self.convert(key_node)
            if not isinstance(key, YScalar):
                raise YamlError("complex mapping keys are not supported", key_node.start_mark.line + 1,
                                key_node.start_mark.column + 1)
            result.entries[key.value] = (key, self.convert(value_node))
        for k, v in merged.items():
            result.entries.setdefault(k, v)
        return result


def load_documents(text: str, path: str) -> list[YNode | None]:
    """Parse every document of ``text``; raises :class:`YamlError` on the first problem."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise YamlError(f"invalid YAML: {problem}") from None
        raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    converter = _Converter(path)
    return [None if n is None else converter.convert(n) for n in nodes]


def plain(node: YNode | None):
    """A located node as plain Python data (strings stay strings)."""
    if node is None:
        return None
    if isinstance(node, YScalar):
        return None if node.is_null else node.value
    if isinstance(node, YSeq):
        return [plain(n) for n in node.items]
    return {k: plain(v) for k, v in node.items()}


def typed(node: YNode | None):
    """A located node as Python data with YAML 1.1 core types resolved (for settings files)."""
    if node is None:
        return None
    if isinstance(node, YScalar):
        if node.is_null:
            return None
        if node.tag.endswith(":bool"):
            return node.value.lower() in ("true", "yes", "on", "y")
        if node.tag.endswith(":int"):
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        if node.tag.endswith(":float"):
            try:
                return float(node.value.replace("_", ""))
            except ValueError:
                return node.value
        return node.value
    if isinstance(node, YSeq):
        return [typed(n) for n in node.items]
    return {k: typed(v) for k, v in node.items()}
