"""The ``VLLM_*`` environment variables of each release (``knowledge/vllm/envs.yaml``, generated from each
release's ``vllm/envs.py`` by ``knowledge/tools/build_vllm_envs.py``), and how a release reads a value.

In: a variable name, a value as the container gets it, a release name. Out: the variable's :class:`EnvSpec` in that
release (or None), what vLLM makes of the value (:func:`parse`: the parsed value, or the exception vLLM raises, in
its own words), what replaced a removed variable (:func:`removal`), and the close names of a typo (:func:`suggest`).
"""
from __future__ import annotations

import difflib
import functools
import json
import re
from dataclasses import dataclass

from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.options import version_key

__all__ = ["EnvSpec", "covered", "spec", "parse", "removal", "suggest", "known_names", "deprecation", "truthy"]


@functools.lru_cache(maxsize=1)
def _data() -> dict:
    return load_knowledge("vllm/envs.yaml")


def covered(release: str) -> bool:
    """Whether the tables hold ``release`` (every release from 0.6.0 to the newest known)."""
    releases = _data()["releases"]
    try:
        key = version_key(release)
    except Exception:  # noqa: BLE001 - not a version
        return False
    return version_key(releases[0]) <= key <= version_key(releases[-1]) or key > version_key(releases[-1])


def _effective(release: str) -> str:
    """A release newer than all (a nightly after the newest): read as the newest."""
    releases = _data()["releases"]
    return releases[-1] if version_key(release) > version_key(releases[-1]) else release


def _in(stretch: dict, release: str) -> bool:
    key = version_key(release)
    if key < version_key(stretch["since"]):
        return False
    return "until" not in stretch or key < version_key(stretch["until"])


@dataclass(frozen=True)
class EnvSpec:
    name: str
    release: str
    fact: dict  # the spec entry of envs.yaml that holds in ``release``
    doc: str | None

    @property
    def type(self) -> str:
        return self.fact["type"]

    @property
    def source(self) -> str:
        return self.fact["source"]

    @property
    def default(self):
        return self.fact.get("default", self.fact.get("default_expr"))


@functools.lru_cache(maxsize=None)
def spec(name: str, release: str) -> EnvSpec | None:
    """The variable ``name`` in ``release`` (None: that release's ``environment_variables`` lacks it)."""
    entry = _data()["variables"].get(name)
    if entry is None:
        return None
    release = _effective(release)
    stretches = entry.get("ranges") or [{k: entry[k] for k in ("since", "until") if k in entry}]
    if not any(_in(s, release) for s in stretches):
        return None
    for fact in entry["specs"]:
        if _in(fact, release):
            return EnvSpec(name, release, fact, entry.get("doc"))
    return None


@functools.lru_cache(maxsize=None)
def known_names(release: str) -> tuple[str, ...]:
    release = _effective(release)
    return tuple(n for n in _data()["variables"] if spec(n, release) is not None)


def suggest(name: str, release: str) -> list[str]:
    """Close names of ``release`` (a typo: ``VLLM_USE_FLASHINFER_SAMPLR`` -> ``VLLM_USE_FLASHINFER_SAMPLER``)."""
    names = [n for n in known_names(release) if n.startswith("VLLM_")]
    return difflib.get_close_matches(name.upper(), names, n=3, cutoff=0.85)


def history(name: str, release: str) -> dict | None:
    """For a variable ``release`` lacks: the other releases' view. ``{"kind": "removed", "last": "0.14.1",
    "removed_in": "0.15.0", "notices": [...]}`` or ``{"kind": "later", "since": "0.24.0"}``; None if no release
    ever had it."""
    entry = _data()["variables"].get(name)
    if entry is None:
        return None
    key = version_key(_effective(release))
    stretches = entry.get("ranges") or [{k: entry[k] for k in ("since", "until") if k in entry}]
    before = [s for s in stretches if "until" in s and version_key(s["until"]) <= key]
    if before:
        last = max(before, key=lambda s: version_key(s["until"]))
        releases = _data()["releases"]
        removed_in = last["until"]
        index = releases.index(removed_in) if removed_in in releases else None
        last_release = releases[index - 1] if index else None
        notices = (_data()["removed"].get(name) or {}).get("notices") or entry.get("notices") or []
        deprecated = [f for f in entry["specs"] if f.get("deprecated")]
        return {"kind": "removed", "last": last_release, "removed_in": removed_in, "notices": notices,
                "deprecated": deprecated[-1]["deprecated"] if deprecated else None,
                "deprecated_source": deprecated[-1]["source"] if deprecated else None}
    after = [s for s in stretches if version_key(s["since"]) > key]
    if after:
        return {"kind": "later", "since": min(after, key=lambda s: version_key(s["since"]))["since"]}
    return None


_FLAG = re.compile(r"--[a-z0-9][a-z0-9_.-]*[a-z0-9]")


