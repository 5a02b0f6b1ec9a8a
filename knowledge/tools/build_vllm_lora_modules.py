#!/usr/bin/env python3
"""The LoRA target modules vLLM accepts per architecture and release, read statically.

Reads each release tree (``SRC/<version>/vllm/...`` as ``knowledge/tools/fetch_vllm_sources.py`` extracts the
PyPI wheels) with ``ast`` — vLLM is never imported — for the architectures of the bundled model snapshots
(``knowledge/models/*.json``) and writes ``knowledge/vllm/lora_modules.yaml``:

    python knowledge/tools/build_vllm_lora_modules.py --src SRC --out knowledge/vllm/lora_modules.yaml

What vLLM compares an adapter's modules with when it loads it (``WorkerLoRAManager._load_adapter``): the model's
supported LoRA modules, each packed one replaced by what ``packed_modules_mapping`` packs into it. The supported
modules are

- up to 0.7.3: the model class's ``supported_lora_modules`` attribute;
- from 0.8.0: ``get_supported_lora_modules`` (``vllm/lora/utils.py``): the last name of every ``LinearBase``
  submodule, the keys of every ``embedding_modules`` and, from the release that adds it, of every ``FusedMoE``
  / ``MoERunner`` submodule.

Statically: from the architecture's class (the registry's ``_*_MODELS`` tables), every class it names — its bases,
the classes its methods build, module-level tables of classes — is followed, in its own file or through
``from ... import``; each ``self.NAME = Linear(...)`` of a ``LinearBase`` subclass gives NAME. This follows more
classes than one configuration builds (both branches of an ``if``), so the set is a superset of the real one:
the rule built on it can miss a module, never invent one. Each packed module is kept beside what it packs.
A sub-model built with ``init_vllm_registered_model(architectures=[...])`` (the language model of most vision
models) is followed through the registry. ``moe: true`` marks a model that builds a ``FusedMoE`` layer: its expert
weights are named otherwise (not judged). An architecture whose tables are not literal, whose sub-model is not
named literally, or that the registry does not name, is left out (not judged).
One entry per stretch of releases with the same modules (since / last), source = the class's file:line in the
first release of the stretch.
"""
from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

from packaging.version import InvalidVersion, Version

REPO = Path(__file__).resolve().parents[2]
_MOE_CLASSES = ("FusedMoE", "SharedFusedMoE", "MoERunner")
_MAX_NODES = 20000
# helpers that build no layer of their own but name every model (the registry, the loader, the interfaces)
_NOT_FOLLOWED = {f"vllm/model_executor/models/{m}.py" for m in ("registry", "utils", "interfaces", "interfaces_base",
                                                                 "adapters", "transformers")}


