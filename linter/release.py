"""The ``vllm serve`` command line of each vLLM release, and an emulation of its parser.

The tables in ``knowledge/vllm/cli/`` were generated from the real parser of every covered
release (``knowledge/tools/dump_vllm_cli.py`` explains how). This module loads them and
emulates what that release's parser does with a command line: vLLM's
``FlexibleArgumentParser`` pre-processing (underscores to dashes, dotted ``--x.key value``
JSON arguments, ``-O3``, ``--model``), argparse's matching (exact, ``--flag=value``,
unambiguous prefixes), the value conversion of each option's ``type`` and its ``choices``.
Error messages are those argparse printed under the Python the tables were made with
(recorded in the index), e.g. ``argument --mm-encoder-tp-mode: invalid choice: 'replicate'
(choose from 'data', 'weights')``.

Only the standard library and ``packaging`` are used.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

__all__ = ["Option", "Release", "known_versions", "newest_version", "load_release", "ParseResult"]


# ------------------------------------------------------------------------------- data


def _data_dir() -> Path:
    try:
        from importlib import resources

        p = resources.files("vllm_lint.knowledge").joinpath("vllm", "cli")
        if p.is_dir():
            return Path(str(p))
    except Exception:  # pragma: no cover - fall back to the source tree
        pass
    return Path(__file__).resolve().parent.parent / "knowledge" / "vllm" / "cli"


DATA_DIR = _data_dir()


@functools.lru_cache(maxsize=None)
def _index() -> dict:
    return json.loads((DATA_DIR / "index.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _table() -> dict:
    return json.loads((DATA_DIR / "options.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def _v(s: str) -> Version:
    return Version(s)


@functools.lru_cache(maxsize=None)
def known_versions() -> list[str]:
    """Covered releases, ascending."""
    return sorted((r["version"] for r in _index()["releases"]), key=_v)


def newest_version() -> str:
    return known_versions()[-1]


def _resolve_version(version: str) -> str:
    try:
        want = _v(str(version).lstrip("vV"))
    except InvalidVersion as e:
        raise ValueError(f"not a vLLM version: {version!r}") from e
    known = known_versions()
    exact = [k for k in known if _v(k) == want]
    if exact:
        return exact[0]
    below = [k for k in known if _v(k) <= want]
    if not below:
        raise KeyError(f"vLLM {version} is older than the oldest covered release {known[0]}")
    same_minor = [k for k in below if _v(k).release[:2] == want.release[:2]]
    return (same_minor or below)[-1]


def load_release(version: str) -> "Release":
    """The covered release ``version``, or the nearest covered one below it (same minor
    preferred). ``KeyError`` below the oldest covered release."""
    covered = _resolve_version(version)
    return _load_covered(covered)._with_requested(str(version))


@functools.lru_cache(maxsize=None)
def _load_covered(version: str) -> "Release":
    idx = _index()
    meta = next(r for r in idx["releases"] if r["version"] == version)
    tab = _table()
    types = tab["types"]
    recs = tab["options"]
    opts = [_make_option(recs[i], types) for i in tab["order"][version]]
    return Release(version, version, meta, opts, idx.get("python"))


def _tup(x):
    return tuple(x) if isinstance(x, list) else x


def _make_option(rec: dict, types: list) -> "Option":
    conv = types[rec["t"]] if rec.get("t") is not None else None
    return Option(
        flags=tuple(rec["flags"]),
        dest=rec["dest"],
        type=rec["type"],
        choices=_tup(rec.get("choices")),
        default=rec.get("default"),
        nargs=rec.get("nargs"),
        is_json=bool(rec.get("is_json")),
        json_keys=_tup(rec.get("json_keys")),
        deprecated=rec.get("deprecated"),
        help=rec.get("help", ""),
        replacement=rec.get("replacement"),
        action=rec.get("action", "store"),
        const=rec.get("const"),
        negatives=tuple(rec.get("negatives") or ()),
        hidden=tuple(rec.get("hidden") or ()),
        group=rec.get("group"),
        conv=conv,
    )


# ----------------------------------------------------------------------------- option


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]          # every option string the parser registered (visible ones first)
    dest: str
    type: str                       # vocabulary: see knowledge/schemas/vllm_cli.schema.json
    choices: tuple | None
    default: object
    nargs: Any
    is_json: bool
    json_keys: tuple | None
    deprecated: str | None
    help: str
    replacement: str | None
    action: str = "store"           # store, store_true, store_false, store_const, append, count,
    #                                 bool_optional (--x/--no-x), enable_disable (--enable-x/--disable-x),
    #                                 store_boolean ('true'/'false'), lora_v1 / lora_v2 (name=path [or JSON])
    const: object = None
    negatives: tuple[str, ...] = ()  # option strings that set a boolean to False
    hidden: tuple[str, ...] = ()     # accepted option strings the parser leaves out of help/messages
    group: str | None = field(default=None, compare=False)
    conv: dict | None = field(default=None, repr=False, compare=False)  # value-conversion descriptor

    @property
    def canonical(self) -> str:
        return next((f for f in self.flags if f.startswith("--")), self.flags[0])

    @property
    def takes_value(self) -> bool:
        return self.nargs != 0


# ------------------------------------------------------------------ value conversions


class _TypeError(Exception):
    """argparse.ArgumentTypeError: its text is the whole message."""


class _ValueError(ValueError):
    """A ValueError/TypeError in a type function: argparse prints 'invalid NAME value: ...'."""


class _Crash(Exception):
    """An exception argparse does not catch: the real ``vllm serve`` dies with a traceback."""


def _kvs_v1(val: str):
    out = {}
    for item in val.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise _ValueError(val)
        key, value = parts
        try:
            out[key] = int(value)
        except ValueError:
            raise _ValueError(val) from None
    return out


def _kvs_v2(val: str):
    out: dict[str, int] = {}
    for item in val.split(","):
        parts = [p.lower().strip() for p in item.split("=")]
        if len(parts) != 2:
            raise _TypeError("Each item should be in the form KEY=VALUE")
        key, value = parts
        try:
            parsed = int(value)
        except ValueError:
            raise _TypeError(f"Failed to parse value of item {key}={value}") from None
        if key in out and out[key] != parsed:
            raise _TypeError(f"Conflicting values specified for key: {key}")
        out[key] = parsed
    return out


_HRI_RE = re.compile(r"(\d+(?:\.\d+)?)([kKmMgGtT])")
_HRI_TOKEN_RE = re.compile(r"\b\d+(?:\.\d+)?[kKmMgGtT]\b")


def _hri(val: str, with_t: bool = True):
    value = val.strip()
    m = _HRI_RE.fullmatch(value)
    if m and (with_t or m.group(2) not in "tT"):
        number, suffix = m.groups()
        if suffix in "kmgt":
            return int(float(number) * 10 ** {"k": 3, "m": 6, "g": 9, "t": 12}[suffix])
        mult = 2 ** {"K": 10, "M": 20, "G": 30, "T": 40}[suffix]
        try:
            return int(number) * mult
        except ValueError:
            raise _TypeError(
                f"Decimals are not allowed with binary suffixes like {suffix}. "
                f"Did you mean to use {number}{suffix.lower()} instead?") from None
    try:
        return int(value)
    except ValueError:
        raise _ValueError(val) from None


def _expand_hr_json(val: str) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', val)
    for i in range(0, len(parts), 2):
        parts[i] = _HRI_TOKEN_RE.sub(lambda m: str(_hri(m.group())), parts[i])
    return "".join(parts)


def _json_object_check(data, conv: dict, what: str):
    if not isinstance(data, dict):
        raise _TypeError(f"{what}: input should be a JSON object")
    keys = conv.get("keys")
    if conv.get("forbid_extra") and keys is not None:
        extra = [k for k in data if k not in keys]
        if extra:
            raise _TypeError(f"{what}: unexpected keys {extra}")
    return data


def _convert(conv: dict | None, val: str):
    """Apply the release's type function (described by ``conv``) to ``val``."""
    if conv is None:
        return val
    k = conv.get("k")
    if k in ("str", "enum_str", None):
        return val
    if k == "int":
        try:
            return int(val)
        except ValueError:
            raise _ValueError(val) from None
    if k == "float":
        try:
            return float(val)
        except ValueError:
            raise _ValueError(val) from None
    if k == "bool":
        return bool(val)
    if k == "json":
        try:
            return json.loads(val)
        except ValueError:
            raise _ValueError(val) from None
    if k == "nullable_str":
        return None if (not val or val == "None") else val
    if k == "kvs":
        if val == "" and conv.get("empty", True):
            return None
        return _kvs_v2(val) if conv.get("v") == 2 else _kvs_v1(val)
    if k == "lower_dash":
        return val.lower().replace("-", "_")
    if k == "none_empty":
        return "" if val.lower() == "none" else val
    if k == "csv_ids":
        return [int(p) if p.isdigit() else p for p in (x.strip() for x in val.split(","))]
    if k == "colon_kvs":
        out = {}
        for item in val.split(","):
            parts = item.split(":")
            if len(parts) != 2:
                raise _ValueError(val)
            out[str(parts[0])] = parts[1]
        return out
    if k == "hri":
        return _hri(val, conv.get("t", True))
    if k == "hri_auto":
        v = val.strip()
        if v == "-1" or v.lower() == "auto":
            return -1
        return _hri(val, conv.get("t", True))
    if k in ("parse", "optional"):
        if k == "optional" and (val == "" or val == "None"):
            return None
        inner = conv.get("inner") or {}
        if conv.get("kvs") and inner.get("k") == "json" and not re.match(r"^{.*}$", val):
            return _kvs_v2(val)
        if k == "optional" and not conv.get("parse", True):
            return _convert(inner, val)
        try:
            return _convert(inner, val)
        except _ValueError:
            raise _TypeError(f"Value {val} cannot be converted to {_inner_repr(inner)}.") from None
    if k == "dict_or_str":
        pat = r"(?s)^\s*{.*}\s*$" if conv.get("ws") else r"^{.*}$"
        if not re.match(pat, val):
            return str(val)
        return _convert({"k": "optional", "inner": {"k": "json"}}, val)
    if k in ("dataclass", "pydantic_json", "json_kwargs"):
        what = conv.get("cls") or "config"
        text = _expand_hr_json(val) if conv.get("hr") else val
        try:
            data = json.loads(text)
        except ValueError:
            if k == "dataclass":
                raise _TypeError(f"1 validation error for {what}\n  Invalid JSON: {val!r}") from None
            raise _ValueError(val) from None
        try:
            return _json_object_check(data, conv, what)
        except _TypeError:
            if k == "dataclass":
                raise
            raise _ValueError(val) from None
    if k == "level_or_json":
        if val in ("0", "1", "2", "3"):
            return {"level": int(val)}
        try:
            data = json.loads(val)
        except ValueError:
            raise _ValueError(val) from None
        try:
            return _json_object_check(data, conv, conv.get("cls") or "config")
        except _TypeError:
            raise _ValueError(val) from None
    if k == "level_or_literal":
        if val in ("0", "1", "2", "3"):
            return {"level": int(val)}
        try:
            data = ast.literal_eval(val)
        except ValueError:
            raise _ValueError(val) from None
        except SyntaxError as e:  # not caught by argparse: vllm serve crashes
            raise _Crash(f"SyntaxError: {e.msg}") from None
        try:
            return _json_object_check(data, conv, conv.get("cls") or "config")
        except _TypeError:
            raise _ValueError(val) from None
    return val  # "custom": accepted as written


