"""The options of every command that reads deployment files (``check``, ``report``, ``vram``, ``launches``,
``upgrade``, ``calibrate``, ``models lock``): one definition (:func:`file_options`, a click decorator that hands the
command one :class:`FileOptions`) and one way of applying them to the configuration (:meth:`FileOptions.settings`),
so that ``--env-file`` means the same everywhere.
"""
from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import click

EXIT_ERROR = 2

#: (parameter name, click decls, click attributes), in the order ``--help`` lists them.
_OPTIONS = (
    ("config_path", ("--config",), dict(type=click.Path(path_type=Path, dir_okay=False),
                                        help="Configuration file (default: .vllm-lint.yaml or pyproject.toml "
                                             "[tool.vllm-lint], searched upwards).")),
    ("vllm_version", ("--vllm-version",), dict(help="vLLM release of launches whose image pins none.")),
    ("hardware", ("--gpu",), dict(metavar="SPEC", help="GPUs of the host: a card (rtx-4090), per device "
                                                       "(0=rtx-4090,1=a100-80gb) or auto (nvidia-smi).")),
    ("offline", ("--offline",), dict(is_flag=True, default=None,
                                     help="No network: model metadata only from the models lock, local folders, the "
                                          "HF cache and the bundled snapshot; checks that need more say they were "
                                          "skipped.")),
    ("compose_files", ("--compose-file",), dict(multiple=True, type=click.Path(path_type=Path),
                                                help="Compose files merged into one project, like docker compose -f "
                                                     "(repeatable).")),
    ("env_files", ("--env-file",), dict(multiple=True, type=click.Path(path_type=Path),
                                        help="Env file(s) for compose interpolation instead of the .env beside the "
                                             "compose file.")),
    ("helm_values", ("--helm-values",), {"multiple": True, "type": click.Path(path_type=Path),
                                         "help": "Values file for the Helm charts rendered with helm template, after "
                                                 "the configuration's (repeatable)."}),
)
NAMES = tuple(name for name, _, _ in _OPTIONS)


@dataclass(frozen=True)
class FileOptions:
    """What the file-reading options said (None / empty: not given)."""

    config_path: Path | None = None
    vllm_version: str | None = None
    hardware: str | None = None
    offline: bool | None = None
    compose_files: tuple[Path, ...] = ()
    env_files: tuple[Path, ...] = ()
    helm_values: tuple[Path, ...] = ()

    def targets(self, paths) -> list[Path]:
        """The paths to read: those given, else the current folder (none with ``--compose-file``)."""
        return [Path(p) for p in paths] or ([] if self.compose_files else [Path(".")])

    @property
    def compose_groups(self) -> list[list[Path]] | None:
        """``--compose-file`` files, merged into one project as ``docker compose -f -f`` does."""
        return [[Path(p) for p in self.compose_files]] if self.compose_files else None

    def settings(self, paths=()):
        """The configuration (``--config``, else the one found upwards from the first folder given, else from the
        current folder) with these options applied; on a broken configuration or ``--gpu``, the message and exit 2."""
        from vllm_lint import config as config_module

        try:
            found = self.config_path or config_module.find_config(
                Path(paths[0]) if paths and Path(paths[0]).is_dir() else Path.cwd())
            settings = config_module.load(found)
        except config_module.ConfigError as exc:
            click.echo(f"vllm-lint: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        return self.apply(settings)

    def apply(self, settings):
        """Apply the options to ``settings`` (flags win over the configuration file); returns it."""
        if self.vllm_version:
            settings.vllm_version = self.vllm_version
        if self.hardware:
            from vllm_lint.hardware.gpu import InventoryError, parse_inventory

            try:
                parse_inventory(self.hardware)
            except InventoryError as exc:
                click.echo(f"vllm-lint: --gpu {self.hardware}: {exc}", err=True)
                sys.exit(EXIT_ERROR)
            settings.hardware = self.hardware
        if self.offline is not None:
            settings.offline = self.offline
        if self.env_files:
            settings.env_file = [str(Path(p).resolve()) for p in self.env_files]
        if self.helm_values:
            settings.helm_values_cli = [str(Path(p).resolve()) for p in self.helm_values]
        return settings


def file_options(command):
    """Add the file-reading options to a click command; it receives them as one ``reading: FileOptions``."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name in NAMES if name in kwargs}
        values["compose_files"] = tuple(values.get("compose_files") or ())
        values["env_files"] = tuple(values.get("env_files") or ())
        values["helm_values"] = tuple(values.get("helm_values") or ())
        return command(*args, reading=FileOptions(**values), **kwargs)

    for name, decls, attrs in reversed(_OPTIONS):
        wrapper = click.option(*decls, name, **attrs)(wrapper)
    return wrapper
