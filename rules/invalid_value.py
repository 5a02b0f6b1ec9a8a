"""A value that the pinned vLLM release's parser rejects.

## What it does
Runs each argument's value through the release's option table the way its parser would: type
conversion (int, float, JSON), choices, ``nargs``, JSON-valued options given in a form the release
does not read, and flags given a value they do not take. The message is argparse's own. Values that
come from unset variables or that the shell expands at run time are not judged.

## Why is this bad?
Seed report 002, deploying the ``medium-vl`` profile, stopped twice at argument parsing:
``argument --limit-mm-per-prompt: Value image:3,video:0 cannot be converted`` and
``argument --mm-encoder-tp-mode: invalid choice: 'replicate' (choose from data, weights)``. Seed
report 000 had recommended ``replicate``, a value no release ever accepted.

## Example
```yaml
    command: >
      --limit-mm-per-prompt image:3,video:0
      --mm-encoder-tp-mode replicate
```

A ``--config`` file's booleans are checked as the release's loader passes them (``enforce_eager:
false`` is dropped by most releases; 0.6.0 to 0.6.3 pass ``--enforce_eager False``, which argparse
rejects). A release without a table of its own is not judged where the covered releases around it
differ. When the image pins no release and an older release accepts the value, the finding is a
warning that says the newest release was assumed.

## Fix
Write JSON for JSON options (``--limit-mm-per-prompt '{"image":3,"video":0}'``) and one of the
listed choices (``--mm-encoder-tp-mode weights``, the default). ``--fix`` rewrites the
``key:value`` / ``key=value`` forms to JSON and ``replicate`` to ``weights``.
"""
import difflib
import json
import re

from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import replace_value
from vllm_lint.loaders.vllm_config import config_bool_words
from vllm_lint.rule import release_basis

CODE = "VLL202"
NAME = "invalid-value"
CATEGORY = "vllm-cli"
SEVERITY = "error"
NEEDS = ("release",)
#: Values a release never accepted, with the value that means what their authors wanted.
OPTIONS = {"value-corrections": {"mm-encoder-tp-mode": {"replicate": "weights"}}}

_PAIR = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*[:=]\s*([^,]*)\s*$")


def pairs_to_json(text):
    """``image:3,video:0`` / ``max_pixels=599040`` as compact JSON, or None."""
    items = {}
    for part in text.split(","):
        m = _PAIR.match(part)
        if not m:
            return None
        key, raw = m.group(1), m.group(2).strip()
        try:
            items[key] = json.loads(raw)
        except ValueError:
            items[key] = raw
    return json.dumps(items, separators=(",", ":")) if items else None


def check(deployment, ctx):
    release = ctx.release
    basis = release_basis(ctx)
    for arg in deployment.args:
        if arg.origin == "positional" or not arg.flag:
            continue
        flag = "--" + arg.flag if arg.origin == "config" else arg.flag
        words = config_bool_words(arg, release)
        if words is not None:
            if len(words) == 2:  # `key: false` passed as `--key False` (0.6.0 to 0.6.3)
                yield from _config_bool(arg, words, release, basis, ctx)
            continue
        option = release.option(flag)
        if option is None:
            continue  # unknown-option reports it
        value = arg.value
        if value is not None and ("$" in value and deployment.kind == "script" or any(v.value is None for v in arg.variables)):
            continue  # expanded at run time, or unset (unset-variable reports that)
        if arg.negated:
            continue
        words = [w.value for w in arg.words[1:]] if not arg.inline and len(arg.words) > 2 else None
        if words and option.nargs not in (None, "?", 0, 1):
            error = release.check_values(flag, words)  # nargs '+': each word converted on its own
        elif arg.inline and value is not None and option.nargs == 0:
            error = release.check_inline(flag, value)  # --enforce-eager=false: "ignored explicit argument"
        else:
            error = release.check_value(flag, value)
        if error is None or _accepted_above(release, flag, value, words):
            continue
        if arg.name == "model" and error.startswith("ValueError: With `vllm serve`"):
            continue  # `vllm serve`'s refusal of the word: VLL201 reports it there; the api_server module takes --model
        if value is None and error.startswith("IndexError"):  # vLLM's --model move reads past the end
            error = f"{flag} is given no value"
        fix = None
        if value is not None and option.is_json and arg.subkey is None:
            converted = pairs_to_json(value)
            if converted is not None and release.proves_json(flag, converted):
                edits = replace_value(arg, converted)
                fix = Fix(f"write {converted} as JSON", edits) if edits else None
        elif value is not None and option.choices:
            corrected = ctx.options["value-corrections"].get(option.canonical.lstrip("-"), {}).get(value)
            # a fix never writes a value the release would reject: each candidate is parsed again first
            valid = [c for c in option.choices if isinstance(c, str) and release.check_value(flag, c) is None]
            if corrected in valid:
                edits = replace_value(arg, corrected)
                fix = Fix(f"use {corrected}", edits) if edits else None
            else:
                close = difflib.get_close_matches(value, valid, n=1, cutoff=0.75)
                if close:
                    edits = replace_value(arg, close[0])
                    fix = Fix(f"use {close[0]}", edits, safe=False) if edits else None
        hint = None
        if option.choices:
            hint = "choose from " + ", ".join(str(c) for c in option.choices)
        elif option.is_json:
            keys = f" (keys: {', '.join(option.json_keys)})" if option.json_keys else ""
            hint = f"{flag} takes JSON{keys}"
        severity = ctx.rule.severity
        if basis.assumed:
            elsewhere = release.accepting_elsewhere(flag, value)
            if elsewhere:  # wrong only in the assumed newest release
                severity = basis.severity(severity)
                hint = (hint + "; " if hint else "") + f"vLLM {elsewhere[-1]} accepts it: pin the release it was written for"
        yield ctx.finding(arg.value_or_flag_span, f"{basis.text} rejects it: {error}", hint=hint, fix=fix,
                          severity=severity)


def _accepted_above(release, flag, value, words=None) -> bool:
    """For a release without a table of its own: the next covered release accepts the value (unknown)."""
    upper = release.upper_release()
    if upper is None or upper.option(flag) is None:
        return False
    return (upper.check_values(flag, words) if words else upper.check_value(flag, value)) is None


def _config_bool(arg, words, release, basis, ctx):
    """A YAML boolean that the release's --config loader passes with a value (``--key False``)."""
    if release.option(words[0]) is None:
        return  # unknown-option reports it
    error = release.check_value(words[0], words[1])
    if error is None or _accepted_above(release, words[0], words[1]):
        return
    yield ctx.finding(arg.value_or_flag_span,
                      f"{basis.text} rejects it: {error} (its --config loader passes `{arg.flag}: "
                      f"{arg.words[0].value if arg.words else words[1].lower()}` as {words[0]} {words[1]})",
                      hint=("remove the key" if arg.negated else
                            f"give {words[0]} on the command line instead") +
                      "; vLLM 0.6.4 and later pass a true boolean as the bare flag and drop a false one")