def _inner_repr(inner: dict) -> str:
    k = inner.get("k")
    if k == "int":
        return "<class 'int'>"
    if k == "float":
        return "<class 'float'>"
    if k == "str":
        return "<class 'str'>"
    return f"<function {inner.get('qual') or inner.get('name') or k} at 0x...>"  # argparse prints an address that varies per run


def _type_name(conv: dict | None) -> str:
    if not conv:
        return "str"
    return conv.get("name") or conv.get("k") or "str"


# ------------------------------------------------------------------ emulated parser


class ParseError(Exception):
    """A command line the release's ``vllm serve`` would reject. ``by`` is ``argparse``
    (usage error, exit 2), ``vllm`` (an exception raised by vLLM's argument
    pre-processing) or ``crash`` (an exception escaping a type function)."""

    def __init__(self, message: str, by: str = "argparse"):
        super().__init__(message)
        self.message = message
        self.by = by


@dataclass
class ParseResult:
    ok: bool
    error: str | None = None
    by: str | None = None
    values: dict = field(default_factory=dict)  # dest -> value for the options given


_TASK_HINT = ("\n\nHint: --task is not a vllm serve option. For embedding, reranking, or reward models, "
              "use --runner pooling. To adapt a generative model for pooling, also use --convert embed, "
              "--convert classify, or --convert reward.")


