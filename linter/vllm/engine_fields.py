"""The typed and bounded fields of the engine config classes behind ``vllm serve``'s options, per release
(``knowledge/vllm/engine_fields.json``, read from the real classes by ``knowledge/tools/dump_vllm_engine_fields.py``).

``EngineArgs.create_engine_config()`` builds ``ModelConfig``, ``ParallelConfig``, ``SchedulerConfig`` ... from the
parsed options before any GPU work, and pydantic rejects a value outside a field's type or its ``Field(ge=, gt=,
le=, lt=)`` bounds. In: a release name, an option's ``dest`` and the value the release's parser gives it. Out: the
``ValidationError`` text pydantic prints, with the class and the field's source line, or None.

A field with a ``shape`` (a list, a dict with typed values, a nested class) is judged as its pydantic core schema
validates it, down to the elements and the members of the unions inside (``limit_mm_per_prompt.video.int``), with
pydantic's Python-mode rules for each simple type; a value is judged only when all of its errors can be told
exactly (a part not modelled, a validator of vLLM's own after the type, or a corner of pydantic's number parsing
leaves it unjudged).
"""
from __future__ import annotations

import functools
import math
import re

from vllm_lint.knowledge import load_keys, load_part
from vllm_lint.vllm.options import version_key
from vllm_lint.vllm.values import _BOOL_WORDS, _error_type, _short_repr, field_error

__all__ = ["fields", "launch_violations", "read_releases", "violation"]

_BOUND_TEXT = {"ge": ("greater than or equal to", "greater_than_equal"), "gt": ("greater than", "greater_than"),
               "le": ("less than or equal to", "less_than_equal"), "lt": ("less than", "less_than")}


_NAME = "vllm/engine_fields.json"

#: pydantic's words for a Python value of the wrong container type (``values.field_error`` gives those for JSON)
_PYTHON_WORDS = {"dict_type": "Input should be a valid dictionary", "list_type": "Input should be a valid list"}


def read_releases() -> list[str]:
    return list(load_keys(_NAME, "releases"))


@functools.cache
def fields(release: str) -> dict:
    """``dest -> [entry]`` of ``release``; a release newer than the newest read takes the newest's; a release
    between or before the ones read has none (not judged). Only that release's part of the file is read."""
    read = sorted(read_releases(), key=version_key)
    if release in read:
        return load_part(_NAME, "releases", release)
    if read and version_key(release) > version_key(read[-1]):
        return load_part(_NAME, "releases", read[-1])
    return {}


