"""An emulation of ``vllm serve``'s parser: vLLM's ``FlexibleArgumentParser`` pre-processing (underscores to
dashes, dotted ``--x.key value`` JSON arguments, ``-O3``, ``--model``) and argparse's matching and value
conversion, built per release from its option table.

In: a release's options and argv. Out: a :class:`ParseResult`, or the :class:`ParseError` argparse (or vLLM)
would print, e.g. ``argument --mm-encoder-tp-mode: invalid choice: 'replicate' (choose from 'data', 'weights')``.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vllm_lint.vllm.values import (
    ConversionCrash,
    ConversionTypeError,
    ConversionValueError,
    convert,
    human_readable_int,
    type_name,
)

if TYPE_CHECKING:
    from vllm_lint.vllm.release import Release




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


class Parser(argparse.ArgumentParser):
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
            return convert(conv, arg_string, getattr(action, "_vl_fields", None))
        except ConversionTypeError as e:
            raise argparse.ArgumentError(action, str(e)) from None
        except ConversionValueError:
            raise argparse.ArgumentError(
                action, "invalid %s value: %r" % (type_name(conv), arg_string)) from None
        except ConversionCrash as e:
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
    where = ""  # the module defining LoRAModulePath: Python's TypeError names it

    def __call__(self, parser, namespace, values, option_string=None):
        out = []
        for item in values or []:
            if self.json_ok and item in (None, ""):
                continue
            if not self.json_ok or ("=" in item and "," not in item):
                parts = item.split("=")
                if len(parts) != 2:
                    raise ParseError("ValueError: too many values to unpack (expected 2)" if len(parts) > 2
                                     else "ValueError: not enough values to unpack (expected 2, got 1)", "crash")
                out.append({"name": parts[0], "path": parts[1]})
                continue
            try:
                d = json.loads(item)
            except ValueError:
                parser.error(f"Invalid JSON format for --lora-modules: {item}")
            problem = None
            if not isinstance(d, dict):
                problem = f"{self.where}LoRAModulePath() argument after ** must be a mapping, not {type(d).__name__}"
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


def config_class(conv: dict | None) -> str | None:
    """The config class a type descriptor validates into (``cls``, or its inner type's)."""
    while conv:
        if conv.get("cls"):
            return conv["cls"]
        conv = conv.get("inner")
    return None


#: Where each release defines ``LoRAModulePath`` (``class LoRAModulePath`` in the release's wheel): from 0.6.0
#: vllm/entrypoints/openai/serving_engine.py, from 0.7.0 serving_models.py, from 0.15.0 models/protocol.py.
_LORA_MODULE = (("0.6.0", "vllm.entrypoints.openai.serving_engine."), ("0.7.0", "vllm.entrypoints.openai.serving_models."),
                ("0.15.0", "vllm.entrypoints.openai.models.protocol."))


def _lora_module(version: str) -> str:
    from vllm_lint.vllm.options import version_key

    return next((m for since, m in reversed(_LORA_MODULE) if version_key(version) >= version_key(since)), "")


def build_parser(rel: "Release") -> Parser:
    pinfo = rel.meta.get("parser", {})
    p = Parser(prog="vllm serve", add_help=False, allow_abbrev=pinfo.get("allow_abbrev", True))
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
        act._vl_fields = rel.config_fields(config_class(o.conv))
        if isinstance(act, _LoRA):
            act.where = _lora_module(rel.version)
        if o.hidden:  # registered, but messages name only the visible strings
            act.option_strings = [f for f in o.flags if f not in o.hidden]
    return p


_DOT_KEY = re.compile(r"(?<=--)[^\.]*")


def preprocess(args: list[str], flex: dict) -> list[str]:
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
                        value = human_readable_int(value_str)
                    except (ConversionValueError, ConversionTypeError):
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