def replacement(hist: dict) -> tuple[str | None, str | None]:
    """(what vLLM said about a removed variable, verbatim with its source; the command-line option it names)."""
    said = None
    flag = None
    dep = hist.get("deprecated")
    if dep and dep.get("message"):  # deprecated_env(name, removal, "Use --moe-backend ..."): the most specific
        said = f"\"{dep['message']}\" ({hist.get('deprecated_source')})"
    else:
        for notice in hist.get("notices") or []:  # a message that names what to use instead
            if re.search(r"\binstead\b|\b[Uu]se --|[Pp]lease use", notice["text"]) and "{" not in notice["text"]:
                said = f"\"{notice['text']}\" ({notice['source']})"
    if said:
        m = _FLAG.search(said)
        flag = m.group(0).split(".")[0].replace("_", "-") if m else None
    return said, flag


def deprecation(s: EnvSpec) -> str | None:
    """What ``s``'s release says to deprecate it: ``deprecated_env(...)``'s message, or a notice of the release
    that calls it deprecated; None when it is not deprecated there."""
    dep = s.fact.get("deprecated")
    if dep:
        return f"deprecated, to be removed in {dep['removal']}: {dep['message']} ({s.source})"
    entry = _data()["variables"][s.name]
    notices = list(entry.get("notices") or []) + list((_data()["removed"].get(s.name) or {}).get("notices") or [])
    own = re.compile(rf"(\b{re.escape(s.name)}\b|%s|\{{\w+\}})[^.]{{0,40}}\bis deprecated")
    for notice in notices:
        if not own.search(notice["text"]):
            continue  # about another variable (HOST_IP), or a value of this one (a '_VLLM_V1' suffix)
        stretches = notice.get("ranges") or [notice]
        if any(_in(st, s.release) for st in stretches):
            return f"{notice['text']} ({notice['source']})"
    if s.fact.get("ignored"):
        return s.fact.get("note") or "setting it has no effect"
    return None


class EnvValueError(ValueError):
    """The exception vLLM raises reading the value, in its words."""


def _normalized(value: str, steps) -> str:
    for step in steps or ():
        if step == "strip":
            value = value.strip()
        elif step == "lower":
            value = value.lower()
        elif step == "upper":
            value = value.upper()
        elif step.startswith("replace("):
            m = re.match(r"replace\((['\"])(.*?)\1,\s*(['\"])(.*?)\3\)", step)
            if m:
                value = value.replace(m.group(2), m.group(4))
    return value


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise EnvValueError(f"ValueError: invalid literal for int() with base 10: {value!r}") from None


def parse(s: EnvSpec, value: str):
    """The value vLLM's getter returns for ``value``, or :class:`EnvValueError` with what it raises. Values
    the tables do not describe precisely (a converter, a computed default) are returned as written."""
    fact = s.fact
    kind = fact["type"]
    raw = _normalized(value, fact.get("normalize"))
    if kind == "bool":
        how = (fact.get("bool_parse") or {}).get("how")
        bp = fact.get("bool_parse") or {}
        if how == "int":
            result = bool(_int(raw))
        elif how in ("in", "not_in"):
            values = bp.get("values") or []
            got = _normalized(raw, bp.get("normalize"))
            result = (got in values) if how == "in" else (got not in values)
        elif how == "nonempty":
            result = bool(raw)
        elif how == "map":
            result = (bp.get("values") or {}).get(_normalized(raw, bp.get("normalize")))
        else:
            return value
        return (not result) if bp.get("negated") and result is not None else result
    if kind == "int":
        return _int(raw)
    if kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise EnvValueError(f"ValueError: could not convert string to float: {raw!r}") from None
    if kind == "json":
        try:
            return json.loads(raw)
        except ValueError:
            raise EnvValueError(f"json.decoder.JSONDecodeError: {raw!r} is not JSON") from None
    choices = fact.get("choices")
    if choices and fact.get("choices_from") == "validated":
        items = [raw] if kind == "choice" else [p for p in re.split(fact.get("sep") or r"\s*,\s*", raw) if p]
        cased = fact.get("case_sensitive", True)
        allowed = choices if cased else [c.lower() for c in choices]
        for item in items:
            if (item if cased else item.lower()) not in allowed:
                raise EnvValueError(f"ValueError: Invalid value '{item}' for {s.name}. Valid options: {list(choices)}.")
    return raw


def truthy(s: EnvSpec | None, value: str | None):
    """What a boolean variable means: the parsed value when set, else the release's default (None: no default,
    "auto"). A value vLLM rejects gives None."""
    if s is None:
        return None
    if value is None:
        default = s.fact.get("default")
        return default if isinstance(default, bool) else None
    try:
        parsed = parse(s, value)
    except EnvValueError:
        return None
    return parsed if isinstance(parsed, bool) else None


def unknown_check(release: str) -> dict | None:
    """The release's own check of unknown ``VLLM_*`` variables (a warning from 0.17.0), or None."""
    key = version_key(_effective(release))
    for entry in _data().get("unknown_vllm_variable_check") or []:
        if key >= version_key(entry["since"]) and ("until" not in entry or key < version_key(entry["until"])):
            return entry
    return None
