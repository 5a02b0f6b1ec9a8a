#!/usr/bin/env python3
"""Merge raw per-release dumps (from ``dump_vllm_cli.py dump``) into the shipped data.

Called as ``python3 knowledge/tools/dump_vllm_cli.py --raw DIR build`` (see that docstring).
Writes ``knowledge/vllm/cli/index.json``, ``knowledge/vllm/cli/options.json`` and
``tests/data/parser_verdicts/<version>.json``, then replays everything through
``vllm_lint.vllm.release`` and prints every disagreement with the real parsers.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import pathlib
import re
import sys

from packaging.version import Version

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from vllm_cli_samples import TYPE_SAMPLES  # noqa: E402  (sibling module)
REPO = HERE.parent.parent
CLI_DIR = REPO / "knowledge" / "vllm" / "cli"
VERDICT_DIR = REPO / "tests" / "data" / "parser_verdicts"
SRC_DIR = pathlib.Path("vllm-src")  # set by dump_vllm_cli.py build --src



def _probe(o, sample):
    i = TYPE_SAMPLES.index(sample)
    return o["probes"][i] if o.get("probes") else None


def _walk(desc):
    while desc:
        yield desc
        desc = desc.get("inner")


def refine_type(desc, o, version):
    """Add the behaviour variants (observed with the real type function) to a descriptor."""
    if desc is None:
        return None
    desc = json.loads(json.dumps(desc))
    probes = o.get("probes")

    def ok(sample):
        p = _probe(o, sample) if probes else None
        return p is not None and p[0]

    for d in _walk(desc):
        k = d.get("k")
        if k == "kvs":
            d["v"] = 1 if ok("a=1,a=2") else 2  # v2: lower-cased, stripped, conflicts rejected
            d["empty"] = ok("")  # '' -> None
        elif k == "custom" and probes:
            for name, fn in CUSTOM_TRANSFORMS.items():
                try:
                    if all(p[0] and p[1] == fn(smp) for smp, p in zip(TYPE_SAMPLES, probes)):
                        d["k"] = name
                        break
                except Exception:
                    continue
        elif k in ("hri", "hri_auto"):
            d["t"] = ok("2t")
        elif k == "dict_or_str":
            p = _probe(o, ' {"a": 1} ') if probes else None
            d["ws"] = bool(p and p[0] and isinstance(p[1], dict))
        elif k in ("dataclass", "pydantic_json", "json_kwargs", "level_or_literal", "level_or_json"):
            d["forbid_extra"] = not ok('{"a": 1}')
            if k == "dataclass":
                src = SRC_DIR / version / "vllm" / "engine" / "arg_utils.py"
                d["hr"] = src.exists() and "_expand_json_human_readable_numbers" in src.read_text()
        d.pop("wraps", None)
    for d in _walk(desc):  # 0.8/0.9: a JSON option also took 'k=v,k2=v2'
        if d.get("k") in ("parse", "optional") and (d.get("inner") or {}).get("k") == "json":
            if ok("image=3,video=0"):
                d["kvs"] = True
    return desc


CUSTOM_TRANSFORMS = {
    "lower_dash": lambda s: s.lower().replace("-", "_"),
    "csv_ids": lambda s: [int(p) if p.isdigit() else p for p in (x.strip() for x in s.split(","))],
    "none_empty": lambda s: "" if s.lower() == "none" else s,
    "str": lambda s: s,
}


def base_vocab(d):
    if d is None:
        return "str"
    k = d.get("k")
    if k == "optional":
        inner = base_vocab(d.get("inner"))
        return inner if inner.startswith("optional-") else "optional-" + inner
    if k == "parse":
        return base_vocab(d.get("inner"))
    return {
        "int": "int", "float": "float", "str": "str", "bool": "bool-str", "json": "json",
        "hri": "human-readable-int", "hri_auto": "human-readable-int-or-auto",
        "nullable_str": "optional-str", "kvs": "key=value-list", "colon_kvs": "key:value-list",
        "dict_or_str": "json-or-str", "dataclass": "json-config", "pydantic_json": "json-config",
        "json_kwargs": "json-config", "level_or_literal": "json-config-or-level", "level_or_json": "json-config-or-level", "enum": "str",
        "lower_dash": "str", "none_empty": "str", "csv_ids": "list[str]",
    }.get(k, "custom")


def vocab(o, desc):
    a = o["action"]
    if a in ("store_true", "store_false"):
        return "bool-flag"
    if a in ("bool_optional", "enable_disable"):
        return "bool-optional"
    if a in ("store_const", "append_const", "help", "version"):
        return "flag"
    if a == "count":
        return "count"
    if o["nargs"] == 0:
        return "flag"
    base = base_vocab(desc)
    n = o["nargs"]
    if n in ("+", "*") or isinstance(n, int) or a in ("append", "extend"):
        return f"list[{base}]"
    if n == "?":
        return base + "?"
    return base


JSONISH = {"json", "json-config", "json-or-str", "json-config-or-level", "key=value-list"}


def detect_flex(dump):
    """Find the pre-processing variant of vllm_lint.vllm.parser that reproduces every probe (needs vllm-lint
    installed: ``pip install -e .``)."""
    from vllm_lint.vllm import parser as R

    space = {
        "norm": ["all", "before_dot"],
        "dotted": [False, True, "v0"],
        "dotted_hri": [False, True],
        "O": ["none", "level", "mode", "optlevel_cc", "optlevel"],
        "model": ["allow", "error", "move", "move_re"],
        "served_name_check": [False, True],
        "help_eq": [False, True],
    }
    keys = list(space)
    good = []
    for combo in itertools.product(*(space[k] for k in keys)):
        flex = dict(zip(keys, combo))
        if not flex["dotted"] and flex["dotted_hri"]:
            continue
        fine = True
        for case, real in dump["preprocess"]:
            try:
                got = {"ok": True, "args": R.preprocess(case, flex)}
            except R.ParseError as e:
                got = {"ok": False, "error": e.message}
            if got["ok"] != real["ok"] or (got["ok"] and got["args"] != real["args"]) or \
                    (not got["ok"] and got["error"].split(":")[0] != real["error"].split(":")[0]):
                fine = False
                break
        if fine:
            good.append(flex)
    if not good:
        raise SystemExit(f"{dump['version']}: no pre-processing variant reproduces the probes")
    # the simplest explanation: prefer False / earliest values
    good.sort(key=lambda f: [space[k].index(f[k]) for k in keys])
    return good[0]


def _jsize(x):
    return len(json.dumps(x))


def build(raw: pathlib.Path, releases):
    dumps = {}
    for v in releases:
        f = raw / f"{v}.json"
        if f.exists():
            dumps[v] = json.loads(f.read_text())
    versions = sorted(dumps, key=Version)
    print("releases:", " ".join(versions))
    order_v = list(versions)
    types: list = []
    type_ix: dict[str, int] = {}
    variants: dict[str, dict] = {}
    per_release_index = []
    order: dict[str, list[int]] = {}
    for pos, v in enumerate(versions):
        d = dumps[v]
        flex = detect_flex(d)
        flex["task_hint"] = any("Hint: --task" in (ver.get("error") or "") for _, ver in d["verdicts"])
        wheel = {}
        wf = SRC_DIR / v / ".wheel.json"
        if wf.exists():
            wheel = json.loads(wf.read_text())
        stubs = d.get("stubs") or []
        entry = {
            "version": v,
            "date": wheel.get("built"),
            "date_source": "newest file timestamp in the PyPI wheel" if wheel else None,
            "wheel": wheel.get("wheel"),
            "wheel_sha256": wheel.get("sha256"),
            "obtained": "import-with-stubs" if stubs else "import",
            "stubs": stubs,
            "hidden_modules": d.get("hidden") or [],
            "shims": d.get("shims") or [],
            "pinned_for_import": d.get("overlay") or [],
            "platform": d["parser"].get("platform"),
            "entry": d["parser"]["entry"],
            "parser": {
                "allow_abbrev": d["parser"]["allow_abbrev"],
                "positionals": [{"dest": p["dest"], "nargs": p["nargs"]} for p in d["positionals"]],
                "flex": flex,
            },
            "behaviour": {
                "underscore_to_dash": {"all": "whole option name", "before_dot": "option name up to the first '.'"}[flex["norm"]],
                "dotted_json_args": bool(flex["dotted"]),
                "dotted_values_parsed_as_json": flex["dotted"] is True,
                "list_append_plus": flex["dotted"] is True,
                "human_readable_dotted_values": flex["dotted_hri"],
                "no_prefix_booleans": any(o["action"] in ("bool_optional", "enable_disable") for o in d["options"]),
                "enable_disable_pairs": any(o["action"] == "enable_disable" for o in d["options"]),
                "model_option": {"allow": "accepted (rejected later by `vllm serve` if it differs from the default)",
                                 "error": "rejected (ValueError) when written as `--model X`",
                                 "move": "moved to the positional model (warning)",
                                 "move_re": "moved to the positional model (warning)"}[flex["model"]],
                "O_shorthand": flex["O"],
            },
            "option_count": len(d["options"]),
        }
        per_release_index.append(entry)
        for o in d["options"]:
            desc = refine_type(o["type"], o, v) if o["type"] else None
            tkey = json.dumps(desc, sort_keys=True) if desc else None
            if tkey is not None and tkey not in type_ix:
                type_ix[tkey] = len(types)
                types.append(desc)
            t = type_ix.get(tkey)
            strings = list(o["strings"])  # registry order (argparse lists matches in it)
            hidden = [s for s in strings if s not in o["flags"]]
            negatives = []
            if o["action"] == "bool_optional":
                negatives = [s for s in strings if s.startswith("--no-")]
            elif o["action"] == "enable_disable":
                pos_strings = [s for s in o["flags"] if not s.startswith("--no-")]
                base = pos_strings[0] if pos_strings else ""
                negatives = [s for s in strings if s.startswith("--no-") or
                             (s.startswith("--disable-") and base.startswith("--enable-")) or
                             (s.startswith("--enable-") and base.startswith("--disable-"))]
            action = custom_action(o, v)
            o = dict(o, action=action)
            vt = vocab(o, desc)
            default = o["default"]
            rec = {
                "flags": strings,
                "dest": o["dest"],
                "type": vt,
                "t": t,
                "action": action,
                "hidden": hidden or None,
                "nargs": o["nargs"],
                "const": o["const"] if o["nargs"] == "?" or o["action"] in ("store_const", "append_const") else None,
                "default": default if _jsize(default) <= 160 else None,
                "default_elided": True if _jsize(default) > 160 else None,
                "choices": o["choices"],
                "is_json": True if vt.replace("optional-", "").replace("list[", "").rstrip("]?") in JSONISH else None,
                "json_keys": None,
                "deprecated": deprecation(o)[0],
                "replacement": deprecation(o)[1],
                "help": o["help"],
                "group": o["group"],
                "negatives": negatives or None,
            }
            for dd in _walk(desc):
                if dd.get("keys"):
                    rec["json_keys"] = dd["keys"]
            if action == "lora_v2":
                rec["json_keys"] = ["name", "path", "base_model_name"]
            if o["dest"] == "limit_mm_per_prompt":
                rec["json_keys"] = modalities(v)
            rec = {k: x for k, x in rec.items() if x is not None}
            key = json.dumps(rec, sort_keys=True)
            var = variants.setdefault(key, {"rec": rec, "pos": [], "id": len(variants)})
            var["pos"].append(pos)
            order.setdefault(v, []).append(var["id"])
    out_opts = []
    for var in variants.values():
        ranges = []
        for p in sorted(var["pos"]):
            if ranges and ranges[-1][1] == p - 1:
                ranges[-1][1] = p
            else:
                ranges.append([p, p])
        var["ranges"] = ranges
    # stable, readable order: by option string, then first release
    ordered = sorted(variants.values(), key=lambda x: (x["rec"]["flags"][0], x["ranges"][0][0]))
    new_id = {var["id"]: i for i, var in enumerate(ordered)}
    for var in ordered:
        out_opts.append({"in": [[order_v[a], order_v[b]] for a, b in var["ranges"]], **var["rec"]})
    order = {v: [new_id[i] for i in ids] for v, ids in order.items()}
    py = sorted({dumps[v]["python"] for v in versions})
    index = {
        "schema_version": 1,
        "generated_by": "knowledge/tools/dump_vllm_cli.py",
        "python": py[-1],
        "type_vocabulary": sorted({r["type"] for r in out_opts}),
        "releases": per_release_index,
    }

    CLI_DIR.mkdir(parents=True, exist_ok=True)
    (CLI_DIR / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    # one option per line: compact but diffable
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in out_opts)
    types_txt = ",\n".join(json.dumps(t, separators=(",", ":")) for t in types)
    (CLI_DIR / "options.json").write_text(
        '{"schema_version":1,\n"releases":' + json.dumps(versions) + ',\n"types":[\n' + types_txt +
        '],\n"options":[\n' + lines + '],\n"order":{\n' +
        ",\n".join(f"{json.dumps(v)}:{json.dumps(order[v], separators=(',', ':'))}" for v in versions) + "}}\n")
    write_verdicts(dumps, versions)
    sizes = {p.name: p.stat().st_size for p in CLI_DIR.glob("*.json")}
    print("sizes:", sizes, "total", sum(sizes.values()))


_STRICT_DEPRECATION = re.compile(
    r"\[DEPRECATED\]|\(DEPRECATED|\b(is|are|been|flag|option|parameter) deprecated\b|^deprecated\b|"
    r"\bdeprecated[:,.)]|will be removed|has been removed|no longer (used|supported)|will be deprecated", re.I)
_BACKTICK_REPL = re.compile(r"\b[Uu]se `(--)?([a-z][a-z0-9_\-]*)` instead")


def deprecation(o):
    """(deprecated, replacement) from the worker's candidates, with adjective uses of
    'deprecated' ("allow deprecated quantization methods") and 'has no effect' notes dropped."""
    dep, repl = o.get("deprecated"), o.get("replacement")
    if dep and dep != "deprecated" and not _STRICT_DEPRECATION.search(dep):
        dep, repl = None, None
    if repl and repl in (o.get("strings") or o["flags"]):
        repl = None
    if dep and not repl:
        m = _BACKTICK_REPL.search(dep) or _BACKTICK_REPL.search(o.get("help") or "")
        if m:
            repl = "--" + m.group(2).replace("_", "-")
    return dep, repl


def custom_action(o, version):
    """Name the behaviour of vLLM's own argparse.Action subclasses."""
    cls = o.get("action_class", "")
    if cls == "StoreBoolean":
        return "store_boolean"
    if cls in ("LoRAParserAction", "PromptAdapterParserAction"):
        if cls == "LoRAParserAction":
            for p in (SRC_DIR / version / "vllm").rglob("*.py"):
                text = p.read_text(errors="replace")
                i = text.find("class LoRAParserAction")
                if i >= 0 and re.search(r"""["'],["'] not in item""", text[i:i + 3000]):
                    return "lora_v2"
        return "lora_v1"
    return o["action"]


