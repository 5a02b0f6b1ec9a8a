"""An option that the pinned vLLM release does not have.

## What it does
Checks every flag of a launch (and every key of its ``--config`` file) against the ``vllm serve``
option table of the release the image pins — generated from that release's own parser — with the
release's own spelling rules (``--flag_name`` for ``--flag-name``, ``--no-flag``, dotted JSON
sub-keys). Says "did you mean" from the same release, and when another release has the option,
whether it was removed or renamed, and since when. A second positional argument after the model is
reported too (argparse: "unrecognized arguments").

## Why is this bad?
vLLM exits at argument parsing: the container restarts in a loop before loading anything. Seed
report 004's profiles pass ``--enable-reasoning`` to ``vllm/vllm-openai:v0.9.2``; releases after
0.10 no longer have it (reasoning is enabled by ``--reasoning-parser`` alone), so the same profile
breaks on the next image upgrade. ``--swap-space`` and ``--rope-scaling`` went the same way.

## Example
```yaml
    image: vllm/vllm-openai:v0.11.0
    command: ["--model", "Qwen/Qwen3-8B", "--enable-reasoning", "--reasoning-parser", "qwen3"]
```

A release that has no option table of its own (``v0.6.1``, ``v0.10.1.1``) is read with the covered
releases around it: an option that one of them has and the other lacks is not judged. When the image
pins no release, the newest known is assumed: an option that only newer releases dropped is then a
warning that says so, while one that no release ever had stays an error.

## Fix
Remove the option or use what replaced it (the message says which, from the release tables). A
renamed option is fixed by ``--fix``, and ``--rope-scaling``/``--rope_scaling`` in releases that
dropped it is moved into ``--hf-overrides '{"rope_scaling": ...}'``, which vLLM applies to the
model's config the same way.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import rename_option, replace_arg
from vllm_lint.launch import launcher
from vllm_lint.loaders.vllm_config import config_bool_words
from vllm_lint.rule import release_basis

CODE = "VLL201"
NAME = "unknown-option"
CATEGORY = "vllm-cli"
SEVERITY = "error"
NEEDS = ("release",)


def written_flag(arg):
    """The flag as vLLM's parser sees it (config-file keys get their dashes)."""
    if arg.origin == "config":
        return "--" + arg.flag
    return arg.flag


def check(deployment, ctx):
    release = ctx.release
    basis = release_basis(ctx)
    for arg in deployment.args:
        if arg.origin == "positional":
            if arg.name == "" and deployment.launcher == "legacy api_server":
                yield ctx.finding(arg.flag_span, f"unrecognized argument {arg.value!r}: python -m vllm.entrypoints.api_server "
                                  "(vLLM's legacy demo server) takes no positional model",
                                  hint=f"pass it as --model {arg.value}, or start the OpenAI server: vllm serve {arg.value}")
            elif arg.name == "":
                yield ctx.finding(arg.flag_span, f"unexpected positional argument {arg.value!r}: vllm serve takes one model "
                                  f"(argparse: unrecognized arguments: {arg.value})",
                                  hint="quote values that contain spaces; remove the extra word (after `--` every word "
                                       "is positional)")
            continue
        flag = written_flag(arg)
        if arg.name == "model" and arg.origin == "command":
            yield from _model_flag(deployment, arg, release, ctx)
            continue
        words = config_bool_words(arg, release)
        if words is not None:  # `key: true/false` in a --config file: what the release's loader passes
            if not words:
                continue  # `key: false` is dropped before argparse: vLLM never sees it
            flag = words[0]
        if release.accepts(flag) is not False:
            continue  # the release has it, or (no table of its own) the releases around it differ
        history = release.history(flag)
        suggestions = release.suggest(flag)
        message = f"{flag} is not an option of {basis.text}"
        said = release.check_value(flag.split("=", 1)[0], None) if flag.startswith("--") else None
        if said and said.startswith("ambiguous option"):  # an abbreviation of several options: argparse lists them
            if not history:
                yield ctx.finding(arg.flag_span, f"{basis.text} rejects it: {said}", hint="write the whole option name")
                continue
            history += f"; the parser reads it as an abbreviation: {said}"
        if history:
            message += f": {history}"
        # an option that another release has is wrong only in the assumed release; none ever had: wrong anywhere
        severity = basis.severity(ctx.rule.severity) if history else ctx.rule.severity
        fix = None
        renamed = getattr(release, "renamed_to", lambda f: None)(flag)
        if renamed and arg.origin != "config":
            edits = rename_option(arg, renamed, release)  # None unless the release accepts the result
            fix = Fix(f"rename {flag} to {renamed}", edits) if edits else None
        elif arg.name == "rope-scaling" and arg.origin != "config" and arg.value and arg.subkey is None and \
                release.option("--hf-overrides") is not None and deployment.arg("hf-overrides") is None:
            overrides = _rope_overrides(arg.value)
            # the fix is offered only when what it writes is JSON the release's --hf-overrides accepts
            if overrides is not None and release.check_value("--hf-overrides", overrides) is None:
                edits = replace_arg(arg, "--hf-overrides", overrides)
                fix = Fix("move the rope scaling into --hf-overrides", edits) if edits else None
            history = (history + "; " if history else "") + "rope scaling now goes through --hf-overrides"
        hint = f"did you mean {' or '.join(suggestions[:3])}?" if suggestions else "remove it"
        if basis.assumed and history and severity != ctx.rule.severity:
            hint += "; or pin the vLLM release the launch was written for"
        yield ctx.finding(arg.flag_span, message, hint=hint, fix=fix, severity=severity)


def _rope_overrides(value: str) -> str | None:
    """``{"rope_scaling": VALUE}`` as compact JSON when VALUE is a JSON object, else None (no fix)."""
    import json

    try:
        parsed = json.loads(value)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    return json.dumps({"rope_scaling": parsed}, separators=(",", ":"))


def _model_flag(deployment, arg, release, ctx):
    """--model: always taken by the api_server module; `vllm serve` refused the word in 0.8.5-0.11.0."""
    server = launcher.server(deployment, release.version)
    if server != "vllm serve":
        return  # the api_server module (or an image whose entrypoint is not known for this release)
    positional = next((a for a in deployment.args if a.origin == "positional" and a.name == "model"), None)
    if positional is not None:  # `vllm serve A --model B`: what the release's parser makes of both
        error = release.parse([arg.flag if not arg.inline else f"{arg.flag}={arg.value}",
                               *([arg.value] if not arg.inline and arg.value is not None else [])],
                              model=positional.value).error
        if error and error.startswith("unrecognized arguments"):
            yield ctx.finding(arg.flag_span, f"vllm serve {release.name} rejects a positional model together with "
                              f"--model: {error}", hint=f"give the model once: vllm serve {arg.value} ...")
            return
    if arg.inline:  # `--model=X`: releases that do not move it read an abbreviation
        error = release.parse([f"{arg.flag}={arg.value}"],
                              model=positional.value if positional is not None else None).error
        if error and error.startswith("ambiguous option"):
            yield ctx.finding(arg.flag_span, f"vllm serve {release.name} rejects it: {error}",
                              hint=f"pass the model first, without --model: vllm serve {arg.value} ...")
            return
    rule = launcher.model_flag(release.version)
    if rule is None or rule["behaviour"] != "word-rejected" or arg.inline:
        return
    yield ctx.finding(arg.flag_span, f"vllm serve {release.name} refuses --model: \"{rule['message']}\"",
                      hint=f"pass the model first, without --model: vllm serve {arg.value} ...")
