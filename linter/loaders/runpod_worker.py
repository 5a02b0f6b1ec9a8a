"""RunPod's vLLM worker (runpod-workers/worker-vllm; the published image ``runpod/worker-v1-vllm``): a Python
entrypoint that starts ``vllm serve`` with arguments it builds from the environment.

Read in the worker's source (runpod-workers/worker-vllm @7a925039):

- ``Dockerfile``: ``FROM vllm/vllm-openai:${VLLM_VERSION}``, ``ENV MODEL_NAME=$MODEL_NAME ...`` (build ARGs, empty
  by default: the endpoint's environment sets them), ``ENTRYPOINT ["python3", "/src/main.py"]``;
- ``src/main.py`` ``start_vllm``: ``vllm serve --host 127.0.0.1 --port $VLLM_PORT`` (8000) followed by
  ``build_vllm_args()``; a model baked into the image at build time (``download_model.py``) replaces
  ``MODEL_NAME`` with its local folder;
- ``src/args_builder.py`` ``build_vllm_args``: every variable named as an option in UPPER_SNAKE_CASE
  (``MAX_MODEL_LEN=4096`` -> ``--max-model-len 4096``), except the reserved ``HOST``, ``PORT``, ``API_KEY``,
  ``MODEL``, ``CONFIG``, ``HELP``; an empty value is skipped; a ``--flag``/``--no-flag`` pair gives the bare flag
  for true (``true``, ``1``, ``yes``, ``on``) and ``--no-flag`` for false, a store-true flag the bare flag or
  nothing; ``MAX_NUM_BATCHED_TOKENS=0`` is dropped (vLLM picks its own); then the aliases
  (:data:`ALIASES`: ``MODEL_NAME`` -> ``--model`` ...), which win; then ``VLLM_EXTRA_ARGS`` split as a shell
  would, appended last. The worker's list of options was generated from vLLM's CLI; here the options of the
  release the launch runs stand in for it (an option that release does not have is not passed: the worker
  drops the removed ones too).

The launch's arguments point at the variable that gives each (the ``ENV`` instruction, the service's
``environment:`` entry). Read from the Dockerfile alone, the endpoint's environment is not in the tree: a forwarded
word stands for it, so nothing is reported missing that the endpoint may set.
"""
from __future__ import annotations

import os
import re
import shlex

from vllm_lint.launch.deployment import EnvVar, VarUse, Word

#: Variables named otherwise than their option (``args_builder.py`` ``ENV_ALIASES``).
ALIASES = {"MODEL_NAME": "--model", "MODEL_REVISION": "--revision", "TOKENIZER_NAME": "--tokenizer",
           "OPENAI_SERVED_MODEL_NAME_OVERRIDE": "--served-model-name", "CUSTOM_CHAT_TEMPLATE": "--chat-template",
           "VLLM_CONFIG_FILE": "--config"}
RESERVED = frozenset({"HOST", "PORT", "API_KEY", "MODEL", "CONFIG", "HELP"})
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}
_ZERO_MEANS_UNSET = {"--max-num-batched-tokens"}
WORKER_IMAGE = re.compile(r"(?:^|/)runpod/worker-v1-vllm(?::|@|$)")
LAUNCHER = "runpod worker-vllm"


def is_worker_image(image: str | None) -> bool:
    """The published worker image (``runpod/worker-v1-vllm:<tag>``)."""
    return bool(image and WORKER_IMAGE.search(image))


def is_worker_dockerfile(image, text: str) -> bool:
    """A Dockerfile image built like the worker's: vLLM's image (or vLLM installed) whose entrypoint runs a
    Python ``main.py`` and that is made for RunPod (its SDK, its volume)."""
    words = list(image.entrypoint or []) + list(image.cmd or [])
    runs_main = len(words) >= 2 and os.path.basename(words[0].value).startswith("python") \
        and os.path.basename(words[1].value) == "main.py"
    return bool(runs_main and (image.vllm_base or image.installs_vllm) and re.search(r"runpod", text, re.IGNORECASE))