class _Parser(argparse.ArgumentParser):
    task_hint = False

    def error(self, message):  # never exit
        if self.task_hint and message.startswith("unrecognized arguments:") and \
                re.search(r"(^|\s)--task(=|\s|$)", message):
            message += _TASK_HINT
        raise ParseError(message)

    def _check_value(self, action, value):  # Python 3.11 wording, whatever Python runs this
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(map(repr, action.choices))
            raise argparse.ArgumentError(action, f"invalid choice: {value!r} (choose from {choices})")

    def _get_value(self, action, arg_string):
        conv = getattr(action, "_vl_conv", None)
        try:
            return _convert(conv, arg_string)
        except _TypeError as e:
            raise argparse.ArgumentError(action, str(e)) from None
        except _ValueError:
            raise argparse.ArgumentError(
                action, "invalid %s value: %r" % (_type_name(conv), arg_string)) from None
        except _Crash as e:
            raise ParseError(str(e), "crash") from None


class _BoolAction(argparse.Action):
    def __init__(self, option_strings, dest, negatives=(), **kw):
        super().__init__(option_strings, dest, nargs=0, **kw)
        self._neg = set(negatives)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, option_string not in self._neg)


class _StoreAny(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)


class _StoreBoolean(argparse.Action):
    """vLLM 0.6/0.7 ``StoreBoolean``: 'true'/'false' (any case); anything else raises."""

    def __call__(self, parser, namespace, values, option_string=None):
        if str(values).lower() == "true":
            setattr(namespace, self.dest, True)
        elif str(values).lower() == "false":
            setattr(namespace, self.dest, False)
        else:
            raise ParseError(f"ValueError: Invalid boolean value: {values}. Expected 'true' or 'false'.", "crash")


