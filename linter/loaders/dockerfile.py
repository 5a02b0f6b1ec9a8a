"""Dockerfiles: the stages, what each image runs (``ENTRYPOINT`` + ``CMD``, inherited through the stages
and from a ``vllm/vllm-openai`` base, whose ENTRYPOINT is ``vllm serve``), which vLLM it holds (the base
image's tag, ``pip install vllm==X`` / ``uv pip install vllm==X``) and where that came from.

Used for a Dockerfile linted on its own (each stage that sets its own ENTRYPOINT or CMD is an image that can
be run; multi-stage builds, ``ARG VLLM_VERSION`` used in ``FROM``) and for the image a compose service
builds (``build:`` context, ``dockerfile:``, ``target:``, ``args:``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vllm_lint.launch.deployment import EnvVar, Word
from vllm_lint.loaders.command import is_vllm_image, version_from_image, version_from_pip
from vllm_lint.sources import shellwords

_INSTRUCTION = re.compile(r"^[ \t]*([A-Za-z]+)(?:[ \t]+|$)", re.M)
_ARG_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+]([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
#: ``pip install vllm``, ``pip3 install "vllm==0.9.2"``, ``uv pip install vllm[...]``, ``python -m pip install vllm``.
_INSTALLS_VLLM = re.compile(r"\b(?:pip3?|uv\s+pip|python3?\s+-m\s+pip)\s+install\b[^\n;&|]*?(?<![\w.-])[\"']?vllm"
                            r"(?:\[[^\]]*\])?(?:[=<>~!]=?[^\s\"']*)?[\"']?(?=[\s;&|\\]|$)", re.I)


@dataclass
class Instruction:
    keyword: str  # upper case
    text: str  # the arguments, continuations joined as written
    start: int  # offset of the arguments in the file
    end: int
    line: int


@dataclass
class Stage:
    base: str  # as written (ARGs substituted)
    base_written: str
    name: str | None
    index: int
    line: int
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Image:
    """What one stage of a Dockerfile runs, and the vLLM it holds."""

    stage: Stage
    entrypoint: list[Word] | None  # None: inherited from an external base image
    cmd: list[Word] | None
    vllm_base: str | None  # the vllm/vllm-openai (or configured) image at the root of its stages
    installs_vllm: bool
    version: str | None
    version_source: str | None
    env: dict[str, EnvVar] = field(default_factory=dict)
    own_command: bool = False  # the stage itself sets ENTRYPOINT or CMD
    base_image: str = ""  # the external image at the root of its stages
    path: str = ""  # the Dockerfile, as findings name it
    source: object = None  # its SourceFile


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile: comment lines dropped, ``\\`` continuations followed."""
    out = []
    lines = text.splitlines(keepends=True)
    offset = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        start_line, start = i + 1, offset
        stripped = line.strip()
        offset += len(line)
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        body = line
        while body.rstrip("\r\n").endswith("\\") and i < len(lines):
            nxt = lines[i]
            offset += len(nxt)
            i += 1
            if nxt.strip().startswith("#"):
                continue
            body += nxt
        m = _INSTRUCTION.match(body)
        if not m:
            continue
        arg_start = start + m.end()
        out.append(Instruction(m.group(1).upper(), body[m.end():].rstrip(), arg_start, start + len(body.rstrip()), start_line))
    return out


def stages(text: str, build_args: dict[str, str] | None = None) -> list[Stage]:
    """The stages of a Dockerfile, ``FROM`` with the global ``ARG`` defaults (or ``build_args``) substituted."""
    args: dict[str, str | None] = {}
    out: list[Stage] = []
    for ins in instructions(text):
        if ins.keyword == "ARG" and not out:
            for name, value in _arg_defs(ins.text):
                args[name] = (build_args or {}).get(name, value)
            continue
        if ins.keyword == "FROM":
            words = [w for w in ins.text.split() if not w.startswith("--platform")]
            written = words[0] if words else ""
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            out.append(Stage(_substitute(written, args), written, name, len(out), ins.line))
            continue
        if out:
            out[-1].instructions.append(ins)
    return out


def _arg_defs(text: str) -> list[tuple[str, str | None]]:
    out = []
    for part in text.split():
        name, eq, value = part.partition("=")
        out.append((name, value.strip("\"'") if eq else None))
    return out