def _number(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v if not (isinstance(v, float) and math.isnan(v)) else None
    return None


def _item_errors(entry: dict, value) -> list[tuple[tuple, str]]:
    """``((index,), complaint)`` for the elements of a list that the field's element type (``items``) rejects."""
    items = entry.get("items")
    if items is None or not isinstance(value, list):
        return []
    return [((i,), said) for i, v in enumerate(value) if (said := _entry_error({"type": items}, v)) is not None]


def _complaint(typ, value, kind: str | None = None) -> str | None:
    """pydantic's complaint (message and ``[type=...]`` part) about ``value`` for a simple type or a literal
    (``kind``: the error type, when not the type's own)."""
    said = field_error(typ, value)
    if said is None:
        return None
    kind = kind or _error_type(typ, value)
    return _error_text(_PYTHON_WORDS.get(kind, said), kind, value)


def _error_text(words: str, kind: str, value) -> str:
    """One error as pydantic prints it under its path: message, type, the input (cut) and its type."""
    return f"{words} [type={kind}, input_value={_short_repr(value)}, input_type={type(value).__name__}]"


def _entry_error(entry: dict, value) -> str | None:
    """pydantic's complaint (message and ``[type=...]`` part) for one class's field, or None."""
    typ = entry.get("type", "any")
    if typ != "any" and field_error(typ, value) is not None:
        if _error_type(typ, value) == "list_type":
            return None  # a tuple or a set has words of its own: a list is judged by its ``shape``
        return _complaint(typ, value, "enum" if entry.get("enum") else None)
    n = _number(value)
    if n is None:
        return None
    for bound, (words, kind) in _BOUND_TEXT.items():
        if bound not in entry:
            continue
        limit = entry[bound]
        bad = {"ge": n < limit, "gt": n <= limit, "le": n > limit, "lt": n >= limit}[bound]
        if bad:  # pydantic prints a whole float bound as an integer (``lt=1.0``: "less than 1")
            limit = int(limit) if isinstance(limit, float) and limit.is_integer() else limit
            return _error_text(f"Input should be {words} {limit}", kind, value)
    return None


#: pydantic's words for each error type of the simple types, in Python (lax) mode
_WORDS = {"int_type": "Input should be a valid integer",
          "int_parsing": "Input should be a valid integer, unable to parse string as an integer",
          "int_from_float": "Input should be a valid integer, got a number with a fractional part",
          "int_parsing_size": "Unable to parse input string as an integer, exceeded maximum size",
          "finite_number": "Input should be a finite number",
          "float_type": "Input should be a valid number",
          "float_parsing": "Input should be a valid number, unable to parse string as a number",
          "bool_type": "Input should be a valid boolean",
          "bool_parsing": "Input should be a valid boolean, unable to interpret input",
          "string_type": "Input should be a valid string", "none_required": "Input should be None",
          "callable_type": "Input should be callable", **_PYTHON_WORDS}
#: a string pydantic reads as an integer (after trimming white space), or as a float (no ``_``: not modelled)
_INT_TEXT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0+)?")
_FLOAT_TEXT = re.compile(r"[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)", re.IGNORECASE)
#: white space Python's ``str.strip`` removes and pydantic keeps
_ODD_SPACE = re.compile(r"[\x1c-\x1f]")
_UNSURE = "unsure"


def _scalar_error(kind: str, v):
    """The error type pydantic gives ``v`` for a simple type (``int``, ``float``, ``bool``, ``str``, ``none``,
    ``callable``) in Python (lax) mode: None when it accepts it, ``_UNSURE`` for a corner not modelled (a huge
    number, a string with ``_`` for a float, odd white space)."""
    if kind == "str":
        return None if isinstance(v, str) else "string_type"
    if kind == "none":
        return None if v is None else "none_required"
    if kind == "callable":
        return "callable_type"  # a parsed option value never is
    if isinstance(v, bool):
        return None if kind in ("int", "float", "bool") else _UNSURE
    if isinstance(v, str) and (_ODD_SPACE.search(v) or len(v) > 4000):
        return _UNSURE
    if kind == "int":
        if isinstance(v, int):
            return None
        if isinstance(v, float):
            if not math.isfinite(v):
                return "finite_number"
            return "int_from_float" if v != int(v) else "int_parsing_size" if abs(v) >= 2 ** 63 else None
        if isinstance(v, str):
            return None if _INT_TEXT.fullmatch(v.strip()) else "int_parsing"
        return "int_type"
    if kind == "float":
        if isinstance(v, (int, float)):
            return None if isinstance(v, float) or abs(v) < 2 ** 1000 else _UNSURE
        if isinstance(v, str):
            return _UNSURE if "_" in v else None if _FLOAT_TEXT.fullmatch(v.strip()) else "float_parsing"
        return "float_type"
    if kind == "bool":
        if isinstance(v, (int, float)):
            if v in (0, 1):
                return None
            if isinstance(v, float) and (not math.isfinite(v) or v != int(v)):
                return "bool_type"
            return "bool_parsing" if abs(v) < 2 ** 62 else _UNSURE
        if isinstance(v, str):
            return None if v.lower() in _BOOL_WORDS else "bool_parsing"
        return "bool_type"
    return _UNSURE


def _literal_error(expected: list, v):
    """As :func:`_scalar_error` for a ``Literal`` of strings and integers: ``literal_error`` or None."""
    if isinstance(v, (bool, float)) and any(isinstance(x, int) for x in expected):
        return _UNSURE  # pydantic takes True for 1 and 1.0 for 1: not modelled
    return None if any(v == x and type(v) is type(x) for x in expected) else "literal_error"