class _LoRA(argparse.Action):
    """vLLM's ``LoRAParserAction``/``PromptAdapterParserAction``: ``name=path`` items; from 0.8 on
    also JSON objects ``{"name": ..., "path": ..., "base_model_name": ...}``."""

    json_ok = False

    def __call__(self, parser, namespace, values, option_string=None):
        out = []
        for item in values or []:
            if self.json_ok and item in (None, ""):
                continue
            if not self.json_ok or ("=" in item and "," not in item):
                parts = item.split("=")
                if len(parts) != 2:
                    raise ParseError(f"ValueError: too many values to unpack (expected 2)" if len(parts) > 2
                                     else "ValueError: not enough values to unpack (expected 2, got 1)", "crash")
                out.append({"name": parts[0], "path": parts[1]})
                continue
            try:
                d = json.loads(item)
            except ValueError:
                parser.error(f"Invalid JSON format for --lora-modules: {item}")
            problem = None
            if not isinstance(d, dict):
                problem = f"LoRAModulePath() argument after ** must be a mapping, not {type(d).__name__}"
            else:
                extra = [k for k in d if k not in ("name", "path", "base_model_name")]
                missing = [k for k in ("name", "path") if k not in d]
                if extra:
                    problem = f"LoRAModulePath.__init__() got an unexpected keyword argument '{extra[0]}'"
                elif len(missing) == 1:
                    problem = f"LoRAModulePath.__init__() missing 1 required positional argument: '{missing[0]}'"
                elif missing:
                    problem = ("LoRAModulePath.__init__() missing 2 required positional arguments: "
                               "'name' and 'path'")
            if problem:
                parser.error(f"Invalid fields for --lora-modules: {item} - {problem}")
            out.append(d)
        setattr(namespace, self.dest, out)


