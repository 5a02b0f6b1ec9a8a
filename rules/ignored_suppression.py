"""A ``# vllm-lint: disable`` comment, ignored because the configuration forbids inline suppressions.

## What it does
With ``inline-suppressions: false`` in the configuration (or ``--no-inline-suppressions``), suppression
comments in the linted files suppress nothing: every finding they would have hidden is reported, and so is
each comment, so that its author sees why. Policy owners (a platform team, a CI template) use it, as
kube-score, Polaris and hadolint allow, so that a repository cannot silence the checks its deployments
must pass from inside the files being checked.

## Why is this bad?
It is not bad in itself: the comment names a finding its author chose to accept, and the policy in force
does not let a file accept findings. The decision belongs in the policy's own configuration.

## Example
```yaml
      - "--trust-remote-code"  # vllm-lint: disable=VLL107
```

## Fix
Fix what the comment suppressed; or, where the policy allows it, move the exception into the
configuration the policy owner keeps (``per-file-ignores``, ``ignore``).
"""
CODE = "VLL003"
NAME = "ignored-suppression"
CATEGORY = "suppressions"
SEVERITY = "info"
SCOPE = "suppressions"


def check(suppressions, ctx):
    """``suppressions``: every suppression comment of the files linted (engine.Suppression)."""
    for s in suppressions:
        codes = ", ".join(sorted(s.codes))
        yield ctx.finding(s.span, f"inline suppression of {codes} ignored: the configuration does not allow inline "
                                  "suppressions (inline-suppressions: false)",
                          hint="fix the finding, or ask the policy owner for an entry in the configuration")
