"""From a command's words to a Deployment's arguments (shared by every loader)."""
from __future__ import annotations

import re

from vllm_lint.launch import args as argparsing
from vllm_lint.launch.deployment import Deployment, Word
from vllm_lint.loaders.shell_vars import BRANCH_ARGS

_TAG_VERSION = re.compile(r"^v?(\d+\.\d+(?:\.\d+){0,2}(?:\.?post\d+)?(?:(?:rc|a|b)\d+)?(?:\.dev\d+)?)(?:[-+_.].*)?$")
_PIP_VERSION = re.compile(r"\bvllm\s*==\s*v?(\d+\.\d+(?:\.\d+){0,2}(?:\.?post\d+)?(?:(?:rc|a|b)\d+)?(?:\.dev\d+)?)")


def _vllm_release(text: str) -> str | None:
    """The vLLM release a version names (``0.11.0rc2`` -> ``0.11.0``, ``0.10.1.1`` itself), or None when it
    cannot be one: not a version, or a major above every published release's that no release carries
    (NGC's ``nvcr.io/nvidia/vllm:25.11-py3`` is the container's year.month, not vLLM 25.11)."""
    from vllm_lint.vllm.options import version_key
    from vllm_lint.vllm.release import published_releases, release_name

    try:
        name = release_name(text)
    except ValueError:
        return None
    published = published_releases()
    if name not in published and version_key(name).major > max(version_key(v).major for v in published):
        return None
    return name


def version_from_image(image: str | None) -> str | None:
    """The vLLM release an image tag names: ``vllm/vllm-openai:v0.11.0-cu128`` -> ``0.11.0``,
    ``v0.10.1.1`` -> ``0.10.1.1``, ``v0.11.0rc2`` -> ``0.11.0``, a custom build ``v0.6.1-<sha>-<date>`` ->
    ``0.6.1``; None for a tag that names no release (``latest``, ``2025-03-01``, NGC's ``25.11-py3``)."""
    if not image or "@" in image:
        return None
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return None
    m = _TAG_VERSION.match(tag)
    if not m:
        from vllm_lint.vllm.nightly import nightly  # nightly-<sha>, a dated nightly: the release it leads to

        found = nightly(image)
        return found.release if found is not None else None
    return _vllm_release(m.group(1))


def version_from_pip(text: str) -> str | None:
    """The release a ``vllm==X`` pin names (``vllm==0.10.1.1`` -> ``0.10.1.1``)."""
    m = _PIP_VERSION.search(text)
    return _vllm_release(m.group(1)) if m else None


def image_repository(image: str) -> str:
    """``registry/x/vllm-custom:tag@sha256:…`` -> ``registry/x/vllm-custom``."""
    return image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("@")[0].split("/")[-1] else image.split("@")[0]


def is_vllm_image(image: str | None, patterns=()) -> bool:
    """An image whose entrypoint is vLLM's server: ``vllm/vllm-openai`` (any registry), ``…/vllm``, or one that
    the configuration's ``vllm-images`` globs name (``myorg/vllm-*``, matched against the repository and the
    whole reference)."""
    if not image:
        return False
    repo = image_repository(image)
    if repo.rsplit("/", 1)[-1].startswith("vllm-openai") or repo.endswith("/vllm"):
        return True
    return matches_images(image, patterns)


def matches_images(image: str | None, patterns=()) -> bool:
    """Whether one of the ``vllm-images`` globs names ``image`` (``docker.io/`` and ``library/`` aside)."""
    if not image or not patterns:
        return False
    import fnmatch

    repo = image_repository(image)
    names = {image, repo}
    for name in list(names):
        for prefix in ("docker.io/", "index.docker.io/", "docker.io/library/"):
            if name.startswith(prefix):
                names.add(name[len(prefix):])
    return any(fnmatch.fnmatchcase(n, pat) for n in names for pat in patterns)


#: Options that other servers share with vLLM (llama.cpp, TGI, SGLang, Triton ...): alone they do not say
#: that the server reading them is vLLM.
GENERIC_OPTIONS = {"--model", "--port", "--host", "--config", "--api-key", "--help", "--version", "--seed", "--verbose",
                   "--log-level", "--uvicorn-log-level", "--ssl-keyfile", "--ssl-certfile", "--root-path", "--revision",
                   "--tokenizer", "--chat-template", "--trust-remote-code", "--dtype", "--served-model-name"}