def _substitute(text: str, args: dict[str, str | None]) -> str:
    def sub(m):
        name = m.group(1) or m.group(3)
        value = args.get(name)
        if value is None and m.group(2) is not None:
            return m.group(2)
        return value if value is not None else m.group(0)
    return _ARG_REF.sub(sub, text)


def images(sf, build_args: dict[str, str] | None = None, vllm_images=()) -> list[Image]:
    """What each stage of the Dockerfile ``sf`` (a SourceFile with its text) runs, in order."""
    text = sf.text
    all_stages = stages(text, build_args)
    by_name = {s.name.lower(): s for s in all_stages if s.name}
    global_args = {}
    for ins in instructions(text):
        if ins.keyword == "FROM":
            break
        if ins.keyword == "ARG":
            for name, value in _arg_defs(ins.text):
                global_args[name] = (build_args or {}).get(name, value)
    out = []
    for stage in all_stages:
        chain = []
        seen = set()
        s = stage
        while s is not None and id(s) not in seen:
            seen.add(id(s))
            chain.append(s)
            s = by_name.get(s.base.lower()) if s.base.lower() in by_name else None
        chain.reverse()  # root first
        root = chain[0].base
        vllm_base = root if is_vllm_image(root, vllm_images) else None
        entry: list[Word] | None = None  # the base image's own
        cmd: list[Word] | None = None
        cmd_stage = None
        installs, version, source = False, None, None
        env: dict[str, EnvVar] = {}
        own = False
        if vllm_base and version_from_image(root):
            version = version_from_image(root)
            written = chain[0].base_written
            how = f"FROM {root}" if written == root else f"FROM {written} = {root} (ARG)"
            source = f"{how} in {sf.path}:{chain[0].line}"
        args = dict(global_args)
        for s in chain:
            for ins in s.instructions:
                if ins.keyword == "ARG":
                    for name, value in _arg_defs(ins.text):
                        args[name] = value if value is not None else args.get(name)
                elif ins.keyword == "RUN":
                    run = _substitute(ins.text, args)
                    if _INSTALLS_VLLM.search(run):
                        installs = True
                        pinned = version_from_pip(run)
                        if pinned:
                            version, source = pinned, f"pip install vllm=={pinned} in {sf.path}:{ins.line}"
                elif ins.keyword == "ENV":
                    for name, value in _env_defs(ins.text):
                        env[name] = EnvVar(name, value, sf.span(ins.start, ins.end))
                elif ins.keyword == "ENTRYPOINT":
                    entry = _command_words(sf, ins)
                    if cmd_stage is not s:
                        cmd = None  # a new ENTRYPOINT resets the CMD an earlier image set
                    own = own or s is stage
                elif ins.keyword == "CMD":
                    cmd, cmd_stage = _command_words(sf, ins), s
                    own = own or s is stage
        out.append(Image(stage, entry, cmd, vllm_base, installs, version, source, env, own, root, sf.path, sf))
    return out


def _env_defs(text: str) -> list[tuple[str, str]]:
    try:
        words = [w.value for w in shellwords.split(text)[0]]
    except shellwords.ShellSyntaxError:
        return []
    if len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # ENV NAME value (legacy form)
    return [tuple(w.split("=", 1)) for w in words if "=" in w]


def _command_words(sf, ins: Instruction) -> list[Word]:
    """The words of ``CMD``/``ENTRYPOINT``: the exec form (a JSON list), or the shell form, which Docker runs
    as ``/bin/sh -c "…"``."""
    text = ins.text.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            items = None
        if isinstance(items, list):
            words, cursor = [], ins.start
            for item in items:
                token = json.dumps(item)
                at = sf.text.find(token, cursor, ins.end + 1)
                span = sf.span(at + 1, at + len(token) - 1) if at >= 0 else sf.span(ins.start, ins.end)
                cursor = at + len(token) if at >= 0 else cursor
                exact = at >= 0 and token == f'"{item}"'
                words.append(Word(str(item), span, str(item) if exact else "", (), at >= 0, "json" if at >= 0 else ""))
            return words
    span = sf.span(ins.start, ins.end)
    return [Word("/bin/sh", span, "", (), False), Word("-c", span, "", (), False),
            Word(sf.text[ins.start:ins.end], span, sf.text[ins.start:ins.end], (), True, "")]
