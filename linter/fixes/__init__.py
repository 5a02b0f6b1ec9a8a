"""Fixes: the edits a rule proposes and how they are written back.

In: findings with :class:`~vllm_lint.finding.Fix` records. Out: edited files (:mod:`.apply`: non-overlapping,
re-parsed, atomic) or a unified diff. :mod:`.edits` builds the edits rules attach (replace a value, rename a
flag, remove an argument, rename a variable) so that each keeps the file's quoting and layout.
"""
