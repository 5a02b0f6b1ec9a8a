"""Build knowledge/vllm/{architectures,parsers,quantization}.yaml from vLLM release sources.

Reads the extracted source tree of every vLLM release under ``--src`` (one folder per release,
``<src>/0.11.0/vllm/...``, as ``fetch_vllm_sources.py`` extracts them) *statically*: vLLM is never
imported, every fact comes from ``ast`` parsing of the release's own files.

architectures.yaml
    The keys of the model-registry dicts of each release: ``_TEXT_GENERATION_MODELS``,
    ``_EMBEDDING_MODELS``, ``_CROSS_ENCODER_MODELS``, ``_MULTIMODAL_MODELS``,
    ``_SPECULATIVE_DECODING_MODELS``, ``_TRANSFORMERS_*_MODELS``, ... in
    ``vllm/model_executor/models/registry.py`` (``vllm/model_executor/models/__init__.py`` with
    ``_GENERATION_MODELS``/``_CONDITIONAL_GENERATION_MODELS`` before the registry module existed).
    ``kind`` comes from the dict name (``DICT_KINDS``; an unknown ``_*_MODELS`` dict of
    ``(module, class)`` tuples stops the build so that it gets mapped). Also the
    ``_PREVIOUSLY_SUPPORTED_MODELS`` and ``_OOT_SUPPORTED_MODELS`` tables (dropped architectures
    and the plugins that now serve them).

parsers.yaml
    ``--reasoning-parser`` and ``--tool-call-parser`` names of each release:
    ``@ReasoningParserManager.register_module("a")`` / ``register_module(["a", "b"])`` decorators,
    ``register_lazy_module(...)`` calls with literal names and the lazy tables
    ``_REASONING_PARSERS_TO_REGISTER`` / ``_TOOL_PARSERS_TO_REGISTER`` in ``vllm/reasoning/``,
    ``vllm/entrypoints/openai/reasoning_parsers/``, ``vllm/tool_parsers/`` and
    ``vllm/entrypoints/openai/tool_parsers/``; before any registry existed (0.6.0) the ``choices``
    of ``--tool-call-parser`` in ``vllm/entrypoints/openai/cli_args.py``. ``tool_formats`` and
    ``families`` (which parsers vLLM's documentation names for a chat template's tool-call format and
    for a model family) are not in the release sdists (they ship no ``docs/``): they are kept by hand
    at the end of the file, each with the docs page, test or template it cites, and regenerating
    keeps that part verbatim (``KEPT_FROM``).

quantization.yaml
    ``--quantization`` names of each release (keys of the ``QUANTIZATION_METHODS`` dict, or the
    ``QuantizationMethods`` Literal from which ``QUANTIZATION_METHODS`` is built) with
    ``DEPRECATED_QUANTIZATION_METHODS``; per method the config class (the dict value, or
    ``method_to_config`` in ``get_quantization_config``), resolved through the file's imports to
    its module, and the return value of its ``get_min_capability`` classmethod (following base
    classes). A return that is not an integer literal is recorded as a ``note`` with the code.
    ``fp8_marlin``: whether Fp8LinearMethod falls back to the weight-only FP8 Marlin kernel
    (W8A16) below compute capability 8.9, per tensor and for block-wise checkpoints, read from
    ``fp8.py`` (``use_marlin = capability < 89`` / ``not has_device_capability(89)``; ``if
    block_quant: use_marlin = False``) or, from the kernel-selection rewrite on,
    ``MarlinFP8ScaledMMLinearKernel`` in ``_POSSIBLE_FP8_KERNELS`` / ``_POSSIBLE_FP8_BLOCK_KERNELS``
    of ``vllm/model_executor/kernels/linear/__init__.py``.

Ranges. Releases are sorted with ``packaging.version``. ``since`` is the first release under
``--src`` that has the fact, ``until`` the first later release that no longer has it (absent: still
present in the newest release). Architectures and parsers carry ``since``/``until`` of their whole
life; when one disappears and comes back, ``ranges`` lists every ``{since, until}`` stretch (and
``since``/``until`` span them all). Quantization facts are lists of entries, one per stretch of
releases with the same value.

Output is deterministic (sorted keys, no timestamps)::

    python knowledge/tools/build_vllm_registry.py --src SRC --out knowledge/vllm

Needs only the standard library, PyYAML and packaging (for the version order).
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml
from packaging.version import InvalidVersion, Version

SCRIPT = "knowledge/tools/build_vllm_registry.py"

# --------------------------------------------------------------------------- helpers


def releases_under(src: Path) -> list[str]:
    out = []
    for p in src.iterdir():
        if not (p / "vllm").is_dir():
            continue
        try:
            Version(p.name)
        except InvalidVersion:
            continue
        out.append(p.name)
    return sorted(out, key=Version)


def parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        print(f"warning: cannot parse {path}: {exc}", file=sys.stderr)
        return None


def assigned_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def strings(node: ast.AST | None) -> list[str] | None:
    """A string literal or a list/tuple of them, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return [e.value for e in node.elts]
    return None


