"""Option values converted as each release's ``type`` functions convert them (``int``, JSON, ``human_readable_int``,
``key=value`` lists, ...), with the messages argparse prints when they fail.
"""
from __future__ import annotations

import ast
import json
import math
import re


class ConversionTypeError(Exception):
    """argparse.ArgumentTypeError: its text is the whole message."""


class ConversionValueError(ValueError):
    """A ValueError/TypeError in a type function: argparse prints 'invalid NAME value: ...'."""


class ConversionCrash(Exception):
    """An exception argparse does not catch: the real ``vllm serve`` dies with a traceback."""


def _kvs_v1(val: str):
    out = {}
    for item in val.split(","):
        parts = item.split("=")
        if len(parts) != 2:
            raise ConversionValueError(val)
        key, value = parts
        try:
            out[key] = int(value)
        except ValueError:
            raise ConversionValueError(val) from None
    return out


def _kvs_v2(val: str):
    out: dict[str, int] = {}
    for item in val.split(","):
        parts = [p.lower().strip() for p in item.split("=")]
        if len(parts) != 2:
            raise ConversionTypeError("Each item should be in the form KEY=VALUE")
        key, value = parts
        try:
            parsed = int(value)
        except ValueError:
            raise ConversionTypeError(f"Failed to parse value of item {key}={value}") from None
        if key in out and out[key] != parsed:
            raise ConversionTypeError(f"Conflicting values specified for key: {key}")
        out[key] = parsed
    return out


_HRI_RE = re.compile(r"(\d+(?:\.\d+)?)([kKmMgGtT])")
_HRI_TOKEN_RE = re.compile(r"\b\d+(?:\.\d+)?[kKmMgGtT]\b")


def human_readable_int(val: str, with_t: bool = True):
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
            raise ConversionTypeError(
                f"Decimals are not allowed with binary suffixes like {suffix}. "
                f"Did you mean to use {number}{suffix.lower()} instead?") from None
    try:
        return int(value)
    except ValueError:
        raise ConversionValueError(val) from None


def _expand_hr_json(val: str) -> str:
    parts = re.split(r'("(?:[^"\\]|\\.)*")', val)
    for i in range(0, len(parts), 2):
        parts[i] = _HRI_TOKEN_RE.sub(lambda m: str(human_readable_int(m.group())), parts[i])
    return "".join(parts)


def _json_object_check(data, conv: dict, what: str):
    if not isinstance(data, dict):
        raise ConversionTypeError(f"{what}: input should be a JSON object")
    keys = conv.get("keys")
    if conv.get("forbid_extra") and keys is not None:
        extra = [k for k in data if k not in keys]
        if extra:
            raise ConversionTypeError(f"{what}: unexpected keys {extra}")
    return data


