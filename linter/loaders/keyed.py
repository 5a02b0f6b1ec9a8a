"""What the formats that do not write a command line share: options written as keys, GPUs written as
``TYPE:COUNT``, YAML held in a string, and scripts held in a YAML value.

Operators and platforms (the production-stack chart, KubeAI, KServe, Ray Serve, SkyPilot, dstack, Truss) build
vLLM's command line from their own keys. A loader here makes the words that command line would have, each
placed on the key or value it comes from, so that a finding points at the line of the file that produced it:

- the flag of a key (``maxModelLen`` → ``--max-model-len``) sits on the key and is never rewritten by a fix
  (its text is not the flag);
- its value sits on the value as written: a plain or quoted scalar can be rewritten (``--fix`` edits the
  YAML value), a mapping or list given as JSON cannot;
- a boolean is a bare flag (``true``) or its ``--no-`` form (``false``, where the release has one; otherwise
  ``false`` is the default and nothing is passed), as vLLM's ``EngineArgs`` reads a keyword;
- a value known only at run time is a :class:`VarUse` with value None, kind ``"shell"`` (no rule validates it).
"""
from __future__ import annotations

import json
import re
from dataclasses import replace

from vllm_lint.launch.deployment import Deployment, EnvVar, VarUse, Word
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, YMap, YNode, YScalar, YSeq, load_documents, typed

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def flag_of(key: str) -> str:
    """``tensor_parallel_size`` / ``tensorParallelSize`` / ``tensor-parallel-size`` → ``--tensor-parallel-size``."""
    return "--" + _CAMEL.sub(r"-\1", key).lower().replace("_", "-")


def get(node: YNode | None, *keys: str) -> YNode | None:
    for key in keys:
        if not isinstance(node, YMap):
            return None
        node = node.get(key)
    return node


def text(node: YNode | None) -> str | None:
    """A scalar's value (None for null, a mapping or a list)."""
    if isinstance(node, YScalar) and not node.is_null:
        return str(node.value)
    return None


def is_true(node: YNode | None) -> bool:
    return isinstance(node, YScalar) and str(node.value).strip().lower() in ("true", "yes", "on", "1")


def is_bool(node: YNode | None) -> bool:
    return isinstance(node, YScalar) and node.tag.endswith(":bool")


def number(node: YNode | None) -> int | None:
    try:
        return int(str(node.value).strip().strip('"\'')) if isinstance(node, YScalar) else None
    except ValueError:
        return None


def key_span(mapping: YMap, key: str) -> Span:
    k = mapping.key_node(key)
    return k.span if k is not None else mapping.span


def flag_word(flag: str, span: Span) -> Word:
    """A flag that is not written as such (a key, a default of the platform): located, never rewritten."""
    return Word(flag, span, "", (), False, "")


def value_word(node: YScalar, sf) -> Word:
    """The value of a key as a word that a fix can rewrite in place (not a list item: nothing is inserted
    after it)."""
    from vllm_lint.loaders.common import scalar_words

    word = scalar_words(node, sf, None, split=False)[0][0]
    return replace(word, item_span=None)


def literal_word(value: str, span: Span) -> Word:
    """A value the loader composes (``/mnt/models``, a JSON object): placed, not rewritable."""
    return Word(value, span, "", (), False, "")


def sub_word(node: YScalar, sf, prefix: str) -> Word:
    """The part of a scalar after ``prefix`` (``Qwen/Qwen3-8B`` of ``hf://Qwen/Qwen3-8B``), placed on its own
    characters when the scalar is written on one line; not rewritten by a fix (it is part of another value)."""
    if not prefix:
        return value_word(node, sf)
    value = str(node.value)[len(prefix):]
    span = node.span
    if span.start is not None and span.line == span.end_line and node.style in (None, "", "'", '"'):
        written = sf.text[span.start:span.end]
        at = written.find(str(node.value))
        if at >= 0 and "\\" not in written:
            start = span.start + at + len(prefix)
            return Word(value, sf.span(start, start + len(value)), value, (), True, "")
    return literal_word(value, span)


def option_words(flag: str, key: Span, value: YNode | None, sf, release) -> list[Word]:
    """The words ``--flag value`` for a key and its value (see the module docstring for booleans, lists and
    mappings); [] for a null value (the key is unset)."""
    if value is None or isinstance(value, YScalar) and value.is_null:
        return []
    if is_bool(value):
        if is_true(value):
            return [flag_word(flag, key)]
        negated = "--no-" + flag[2:]
        if release is None or release.option(negated) is not None:
            return [flag_word(negated, key)]
        return []  # a store_true flag: false is its default, nothing is passed
    if isinstance(value, YScalar):
        return [flag_word(flag, key), value_word(value, sf)]
    option = release.option(flag) if release is not None else None
    if isinstance(value, YSeq) and option is not None and getattr(option, "nargs", None) in ("+", "*") \
            and all(isinstance(v, YScalar) for v in value.items):
        return [flag_word(flag, key), *(value_word(v, sf) for v in value.items)]
    return [flag_word(flag, key), literal_word(json.dumps(typed(value), separators=(",", ":")), value.span)]


