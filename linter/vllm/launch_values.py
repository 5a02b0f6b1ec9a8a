"""The values vLLM's parser gives a launch's options, by argparse ``dest``: what the serve checks and the engine
checks of ``knowledge/vllm/`` are evaluated on.

In: a :class:`~vllm_lint.vllm.release.Release` and a deployment. Out: ``value_of(dest) -> (known, value)``, the
parsed value (an int, a float, a dict for a JSON option ...), the release's default when the option is not given,
known False when the file leaves the option to run time or the release's parser rejects what is written (that is
VLL202's finding, not a check's).
"""
from __future__ import annotations

__all__ = ["LaunchValues", "words_of"]


def words_of(arg) -> list[str]:
    """The words an argument was written with, as ``vllm serve`` gets them."""
    if arg.words and arg.origin == "command":
        return [w.value for w in arg.words]
    return [arg.flag] + ([arg.value] if arg.value is not None else [])


class LaunchValues:
    def __init__(self, release, deployment):
        self.release = release
        self.deployment = deployment
        self._args = [a for a in deployment.args if a.origin != "positional" and a.flag]
        self._written: dict[str, list] = {}  # dest -> the arguments that write it
        for a in self._args:
            option = release.option("--" + a.name)
            if option is not None:
                self._written.setdefault(option.dest, []).append(a)
        self._parsed = None

    def _values(self) -> dict | None:
        """The whole line's parsed values (None: some option is rejected; read one at a time)."""
        if self._parsed is None:
            parsed = self.release.parse([w for a in self._args for w in words_of(a)])
            self._parsed = (parsed.values if parsed.ok else None,)
        return self._parsed[0]

    def value_of(self, dest: str) -> tuple[bool, object]:
        option = self.release.option_by_dest(dest)
        if option is None:
            return True, None  # the release has no such option: the attribute's default
        if self.deployment.unknown(option.canonical.lstrip("-")):
            return False, None
        args = self._written.get(dest)
        if not args:
            return True, option.default  # not written: the parser's default, without parsing the line
        values = self._values()
        if values is not None:
            return True, values.get(dest, option.default)
        parsed = self.release.parse([w for a in args for w in words_of(a)])
        if not parsed.ok:
            return False, None
        return True, parsed.values.get(dest, option.default)