def convert(conv: dict | None, val: str, fields: dict | None = None):
    """Apply the release's type function (described by ``conv``) to ``val``; ``fields``: the field types of the
    config class it validates into (``knowledge/vllm/config_fields.json``), when the release has them."""
    if conv is None:
        return val
    k = conv.get("k")
    if k in ("str", "enum_str", None):
        return val
    if k == "int":
        try:
            return int(val)
        except ValueError:
            raise ConversionValueError(val) from None
    if k == "float":
        try:
            return float(val)
        except ValueError:
            raise ConversionValueError(val) from None
    if k == "bool":
        return bool(val)
    if k == "json":
        try:
            return json.loads(val)
        except ValueError:
            raise ConversionValueError(val) from None
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
                raise ConversionValueError(val)
            out[str(parts[0])] = parts[1]
        return out
    if k == "hri":
        return human_readable_int(val, conv.get("t", True))
    if k == "hri_auto":
        v = val.strip()
        if v == "-1" or v.lower() == "auto":
            return -1
        return human_readable_int(val, conv.get("t", True))
    if k in ("parse", "optional"):
        if k == "optional" and (val == "" or val == "None"):
            return None
        inner = conv.get("inner") or {}
        if conv.get("kvs") and inner.get("k") == "json" and not re.match(r"^{.*}$", val):
            return _kvs_v2(val)
        if k == "optional" and not conv.get("parse", True):
            return convert(inner, val, fields)
        try:
            return convert(inner, val, fields)
        except ConversionValueError:
            raise ConversionTypeError(f"Value {val} cannot be converted to {_inner_repr(inner)}.") from None
    if k == "dict_or_str":
        pat = r"(?s)^\s*{.*}\s*$" if conv.get("ws") else r"^{.*}$"
        if not re.match(pat, val):
            return str(val)
        return convert({"k": "optional", "inner": {"k": "json"}}, val)
    if k in ("dataclass", "pydantic_json", "json_kwargs"):
        what = conv.get("cls") or "config"
        text = _expand_hr_json(val) if conv.get("hr") else val
        try:
            data = json.loads(text)
        except ValueError:
            if k == "dataclass":
                raise ConversionTypeError(f"1 validation error for {what}\n  Invalid JSON: {val!r}") from None
            raise ConversionValueError(val) from None
        if k == "dataclass" and not isinstance(data, dict):  # pydantic's words for a config given no object
            raise ConversionTypeError(f"1 validation error for {what}\n  Input should be an object "
                                      f"[type=dataclass_type, input_value={_short_repr(data)}, "
                                      f"input_type={type(data).__name__}]")
        try:
            _check_fields(data, conv, what, fields)
            return _json_object_check(data, conv, what)
        except ConversionTypeError:
            if k == "dataclass":
                raise
            raise ConversionValueError(val) from None
    if k == "level_or_json":
        if val in ("0", "1", "2", "3"):
            return {"level": int(val)}
        try:
            data = json.loads(val)
        except ValueError:
            raise ConversionValueError(val) from None
        try:
            _check_fields(data, conv, conv.get("cls") or "config", fields)
            return _json_object_check(data, conv, conv.get("cls") or "config")
        except ConversionTypeError:
            raise ConversionValueError(val) from None
    if k == "level_or_literal":
        if val in ("0", "1", "2", "3"):
            return {"level": int(val)}
        try:
            data = ast.literal_eval(val)
        except ValueError:
            raise ConversionValueError(val) from None
        except SyntaxError as e:  # not caught by argparse: vllm serve crashes
            raise ConversionCrash(f"SyntaxError: {e.msg}") from None
        try:
            _check_fields(data, conv, conv.get("cls") or "config", fields)
            return _json_object_check(data, conv, conv.get("cls") or "config")
        except ConversionTypeError:
            raise ConversionValueError(val) from None
    return val  # "custom": accepted as written


#: Integer fields that vLLM's config classes validate when their JSON is parsed (``-Ox`` -> ``{"level": "x"}``).
_INT_FIELDS = {"CompilationConfig": ("level",)}


def _int_fields(data, conv: dict, what: str) -> None:
    """pydantic's int validation of a config's integer fields, as the real parser rejects ``-Ox`` / ``-O{}``."""
    if not isinstance(data, dict):
        return
    for key in _INT_FIELDS.get(what, ()):
        if key not in data or data[key] is None:
            continue
        v = data[key]
        if isinstance(v, bool) or not isinstance(v, (int, str)) or \
                isinstance(v, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", v):
            kind = f"int_parsing, input_value={v!r}, input_type=str" if isinstance(v, str) else \
                f"int_type, input_value={v!r}, input_type={type(v).__name__}"
            raise ConversionTypeError(f"1 validation error for {what}\n{key}\n  Input should be a valid integer"
                                      f"{', unable to parse string as an integer' if isinstance(v, str) else ''} "
                                      f"[type={kind}]")


def _check_fields(data, conv: dict, what: str, fields: dict | None) -> None:
    """pydantic's (lax) validation of the config's fields: with the release's field types when known, else the
    integer fields of ``_INT_FIELDS``."""
    if fields is None:
        _int_fields(data, conv, what)
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        typ = fields.get(key) if isinstance(key, str) else None
        if typ is None:
            continue  # unknown keys: the class's own rules (_json_object_check)
        said = field_error(typ, value)
        if said is not None:
            raise ConversionTypeError(f"1 validation error for {what}\n{key}\n  {said} "
                                      f"[type={_error_type(typ, value)}, input_value={_short_repr(value)}, "
                                      f"input_type={type(value).__name__}]")


_BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}


