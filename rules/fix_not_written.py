"""``--fix`` did not write a file, to keep what is in it.

## What it does
Reported by ``--fix`` (never by a plain lint) for each file it chose not to rewrite: a read-only file
(mode without write permission, unless ``--force``), a folder it may not create files in, a file whose
owner or group it cannot keep, a file that changed (content, inode, size or modification time) between
the moment it was read and the moment the fixed text would replace it, a file another ``vllm-lint --fix``
holds locked. The findings the fix was for are still reported.

## Why is this bad?
Nothing is lost: the file is as it was. But the fix was not applied, and the reason is something the
user decided (a read-only file), or someone else's save that must not be overwritten.

## Example
```console
$ chmod 0444 compose.yaml && vllm-lint --fix .
compose.yaml:1:1: VLL005 [warning] not fixed: compose.yaml is read-only (mode 0444); --force writes it anyway
```

## Fix
Make the file writable, or pass ``--force``; for a file that changed, run ``--fix`` again.
"""
CODE = "VLL005"
NAME = "fix-not-written"
CATEGORY = "fixes"
SEVERITY = "warning"
SCOPE = "project"


def check(project, ctx):
    """Nothing to check in a lint: ``--fix`` reports these itself (:func:`vllm_lint.fixes.apply.fix_run`)."""
    return ()