def mapping_words(mapping: YMap | None, sf, release, skip=()) -> list[Word]:
    """``engine_kwargs`` / ``vllmConfig``-like mappings: every key an option."""
    words: list[Word] = []
    if not isinstance(mapping, YMap):
        return words
    for key, value in mapping.items():
        if key in skip:
            continue
        words += option_words(flag_of(str(key)), key_span(mapping, key), value, sf, release)
    return words


def unknown_word(value: str, span: Span, name: str) -> Word:
    """A value known only at run time: every rule skips it."""
    return Word(value, span, "", (VarUse(name, span, None, kind="shell"),), False, "")


def env_mapping(node: YNode | None, *, secret: bool = False) -> dict[str, EnvVar]:
    """``{NAME: value}`` (SkyPilot ``envs``, Truss ``environment_variables``, Ray ``env_vars``): a null value is
    one given at launch time (unknown)."""
    env: dict[str, EnvVar] = {}
    if isinstance(node, YMap):
        for key, value in node.items():
            k = node.key_node(key)
            env[str(key)] = EnvVar(str(key), text(value) if not secret else None, value.span if value is not None else k.span,
                                   from_secret=secret, name_span=k.span if k is not None else None)
    return env


def env_list(node: YNode | None) -> dict[str, EnvVar]:
    """``["NAME=value", "NAME"]`` (dstack ``env``): a bare name is taken from the environment of whoever
    applies the configuration (unknown here)."""
    env: dict[str, EnvVar] = {}
    if isinstance(node, YSeq):
        for item in node.items:
            raw = text(item)
            if raw is None:
                continue
            name, eq, value = raw.partition("=")
            name = name.strip()
            if not name:
                continue
            name_span = item.span if not eq else Span(item.span.path, item.span.line, item.span.column, item.span.line,
                                                       item.span.column + len(name), item.span.start,
                                                       None if item.span.start is None else item.span.start + len(name))
            env[name] = EnvVar(name, value if eq else None, item.span, name_span=name_span if item.style in (None, "") else None)
    elif isinstance(node, YMap):
        env = env_mapping(node)
    return env


# -- GPUs written as TYPE:COUNT -----------------------------------------------------------------------------
_MEMORY = re.compile(r"^\d+(?:\.\d+)?\s*(?:[KMGT]i?B?)?(?:\.\.(?:\d+(?:\.\d+)?\s*(?:[KMGT]i?B?)?)?)?$", re.IGNORECASE)
_COUNT = re.compile(r"^\d+$")
_RANGE = re.compile(r"^\d*\.\.\d*$")


def accelerator(spec: str) -> tuple[list[str], int | None, bool]:
    """(GPU names, count, count known) of ``A100:2``, ``L4``, ``8:H200``, ``A100:40GB:2``, ``H100,A100:2``,
    ``24GB..:1..2``: names are what is not a memory size or a count; a range of counts is unknown."""
    names: list[str] = []
    count: int | None = None
    known = True
    for part in str(spec).split(":"):
        part = part.strip()
        if not part:
            continue
        if _COUNT.match(part):
            count = int(part)
        elif _RANGE.match(part):
            known = False
        elif _MEMORY.match(part) and not part.isalpha():
            continue
        else:
            names.extend(n.strip() for n in part.split(",") if n.strip())
    if count is None and known:
        count = 1
    return names, count if known else None, known


def gpu_name(name: str) -> str:
    """A platform's GPU name as the GPU table knows it: ``A100-80GB`` and ``A100_80GB`` (SkyPilot, Truss), Ray's
    ``A100-80G``, KubeAI's ``a100-80gb``."""
    from vllm_lint.hardware.gpu import find_gpu

    for candidate in (name, name.replace("_", " "), re.sub(r"(\d+)G$", r"\1GB", name), name.replace("-", " ")):
        gpu = find_gpu(candidate)
        if gpu is not None:
            return gpu.id
    return name


def smallest(names: list[str]) -> str | None:
    """The candidate GPU with the least memory (the one every memory check must pass on); the first one when
    none is known."""
    from vllm_lint.hardware.gpu import find_gpu

    known = [(find_gpu(gpu_name(n)), n) for n in names]
    rated = [(g.memory_mib, i, n) for i, (g, n) in enumerate(known) if g is not None]
    if rated:
        return gpu_name(min(rated)[2])
    return names[0] if names else None