class Tree:
    """One release's ``vllm`` package, parsed lazily file by file."""

    def __init__(self, root: Path):
        self.root = root  # the folder holding ``vllm/``
        self.files: dict[str, tuple[dict, dict, dict] | None] = {}
        self.linears = self._linear_classes()

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def parse(self, rel: str):
        """(classes, imports, assignments) of ``vllm/...py``; None when absent or unparsable."""
        if rel not in self.files:
            path = self.root / rel
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, UnicodeDecodeError):
                self.files[rel] = None
                return None
            classes, imports, assigns = {}, {}, {}
            package = rel.rsplit("/", 1)[0].replace("/", ".")
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = node
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    assigns[node.name] = node
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for t in targets:
                        if isinstance(t, ast.Name):
                            assigns[t.id] = node
                elif isinstance(node, ast.ImportFrom):
                    module = node.module or ""
                    if node.level:
                        base = package.split(".")
                        base = base[: len(base) - node.level + 1]
                        module = ".".join([*base, module] if module else base)
                    if not module.startswith("vllm"):
                        continue
                    for alias in node.names:
                        imports[alias.asname or alias.name] = (module, alias.name)
            self.files[rel] = (classes, imports, assigns)
        return self.files[rel]

    def module_file(self, module: str) -> str | None:
        base = module.replace(".", "/")
        for rel in (f"{base}.py", f"{base}/__init__.py"):
            if (self.root / rel).is_file():
                return rel
        return None

    def resolve(self, rel: str, name: str, depth: int = 0):
        """(file, node) that ``name`` means in ``rel``: a class, function or module-level assignment."""
        parsed = self.parse(rel)
        if parsed is None or depth > 8:
            return None
        classes, imports, assigns = parsed
        if name in classes:
            return rel, classes[name]
        if name in assigns:
            return rel, assigns[name]
        if name in imports:
            module, original = imports[name]
            target = self.module_file(module)
            if target is None:  # ``from vllm.x import submodule``: not a class
                return None
            return self.resolve(target, original, depth + 1)
        return None

    def _linear_classes(self) -> set[str]:
        rel = "vllm/model_executor/layers/linear.py"
        parsed = self.parse(rel)
        names = {"LinearBase"}
        if parsed is None:
            return names
        changed = True
        while changed:
            changed = False
            for cls in parsed[0].values():
                if cls.name not in names and any(_name(b) in names for b in cls.bases):
                    names.add(cls.name)
                    changed = True
        return names


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal(node):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def registry(tree: Tree) -> dict[str, tuple[str, str]]:
    """Architecture -> (module of vllm/model_executor/models, class) from the registry's literal tables."""
    parsed = tree.parse("vllm/model_executor/models/registry.py") or tree.parse("vllm/model_executor/models/__init__.py")
    out: dict[str, tuple[str, str]] = {}
    if parsed is None:
        return out
    for name, node in parsed[2].items():
        if not (name.startswith("_") and name.endswith("_MODELS")) or not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        value = node.value
        if not isinstance(value, ast.Dict):
            continue
        for key, item in zip(value.keys, value.values):
            k, v = _literal(key) if key is not None else None, _literal(item)
            if isinstance(k, str) and isinstance(v, tuple) and len(v) >= 2 and all(isinstance(x, str) for x in v[:2]):
                out.setdefault(k, (v[0], v[1]))
    return out