class _LoRA2(_LoRA):
    json_ok = True


def _build_parser(rel: "Release") -> _Parser:
    pinfo = rel.meta.get("parser", {})
    p = _Parser(prog="vllm serve", add_help=False, allow_abbrev=pinfo.get("allow_abbrev", True))
    p.task_hint = bool(pinfo.get("flex", {}).get("task_hint"))
    for pos in pinfo.get("positionals", []):
        kw: dict = {"nargs": pos.get("nargs")} if pos.get("nargs") is not None else {}
        p.add_argument(pos["dest"], default=argparse.SUPPRESS, **kw)
    for o in rel.options():
        kw = {"dest": o.dest, "default": argparse.SUPPRESS}
        a = o.action
        if a in ("help", "version"):
            kw.update(action="store_const", const=None)
        elif a in ("bool_optional", "enable_disable"):
            kw.update(action=_BoolAction, negatives=o.negatives)
        elif a in ("store_true", "store_false", "store_const", "append_const"):
            kw.update(action="store_const" if a != "append_const" else "append_const",
                      const=(a == "store_true") if a in ("store_true", "store_false") else o.const)
        elif a == "count":
            kw.update(action="count")
        elif a in ("store_boolean", "lora_v1", "lora_v2"):
            kw.update(action={"store_boolean": _StoreBoolean, "lora_v1": _LoRA, "lora_v2": _LoRA2}[a])
            if o.nargs is not None:
                kw["nargs"] = o.nargs
            if o.nargs == "?":
                kw["const"] = o.const
        else:
            if a in ("append", "extend"):
                kw["action"] = a
            else:
                kw["action"] = _StoreAny if o.nargs == 0 else "store"
            if o.nargs is not None:
                kw["nargs"] = o.nargs
            if o.nargs == "?":
                kw["const"] = o.const
            if o.choices is not None:
                kw["choices"] = list(o.choices)
        act = p.add_argument(*o.flags, **kw)
        act._vl_conv = o.conv
        if o.hidden:  # registered, but messages name only the visible strings
            act.option_strings = [f for f in o.flags if f not in o.hidden]
    return p


_DOT_KEY = re.compile(r"(?<=--)[^\.]*")


