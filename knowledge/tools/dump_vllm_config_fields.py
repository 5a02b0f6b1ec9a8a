#!/usr/bin/env python3
"""The field types of the config classes that ``vllm serve``'s JSON options are validated into, per release,
read from the REAL classes: writes ``knowledge/vllm/config_fields.json``.

Runs in the scratch vLLM environment of ``dump_vllm_cli.py`` (same venv, release trees and overlays), one
subprocess per release, building the serve parser as ``differential_parser.py real`` does::

    VENV/bin/python knowledge/tools/dump_vllm_config_fields.py --src SRC --overlays OVERLAYS \\
        --out knowledge/vllm/config_fields.json 0.9.2 0.11.0 ...

For every option whose ``type`` function builds a pydantic-validated config class (``parse_dataclass``,
``from_cli``, ``model_validate_json``, ``cls(**json.loads(...))``), each init field's annotation is reduced to
a small type language that ``linter/vllm/values.py`` checks the way pydantic's lax mode does:
``int float bool str dict list none any callable`` (``callable``: a ``Callable``, which no JSON value is), ``["lit", v, ...]`` (a Literal or an Enum's values) and
``["or", t, ...]``; a nested pydantic config is ``dict``. A field with a ``before``/``wrap``/``plain``
validator (or a class whose ``"*"`` or model-level validator reads the raw input), or an annotation outside
that language, is ``any`` (never judged). Classes that pydantic does not validate are left out.
``cross_checked`` lists, per release, the classes with a ``model_validator(mode="after")`` (checks across
fields, e.g. "disable_additional_properties is only supported for the guidance backend"): JSON written into
them is never proven valid by the field types alone, so vllm-lint offers no fix that writes it.
"""
from __future__ import annotations

import argparse
import collections.abc
import dataclasses
import enum
import json
import pathlib
import subprocess
import sys
import types
import typing

HERE = pathlib.Path(__file__).resolve().parent


def _desc(tp, depth=0):
    if depth > 6:
        return "any"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is type(None) or tp is None:
        return "none"
    if tp is bool:
        return "bool"
    if tp is int:
        return "int"
    if tp is float:
        return "float"
    if tp is str:
        return "str"
    if origin is typing.Annotated:
        return _desc(args[0], depth + 1) if not any(type(a).__name__.endswith("Validator") for a in args[1:]) \
            else "any"
    if origin is typing.Literal:
        vals = [a.value if isinstance(a, enum.Enum) else a for a in args]
        if all(isinstance(v, (str, int, bool)) or v is None for v in vals):
            return ["lit", *vals]
        return "any"
    if origin in (typing.Union, types.UnionType):
        parts = [_desc(a, depth + 1) for a in args]
        return "any" if "any" in parts else ["or", *parts]
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        vals = [m.value for m in tp]
        return ["lit", *vals] if all(isinstance(v, (str, int)) for v in vals) else "any"
    if tp is collections.abc.Callable or origin is collections.abc.Callable:
        return "callable"  # never a JSON value
    if tp in (dict,) or origin in (dict, typing.Mapping) or (isinstance(origin, type) and
                                                             issubclass(origin, dict)):
        return "dict"
    if tp in (list, tuple, set, frozenset) or origin in (list, tuple, set, frozenset):
        return "list"
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or hasattr(tp, "model_fields")):
        # a nested config is given as a JSON object, unless its own validators read something else first
        pydantic = hasattr(tp, "__pydantic_validator__") or hasattr(tp, "__pydantic_fields__")
        return "dict" if pydantic and not _reads_raw_input(tp) else "any"
    return "any"


