"""Reporters: findings to text for people and to formats for machines."""
from __future__ import annotations

from importlib import import_module

FORMATS = ("text", "json", "sarif", "github", "rdjson", "markdown")


def render(fmt: str, result, **options) -> str:
    module = import_module(f"{__name__}.{fmt}")
    return module.render(result, **options)
