"""What every loader needs: the interpolation environment and command words with positions."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from vllm_lint.launch.deployment import VarUse, Word
from vllm_lint.loaders import dotenv
from vllm_lint.sources import shellwords
from vllm_lint.sources.interpolation import interpolate
from vllm_lint.sources.source_file import SourceFile, UnreadableFile, read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YMap, YNode, YScalar, YSeq


@dataclass
class Environment:
    """Variables for interpolation: the process environment over the env files, as compose orders them."""

    process: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    definitions: dict[str, dotenv.Definition] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def lookup(self, name: str) -> str | None:
        if name in self.process:
            return self.process[name]
        d = self.definitions.get(name)
        return d.value if d else None

    def defined_at(self, name: str) -> Span | None:
        if name in self.process:
            return None
        d = self.definitions.get(name)
        return d.span if d else None

    @classmethod
    def from_files(cls, paths: list[Path], display, process: Mapping[str, str] | None = None,
                   sources: dict | None = None) -> "Environment":
        """Read env files in order (later files override earlier ones); unreadable ones become problems
        of the returned SourceFiles in ``sources`` (path -> SourceFile)."""
        env = cls(dict(os.environ) if process is None else dict(process))
        for path in paths:
            sf = SourceFile(display(path), path, kind="dotenv")
            if sources is not None:
                sources[os.path.abspath(path)] = sf
            try:
                sf.text = read_text(path)
            except UnreadableFile as exc:
                sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
                continue
            env.definitions.update(dotenv.parse(sf, env.lookup))
            env.files.append(sf.path)
        return env


def interpolate_tree(node: YNode | None, source: SourceFile, env: Environment, uses: dict) -> None:
    """Interpolate every scalar value (not keys) in place, recording problems in ``source`` and the
    variables each scalar used in ``uses`` (id(scalar) -> tuple[VarUse])."""
    if node is None:
        return
    stack = [node]
    seen: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, YScalar):
            if "$" in n.raw_value:
                n.value, uses[id(n)] = interpolate_scalar(n, source, env)
        elif isinstance(n, YSeq):
            stack.extend(n.items)
        elif isinstance(n, YMap):
            stack.extend(v for _, v in n.items())


def _region(node: YScalar) -> tuple[int, int]:
    return node.span.start or 0, node.span.end or 0


def interpolate_scalar(node: YScalar, source: SourceFile, env: Environment,
                       raw: str | None = None, region: tuple[int, int] | None = None) -> tuple[str, tuple[VarUse, ...]]:
    raw = node.raw_value if raw is None else raw
    result = interpolate(raw, env.lookup)
    if not result.references:
        return result.value, ()
    start, end = region or _region(node)
    uses = []
    cursor = start
    for ref in result.references:
        at = source.text.find(ref.text, cursor, end) if ref.text else -1
        if at >= 0:
            span = source.span(at, at + len(ref.text))
            cursor = at + 1
        else:
            span = node.span
        if ref.name:
            uses.append(VarUse(ref.name, span, env.lookup(ref.name), env.defined_at(ref.name)))
        if ref.problem:
            source.add(ref.problem + ("-variable" if ref.problem != "invalid" else "-interpolation"),
                       ref.message or "", span, ref.name)
    return result.value, tuple(uses)


def scalar_words(node: YScalar, source: SourceFile, env: Environment | None, *, split: bool,
                 script: bool = False) -> list[list[Word]]:
    """The words of a scalar: one word (list-form commands) or shell-split (string commands).

    Splitting works on the text as written (before interpolation) so that each word keeps the exact
    position of its source; each word is then interpolated as compose would. ``env`` None: no
    interpolation (Kubernetes, where ``$VAR`` belongs to the container's shell).
    """
    if not split:
        value, uses = (node.value, ()) if env is None or "$" not in node.raw_value else interpolate_scalar(node, source, env)
        span = node.span
        raw = ""
        quoting = ""
        if node.style in ("'", '"') and span.line == span.end_line and span.start is not None:
            span = source.span(span.start + 1, span.end - 1)
            raw = source.text[span.start:span.end]
            quoting = "yaml-single" if node.style == "'" else "yaml-double"
        elif not node.style and span.start is not None:  # plain ("" from the C composer, None elsewhere)
            raw = source.text[span.start:span.end]
            quoting = "yaml-plain" if span.line == span.end_line else ""
        exact = raw == node.raw_value
        # A double-quoted scalar with escapes: its text is not its value (no sub-spans), but the whole
        # content can still be rewritten as a JSON-escaped string.
        return [[Word(value, span, raw if exact else "", uses, exact, quoting if span.start is not None else "", node.span)]]
    raw_value = node.raw_value
    try:
        commands = shellwords.split(raw_value, script=script)
    except shellwords.ShellSyntaxError as exc:
        source.add("invalid-command", f"cannot split this command: {exc}", node.span)
        return []
    start, end = _region(node)
    result = []
    cursor = start
    for command in commands:
        words: list[Word] = []
        for w in command:
            token = raw_value[w.start:w.end]
            at = source.text.find(token, cursor, end) if node.style not in ('"',) else -1
            if at >= 0:
                span = source.span(at, at + len(token))
                region = (at, at + len(token))
                cursor = at + len(token)
                exact = True
            else:
                span, region, exact = node.span, None, False
            if "$" in token and env is not None:
                interpolated, uses = interpolate_scalar(node, source, env, raw=token, region=region)
                try:
                    parts = shellwords.split(interpolated)[0]
                except shellwords.ShellSyntaxError:
                    parts = [shellwords.Word(interpolated, 0, len(interpolated))]
                if not parts:  # a variable that expanded to nothing
                    continue
                for p in parts:
                    words.append(Word(p.value, span, token if exact else "", uses, exact and len(parts) == 1 and p.value == token,
                                      "shell" if exact and len(parts) == 1 else ""))
            else:
                words.append(Word(w.value, span, token if exact else "", (), exact, "shell" if exact else ""))
        result.append(words)
    return result


def sequence_words(node: YNode | None, source: SourceFile, env: Environment | None) -> list[Word]:
    """Words of a compose/k8s command given as a list or as a string (``env`` None: not interpolated)."""
    if node is None:
        return []
    if isinstance(node, YSeq):
        words: list[Word] = []
        for item in node.items:
            if isinstance(item, YScalar):
                words.extend(scalar_words(item, source, env, split=False)[0])
            else:
                source.add("invalid-command", "a command list item must be a string", item.span)
        return words
    if isinstance(node, YScalar):
        if node.is_null:
            return []
        commands = scalar_words(node, source, env, split=True)
        return commands[0] if commands else []
    source.add("invalid-command", "a command must be a string or a list of strings", node.span)
    return []


_SHELLS = {"sh", "bash", "zsh", "dash", "ash"}


def shell_c_commands(words: list[Word], source: SourceFile) -> list[list[Word]]:
    """The commands inside ``sh -c "..."`` / ``bash -c '...'``, with positions where they can be found."""
    for i, w in enumerate(words[:-1]):
        if os.path.basename(w.value) in _SHELLS:
            j = i + 1  # the shell's options: -c, -lc, -ec, -exc, -e -x -c, -o pipefail -c
            has_c = False
            while j < len(words) and len(words[j].value) > 1 and words[j].value[0] in "-+" and words[j].value != "--":
                if words[j].value in ("-o", "+o", "-O", "+O"):
                    j += 2
                    continue
                has_c = has_c or not words[j].value.startswith("--") and "c" in words[j].value[1:]
                j += 1
            if not has_c:
                continue
            if j < len(words) and words[j].value == "--":
                j += 1  # `bash -lc -- "script"` (KubeRay / AIBrix Ray heads): `--` ends the options
            if j >= len(words):
                return []
            script = words[j]
            try:
                commands = shellwords.split(script.value, script=True)
            except shellwords.ShellSyntaxError:
                return []
            start, end = script.span.start or 0, script.span.end or 0
            cursor = start
            result = []
            for command in commands:
                located = []
                for sw in command:
                    token = script.value[sw.start:sw.end]
                    at = source.text.find(token, cursor, end) if end > start else -1
                    if at >= 0:
                        uses = tuple(u for u in script.variables
                                     if u.span.start is not None and at <= u.span.start < at + len(token))
                        located.append(Word(sw.value, source.span(at, at + len(token)), token, uses, True,
                                            ""))  # inside sh -c: two levels of quoting, not rewritten
                        cursor = at + len(token)
                    else:  # interpolated text: the variables whose value this word holds
                        uses = tuple(u for u in script.variables if u.value and u.value in sw.value
                                     or not u.value and not sw.value)
                        located.append(Word(sw.value, script.span, "", uses, False))
                result.append(located)
            return result
    return []
