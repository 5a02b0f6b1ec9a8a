"""The option tables of every covered vLLM release (``knowledge/vllm/cli/``) and the records read from them.

In: the generated ``index.json`` and ``options.json``. Out: the covered versions and, per release, its
:class:`Option` list. The tables were generated from the real parser of each release
(``knowledge/tools/dump_vllm_cli.py`` explains how).
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from packaging.version import Version

from vllm_lint.knowledge import path as knowledge_path

DATA_DIR = knowledge_path("vllm/cli")


@functools.lru_cache(maxsize=None)
def cli_index() -> dict:
    return json.loads((DATA_DIR / "index.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def options_table() -> dict:
    return json.loads((DATA_DIR / "options.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=None)
def config_fields_table() -> dict:
    """The field types of the config classes JSON options are validated into, per covered release
    (``knowledge/vllm/config_fields.json``, read from the real classes by
    ``knowledge/tools/dump_vllm_config_fields.py``)."""
    from vllm_lint.knowledge import load

    return load("vllm/config_fields.json")


@functools.lru_cache(maxsize=None)
def version_key(s: str) -> Version:
    return Version(s)


@functools.lru_cache(maxsize=None)
def known_versions() -> list[str]:
    """Covered releases, ascending."""
    return sorted((r["version"] for r in cli_index()["releases"]), key=version_key)


def newest_version() -> str:
    return known_versions()[-1]

def _tup(x):
    return tuple(x) if isinstance(x, list) else x


def make_option(rec: dict, types: list) -> "Option":
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

