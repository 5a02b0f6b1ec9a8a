"""YAML documents as small trees of located nodes.

Parsing uses pyyaml's C composer (fast, and it keeps the position of every node); nothing is
constructed into Python objects by a YAML constructor, so no tag can run code. Aliases are expanded
here with a budget, so a "billion laughs" document fails with a clear message instead of eating
memory. Merge keys (``<<``) are applied as compose applies them.
"""
from __future__ import annotations

import re
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

#: Maximum number of nodes one document may reach again through aliases (a "billion laughs" needs millions).
ALIAS_BUDGET = 250_000
NODE_BUDGET = ALIAS_BUDGET  # the former name
#: Maximum nesting of mappings and sequences (libyaml stops at 1000; real deployment files stay under 30).
MAX_DEPTH = 200


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


class _Converter:
    """Composed pyyaml nodes -> located YNodes. Depth is bounded (:data:`MAX_DEPTH`: the conversion recurses),
    and so are the nodes reached again through aliases (:data:`ALIAS_BUDGET`): a large file without aliases is
    read, a billion laughs is not. ``problems`` collects (kind, message, span) of what compose and kubectl
    refuse but a YAML parser accepts (duplicate keys); ``line0``/``index0`` place a document parsed on its own
    (per-document mode) in the whole file."""

    def __init__(self, path: str, problems: list | None = None, line0: int = 0, index0: int = 0):
        self.path = path
        self.budget = ALIAS_BUDGET
        self.active: set[int] = set()
        self.seen: set[int] = set()
        self.problems = problems
        self.line0 = line0
        self.index0 = index0

    def _span(self, node: yaml.Node) -> Span:
        s, e = node.start_mark, node.end_mark
        lo, io = self.line0, self.index0
        return _new_span(Span, (self.path, s.line + 1 + lo, s.column + 1, e.line + 1 + lo, e.column + 1,
                                s.index + io, e.index + io))

    def _error(self, message: str, node: yaml.Node) -> YamlError:
        return YamlError(message, node.start_mark.line + 1 + self.line0, node.start_mark.column + 1)

    def convert(self, node: yaml.Node, depth: int = 0, again: bool = False) -> YNode:
        """``again``: inside a collection reached a second time (through an alias): every node counts."""
        if again:
            self.budget -= 1
            if self.budget < 0:
                raise self._error(f"document expands more than {ALIAS_BUDGET} nodes through aliases "
                                  "(an alias bomb?); not read", node)
        if node.__class__ is yaml.ScalarNode:
            return YScalar(self._span(node), node.tag, node.value, node.style, node.value)
        key = id(node)
        if not again:
            if key in self.seen:  # a collection reached again: through an alias
                again = True
                self.budget -= 1
            else:
                self.seen.add(key)
        if depth >= MAX_DEPTH:
            raise self._error(f"nested deeper than {MAX_DEPTH} levels; not read", node)
        if key in self.active:
            raise self._error("recursive alias: a node contains itself", node)
        self.active.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                return YSeq(self._span(node), node.tag, [self.convert(n, depth + 1, again) for n in node.value])
            return self._mapping(node, depth, again)
        finally:
            self.active.discard(key)

    def _mapping(self, node: yaml.MappingNode, depth: int, again: bool = False) -> YMap:
        result = YMap(self._span(node), node.tag)
        merged: dict[str, tuple[YScalar, YNode]] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    converted = self.convert(source, depth + 1, again)
                    if not isinstance(converted, YMap):
                        raise self._error("merge key '<<' needs a mapping or a list of mappings", value_node)
                    for k, v in converted.entries.items():
                        merged.setdefault(k, v)  # earlier sources win, as in YAML 1.1
                continue
            key = self.convert(key_node, depth + 1, again)
            if not isinstance(key, YScalar):
                raise self._error("complex mapping keys are not supported", key_node)
            first = result.entries.get(key.value)
            if first is not None and self.problems is not None:
                self.problems.append(("duplicate-key", (f"duplicate key {key.value!r} (first at line "
                                      f"{first[0].span.line}): compose and kubectl refuse the file; a YAML parser "
                                      "keeps only this one"), key.span))
            result.entries[key.value] = (key, self.convert(value_node, depth + 1, again))
        for k, v in merged.items():
            result.entries.setdefault(k, v)
        return result


#: A line that starts a document (``---``) or ends one (``...``): never content, even inside a block scalar.
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)


def _compose_all(text: str) -> list:
    try:
        return list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is None:
            raise YamlError(f"invalid YAML: {problem}") from None
        raise YamlError(f"invalid YAML: {problem}", mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlError(f"nested deeper than {MAX_DEPTH} levels; not read") from None


def load_documents(text: str, path: str, *, problems: list | None = None,
                   errors: list | None = None) -> list[YNode | None]:
    """Parse every document of ``text``.

    ``problems``: a list that receives (kind, message, span) for what a YAML parser accepts and compose and
    kubectl refuse (duplicate keys). ``errors`` None: the first problem raises :class:`YamlError`. ``errors``
    a list (per-document mode, as ``kubectl apply`` reads a stream): a document that cannot be read is None
    in the result and its :class:`YamlError` (positioned in the whole file) goes to ``errors``; the others are
    read."""
    if errors is None:
        converter = _Converter(path, problems)
        return [None if n is None else converter.convert(n) for n in _compose_all(text)]
    try:
        nodes = _compose_all(text)
    except YamlError:
        return _per_document(text, path, problems, errors)
    out = []
    for n in nodes:
        try:
            out.append(None if n is None else _Converter(path, problems).convert(n))
        except YamlError as exc:
            errors.append(exc)
            out.append(None)
    return out


def _per_document(text: str, path: str, problems: list | None, errors: list) -> list[YNode | None]:
    """Each document parsed on its own, split at its ``---`` / ``...`` lines (which YAML forbids as content)."""
    starts = [0] + [m.start() for m in _DOCUMENT_MARKER.finditer(text) if m.start() > 0]
    out: list[YNode | None] = []
    line = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        if i:
            line += text.count("\n", starts[i - 1], start)
        try:
            nodes = _compose_all(chunk)
        except YamlError as exc:  # the parser's position is in the chunk
            if exc.line is not None:
                exc.line += line
            errors.append(exc)
            out.append(None)
            continue
        converter = _Converter(path, problems, line, start)
        for n in nodes:
            try:
                out.append(None if n is None else converter.convert(n))
            except YamlError as exc:  # the converter's position is in the file already
                errors.append(exc)
                out.append(None)
    return out


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
