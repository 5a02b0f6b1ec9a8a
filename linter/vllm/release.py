"""The ``vllm serve`` command line of each vLLM release: which options exist, what a flag resolves to, whether a
value is accepted, and what the other covered releases say about a flag this one lacks.

In: a version string (an image tag, ``pip install vllm==X``, the configuration). Out: a :class:`Release`, the
nearest covered release at or below it (same minor preferred). Only the standard library and ``packaging``.
"""
from __future__ import annotations

import argparse
import difflib
import functools
import re

from packaging.version import InvalidVersion

from vllm_lint.vllm.options import (
    Option,
    cli_index,
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
    preprocess,
)

__all__ = ["Option", "ParseResult", "Release", "known_versions", "newest_version", "load_release"]


def _resolve_version(version: str) -> str:
    try:
        want = version_key(str(version).lstrip("vV"))
    except InvalidVersion as e:
        raise ValueError(f"not a vLLM version: {version!r}") from e
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
    """The covered release ``version``, or the nearest covered one below it (same minor
    preferred). ``KeyError`` below the oldest covered release."""
    covered = _resolve_version(version)
    return load_covered(covered)._with_requested(str(version))


@functools.lru_cache(maxsize=None)
def load_covered(version: str) -> "Release":
    idx = cli_index()
    meta = next(r for r in idx["releases"] if r["version"] == version)
    tab = options_table()
    types = tab["types"]
    recs = tab["options"]
    opts = [make_option(recs[i], types) for i in tab["order"][version]]
    return Release(version, version, meta, opts, idx.get("python"))



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
        self._parser: Parser | None = None

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
        out = preprocess(["serve", "org/model", flag, "0"], flex)
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
        have = []
        for v in known_versions():
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
    def parser(self) -> Parser:
        if self._parser is None:
            self._parser = build_parser(self)
        return self._parser

    def parse(self, argv: list[str], model: str | None = "org/model") -> ParseResult:
        """Emulate ``vllm serve [model] ARGV`` up to argparse's result."""
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
