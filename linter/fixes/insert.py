"""Edits that add arguments to a launch, written the way its command already is.

- a YAML list (``command: ["--model", "x"]`` flow or block, Kubernetes ``args:``): new items after the last
  argument's item, same indentation and quoting;
- a command string (compose ``command: vllm serve x --flag``, a folded ``>`` block, a script line): `` --flag
  value`` after the last argument's word, shell-quoted.

Nothing is written where the launch's words cannot be located exactly (an interpolated word, ``sh -c`` text), or
where the arguments come only from a ``--config`` file. An insertion is a zero-width edit at one offset.
"""
from __future__ import annotations

import json
import re

from vllm_lint.finding import Edit
from vllm_lint.fixes.edits import shell_quote
from vllm_lint.launch.deployment import Deployment
from vllm_lint.sources.source_file import SourceFile


def _last_word(deployment: Deployment):
    words = [w for a in deployment.args if a.origin != "config" for w in a.words]
    if not words:
        return None
    return max(words, key=lambda w: (w.span.start if w.span.start is not None else -1))


def add_args(deployment: Deployment, words: list[str], source: SourceFile | None) -> tuple[Edit, ...] | None:
    """Edits that append ``words`` (``["--enforce-eager"]``, ``["--moe-backend", "marlin"]``) to the launch."""
    last = _last_word(deployment)
    if last is None or source is None or last.span.start is None or not last.exact or last.span.path != source.path:
        return None
    text = source.text
    if last.item_span is not None and last.quoting.startswith("yaml") and last.item_span.start is not None:
        item = last.item_span
        line_start = text.rfind("\n", 0, item.start) + 1
        before = text[line_start:item.start]
        quote = text[item.start] if text[item.start] in "'\"" else ""

        def written(word: str) -> str:
            if quote == '"':
                return json.dumps(word)
            if quote == "'":
                return "'" + word.replace("'", "''") + "'"
            return word if re.fullmatch(r"[A-Za-z0-9_./=:-][A-Za-z0-9_./=:+@-]*", word) and not word.startswith("-") \
                or re.fullmatch(r"--?[A-Za-z0-9][A-Za-z0-9_.=-]*", word) else json.dumps(word)

        if re.fullmatch(r"\s*-\s*", before):  # block sequence: one line per new item, same indentation
            line_end = text.find("\n", item.end)
            line_end = len(text) if line_end < 0 else line_end
            if text[item.end:line_end].strip() and not text[item.end:line_end].strip().startswith("#"):
                return None
            insert = "".join(f"\n{before}{written(w)}" for w in words)
            return (Edit(source.span(line_end, line_end), insert),)
        # flow sequence: after the item, before the comma or the closing bracket
        return (Edit(source.span(item.end, item.end), "".join(f", {written(w)}" for w in words)),)
    if last.quoting == "shell":
        return (Edit(source.span(last.span.end, last.span.end), "".join(" " + shell_quote(w) for w in words)),)
    return None
