"""Shell scripts and Dockerfiles that run ``vllm serve ...`` or
``python -m vllm.entrypoints.openai.api_server ...`` (``\\`` continuations followed)."""
from __future__ import annotations

import json
import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, Word
from vllm_lint.loaders.command import attach_args, split_launch, version_from_image, version_from_pip
from vllm_lint.loaders.context import LoadContext
from vllm_lint.loaders.shell_vars import resolve_script
from vllm_lint.sources import shellwords
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span

_EXEC_FORM = re.compile(r"^(CMD|ENTRYPOINT)\s+(\[.*\])\s*$", re.M | re.I)
_FROM = re.compile(r"^FROM\s+(?:--platform=\S+\s+)?(\S+)", re.M | re.I)
_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def load(path: Path, ctx: LoadContext) -> list[Deployment]:
    sf = ctx.source(path, "script")
    try:
        sf.text = read_text(path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return []
    text = sf.text
    is_dockerfile = path.name.lower().startswith(("dockerfile", "containerfile")) or path.suffix.lower() in (".dockerfile", ".containerfile")
    image = None
    version = version_from_pip(text)
    version_source = f"pip install vllm=={version} in {sf.path}" if version else None
    if is_dockerfile:
        m = _FROM.search(text)
        image = m.group(1) if m else None
        if not version and version_from_image(image):
            version, version_source = version_from_image(image), f"base image {image}"
    commands: list[list[Word]] = []
    try:
        for command in shellwords.split(text, script=True):
            commands.append([Word(w.value, sf.span(w.start, w.end), text[w.start:w.end], (), True, "shell") for w in command])
    except shellwords.ShellSyntaxError as exc:
        line, col = sf.position(exc.offset)
        sf.add("invalid-command", f"cannot split this script: {exc}", Span.point(sf.path, line, col))
    if is_dockerfile:
        for m in _EXEC_FORM.finditer(text):
            try:
                items = json.loads(m.group(2))
            except ValueError:
                continue
            words, cursor = [], m.start(2)
            for item in items if isinstance(items, list) else []:
                token = json.dumps(item)
                at = text.find(token, cursor, m.end(2))
                span = sf.span(at + 1, at + len(token) - 1) if at >= 0 else sf.span(m.start(2), m.end(2))
                cursor = at + len(token) if at >= 0 else cursor
                words.append(Word(str(item), span, str(item) if at >= 0 and token == f'"{item}"' else "", (), at >= 0,
                                  "json" if at >= 0 else ""))
            commands.append(words)
    deployments = []
    for words in resolve_script(commands):
        launch = split_launch([], words, None)
        if launch is None:
            continue
        launcher, args = launch
        start = next(i for i, w in enumerate(words) if w.value in ("serve", "-m")) - 1
        env = {}
        for w in words[:max(start, 0)]:
            m = _ASSIGN.match(w.value)
            if m:
                env[m.group(1)] = EnvVar(m.group(1), m.group(2), w.span)
        first = words[max(start, 0)]
        d = Deployment(sf.path, "script", f"line {first.span.line}", first.span, image=image, env=env,
                       base_dir=str(path.parent), host_group=str(path.parent.resolve()))
        if version:
            d.version, d.version_source = version, version_source
        attach_args(d, args, launcher, ctx)
        deployments.append(d)
    return deployments
