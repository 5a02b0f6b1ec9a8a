"""A file that cannot be read or understood as the configuration it claims to be.

## What it does
Reports files that could not be linted: malformed YAML, a file that is not UTF-8, a binary or
oversized file, a YAML alias bomb, an empty compose file, a compose ``env_file`` that does not exist,
a command string whose quotes do not close, a key given twice in one mapping (compose and kubectl refuse
the file; a YAML parser silently keeps the last: a second ``services:`` drops every service before it),
a file that is not a regular file (a FIFO, a device), a line of a ``.env`` file that is not ``KEY=VALUE``, and a
``#`` line inside a block scalar (``command: >``), which YAML keeps as text: compose passes its words
to vLLM, which rejects them (reported once, at the ``#``, not per word).

## Why is this bad?
Compose, kubectl or the shell reject the same file, so nothing starts; and everything else
vllm-lint would have said about the file is unknown until it reads.

## Example
```yaml
services:
  vllm:
    command: --model "Qwen/Qwen3-8B   # the quote never closes
```

## Fix
Correct the syntax at the position given. Other files of the run are still linted.
"""
CODE = "VLL001"
NAME = "invalid-file"
CATEGORY = "syntax"
SEVERITY = "error"
SCOPE = "file"

KINDS = ("unreadable", "invalid-compose", "invalid-kubernetes", "invalid-command", "invalid-dotenv", "missing-env-file",
         "comment-in-block-scalar", "duplicate-key")


def check(source, ctx):
    for problem in source.problems:
        if problem.kind in KINDS:
            yield ctx.finding(problem.span, problem.message)
