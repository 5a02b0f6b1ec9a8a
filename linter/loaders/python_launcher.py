"""Python programs that start vLLM in-process: ``LLM(model=…, tensor_parallel_size=…)``,
``EngineArgs(...)``, ``AsyncEngineArgs(...)`` → one launch per call, read with :mod:`ast` (never executed).

A call is read when the file imports vLLM and the name called is vLLM's (``from vllm import LLM``, ``import
vllm`` then ``vllm.LLM``, ``from vllm.engine.arg_utils import AsyncEngineArgs as A``). Each keyword is the
engine argument of that name, which is the CLI option with dashes (``vllm/engine/arg_utils.py``:
``EngineArgs.add_cli_args`` derives every ``--flag`` from a field name): ``tensor_parallel_size=2`` →
``--tensor-parallel-size 2``; ``LLM``'s first positional argument is ``model``. Literal values are read (strings,
numbers, ``True`` → the flag, ``False`` → its ``--no-`` form where the release has one, a dict or list → JSON);
any other expression (a variable, ``os.environ[...]``, a call) is known only at run time: a value no rule
validates (a ``shell`` :class:`VarUse` with value None). ``**kwargs`` is forwarded arguments. A call with no
argument at all (``EngineArgs.from_cli_args`` is not a call to the class) is not a launch.

The vLLM release comes from a ``vllm==X`` pin in a ``requirements*.txt`` or ``pyproject.toml`` of the file's
folder or the two above it. Files of vLLM's own source tree (a ``vllm`` package with ``entrypoints/``) are
not read.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, VarUse, Word
from vllm_lint.loaders.command import attach_args, version_from_pip
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span

FORMAT = "python"
LAUNCHER = "python"
TARGETS = ("LLM", "EngineArgs", "AsyncEngineArgs")
_IMPORTS = re.compile(r"^\s*(?:from\s+vllm(?:\.[\w.]+)?\s+import\b|import\s+vllm\b)", re.MULTILINE)
_CALLS = re.compile(r"\b(?:LLM|EngineArgs|AsyncEngineArgs)\s*\(")


def detect(path: Path, head: str) -> bool:
    if not path.name.endswith(".py") or not (_IMPORTS.search(head) and _CALLS.search(head)):
        return False
    return not _in_vllm_source(path)


def _in_vllm_source(path: Path) -> bool:
    for parent in path.parents:
        if parent.name == "vllm" and (parent / "__init__.py").is_file() and (parent / "entrypoints").is_dir():
            return True
    return False


def load(path: Path, ctx) -> list[Deployment]:
    sf = ctx.source(path, "script")
    try:
        sf.text = read_text(path)
        tree = ast.parse(sf.text, filename=sf.path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return []
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        sf.add("unreadable", f"cannot parse this Python file: {getattr(exc, 'msg', exc)}",
               Span.point(sf.path, line, getattr(exc, "offset", None) or 1))
        return []
    names = _vllm_names(tree)
    if not names:
        return []
    version = _pinned_version(path)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target = _target(node.func, names)
        if target is None or not (node.args or node.keywords):
            continue
        out.append(_launch(node, target, sf, path, ctx, version))
    out.sort(key=lambda d: (d.span.line, d.span.column))
    return out


def _vllm_names(tree: ast.AST) -> dict[str, str]:
    """Local name -> what it is: ``"LLM"`` (a target imported from vLLM), ``"module"`` (``import vllm``)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and (node.module == "vllm" or node.module.startswith("vllm.")):
            for alias in node.names:
                if alias.name in TARGETS:
                    names[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "vllm" or alias.name.startswith("vllm."):
                    names[(alias.asname or alias.name).split(".")[0]] = "module"
    return names


def _target(func: ast.AST, names: dict[str, str]) -> str | None:
    if isinstance(func, ast.Name) and names.get(func.id) in TARGETS:
        return names[func.id]
    if isinstance(func, ast.Attribute) and func.attr in TARGETS:
        root = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and names.get(root.id) == "module":
            return func.attr
    return None


class _Positions:
    """ast's (line, UTF-8 byte column) → character offsets and spans of the file."""

    def __init__(self, sf):
        self.sf = sf

    def offset(self, line: int, col: int) -> int:
        text = self.sf.line_text(line)
        chars = len(text.encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.sf.line_starts[line - 1] + chars

    def span(self, node: ast.AST) -> Span:
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
        return self.sf.span(start, end)

    def keyword_span(self, kw: ast.keyword) -> Span:
        start = self.offset(kw.lineno, kw.col_offset)
        return self.sf.span(start, start + len(kw.arg or ""))


def _literal(node: ast.AST):
    try:
        return True, ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _value_words(node: ast.AST, pos: _Positions, sf, name: str) -> tuple[list[Word] | None, bool | None]:
    """(value words, boolean) of a keyword's value: a boolean returns ([], the bool)."""
    span = pos.span(node)
    ok, value = _literal(node)
    if not ok:
        segment = ast.get_source_segment(sf.text, node) or name
        return [Word(segment, span, "", (VarUse(segment, span, None, kind="shell"),), False, "")], None
    if isinstance(value, bool):
        return [], value
    if value is None:
        return None, None
    if isinstance(value, (dict, list, tuple)):
        return [Word(json.dumps(value, separators=(",", ":")), span, "", (), False, "")], None
    if isinstance(value, str):
        written = sf.text[span.start:span.end]
        if written[:1] in ("'", '"') and not written.startswith(written[0] * 3) and "\\" not in written \
                and written[1:-1] == value and written[-1] == written[0]:
            inner = sf.span(span.start + 1, span.end - 1)
            return [Word(value, inner, value, (), True, "json" if written[0] == '"' else "")], None
        return [Word(value, span, "", (), False, "")], None
    written = sf.text[span.start:span.end]
    return [Word(str(value), span, written, (), written == str(value), "yaml-plain" if written == str(value) else "")], None


def _launch(call: ast.Call, target: str, sf, path: Path, ctx, version) -> Deployment:
    pos = _Positions(sf)
    anchor = pos.span(call.func)
    d = Deployment(sf.path, "script", f"{target}() line {anchor.line}", anchor, base_dir=str(path.parent),
                   source_format=FORMAT)
    if version[0]:
        d.version, d.version_source = version
    release = ctx.release(d.version) if ctx is not None else None
    words: list[Word] = []
    positional = ["model"] if target == "LLM" else []
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            words.append(_forwarded(arg.value, pos, sf, "*"))
            continue
        if i < len(positional):
            values, _ = _value_words(arg, pos, sf, positional[i])
            if values:
                words += [Word("--" + positional[i], pos.span(arg), "", (), False, ""), *values]
    for kw in call.keywords:
        if kw.arg is None:  # **kwargs
            words.append(_forwarded(kw.value, pos, sf, "**"))
            continue
        flag = "--" + kw.arg.replace("_", "-")
        at = pos.keyword_span(kw)
        values, boolean = _value_words(kw.value, pos, sf, kw.arg)
        if values is None:
            continue  # None: the default
        if boolean is not None:
            if boolean:
                words.append(Word(flag, at, "", (), False, ""))
            elif release is None or release.option("--no-" + flag[2:]) is not None:
                words.append(Word("--no-" + flag[2:], at, "", (), False, ""))
            continue
        words += [Word(flag, at, "", (), False, ""), *values]
    attach_args(d, words, LAUNCHER, ctx)
    return d


def _forwarded(node: ast.AST, pos: _Positions, sf, stars: str) -> Word:
    span = pos.span(node)
    text = stars + (ast.get_source_segment(sf.text, node) or "kwargs")
    return Word("$@", span, "", (VarUse(text, span, None, kind="shell"),), False, "", forwarded=True)


def _pinned_version(path: Path) -> tuple[str | None, str | None]:
    folder = path.parent
    for _ in range(3):
        for candidate in sorted(folder.glob("requirements*.txt")) + [folder / "pyproject.toml"]:
            if not candidate.is_file():
                continue
            try:
                found = version_from_pip(candidate.read_text(encoding="utf-8", errors="replace"))
            except OSError:
                continue
            if found:
                return found, f"vllm=={found} in {candidate.name}"
        if folder.parent == folder:
            break
        folder = folder.parent
    return None, None