def _accepts(typ, v) -> bool:
    """Whether pydantic's lax mode accepts the JSON value ``v`` for a field of type ``typ`` (the type language of
    ``knowledge/tools/dump_vllm_config_fields.py``). Anything not certainly rejected is accepted."""
    if isinstance(typ, list):
        head, rest = typ[0], typ[1:]
        if head == "or":
            return any(_accepts(t, v) for t in rest)
        if head == "lit":
            return any(v == x and type(v) is type(x) for x in rest) or \
                isinstance(v, str) and any(isinstance(x, int) and str(x) == v.strip() for x in rest)
        return True
    if typ == "any":
        return True
    if typ == "none":
        return v is None
    if typ == "callable":
        return callable(v)  # a parsed option value (JSON, a string, a number) never is
    if typ == "str":
        return isinstance(v, str)
    if typ == "dict":
        return isinstance(v, dict)
    if typ == "list":
        return isinstance(v, list)
    if typ == "bool":
        if isinstance(v, bool):
            return True
        if isinstance(v, (int, float)):
            return v in (0, 1)
        return isinstance(v, str) and v.strip().lower() in _BOOL_WORDS
    if typ == "int":
        if isinstance(v, (bool, int)):
            return True
        if isinstance(v, float):
            return math.isfinite(v) and v == int(v)
        return isinstance(v, str) and re.fullmatch(r"\s*[+-]?\d[\d_]*\s*", v) is not None
    if typ == "float":
        if isinstance(v, (bool, int, float)):
            return True
        if isinstance(v, str):
            try:
                float(v)
                return True
            except ValueError:
                return False
        return False
    return True


_WANTS = {"int": "a valid integer", "float": "a valid number", "bool": "a valid boolean", "str": "a valid string",
          "dict": "an object", "list": "a valid array", "none": "None", "callable": "callable"}


def field_error(typ, v) -> str | None:
    """pydantic's complaint about ``v`` for a field of type ``typ`` (None when accepted)."""
    if _accepts(typ, v):
        return None
    inner = typ
    if isinstance(typ, list) and typ[0] == "or":
        others = [t for t in typ[1:] if t != "none"]
        inner = others[0] if len(others) == 1 else None
    if isinstance(inner, list) and inner[0] == "lit":
        vals = [repr(x) for x in inner[1:]]
        return "Input should be " + (", ".join(vals[:-1]) + " or " + vals[-1] if len(vals) > 1 else vals[0])
    if isinstance(inner, str) and inner in _WANTS:
        text = "Input should be " + _WANTS[inner]
        if isinstance(v, str) and inner in ("int", "float"):
            text += ", unable to parse string as " + ("an integer" if inner == "int" else "a number")
        elif isinstance(v, float) and inner == "int":
            text += ", got a number with a fractional part"
        elif isinstance(v, (str, int, float)) and inner == "bool":
            text += ", unable to interpret input"
        return text
    return "Input should match the field's type"


def _error_type(typ, v) -> str:
    inner = typ
    if isinstance(typ, list) and typ[0] == "or":
        others = [t for t in typ[1:] if t != "none"]
        inner = others[0] if len(others) == 1 else "union"
    if isinstance(inner, list):
        return "literal_error"
    parsing = isinstance(v, str) or (inner == "bool" and isinstance(v, (int, float)))
    return {"int": "int_parsing" if isinstance(v, str) else "int_from_float" if isinstance(v, float) else "int_type",
            "float": "float_parsing" if isinstance(v, str) else "float_type",
            "bool": "bool_parsing" if parsing else "bool_type",
            "str": "string_type", "dict": "dict_type", "list": "list_type", "none": "none_required",
            "callable": "callable_type"}.get(inner, "union")


def _short_repr(v) -> str:
    """``repr(v)`` as pydantic prints an ``input_value``: over 50 bytes (UTF-8), its first 25 bytes, ``...`` and
    its last 24, each cut at a whole character."""
    text = repr(v)
    raw = text.encode()
    if len(raw) <= 50:
        return text
    return raw[:25].decode(errors="ignore") + "..." + raw[-24:].decode(errors="ignore")


def _inner_repr(inner: dict) -> str:
    k = inner.get("k")
    if k == "int":
        return "<class 'int'>"
    if k == "float":
        return "<class 'float'>"
    if k == "str":
        return "<class 'str'>"
    # argparse prints an address that varies per run
    return f"<function {inner.get('qual') or inner.get('name') or k} at 0x...>"


def type_name(conv: dict | None) -> str:
    if not conv:
        return "str"
    return conv.get("name") or conv.get("k") or "str"

