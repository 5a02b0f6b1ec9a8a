"""A ``# vllm-lint: disable=CODE`` comment that suppresses nothing.

## What it does
Reports suppression comments naming a rule that reported nothing on the lines they cover, or naming
no rule at all (like ruff's RUF100). Suppressions of rules that did not run (deselected with
``--select``/``--ignore``) are not judged.

## Why is this bad?
A stale suppression hides the next real finding of that rule on the same line, and a misspelt code
suppresses nothing while looking as if it did.

## Example
```yaml
    command:
      - "--tensor-parallel-size=2"  # vllm-lint: disable=VLL105
```

## Fix
Remove the comment, or correct the code it names. Suppressions take a code or a name:
``# vllm-lint: disable=VLL102`` on the line or the line before,
``# vllm-lint: disable-next-line=unpinned-image``, ``# vllm-lint: disable-file=VLL102``.
"""
CODE = "VLL002"
NAME = "unused-suppression"
CATEGORY = "suppressions"
SEVERITY = "warning"
SCOPE = "suppressions"


def check(unused, ctx):
    """``unused``: (suppression, code as written, Rule or None) for each code that matched nothing."""
    for suppression, code, rule in unused:
        if rule is None:
            message = f"unused suppression: {code!r} is not a vllm-lint rule"
        else:
            message = f"unused suppression of {rule.code} ({rule.name}): it matched no finding"
        yield ctx.finding(suppression.span, message, hint="remove the comment, or correct the code it names")
