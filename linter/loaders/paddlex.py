"""PaddleX's generative-AI server with the vLLM backend: ``paddlex_genai_server`` (and PaddleOCR's
``paddleocr genai_server``, which starts the same server: PaddlePaddle/PaddleOCR ``paddleocr/_cli.py`` @01242893
registers the subcommand with PaddleX's ``get_arg_parser`` as parent and runs ``run_genai_server``) ``--backend vllm``.

How it starts vLLM, read in PaddleX's source (PaddlePaddle/PaddleX, ``paddlex/inference/genai/``):

- ``server.py`` (@58e222d1): the options ``--model_name`` (required), ``--model_dir``, ``--host`` (default
  ``localhost``), ``--port`` (default 8000), ``--backend`` and ``--backend_config FILE``; ``constants.py``
  (@0f026630): the backends are fastdeploy, vllm and sglang, and the default is **fastdeploy** (so only an explicit
  ``--backend vllm`` starts vLLM). Without ``--model_dir`` the model is PaddleX's official download of
  ``--model_name`` (a local folder known only at run time).
- The backend configuration is the model's defaults (``configs/<model>.py``, ``get_config("vllm")``) updated
  key by key with the YAML mapping of ``--backend_config`` (``configs/utils.py``: ``load_backend_config``,
  ``update_backend_config``).
- ``backends/vllm.py`` (@43b91bf5): ``run_vllm_server`` sets ``served-model-name`` to the model name unless the
  configuration has one, sets the chat template, then forces ``model`` (the model folder), ``host`` and
  ``port``; ``configs/utils.py`` ``backend_config_to_args`` (@2bb9ac15) turns each key into ``--key`` (``_`` to
  ``-``) followed by ``str(value)``, **except a boolean, which is the bare ``--key`` whatever its value**
  (``enforce_eager: false`` runs with ``--enforce-eager``); the words go through vLLM's own
  ``make_arg_parser`` (``vllm serve``'s options, the last occurrence winning).
- The defaults of PaddleOCR-VL-0.9B for vLLM (``configs/paddleocr_vl_09b.py`` @1b2c0fda, which
  ``paddleocr_vl_16_09b.py`` @c8feba9c reuses): :data:`MODEL_DEFAULTS`. A model whose defaults are not listed
  there is read without them (said in the launch's notes).

The launch's arguments are those words, each pointing where it is written: the defaults and the forced ones at the
``--model_name`` / ``--host`` / ``--port`` words, the backend configuration's at its keys in that file (found through
the volume that mounts it in a container).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from vllm_lint.launch.deployment import Deployment, VarUse, Word

#: ``get_config("vllm")`` of the models whose configuration file was read (see the module docstring).
MODEL_DEFAULTS: dict[str, tuple[tuple[str, object], ...]] = {
    name: (("trust-remote-code", True), ("gpu-memory-utilization", 0.5), ("max-model-len", 16384),
           ("max-num-batched-tokens", 131072), ("api-server-count", 4))
    for name in ("PaddleOCR-VL-0.9B", "PaddleOCR-VL-1.6-0.9B")
}
_OPTIONS = ("--model_name", "--model_dir", "--host", "--port", "--backend", "--backend_config")
LAUNCHER = "paddlex genai server"


@dataclass
class Launch:
    """The ``paddlex_genai_server`` command of a launch: its words by option."""

    start: Word  # the command's first word
    options: dict[str, Word]  # "--model_name" -> the value's word

    @property
    def backend(self) -> str:
        w = self.options.get("--backend")
        return w.value if w is not None else "fastdeploy"


def find(words: list[Word]) -> Launch | None:
    """The PaddleX genai server that ``words`` start with the vLLM backend, or None (another command, another
    backend, a backend known only at run time)."""
    start = first = None
    for i, w in enumerate(words):
        base = os.path.basename(w.value)
        if base == "paddlex_genai_server":
            start = i + 1
        elif i + 1 < len(words) and (base == "paddleocr" and words[i + 1].value == "genai_server"
                                     or w.value == "-m" and words[i + 1].value == "paddlex.inference.genai.server"):
            start = i + 2
        if start is not None:
            first = i  # the command's first word: "paddleocr" of "paddleocr genai_server", "-m"'s interpreter
            first = max(i - 1, 0) if w.value == "-m" else first
            break
    if start is None:
        return None
    options: dict[str, Word] = {}
    rest = words[start:]
    i = 0
    while i < len(rest):
        w = rest[i]
        flag, eq, value = w.value.partition("=")
        if flag in _OPTIONS:
            if eq:
                options[flag] = replace(w, value=value, raw="", quoting="")
            elif i + 1 < len(rest):
                options[flag] = rest[i + 1]
                i += 1
        i += 1
    launch = Launch(words[first], options)
    backend = options.get("--backend")
    if backend is None or backend.value != "vllm" or _unknown(backend):
        return None
    return launch


def _unknown(word: Word) -> bool:
    """Known only at run time (compose's unset variable is its default, or blank: known)."""
    return any(u.value is None and u.kind != "compose" for u in word.variables)


def _words(flag: str, value: object, at: Word) -> list[Word]:
    """``--flag value`` as ``backend_config_to_args`` writes it, pointing at ``at`` (not rewritable there)."""
    words = [Word(flag, at.span, "", (), False)]
    if not isinstance(value, bool):
        words.append(Word(str(value), at.span, "", (), False))
    return words


def attach(d: Deployment, launch: Launch, ctx) -> None:
    """Give ``d`` the arguments the server passes to vLLM (read the module docstring for the order)."""
    from vllm_lint.loaders.command import attach_args

    name_word = launch.options.get("--model_name") or launch.start
    model_name = name_word.value
    d.via = f"PaddleX genai server --backend vllm (model {model_name})"
    defaults = MODEL_DEFAULTS.get(model_name)
    words: list[Word] = []
    if defaults is None:
        d.notes.append(f"PaddleX's own vLLM defaults for {model_name} are not known here: read without them")
    else:
        for flag, value in defaults:
            words += _words("--" + flag, value, name_word)
    attach_args(d, words, "vllm serve", ctx)
    config_args = _backend_config(d, launch, ctx)
    d.args.extend(config_args)
    given = {a.name for a in config_args}
    tail: list[Word] = []
    if "served-model-name" not in given:
        tail += _words("--served-model-name", model_name, name_word)
    # the model folder: PaddleX writes ``--model DIR``, read here as vllm serve's positional model (the same
    # setting; the deprecation of ``--model`` is PaddleX's to fix, not the configuration's)
    model_dir = launch.options.get("--model_dir")
    if model_dir is not None:
        tail.insert(0, model_dir)
    else:  # PaddleX's official download: a folder known only when the server runs
        unknown = VarUse(f"PaddleX's download of {model_name}", name_word.span, None, kind="paddlex")
        tail.insert(0, Word(model_name, name_word.span, "", (unknown,), False))
    host, port = launch.options.get("--host"), launch.options.get("--port")
    tail += [Word("--host", (host or launch.start).span, "", (), False),
             host or Word("localhost", launch.start.span, "", (), False)]
    tail += [Word("--port", (port or launch.start).span, "", (), False),
             port or Word("8000", launch.start.span, "", (), False)]
    attach_args(d, tail, "vllm serve", ctx)


def _backend_config(d: Deployment, launch: Launch, ctx) -> list:
    """The arguments of ``--backend_config FILE`` as the server passes them (a boolean is the bare flag)."""
    from vllm_lint.loaders import vllm_config

    word = launch.options.get("--backend_config")
    if word is None:
        return []
    if _unknown(word):
        d.runtime_values.append(f"--backend_config {word.raw or word.value}")
        return []
    path = _host_file(d, word.value)
    if path is None:
        d.notes.append(f"--backend_config {word.value} is not in the tree (no volume mounts it here): "
                       "its vLLM options were not read")
        return []
    args = vllm_config.read_args(path, ctx)  # an unreadable file is a problem of that file, said once
    display = ctx.display(path)
    d.depends_on_files.append(display)
    d.config_file = display  # read through this launch, not again as a vLLM --config file of its own
    if args is None:
        return []
    out = []
    for a in args:
        if a.value is None and a.negated:
            d.notes.append(f"{a.flag}: false in {display} is passed to vLLM as --{a.name}: PaddleX writes a "
                           "boolean key as the bare flag whatever its value")
        out.append(replace(a, origin="command", negated=False, flag="--" + a.name))
    return out


def _host_file(d: Deployment, written: str) -> Path | None:
    """The file here that ``written`` names where the server runs: through a volume in a container, else
    relative to the launch's folder."""
    if d.kind in ("compose", "kubernetes", "docker-run"):
        host = d.host_path(written)
        return host if isinstance(host, Path) and host.is_file() else None
    path = Path(written).expanduser()
    if not path.is_absolute() and d.base_dir:
        path = Path(d.base_dir) / path
    return path if path.is_file() else None