def _preprocess(args: list[str], flex: dict) -> list[str]:
    """vLLM's ``FlexibleArgumentParser.parse_args`` before argparse proper (per release)."""
    args = list(args)
    model = flex.get("model", "allow")
    if args and args[0] == "serve":
        if model == "error" and any(a == "--model" for a in args):
            raise ParseError("ValueError: With `vllm serve`, you should provide the model as a positional "
                             "argument or in a config file instead of via the `--model` option.", "vllm")
        if model in ("move", "move_re"):
            if model == "move":
                hit = [i for i, a in enumerate(args) if a == "--model" or a.startswith("--model=")]
            else:
                hit = [i for i, a in enumerate(args) if re.match(r"^--model(=.+|$)", a)]
            if hit:
                i = hit[0]
                if args[i] == "--model":
                    if i + 1 >= len(args):
                        raise ParseError("IndexError: list index out of range", "crash")
                    tag, rest = args[i + 1], i + 2
                else:
                    tag, rest = args[i][len("--model="):], i + 1
                args = ["serve", tag, *args[1:i], *args[rest:]]
        if flex.get("served_name_check") and len(args) > 1 and args[1].startswith("-") \
                and not any(re.match(r"^--config(=.+|$)", a) for a in args) \
                and any(re.match(r"^--served[-_]model[-_]name(=.+|$)", a) for a in args):
            raise ParseError("ValueError: `model` should be provided as the first positional argument when "
                             "using `vllm serve`. i.e. `vllm serve <model> --<arg> <value>`.", "vllm")
    if "--config" in args:  # a YAML file whose content we do not have: check what can be checked
        i = args.index("--config")
        if i == len(args) - 1:
            raise ParseError("ValueError: No config file specified! Please check your command-line arguments.", "vllm")
        if args[i + 1].split(".")[-1] not in ("yaml", "yml"):
            raise ParseError("ValueError: Config file must be of a yaml/yml type.", "vllm")
        args = args[:i] + args[i + 2:]
    norm = flex.get("norm", "all")

    def fix(key: str) -> str:
        if norm == "all":
            return "--" + key[2:].replace("_", "-")
        return _DOT_KEY.sub(lambda m: m.group(0).replace("_", "-"), key, count=1)

    o_mode = flex.get("O", "none")
    out: list[str] = []
    for i, arg in enumerate(args):
        if flex.get("help_eq") and arg.startswith("--help="):
            out.append("--help")
        elif arg.startswith("--"):
            if "=" in arg:
                key, value = arg.split("=", 1)
                out.append(f"{fix(key)}={value}")
            else:
                out.append(fix(arg))
        elif o_mode in ("level", "mode", "optlevel_cc") and arg.startswith("-O") and arg != "-O" \
                and arg[2] != ".":
            lvl = arg[3:] if arg[2] == "=" else arg[2:]
            if o_mode == "optlevel_cc":
                out += ["--optimization-level", lvl]
            else:
                out.append(f"-O.{o_mode}={lvl}")
        elif o_mode == "optlevel" and arg.startswith("-O") and arg != "-O":
            lvl = arg[3:] if arg[2] == "=" else arg[2:]
            out += ["--optimization-level", lvl]
        elif o_mode != "none" and arg == "-O" and i + 1 < len(args) and args[i + 1] in {"0", "1", "2", "3"}:
            out.append({"level": "-O.level", "mode": "-O.mode"}.get(o_mode, "--optimization-level"))
        elif o_mode == "optlevel_cc" and arg.startswith("-O."):
            out.append(arg.replace("-O", "-cc", 1))
        else:
            out.append(arg)
    dotted = flex.get("dotted")
    if not dotted:
        return out
    v0 = dotted == "v0"  # 0.9.0: '--' options only, values kept as strings, no '+'
    delete: set[int] = set()
    dict_args: dict[str, dict] = {}
    for i, a in enumerate(out):
        if i in delete and not v0:
            continue
        if a.startswith("--" if v0 else "-") and "." in a:
            if "=" in a:
                a, value_str = a.split("=", 1)
                if "." not in a:
                    continue
            else:
                if i + 1 >= len(out):
                    raise ParseError("IndexError: list index out of range", "crash")
                value_str = out[i + 1]
                delete.add(i + 1)
            if a.endswith("+") and not v0:
                a = a[:-1]
                value_str = json.dumps(list(value_str.split(",")))
            key, *keys = a.split(".")
            try:
                if v0:
                    raise json.JSONDecodeError("v0", "", 0)
                value: Any = json.loads(value_str)
            except json.JSONDecodeError:
                value = value_str
                if flex.get("dotted_hri"):
                    try:
                        value = _hri(value_str)
                    except (_ValueError, _TypeError):
                        value = value_str
            nested: Any = value
            for k in reversed(keys):
                nested = {k: nested}
            _merge(dict_args.setdefault(key, {}), nested)
            delete.add(i)
    out = [a for i, a in enumerate(out) if i not in delete]
    for k, v in dict_args.items():
        out += [k, json.dumps(v)]
    return out


def _merge(original: dict, update: dict) -> None:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(original.get(k), dict):
            _merge(original[k], v)
        elif isinstance(v, list) and isinstance(original.get(k), list):
            original[k] += v
        else:
            original[k] = v


# ----------------------------------------------------------------------------- release