def ranges(present: list[str], releases: list[str]) -> list[dict]:
    """Stretches of consecutive releases (in ``releases`` order) found in ``present``."""
    have = set(present)
    out: list[dict] = []
    current: dict | None = None
    for r in releases:
        if r in have and current is None:
            current = {"since": r}
            out.append(current)
        elif r not in have and current is not None:
            current["until"] = r
            current = None
    return out


def life(present: list[str], releases: list[str]) -> dict:
    """{since, until?} over the whole life, plus ``ranges`` when there is a gap."""
    spans = ranges(present, releases)
    entry = {"since": spans[0]["since"]}
    if "until" in spans[-1]:
        entry["until"] = spans[-1]["until"]
    if len(spans) > 1:
        entry["ranges"] = spans
    return entry


def span_text(rels: list[str]) -> str:
    return rels[0] if len(rels) == 1 else f"{rels[0]} to {rels[-1]}"


def files_read(used: dict[str, list[str]]) -> list[str]:
    """Header lines: each file read, with the releases it was read in."""
    return [f"#   {path} ({span_text(rels)})" for path, rels in sorted(used.items())]


class Str(str):
    """A string YAML always quotes (versions such as 0.10 must stay strings)."""


class Flow(dict):
    """A mapping written on one line: {since: "0.6.0", kind: generation}."""


class FlowList(list):
    """A list written on one line."""


class Dumper(yaml.SafeDumper):
    pass


Dumper.add_representer(Str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))
Dumper.add_representer(Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True))
Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))

VERSION_KEYS = {"since", "until", "last_supported"}
FLOW_LIMIT = 160  # leaf mappings up to about this many characters go on one line


def styled(obj, key: str = ""):
    """Quote versions; write short leaf mappings and lists of scalars in flow style."""
    if isinstance(obj, dict):
        out = {k: (Str(v) if (k in VERSION_KEYS or k.endswith("_since")) and isinstance(v, str) else styled(v, k))
               for k, v in obj.items()}
        leaf = all(not isinstance(v, (dict, list)) or isinstance(v, FlowList) for v in out.values())
        return Flow(out) if leaf and len(repr(obj)) <= FLOW_LIMIT else out
    if isinstance(obj, list):
        items = [styled(v) for v in obj]
        if all(not isinstance(v, (dict, list)) for v in items):
            return FlowList(Str(v) if key == "releases" else v for v in items)
        if all(isinstance(v, Flow) for v in items) and len(repr(obj)) <= FLOW_LIMIT:
            return FlowList(items)
        return items
    return obj


def write_yaml(path: Path, header: list[str], data: dict) -> None:
    text = yaml.dump(styled(data), Dumper=Dumper, sort_keys=False, width=140, allow_unicode=True)
    path.write_text("\n".join(header) + "\n" + text, encoding="utf-8")


# --------------------------------------------------------------------------- architectures

REGISTRY_FILES = ("vllm/model_executor/models/registry.py", "vllm/model_executor/models/__init__.py")
DICT_KINDS = {
    "_GENERATION_MODELS": "generation",
    "_TEXT_GENERATION_MODELS": "generation",
    "_CONDITIONAL_GENERATION_MODELS": "generation",  # encoder-decoder (BART) in 0.6.0
    "_MULTIMODAL_MODELS": "multimodal",
    "_EMBEDDING_MODELS": "embedding",
    "_LATE_INTERACTION_MODELS": "embedding",
    "_REWARD_MODELS": "embedding",
    "_TOKEN_CLASSIFICATION_MODELS": "embedding",
    "_CROSS_ENCODER_MODELS": "cross-encoder",
    "_SEQUENCE_CLASSIFICATION_MODELS": "cross-encoder",
    "_SPECULATIVE_DECODING_MODELS": "speculative",
    "_TRANSFORMERS_MODELS": "transformers-backend",
    "_TRANSFORMERS_SUPPORTED_MODELS": "transformers-backend",
    "_TRANSFORMERS_BACKEND_MODELS": "transformers-backend",
}
# Not served architectures: unions of the dicts above, dropped models, plugins, platform lists.
NOT_SERVED = {"_VLLM_MODELS", "_MODELS", "_PREVIOUSLY_SUPPORTED_MODELS", "_OOT_MODELS", "_OOT_SUPPORTED_MODELS",
              "_ROCM_UNSUPPORTED_MODELS", "_ROCM_PARTIALLY_SUPPORTED_MODELS"}


