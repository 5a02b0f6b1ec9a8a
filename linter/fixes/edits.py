"""Edits that fixes are made of: replace an argument's value, rename a flag, remove an argument,
rename an environment variable — each written so that the file reads back as intended.

An edit replaces exactly the characters a span covers; nothing else in the file moves. A word that
cannot be rewritten exactly (escapes in a double-quoted scalar, text inside ``sh -c``) gives no edit,
and the finding then carries no fix.
"""
from __future__ import annotations

import json
import re

from vllm_lint.finding import Edit
from vllm_lint.launch.deployment import Arg, EnvVar, Word
from vllm_lint.sources.source_file import SourceFile
from vllm_lint.sources.span import Span

_SHELL_SAFE = re.compile(r"^[A-Za-z0-9_@%+=:,./-]+$")
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./=-][A-Za-z0-9_./=:@+-]*$")


def shell_quote(value: str) -> str:
    if value and _SHELL_SAFE.match(value):
        return value
    return "'" + value.replace("'", "'\"'\"'") + "'"


def encode(value: str, quoting: str) -> str | None:
    """How ``value`` must be written at a span of the given quoting to read back as ``value``."""
    if quoting == "yaml-plain":
        return value if _PLAIN_SAFE.match(value) else json.dumps(value)
    if quoting == "yaml-single":
        return value.replace("'", "''")
    if quoting in ("yaml-double", "json"):
        return json.dumps(value)[1:-1]
    if quoting == "shell":
        return shell_quote(value)
    return None


def replace_word(word: Word, value: str) -> Edit | None:
    text = encode(value, word.quoting)
    if text is None or word.span.start is None:
        return None
    return Edit(word.span, text)


def replace_value(arg: Arg, value: str) -> tuple[Edit, ...] | None:
    """Edits that make ``arg`` read ``value``."""
    if arg.value_span is None or not arg.words:
        return None
    word = arg.words[-1] if not arg.inline else arg.words[0]
    if arg.inline:
        # --flag=value in one word: rewrite the whole word
        text = encode(f"{arg.flag}={value}", word.quoting)
        return None if text is None or word.span.start is None else (Edit(word.span, text),)
    if len(arg.words) != 2:
        return None  # several values (nargs +): not rewritten
    edit = replace_word(word, value)
    return None if edit is None else (edit,)


def rename_flag(arg: Arg, flag: str) -> tuple[Edit, ...] | None:
    if not arg.words or not arg.flag:
        return None
    word = arg.words[0]
    written = f"{flag}={arg.value}" if arg.inline else flag
    text = encode(written, word.quoting)
    return None if text is None or word.span.start is None else (Edit(word.span, text),)


def renamed_option(arg: Arg, flag: str) -> str:
    """``flag`` written as ``arg`` wrote its option: ``--no-`` kept for a negated flag, a dotted sub-key kept."""
    name = "--no-" + flag[2:] if arg.negated and flag.startswith("--") else flag
    return f"{name}.{arg.subkey}" if arg.subkey else name


def rename_option(arg: Arg, flag: str, release) -> tuple[Edit, ...] | None:
    """Edits that rename ``arg``'s option to ``flag`` (:func:`renamed_option`), offered only when ``release``'s
    parser accepts the renamed argument with the value it has: a rename never writes an argument the release
    rejects (``--enable-reasoning`` alone is not ``--reasoning-parser`` alone)."""
    if not arg.words or not arg.flag:
        return None
    name = renamed_option(arg, flag)
    if arg.inline:
        words = [f"{name}={arg.value}"]
    else:
        words = [name, *(w.value for w in arg.words[1:])]
    if not proves(release, words):
        return None
    word = arg.words[0]
    text = encode(f"{name}={arg.value}" if arg.inline else name, word.quoting)
    return None if text is None or word.span.start is None else (Edit(word.span, text),)


def proves(release, words) -> bool:
    """Whether ``release``'s parser (emulated from its own tables) accepts ``vllm serve MODEL WORDS``: what a fix
    writes is parsed again before the fix is offered."""
    return release.parse(list(words)).ok


def replace_arg(arg: Arg, flag: str, value: str) -> tuple[Edit, ...] | None:
    """Edits that make ``arg`` read ``flag value`` (one word ``flag=value`` when it was written inline)."""
    if not arg.words or arg.value_span is None:
        return None
    if arg.inline:
        word = arg.words[0]
        text = encode(f"{flag}={value}", word.quoting)
        return None if text is None or word.span.start is None else (Edit(word.span, text),)
    if len(arg.words) != 2:
        return None
    renamed = rename_flag(arg, flag)
    edit = replace_word(arg.words[1], value)
    return None if renamed is None or edit is None else (*renamed, edit)


