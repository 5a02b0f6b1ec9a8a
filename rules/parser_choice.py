"""A reasoning or tool-call parser that the release does not have, or that does not fit the model.

## What it does
- ``--reasoning-parser`` / ``--tool-call-parser`` naming a parser the pinned release does not
  register (``knowledge/vllm/parsers.yaml``, read from each release's parser registrations):
  error, with the names the release has. Needs only the release.
- With the model's metadata, a parser other than the ones vLLM's documentation names for the
  model's family or for its chat template's tool-call format (``families`` and ``tool_formats`` of
  ``knowledge/vllm/parsers.yaml``, each cited): a warning naming the first fitting parser the release
  registers; ``--fix --unsafe-fixes`` switches to it. Another fitting parser (an alternative the
  docs name, or a name that registers the same parser class) is quiet.

The family is told by the model id (a Hub id or a local folder's name), never by
``model_type`` alone: Qwen3-Coder is a ``qwen3_moe`` model like Qwen3-30B-A3B, and Llama 2 is a
``llama`` like Llama 3.1. ``model_type`` only narrows. The model's own chat template is read when
its metadata has it (a local folder, the HF cache, the Hub, the models lock): the tool-call format
it writes (Qwen3-Coder's ``<function=``, Hermes-style ``<tool_call>`` JSON, Llama's
``"parameters"`` JSON, Mistral's ``[TOOL_CALLS]``, gpt-oss harmony's ``<|channel|>``) comes first:
the tool-call parser must read that format, whatever the name says; a template that writes another
format than the family named by the model id makes the family (and so its reasoning parser) not
sure. A ``--chat-template`` replaces the model's template: the tool-call parser is then judged only
when that template's format is known (one of vLLM's example templates by file name, a file in the
linted tree, or the template text) and, for a named family, is one of the family's. A model whose
family is not sure (no template format, and a name no family claims) is not judged: no
recommendation is better than a wrong one.

| family | tool-call parser | reasoning parser |
| --- | --- | --- |
| Qwen3 (not Coder) | ``hermes`` | ``qwen3`` |
| Qwen3-Coder | ``qwen3_xml``, ``qwen3_coder`` (before 0.11.0) | |
| Qwen2.5, QwQ-32B | ``hermes`` | QwQ: ``deepseek_r1`` |
| Llama 3.1 / 3.2 | ``llama3_json`` | |
| Llama 4 | ``llama4_pythonic``, ``llama3_json``, ``pythonic`` | |
| Mistral-7B-Instruct-v0.3, any ``[TOOL_CALLS]`` template | ``mistral`` | |
| gpt-oss | ``openai`` | ``openai_gptoss`` |
| Hermes 2 Pro / 2 Theta / 3 | ``hermes`` | |
| DeepSeek-V3-0324, DeepSeek-R1-0528 | ``deepseek_v3`` | R1: ``deepseek_r1`` |
| DeepSeek R1 series (and distills) | | ``deepseek_r1`` |
| DeepSeek-V3.1 | ``deepseek_v31`` | ``deepseek_v3`` |
| Granite 3.0/3.1, 3.2, 4.0, 20B-FC | ``granite``; –; ``granite4``, ``hermes``; ``granite-20b-fc`` | 3.2: ``granite`` |
| InternLM2.5, Jamba 1.5, xLAM, Kimi-K2 | ``internlm``, ``jamba``, ``xlam``, ``kimi_k2`` | |
| Hunyuan-A13B, Command A Reasoning | ``hunyuan_a13b``, ``cohere_command3`` | the same |
| GLM-4.5 / 4.6 / 4.7 | ``glm45``; ``glm45``; ``glm47`` | 4.5: ``glm45`` |
| LongCat-Flash-Chat, Olmo 3, GigaChat 3 | ``longcat``, ``olmo3``, ``gigachat3`` | |
| Apertus, FunctionGemma | ``apertus``, ``functiongemma`` | |

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
A parser of another family starts, then mis-splits the output: the tool calls stay in the text, or
the answer is taken for reasoning. Seed report 004 ran Qwen3 with ``--reasoning-parser deepseek_r1``
and ``--tool-call-parser granite``; it moved to ``qwen3`` ("le parser natif ... résout les conflits
avec enable_thinking=False") and ``hermes`` ("explicitement recommandé et testé par l'équipe Qwen
pour le function calling"). Qwen3-Coder writes ``<tool_call><function=...>`` XML, which the hermes
parser (JSON inside ``<tool_call>``) does not read.

## Example
```yaml
    command: ["--model", "Qwen/Qwen3-8B", "--reasoning-parser", "deepseek_r1",
              "--enable-auto-tool-choice", "--tool-call-parser", "granite"]
```
```bash
vllm serve Qwen/Qwen3-Coder-480B-A35B-Instruct --enable-auto-tool-choice --tool-call-parser hermes
```

## Fix
Use the family's parsers (``qwen3`` and ``hermes`` for Qwen3, ``qwen3_xml`` for Qwen3-Coder,
``llama3_json`` for Llama 3.1, ``openai`` and ``openai_gptoss`` for gpt-oss, ...). The fix changes
what clients receive, so it is an unsafe fix.
"""
import difflib
import re
from pathlib import Path, PurePosixPath

