"""Settings: ``.vllm-lint.yaml`` or ``[tool.vllm-lint]`` in ``pyproject.toml``, validated against the
schema shipped in the package; command-line flags override the file."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

CONFIG_NAMES = (".vllm-lint.yaml", ".vllm-lint.yml")


class ConfigError(Exception):
    def __init__(self, message: str, path: str | None = None, line: int | None = None, column: int | None = None):
        where = f"{path}:{line}:{column}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    fail_on: str = "warning"
    vllm_version: str | None = None
    offline: bool = False
    no_cache: bool = False
    exclude: list[str] = field(default_factory=list)
    extend_exclude: list[str] = field(default_factory=list)
    env_file: list[str] = field(default_factory=list)
    hardware: str | dict[str, str] | None = None
    rules: dict[str, dict] = field(default_factory=dict)
    projects: list[list[str]] = field(default_factory=list)  # groups of file globs (relative to root) run together
    diff_base: str | None = None  # only findings on lines changed since this git revision
    use_snapshot: bool = True  # the model metadata bundled in knowledge/models/
    vllm_images: list[str] = field(default_factory=list)  # globs of custom images whose entrypoint starts vLLM
    helm_values: list[str] | dict[str, list[str]] = field(default_factory=list)  # values files for `helm template`
    helm_values_cli: list[str] = field(default_factory=list)  # --helm-values (after the configuration's)
    respect_gitignore: bool = True  # discovery skips what .gitignore / .ignore files ignore
    inline_suppressions: bool = True  # False: "# vllm-lint: disable" comments suppress nothing (and are reported)
    docs_url: str | None = None  # rule pages: a template with {code}/{name}, or a base URL (docs.py)
    root: Path = field(default_factory=Path.cwd)  # folder the config file lives in
    source: str | None = None  # the config file read, if any

    def rule_options(self, rule) -> dict:
        return {**self.rules.get(rule.name, {}), **self.rules.get(rule.code, {})}


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads((Path(__file__).resolve().parent / "schemas" / "config.schema.json").read_text())


def find_config(start: Path) -> Path | None:
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "[tool.vllm-lint]" in pyproject.read_text(errors="replace"):
            return pyproject
    return None


def load(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read configuration: {exc}", display) from None
    positions = None
    if path.name == "pyproject.toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            data = tomllib.loads(text).get("tool", {}).get("vllm-lint", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid TOML: {exc}", display) from None
    else:
        from vllm_lint.sources.yamlnodes import YamlError, load_documents, typed

        try:
            docs = load_documents(text, display)
        except YamlError as exc:
            raise ConfigError(exc.message, display, exc.line, exc.column) from None
        positions = docs[0] if docs else None
        data = typed(positions) or {}
    _validate(data, display, positions)
    settings = Settings(root=path.parent, source=display)
    for key, value in data.items():
        setattr(settings, key.replace("-", "_"), value)
    if "vllm-version" in data:
        settings.vllm_version = str(data["vllm-version"])
    if settings.hardware is not None:
        from vllm_lint.hardware.gpu import InventoryError, parse_inventory

        try:
            parse_inventory(settings.hardware)
        except InventoryError as exc:
            node = positions.get("hardware") if positions is not None and hasattr(positions, "get") else None
            span = getattr(node, "span", None)
            raise ConfigError(f"hardware: {exc}", display, span.line if span else None, span.column if span else None) from None
    return settings


def _validate(data, display: str, positions) -> None:
    from vllm_lint.schema_check import validate

    errors = validate(schema(), data)
    if not errors:
        return
    error = errors[0]
    where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
    line = column = None
    node = positions
    for part in error.absolute_path:
        from vllm_lint.sources.yamlnodes import YMap, YSeq

        if isinstance(node, YMap) and str(part) in node:
            node = node.get(str(part))
        elif isinstance(node, YSeq) and isinstance(part, int) and part < len(node.items):
            node = node.items[part]
        else:
            break
    if node is not None:
        line, column = node.span.line, node.span.column
    raise ConfigError(f"invalid configuration at {where}: {error.message}", display, line, column)
