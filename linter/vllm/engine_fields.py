"""The typed and bounded fields of the engine config classes behind ``vllm serve``'s options, per release
(``knowledge/vllm/engine_fields.json``, read from the real classes by ``knowledge/tools/dump_vllm_engine_fields.py``).

``EngineArgs.create_engine_config()`` builds ``ModelConfig``, ``ParallelConfig``, ``SchedulerConfig`` ... from the
parsed options before any GPU work, and pydantic rejects a value outside a field's type or its ``Field(ge=, gt=,
le=, lt=)`` bounds. In: a release name, an option's ``dest`` and the value the release's parser gives it. Out: the
``ValidationError`` text pydantic prints, with the class and the field's source line, or None.
"""
from __future__ import annotations

import functools
import math

from vllm_lint.knowledge import load_keys, load_part
from vllm_lint.vllm.options import version_key
from vllm_lint.vllm.values import _error_type, _short_repr, field_error

__all__ = ["fields", "launch_violations", "read_releases", "violation"]

_BOUND_TEXT = {"ge": ("greater than or equal to", "greater_than_equal"), "gt": ("greater than", "greater_than"),
               "le": ("less than or equal to", "less_than_equal"), "lt": ("less than", "less_than")}


_NAME = "vllm/engine_fields.json"


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


def _item_errors(entry: dict, value) -> list[tuple[int, str]]:
    """``(index, complaint)`` for the elements of a list that the field's element type (``items``) rejects."""
    items = entry.get("items")
    if items is None or not isinstance(value, list):
        return []
    return [(i, said) for i, v in enumerate(value) if (said := _entry_error({"type": items}, v)) is not None]


def _entry_error(entry: dict, value) -> str | None:
    """pydantic's complaint (message and ``[type=...]`` part) for one class's field, or None."""
    typ = entry.get("type", "any")
    if typ != "any":
        said = field_error(typ, value)
        if said is not None:
            kind = "enum" if entry.get("enum") else _error_type(typ, value)
            if kind == "dict_type":
                said = "Input should be a valid dictionary"
            return f"{said} [type={kind}, input_value={_short_repr(value)}, input_type={type(value).__name__}]"
    n = _number(value)
    if n is None:
        return None
    for bound, (words, kind) in _BOUND_TEXT.items():
        if bound not in entry:
            continue
        limit = entry[bound]
        bad = {"ge": n < limit, "gt": n <= limit, "le": n > limit, "lt": n >= limit}[bound]
        if bad:
            return (f"Input should be {words} {limit} [type={kind}, input_value={_short_repr(value)}, "
                    f"input_type={type(value).__name__}]")
    return None


def violation(release: str, dest: str, value) -> dict | None:
    """``{"class", "field", "message", "source", "when"}`` when every config class field the option is passed to
    rejects ``value`` (the parsed value of the option; ``when``: the conditions under which the class is built,
    None: always); None when one accepts it, the value is unset or the field is not known."""
    if value is None:
        return None
    entries = fields(release).get(dest)
    if not entries:
        return None
    said = [(e, _entry_error(e, value) or _item_errors(e, value) or None) for e in entries]
    if any(msg is None for _, msg in said):
        return None
    entry, msg = said[0]
    field = entry.get("field", dest)
    if isinstance(msg, list):  # elements of a list: pydantic names each by its index
        head = f"{len(msg)} validation error{'s' if len(msg) > 1 else ''} for {entry['class']}"
        return {"class": entry["class"], "field": field, "source": entry.get("source", ""), "when": entry.get("when"),
                "message": "\n".join([head] + [f"{field}.{i}\n  {text}" for i, text in msg])}
    typ = entry.get("type")
    members = [t for t in typ[1:] if t != "none"] if isinstance(typ, list) and typ[0] == "or" else []
    errors = [(field, msg)]
    if len(members) > 1 and msg.startswith("Input should match"):
        # pydantic reports each member of a union, tagged with its type (a simple type's name)
        tags = entry.get("tags") or [_tag(t) for t in members]
        errors = [(f"{field}.{tag}", _entry_error({"type": t}, value)) for tag, t in zip(tags, members)]
    head = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} for {entry['class']}"
    return {"class": entry["class"], "field": field, "source": entry.get("source", ""), "when": entry.get("when"),
            "message": "\n".join([head] + [f"{loc}\n  {text}" for loc, text in errors if text])}


def _tag(typ) -> str:
    if isinstance(typ, list):
        return "literal[" + ",".join(repr(v) for v in typ[1:]) + "]" if typ[0] == "lit" else "union"
    return typ


def _parsed_value(release, deployment, arg, dest):
    """``(known, value)``: the value the release's parser gives ``dest`` from ``arg`` (known False: set at run time
    or rejected by the parser)."""
    if deployment.unknown(arg.name):
        return False, None
    words = [w.value for w in arg.words] if arg.words and arg.origin == "command" else \
        ([arg.flag] + ([arg.value] if arg.value is not None else []))
    parsed = release.parse(words)
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


def launch_violations(release, deployment):
    """``(arg, violation)`` for the options of a launch whose parsed value an engine config class rejects.
    ``release``: the :class:`~vllm_lint.vllm.release.Release`; options set at run time, dotted sub-keys and
    values the parser rejects (VLL202's) are not judged."""
    table = fields(release.name)
    if not table:
        return
    seen = set()
    for arg in reversed(deployment.args):  # the last occurrence wins, as in argparse
        if arg.subkey or arg.origin == "positional" or not arg.flag:
            continue
        option = release.option("--" + arg.name)
        dest = option.dest if option is not None else None
        if dest is None or dest not in table or dest in seen:
            continue
        seen.add(dest)
        known, value = _parsed_value(release, deployment, arg, dest)
        if not known:
            continue
        found = violation(release.name, dest, value)
        if found is not None and _holds(release, deployment, found["when"]):
            yield arg, found
