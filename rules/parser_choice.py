"""A reasoning or tool-call parser that the release does not have, or that does not fit the model.

## What it does
- ``--reasoning-parser`` / ``--tool-call-parser`` naming a parser the pinned release does not
  register (``knowledge/vllm/parsers.yaml``, read from each release's parser registrations):
  error, with the names the release has. Needs only the release.
- With the model's metadata, a parser other than the one its family uses
  (``knowledge/vllm/model_families.yaml``): for Qwen3 models, ``qwen3`` for reasoning and
  ``hermes`` for tools (warning; ``--fix --unsafe-fixes`` switches them).

## Why is this bad?
An unknown name stops vLLM at start-up ("invalid reasoning parser" / "invalid tool parser").
A parser of another family starts, then mis-splits the output: seed report 004 ran Qwen3 with
``--reasoning-parser deepseek_r1`` and ``--tool-call-parser granite``; it moved to ``qwen3`` ("le
parser natif ... résout les conflits avec enable_thinking=False") and ``hermes`` ("explicitement
recommandé et testé par l'équipe Qwen pour le function calling").

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-8B", "--reasoning-parser", "deepseek_r1",
              "--enable-auto-tool-choice", "--tool-call-parser", "granite"]
```

## Fix
Use the family's parsers (``qwen3``, ``hermes`` for Qwen3). The fix changes what clients receive,
so it is an unsafe fix.
"""
import difflib

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.vllm.support import family_of, parsers, parsers_in

CODE = "VLL208"
NAME = "parser-choice"
CATEGORY = "vllm-cli"
SEVERITY = "warning"
NEEDS = ("release",)

_FLAGS = (("reasoning-parser", "reasoning", "reasoning_parser"), ("tool-call-parser", "tool-call", "tool_call_parser"))


def check(deployment, ctx):
    version = ctx.release.version
    meta = ctx.model
    family = family_of(meta) if meta is not None else None
    for flag, kind, key in _FLAGS:
        arg = deployment.arg(flag)
        if arg is None or not arg.value or any(v.value is None for v in arg.variables):
            continue
        name = arg.value.strip()
        known = parsers_in(kind, version)
        if name not in known and not name.endswith(".py"):
            entry = parsers(kind).get(name)
            when = (f" (it exists from vLLM {entry['since']})" if entry and not entry.get("until") else
                    f" (removed in {entry['until']})" if entry else "")
            close = difflib.get_close_matches(name, known, n=3)
            yield ctx.finding(arg.value_or_flag_span, f"vLLM {version} has no {kind} parser {name!r}{when}",
                              severity="error", hint=f"did you mean {' or '.join(close)}?" if close else
                              f"one of: {', '.join(known)}")
            continue
        if family is None:
            continue
        wanted = family[1].get(key)
        aliases = family[1].get(f"{key}_aliases") or {}
        if wanted and name != wanted and name not in aliases and wanted in known:
            edits = replace_value(arg, wanted)
            yield ctx.finding(arg.value_or_flag_span, f"--{flag} {name} on {meta.model_id}, a {family[0]} model: its "
                              f"{kind} parser is {wanted}", hint=f"--{flag} {wanted}",
                              fix=Fix(f"use --{flag} {wanted}", edits, safe=False) if edits else None)