def read_registry(root: Path) -> dict | None:
    for rel in REGISTRY_FILES:
        tree = parse(root / rel) if (root / rel).is_file() else None
        if tree is None:
            continue
        archs: dict[str, tuple[str, str, str]] = {}  # arch -> (kind, dict, module)
        dicts: list[str] = []
        previously: dict[str, str] = {}
        oot: dict[str, str] = {}
        for node in tree.body:
            for name in assigned_names(node):
                value = node.value
                if not (name.startswith("_") and name.endswith("_MODELS")) or not isinstance(value, ast.Dict):
                    continue
                literal = [(k.value, v) for k, v in zip(value.keys, value.values) if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                if name == "_PREVIOUSLY_SUPPORTED_MODELS":
                    previously.update({k: v.value for k, v in literal if isinstance(v, ast.Constant)})
                    continue
                if name == "_OOT_SUPPORTED_MODELS":
                    oot.update({k: v.value for k, v in literal if isinstance(v, ast.Constant)})
                    continue
                if name in NOT_SERVED:
                    continue
                if name not in DICT_KINDS:
                    raise SystemExit(f"{root / rel}: unknown registry dict {name}; map it in DICT_KINDS")
                dicts.append(name)
                for arch, v in literal:
                    module = v.elts[0].value if isinstance(v, ast.Tuple) and v.elts and isinstance(v.elts[0], ast.Constant) else ""
                    archs.setdefault(arch, (DICT_KINDS[name], name, module))  # first dict in file order wins
        if archs:
            return {"file": rel, "archs": archs, "dicts": dicts, "previously": previously, "oot": oot}
    return None


def read_each_release(src: Path, releases: list[str], read, missing: str) -> dict[str, dict]:
    """release -> what ``read`` finds in its unpacked source; releases where it finds nothing are left
    out with a warning (``missing`` says what was not there)."""
    per: dict[str, dict] = {}
    for r in releases:
        found = read(src / r)
        if found is None:
            print(f"warning: {r}: {missing}", file=sys.stderr)
            continue
        per[r] = found
    return per


def build_architectures(src: Path, releases: list[str]) -> tuple[dict, list[str], dict]:
    per = read_each_release(src, releases, read_registry, "no model registry found")
    used: dict[str, list[str]] = defaultdict(list)
    for r, reg in per.items():
        used[reg["file"]].append(r)
    ordered = [r for r in releases if r in per]
    table: dict[str, dict] = {}
    for arch in sorted({a for reg in per.values() for a in reg["archs"]}):
        present = [r for r in ordered if arch in per[r]["archs"]]
        entry = life(present, ordered)
        table[arch] = {"since": entry["since"], **({"until": entry["until"]} if "until" in entry else {}),
                       "kind": per[present[-1]]["archs"][arch][0], **({"ranges": entry["ranges"]} if "ranges" in entry else {})}
    sources: dict[str, dict] = {}
    for name in sorted({d for reg in per.values() for d in reg["dicts"]}):
        present = [r for r in ordered if name in per[r]["dicts"]]
        files = sorted({per[r]["file"] for r in present})
        sources[name] = {"kind": DICT_KINDS[name], **life(present, ordered), "file": ", ".join(files)}
    previously: dict[str, dict] = {}
    for arch in sorted({a for reg in per.values() for a in reg["previously"]}):
        present = [r for r in ordered if arch in per[r]["previously"]]
        previously[arch] = {"last_supported": per[present[-1]]["previously"][arch], **life(present, ordered)}
    oot: dict[str, dict] = {}
    for arch in sorted({a for reg in per.values() for a in reg["oot"]}):
        present = [r for r in ordered if arch in per[r]["oot"]]
        oot[arch] = {"plugin": per[present[-1]]["oot"][arch], **life(present, ordered)}
    header = [
        "# Model architectures (config.json `architectures`) each vLLM release serves, read from its model registry.",
        f"# Generated by {SCRIPT} (do not edit by hand) from the release sources, files read:",
        *files_read(used),
        "# architectures: since = first release with it; until = first later release without it (absent: still in the",
        "# newest release); ranges = every {since, until} stretch, only when it disappeared and came back (since/until",
        "# then span all stretches: check ranges). kind = the registry dict that lists it (first dict in file order, in",
        "# the newest release that has it); `registry_dicts` maps dict names to kinds.",
        "# previously_supported: _PREVIOUSLY_SUPPORTED_MODELS (last_supported = vLLM's own value: the last release",
        "# that served it); out_of_tree: _OOT_SUPPORTED_MODELS (dropped from the tree, served by the named plugin).",
    ]
    data = {"schema": "vllm-architectures/1", "releases": ordered, "registry_dicts": sources, "architectures": table,
            "previously_supported": previously, "out_of_tree": oot}
    return data, header, {r: per[r]["archs"] for r in ordered}


# --------------------------------------------------------------------------- parsers

PARSER_DIRS = {
    "reasoning": ("vllm/reasoning", "vllm/entrypoints/openai/reasoning_parsers"),
    "tool": ("vllm/tool_parsers", "vllm/entrypoints/openai/tool_parsers"),
}
MANAGERS = {"ReasoningParserManager": "reasoning", "ToolParserManager": "tool"}
LAZY_TABLES = {"_REASONING_PARSERS_TO_REGISTER": "reasoning", "_TOOL_PARSERS_TO_REGISTER": "tool"}
CLI_ARGS = ("vllm/entrypoints/openai/cli_args.py",)


def manager_call(node: ast.AST, method: str) -> str | None:
    """'reasoning'/'tool' if node is <Reasoning|Tool>ParserManager.<method>(...)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        return MANAGERS.get(name)
    return None


def kwarg(call: ast.Call, name: str) -> ast.AST | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def read_parsers(root: Path) -> tuple[dict[str, dict[str, dict]], set[str]]:
    """{'reasoning'|'tool': {name: {source, class}}}, files read."""
    found: dict[str, dict[str, dict]] = {"reasoning": {}, "tool": {}}
    read: set[str] = set()
    for kind, dirs in PARSER_DIRS.items():
        for d in dirs:
            base = root / d
            if not base.is_dir():
                continue
            for path in sorted(base.rglob("*.py")):
                rel = path.relative_to(root).as_posix()
                text = path.read_text(encoding="utf-8", errors="replace")
                if "register_module" not in text and "register_lazy_module" not in text and "_TO_REGISTER" not in text:
                    continue
                tree = parse(path)
                if tree is None:
                    continue
                read.add(rel)
                for node in ast.walk(tree):
                    # decorators: @XParserManager.register_module("a") / (["a", "b"]) / (name=...) / ()
                    if isinstance(node, ast.ClassDef):
                        for dec in node.decorator_list:
                            which = manager_call(dec, "register_module")
                            if which is None:
                                continue
                            names = strings(dec.args[0] if dec.args else kwarg(dec, "name")) or [node.name]
                            for n in names:
                                found[which].setdefault(n, {"source": rel, "class": node.name})
                    # XParserManager.register_module(module=C, name="a") as a plain call
                    elif isinstance(node, ast.Expr) and (which := manager_call(node.value, "register_module")):
                        call = node.value
                        names = strings(kwarg(call, "name"))
                        mod = kwarg(call, "module") or (call.args[1] if len(call.args) > 1 else None)
                        cls = mod.id if isinstance(mod, ast.Name) else ""
                        for n in names or ([cls] if cls else []):
                            found[which].setdefault(n, {"source": rel, "class": cls})
                    # XParserManager.register_lazy_module("a", "vllm.x.y", "C") with literal names
                    elif isinstance(node, ast.Call) and (which := manager_call(node, "register_lazy_module")):
                        args = list(node.args) + [None] * 3
                        n = strings(args[0] or kwarg(node, "name"))
                        mp = strings(args[1] or kwarg(node, "module_path"))
                        cn = strings(args[2] or kwarg(node, "class_name"))
                        if n and mp:
                            src = mp[0].replace(".", "/") + ".py"
                            for name in n:
                                found[which].setdefault(name, {"source": src, "class": cn[0] if cn else ""})
                    # lazy tables: {"name": ("file_name", "ClassName"), ...}
                    for name in assigned_names(node):
                        if name in LAZY_TABLES and isinstance(node.value, ast.Dict):
                            pkg = Path(rel).parent.as_posix()
                            for k, v in zip(node.value.keys, node.value.values):
                                key, val = strings(k), strings(v)
                                if key and val:
                                    src = f"{pkg}/{val[0]}.py" if "." not in val[0] else val[0].replace(".", "/") + ".py"
                                    found[LAZY_TABLES[name]].setdefault(key[0], {"source": src, "class": val[1] if len(val) > 1 else ""})
    if not found["tool"]:
        # 0.6.0: no registry; the parsers are the argparse choices of --tool-call-parser
        for rel in CLI_ARGS:
            tree = parse(root / rel) if (root / rel).is_file() else None
            if tree is None:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument" \
                        and node.args and strings(node.args[0]) == ["--tool-call-parser"]:
                    read.add(rel)
                    for n in strings(kwarg(node, "choices")) or []:
                        found["tool"].setdefault(n, {"source": f"{rel} --tool-call-parser choices", "class": ""})
    return found, read


#: The hand-kept part of parsers.yaml starts at this line (tool_formats, families: what vLLM's documentation, tests
#: and example templates say, each with its source; tests/test_parser_families.py checks them against the generated
#: tables). Regenerating keeps it verbatim, comments included.
KEPT_FROM = "# tool_formats:"


def kept_part(path: Path) -> str:
    """The hand-kept tail of an existing parsers.yaml ('' when there is none)."""
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    at = text.find("\n" + KEPT_FROM)
    return text[at + 1:] if at >= 0 else ""


def build_parsers(src: Path, releases: list[str]) -> tuple[dict, list[str]]:
    per: dict[str, dict] = {}
    used: dict[str, list[str]] = defaultdict(list)
    for r in releases:
        found, read = read_parsers(src / r)
        per[r] = found
        for f in read:
            used[f].append(r)
    out: dict = {"schema": "vllm-parsers/1", "releases": releases}
    for kind, key in (("reasoning", "reasoning_parsers"), ("tool", "tool_call_parsers")):
        table = {}
        for name in sorted({n for f in per.values() for n in f[kind]}):
            present = [r for r in releases if name in per[r][kind]]
            first, last = per[present[0]][kind][name], per[present[-1]][kind][name]
            entry = life(present, releases)
            item = {"since": entry["since"], **({"until": entry["until"]} if "until" in entry else {}), "source": first["source"]}
            if last["source"] != first["source"]:
                item["latest_source"] = last["source"]
            if last["class"]:
                item["class"] = last["class"]
            if "ranges" in entry:
                item["ranges"] = entry["ranges"]
            table[name] = item
        out[key] = table
    header = [
        "# --reasoning-parser and --tool-call-parser names each vLLM release registers, read from its sources.",
        f"# Generated by {SCRIPT} (do not edit by hand) from the release sources, files read:",
        *files_read(used),
        "# since = first release that registers the name; until = first later release that does not (absent: still in the",
        "# newest release); ranges only when a name disappeared and came back. source = the parser module in the first",
        "# release (latest_source when it moved), class = the class registered in the newest release that has it.",
        "# Registration forms read: @XParserManager.register_module(name | [names]), register_lazy_module(...) with literal",
        "# names, the _REASONING_PARSERS_TO_REGISTER / _TOOL_PARSERS_TO_REGISTER tables, and (0.6.0, no registry) the",
        "# choices of --tool-call-parser. Not included: the unified vllm/parser ParserManager (0.16.0 to 0.22.1), which",
        "# registers no --reasoning-parser/--tool-call-parser name.",
        "# tool_formats and families (below the generated tables, kept by hand): which parsers vLLM's documentation names",
        "# for a chat template's tool-call format and for a model family. The sdists ship no docs/, so each cites the",
        "# vllm-project/vllm docs page, test or example template at a commit; each parser's since/until is the one of",
        "# the tables above (tests/test_parser_families.py checks it).",
    ]
    return out, header


# --------------------------------------------------------------------------- quantization

QUANT_INIT = "vllm/model_executor/layers/quantization/__init__.py"
QUANT_PKG = "vllm.model_executor.layers.quantization"
FP8_FILE = "vllm/model_executor/layers/quantization/fp8.py"
KERNELS_INIT = "vllm/model_executor/kernels/linear/__init__.py"


def module_file(root: Path, module: str) -> Path | None:
    base = root / module.replace(".", "/")
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def imports_of(tree: ast.AST, package: str) -> dict[str, tuple[str, str]]:
    """local name -> (absolute module, original name) for every `from X import Y [as Z]` in the tree."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                mod = ".".join(parts + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                out[alias.asname or alias.name] = (mod, alias.name)
    return out


def find_class(root: Path, module: str, name: str, depth: int = 0) -> tuple[Path, ast.ClassDef, ast.Module] | None:
    path = module_file(root, module)
    if path is None or depth > 4:
        return None
    tree = parse(path)
    if tree is None:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return path, node, tree
    # re-exported from a package __init__ or another module
    imp = imports_of(tree, module if path.name == "__init__.py" else module.rpartition(".")[0]).get(name)
    if imp:
        return find_class(root, imp[0], imp[1], depth + 1)
    return None


def compact(code: str, limit: int = 300) -> str:
    code = re.sub(r"\s+", " ", code).strip()
    return code if len(code) <= limit else code[: limit - 3] + "..."


def min_capability(root: Path, module: str, cls: str, depth: int = 0) -> dict:
    """{min_capability?, note?, source} of cls.get_min_capability, following base classes."""
    found = find_class(root, module, cls)
    if found is None:
        return {"note": f"class {cls} not found in {module}", "source": module.replace(".", "/") + ".py"}
    path, node, tree = found
    rel = path.relative_to(root).as_posix()
    mod = rel[:-3].replace("/", ".").removesuffix(".__init__")
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "get_min_capability":
            body = [s for s in item.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            source = f"{rel} {node.name}.get_min_capability"
            if len(body) == 1 and isinstance(body[0], ast.Return):
                value = body[0].value
                if isinstance(value, ast.Constant) and isinstance(value.value, int):
                    return {"min_capability": value.value, "source": source}
                if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub) and isinstance(value.operand, ast.Constant):
                    return {"min_capability": -value.operand.value, "source": source}
                if isinstance(value, ast.Name):  # module-level constant
                    for stmt in tree.body:
                        if value.id in assigned_names(stmt) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, int):
                            return {"min_capability": stmt.value.value, "source": source}
            if len(body) == 1 and isinstance(body[0], ast.Raise):
                return {"note": "get_min_capability raises (not implemented)", "source": source}
            return {"note": "computed: " + compact(" ".join(ast.unparse(s) for s in body)), "source": source}
    # inherited
    imps = imports_of(tree, mod if path.name == "__init__.py" else mod.rpartition(".")[0])
    for base in node.bases:
        bname = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else None
        if not bname or bname in ("QuantizationConfig", "object") or depth > 5:
            continue
        bmod = imps[bname][0] if bname in imps else mod
        borig = imps[bname][1] if bname in imps else bname
        res = min_capability(root, bmod, borig, depth + 1)
        res = dict(res)
        res["source"] = f"{rel} {node.name} inherits {res['source']}"
        return res
    return {"note": f"{node.name} defines no get_min_capability", "source": rel}


