#!/usr/bin/env python3
"""The typed and constrained fields of the engine config classes behind ``vllm serve``'s options, per release,
read from the REAL classes: writes ``knowledge/vllm/engine_fields.json``.

``EngineArgs.create_engine_config()`` builds ``ModelConfig``, ``ParallelConfig``, ``CacheConfig``,
``SchedulerConfig``, ``ObservabilityConfig``, ``VllmConfig`` ... (pydantic dataclasses) from the parsed options
before any GPU work; pydantic then rejects a value outside a field's type (a ``Literal``, a ``dict``) or its
``Field(ge=/gt=/le=/lt=)`` bounds, e.g. ``--stream-interval 0`` ("Input should be greater than or equal to 1").

Runs in the scratch vLLM environment of ``dump_vllm_cli.py`` (same venv, release trees and overlays), one
subprocess per release, building the serve parser as ``differential_parser.py real`` does::

    VENV/bin/python knowledge/tools/dump_vllm_engine_fields.py --src SRC --overlays OVERLAYS \\
        --out knowledge/vllm/engine_fields.json 0.9.2 0.11.0 ...

For every serve option whose ``dest`` is an ``EngineArgs`` attribute passed unchanged to a pydantic config class
(a ``SomeConfig(field=self.dest, ...)`` call in ``EngineArgs``'s methods, found in its source), it records the
class, the field, the field's type in the language of ``dump_vllm_config_fields.py`` (a field with a
``before``/``wrap``/``plain`` validator is ``any``), its numeric bounds, the element type of a list (``items``),
whether it is an Enum, the labels pydantic gives the members of a union, the source ``file:line`` of the field (an
``InitVar`` too, which pydantic validates with the fields), and ``when``: the conditions on other options under
which ``EngineArgs`` builds the class at all (``LoRAConfig`` only with ``--enable-lora``); a class built under a
condition it cannot read is left out. A list field, a nested class, or a dict whose values are typed, gets its
``shape``: the field's type as its pydantic core schema validates it, down to the elements and the members of the
unions inside, each with the label pydantic names it by in an error (``limit_mm_per_prompt.video.dict[str,int]``);
a part it cannot model is ``unknown`` there. Only fields with something to check (a bound, or a type other than
``any``) are written. ``linter/vllm/engine_fields.py`` reads the file.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import pathlib
import re
import subprocess
import sys
import typing

HERE = pathlib.Path(__file__).resolve().parent
BOUNDS = ("ge", "gt", "le", "lt")


def _bounds(info) -> dict:
    out = {}
    for m in getattr(info, "metadata", None) or ():
        for b in BOUNDS:
            v = getattr(m, b, None)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and type(m).__name__.lower() == b:
                out[b] = v
    return out


def _field_line(cls, name: str) -> str | None:
    try:
        lines, start = inspect.getsourcelines(cls)
        path = inspect.getsourcefile(cls) or ""
    except (OSError, TypeError):
        return None
    rel = path[path.rfind("vllm/"):] if "vllm/" in path else path
    pat = re.compile(r"^\s+" + re.escape(name) + r"\s*:")
    for i, line in enumerate(lines):
        if pat.match(line):
            return f"{rel}:{start + i}"
    return rel


def _validated_before(cls, name: str) -> bool:
    decos = getattr(cls, "__pydantic_decorators__", None)
    if decos is None:
        return False
    return any(getattr(d.info, "mode", "after") != "after" and (name in d.info.fields or "*" in d.info.fields)
               for d in decos.field_validators.values()) or \
        any(getattr(d.info, "mode", "after") != "after" for d in decos.model_validators.values())


def _items(annotation, typ):
    """The element type of a list field (``list[X]`` or ``list[X] | None``), when it says something."""
    from dump_vllm_config_fields import _desc

    if typ not in ("list", ["or", "list", "none"]) or annotation is None:
        return None
    for tp in [annotation, *typing.get_args(annotation)]:
        if typing.get_origin(tp) is list and typing.get_args(tp):
            inner = _desc(typing.get_args(tp)[0])
            return None if inner == "any" else inner
    return None


SCALARS = ("int", "float", "bool", "str", "any", "callable", "none")
#: keys of a core schema that change nothing in what it accepts or in pydantic's words
PLAIN_KEYS = {"type", "metadata", "serialization", "ref"}


def _field_schema(cls, name: str):
    """``(schema, definitions)``: the core schema pydantic validates the field (or InitVar) ``name`` of ``cls``
    with, or None."""
    top = getattr(cls, "__pydantic_core_schema__", None)
    if not isinstance(top, dict):
        return None
    defs = {d["ref"]: d for d in top.get("definitions", ())}

    def walk(node, own):
        """The field's schema under ``node``; ``own``: inside the schema of ``cls`` itself (not of a nested
        class)."""
        if isinstance(node, (list, tuple)):
            return next((f for f in (walk(x, own) for x in node) if f is not None), None)
        if not isinstance(node, dict):
            return None
        if node.get("type") == "dataclass":
            own = node.get("cls") is cls
        if node.get("type") == "dataclass-args" and own:
            return next((f.get("schema") for f in node.get("fields", ()) if f.get("name") == name), None)
        return walk([v for k, v in node.items() if k != "definitions"], own)

    found = walk(top, False) or walk(list(defs.values()), False)
    return (found, defs) if found is not None else None


def _union_labels(node, defs) -> list[str] | None:
    """The labels pydantic gives the members of a union schema (``int``, ``dict[str,int]``), read from the errors of
    a value no member accepts."""
    from pydantic_core import SchemaValidator, ValidationError

    schema = {"type": "definitions", "schema": node, "definitions": list(defs.values())} if defs else node
    try:
        SchemaValidator(schema).validate_python(object())
    except ValidationError as e:
        labels = []
        for err in e.errors():
            if not err["loc"]:
                return None
            if err["loc"][0] not in labels:
                labels.append(err["loc"][0])
        return labels if all(isinstance(x, str) for x in labels) else None
    except Exception:  # noqa: BLE001  (a schema pydantic cannot build alone: no labels)
        return None
    return None  # a member accepts anything


def _shape(node, defs, depth=0):
    """The field's type as its core schema validates it, to check the elements of a list or dict:
    ``"int"``/``"float"``/``"bool"``/``"str"``/``"none"``/``"callable"``/``"any"``, ``["lit", v, ...]``,
    ``["list", ITEM]``, ``["dict", KEY, VALUE]``, ``["nullable", S]`` (None or S), ``["union", [LABEL, S],
    ...]`` (pydantic's labels), ``["after", S]`` (S, then a function: an accepted value is not judged),
    ``["dataclass", NAME]`` (a nested config class: a dict is not judged, its fields decide), and ``"unknown"``
    for the rest (a ``before``/``wrap``/``plain`` validator, a constraint ...)."""
    if not isinstance(node, dict) or depth > 12:
        return "unknown"
    kind = node.get("type")
    extra = set(node) - PLAIN_KEYS
    if kind == "definition-ref":
        target = defs.get(node.get("schema_ref"))
        return _shape(target, defs, depth + 1) if target is not None else "unknown"
    if kind == "default":
        return _shape(node.get("schema"), defs, depth + 1)
    if kind in SCALARS:
        return kind if not extra - ({"strict"} if node.get("strict") is False else set()) else "unknown"
    if kind == "literal":
        vals = node.get("expected") or []
        ok = vals and not extra - {"expected"} and all(isinstance(v, str) or type(v) is int for v in vals)
        return ["lit", *vals] if ok else "unknown"
    if kind == "nullable":
        return ["nullable", _shape(node.get("schema"), defs, depth + 1)] if not extra - {"schema"} else "unknown"
    if kind == "function-after":
        return ["after", _shape(node.get("schema"), defs, depth + 1)] if not extra - {"schema", "function"} \
            else "unknown"
    if kind == "list":
        if extra - {"items_schema"}:
            return "unknown"
        return ["list", _shape(node["items_schema"], defs, depth + 1) if "items_schema" in node else "any"]
    if kind == "dict":
        if extra - {"keys_schema", "values_schema"}:
            return "unknown"
        return ["dict", *(_shape(node[k], defs, depth + 1) if k in node else "any"
                          for k in ("keys_schema", "values_schema"))]
    if kind == "dataclass" and isinstance(node.get("cls"), type):  # a nested config class, given as a dict
        return ["dataclass", node["cls"].__name__]
    if kind == "union":
        if extra - {"choices"}:
            return "unknown"
        choices = [c[0] if isinstance(c, (list, tuple)) else c for c in node.get("choices", ())]
        labels = _union_labels(node, defs)
        if labels is None or len(labels) != len(choices):
            return "unknown"
        return ["union", *([label, _shape(c, defs, depth + 1)] for label, c in zip(labels, choices, strict=True))]
    return "unknown"


def _nested(shape) -> bool:
    """Whether a shape says more than the field's ``type``: a list or a nested class (a tuple or set is ``"list"``
    there, a class ``"dict"``, but pydantic's words differ), or a dict whose keys (other than ``str``) or values are
    typed."""
    if not isinstance(shape, list):
        return False
    head, rest = shape[0], shape[1:]
    if head in ("list", "dataclass"):
        return True
    if head == "dict":
        return rest[0] not in ("any", "str", "unknown") or rest[1] not in ("any", "unknown") or \
            _nested(rest[0]) or _nested(rest[1])
    if head == "union":
        return any(_nested(s) for _, s in rest)
    if head in ("nullable", "after"):
        return _nested(rest[0])
    return False


def _pydantic_words(info, typ) -> dict:
    """What pydantic's messages for the field need beyond the type: ``enum`` (an Enum, whose error type is
    ``enum``), and for a union of several types the labels pydantic gives its members (``dict[str,any]``,
    ``callable``), read from the errors of a value no member accepts."""
    import enum

    out = {}
    ann = getattr(info, "annotation", None)
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        out["enum"] = True
    members = [t for t in typ[1:] if t != "none"] if isinstance(typ, list) and typ[0] == "or" else []
    if len(members) > 1 and ann is not None:
        try:
            from pydantic import TypeAdapter, ValidationError

            TypeAdapter(ann).validate_python(object())
        except ValidationError as e:
            tags = [".".join(str(x) for x in err["loc"]) for err in e.errors()]
            if len(tags) == len(members) and all(tags):
                out["tags"] = tags
        except Exception:  # noqa: BLE001  (an annotation pydantic cannot build alone: no labels)
            return out
    return out


def _condition(test, positive: bool):
    """A guard on ``self`` attributes as data: ``[{"dest", "truthy"|"none": bool}, ...]`` (all must hold), or
    None when it says more than that (then the field is not judged)."""
    import ast

    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _condition(test.operand, not positive)
    if isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name) and test.value.id == "self":
        return [{"dest": test.attr, "truthy": positive}]
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)) and \
            isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None and \
            isinstance(test.left, ast.Attribute) and isinstance(test.left.value, ast.Name) and \
            test.left.value.id == "self":
        return [{"dest": test.left.attr, "none": positive == isinstance(test.ops[0], ast.Is)}]
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) and positive:
        out = []
        for v in test.values:
            c = _condition(v, True)
            if c is None:
                return None
            out += c
        return out
    return None


def _passed_as_is(engine_args, classes):
    """``(class, field, EngineArgs attribute, guard)`` for every ``SomeConfig(field=self.attribute, ...)`` call in
    ``EngineArgs``'s methods: the option's parsed value reaches the field unchanged. ``guard``: the conditions on
    other attributes under which the call runs (``if self.enable_lora`` around it, or ``if not self.x: return``
    before it), as JSON text; None when a condition is not that simple."""
    import ast
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(engine_args)))
    except (OSError, TypeError, SyntaxError):
        return set()
    found = set()

    def visit(node, guard):
        if guard is not None and isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in classes:
            for kw in node.keywords:
                v = kw.value
                if kw.arg and isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name) and v.value.id == "self":
                    found.add((node.func.id, kw.arg, v.attr, json.dumps(guard)))
        if isinstance(node, (ast.If, ast.IfExp)):
            visit(node.test, guard)
            yes, no = _condition(node.test, True), _condition(node.test, False)
            body = node.body if isinstance(node.body, list) else [node.body]
            orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
            for child in body:
                visit(child, None if guard is None or yes is None else guard + yes)
            for child in orelse:
                visit(child, None if guard is None or no is None else guard + no)
            return
        body = getattr(node, "body", None)
        if isinstance(body, list) and not isinstance(node, ast.ClassDef):
            g = guard
            for stmt in body:
                visit(stmt, g)
                # ``if cond: return ...``: what follows runs only when cond is false (after ``if cond: raise``
                # too, but then vLLM stops anyway)
                if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and \
                        isinstance(stmt.body[-1], ast.Return) and g is not None:
                    no = _condition(stmt.test, False)
                    g = None if no is None else g + no
            for name, value in ast.iter_fields(node):
                if name != "body":
                    for child in value if isinstance(value, list) else [value]:
                        if isinstance(child, ast.AST):
                            visit(child, guard)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, guard)

    for item in tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []:
        visit(item, [])
    return found


def _build(classes) -> None:
    """Build the validators of the classes pydantic left unbuilt at import (a name a class refers to came later),
    as it does when a class is first used, before anything is read from them."""
    from pydantic.dataclasses import rebuild_dataclass

    for cls in classes:
        if not isinstance(getattr(cls, "__pydantic_core_schema__", None), dict):
            try:
                rebuild_dataclass(cls, raise_errors=False)
            except Exception:  # noqa: BLE001  (left unbuilt: its fields get no shape)
                pass


def worker(version, src, stubs, overlay):
    sys.path.insert(0, str(HERE))
    import differential_parser as DP
    from dump_vllm_config_fields import _desc, _fields

    top, _ = DP._load_real(version, src, stubs, overlay)
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    serve = sub.choices["serve"]
    from vllm.engine import arg_utils

    classes = {name: obj for name, obj in vars(arg_utils).items()
               if isinstance(obj, type) and hasattr(obj, "__pydantic_fields__") and dataclasses.is_dataclass(obj)}
    _build(classes.values())
    dests = {a.dest for a in serve._actions if a.option_strings}
    out: dict[str, list] = {}
    calls: dict = {}
    for cls_name, field, attr, guard in _passed_as_is(arg_utils.EngineArgs, classes):
        calls.setdefault((cls_name, field, attr), []).append(json.loads(guard))
    for (cls_name, field, attr), guards in sorted(calls.items()):
        if attr not in dests:
            continue
        cls = classes[cls_name]
        types = _fields(cls) or {}
        pf = getattr(cls, "__pydantic_fields__", {})
        info = pf.get(field)
        if field not in types or info is None:
            init_var = getattr(cls, "__dataclass_fields__", {}).get(field)
            if init_var is None or getattr(init_var, "_field_type", None) is not dataclasses._FIELD_INITVAR or \
                    _validated_before(cls, field):
                continue
            # an InitVar: pydantic validates it with the other arguments, but it is no field of the class
            annotation = getattr(init_var.type, "type", None)
            typ = _desc(annotation) if annotation is not None else "any"
            info = type("InitVarInfo", (), {"annotation": annotation, "metadata": []})()
        else:
            typ = types[field]
        bounds = _bounds(info)
        items = _items(getattr(info, "annotation", None), typ)
        if typ == "any" and not bounds:
            continue
        entry = {"class": cls_name, "field": field, "type": typ, **bounds}
        if items is not None:
            entry["items"] = items
        entry.update(_pydantic_words(info, typ))
        found = _field_schema(cls, field)
        shape = _shape(*found) if found is not None else "unknown"
        if _nested(shape):
            entry["shape"] = shape
        if all(guards):  # the class is built only under conditions: every call's, one of which must hold
            if len(guards) > 1:
                continue  # several calls under different conditions: not judged
            entry["when"] = guards[0]
        line = _field_line(cls, field)
        if line:
            entry["source"] = line
        out.setdefault(attr, []).append(entry)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--overlays", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--worker", action="store_true")
    ap.add_argument("--stubs", default="")
    ap.add_argument("--overlay", default=None)
    ap.add_argument("versions", nargs="+")
    a = ap.parse_args()
    if a.worker:
        worker(a.versions[0], a.src, [s for s in a.stubs.split(",") if s], a.overlay)
        return
    sys.path.insert(0, str(HERE))
    import dump_vllm_cli as D

    out = pathlib.Path(a.out)
    doc = json.loads(out.read_text()) if out.exists() else {
        "source": "the engine config classes of each release (vllm/config.py, later vllm/config/*.py) that "
                  "vllm/engine/arg_utils.py builds, read from the real classes by "
                  "knowledge/tools/dump_vllm_engine_fields.py",
        "releases": {}}
    for v in a.versions:
        reqs = D.overlay_requirements(v, a.src)
        ov = D.ensure_overlay(reqs, a.overlays) if reqs else None
        stubs: list[str] = []
        for _ in range(12):
            cmd = [sys.executable, __file__, "--worker", "--src", a.src, v, "--stubs", ",".join(stubs)] + \
                  (["--overlay", ov] if ov else [])
            p = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
            if p.returncode == 0:
                break
            m = re.findall(r"ModuleNotFoundError: No module named '([^']+)'", p.stderr)
            missing = m[-1].split(".")[0] if m else None
            if missing and not missing.startswith("vllm") and missing not in stubs:
                stubs.append(missing)
                continue
            break
        if p.returncode != 0:
            print(f"{v}: FAILED\n" + "\n".join(p.stderr.splitlines()[-10:]), flush=True)
            continue
        doc["releases"][v] = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"{v}: {len(doc['releases'][v])} options", flush=True)

    def order(kv):
        return [int(x) for x in kv[0].replace("post", "").split(".")]

    doc["releases"] = dict(sorted(doc["releases"].items(), key=order))
    out.write_text(render(doc))


def render(doc) -> str:
    """The file's text: one line per release and option."""
    parts = []
    for v, table in doc["releases"].items():
        inner = ",\n".join(f"  {json.dumps(k)}: {json.dumps(e, separators=(',', ':'))}" for k, e in table.items())
        parts.append(f"{json.dumps(v)}: {{" + (f"\n{inner}\n" if inner else "") + "}")
    return '{"source": ' + json.dumps(doc["source"]) + ',\n"releases": {\n' + ",\n".join(parts) + "\n}}\n"


if __name__ == "__main__":
    main()
