"""systemd units (``*.service``) whose ``ExecStart=`` starts vLLM.

``[Service]``: ``Environment=`` (``"A=1" B=2``, several lines), ``EnvironmentFile=`` (read when the file
is in the tree; ``-`` in front: optional; a file elsewhere, such as ``/etc/acme/vllm.env``, leaves its
variables unknown), ``ExecStart=`` (its prefixes ``-@:+!`` dropped, ``\\`` continuations followed, ``$VAR``
and ``${VAR}`` expanded from the unit's environment as systemd does). systemd runs no shell, but an
``ExecStart=/bin/bash -c "…"`` does, and is read as a script. A unit whose ExecStart runs a script is not a
launch of its own: the script is (when it is in the tree, it is linted as one).
"""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, Word
from vllm_lint.loaders.shell_launches import candidates
from vllm_lint.loaders.shell_vars import ScriptVariables, Step, resolve_words
from vllm_lint.sources import shellwords
from vllm_lint.sources.source_file import is_regular_file

_SECTION = re.compile(r"^\s*\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*")


def entries(text: str) -> list[tuple[str, str, int, int]]:
    """(section, key, start, end) of each ``Key=value`` line: the value's offsets, continuations included."""
    out = []
    section = ""
    offset = 0
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        line_start = offset
        offset += len(line)
        i += 1
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        m = _SECTION.match(line)
        if m:
            section = m.group(1)
            continue
        m = _KEY.match(line)
        if not m:
            continue
        end = line_start + len(line.rstrip("\r\n"))
        while text[line_start:end].endswith("\\") and i < len(lines):
            offset += len(lines[i])
            end = offset - (len(lines[i]) - len(lines[i].rstrip("\r\n")))
            i += 1
        out.append((section, m.group(1), line_start + m.end(), end))
    return out


def load(path: Path, sf, ctx) -> list[Deployment]:
    from vllm_lint.loaders.script import launch_of

    text = sf.text
    env: dict[str, EnvVar] = {}
    execs = []
    for section, key, start, end in entries(text):
        if section != "Service":
            continue
        value = text[start:end]
        if key == "Environment":
            try:
                words = shellwords.split(text, start, end)[0]
            except shellwords.ShellSyntaxError:
                continue
            for w in words:
                name, eq, val = w.value.partition("=")
                if eq:
                    env[name] = EnvVar(name, val, sf.span(w.start, w.end))
        elif key == "EnvironmentFile":
            file = Path(value.strip().lstrip("-"))
            candidate = file if file.is_absolute() else path.parent / file
            if is_regular_file(candidate) and not file.is_absolute():
                from vllm_lint.loaders.common import Environment

                sources: dict = {}
                loaded = Environment.from_files([candidate], ctx.display, {}, sources)
                for k, source in sources.items():
                    ctx.add_source(k, source)
                for name, definition in loaded.definitions.items():
                    env[name] = EnvVar(name, definition.value, definition.span)
        elif key == "ExecStart":
            skip = len(value) - len(value.lstrip("-@:+!"))
            execs.append((start + skip, end))
    deployments = []
    for start, end in execs:
        try:
            split = shellwords.split(text, start, end)[0]
        except shellwords.ShellSyntaxError as exc:
            line, col = sf.position(exc.offset)
            from vllm_lint.sources.span import Span

            sf.add("invalid-command", f"cannot split this ExecStart: {exc}", Span.point(sf.path, line, col))
            continue
        raw = [Word(w.value, sf.span(w.start, w.end), text[w.start:w.end], (), True, "shell") for w in split]
        scope = ScriptVariables({name: var.value for name, var in env.items()})
        step = Step(raw, resolve_words(raw, scope.lookup), scope)
        for candidate in candidates(step, sf):
            if candidate.container is not None:
                from vllm_lint.loaders import docker_run

                d = docker_run.deployment(candidate, sf, path, ctx)
            else:
                d = launch_of(candidate.words, sf, path, ctx, env=env)
            if d is not None:
                from vllm_lint.loaders.script import _via

                d.name, d.via = f"ExecStart (line {raw[0].span.line})", _via(candidate)
                deployments.append(d)
    return deployments
