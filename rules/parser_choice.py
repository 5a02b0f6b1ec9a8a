"""A reasoning or tool-call parser that the release does not have, or that does not fit the model.

## What it does
- ``--reasoning-parser`` / ``--tool-call-parser`` naming a parser the pinned release does not
  register (``knowledge/vllm/parsers.yaml``, read from each release's parser registrations):
  error, with the names the release has. Needs only the release.
- With the model's metadata, a parser other than the one its family uses
  (``knowledge/vllm/model_families.yaml``): for Qwen3 models, ``qwen3`` for reasoning and
  ``hermes`` for tools (warning; ``--fix --unsafe-fixes`` switches them).

A name that a ``--tool-parser-plugin`` / ``--reasoning-parser-plugin`` file may register is not an
error: vLLM imports the plugin before it checks the name. When the plugin file is in the linted tree
(mounted into the container, or beside a script), the names it registers are read from it; a name it
does not register is a warning. ``--middleware`` modules are imported only after the check, so they do
not count. vLLM checks ``--tool-call-parser`` only with ``--enable-auto-tool-choice`` (without it the
parser is not used: a warning), and ``--reasoning-parser`` in 0.7.x and 0.8.x only with
``--enable-reasoning``. A release without tables of its own is not judged where the covered releases
around it differ; when the image pins no release, a parser that only newer releases dropped is a
warning that says the newest release was assumed.

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
import re
from pathlib import Path

from packaging.version import Version

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.rule import release_basis
from vllm_lint.vllm.release import first_release_known, known_at
from vllm_lint.vllm.support import covered_releases, family_of, in_range, parsers, parsers_in

CODE = "VLL208"
NAME = "parser-choice"
CATEGORY = "vllm-cli"
SEVERITY = "warning"
NEEDS = ("release",)

_FLAGS = (("reasoning-parser", "reasoning", "reasoning_parser"), ("tool-call-parser", "tool-call", "tool_call_parser"))
#: The option whose file vLLM imports, before it checks the names, to register more parsers of a kind.
_PLUGIN = {"reasoning": "reasoning-parser-plugin", "tool-call": "tool-parser-plugin"}
_REGISTER = re.compile(r"register_(?:lazy_)?module\(\s*(?:name\s*=\s*)?(\[[^\]]*\]|\(?[^()]*?['\"][^'\"]+['\"])")
_STRING = re.compile(r"['\"]([^'\"]+)['\"]")


def check(deployment, ctx):
    basis = release_basis(ctx)
    version = ctx.release.version
    covered = covered_releases()
    meta = ctx.model
    family = family_of(meta) if meta is not None else None
    for flag, kind, key in _FLAGS:
        arg = deployment.arg(flag)
        if arg is None or not arg.value or any(v.value is None for v in arg.variables):
            continue
        name = arg.value.strip()
        known = parsers_in(kind, version)
        entry = parsers(kind).get(name)
        has = known_at(basis.name, covered, lambda v, entry=entry: entry is not None and in_range(v, entry))
        if has is not True and not name.endswith(".py"):
            if has is None:
                continue  # a release without tables, between covered releases that differ
            finding = _unknown(deployment, arg, flag, kind, name, entry, known, basis, covered, ctx)
            if finding is not None:
                yield finding
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


def _unknown(deployment, arg, flag, kind, name, entry, known, basis, covered, ctx):
    """The finding for a parser name the release does not register, or None when vLLM would not fail on it."""
    severity = "error"
    notes = []
    option = ctx.release.option("--" + flag)
    if option is None or not option.choices:  # with choices, argparse refuses the name before any plugin loads
        plugin = deployment.arg(_PLUGIN[kind])
        if plugin is not None and plugin.value and len(plugin.value) > 3:  # vLLM imports it first (len > 3: vLLM's test)
            registered = _registered(deployment, plugin.value)
            if registered is None or name in registered:
                return None  # the plugin registers it, or may: its file is not in the tree
            notes.append(f"{plugin.value} registers {', '.join(sorted(registered)) or 'no parser'}")
            severity = "warning"
        if kind == "tool-call" and not deployment.flag_set("enable-auto-tool-choice"):
            notes.append("vLLM checks and uses it only with --enable-auto-tool-choice")
            severity = "warning"
        if kind == "reasoning" and Version(basis.name) < Version("0.9.0") and \
                ctx.release.option("--enable-reasoning") is not None and not deployment.flag_set("enable-reasoning"):
            notes.append("this release checks and uses it only with --enable-reasoning")
            severity = "warning"
    if entry is None:
        when = ""
    elif entry.get("until") and Version(basis.name) >= Version(str(entry["until"])):
        when = f" (removed in {entry['until']})"
        severity = basis.severity(severity)  # older releases have it: wrong only in the assumed release
    elif first_release_known(str(entry["since"]), covered):
        when = f" (it exists from vLLM {entry['since']})"
    else:
        when = f" (in every release known from {entry['since']})"
    close = difflib.get_close_matches(name, known, n=3)
    message = f"{basis.text} has no {kind} parser {name!r}{when}"
    if notes:
        message += "; " + "; ".join(notes)
    return ctx.finding(arg.value_or_flag_span, message, severity=severity,
                       hint=f"did you mean {' or '.join(close)}?" if close else f"one of: {', '.join(known)}")


def _registered(deployment, path: str) -> set[str] | None:
    """The parser names a plugin file registers, when the file can be read here; None when it cannot."""
    if "$" in path or "{{" in path:
        return None
    candidate = Path(path)
    if candidate.is_absolute():
        host = deployment.host_path(path) if deployment.kind in ("compose", "kubernetes", "docker-run") else candidate
        if not isinstance(host, Path):
            return None
        candidate = host
    elif deployment.base_dir:
        candidate = Path(deployment.base_dir) / candidate
    from vllm_lint.sources.source_file import UnreadableFile, read_text

    try:  # a regular file of at most 10 MiB (a plugin path may name /dev/zero or a FIFO)
        text = read_text(candidate)
    except (UnreadableFile, OSError, ValueError):
        return None
    names = set()
    for m in _REGISTER.finditer(text):
        names.update(_STRING.findall(m.group(1)))
    if not names and "register" in text:
        return None  # registers in a way not read here (a variable, a loop)
    return names