def _config_class(t):
    """The config class an argparse ``type`` function validates into, or None."""
    import functools

    seen = set()
    todo = [t]
    while todo:
        f = todo.pop()
        if id(f) in seen or f is None:
            continue
        seen.add(id(f))
        if isinstance(f, functools.partial):
            todo += [f.func, *f.args, *f.keywords.values()]
            continue
        if isinstance(f, type) and (dataclasses.is_dataclass(f) or hasattr(f, "model_fields")):
            return f
        owner = getattr(f, "__self__", None)
        if isinstance(owner, type) and (dataclasses.is_dataclass(owner) or hasattr(owner, "model_fields")):
            return owner
        code = getattr(f, "__code__", None)
        if code is not None and getattr(f, "__closure__", None):
            for cell in f.__closure__:
                try:
                    todo.append(cell.cell_contents)
                except ValueError:
                    pass
        todo += list(getattr(f, "__defaults__", None) or ())
        todo += list((getattr(f, "__kwdefaults__", None) or {}).values())
        qual = getattr(f, "__qualname__", "")
        if "." in qual and "<" not in qual:
            mod = sys.modules.get(getattr(f, "__module__", ""), None)
            for part in qual.split(".")[:-1]:
                mod = getattr(mod, part, None)
            if isinstance(mod, type):
                todo.append(mod)
    return None


def _reads_raw_input(cls) -> bool:
    """Whether a model-level validator sees the input before pydantic does (it may accept anything)."""
    decos = getattr(cls, "__pydantic_decorators__", None)
    if decos is None:
        return False
    return any(getattr(d.info, "mode", "after") != "after" for d in decos.model_validators.values())


def _fields(cls):
    if not hasattr(cls, "__pydantic_validator__") and not hasattr(cls, "__pydantic_fields__"):
        return None
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001
        hints = {}
    loose = set()
    every = _reads_raw_input(cls)
    decos = getattr(cls, "__pydantic_decorators__", None)
    if decos is not None:
        for d in decos.field_validators.values():
            if getattr(d.info, "mode", "after") != "after":
                loose |= set(d.info.fields)
    every = every or "*" in loose
    out = {}
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls) if f.init]
    else:
        names = list(getattr(cls, "model_fields", {}))
    for name in names:
        out[name] = "any" if every or name in loose or name not in hints else _desc(hints[name])
    return out


def worker(version, src, stubs, overlay):
    sys.path.insert(0, str(HERE))
    import differential_parser as DP

    top, _ = DP._load_real(version, src, stubs, overlay)
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    serve = sub.choices["serve"]
    classes, cross = {}, set()
    for a in serve._actions:
        if a.type is None or not a.option_strings:
            continue
        cls = _config_class(a.type)
        if cls is None:
            continue
        fields = _fields(cls)
        if fields:
            classes[cls.__name__] = fields
            decos = getattr(cls, "__pydantic_decorators__", None)
            if decos is not None and any(getattr(d.info, "mode", "") == "after" for d in decos.model_validators.values()):
                cross.add(cls.__name__)
    print(json.dumps({"classes": classes, "cross_checked": sorted(cross)}))


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
        "source": "the config classes of each release's wheel (vllm/config.py, later vllm/config/*.py), read from the real classes by "
                  "knowledge/tools/dump_vllm_config_fields.py",
        "releases": {}, "cross_checked": {}}
    for v in a.versions:
        reqs = D.overlay_requirements(v, a.src)
        ov = D.ensure_overlay(reqs, a.overlays) if reqs else None
        cmd = [sys.executable, __file__, "--worker", "--src", a.src, v] + (["--overlay", ov] if ov else [])
        p = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
        if p.returncode != 0:
            print(f"{v}: FAILED\n" + "\n".join(p.stderr.splitlines()[-10:]), flush=True)
            continue
        got = json.loads(p.stdout.strip().splitlines()[-1])
        doc["releases"][v] = got["classes"]
        doc.setdefault("cross_checked", {})[v] = got["cross_checked"]
        print(f"{v}: {len(doc['releases'][v])} classes", flush=True)
    def order(kv):
        return [int(x) for x in kv[0].replace("post", "").split(".")]

    doc["releases"] = dict(sorted(doc["releases"].items(), key=order))
    doc["cross_checked"] = dict(sorted(doc["cross_checked"].items(), key=order))
    out.write_text(json.dumps(doc, indent=0, sort_keys=False) + "\n")


if __name__ == "__main__":
    main()