class Release:
    """One covered vLLM release's ``vllm serve`` options."""

    def __init__(self, version: str, requested: str, meta: dict, options: list[Option], python: str | None):
        self.version = version
        self.requested = requested
        self.meta = meta
        self.obtained = meta.get("obtained", "import")
        self.python = python
        self._options = options
        self._by_string: dict[str, Option] = {}
        for o in options:
            for f in o.flags:
                self._by_string.setdefault(f, o)
        self._parser: _Parser | None = None

    def _with_requested(self, requested: str) -> "Release":
        if requested == self.requested:
            return self
        r = Release.__new__(Release)
        r.__dict__.update(self.__dict__)
        r.requested = requested
        return r

    def __repr__(self) -> str:
        return f"<Release {self.version} (requested {self.requested}, {self.obtained})>"

    @property
    def flex(self) -> dict:
        return self.meta.get("parser", {}).get("flex", {})

    @property
    def date(self) -> str | None:
        return self.meta.get("date")

    def options(self) -> list[Option]:
        return list(self._options)

    # -- flag resolution
    def _match(self, token: str) -> tuple[Option | None, str | None]:
        """argparse's lookup of one (pre-processed) option token -> (option, explicit arg)."""
        reg = self._by_string
        if token in reg:
            return reg[token], None
        if len(token) < 2 or token[0] != "-":
            return None, None
        if "=" in token:
            s, arg = token.split("=", 1)
            if s in reg:
                return reg[s], arg
        allow = self.meta.get("parser", {}).get("allow_abbrev", True)
        hits: list[tuple[Option, str | None]] = []
        if token[1] == "-":  # Python 3.11 argparse._get_option_tuples
            if allow:
                pre, arg = token.split("=", 1) if "=" in token else (token, None)
                hits = [(o, arg) for s, o in reg.items() if s.startswith(pre)]
        else:
            short, short_arg = token[:2], token[2:]
            for s, o in reg.items():
                if s == short:
                    hits.append((o, short_arg))
                elif s.startswith(token):
                    hits.append((o, None))
        if len(hits) == 1:
            return hits[0]
        return None, None

    def _normalize_flag(self, flag: str) -> str:
        flag = flag.split("=", 1)[0] if flag.startswith("--") else flag
        flex = dict(self.flex, model="allow", served_name_check=False)
        out = _preprocess(["serve", "org/model", flag, "0"], flex)
        toks = [t for t in out[2:] if t.startswith("-")]
        return toks[0] if toks else flag

    def _moved_model(self, flag: str) -> bool:
        """Releases from 0.11.2 on move ``--model X`` to the positional model before argparse."""
        mode = self.flex.get("model")
        if mode == "move":
            return flag == "--model" or flag.startswith("--model=")
        if mode == "move_re":
            return flag == "--model" or bool(re.match(r"^--model=.+", flag))
        return False

    @functools.cached_property
    def _model_option(self) -> Option:
        return Option(
            flags=("--model",), dest="model_tag", type="str", choices=None, default=None, nargs=None,
            is_json=False, json_keys=None,
            deprecated=("With `vllm serve`, you should provide the model as a positional argument or in a "
                        "config file instead of via the `--model` option."),
            help="The model to serve: vLLM's pre-processing moves `--model X` to the positional model.",
            replacement=None, action="store", group="positional arguments")

    def option(self, flag: str) -> Option | None:
        """The option ``flag`` (as a user wrote it) selects, resolved as this release's parser
        does (underscores, dotted keys, ``--no-x``, unambiguous prefixes); None if rejected."""
        if not flag or not flag.startswith("-"):
            return None
        memo = self.__dict__.setdefault("_option_memo", {})
        if flag in memo:
            return memo[flag]
        if self._moved_model(flag):
            memo[flag] = self._model_option
            return memo[flag]
        try:
            tok = self._normalize_flag(flag)
        except ParseError:
            memo[flag] = None
            return None
        opt, _ = self._match(tok)
        if opt is None and "=" in tok:
            opt, _ = self._match(tok.split("=", 1)[0])
        memo[flag] = opt
        return opt

    def takes_value(self, flag: str) -> bool:
        """Whether the word after ``flag`` is consumed as its value."""
        if flag.startswith("--") and "=" in flag:
            return False
        base = flag.split("=", 1)[0]
        if self.flex.get("dotted") and base.startswith("-") and "." in base:
            return "=" not in flag
        o = self.option(flag)
        if o is None or o.nargs == 0:
            return False
        if not flag.startswith("--") and flag not in o.flags:
            # '-O3', '-qawq': the value is attached, or vLLM's pre-processing expands it
            if flag[:2] in o.flags:
                return False
            try:
                flex = dict(self.flex, model="allow", served_name_check=False)
                if len(_preprocess(["serve", "org/model", flag], flex)) > 3:
                    return False
            except ParseError:
                pass
        return True

    def suggest(self, flag: str) -> list[str]:
        name = flag.split("=", 1)[0]
        if name.startswith("--"):
            name = "--" + name[2:].replace("_", "-")
        memo = self.__dict__.setdefault("_suggest_memo", {})
        if name not in memo:
            longs = self.__dict__.get("_longs")
            if longs is None:
                longs = self.__dict__["_longs"] = sorted({f for f in self._by_string if f.startswith("--")})
            memo[name] = difflib.get_close_matches(name, longs, n=3, cutoff=0.6)
        return list(memo[name])

    def history(self, flag: str) -> str | None:
        """For a flag unknown to this release: what the other covered releases say about it."""
        memo = self.__dict__.setdefault("_history_memo", {})
        if flag not in memo:
            memo[flag] = self._history(flag)
        return memo[flag]

    def _history(self, flag: str) -> str | None:
        if self.option(flag) is not None:
            return None
        here = _v(self.version)
        have = []
        for v in known_versions():
            if v == self.version:
                continue
            r = _load_covered(v)
            o = r._exact(flag)
            if o is not None:
                have.append((v, o))
        if not have:
            return None
        older = [(v, o) for v, o in have if _v(v) < here]
        newer = [(v, o) for v, o in have if _v(v) > here]
        if older and not newer or (older and newer and _v(older[-1][0]) > _v(newer[0][0])):
            last_v, last_o = older[-1]
            known = known_versions()
            removed_in = known[known.index(last_v) + 1]
            repl = last_o.replacement
            if repl and self.option(repl) is not None:
                return f"renamed to {repl} (removed in {removed_in})"
            same = [o for o in self._options if o.dest == last_o.dest]
            if same:
                return f"renamed to {same[0].canonical} (removed in {removed_in})"
            return f"removed in {removed_in}"
        if newer:
            return f"added in {newer[0][0]}"
        return None

    def _exact(self, flag: str) -> Option | None:
        try:
            tok = self._normalize_flag(flag)
        except ParseError:
            return None
        if tok in self._by_string:
            return self._by_string[tok]
        return self._by_string.get(tok.split("=", 1)[0])

    # -- values
    def parser(self) -> _Parser:
        if self._parser is None:
            self._parser = _build_parser(self)
        return self._parser

    def parse(self, argv: list[str], model: str | None = "org/model") -> ParseResult:
        """Emulate ``vllm serve [model] ARGV`` up to argparse's result."""
        args = ["serve"] + ([model] if model is not None else []) + list(argv)
        try:
            pre = _preprocess(args, self.flex)
            ns = self.parser().parse_args(pre[1:])
        except ParseError as e:
            return ParseResult(False, e.message, e.by)
        except argparse.ArgumentError as e:  # pragma: no cover - exit_on_error paths
            return ParseResult(False, str(e), "argparse")
        vals = {k: v for k, v in vars(ns).items()}
        for pos in self.meta.get("parser", {}).get("positionals", []):
            vals.pop(pos["dest"], None)
        return ParseResult(True, values=vals)

    def check_value(self, flag: str, value: str | None) -> str | None:
        """None if this release's parser accepts ``value`` for ``flag`` (``value`` None: the
        flag alone), else the error message argparse (or vLLM) would print."""
        if value is None:
            argv = [flag]
        elif value == "" or (value.startswith("-") and not re.fullmatch(r"-\d+|-\d*\.\d+", value)):
            argv = [f"{flag}={value}"] if "=" not in flag else [flag, value]
        else:
            argv = [flag, value]
        memo = self.__dict__.setdefault("_check_memo", {})
        key = (flag, value)
        if key not in memo:  # the same flag and value recur across profiles: parse each pair once
            moved = self._moved_model(flag.split("=", 1)[0] if "=" not in flag else flag)
            r = self.parse(argv, model=None if moved else "org/model")
            memo[key] = None if r.ok else r.error
        return memo[key]