def _literal_words(expected: list) -> str:
    said = [repr(x) for x in expected]
    return "Input should be " + (", ".join(said[:-1]) + " or " + said[-1] if len(said) > 1 else said[0])


def _shape_errors(shape, value):
    """pydantic's errors for ``value`` against a field's ``shape`` (``dump_vllm_engine_fields._shape``):
    ``[(loc, complaint), ...]`` in pydantic's order, ``[]`` when it accepts, None when that cannot be told
    exactly (a part not modelled, or a function after the type that decides an accepted value)."""
    if shape == "any":
        return []
    if shape == "unknown":
        return None
    if isinstance(shape, str) or shape[0] == "lit":
        lit = isinstance(shape, list)
        kind = _literal_error(shape[1:], value) if lit else _scalar_error(shape, value)
        if kind is None or kind == _UNSURE:
            return [] if kind is None else None
        return [((), _error_text(_literal_words(shape[1:]) if lit else _WORDS[kind], kind, value))]
    head, rest = shape[0], shape[1:]
    if head == "nullable":
        return [] if value is None else _shape_errors(rest[0], value)
    if head == "dataclass":  # a nested config class: a dict goes to its fields, which are not modelled here
        if isinstance(value, dict):
            return None
        return [((), _error_text(f"Input should be a dictionary or an instance of {rest[0]}", "dataclass_type",
                                 value))]
    if head == "after":
        errors = _shape_errors(rest[0], value)
        return None if errors == [] else errors
    if head in ("list", "dict"):
        if not isinstance(value, list if head == "list" else dict):
            return [((), _error_text(_WORDS[f"{head}_type"], f"{head}_type", value))]
        if head == "list":
            parts = [((i,), rest[0], item) for i, item in enumerate(value)]
        else:  # a key that fails is named ``key.[key]``, its value ``key``
            parts = [p for k, v in value.items() for p in (((k, "[key]"), rest[0], k), ((k,), rest[1], v))]
        errors = []
        for loc, part, item in parts:
            found = _shape_errors(part, item)
            if found is None:
                return None
            errors += [(loc + inner, said) for inner, said in found]
        return errors
    if head == "union":  # accepted by one member, else each member's errors under its label
        found = [(label, _shape_errors(member, value)) for label, member in rest]
        if any(errors == [] for _, errors in found):
            return []
        if any(errors is None for _, errors in found):
            return None
        return [((label, *loc), said) for label, errors in found for loc, said in errors]
    return None


def _loc_text(field: str, loc: tuple) -> str:
    """An error's path as pydantic prints it: a part with a ``.`` (a dict key) between backquotes."""
    return ".".join([field] + [f"`{x}`" if isinstance(x, str) and "." in x else str(x) for x in loc])


def _field_errors(entry: dict, value) -> list[tuple[tuple, str]]:
    """``(loc, complaint)`` for each error pydantic reports about ``value`` for one class's field (``loc``: the path
    under the field, ``()`` for the field itself); empty when it accepts the value or the errors cannot be told
    exactly. A field with a ``shape`` is judged by it alone (elements, union members, containers); the others by
    their ``type``, bounds and ``items``."""
    if "shape" in entry:
        return _shape_errors(entry["shape"], value) or []
    msg = _entry_error(entry, value)
    if msg is None:
        return _item_errors(entry, value)
    typ = entry.get("type")
    members = [t for t in typ[1:] if t != "none"] if isinstance(typ, list) and typ[0] == "or" else []
    if len(members) > 1 and msg.startswith("Input should match"):
        # pydantic reports each member of a union, tagged with its type (a simple type's name)
        tags = entry.get("tags") or [_tag(t) for t in members]
        errors = [((tag,), _entry_error({"type": t}, value)) for tag, t in zip(tags, members, strict=False)]
        return errors if all(text for _, text in errors) else []
    return [((), msg)]


