"""The ``vllm serve`` command line of each vLLM release: which options exist, what a flag resolves to, whether a
value is accepted, and what the other covered releases say about a flag this one lacks.

In: a version string (an image tag, ``pip install vllm==X``, the configuration). Out: a :class:`Release`.

Which release a version names, and which tables stand for it:

- the *release* (:func:`release_name`): ``v`` dropped, a release candidate or dev build maps to the release it
  leads to (``0.11.0rc2`` -> ``0.11.0``), a ``.post`` or four-part release is itself (``0.10.1.1``). Every
  release published on PyPI is listed in ``knowledge/vllm/releases.yaml``.
- the *tables*: only some releases have option tables of their own (``knowledge/vllm/cli``). A release with
  none is parsed with the nearest covered release at or below it (``Release.version``) and, for what differs
  between that one and the next covered release (``Release.upper``), is *unknown*: an option, a value or a
  fact that one of them has and the other lacks is not judged (:meth:`Release.accepts`, :func:`known_at`).
- a fact's first release (:func:`first_release_known`): the first covered release that has it is its first
  release only when the published release just before it is covered too (and lacks it); otherwise the fact
  holds "in every release known from X", and that is how messages say it.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import re

from packaging.version import InvalidVersion

from vllm_lint.knowledge import load as load_knowledge
from vllm_lint.vllm.options import (
    Option,
    cli_index,
    config_fields_table,
    known_versions,
    make_option,
    newest_version,
    options_table,
    version_key,
)
from vllm_lint.vllm.parser import (
    ParseError,
    Parser,
    ParseResult,
    build_parser,
    config_class,
    preprocess,
)

__all__ = ["Option", "ParseResult", "Release", "known_versions", "newest_version", "load_release",
           "published_releases", "release_name", "bracket", "known_at", "first_release_known"]


@functools.lru_cache(maxsize=None)
def published_releases() -> tuple[str, ...]:
    """Every vLLM release published on PyPI, ascending (``knowledge/vllm/releases.yaml``)."""
    return tuple(sorted((str(v) for v in load_knowledge("vllm/releases.yaml")["releases"]), key=version_key))


@functools.lru_cache(maxsize=None)
def release_name(version: str) -> str:
    """The release a version string names: ``v0.11.0rc2`` -> ``0.11.0`` (a release candidate or dev build
    leads to its release), ``0.10.1.1`` and ``0.6.1.post2`` are themselves, ``0.10`` is ``0.10.0``, a local
    label (``+cu128``) is dropped. ``ValueError`` when it is not a version."""
    try:
        v = version_key(str(version).strip().lstrip("vV"))
    except InvalidVersion as e:
        raise ValueError(f"not a vLLM version: {version!r}") from e
    text = ".".join(str(part) for part in v.release)
    if v.post is not None:
        text += f".post{v.post}"
    want = version_key(text)
    for known in (*published_releases(), *known_versions()):
        if version_key(known) == want:
            return known
    return text


def bracket(name: str, covered) -> tuple[str | None, str | None]:
    """(the nearest of the ``covered`` releases at or below the release ``name``, the nearest above it);
    ``(name, name)`` when ``name`` is covered itself."""
    want = version_key(name)
    ordered = sorted(covered, key=version_key)
    below = [v for v in ordered if version_key(v) <= want]
    if below and version_key(below[-1]) == want:
        return below[-1], below[-1]
    above = [v for v in ordered if version_key(v) > want]
    return (below[-1] if below else None), (above[0] if above else None)


def known_at(name: str, covered, holds) -> bool | None:
    """Whether a fact holds in release ``name``, from the releases that have data (``covered``):
    ``holds(v)`` for a covered release; for one without data, the releases around it when they agree,
    None (unknown) when they differ or it is older than all of them. Newer than all: as the newest."""
    low, high = bracket(name, covered)
    if low is None:
        return None
    here = bool(holds(low))
    if high is None or high == low:
        return here
    return here if here == bool(holds(high)) else None


def first_release_known(since: str, covered) -> bool:
    """Whether ``since``, the first of the ``covered`` releases that has a fact, is the first release that
    has it: the published release just before it is covered too (and so lacks it). False for the oldest
    covered release (older ones are not in the knowledge) and where releases in between have no data."""
    ordered = sorted(covered, key=version_key)
    if since not in ordered or ordered.index(since) == 0:
        return False
    previous_covered = ordered[ordered.index(since) - 1]
    earlier = [v for v in published_releases() if version_key(v) < version_key(since)]
    return bool(earlier) and version_key(earlier[-1]) == version_key(previous_covered)


def since_words(since: str, covered, first: str = "added in") -> str:
    """``added in X`` when X is known to be the first release, else ``in every release known from X``."""
    return f"{first} {since}" if first_release_known(since, covered) else f"in every release known from {since}"


def until_words(until: str, covered, first: str = "removed in") -> str:
    """``removed in X`` when the release before X (the last that had it) is covered, else ``removed after L
    (in no release known from X)``."""
    ordered = sorted(covered, key=version_key)
    if until in ordered and ordered.index(until) > 0:
        last = ordered[ordered.index(until) - 1]
        if first_release_known(until, ordered):
            return f"{first} {until}"
        return f"{first.split()[0]} after {last} (in no release known from {until})"
    return f"in no release known from {until}"


def _resolve_version(version: str) -> str:
    want = version_key(release_name(version))
    known = known_versions()
    exact = [k for k in known if version_key(k) == want]
    if exact:
        return exact[0]
    below = [k for k in known if version_key(k) <= want]
    if not below:
        raise KeyError(f"vLLM {version} is older than the oldest covered release {known[0]}")
    same_minor = [k for k in below if version_key(k).release[:2] == want.release[:2]]
    return (same_minor or below)[-1]


def load_release(version: str) -> "Release":
    """The release ``version`` names (:func:`release_name`), with the tables of the nearest covered release
    at or below it. ``KeyError`` below the oldest covered release, ``ValueError`` for no version."""
    covered = _resolve_version(version)
    return load_covered(covered)._with_requested(str(version), release_name(version))


@functools.lru_cache(maxsize=None)
def load_covered(version: str) -> "Release":
    idx = cli_index()
    meta = next(r for r in idx["releases"] if r["version"] == version)
    tab = options_table()
    types = tab["types"]
    recs = tab["options"]
    opts = [make_option(recs[i], types) for i in tab["order"][version]]
    return Release(version, version, meta, opts, idx.get("python"))



#: distinct command lines kept per release by Release.parse (a tree of generated profiles repeats a few hundred)
_PARSE_MEMO = 4096


class Release:
    """One covered vLLM release's ``vllm serve`` options."""

    def __init__(self, version: str, requested: str, meta: dict, options: list[Option], python: str | None):
        self.version = version  # the covered release whose tables are used
        self.requested = requested  # as written (an image tag's version, the configuration)
        self.name = version  # the release the request names (0.10.1.1 for a request of v0.10.1.1)
        self.upper: str | None = None  # when ``name`` has no tables: the next covered release above it
        self.meta = meta
        self.obtained = meta.get("obtained", "import")
        self.python = python
        self._options = options
        self._by_string: dict[str, Option] = {}
        for o in options:
            for f in o.flags:
                self._by_string.setdefault(f, o)
        self._parser: Parser | None = None
        self._by_dest: dict[str, Option] = {}
        for o in options:
            self._by_dest.setdefault(o.dest, o)
        self._parsed: dict[tuple, ParseResult] = {}  # parse() is a pure function of its words: memoised

    def _with_requested(self, requested: str, name: str | None = None) -> "Release":
        name = name or self.version
        if requested == self.requested and name == self.name:
            return self
        r = Release.__new__(Release)
        r.__dict__.update(self.__dict__)
        r.requested = requested
        r.name = name
        r.upper = None if name == self.version else bracket(name, known_versions())[1]
        return r

    def __repr__(self) -> str:
        tables = "" if self.exact else f", tables of {self.version}" + (f" and {self.upper}" if self.upper else "")
        return f"<Release {self.name} (requested {self.requested}{tables}, {self.obtained})>"

    @property
    def exact(self) -> bool:
        """Whether the release named has tables of its own."""
        return self.name == self.version

    def upper_release(self) -> "Release | None":
        """The next covered release, for a release without tables of its own that lies below it."""
        return load_covered(self.upper) if self.upper else None

    def accepts(self, flag: str) -> bool | None:
        """Whether the release has the option ``flag``: from its own table; for a release without one,
        True or False where the covered releases around it agree, None (unknown) where they differ."""
        here = self.option(flag) is not None
        upper = self.upper_release()
        if upper is None:
            return here
        return here if here == (upper.option(flag) is not None) else None

    def has_option_string(self, text: str) -> bool:
        """Whether ``text`` is one of the option strings the parser registered, exactly as written."""
        return text in self._by_string

    def accepting_elsewhere(self, flag: str, value: str | None) -> list[str]:
        """The other covered releases whose parser accepts ``flag`` with ``value``."""
        out = []
        for v in known_versions():
            if v == self.version:
                continue
            other = load_covered(v)
            if other.option(flag) is not None and other.check_value(flag, value) is None:
                out.append(v)
        return out

    @property
    def flex(self) -> dict:
        return self.meta.get("parser", {}).get("flex", {})

    @property
    def date(self) -> str | None:
        return self.meta.get("date")

    def options(self) -> list[Option]:
        return list(self._options)

    def option_by_dest(self, dest: str) -> Option | None:
        """The (first) option whose argparse ``dest`` is ``dest``."""
        return self._by_dest.get(dest)

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
        dummy = "config.yaml" if flag == "--config" else "0"  # vLLM reads --config's file before argparse
        out = preprocess(["serve", "org/model", flag, dummy], flex)
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
                if len(preprocess(["serve", "org/model", flag], flex)) > 3:
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
        here = version_key(self.version)
        known = known_versions()
        have = []
        for v in known:
            if v == self.version:
                continue
            r = load_covered(v)
            o = r._exact(flag)
            if o is not None:
                have.append((v, o))
        if not have:
            return None
        older = [(v, o) for v, o in have if version_key(v) < here]
        newer = [(v, o) for v, o in have if version_key(v) > here]
        if older and not newer or (older and newer and version_key(older[-1][0]) > version_key(newer[0][0])):
            last_v, last_o = older[-1]
            removed = until_words(known[known.index(last_v) + 1], known)
            repl = last_o.replacement
            if repl and self.option(repl) is not None:
                return f"renamed to {repl} ({removed})"
            same = [o for o in self._options if o.dest == last_o.dest]
            if same:
                return f"renamed to {same[0].canonical} ({removed})"
            return removed
        if newer:
            return since_words(newer[0][0], known)
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
    def config_fields(self, cls: str | None) -> dict | None:
        """The field types of config class ``cls`` in this release (None: not known, fields not judged)."""
        if not cls:
            return None
        return config_fields_table()["releases"].get(self.version, {}).get(cls)

    def proves_json(self, flag: str, text: str) -> bool:
        """Whether writing the JSON ``text`` for ``flag`` is proven valid: the release's parser accepts it and, for
        a config class whose field types are known, every key is a field of a type that is checked (a field
        behind a validator of vLLM's own, typed ``any``, can reject what the types allow) and the class has no
        check across its fields (``cross_checked``)."""
        if self.check_value(flag, text) is not None:
            return False
        option = self.option(flag)
        cls = config_class(option.conv) if option is not None else None
        fields = self.config_fields(cls)
        if fields is None:
            return True
        if cls in config_fields_table().get("cross_checked", {}).get(self.version, ()):
            return False  # vLLM checks the fields against each other after the types: not provable here
        import json

        try:
            data = json.loads(text)
        except ValueError:
            return False
        return isinstance(data, dict) and all(fields.get(k, "any") != "any" for k in data)

    def parser(self) -> Parser:
        if self._parser is None:
            self._parser = build_parser(self)
        return self._parser

    def parse(self, argv: list[str], model: str | None = "org/model") -> ParseResult:
        """Emulate ``vllm serve [model] ARGV`` up to argparse's result. The result is shared between calls with
        the same words: read it, do not change it."""
        key = (tuple(argv), model)
        result = self._parsed.get(key)
        if result is None:
            if len(self._parsed) >= _PARSE_MEMO:
                self._parsed.clear()
            result = self._parsed[key] = self._parse(argv, model)
        return result

    def _parse(self, argv: list[str], model: str | None) -> ParseResult:
        args = ["serve"] + ([model] if model is not None else []) + list(argv)
        try:
            pre = preprocess(args, self.flex)
            ns = self.parser().parse_args(pre[1:])
        except ParseError as e:
            return ParseResult(False, e.message, e.by)
        except argparse.ArgumentError as e:  # pragma: no cover - exit_on_error paths
            return ParseResult(False, str(e), "argparse")
        vals = {k: v for k, v in vars(ns).items()}
        for pos in self.meta.get("parser", {}).get("positionals", []):
            vals.pop(pos["dest"], None)
        return ParseResult(True, values=vals)

    def check_values(self, flag: str, values: list[str]) -> str | None:
        """As :meth:`check_value` for an option given several words (``nargs='+'``: ``--cuda-graph-sizes 4 8``),
        each converted on its own as argparse does."""
        if len(values) == 1:
            return self.check_value(flag, values[0])
        key = (flag, tuple(values))
        memo = self.__dict__.setdefault("_check_memo", {})
        if key not in memo:
            r = self.parse([flag, *values])
            memo[key] = None if r.ok else r.error
        return memo[key]

    def check_inline(self, flag: str, value: str) -> str | None:
        """As :meth:`check_value` for ``--flag=value`` written in one word (a boolean flag given a value is
        argparse's "ignored explicit argument", not an unrecognized word)."""
        key = (f"{flag}=", value)
        memo = self.__dict__.setdefault("_check_memo", {})
        if key not in memo:
            r = self.parse([f"{flag}={value}"])
            memo[key] = None if r.ok else r.error
        return memo[key]

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
