#!/usr/bin/env python3
"""The checks ``vllm serve`` runs on its parsed arguments before any GPU work, per release, read statically.

Reads each release tree (``SRC/<version>/vllm/...`` as ``knowledge/tools/fetch_vllm_sources.py`` extracts the
PyPI wheels) with ``ast`` — vLLM is never imported — and writes ``knowledge/vllm/serve_checks.yaml``:

    python knowledge/tools/build_vllm_serve_checks.py --src SRC --out knowledge/vllm/serve_checks.yaml

- ``checks``: the ``if <condition>: raise X("message")`` statements of ``validate_parsed_serve_args`` whose
  condition is made of the parsed options alone (``args.a``, ``not args.b``, ``getattr(args, "c", d)``,
  ``args.x < 0``, joined with ``and``), with the exception and the message verbatim. One entry per stretch of
  releases with the same condition and message (since / until), source = file:line of its first release.
  Conditions of another shape are listed under ``not_read`` (with their source), not guessed.
- ``kvs_deprecated``: the releases whose ``nullable_kvs`` (the ``key=value,...`` form of a JSON option) carries
  vLLM's ``@deprecated(...)`` warning, with its text.
"""
from __future__ import annotations

import argparse
import ast
import json
from pathlib import Path

from packaging.version import Version


def _string(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                parts.append("{" + ast.unparse(v.value) + "}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _string(node.left), _string(node.right)
        return a + b if a is not None and b is not None else None
    return None


def _operand(node):
    """(dest, default) of ``args.x`` / ``getattr(args, "x", default)``; None otherwise."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "args":
        return node.attr, None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" and \
            len(node.args) >= 2 and isinstance(node.args[0], ast.Name) and node.args[0].id == "args" and \
            isinstance(node.args[1], ast.Constant):
        default = node.args[2].value if len(node.args) > 2 and isinstance(node.args[2], ast.Constant) else None
        return node.args[1].value, default
    return None


def _condition(node) -> list[dict] | None:
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        out = []
        for v in node.values:
            part = _condition(v)
            if part is None:
                return None
            out += part
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        got = _operand(node.operand)
        return [{"dest": got[0], "truthy": False}] if got else None
    got = _operand(node)
    if got:
        return [{"dest": got[0], "truthy": True}]
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.comparators[0], ast.Constant):
        got = _operand(node.left)
        op = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}.get(type(node.ops[0]))
        if got and op and isinstance(node.comparators[0].value, (int, float)):
            item = {"dest": got[0], op: node.comparators[0].value}
            if got[1] is not None:
                item["default"] = got[1]
            return [item]
    return None


def read_release(tree: Path) -> tuple[list[dict], list[dict], dict | None]:
    checks, not_read, kvs = [], [], None
    version = tree.name
    for path in sorted((tree / "vllm").rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if "def validate_parsed_serve_args" not in text and "def nullable_kvs" not in text:
            continue
        module = ast.parse(text)
        rel = path.relative_to(tree).as_posix()
        for fn in ast.walk(module):
            if isinstance(fn, ast.FunctionDef) and fn.name == "nullable_kvs":
                for dec in fn.decorator_list:
                    if isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "deprecated" and dec.args:
                        kvs = {"text": _string(dec.args[0]), "source": f"{rel}:{dec.lineno} ({version})"}
            if not (isinstance(fn, ast.FunctionDef) and fn.name == "validate_parsed_serve_args"):
                continue
            for stmt in fn.body:
                if not isinstance(stmt, ast.If) or not stmt.body or not isinstance(stmt.body[0], ast.Raise):
                    continue
                exc = stmt.body[0].exc
                if not (isinstance(exc, ast.Call) and exc.args):
                    continue
                message = _string(exc.args[0])
                cond = _condition(stmt.test)
                source = f"{rel}:{stmt.lineno} ({version})"
                if cond is None or message is None:
                    not_read.append({"text": ast.unparse(stmt.test), "source": source})
                    continue
                checks.append({"when": cond, "exception": ast.unparse(exc.func), "message": message, "source": source})
    return checks, not_read, kvs


def build(src: Path) -> dict:
    trees = sorted((p for p in src.iterdir() if (p / "vllm").is_dir()), key=lambda p: Version(p.name))
    versions = [t.name for t in trees]
    stretches: dict[str, dict] = {}
    not_read: dict[str, dict] = {}
    kvs_stretch: dict[str, dict] = {}
    for tree in trees:
        checks, unread, kvs = read_release(tree)
        for c in checks:
            key = json.dumps([c["when"], c["exception"], c["message"]], sort_keys=True)
            s = stretches.setdefault(key, {**c, "releases": []})
            s["releases"].append(tree.name)
        for u in unread:
            not_read.setdefault(u["text"], {**u, "releases": []})["releases"].append(tree.name)
        if kvs:
            kvs_stretch.setdefault(kvs["text"], {**kvs, "releases": []})["releases"].append(tree.name)

    def ranges(releases: list[str]) -> list[dict]:
        out, start, prev = [], None, None
        for v in versions:
            if v in releases:
                start = start or v
                prev = v
            elif start:
                out.append({"since": start, "until": v})
                start = None
        if start:
            out.append({"since": start})
        return out

    def entry(item):
        r = ranges(item.pop("releases"))
        item = {k: v for k, v in item.items()}
        if len(r) == 1:
            return {**r[0], **item}
        return {"since": r[0]["since"], "ranges": r, **item}

    return {"schema": "vllm-serve-checks/1", "releases": versions,
            "checks": [entry(s) for s in stretches.values()],
            "not_read": [entry(u) for u in not_read.values()],
            "kvs_deprecated": [entry(k) for k in kvs_stretch.values()]}


def write(data: dict, out: Path) -> None:
    import yaml

    header = ("# The checks `vllm serve` runs on its parsed arguments before any GPU work (validate_parsed_serve_args),\n"
              "# and the releases that deprecate the key=value form of JSON options (nullable_kvs). Generated by\n"
              "# knowledge/tools/build_vllm_serve_checks.py (do not edit by hand), read statically with ast:\n"
              "#   python knowledge/tools/build_vllm_serve_checks.py --src SRC --out knowledge/vllm/serve_checks.yaml\n"
              "# when: every item holds (dest = the option's argparse dest; truthy = Python truth of its value, the\n"
              "# release's default when not given). since/until as in envs.yaml; source = file:line (first release).\n")
    out.write_text(header + yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    write(build(args.src), args.out)


if __name__ == "__main__":
    main()
