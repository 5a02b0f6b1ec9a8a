"""An option that the pinned vLLM release still accepts but has deprecated.

## What it does
Reports options whose help text or parser marks them deprecated in the release the image pins,
with the replacement the release names.

## Why is this bad?
Deprecated options are removed a release or two later, and the profile then fails at argument
parsing on the next image upgrade. Seed report 004 pins ``v0.9.2`` with ``--enable-reasoning``,
which that release already marks deprecated in favour of ``--reasoning-parser`` alone.

## Example
```yaml
    image: vllm/vllm-openai:v0.9.2
    command: ["--enable-reasoning", "--reasoning-parser", "qwen3"]
```

## Fix
Use the replacement, or drop the option where it no longer has an effect. ``--fix`` renames the option
only when the release's parser accepts the replacement with the value written (``--enable-reasoning``
alone is not rewritten to a bare ``--reasoning-parser``, which needs a value); a dotted key and a
``--no-`` prefix are kept. ``--fix --unsafe-fixes`` removes a deprecated flag that takes no value together
with a ``true``/``false`` written after it (``--use-v2-block-manager true``: the parser reads the word as a
stray positional); with another stray word after it, no removal is offered.
"""
from vllm_lint.finding import Fix
from vllm_lint.fixes.edits import remove_arg, rename_option
from vllm_lint.launch import launcher
from vllm_lint.loaders.vllm_config import config_bool_words
from vllm_lint.rule import release_basis

CODE = "VLL203"
NAME = "deprecated-option"
CATEGORY = "vllm-cli"
SEVERITY = "warning"
NEEDS = ("release",)


def check(deployment, ctx):
    release = ctx.release
    basis = release_basis(ctx)
    for arg in deployment.args:
        if arg.origin == "positional" or not arg.flag:
            continue
        words = config_bool_words(arg, release)
        if words == []:
            continue  # `key: false` in a --config file: dropped before argparse, vLLM never sees it
        option = release.option("--" + arg.flag if arg.origin == "config" else arg.flag)
        if option is not None and not option.deprecated:
            yield from _kvs_form(arg, option, release, basis, ctx)
        if option is None or not option.deprecated:
            continue
        if arg.name == "model" and launcher.server(deployment, release.version) != "vllm serve":
            continue  # the api_server module takes --model
        fix = None
        if option.replacement and option.replacement.startswith("--") and arg.origin != "config":
            edits = rename_option(arg, option.replacement, release)  # None unless the release accepts the result
            fix = Fix(f"use {option.replacement}", edits) if edits else None
        elif option.replacement is None and option.type == "bool-flag" and arg.origin != "config":
            source = ctx.source(arg.flag_span.path)
            edits = remove_arg(arg, source, deployment) if source is not None else None
            fix = Fix(f"remove {arg.flag}", edits, safe=False) if edits else None
        hint = f"use {option.replacement}" if option.replacement else "remove it"
        yield ctx.finding(arg.flag_span, f"{arg.flag} is deprecated in {basis.text}: {option.deprecated}",
                          hint=hint, fix=fix)


def _kvs_form(arg, option, release, basis, ctx):
    """``--limit-mm-per-prompt image=3``: a JSON option given ``key=value`` pairs, which the release still reads
    but deprecates (``nullable_kvs``'s ``@deprecated``, 0.8.5 to 0.9.2; knowledge/vllm/serve_checks.yaml) — the
    form that 0.10.0 rejects."""
    import re

    from vllm_lint.rules.invalid_value import pairs_to_json
    from vllm_lint.vllm.serve_checks import kvs_deprecation

    conv = option.conv or {}
    value = arg.value
    if not value or arg.subkey is not None or not conv.get("kvs") or re.match(r"^{.*}$", value):
        return
    if (conv.get("inner") or {}).get("k") != "json" or any(v.value is None for v in arg.variables):
        return
    said = kvs_deprecation(release.name)
    if said is None or release.check_value(option.canonical, value) is not None:
        return
    converted = pairs_to_json(value)
    fix = None
    if converted is not None and release.proves_json(option.canonical, converted):
        from vllm_lint.fixes.edits import replace_value

        edits = replace_value(arg, converted)
        fix = Fix(f"write {converted} as JSON", edits) if edits else None
    yield ctx.finding(arg.value_or_flag_span, f"{arg.flag} {value}: {basis.text} reads key=value pairs with a "
                      f"deprecation warning: \"{said['text']}\" ({said['source']})",
                      hint=f"write JSON: {arg.flag} '{converted}'" if converted else "write JSON", fix=fix)