# -- YAML inside a string ------------------------------------------------------------------------------------
def embedded_documents(node: YScalar, sf) -> list[YNode | None] | None:
    """The YAML documents a string holds (``serveConfigV2: |``, a ConfigMap's data), with the spans of the
    file: exact for a literal block (``|``), whose lines are the file's lines less their indentation; the
    whole string's span otherwise. None when the string is not YAML."""
    value = str(node.value)
    try:
        docs = load_documents(value, sf.path)
    except (YamlError, RecursionError, ValueError):
        return None
    mapper = _line_mapper(node, sf, value)
    _remap(docs, mapper, node.span, sf)
    return docs


def _line_mapper(node: YScalar, sf, value: str):
    """inner offset -> file offset, or None when the lines cannot be matched one to one."""
    if node.style != "|" or node.span.start is None:
        return None
    text = sf.text
    first = text.find("\n", node.span.start)
    if first < 0:
        return None
    lines = value.split("\n")
    starts = sf.line_starts
    line0 = sf.position(first + 1)[0] - 1  # 0-based index of the first content line
    indent = None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if line0 + i >= len(starts):
            return None
        outer = sf.line_text(line0 + i + 1)
        if indent is None:
            indent = len(outer) - len(outer.lstrip(" "))
        if outer[indent:] != line:
            return None
    if indent is None:
        return None
    inner_starts = [0]
    for line in lines[:-1]:
        inner_starts.append(inner_starts[-1] + len(line) + 1)

    def mapped(offset: int) -> int:
        import bisect

        i = bisect.bisect_right(inner_starts, offset) - 1
        return starts[line0 + i] + indent + (offset - inner_starts[i])

    return mapped


def _remap(docs, mapper, whole: Span, sf) -> None:
    stack = [d for d in docs if d is not None]
    while stack:
        n = stack.pop()
        if mapper is not None and n.span.start is not None:
            try:
                n.span = sf.span(mapper(n.span.start), mapper(max(n.span.end - 1, n.span.start)) + (1 if n.span.end > n.span.start else 0))
            except IndexError:
                n.span = whole
        else:
            n.span = whole
            if isinstance(n, YScalar):
                n.style = "embedded"  # its text is not at its span: value_word gives no rewritable word
        if isinstance(n, YMap):
            for k, v in n.entries.values():
                stack.append(k)
                stack.append(v)
        elif isinstance(n, YSeq):
            stack.extend(n.items)


# -- scripts held in a YAML value ----------------------------------------------------------------------------
def script_commands(node: YNode | None, sf) -> list[list[Word]]:
    """The commands of a script written as a YAML string (``run: |``) or a list of them (dstack ``commands``),
    each word placed on its characters in the file where it can be found."""
    from vllm_lint.loaders.common import scalar_words

    out: list[list[Word]] = []
    items = node.items if isinstance(node, YSeq) else [node] if node is not None else []
    for item in items:
        if isinstance(item, YScalar) and not item.is_null:
            out.extend(c for c in scalar_words(item, sf, None, split=True, script=True) if c)
    return out


def script_launches(commands: list[list[Word]], sf, path, ctx, *, kind: str, environment: dict[str, EnvVar],
                    image: str | None = None, version: tuple = (None, None)) -> list[Deployment]:
    """The launches a script starts, read by the script machinery (:mod:`.shell_vars`, :mod:`.shell_launches`):
    ``environment`` is what the platform sets before the script runs."""
    from vllm_lint.loaders.script import launch_of
    from vllm_lint.loaders.shell_launches import candidates
    from vllm_lint.loaders.shell_vars import walk_script

    values = {name: var.value for name, var in environment.items()}
    out = []
    for step in walk_script(commands, values):
        for candidate in candidates(step, sf):
            if candidate.container is not None:
                from vllm_lint.loaders import docker_run

                d = docker_run.deployment(candidate, sf, path, ctx)
            else:
                d = launch_of(candidate.words, sf, path, ctx, None, image, kind=kind, env=environment, version=version)
            if d is not None:
                hops = [h for h in candidate.via if h not in ("exec", "nohup", "time", "command", "builtin")]
                if hops:
                    d.notes.append(f"started through {' → '.join(hops)}")
                out.append(d)
    return out


def version_of_image(d: Deployment, image: str | None, span: Span | None, how: str | None = None) -> None:
    """Set the launch's image and, when its tag names a release, its vLLM version."""
    from vllm_lint.loaders.command import version_from_image

    d.image, d.image_span = image, span
    version = version_from_image(image)
    if version:
        d.version, d.version_source = version, how or f"image tag {image}"


def read_documents(path, ctx, kind: str):
    """(source file, its YAML documents), or (source file, None) with the reason recorded as a problem when
    the file cannot be read or parsed: the preamble of every loader of a YAML format."""
    from vllm_lint.sources.source_file import UnreadableFile, read_text
    from vllm_lint.sources.yamlnodes import YamlError, load_documents

    sf = ctx.source(path, kind)
    try:
        sf.text = read_text(path)
        return sf, load_documents(sf.text, sf.path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
    except YamlError as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line or 1, exc.column or 1))
    return sf, None
