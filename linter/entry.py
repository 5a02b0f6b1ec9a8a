"""The ``vllm-lint`` executable: answers ``--version`` before importing anything, then hands over to :mod:`.cli`.

A pre-commit hook or an editor asks for the version often; importing click and the engine for it would cost
most of a lint's start-up.
"""
from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from vllm_lint import __version__

        sys.stdout.write(f"vllm-lint, version {__version__}\n")
        return
    from vllm_lint.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