def modalities(version):
    """Modalities vLLM knows in this release (keys of --limit-mm-per-prompt)."""
    src = SRC_DIR / version / "vllm"
    found = set()
    for rel in ("multimodal/registry.py", "multimodal/inputs.py", "multimodal/parse.py", "config/multimodal.py"):
        p = src / rel
        if p.exists():
            found |= set(re.findall(r'"(image|video|audio|image_embeds|vision_chunk)"', p.read_text()))
    return sorted(found) or ["audio", "image", "video"]


def _small(v):
    return _jsize(v) <= 300


def write_verdicts(dumps, order):
    VERDICT_DIR.mkdir(parents=True, exist_ok=True)
    for v in order:
        d = dumps[v]
        cases = []
        for argv, ver in d["verdicts"]:
            if "--config" in argv and any(a.endswith((".yaml", ".yml")) for a in argv):
                continue  # the real parser read (a missing) YAML file; not a parser verdict
            ver = dict(ver)
            if ver.get("ok"):
                ver["values"] = {k: (x if _small(x) else {"$elided": hashlib.sha1(json.dumps(x).encode()).hexdigest()[:8]})
                                 for k, x in ver["values"].items()}
            ver.pop("prog", None)
            for key in ("error", "post"):
                if ver.get(key):  # memory addresses in reprs change on every run
                    ver[key] = re.sub(r" at 0x[0-9a-f]+>", " at 0x...>", ver[key])
                    # the release tree's location on the machine that ran the dump is no fact of vLLM's
                    ver[key] = re.sub(r"/[^\s'\"]*/(vllm/[^\s'\"]*)", r"<site-packages>/\1", ver[key])
            cases.append([argv, ver])
        probes = {}
        seen = set()
        for o in d["options"]:
            if not o.get("probes") or o["choices"] or o["nargs"] not in (None,) or o["dest"] == "config":
                continue
            desc = refine_type(o["type"], o, v)
            key = json.dumps(desc, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            flag = next((s for s in o["flags"] if s.startswith("--")), o["flags"][0])
            # 1 = the type function accepted the sample, 0 = argparse error,
            # - = an exception argparse does not handle (vllm serve crashes)
            probes[flag] = "".join("-" if (not ok and isinstance(res, str) and res.startswith("!"))
                                   else "1" if ok else "0" for ok, res in o["probes"])
        doc = {"version": v, "python": d["python"], "model": "org/model", "cases": cases, "type_probes": probes}
        (VERDICT_DIR / f"{v}.json").write_text(
            '{"version":' + json.dumps(v) + ',"python":' + json.dumps(d["python"]) +
            ',"model":"org/model",\n"cases":[\n' +
            ",\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + '],\n"type_samples":' +
            json.dumps(TYPE_SAMPLES) + ',\n"type_probes":{\n' +
            ",\n".join(f"{json.dumps(f)}:{json.dumps(b)}" for f, b in probes.items()) + "}}\n")