from packaging.version import Version

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.rule import release_basis
from vllm_lint.vllm.release import first_release_known, known_at
from vllm_lint.vllm.support import (
    covered_releases,
    example_template_format,
    family_of,
    in_range,
    parsers,
    parsers_in,
    same_parsers,
    tool_format_of,
    tool_formats,
)

CODE = "VLL208"
NAME = "parser-choice"
CATEGORY = "vllm-cli"
SEVERITY = "warning"
NEEDS = ("release",)

_FLAGS = (("reasoning-parser", "reasoning"), ("tool-call-parser", "tool-call"))
#: The option whose file vLLM imports, before it checks the names, to register more parsers of a kind.
_PLUGIN = {"reasoning": "reasoning-parser-plugin", "tool-call": "tool-parser-plugin"}
_REGISTER = re.compile(r"register_(?:lazy_)?module\(\s*(?:name\s*=\s*)?(\[[^\]]*\]|\(?[^()]*?['\"][^'\"]+['\"])")
_STRING = re.compile(r"['\"]([^'\"]+)['\"]")


def check(deployment, ctx):
    basis = release_basis(ctx)
    version = ctx.release.version
    covered = covered_releases()
    meta = ctx.model
    fits = _fits(deployment, meta) if meta is not None else {}
    for flag, kind in _FLAGS:
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
        if kind not in fits:
            continue
        fitting, why = fits[kind]
        wanted = next((p for p in fitting if p in known), None)
        if wanted is None or name in same_parsers(kind, fitting):
            continue
        others = [p for p in fitting if p != wanted and p in known]
        edits = replace_value(arg, wanted)
        yield ctx.finding(arg.value_or_flag_span, f"--{flag} {name} on {meta.model_id}, {why}: its {kind} parser is "
                          f"{wanted}" + (f" (or {', '.join(others)})" if others else ""), hint=f"--{flag} {wanted}",
                          fix=Fix(f"use --{flag} {wanted}", edits, safe=False) if edits else None)


def _fits(deployment, meta) -> dict[str, tuple[list[str], str]]:
    """kind -> (the parsers that fit the model, first recommended; why), for the kinds that can be judged.

    The family comes from the model id (:func:`family_of`, which drops it when the model's own chat template writes
    another format). The tool-call parser must read the format of the template in force: the model's own, or a
    ``--chat-template`` whose format is known (one of vLLM's example templates by name, or a text with a format's
    markers). With a family, the family's parsers when that format is unknown (no --chat-template) or one of the
    family's; without one, the parsers of the template's format; else the tool-call parser is not judged."""
    family = family_of(meta)
    fits = {}
    if family is not None and family[1].get("reasoning_parsers"):
        fits["reasoning"] = ([p["name"] for p in family[1]["reasoning_parsers"]], f"a {family[1]['label']} model")
    given = deployment.arg("chat-template")
    if given is not None and given.value:
        fmt = _template_format(deployment, given)
        if fmt is None:
            return fits
        how = f"with the chat template {given.value} ({tool_formats()[fmt]['label']} tool calls)"
    else:
        fmt = meta.tool_format if meta.tool_format in tool_formats() else None
        how = f"whose chat template writes {tool_formats()[fmt]['label']} tool calls" if fmt else ""
    if family is not None:
        if family[1].get("tool_call_parsers") and (fmt is None or fmt in family[1].get("tool_formats", ())):
            fits["tool-call"] = ([p["name"] for p in family[1]["tool_call_parsers"]], f"a {family[1]['label']} model")
    elif fmt is not None:
        fits["tool-call"] = ([p["name"] for p in tool_formats()[fmt]["tool_call_parsers"]], how)
    return fits


def _template_format(deployment, arg) -> str | None:
    """The tool-call format of the template a ``--chat-template`` gives: one of vLLM's example templates (by file
    name), a file of the linted tree, or the template text itself (vLLM takes a value it cannot open as the
    template when it holds ``{``, ``}`` or a newline: vllm/entrypoints/chat_utils.py:1060-1078 (0.11.0))."""
    if any(v.value is None for v in arg.variables):
        return None
    value = arg.value
    if any(c in value for c in "{}\n"):
        return tool_format_of(value)
    fmt = example_template_format(PurePosixPath(value.replace("\\", "/")).name)
    if fmt is not None:
        return fmt
    text = _tree_text(deployment, value)
    return tool_format_of(text) if text is not None else None


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
    text = _tree_text(deployment, path)
    if text is None:
        return None
    names = set()
    for m in _REGISTER.finditer(text):
        names.update(_STRING.findall(m.group(1)))
    if not names and "register" in text:
        return None  # registers in a way not read here (a variable, a loop)
    return names


def _tree_text(deployment, path: str) -> str | None:
    """The text of a file a launch names (a plugin, a chat template), when it is in the linted tree: through the
    volume that mounts it, or beside the script; None when it cannot be read here."""
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

    try:  # a regular file of at most 10 MiB (a path may name /dev/zero or a FIFO)
        return read_text(candidate)
    except (UnreadableFile, OSError, ValueError):
        return None
