"""Shell scripts, Dockerfiles and systemd units that run ``vllm serve ...`` or
``python -m vllm.entrypoints.openai.api_server ...`` (``\\`` continuations followed).

A script's launches are found through what its commands start (:mod:`.shell_launches`): wrappers
(``nohup``, ``setsid``, ``exec`` ...), strings that shells run (``bash -c "…"``, ``eval "$cmd"``), ``tmux`` /
``screen`` / ``pm2``, commands held in variables and arrays (:mod:`.shell_vars`), and containers started with
``docker run`` / ``podman run`` / ``nerdctl run`` (:mod:`.docker_run`). Dockerfiles: :mod:`.dockerfile`;
systemd units: :mod:`.systemd`."""
from __future__ import annotations

import re
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, EnvVar, Word
from vllm_lint.loaders.command import attach_args, split_launch, version_from_pip
from vllm_lint.loaders.context import LoadContext
from vllm_lint.loaders.shell_launches import candidates
from vllm_lint.loaders.shell_vars import walk_script
from vllm_lint.sources import shellwords
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span

_ASSIGN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)


def load(path: Path, ctx: LoadContext) -> list[Deployment]:
    sf = ctx.source(path, "script")
    try:
        sf.text = read_text(path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return []
    text = sf.text
    if is_dockerfile(path):
        return _dockerfile(path, sf, ctx)
    if path.suffix.lower() == ".service":
        from vllm_lint.loaders import systemd

        return systemd.load(path, sf, ctx)
    image = None
    version = version_from_pip(text)
    version_source = f"pip install vllm=={version} in {sf.path}" if version else None
    commands: list[list[Word]] = []
    try:
        split = shellwords.split(text, script=True)
        for start, end in _heredocs(text):  # here-documents that a shell runs: their commands, in place
            split += shellwords.split(text, start, end, script=True)
        split = sorted((c for c in split if c), key=lambda c: c[0].start)
        for command in split:
            commands.append([Word(w.value, sf.span(w.start, w.end), text[w.start:w.end], (), True, "shell") for w in command])
    except shellwords.ShellSyntaxError as exc:
        line, col = sf.position(exc.offset)
        sf.add("invalid-command", f"cannot split this script: {exc}", Span.point(sf.path, line, col))
    deployments = []
    exported: dict[str, EnvVar] = {}
    for step in walk_script(commands):
        raw, words = step.raw, step.words
        _exports(raw, words, exported)
        for candidate in candidates(step, sf):
            if candidate.container is not None:
                from vllm_lint.loaders import docker_run

                d = docker_run.deployment(candidate, sf, path, ctx)
                if d is not None:
                    d.via = _via(candidate)
                    deployments.append(d)
                continue
            d = launch_of(candidate.words, sf, path, ctx, exported, image, version=(version, version_source))
            if d is None:
                continue
            d.via = _via(candidate)
            deployments.append(d)
    return deployments


#: Commands that name vLLM without starting it (``echo vllm serve …``, ``pkill -f vllm``).
_NOT_STARTING = {"echo", "printf", "cat", "grep", "egrep", "pkill", "pgrep", "kill", "killall", "which", "type", "man",
                 "ps", "log", "info", "warn", "error", "print", "logger", "read", "test", "[", "[["}


_HEREDOC = re.compile(r"(?<!<)<<(-?)[ \t]*(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2")
_SHELL_CONSUMERS = {"sh", "bash", "zsh", "dash", "ash", "ksh", "ssh", "su", "runuser"}


def _heredocs(text: str) -> list[tuple[int, int]]:
    """The (start, end) offsets of the here-document bodies that hold commands: ``bash <<EOF``, ``ssh host
    <<EOF``, ``cat > run.sh <<'EOF'``. The others (``python - <<EOF``, ``kubectl apply -f - <<EOF``, ``cat >
    config.yaml <<EOF``) are data, which the shell splitter skips."""
    if "<<" not in text:
        return []
    regions = []
    lines = text.splitlines(keepends=True)
    offset = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        offset += len(line)
        i += 1
        if line.lstrip().startswith("#"):
            continue
        for m in _HEREDOC.finditer(line):
            strip_tabs, delimiter = m.group(1) == "-", m.group(3)
            words = line[:m.start()].replace("|", " ").replace(";", " ").replace("&", " ").split()
            names = {w.rsplit("/", 1)[-1] for w in words}
            target = re.search(r">>?\s*(\S+)", line)
            shell = bool(names & _SHELL_CONSUMERS) or bool(
                names & {"cat", "tee"} and target and target.group(1).strip("'\"").endswith((".sh", ".bash")))
            body_start = offset
            while i < len(lines):
                body = lines[i]
                i += 1
                if (body.lstrip("\t") if strip_tabs else body).rstrip("\r\n") == delimiter:
                    if shell and offset > body_start:
                        regions.append((body_start, offset))
                    offset += len(body)
                    break
                offset += len(body)
            else:
                if shell and offset > body_start:
                    regions.append((body_start, offset))
    return regions


def is_dockerfile(path: Path) -> bool:
    name = path.name.lower()
    return name.startswith(("dockerfile", "containerfile")) or name.endswith((".dockerfile", ".containerfile"))


def launch_start(words: list[Word]) -> int | None:
    """Index of the launcher's first word (``vllm`` of ``vllm serve``, the interpreter of ``python -m …``)."""
    import os

    from vllm_lint.launch.args import LEGACY_MODULES, SERVER_MODULES

    for i, w in enumerate(words[:-1]):
        if os.path.basename(w.value) == "vllm" and words[i + 1].value == "serve":
            return i
        if w.value == "-m" and words[i + 1].value in SERVER_MODULES + LEGACY_MODULES:
            return max(i - 1, 0)
    return None


def launch_of(words: list[Word], sf, path: Path, ctx, exported: dict | None = None, image=None, kind: str = "script",
              env: dict | None = None, version: tuple = (None, None)) -> Deployment | None:
    """The launch in one command run on the host (a script's, a unit's ``ExecStart``), or None."""
    launch = split_launch([], words, None)
    wrapper = None  # PaddleX's genai server: vLLM's options built by the server (loaders/paddlex.py)
    if launch is None:
        from vllm_lint.loaders import paddlex

        wrapper = paddlex.find(words)
        if wrapper is None:
            return None
        launch = ("vllm serve", [])
    start = launch_start(words) if wrapper is None else next(i for i, w in enumerate(words) if w is wrapper.start)
    start = 0 if start is None else start
    lead = next((w.value for w in words[:start] if not _ASSIGN.match(w.value)), None)
    if lead is not None and lead in _NOT_STARTING or words and words[0].value in _NOT_STARTING:
        return None
    launcher, args = launch
    merged = dict(env or {})
    merged.update(exported or {})  # what the script exported before the launch, then the command's own prefixes
    for w in words[:start]:
        m = _ASSIGN.match(w.value)
        if m:
            merged[m.group(1)] = EnvVar(m.group(1), m.group(2) if not any(u.value is None for u in w.variables) else None,
                                        w.span)
    first = words[start]
    d = Deployment(sf.path, kind, f"line {first.span.line}", first.span, image=image, env=merged,
                   base_dir=str(path.parent), host_group=str(path.parent.resolve()))
    if version[0]:
        d.version, d.version_source = version
    if wrapper is not None:
        from vllm_lint.loaders import paddlex

        paddlex.attach(d, wrapper, ctx)
        return d
    attach_args(d, args, launcher, ctx)
    return d


def _via(candidate) -> str | None:
    hops = [h for h in candidate.via if h not in ("exec", "time", "command", "builtin")]
    return " → ".join(hops) if hops else None


def _dockerfile(path: Path, sf, ctx) -> list[Deployment]:
    """A Dockerfile's launches: each stage that sets its own ENTRYPOINT or CMD is an image that can be run;
    its command is read with what it inherits (a ``vllm/vllm-openai`` base runs ``vllm serve`` with the CMD's
    arguments). A Dockerfile that a compose service builds is read with that service instead."""
    from vllm_lint.loaders import dockerfile

    if str(path.resolve()) in ctx.built_dockerfiles:
        return []
    deployments = []
    for image in dockerfile.images(sf, None, getattr(ctx, "vllm_images", ())):
        if not image.own_command:
            continue
        d = image_launch(image, [], None, sf, path, ctx)
        if d is None:
            continue
        # An ENTRYPOINT that starts vLLM with no arguments is a launch when it is this image's own server (a
        # CUDA or Python base that installs vLLM, api_server instead of the base's vllm serve): its ENV and
        # defaults are checked. Re-declaring the vllm/vllm-openai base's own `vllm serve` defines nothing:
        # the model and options come with whatever runs the image.
        if d.args or not (image.vllm_base and d.launcher == "vllm serve"):
            deployments.append(d)
    return deployments


def image_launch(image, entry_override: list[Word] | None, cmd_override: list[Word] | None, sf, path: Path, ctx,
                 kind: str = "script", name: str | None = None, span=None) -> Deployment | None:
    """The launch an image of a Dockerfile runs: its ENTRYPOINT (or ``entry_override``) with its CMD (or
    ``cmd_override``); None when that does not start vLLM."""
    from vllm_lint.loaders.shell_launches import expand_words
    from vllm_lint.loaders.shell_vars import ScriptVariables

    entry = entry_override if entry_override else image.entrypoint
    cmd = cmd_override if cmd_override is not None else image.cmd
    launch = None
    if entry is None and image.vllm_base is not None:
        if cmd:
            launch = "image entrypoint", list(cmd)
    else:
        words = list(entry or []) + list(cmd or [])
        launch = split_launch([], words, None)
        if launch is None and words:
            for candidate in expand_words(words, ScriptVariables({k: v.value for k, v in image.env.items()}), sf):
                launch = split_launch([], candidate.words, None)
                if launch is not None:
                    break
    worker = False
    if launch is None:  # RunPod's worker: main.py builds vllm serve's arguments from the environment
        from vllm_lint.loaders import runpod_worker

        worker = runpod_worker.is_worker_dockerfile(image, sf.text)
        launch = ("vllm serve", []) if worker else None
    if launch is None:
        return None
    anchor = (cmd or entry or [None])[0]
    span = span or (anchor.span if anchor is not None else Span.point(sf.path, image.stage.line))
    d = Deployment(sf.path, kind, name or f"line {span.line}", span, image=image.vllm_base or image.base_image,
                   env=dict(image.env), base_dir=str(path.parent), host_group=str(path.parent.resolve()))
    if image.version:
        d.version, d.version_source = image.version, image.version_source
    if worker:
        from vllm_lint.loaders import runpod_worker

        d.via = f"RunPod worker-vllm: {' '.join(w.value for w in (entry or []) + (cmd or []))} builds vllm serve's arguments from the environment"
        words = runpod_worker.words(d.env, ctx.release(d.version), anchor, span, True, d.notes)
        attach_args(d, words, "vllm serve", ctx)
        return d
    attach_args(d, launch[1], launch[0], ctx)
    return d


def _exports(raw: list[Word], words: list[Word], exported: dict) -> None:
    """``export VLLM_X=value`` / ``declare -x VLLM_X=value``: in the environment of every later command. ``words``
    are the command's words with the script's variables substituted (None: known only at run time)."""
    if not raw or raw[0].value not in ("export", "declare", "typeset") or len(raw) != len(words):
        return
    if raw[0].value != "export" and not any(w.value.startswith("-") and "x" in w.value for w in raw[1:]):
        return
    for w, resolved in zip(raw[1:], words[1:]):
        m = _ASSIGN.match(w.value)
        if not m or not m.group(1).startswith("VLLM_"):
            continue  # vLLM's own variables only: the others (CUDA_VISIBLE_DEVICES) would place alternatives on GPUs
        value = resolved.value.split("=", 1)[1] if "=" in resolved.value and not resolved.variables else None
        name_span = w.span.shifted(w.raw, 0, len(m.group(1))) if w.exact and w.raw == w.value else None
        exported[m.group(1)] = EnvVar(m.group(1), value, w.span, name_span=name_span)