def violation(release: str, dest: str, value) -> dict | None:
    """``{"class", "field", "message", "source", "when"}`` when every config class field the option is passed to
    rejects ``value`` (the parsed value of the option; ``when``: the conditions under which the class is built,
    None: always); None when one accepts it, the value is unset or the field is not known."""
    if value is None:
        return None
    entries = fields(release).get(dest)
    if not entries:
        return None
    said = [(e, _field_errors(e, value)) for e in entries]
    if not all(errors for _, errors in said):
        return None
    entry, errors = said[0]
    field = entry.get("field", dest)
    head = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} for {entry['class']}"
    # pydantic names each error by its path: the field, then list indexes, dict keys and union members' labels
    lines = [f"{_loc_text(field, loc)}\n  {text}" for loc, text in errors]
    return {"class": entry["class"], "field": field, "source": entry.get("source", ""), "when": entry.get("when"),
            "message": "\n".join([head] + lines)}


def _tag(typ) -> str:
    if isinstance(typ, list):
        return "literal[" + ",".join(repr(v) for v in typ[1:]) + "]" if typ[0] == "lit" else "union"
    return typ


def _parsed_value(release, deployment, arg, dest):
    """``(known, value)``: the value the release's parser gives ``dest`` from ``arg`` (known False: set at run time
    or rejected by the parser)."""
    if deployment.unknown(arg.name):
        return False, None
    parsed = release.parse(_words(arg))
    if not parsed.ok or dest not in parsed.values:
        return False, None
    return True, parsed.values[dest]


def _holds(release, deployment, when) -> bool:
    """Whether every condition under which the config class is built holds for the launch (a condition on an
    option set at run time does not)."""
    for cond in when or ():
        option = release.option_by_dest(cond["dest"])
        if option is None:
            return False
        arg = deployment.arg(option.canonical.lstrip("-"))
        if arg is None:
            known, value = True, option.default
        else:
            known, value = _parsed_value(release, deployment, arg, cond["dest"])
        if not known:
            return False
        if "truthy" in cond and bool(value) != cond["truthy"]:
            return False
        if "none" in cond and (value is None) != cond["none"]:
            return False
    return True


def _words(arg) -> list[str]:
    return [w.value for w in arg.words] if arg.words and arg.origin == "command" else \
        ([arg.flag] + ([arg.value] if arg.value is not None else []))


def _dotted_value(release, args, dest):
    """``(known, value)`` as :func:`_parsed_value` for an option written with dotted sub-keys
    (``--limit-mm-per-prompt.video 2``): the parser merges them into one dict, which wins over the plain
    occurrences, so all of them are parsed together."""
    if any(v.value is None and v.kind != "compose" for a in args for v in a.variables):
        return False, None
    parsed = release.parse([w for a in args for w in _words(a)])
    if not parsed.ok or dest not in parsed.values:
        return False, None
    return True, parsed.values[dest]


def launch_violations(release, deployment):
    """``(arg, violation)`` for the options of a launch whose parsed value an engine config class rejects.
    ``release``: the :class:`~vllm_lint.vllm.release.Release`; options set at run time and values the parser
    rejects (VLL202's) are not judged. An option given dotted sub-keys is reported on its last sub-key."""
    table = fields(release.name)
    if not table:
        return
    seen = set()

    def dest_of(arg):
        if arg.origin == "positional" or not arg.flag:
            return None
        option = release.option("--" + arg.name)
        return option.dest if option is not None else None

    for arg in reversed(deployment.args):  # the last occurrence wins, as in argparse
        dest = dest_of(arg)
        if dest is None or dest not in table or dest in seen:
            continue
        seen.add(dest)
        group = [a for a in deployment.args if dest_of(a) == dest]
        dotted = [a for a in group if a.subkey]
        if dotted:
            arg = dotted[-1]
            known, value = _dotted_value(release, group, dest)
        else:
            known, value = _parsed_value(release, deployment, arg, dest)
        if not known:
            continue
        found = violation(release.name, dest, value)
        if found is not None and _holds(release, deployment, found["when"]):
            yield arg, found