_BOOL_WORDS = {"true", "false", "1", "0", "yes", "no", "on", "off"}


def stray_value(arg: Arg, deployment) -> Arg | None | bool:
    """The word a user wrote after a flag that takes no value (``--flag true``), which the parser reads as a second
    positional: that positional Arg when it is a boolean word, True when the flag has no such word after it, False
    when another stray positional follows (removing the flag alone leaves a line the parser still rejects)."""
    args = list(deployment.args)
    try:
        i = next(k for k, a in enumerate(args) if a is arg)
    except StopIteration:
        return True
    if arg.value is not None or i + 1 >= len(args):
        return True
    nxt = args[i + 1]
    if nxt.origin != "positional":
        return True
    positionals = [a for a in args if a.origin == "positional"]
    by_flag = any(a.name == "model" and a.origin != "positional" for a in args)
    if positionals and positionals[0] is nxt and not by_flag:
        return True  # it is the model
    if nxt.value is not None and nxt.value.strip().lower() in _BOOL_WORDS and nxt.words:
        return nxt
    return False


def remove_arg(arg: Arg, source: SourceFile, deployment=None) -> tuple[Edit, ...] | None:
    """Remove an argument: whole list items (with their line), or the words of a command string. With the
    ``deployment``, a flag that takes no value loses the boolean word written after it too (``--flag true``: the
    parser reads ``true`` as a stray positional); another stray word after it gives no edit."""
    if deployment is not None:
        stray = stray_value(arg, deployment)
        if stray is False:
            return None
        if isinstance(stray, Arg):
            if not _adjacent(arg.words[-1] if arg.words else None, stray.words[0], source):
                return None
            import dataclasses

            arg = dataclasses.replace(arg, words=(*arg.words, *stray.words))
    if not arg.words or any(w.span.start is None or not w.exact for w in arg.words):
        return None
    text = source.text
    if all(w.item_span is not None and w.quoting.startswith("yaml") for w in arg.words):
        edits = []
        for w in arg.words:
            item = w.item_span
            line_start = text.rfind("\n", 0, item.start) + 1
            before = text[line_start:item.start]
            line_end = text.find("\n", item.end)
            line_end = len(text) if line_end < 0 else line_end
            after = text[item.end:line_end]
            if re.fullmatch(r"\s*-\s*", before) and re.fullmatch(r"\s*(#.*)?", after):
                edits.append(Edit(_span(source, line_start, min(line_end + 1, len(text))), ""))
            else:  # a flow sequence: drop the item and its comma
                m = re.match(r"\s*,\s*", text[item.end:])
                end = item.end + (m.end() if m else 0)
                edits.append(Edit(_span(source, item.start, end), ""))
        return tuple(edits)
    if all(w.quoting == "shell" for w in arg.words):
        start, end = arg.words[0].span.start, arg.words[-1].span.end
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        if not text[line_start:start].strip() and text[end:line_end].strip() in ("", "\\"):
            return (Edit(_span(source, line_start, min(line_end + 1, len(text))), ""),)  # the argument is the whole line
        m = re.match(r"[ \t]*", text[end:])
        return (Edit(_span(source, start, end + m.end()), ""),)
    return None


def _adjacent(a: Word | None, b: Word, source: SourceFile) -> bool:
    """Whether word ``b`` directly follows word ``a`` in the same file (blanks, a line continuation or a YAML
    list's separator between them)."""
    if a is None or a.span.start is None or b.span.start is None or a.span.path != b.span.path:
        return False
    if (a.quoting == "shell") != (b.quoting == "shell") or a.span.end > b.span.start:
        return False
    between = source.text[a.span.end:b.span.start]
    if a.quoting == "shell":
        return re.fullmatch(r"(?:[ \t]|\\\n)*", between) is not None
    return re.fullmatch(r"[\s,\-\"']*", between) is not None


def rename_env(var: EnvVar, name: str, source: SourceFile) -> tuple[Edit, ...] | None:
    span = var.name_span
    if span is None or span.start is None or source.text[span.start:span.end] != var.name:
        return None
    return (Edit(span, name),)


def _span(source: SourceFile, start: int, end: int) -> Span:
    return source.span(start, end)
