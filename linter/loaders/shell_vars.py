"""Shell and kubelet variables in a launch's words: what can be known before anything runs.

A shell script (or an ``sh -c`` string) expands ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
``${NAME-default}``, ``${NAME:=default}`` when it runs, from variables it assigned before
(``NAME=value``, ``export NAME=value``, ``: "${NAME:=value}"``) or that its environment gives it (a
container's ``env:``). The kubelet expands ``$(NAME)`` in ``command``/``args`` from the container's
``env`` (``$$(NAME)`` is a literal). What is known is substituted; what is not (a variable from the
image, the cluster or the caller; ``"$@"``; ``"${ARGS[@]}"``) stays *unknown*: it is never read as
an empty string, and its words are never validated as literals. This is not compose interpolation:
compose files keep :mod:`vllm_lint.sources.interpolation`.
"""
from __future__ import annotations

import re
from dataclasses import replace

from vllm_lint.launch.deployment import VarUse, Word

#: ``$NAME``, ``${NAME}``, ``${NAME<op>word}`` (op one of :- - := = :+ +), ``$@``, ``$*``, ``$1``, ``${A[@]}``.
_SHELL_REF = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-=+?])(?P<word>[^}]*))?\}"
                        r"|\{(?P<array>[A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
                        r"|(?P<special>[@*#?$!0-9]))")
_KUBE_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_WHOLE_VAR = re.compile(r"^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_FORWARDED = re.compile(r"^\$(?:[@*]|\{[@*]\}|\{[A-Za-z_][A-Za-z0-9_]*\[[@*]\]\})$")

#: Sentinel for a value that is not known before run time.
UNKNOWN = None


def expand_shell(text: str, lookup, assign=None) -> tuple[str, list[str]]:
    """``text`` with the shell references whose values ``lookup(name)`` knows substituted, and the
    names of those it does not know (a reference left unknown makes the whole value unknown).
    ``assign(name, value)`` is told what ``${NAME:=default}`` assigns."""
    unknown: list[str] = []

    def sub(m: re.Match) -> str:
        if m.group("special") or m.group("array"):
            unknown.append(m.group(0))
            return m.group(0)
        name = m.group("braced") or m.group("plain")
        value = lookup(name)
        op, word = m.group("op"), m.group("word")
        if op:
            base, colon = op.lstrip(":"), op.startswith(":")
            if base in ("-", "="):  # a default: used when the variable is unset (or, with ':', empty)
                if value is None or (colon and value == ""):
                    inner, more = expand_shell(word or "", lookup, assign)
                    unknown.extend(more)
                    if base == "=" and assign is not None:
                        assign(name, None if more else inner)
                    return inner
                return value
            if value is None:  # ${NAME:+word}, ${NAME:?message} of an unknown variable
                unknown.append(name)
                return m.group(0)
            if base == "+":
                return "" if colon and value == "" else word or ""
            return value
        if value is None:
            unknown.append(name)
            return m.group(0)
        return value

    return _SHELL_REF.sub(sub, text), unknown


def is_forwarded(word: Word) -> bool:
    """``"$@"``, ``$*``, ``"${ARGS[@]}"``: words the shell expands into any number of arguments, none of
    which can be known here (an unquoted ``$EXTRA_ARGS`` of unknown value is treated alike by
    :func:`resolve_words`)."""
    return bool(_FORWARDED.match(word.value))


class ScriptVariables:
    """Variables a script has assigned so far, over the environment it starts with."""

    def __init__(self, environment: dict[str, str | None] | None = None):
        self.values: dict[str, str | None] = dict(environment or {})

    def lookup(self, name: str) -> str | None:
        return self.values.get(name)

    def assign(self, command: list[Word]) -> None:
        """Record the assignments of one command: ``A=1 B=2`` alone, ``export A=1``, ``declare -x A=1``,
        ``readonly A=1``, ``: "${A:=1}"``. ``A=1 vllm serve`` (a prefix) does not outlive its command."""
        words = [w.value for w in command]
        if not words:
            return
        if words[0] in ("export", "declare", "typeset", "readonly", "local"):
            words = [w for w in words[1:] if not w.startswith("-")]
        elif words[0] == ":":
            for w in words[1:]:
                expand_shell(w, self.lookup, self.values.__setitem__)
            return
        elif not all(_ASSIGN.match(w) for w in words):
            return
        for w in words:
            m = _ASSIGN.match(w)
            if not m:
                continue
            value, unknown = expand_shell(m.group(2), self.lookup)
            self.values[m.group(1)] = None if unknown else value


def resolve_words(words: list[Word], lookup, kind: str = "shell") -> list[Word]:
    """Each word with the references ``lookup`` knows substituted; unknown ones recorded as
    :class:`VarUse` with value None (so no rule validates the word as a literal). A substituted word
    loses its raw text: a fix would have to edit where the variable is set, not the word."""
    out = []
    for w in words:
        if "$" not in w.value:
            out.append(w)
            continue
        if kind == "kubernetes":
            unknown: list[str] = []

            def sub(m):
                value = lookup(m.group(1))
                if value is None:
                    unknown.append(m.group(1))
                    return m.group(0)
                return value

            value = _KUBE_REF.sub(sub, w.value.replace("$$(", "\0")).replace("\0", "$(")
        else:
            if is_forwarded(w):
                out.append(replace(w, variables=w.variables + (VarUse(w.value, w.span, UNKNOWN, kind=kind),),
                                   forwarded=True))
                continue
            value, unknown = expand_shell(w.value, lookup)
            if unknown and _WHOLE_VAR.match(w.value) and not w.raw.startswith(('"', "'")):
                # an unquoted $EXTRA_ARGS of unknown value: the shell splits it into any number of words
                out.append(replace(w, variables=w.variables + (VarUse(unknown[0], w.span, UNKNOWN, kind=kind),),
                                   forwarded=True))
                continue
        uses = tuple(VarUse(name.strip("${}()"), w.span, UNKNOWN, kind=kind) for name in unknown)
        if value == w.value and not uses:
            out.append(w)
        elif uses:
            out.append(replace(w, variables=w.variables + uses))
        elif kind == "shell" and not w.raw.startswith(('"', "'")):
            # unquoted: the shell splits the expansion into words, and an empty one into none
            out.extend(Word(part, w.span, "", w.variables, False) for part in value.split())
        else:
            out.append(Word(value, w.span, "", w.variables, False))
    return out


def resolve_script(commands: list[list[Word]], environment: dict[str, str | None] | None = None) -> list[list[Word]]:
    """The commands of a script, each with the variables known when it runs substituted: the
    environment, then what earlier commands assigned, then the command's own ``A=1`` prefixes."""
    variables = ScriptVariables(environment)
    out = []
    for command in commands:
        prefix = ScriptVariables(variables.values)
        for w in command:
            m = _ASSIGN.match(w.value)
            if not m:
                break
            value, unknown = expand_shell(m.group(2), prefix.lookup)
            prefix.values[m.group(1)] = None if unknown else value
        out.append(resolve_words(command, prefix.lookup))
        variables.assign(command)
    return out