def _env_name(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_").upper()


def _value_word(var: EnvVar, value: str) -> Word:
    unknown = () if var.value is not None else (VarUse(var.name, var.span, None, kind="runpod"),)
    return Word(value, var.span, "", tuple(var.variables) + unknown, False)


def words(env: dict[str, EnvVar], release, anchor: Word | None, span, open_environment: bool,
          notes: list[str]) -> list[Word]:
    """The words after ``vllm serve`` that ``main.py`` passes for ``env`` (see the module docstring)."""
    at = anchor.span if anchor is not None else span
    port = env.get("VLLM_PORT")
    out = [Word("--host", at, "", (), False), Word("127.0.0.1", at, "", (), False), Word("--port", at, "", (), False),
           _value_word(port, port.value or "8000") if port is not None else Word("8000", at, "", (), False)]
    flags: dict[str, tuple[str, Word, Word | None]] = {}  # emitted flag -> (the option, flag word, value word)

    def apply(flag: str, var: EnvVar) -> None:
        if var.value is not None and "$" in var.value:  # ENV X=$BUILD_ARG: set when the image is built, or by the endpoint
            var = EnvVar(var.name, None, var.span, var.variables, var.from_secret, var.name_span)
        value = (var.value or "").strip()
        if var.value is not None and not value:
            return  # an empty value: skipped
        option = release.option(flag) if release is not None else None
        boolean = option is not None and option.action in ("store_true", "bool_optional", "enable_disable")
        flag_word = Word(flag, var.name_span or var.span, "", (), False)
        if boolean and var.value is None:
            notes.append(f"{var.name} is set when the image is built or run: {flag} is not known here")
            return
        if boolean:
            truth = value.lower()
            if truth not in _TRUE | _FALSE:
                notes.append(f"{var.name}={var.value!r} is not a boolean: the worker stops at start-up (ValueError)")
                return
            for key in [k for k in flags if flags[k][0] == flag]:
                del flags[key]
            if truth in _TRUE:
                flags[flag] = (flag, flag_word, None)
            elif release.has_option_string("--no-" + flag[2:]):
                flags["--no-" + flag[2:]] = (flag, Word("--no-" + flag[2:], flag_word.span, "", (), False), None)
            else:  # the worker omits a store-true flag, and passes --no-FLAG for those its list pairs
                notes.append(f"{var.name}={var.value}: read as {flag} not given; the worker passes --no-{flag[2:]} "
                             f"for the flags it lists as paired, which this vLLM release does not accept")
            return
        if flag in _ZERO_MEANS_UNSET and value == "0":
            return
        flags.pop(flag, None)
        flags[flag] = (flag, flag_word, None if boolean else _value_word(var, value))

    if release is not None:
        for name, var in env.items():
            if name in RESERVED or name in ALIASES or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
                continue
            flag = "--" + name.lower().replace("_", "-")
            option = release.option(flag)
            if option is not None and flag in option.flags:
                apply(flag, var)
    for name, flag in ALIASES.items():
        if name in env:
            apply(flag, env[name])
    model = flags.pop("--model", None)
    if model is not None and model[2] is not None:  # MODEL_NAME: read as vllm serve's positional model (the same
        out.append(model[2])                         # setting; --model's deprecation is the worker's to fix)
    for _, flag_word, value_word in flags.values():
        out.append(flag_word)
        if value_word is not None:
            out.append(value_word)
    extra = env.get("VLLM_EXTRA_ARGS")
    if extra is not None and extra.value is None:
        out.append(Word("$VLLM_EXTRA_ARGS", extra.span, "", (VarUse("VLLM_EXTRA_ARGS", extra.span, None, kind="runpod"),),
                        False, forwarded=True))
    elif extra is not None and extra.value:
        try:
            out += [_value_word(extra, w) for w in shlex.split(extra.value)]
        except ValueError:
            notes.append("VLLM_EXTRA_ARGS cannot be split as a shell would: the worker stops at start-up")
    if open_environment:  # the endpoint's environment (RunPod's template) is not in the tree
        out.append(Word("<endpoint environment>", at, "", (VarUse("the endpoint's environment", at, None,
                                                                   kind="runpod"),), False, forwarded=True))
    return out