def read_quantization(root: Path) -> dict | None:
    path = root / QUANT_INIT
    tree = parse(path) if path.is_file() else None
    if tree is None:
        return None
    imps = imports_of(tree, QUANT_PKG)
    names: list[str] = []
    classes: dict[str, str] = {}
    deprecated: list[str] = []
    variables: dict[str, list[str]] = defaultdict(list)
    fallback: tuple[str, str, str] | None = None
    how = ""
    for node in ast.walk(tree):
        for name in assigned_names(node):
            value = node.value
            if name == "QUANTIZATION_METHODS" and isinstance(value, ast.Dict):
                how = "QUANTIZATION_METHODS dict"
                for k, v in zip(value.keys, value.values):
                    if isinstance(k, ast.Constant):
                        names.append(k.value)
                        if isinstance(v, ast.Name):
                            classes[k.value] = v.id
            elif name == "QUANTIZATION_METHODS" and (s := strings(value)):
                how = "QUANTIZATION_METHODS list"
                names = s
            elif name == "QuantizationMethods" and isinstance(value, ast.Subscript):
                how = "QuantizationMethods Literal"
                names = [e.value for e in (value.slice.elts if isinstance(value.slice, ast.Tuple) else [value.slice])
                         if isinstance(e, ast.Constant)]
            elif name == "method_to_config" and isinstance(value, ast.Dict):
                for k, v in zip(value.keys, value.values):
                    if isinstance(k, ast.Constant):
                        classes[k.value] = v.id if isinstance(v, ast.Name) else ast.unparse(v)
            elif name == "DEPRECATED_QUANTIZATION_METHODS" and (s := strings(value)):
                deprecated = s
            elif isinstance(value, ast.Name) and value.id in imps:
                variables[name].append(value.id)  # e.g. deepseek_config = DeepseekV4FP8Config
        # for shorthand in _ONLINE_SHORTHANDS: method_to_config.setdefault(shorthand, OnlineQuantizationConfig)
        if isinstance(node, ast.For):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "setdefault" \
                        and ast.unparse(call.func.value) == "method_to_config" and len(call.args) == 2 \
                        and isinstance(call.args[1], ast.Name):
                    fallback = (call.args[1].id, ast.unparse(node.iter), "method_to_config.setdefault(name, {cls})")
            for stmt in ast.walk(node):  # method_to_config[scheme.value] = OnlineQuantizationConfig
                if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name) and any(
                        isinstance(t, ast.Subscript) and ast.unparse(t.value) == "method_to_config" for t in stmt.targets):
                    fallback = (stmt.value.id, ast.unparse(node.iter), "method_to_config[name] = {cls}")
    methods = {}
    for n in names:
        cls = classes.get(n)
        if cls is None and fallback is not None and fallback[0] in imps:
            mod, orig = imps[fallback[0]]
            res = min_capability(root, mod, orig)
            res["note"] = (res.get("note", "") + "; " if res.get("note") else "") + \
                f"not in the method_to_config literal: {fallback[2].format(cls=orig)} for every name in {fallback[1]}"
            methods[n] = {"config_class": orig, **res}
            continue
        if cls is None:
            methods[n] = {"note": "no config class in the method table (resolved at run time)", "source": QUANT_INIT}
            continue
        if cls not in imps and variables.get(cls):
            # a variable assigned one of several imported classes at run time: report them all
            results = []
            for alias in variables[cls]:
                mod, orig = imps[alias]
                results.append((f"{mod}.{orig}", min_capability(root, mod, orig)))
            caps = {r.get("min_capability") for _, r in results}
            entry = {"config_class": cls, "source": "; ".join(r["source"] for _, r in results)}
            if len(caps) == 1 and None not in caps:
                entry["min_capability"] = caps.pop()
            entry["note"] = (f"get_quantization_config picks {cls} at run time from "
                             + ", ".join(f"{name} ({r.get('min_capability', r.get('note'))})" for name, r in results))
            methods[n] = entry
            continue
        if cls not in imps:
            methods[n] = {"note": f"config class is {cls}, not resolved statically", "source": f"{QUANT_INIT} get_quantization_config",
                          "config_class": cls}
            continue
        mod, orig = imps[cls]
        methods[n] = {"config_class": orig, **min_capability(root, mod, orig)}
    for entry in methods.values():
        if entry.get("min_capability", 0) < 0:
            entry["note"] = (entry["note"] + "; " if entry.get("note") else "") + \
                "negative: no compute-capability check (a CPU/XPU/TPU method)"
    return {"methods": methods, "deprecated": deprecated, "how": how}


