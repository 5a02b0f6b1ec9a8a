"""Shell and kubelet variables in a launch's words: what can be known before anything runs.

A shell script (or an ``sh -c`` string) expands ``$NAME``, ``${NAME}``, ``${NAME:-default}``,
``${NAME-default}``, ``${NAME:=default}`` when it runs, from variables it assigned before
(``NAME=value``, ``export NAME=value``, ``: "${NAME:=value}"``) or that its environment gives it (a
container's ``env:``). The kubelet expands ``$(NAME)`` in ``command``/``args`` from the container's
``env`` (``$$(NAME)`` is a literal). What is known is substituted; what is not (a variable from the
image, the cluster or the caller; ``"$@"``; ``"${ARGS[@]}"``) stays *unknown*: it is never read as
an empty string, and its words are never validated as literals. This is not compose interpolation:
compose files keep :mod:`vllm_lint.sources.interpolation`.

Followed statically, as far as that goes: arrays (``ARGS=(--tp 2)``, ``ARGS+=(...)``; ``"${ARGS[@]}"``
expands into the words of the array, with their own positions), appends (``cmd+=" --tp 2"``), values that
differ between the branches of an ``if`` / ``case`` / loop (unknown after it: the script could take either),
and command strings: the text of a variable with its unknown references kept (:meth:`ScriptVariables.command`),
so that ``eval "$cmd"`` or ``bash -c "$cmd"`` can be read, one launch per place a command is assigned
(``if``/``else`` branches that each build one), with the arguments only some branches append left unknown.
A function's output (the last ``echo "$x"`` of its body) is what ``X=$(fn)`` assigns; any other command
substitution is unknown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from vllm_lint.launch.deployment import VarUse, Word

#: ``$NAME``, ``${NAME}``, ``${NAME<op>word}`` (op one of :- - := = :+ +), ``$@``, ``$*``, ``$1``, ``${A[@]}``.
_SHELL_REF = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-=+?])(?P<word>[^}]*))?\}"
                        r"|\{(?P<array>[A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*)"
                        r"|(?P<special>[@*#?$!0-9]))")
_KUBE_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
_WHOLE_VAR = re.compile(r"^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})$")
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_ASSIGN_OP = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=(.*)$", re.S)
_ARRAY_OPEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=\((.*)$", re.S)
_ARRAY_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}$")
_CAPTURE = re.compile(r"^\$\(\s*([A-Za-z_][A-Za-z0-9_:-]*)(?:\s[^)]*)?\)$")
_FUNCTION = re.compile(r"^([A-Za-z_][A-Za-z0-9_:.-]*)\(\)$")
#: Stands for the arguments that only some branches of an ``if``/``case`` append to a command string.
BRANCH_ARGS = "__branch_args"
_BRANCH_WORD = "$" + BRANCH_ARGS
_MAX_ALTERNATIVES = 8
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


@dataclass(frozen=True)
class Alternative:
    """One text a variable may hold: unknown references kept as written (``vllm serve $MODEL``), and the
    place of the assignment that started it (``site``: an offset; -1 for a value from the environment)."""

    text: str
    site: int


class ScriptVariables:
    """Variables a script has assigned so far, over the environment it starts with."""

    def __init__(self, environment: dict[str, str | None] | None = None):
        self.values: dict[str, str | None] = dict(environment or {})
        self.commands: dict[str, list[Alternative]] = {}  # name -> the texts it may hold (unknown references kept)
        self.arrays: dict[str, list[Word] | None] = {}  # name -> its words (None: not known)
        self.functions: dict[str, list[Alternative]] = {}  # name -> what its body echoes last
        self._frames: list[dict] = []  # open if / case / loop blocks
        self._function_stack: list[tuple[str, int]] = []  # (name, brace depth at its start)
        self._depth = 0
        self._array: tuple[str, bool, list[Word]] | None = None  # a multi-line array being read

    def lookup(self, name: str) -> str | None:
        return self.values.get(name)

    def command(self, name: str) -> list[Alternative] | None:
        """The texts ``$name`` may hold when a script runs it as a command (``eval "$cmd"``, ``bash -c "$cmd"``,
        ``$cmd``), its unknown references kept; None when nothing is known."""
        alternatives = self.commands.get(name)
        if alternatives:
            return alternatives
        value = self.values.get(name)
        return [Alternative(value, -1)] if value is not None else None

    def snapshot(self) -> "ScriptVariables":
        copy = ScriptVariables.__new__(ScriptVariables)
        copy.values, copy.commands, copy.arrays = dict(self.values), dict(self.commands), dict(self.arrays)
        copy.functions = self.functions
        copy._frames, copy._function_stack, copy._depth, copy._array = [], [], 0, None
        return copy

    # -- one command ---------------------------------------------------------------------------------
    def step(self, command: list[Word]) -> None:
        """Record what one command does to the variables: blocks (``if``/``case``/loops, whose branches may
        each assign), functions (their output), arrays and assignments."""
        if self._array is not None:
            self._array_words(command)
            return
        if not command:
            return
        head = command[0].value
        frame = self._frames[-1] if self._frames else None
        if head in ("if", "while", "until", "for", "select", "case"):
            self._frames.append({"kind": "case" if head == "case" else "if" if head == "if" else "loop",
                                 "entry": self._state(), "branches": [], "else": False, "arm": False})
            return
        if head in ("then", "do"):
            return self.step(command[1:])
        if head in ("elif", "else") and frame is not None and frame["kind"] == "if":
            frame["branches"].append(self._state())
            self._restore(frame["entry"])
            frame["else"] = frame["else"] or head == "else"
            return self.step(command[1:]) if head == "else" else None
        if head in ("fi", "done", "esac") and frame is not None:
            self._frames.pop()
            if frame["kind"] != "case" or frame["arm"]:
                frame["branches"].append(self._state())
            self._merge(frame["branches"] + ([] if frame["else"] else [frame["entry"]]))
            return self.step(command[1:])
        if frame is not None and frame["kind"] == "case" and head.endswith(")") and "=(" not in head \
                and not head.startswith("$("):  # a case arm: `pattern)`, `a|b)` (split at | as a pipe), `*)`
            if frame["arm"]:
                frame["branches"].append(self._state())
                self._restore(frame["entry"])
            frame["arm"] = True
            frame["else"] = frame["else"] or head in ("*)", "(*)")
            return self.step(command[1:])
        name = None
        if _FUNCTION.match(head):
            name = head[:-2]
        elif len(command) > 1 and command[1].value == "()":
            name = head
        elif head == "function" and len(command) > 1:
            name = command[1].value.removesuffix("()")
        if name is not None:
            self._function_stack.append((name, self._depth))
            self._depth += sum(w.value == "{" for w in command)
            return
        if head == "{":
            self._depth += 1
            return self.step(command[1:])
        if head == "}":
            self._depth -= 1
            if self._function_stack and self._function_stack[-1][1] >= self._depth:
                self._function_stack.pop()
            return self.step(command[1:])
        if self._function_stack and head in ("echo", "printf"):
            self._function_output(command)
        self.assign(command)

    def _state(self):
        return dict(self.values), dict(self.commands), dict(self.arrays)

    def _restore(self, state) -> None:
        self.values, self.commands, self.arrays = dict(state[0]), dict(state[1]), dict(state[2])

    def _merge(self, states) -> None:
        """After a block: what every branch agrees on is known; a value that differs is not. A command string
        keeps one text per place it was assigned; the arguments only some branches append to it become
        unknown (:data:`BRANCH_ARGS`)."""
        if not states:
            return
        values, commands, arrays = {}, {}, {}
        for name in set().union(*(s[0] for s in states)):
            seen = {s[0].get(name, _UNSET) for s in states}
            values[name] = seen.pop() if len(seen) == 1 else None
            if values[name] is _UNSET:
                del values[name]
        for name in set().union(*(s[2] for s in states)):
            seen = [s[2].get(name) for s in states]
            first = seen[0]
            same = all(x is not None and first is not None and [w.value for w in x] == [w.value for w in first]
                       for x in seen)
            arrays[name] = first if same else None
        for name in set().union(*(s[1] for s in states)):
            by_site: dict[int, list[str]] = {}
            for s in states:
                for alt in s[1].get(name, ()):
                    by_site.setdefault(alt.site, []).append(alt.text)
            merged = [Alternative(_common(texts), site) for site, texts in by_site.items()]
            if len(merged) <= _MAX_ALTERNATIVES:
                commands[name] = merged
        self.values, self.commands, self.arrays = values, commands, arrays

    def _function_output(self, command: list[Word]) -> None:
        words = [w for w in command[1:] if not (command[0].value == "echo" and w.value in ("-e", "-n", "-E", "-ne", "-en"))]
        if not words:
            return
        if command[0].value == "printf":
            words = words[-1:]
        text = " ".join(w.value for w in words)
        m = _WHOLE_VAR.match(text)
        if m:
            alternatives = self.command(text.strip("${}"))
        else:
            expanded, _ = expand_shell(text, self.lookup)
            alternatives = [Alternative(expanded, _site(words[0]))]
        if alternatives:
            self.functions[self._function_stack[-1][0]] = alternatives

    def assign(self, command: list[Word]) -> None:
        """Record the assignments of one command: ``A=1 B=2`` alone, ``export A=1``, ``declare -x A=1``,
        ``readonly A=1``, ``local A=1``, ``A+=1``, ``A=(x y)``, ``A=$(fn)``, ``: "${A:=1}"``. ``A=1 vllm serve``
        (a prefix) does not outlive its command."""
        if not command:
            return
        words = list(command)
        if words[0].value in ("export", "declare", "typeset", "readonly", "local"):
            words = [w for w in words[1:] if not w.value.startswith("-")]
        elif words[0].value == ":":
            for w in words[1:]:
                expand_shell(w.value, self.lookup, self.values.__setitem__)
            return
        if not words:
            return
        array = _ARRAY_OPEN.match(words[0].value)
        if array:
            self._array = (array.group(1), bool(array.group(2)), [])
            first = words[0]
            offset = len(first.value) - len(array.group(3))
            rest = [Word(array.group(3), _sub_span(first, offset, len(array.group(3))), array.group(3) if first.exact and
                         first.raw == first.value else "", first.variables, first.exact and first.raw == first.value)]
            self._array_words((rest if array.group(3) else []) + words[1:])
            return
        if not all(_ASSIGN_OP.match(w.value) for w in words):
            m = _ASSIGN_OP.match(words[0].value)
            if m and ("$(" in m.group(3) or "`" in m.group(3)) and len(command) > 1 and command[0] is words[0]:
                self._unknown(m.group(1))  # X=$(a b | c): a command substitution split at its spaces
            return
        for w in words:
            m = _ASSIGN_OP.match(w.value)
            name, plus, text = m.group(1), bool(m.group(2)), m.group(3)
            raw_value = w.raw[len(name) + plus + 1:] if w.raw.startswith(name) else ""
            capture = _CAPTURE.match(text.strip())
            if capture and capture.group(1) in self.functions:
                alternatives = [Alternative(a.text, _site(w)) for a in self.functions[capture.group(1)]]
                self.commands[name] = alternatives
                only = alternatives[0].text if len(alternatives) == 1 else None
                self.values[name] = only if only is not None and "$" not in only else None
                continue
            if "$(" in text or "`" in text:
                self._unknown(name)
                continue
            if raw_value.startswith("'"):  # single quotes: nothing expanded now (an eval expands it later)
                expanded, unknown = text, (["$"] if "$" in text else [])
            else:
                expanded, unknown = expand_shell(text, self.lookup)
            if plus:
                was_set, before = name in self.values, self.values.get(name)
                start = before if before is not None else "${%s}" % name if was_set else ""
                alternatives = self.commands.get(name) or [Alternative(start, _site(w))]
                self.commands[name] = [Alternative(a.text + expanded, a.site) for a in alternatives]
                if not was_set:
                    self.values[name] = None if unknown else expanded
                else:
                    self.values[name] = before + expanded if before is not None and not unknown else None
            else:
                self.values[name] = None if unknown else expanded
                self.commands[name] = [Alternative(expanded, _site(w))]

    def _unknown(self, name: str) -> None:
        self.values[name] = None
        self.commands.pop(name, None)

    def _array_words(self, words: list[Word]) -> None:
        name, append, collected = self._array
        for w in words:
            if w.value.endswith(")") and not w.value.endswith("$()") and w.value.count("(") < w.value.count(")"):
                last = w.value[:-1]
                if last:
                    collected.append(Word(last, _sub_span(w, 0, len(last)), last if w.exact and w.raw == w.value else "",
                                          w.variables, w.exact and w.raw == w.value))
                self._array = None
                resolved = resolve_words(collected, self.lookup, arrays=self.arrays)
                before = self.arrays.get(name, []) if append else []
                self.arrays[name] = None if before is None else before + resolved
                return
            collected.append(w)


_UNSET = object()


def _site(word: Word) -> int:
    return word.span.start if word.span.start is not None else id(word)


def _sub_span(word: Word, offset: int, length: int):
    return word.span.shifted(word.raw, offset, length) if word.exact and word.raw == word.value else word.span


def _common(texts: list[str]) -> str:
    """One text for the texts a command string holds after a block: itself when they agree, else what they
    share from the start (to a word boundary) followed by :data:`BRANCH_ARGS`."""
    if all(t == texts[0] for t in texts):
        return texts[0]
    prefix = texts[0]
    for t in texts[1:]:
        i = 0
        while i < min(len(prefix), len(t)) and prefix[i] == t[i]:
            i += 1
        prefix = prefix[:i]
    cut = prefix.rfind(" ")
    if not all(len(t) == len(prefix) or t[len(prefix)] == " " for t in texts):
        prefix = prefix[:cut] if cut >= 0 else ""
    return prefix.rstrip() + " " + _BRANCH_WORD


def resolve_words(words: list[Word], lookup, kind: str = "shell", arrays: dict | None = None) -> list[Word]:
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
            array = _ARRAY_REF.match(w.value)
            if array and arrays is not None and arrays.get(array.group(1)) is not None:
                out.extend(arrays[array.group(1)])  # "${ARGS[@]}" of an array the script assigned: its words
                continue
            if w.value == _BRANCH_WORD:
                out.append(replace(w, variables=w.variables + (VarUse(BRANCH_ARGS, w.span, UNKNOWN, kind=kind),),
                                   forwarded=True))
                continue
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


@dataclass
class Step:
    """One command of a script: its words as written, with the variables known when it runs substituted,
    and those variables (``scope``: for the strings it runs, ``bash -c "$cmd"``)."""

    raw: list[Word]
    words: list[Word]
    scope: ScriptVariables


def walk_script(commands: list[list[Word]], environment: dict[str, str | None] | None = None,
                scope: ScriptVariables | None = None) -> list[Step]:
    """The commands of a script, each with the variables known when it runs: the environment (or the
    ``scope`` of the script that runs this one as a string), then what earlier commands assigned, then the
    command's own ``A=1`` prefixes."""
    variables = scope.snapshot() if scope is not None else ScriptVariables(environment)
    out = []
    for command in commands:
        scope = variables.snapshot()
        for w in command:
            m = _ASSIGN.match(w.value)
            if not m:
                break
            value, unknown = expand_shell(m.group(2), scope.lookup)
            scope.values[m.group(1)] = None if unknown else value
        words = command if variables._array is not None else resolve_words(command, scope.lookup, arrays=scope.arrays)
        out.append(Step(command, words, scope))
        variables.step(command)
    return out


def resolve_script(commands: list[list[Word]], environment: dict[str, str | None] | None = None) -> list[list[Word]]:
    """The commands of a script, each with the variables known when it runs substituted: the
    environment, then what earlier commands assigned, then the command's own ``A=1`` prefixes."""
    return [step.words for step in walk_script(commands, environment)]