def supported(tree: Tree, version: Version, rel: str, cls_name: str, reg: dict | None = None) -> dict | None:
    """{"modules": sorted expected names, "complete": bool, "moe": bool} for the model class ``cls_name`` of ``rel``.
    A sub-model built by ``init_vllm_registered_model(architectures=[...])`` is followed through the registry ``reg``;
    one whose architecture is not a literal makes the set incomplete."""
    start = tree.resolve(rel, cls_name)
    if start is None or not isinstance(start[1], ast.ClassDef):
        return None
    old = version < Version("0.8.0")
    chain = _bases(tree, *start)
    if not any(_name(b) == "SupportsLoRA" for _, c in chain for b in c.bases):
        return None  # vLLM refuses --enable-lora for it: not this check's concern
    own = {id(c) for _, c in chain}
    moe = _moe_classes(tree)
    linears: set[str] = set(tree.linears)
    names: set[str] = set()
    packed: dict[str, list[str]] = {}
    complete, has_moe = True, False
    seen: set[tuple[str, int]] = set()
    queue = [start]
    while queue:
        file, node = queue.pop()
        if (file, id(node)) in seen:
            continue
        if len(seen) > _MAX_NODES:
            complete = False  # not followed to the end: not judged
            break
        seen.add((file, id(node)))
        if isinstance(node, ast.ClassDef):
            if any(_name(b) in linears for b in node.bases):
                linears.add(node.name)  # a model file's own LinearBase subclass
            for stmt in node.body:
                target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
                    stmt.target if isinstance(stmt, ast.AnnAssign) else None
                if not isinstance(target, ast.Name) or stmt.value is None:
                    continue
                if isinstance(stmt.value, ast.Constant) and stmt.value.value is None:
                    continue  # an interface's placeholder
                if target.id in ("packed_modules_mapping", "embedding_modules", "supported_lora_modules"):
                    value = _literal(stmt.value)
                    if target.id == "packed_modules_mapping":
                        if isinstance(value, dict):
                            for k, v in value.items():
                                packed.setdefault(k, [])
                                packed[k] += [x for x in v if x not in packed[k]]
                        elif id(node) in own:
                            complete = False
                    elif target.id == "embedding_modules":
                        if isinstance(value, dict):
                            names.update(value)
                        elif id(node) in own:
                            complete = False
                    elif old:
                        if isinstance(value, (list, tuple)):
                            names.update(str(x) for x in value)
                        elif id(node) in own:
                            complete = False
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call) and _name(sub.func) == "init_vllm_registered_model":
                archs = next((_literal(k.value) for k in sub.keywords if k.arg == "architectures"), None)
                if not isinstance(archs, list) or not archs or reg is None:
                    complete = False
                    continue
                for arch in archs:
                    if not isinstance(arch, str) or arch not in (reg or {}):
                        complete = False
                        continue
                    module, name = reg[arch]
                    found = tree.resolve(f"vllm/model_executor/models/{module}.py", name)
                    if found is None:
                        complete = False
                    else:
                        queue.append(found)
            elif isinstance(sub, ast.Call) and _is_moe(_name(sub.func)):
                has_moe = True
            added = _packed_change(sub)
            if added is False:
                complete = False  # packed_modules_mapping changed in a way not read
            elif added:
                for k, v in added.items():
                    packed.setdefault(k, [])
                    packed[k] += [x for x in v if x not in packed[k]]
        if not old:
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Assign, ast.AnnAssign)) and isinstance(sub.value, ast.Call):
                    called = _name(sub.value.func)
                    if called in linears or (moe and _is_moe(called)) or _is_linear(tree, file, called):
                        for t in (sub.targets if isinstance(sub, ast.Assign) else [sub.target]):
                            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
                                names.add(t.attr)
        for sub in ast.walk(node):
            ref = sub.id if isinstance(sub, ast.Name) else None
            if ref and ref not in linears:
                found = tree.resolve(file, ref)
                if found is not None and found[0].startswith("vllm/model_executor/") and found[0] not in _NOT_FOLLOWED \
                        and not found[0].startswith("vllm/model_executor/model_loader/"):
                    queue.append(found)  # model files and layers: where linear layers are built
    if old and not names:
        return None
    expected = set(names)
    for module in names:
        expected.update(packed.get(module, ()))
    return {"modules": sorted(expected), "complete": complete, "moe": has_moe}


def _packed_change(node) -> dict | bool | None:
    """What ``self.packed_modules_mapping[k] = [...]`` or ``.update({...})`` at ``node`` adds (None: not such a
    statement; False: one whose value is not literal)."""
    def is_mapping(n) -> bool:
        return isinstance(n, ast.Attribute) and n.attr == "packed_modules_mapping"

    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript) \
            and is_mapping(node.targets[0].value):
        key, value = _literal(node.targets[0].slice), _literal(node.value)
        return {key: list(value)} if isinstance(key, str) and isinstance(value, (list, tuple)) else False
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and is_mapping(node.func.value) \
            and node.func.attr in ("update", "setdefault", "__setitem__"):
        value = _literal(node.args[0]) if node.args else None
        if node.func.attr == "update" and isinstance(value, dict):
            return {k: list(v) for k, v in value.items() if isinstance(v, (list, tuple))}
        return False
    return None


def _is_moe(name: str | None) -> bool:
    """A MoE layer class or the factory that builds one (``FusedMoEFactory``)."""
    return bool(name) and any(c in name for c in ("FusedMoE", "MoERunner"))


def _is_linear(tree: Tree, file: str, name: str | None) -> bool:
    """Whether ``name`` in ``file`` is a class whose bases reach ``LinearBase`` (e.g. a router's ``GateLinear``)."""
    if not name:
        return False
    key = (file, name)
    memo = tree.__dict__.setdefault("_linear_memo", {})
    if key not in memo:
        memo[key] = False
        found = tree.resolve(file, name)
        if found is not None and isinstance(found[1], ast.ClassDef):
            memo[key] = any(_name(b) in tree.linears or _is_linear(tree, found[0], _name(b)) for b in found[1].bases)
    return memo[key]