def fp8_marlin(root: Path) -> dict | None:
    """How Fp8LinearMethod runs FP8 checkpoints on GPUs without FP8 hardware (< 8.9)."""
    path = root / FP8_FILE
    tree = parse(path) if path.is_file() else None
    if tree is None:
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Fp8LinearMethod"), None)
    if cls is None:
        return None

    def is_use_marlin(t):
        return (isinstance(t, ast.Attribute) and t.attr == "use_marlin") or (isinstance(t, ast.Name) and t.id == "use_marlin")

    below89 = None
    kernel_select = False
    block_off = False
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and any(is_use_marlin(t) for t in node.targets):
            code = ast.unparse(node.value)
            if re.search(r"capability\s*<\s*89|not current_platform\.has_device_capability\(89\)", code):
                below89 = code
            if "MarlinFP8ScaledMMLinearKernel" in code:
                kernel_select = True
        if isinstance(node, ast.If) and re.fullmatch(r"self\.block_quant", ast.unparse(node.test)):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and any(is_use_marlin(t) for t in stmt.targets) \
                        and isinstance(stmt.value, ast.Constant) and stmt.value.value is False:
                    block_off = True
    if below89:
        return {"marlin_below": 89, "per_tensor": True, "block_wise": not block_off,
                "source": f"{FP8_FILE} Fp8LinearMethod: use_marlin = {compact(below89, 120)}"
                          + ("; if self.block_quant: use_marlin = False" if block_off else "")}
    if kernel_select:
        kpath = root / KERNELS_INIT
        ktree = parse(kpath) if kpath.is_file() else None
        lists = {}
        for node in (ktree.body if ktree else []):
            for name in assigned_names(node):
                if name in ("_POSSIBLE_FP8_KERNELS", "_POSSIBLE_FP8_BLOCK_KERNELS") and isinstance(node.value, ast.Dict):
                    for k, v in zip(node.value.keys, node.value.values):
                        if k is not None and ast.unparse(k).endswith("CUDA") and isinstance(v, ast.List):
                            lists[name] = [ast.unparse(e) for e in v.elts]
        per_tensor = "MarlinFP8ScaledMMLinearKernel" in lists.get("_POSSIBLE_FP8_KERNELS", [])
        if "_POSSIBLE_FP8_BLOCK_KERNELS" in lists:
            block = "MarlinFP8ScaledMMLinearKernel" in lists["_POSSIBLE_FP8_BLOCK_KERNELS"]
            block_text = f"_POSSIBLE_FP8_BLOCK_KERNELS {'has' if block else 'lacks'} it"
        else:  # one list for every FP8 linear layer; the Marlin kernel handles kFp8Static128BlockSym itself
            block = per_tensor
            block_text = "block-wise layers use the same list (no _POSSIBLE_FP8_BLOCK_KERNELS)"
        # does the Marlin kernel itself refuse >= 8.9 (so it is chosen exactly below 8.9)?
        capped = ""
        for mpath in sorted((root / "vllm/model_executor/kernels/linear").rglob("*.py")):
            text = mpath.read_text(encoding="utf-8", errors="replace")
            if "class MarlinFP8ScaledMMLinearKernel" in text:
                capped = mpath.relative_to(root).as_posix() if re.search(r"compute_capability\s*>=\s*89", text) else ""
                kfile = mpath.relative_to(root).as_posix()
                break
        else:
            kfile = "?"
        how = (f"{kfile} MarlinFP8ScaledMMLinearKernel.is_supported refuses capability >= 89 (unless VLLM_TEST_FORCE_FP8_MARLIN)"
               if capped else
               f"{kfile} MarlinFP8ScaledMMLinearKernel has no upper capability bound: it is chosen after the native FP8 kernels "
               "in the list fail is_supported below 8.9 (checked by hand in 0.33.0: CUTLASS cutlass_fp8_supported, torch "
               "supports_fp8 = has_device_capability(89), FlashInfer >= 100, B12x 12.x)")
        return {"marlin_below": 89, "per_tensor": per_tensor, "block_wise": block,
                "source": (f"{FP8_FILE} Fp8LinearMethod: use_marlin = isinstance(self.fp8_linear, "
                           f"MarlinFP8ScaledMMLinearKernel); {KERNELS_INIT} CUDA lists: _POSSIBLE_FP8_KERNELS "
                           f"{'has' if per_tensor else 'lacks'} it, {block_text}; {how}")}
    return {"marlin_below": None, "per_tensor": False, "block_wise": False,
            "source": f"{FP8_FILE} Fp8LinearMethod: no FP8 Marlin fallback found"}


