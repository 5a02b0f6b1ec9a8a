"""vLLM's own ``--config`` YAML files: option names as keys (without ``--``), values as on the
command line; lists are several values. The command line wins over the file, as in vLLM's
``FlexibleArgumentParser``.

Booleans are what the release's loader makes of them (:func:`config_bool_words`): ``key: true`` is the
bare ``--key``; ``key: false`` is dropped before argparse in most releases (so ``enforce_eager: false``
is never "unrecognized arguments: false"), becomes ``--no-key`` where the release registers it, and is
``--key False`` in the oldest ones. A ``false`` is read as an argument that sets the option false
(``Arg.negated``), a ``true`` as the bare flag (value None).
"""
from __future__ import annotations

import json
from pathlib import Path

from packaging.version import Version
from vllm_lint.launch.deployment import Arg, Deployment, Word
from vllm_lint.loaders.context import LoadContext
from vllm_lint.loaders.keyed import read_documents
from vllm_lint.sources.span import Span
from vllm_lint.sources.yamlnodes import YMap, YScalar, YSeq, plain


def read_args(path: Path, ctx: LoadContext) -> list[Arg] | None:
    """The arguments a config file gives, each pointing at its key and value; None if unreadable."""
    sf, docs = read_documents(path, ctx, "vllm-config")
    if docs is None:
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
                args.append(Arg(name, key, None, key_node.span, value.span, subkey, negated=not truth,
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


#: What ``FlexibleArgumentParser._load_config_file`` makes of a YAML boolean, from the first release that
#: does it (read in the sources of every release from 0.6.0 to 0.33.0: vllm/utils.py, from 0.9.2
#: vllm/utils/__init__.py, from 0.11.1 vllm/utils/argparse_utils.py):
#: "str": every value as ``--key str(value)``, so ``--key True`` / ``--key False`` (0.6.0 to 0.6.3.post1);
#: "store-boolean": true is ``--key``, false is dropped, except for an option of action StoreBoolean whose
#: dest is the key as written: ``--key True`` / ``--key False`` (0.6.4 to 0.11.0);
#: "drop": true is ``--key``, false is dropped (0.11.1 to 0.27.1);
#: "no-prefix": true is ``--key``; false is ``--no-key`` when the parser registered that very string,
#: else dropped (0.28.0 on).
CONFIG_BOOLEANS = (("0.6.0", "str"), ("0.6.4", "store-boolean"), ("0.11.1", "drop"), ("0.28.0", "no-prefix"))


def config_bool_behaviour(version: str) -> str | None:
    """The entry of :data:`CONFIG_BOOLEANS` for a release (None before 0.6.0)."""
    found = None
    for since, behaviour in CONFIG_BOOLEANS:
        if Version(version) >= Version(since):
            found = behaviour
    return found


def config_bool_words(arg: Arg, release) -> list[str] | None:
    """The command-line words the release's ``--config`` loader passes for a YAML boolean ``key: true`` /
    ``key: false`` (``[]``: dropped, vLLM never sees it); None when ``arg`` is not a YAML boolean of a
    config file."""
    if arg.origin != "config" or arg.value is not None:
        return None
    key = arg.flag
    truth = not arg.negated
    behaviour = config_bool_behaviour(getattr(release, "name", release.version)) or "str"
    if behaviour == "str":
        return ["--" + key, str(truth)]
    if behaviour == "store-boolean":
        option = release.option("--" + key)
        if option is not None and option.action == "store_boolean" and option.dest == key:
            return ["--" + key, str(truth)]
    if truth:
        return ["--" + key]
    if behaviour == "no-prefix" and release.has_option_string("--no-" + key):
        return ["--no-" + key]
    return []


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
