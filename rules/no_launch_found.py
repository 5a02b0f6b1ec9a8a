"""A path given on the command line in which no vLLM launch is found.

## What it does
Reports each file or folder named on the command line (or the current folder, by default) that holds no
launch vllm-lint reads, and names the files in it that look like deployments of vLLM it could not read,
with why: a Helm chart when ``helm`` is not on PATH, a template rendered before deployment (envsubst,
Jinja), a file that cannot be parsed, a Dockerfile of a vLLM image whose arguments come from what runs it,
a systemd unit whose ``ExecStart`` runs a script that is not in the tree, YAML or a script that starts
vLLM in a form vllm-lint does not follow. A file named on the command line is reported only when it is
one of those (a file that is no deployment at all gets a note).

## Why is this bad?
"All checks passed: 0 vLLM launches" with exit code 0 reads as a pass, and a CI gate built on it guards
nothing: the launches are still there, in a form the linter does not see.

## Example
```text
$ vllm-lint deploy/
deploy:1:1: VLL004 [warning] no vLLM launch found in deploy: 2 files look like deployments vllm-lint cannot
read: deploy/chart/Chart.yaml (Helm chart: helm not on PATH), deploy/compose.yml.tpl (envsubst template,
rendered before deployment: not read)
```

## Fix
Make the launches readable (install ``helm``; lint the rendered manifests; name custom images in
``vllm-images:``), lint the folder that holds the launches, or, for a path that really holds none, leave
it off the command line (or ``ignore: [VLL004]``).
"""
CODE = "VLL004"
NAME = "no-launch-found"
CATEGORY = "coverage"
SEVERITY = "warning"
SCOPE = "project"

_SHOWN = 6


def check(project, ctx):
    from vllm_lint.sources.span import Span

    for entry in getattr(project, "launchless", ()):
        where = entry.path
        if entry.unread:
            listed = ", ".join(f"{f} ({why})" for f, why in entry.unread[:_SHOWN])
            more = f" and {len(entry.unread) - _SHOWN} more" if len(entry.unread) > _SHOWN else ""
            n = len(entry.unread)
            message = (f"no vLLM launch found in {where}: {n} file{'s' if n != 1 else ''} "
                       f"look{'s' if n == 1 else ''} like deployments vllm-lint cannot read: {listed}{more}")
            hint = "make them readable (helm on PATH, the rendered manifests, vllm-images: for custom images)"
        else:
            read = f"{entry.files_read} file{'s' if entry.files_read != 1 else ''} read" if entry.is_dir else "read"
            message = f"no vLLM launch found in {where} ({read}; nothing in it starts vLLM in a form vllm-lint reads)"
            hint = "lint the folder that holds the launches, or leave this path off the command line"
        yield ctx.finding(Span.point(where), message, hint=hint)