def group(releases: list[str], values: dict[str, dict], key) -> list[dict]:
    """Entries {since, until?, **value} for stretches of consecutive releases with equal key(value)."""
    out: list[dict] = []
    prev = None
    current: dict | None = None
    for r in releases:
        v = values.get(r)
        k = key(v) if v is not None else None
        if current is not None and k != prev:
            current["until"] = r
            current = None
        if v is not None and current is None:
            current = {"since": r, **v}
            out.append(current)
        prev = k
    for e in out:  # keep since/until first
        since, until = e.pop("since"), e.pop("until", None)
        rest = dict(e)
        e.clear()
        e["since"] = since
        if until:
            e["until"] = until
        e.update(rest)
    return out


def build_quantization(src: Path, releases: list[str]) -> tuple[dict, list[str]]:
    per = read_each_release(src, releases, read_quantization, f"no {QUANT_INIT}")
    marlin: dict[str, dict] = {}
    used: dict[str, list[str]] = defaultdict(list)
    forms: dict[str, list[str]] = defaultdict(list)
    for r, q in per.items():
        used[QUANT_INIT].append(r)
        forms[q["how"]].append(r)
        for m in q["methods"].values():
            used[m["source"].split(" ")[0]].append(r)
        fm = fp8_marlin(src / r)
        if fm is not None:
            marlin[r] = fm
            used[FP8_FILE].append(r)
            if "kernels/linear" in fm["source"]:
                used[KERNELS_INIT].append(r)
                used[fm["source"].rsplit("; ", 1)[1].split(" ")[0]].append(r)
    ordered = [r for r in releases if r in per]
    for k in list(used):
        used[k] = sorted(set(used[k]), key=Version)
    names = {}
    methods = {}
    for n in sorted({m for q in per.values() for m in q["methods"]}):
        present = [r for r in ordered if n in per[r]["methods"]]
        entry = life(present, ordered)
        dep = [r for r in present if n in per[r]["deprecated"]]
        if dep:
            entry["deprecated"] = ranges(dep, ordered)
        names[n] = entry
        values = {r: per[r]["methods"][n] for r in present}
        methods[n] = group(ordered, values, key=lambda v: (v.get("min_capability"), v.get("note"), v.get("config_class"), v["source"]))
    fp8 = group(sorted(marlin, key=Version), marlin, key=lambda v: (v["marlin_below"], v["per_tensor"], v["block_wise"], v["source"]))
    header = [
        "# Quantization methods (--quantization) of each vLLM release and the GPUs they need, read from its sources.",
        f"# Generated by {SCRIPT} (do not edit by hand) from the release sources, files read:",
        *files_read(used),
        "# The names are read from " + "; ".join(f"the {how} ({span_text(rels)})" for how, rels in
                                                 sorted(forms.items(), key=lambda kv: Version(kv[1][0]))) + ".",
        "# names: since = first release whose QUANTIZATION_METHODS has the name; until = first later release without it",
        "# (absent: still in the newest); ranges only when a name disappeared and came back; deprecated = stretches in",
        "# DEPRECATED_QUANTIZATION_METHODS. methods: one entry per stretch of releases with the same config class, source",
        "# and get_min_capability() (compute capability x 10; vLLM refuses a lower GPU); note = what the code does when",
        "# the value is not an integer literal. fp8_marlin: whether Fp8LinearMethod runs FP8 checkpoints weight-only",
        "# (W8A16, FP8 Marlin kernel) on GPUs below compute capability marlin_below, per tensor and block-wise.",
    ]
    data = {"schema": "vllm-quantization/1", "releases": ordered, "names": names, "methods": methods, "fp8_marlin": fp8}
    return data, header


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 1)[1])
    parser.add_argument("--src", type=Path, required=True, help="folder with one extracted vLLM source tree per release")
    parser.add_argument("--out", type=Path, default=Path("knowledge/vllm"), help="folder for the three YAML files")
    args = parser.parse_args(argv)
    releases = releases_under(args.src)
    if not releases:
        parser.error(f"no release folders (<version>/vllm/) under {args.src}")
    args.out.mkdir(parents=True, exist_ok=True)
    arch, header, arch_per_release = build_architectures(args.src, releases)
    write_yaml(args.out / "architectures.yaml", header, arch)
    parsers, header = build_parsers(args.src, releases)
    kept = kept_part(args.out / "parsers.yaml")
    write_yaml(args.out / "parsers.yaml", header, parsers)
    if kept:
        with open(args.out / "parsers.yaml", "a", encoding="utf-8") as out:
            out.write(kept)
    quant, header = build_quantization(args.src, releases)
    write_yaml(args.out / "quantization.yaml", header, quant)
    print(f"{len(arch['architectures'])} architectures, {len(parsers['reasoning_parsers'])} reasoning parsers, "
          f"{len(parsers['tool_call_parsers'])} tool-call parsers, {len(quant['names'])} quantization methods "
          f"over {len(releases)} releases ({releases[0]} to {releases[-1]}) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