def _bases(tree: Tree, file: str, cls: ast.ClassDef, depth: int = 0) -> list[tuple[str, ast.ClassDef]]:
    """The class and its bases found in the tree, nearest first."""
    out = [(file, cls)]
    for base in cls.bases if depth < 12 else ():
        name = base.id if isinstance(base, ast.Name) else None
        found = tree.resolve(file, name) if name else None
        if found is not None and isinstance(found[1], ast.ClassDef):
            out += _bases(tree, found[0], found[1], depth + 1)
    return out


def _moe_classes(tree: Tree) -> set[str]:
    """The MoE layer classes ``get_supported_lora_modules`` counts in this release (none before it does)."""
    parsed = tree.parse("vllm/lora/utils.py")
    fn = parsed[2].get("get_supported_lora_modules") if parsed is not None else None
    if fn is None:
        return set()
    used = {_name(n) for n in ast.walk(fn)}
    return set(_MOE_CLASSES) if any(c in used for c in _MOE_CLASSES) else set()


def _architectures() -> list[str]:
    found = set()
    for path in sorted((REPO / "knowledge/models").glob("*.json")):
        config = json.loads(path.read_text()).get("config") or {}
        found.update(a for a in config.get("architectures") or () if isinstance(a, str))
    return sorted(found)


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def build(src: Path) -> dict:
    versions = sorted(v for v in (_version(p.name) for p in src.iterdir() if (p / "vllm").is_dir()) if v)
    archs = _architectures()
    table: dict[str, list[dict]] = {a: [] for a in archs}
    read = []
    for version in versions:
        name = next(p.name for p in src.iterdir() if _version(p.name) == version)
        tree = Tree(src / name)
        reg = registry(tree)
        if not reg:
            continue
        read.append(name)
        for arch in archs:
            if arch not in reg:
                continue
            module, cls = reg[arch]
            rel = f"vllm/model_executor/models/{module}.py"
            found = supported(tree, version, rel, cls, reg)
            if found is None or not found["complete"]:
                continue
            node = tree.resolve(rel, cls)
            line = node[1].lineno if node else 1
            entries = table[arch]
            previous = entries[-1] if entries else None
            if previous is not None and len(read) > 1 and previous["last"] == read[-2] \
                    and previous["modules"] == found["modules"] and previous["moe"] == found["moe"]:
                previous["last"] = name
                continue
            entries.append({"since": name, "last": name, "modules": found["modules"], "moe": found["moe"],
                            "source": f"{node[0] if node else rel}:{line} ({name})"})
    for entries in table.values():
        if entries and entries[-1]["last"] == read[-1]:
            del entries[-1]["last"]  # holds to the newest release read
    return {"schema": "vllm-lora-modules/1", "read": read,
            "architectures": {a: e for a, e in table.items() if e}}


def dump(data: dict) -> str:
    lines = ["# Generated by knowledge/tools/build_vllm_lora_modules.py (its docstring says how); do not edit by hand.",
             "# Per architecture, the LoRA target modules vLLM accepts (supported modules plus what the packed ones",
             "# pack), read statically from the release sources: a superset of what one configuration builds.",
             f"schema: {data['schema']}",
             "read: [" + ", ".join(json.dumps(v) for v in data["read"]) + "]",
             "architectures:"]
    for arch, entries in data["architectures"].items():
        lines.append(f"  {arch}:")
        for e in entries:
            last = f", last: {json.dumps(e['last'])}" if "last" in e else ""
            moe = ", moe: true" if e["moe"] else ""
            lines.append(f"    - {{since: {json.dumps(e['since'])}{last}{moe}, source: {json.dumps(e['source'])},")
            lines.append("       modules: [" + ", ".join(e["modules"]) + "]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--src", type=Path, required=True, help="folder of unpacked releases: SRC/<version>/vllm")
    parser.add_argument("--out", type=Path, default=REPO / "knowledge/vllm/lora_modules.yaml")
    args = parser.parse_args()
    args.out.write_text(dump(build(args.src)))


if __name__ == "__main__":
    main()
