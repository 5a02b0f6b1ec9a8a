"""vLLM's own ``--config`` YAML files: option names as keys (without ``--``), values as on the
command line; booleans mean a bare flag, lists are several values. The command line wins over the
file, as in vLLM's ``FlexibleArgumentParser``."""
from __future__ import annotations

import json
from pathlib import Path

from vllm_lint.launch.deployment import Arg, Deployment, Word
from vllm_lint.loaders.context import LoadContext
from vllm_lint.sources.source_file import UnreadableFile, read_text
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YamlError, YMap, YScalar, YSeq, load_documents, plain


def read_args(path: Path, ctx: LoadContext) -> list[Arg] | None:
    """The arguments a config file gives, each pointing at its key and value; None if unreadable."""
    sf = ctx.source(path, "vllm-config")
    try:
        sf.text = read_text(path)
        docs = load_documents(sf.text, sf.path)
    except UnreadableFile as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line, exc.column))
        return None
    except YamlError as exc:
        sf.add("unreadable", exc.message, Span.point(sf.path, exc.line or 1, exc.column or 1))
        return None
    root = docs[0] if docs else None
    if not isinstance(root, YMap):
        sf.add("unreadable", "a vLLM config file must be a mapping of option names to values",
               root.span if root is not None else Span.point(sf.path))
        return None
    args = []
    for key, value in root.items():
        key_node = root.key_node(key)
        name = key.replace("_", "-")
        subkey = None
        if "." in name:
            name, subkey = name.split(".", 1)
        if isinstance(value, YScalar):
            if value.tag.endswith(":bool"):
                truth = value.value.lower() in ("true", "yes", "on")
                args.append(Arg(name, key, None if truth else "false", key_node.span, value.span, subkey,
                                origin="config", words=(Word(value.value, value.span, value.value, (), True),)))
                continue
            args.append(Arg(name, key, value.value, key_node.span, value.span, subkey, origin="config",
                            words=(Word(value.value, value.span, sf.text[value.span.start:value.span.end], (), True),)))
        elif isinstance(value, YSeq):
            args.append(Arg(name, key, " ".join(str(plain(v)) for v in value.items), key_node.span, value.span,
                            subkey, origin="config"))
        else:
            args.append(Arg(name, key, json.dumps(plain(value)), key_node.span, value.span, subkey, origin="config"))
    return args


def load(path: Path, ctx: LoadContext) -> list[Deployment]:
    """A config file on its own is a launch template: lint it as ``vllm serve --config FILE``."""
    args = read_args(path, ctx)
    if args is None:
        return []
    sf = ctx.source(path, "vllm-config")
    d = Deployment(sf.path, "vllm-config", Path(sf.path).name, Span.point(sf.path), launcher="vllm serve",
                   config_file=sf.path, base_dir=str(path.parent))
    d.args.extend(args)
    return [d]
