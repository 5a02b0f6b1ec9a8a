"""Helpers shared by the environment-variable rules (not a rule: modules starting with ``_`` are skipped)."""
from __future__ import annotations


def literal(var) -> bool:
    """Whether the variable's value is known here as written (not set at run time, not from an unset variable)."""
    return var.value is not None and not any(u.value is None for u in var.variables)


def release_of(ctx) -> str | None:
    """The release name whose ``envs.py`` is read (None before the oldest table, 0.6.0)."""
    from vllm_lint.vllm import envs

    release = ctx.release
    name = getattr(release, "name", None) or getattr(release, "version", None)
    return name if name and envs.covered(name) else None


def where(var):
    return var.name_span or var.span


def referenced(deployment) -> set[str]:
    """Variables the launch's own words read (``$(NAME)`` in Kubernetes args, ``$NAME`` in a script)."""
    names = {u.name for a in deployment.args for u in a.variables}
    names.update(deployment.runtime_values)
    for w in (a for a in deployment.args):
        for word in w.words:
            names.update(u.name for u in word.variables)
    return names


def named_in_files(deployment, ctx, name: str) -> bool:
    """Whether the files the launch is read from use ``name`` as a variable (``${NAME}``, ``$NAME``, ``$(NAME)``):
    then it is the project's own variable (compose interpolation, a script's), not a setting of vLLM."""
    import re

    import posixpath

    pattern = re.compile(r"\$(\{|\()?" + re.escape(name) + r"\b")
    paths = {deployment.path, *deployment.depends_on_files, *(a.flag_span.path for a in deployment.args)}
    var = deployment.env.get(name)
    if var is not None and var.span.path != deployment.path:
        # defined in a shared file (the .env beside several compose files): the files beside it count too
        folder = posixpath.dirname(var.span.path)
        paths.update(f.path for f in ctx.project.files if posixpath.dirname(f.path) == folder)
    for path in paths:
        source = ctx.source(path)
        if source is not None and pattern.search(source.text):
            return True
    return False