def starts_with_vllm_options(words: list[Word], release) -> bool:
    """Whether the arguments of a container whose image is not known to run vLLM are vLLM's own: the first
    word is an option of the release, nearly every option is one (a word vLLM does not know belongs to
    another server) and at least one is not an option other servers share (:data:`GENERIC_OPTIONS`)."""
    if release is None or not words or not words[0].value.startswith("--"):
        return False
    flags = [w.value.split("=", 1)[0] for w in words if w.value.startswith("--") and len(w.value) > 2]
    known = []
    for flag in flags:
        option = release.option(flag)
        if option is not None:
            known.append(option.canonical if getattr(option, "canonical", None) else flag)
    if release.option(flags[0]) is None or len(known) * 5 < len(flags) * 4:
        return False
    return any(name not in GENERIC_OPTIONS for name in known)


#: Arguments of one launch read at most (real launches have tens; a generated or hostile file may have millions).
MAX_LAUNCH_WORDS = 10_000


def attach_args(deployment: Deployment, words: list[Word], launcher: str, context) -> None:
    """Parse ``words`` (what follows the launcher) into the deployment's arguments."""
    deployment.launcher = launcher
    release = context.release(deployment.version) if context is not None else None
    if len(words) > MAX_LAUNCH_WORDS:  # a 9 MB command repeating one option: read the first part, say so
        source = context.by_display(words[MAX_LAUNCH_WORDS].span.path) if hasattr(context, "by_display") else None
        if source is not None:
            source.add("invalid-command", f"this launch has {len(words)} arguments; only the first {MAX_LAUNCH_WORDS} "
                       "were checked", words[MAX_LAUNCH_WORDS].span)
        words = words[:MAX_LAUNCH_WORDS]
    deployment.args.extend(argparsing.parse(words, "vllm serve" if launcher in ("vllm serve", "image entrypoint", CUSTOM_ENTRYPOINT)
                                            else launcher, release))
    for name in dict.fromkeys(u.name for w in words for u in w.variables if u.value is None and u.kind != "compose"):
        deployment.runtime_values.append("arguments only some if/case branches add" if name == BRANCH_ARGS else name)


def split_launch(entry_words: list[Word], command_words: list[Word], image: str | None, patterns=()):
    """(launcher, argument words) of a container, or None when it does not start vLLM. ``patterns``: the
    configuration's ``vllm-images``, images whose entrypoint is vLLM's too."""
    full = entry_words + command_words
    found = argparsing.find_launch(full)
    if found:
        return found
    if not entry_words and is_vllm_image(image):
        return "image entrypoint", command_words
    if not entry_words and matches_images(image, patterns):
        return CUSTOM_ENTRYPOINT, command_words
    return None


#: The launcher of a custom image whose entrypoint starts vLLM in a way not known here (``vllm serve`` or the
#: api_server module): its arguments are read as vllm serve's, the checks that depend on which it is are skipped.
CUSTOM_ENTRYPOINT = "custom image entrypoint"


def merge_config_file(deployment: Deployment, context) -> None:
    """Read the ``--config FILE`` of a launch and put its arguments under the command line's."""
    from pathlib import Path

    from vllm_lint.loaders import vllm_config

    arg = deployment.arg("config")
    if arg is None or not arg.value:
        return
    candidate = Path(arg.value)
    host = deployment.host_path(arg.value) if candidate.is_absolute() else None
    if isinstance(host, Path):
        candidate = host
    elif not candidate.is_absolute() and deployment.base_dir:
        candidate = Path(deployment.base_dir) / candidate
    from vllm_lint.sources.source_file import regular_file_problem

    why = regular_file_problem(candidate)
    if why:  # missing: the unmounted-file rule reports it; a NUL byte, a name too long, a FIFO, a device: here
        if why != "No such file or directory":
            span = arg.value_or_flag_span
            source = context.by_display(span.path) if hasattr(context, "by_display") else None
            if source is not None:
                source.add("unreadable", f"--config {arg.value[:80]!r}: {why}", span)
        return
    file_args = vllm_config.read_args(candidate, context)
    if file_args is None:
        return
    deployment.config_file = context.display(candidate)
    deployment.depends_on_files.append(deployment.config_file)
    deployment.args[:0] = file_args
