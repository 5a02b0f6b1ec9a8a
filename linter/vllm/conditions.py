"""Conditions over a launch's parsed options, written as data (``when:`` lists of the serve checks and the engine
checks in ``knowledge/vllm/``).

In: a list of items and ``value_of(dest) -> (known, value)``: the value the release's parser gives an argparse
``dest`` (its default when the option is not given; known False: set at run time). Out: whether every item holds.
An item names a ``dest`` (``speculative_config.method``: a key of a JSON option's object; a missing key is None)
and one test of its value:

- ``truthy: true|false``: Python's truth of the value;
- ``none: true|false``: the value is (not) None;
- ``lt`` / ``le`` / ``gt`` / ``ge`` / ``eq`` / ``ne``: a number, or ``{dest: other}`` for another option's value
  (an item whose value is not a number does not hold);
- ``not_multiple_of: other``: the value is a number that the other option's value does not divide;
- ``in`` / ``not_in``: a list of values, compared as strings (``str(value)``; with ``ignore_case: true``, as
  vLLM's ``value.upper()`` lookups of enum member names compare);
- ``not_object: true|false``: the value is given and is not (is) a JSON object;
- ``matches`` / ``not_matches``: a regular expression that is (is not) found in the given value (``re.search`` on
  ``str(value)``; a value not given matches neither);
- ``not_version: true``: the value is given and is not a version that ``packaging.version.parse`` reads (as vLLM's
  validators parse one).

An item names ``model: FACT`` instead of a dest for what the model's metadata says: ``value_of("model:FACT")``
(:class:`~vllm_lint.vllm.launch_values.LaunchValues` lists the facts; unknown without the metadata).

``default`` replaces a None value before the test. An item on a value known only at run time never holds, so a
check is judged only on what the file says.
"""
from __future__ import annotations

import re

__all__ = ["holds", "value", "format_message"]

_COMPARE = {"lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
            "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}


def value(dest: str, value_of) -> tuple[bool, object]:
    """``(known, value)`` of a dest, a dotted one walking into the JSON object of its first part."""
    head, _, rest = dest.partition(".")
    known, got = value_of(head)
    if not known:
        return False, None
    for key in rest.split(".") if rest else ():
        got = got.get(key) if isinstance(got, dict) else None
    return True, got


def _number(v):
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _holds(item: dict, value_of) -> bool:
    known, got = value_of("model:" + item["model"]) if "model" in item else value(item["dest"], value_of)
    if not known:
        return False
    if got is None and "default" in item:
        got = item["default"]
    if "truthy" in item:
        return bool(got) == item["truthy"]
    if "none" in item:
        return (got is None) == item["none"]
    if "not_object" in item:
        return got is not None and isinstance(got, dict) != item["not_object"]
    if "matches" in item or "not_matches" in item:
        found = got is not None and re.search(item.get("matches", item.get("not_matches")), str(got)) is not None
        return found if "matches" in item else (got is not None and not found)
    if "not_version" in item:
        return got is not None and _is_version(str(got)) != item["not_version"]
    if "in" in item or "not_in" in item:
        fold = str.upper if item.get("ignore_case") else str
        listed = got is not None and fold(str(got)) in [fold(str(v)) for v in item.get("in", item.get("not_in"))]
        return listed if "in" in item else (got is not None and not listed)
    number = _number(got)
    if number is None:
        return False
    if "not_multiple_of" in item:
        known, other = value(item["not_multiple_of"], value_of)
        other = _number(other) if known else None
        return other is not None and other != 0 and number % other != 0
    op = next(k for k in _COMPARE if k in item)
    bound = item[op]
    if isinstance(bound, dict):
        known, bound = value(bound["dest"], value_of)
        bound = _number(bound) if known else None
        if bound is None:
            return False
    return _COMPARE[op](number, bound)


def _is_version(text: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


def holds(when: list[dict], value_of) -> bool:
    """Whether every item of ``when`` holds."""
    return all(_holds(item, value_of) for item in when)


def format_message(message: str, value_of) -> str:
    """``message`` with each ``{dest}`` replaced by the value as vLLM prints it (``str``; ``{dest!upper}``: the
    value upper-cased, as a message about an enum member name prints it; ``{dest!lower}``: lower-cased, as a value a
    validator lower-cases first prints it; ``{dest!r}``: Python's ``repr``, as
    pydantic's ``input_value=`` prints it; ``{dest!type}``: the name of the value's Python type, as an
    AttributeError on the value prints it)."""

    def sub(m):
        known, got = value(m.group(1), value_of)
        if not known:
            return m.group(0)
        shown = {"upper": lambda v: str(v).upper(), "lower": lambda v: str(v).lower(), "r": repr,
                 "type": lambda v: type(v).__name__}
        return shown.get(m.group(2), str)(got)

    return re.sub(r"\{([a-z_][a-z0-9_.]*)(?:!(upper|lower|r|type))?\}", sub, message)
