"""Turn the words of a command line into vLLM arguments, normalized as vLLM's parser does.

``--flag=value`` and ``--flag value``, ``--flag_name`` for ``--flag-name``, ``--no-flag`` for
boolean flags, dotted sub-keys (``--limit-mm-per-prompt.image 3``), the positional model of
``vllm serve MODEL``, short aliases (``-tp 2``) and repeated flags (the last one wins, see
:meth:`Deployment.arg`). Which flags take a value comes from the release's option table when the
release is known; without one, a flag takes the next word unless that word looks like a flag.
"""
from __future__ import annotations

import os
import re

from vllm_lint.launch.deployment import Arg, Word
from vllm_lint.sources.span import Span

#: Modules whose ``python -m`` starts vLLM's OpenAI-compatible server.
SERVER_MODULES = ("vllm.entrypoints.openai.api_server",)
#: vLLM's older demo server (``/generate``, no OpenAI API): its own arguments are the engine's, as ``vllm serve``'s.
LEGACY_MODULES = ("vllm.entrypoints.api_server",)

_NUMBER = re.compile(r"-\d")


def find_launch(words: list[Word]) -> tuple[str, list[Word]] | None:
    """Locate a vLLM server launch in a command; returns (launcher, words after it)."""
    for i, w in enumerate(words):
        base = os.path.basename(w.value)
        if base == "vllm" and i + 1 < len(words) and words[i + 1].value == "serve":
            return "vllm serve", words[i + 2 :]
        if w.value == "-m" and i + 1 < len(words) and words[i + 1].value in SERVER_MODULES:
            return "api_server", words[i + 2 :]
        if w.value == "-m" and i + 1 < len(words) and words[i + 1].value in LEGACY_MODULES:
            return "legacy api_server", words[i + 2 :]
    return None


def _looks_like_flag(value: str) -> bool:
    return value.startswith("-") and len(value) > 1 and not _NUMBER.match(value)


def _sub(span: Span, raw: str, offset: int, length: int, exact: bool) -> Span:
    return span.shifted(raw, offset, length) if exact and raw else span


def parse(words: list[Word], launcher: str, release=None) -> list[Arg]:
    """Parse words into arguments. ``release`` is a :class:`vllm_lint.vllm.release.Release` or None."""
    args: list[Arg] = []
    positional_done = launcher != "vllm serve"
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        v = w.value
        if v == "--":  # argparse: every word after it is positional (`-- --enforce-eager` is rejected)
            for rest in words[i + 1:]:
                if rest.forwarded:
                    continue
                if not positional_done:
                    args.append(Arg("model", "", rest.value, rest.span, rest.span, origin="positional",
                                    variables=rest.variables, words=(rest,)))
                    positional_done = True
                else:
                    args.append(Arg("", "", rest.value, rest.span, rest.span, origin="positional",
                                    variables=rest.variables, words=(rest,)))
            break
        if w.forwarded:  # "$@", "${ARGS[@]}": arguments given at run time, none of them known here
            i += 1
            continue
        if not _looks_like_flag(v):
            if not positional_done:
                args.append(Arg("model", "", v, w.span, w.span, origin="positional", variables=w.variables, words=(w,)))
                positional_done = True
            else:
                args.append(Arg("", "", v, w.span, w.span, origin="positional", variables=w.variables, words=(w,)))
            i += 1
            continue
        flag, eq, inline_value = v.partition("=")
        option = release.option(flag) if release is not None else None
        name, subkey, negated = _normalize(flag, option)
        raw = w.raw if w.exact and w.raw == v else ""
        flag_span = _sub(w.span, raw, 0, len(flag), bool(raw))
        if eq:
            value_span = _sub(w.span, raw, len(flag) + 1, len(inline_value), bool(raw))
            args.append(Arg(name, flag, inline_value, flag_span, value_span, subkey, negated,
                            variables=w.variables, words=(w,), inline=True))
            i += 1
            continue
        if release is not None and option is not None:
            takes = release.takes_value(flag)
            multi = option.nargs in ("+", "*")
        elif subkey is not None:
            takes, multi = True, False
        else:
            takes = i + 1 < n and not _looks_like_flag(words[i + 1].value)
            multi = False
        if takes and i + 1 < n and not _looks_like_flag(words[i + 1].value):
            taken = [words[i + 1]]
            j = i + 2
            while multi and j < n and not _looks_like_flag(words[j].value):
                taken.append(words[j])
                j += 1
            first, last = taken[0], taken[-1]
            value_span = Span(first.span.path, first.span.line, first.span.column, last.span.end_line,
                              last.span.end_column, first.span.start, last.span.end)
            value = " ".join(t.value for t in taken) if multi else first.value
            variables = w.variables + tuple(u for t in taken for u in t.variables)
            args.append(Arg(name, flag, value, flag_span, value_span, subkey, negated,
                            variables=variables, words=(w, *taken)))
            i = j
            continue
        args.append(Arg(name, flag, None, flag_span, None, subkey, negated, variables=w.variables, words=(w,)))
        i += 1
    return args


def _normalize(flag: str, option) -> tuple[str, str | None, bool]:
    """(normalized name, dotted sub-key, negated) of a flag as written."""
    body = flag.lstrip("-")
    subkey = None
    if "." in body and flag.startswith("--"):
        body, subkey = body.split(".", 1)
    if option is not None:
        canonical = option.canonical.lstrip("-")
        negated = flag.startswith("--no-") and not canonical.startswith("no-")
        return canonical, subkey, negated
    name = body.replace("_", "-")
    return name, subkey, False
