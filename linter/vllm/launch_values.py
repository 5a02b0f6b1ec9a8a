"""The values vLLM's parser gives a launch's options, by argparse ``dest``: what the serve checks and the engine
checks of ``knowledge/vllm/`` are evaluated on.

In: a :class:`~vllm_lint.vllm.release.Release` and a deployment. Out: ``value_of(dest) -> (known, value)``, the
parsed value (an int, a float, a dict for a JSON option ...), the release's default when the option is not given,
known False when the file leaves the option to run time or the release's parser rejects what is written (that is
VLL202's finding, not a check's).

``value_of("model:FACT")`` is a fact of the model's metadata (unknown without it), each read as the releases read do:

- ``text_only``: every architecture of the model is in vLLM's text-generation registry
  (``knowledge/vllm/architectures.yaml`` kind ``generation``), which is what ``ModelConfig.is_multimodal_model``
  reads (``registry.is_multimodal_model(architectures)``, vllm/config.py:699 (0.9.2));
- ``dense``: the text config names no experts: none of ``num_experts``, ``moe_num_experts``, ``n_routed_experts``,
  ``num_local_experts`` (the names ``ModelConfig._verify_with_expert_parallelism`` reads, vllm/config.py:1006
  (0.9.2); ``get_num_experts``, vllm/transformers_utils/model_arch_config_convertor.py:108 (0.19.1)) is above 0, and
  it has no ``block_configs`` or ``ffn_config`` that could hold them; unknown for an architecture named MoE.
"""
from __future__ import annotations

__all__ = ["LaunchValues", "words_of"]


def words_of(arg) -> list[str]:
    """The words an argument was written with, as ``vllm serve`` gets them."""
    if arg.words and arg.origin == "command":
        return [w.value for w in arg.words]
    return [arg.flag] + ([arg.value] if arg.value is not None else [])


_EXPERT_KEYS = ("num_experts", "moe_num_experts", "n_routed_experts", "num_local_experts")


class LaunchValues:
    def __init__(self, release, deployment, model_of=None):
        self.release = release
        self.deployment = deployment
        self._model_of = model_of  # () -> the model's metadata (ModelMeta) or None: read only for a model:FACT item
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
        if dest.startswith("model:"):
            return self.model_fact(dest[6:])
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

    def model_fact(self, fact: str) -> tuple[bool, object]:
        meta = self._model_of() if self._model_of is not None else None
        if meta is None or not meta.architectures:
            return False, None
        if fact == "text_only":
            from vllm_lint.vllm.support import architecture, in_range

            entries = [architecture(a) for a in meta.architectures]
            if any(e is None or not in_range(self.release.name, e) for e in entries):
                return False, None  # an architecture this release's registry does not list: not judged
            return True, all(e.get("kind") == "generation" for e in entries)
        if fact == "dense":
            config = meta.text_config or meta.config
            if any(config.get(k) or meta.config.get(k) for k in ("block_configs", "ffn_config")) or \
                    any("moe" in a.lower() for a in meta.architectures):
                return False, None
            experts = [config.get(k) for k in _EXPERT_KEYS]
            if any(not isinstance(v, (int, list, type(None))) or isinstance(v, bool) for v in experts):
                return False, None
            return True, not any((v[0] if isinstance(v, list) and v else v) for v in experts)
        raise ValueError(f"unknown model fact {fact!r}")
