"""Nightly images: which release's knowledge a ``vllm/vllm-openai:nightly`` / ``:nightly-<sha>`` launch is judged by.

In: an image reference. Out: a :class:`Nightly` — the release the nightly leads to and why, or None when the image
is not a nightly. vLLM publishes a nightly image per commit of its main branch; a nightly contains what the next
release will contain, so it is judged with the knowledge of the release it *precedes*, never silently with the
newest release known:

- ``nightly-<sha>`` whose commit is a release's own commit (``knowledge/vllm/release_builds.yaml``, from each
  wheel's ``vllm/_version.py``): that release;
- ``nightly-2026-10-20`` / ``nightly-20261020`` (a dated tag): the first release built on or after that date
  (the wheels' build dates, same file) — "nightly of 2026-10-20, leads to 0.33.0";
- a dated nightly after the newest release, ``:nightly`` itself, or a commit that is no release's: the release it
  leads to is not known here. The newest release known stands in, *as an assumption* the findings say
  (:attr:`Nightly.assumed`), and ``vllm-version:`` in the configuration names the release instead.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from vllm_lint.knowledge import load as load_knowledge

_TAG = re.compile(r"^nightly(?:-(?P<rest>.+))?$")
_SHA = re.compile(r"^(?P<sha>[0-9a-f]{7,40})(?:[-_.].*)?$")
_DATE = re.compile(r"^(?P<y>20\d\d)-?(?P<m>[01]\d)-?(?P<d>[0-3]\d)(?:[-_.].*)?$")


@dataclass(frozen=True)
class Nightly:
    tag: str
    release: str | None  # the release whose knowledge is used; None: not known (the newest stands in, assumed)
    why: str  # "nightly of 2026-10-20, leads to 0.33.0"
    assumed: bool  # the release is an assumption (no date or commit that names one)
    date: str | None = None


@functools.lru_cache(maxsize=1)
def builds() -> list[dict]:
    """Every release wheel's version, build date and commit, oldest first."""
    return list(load_knowledge("vllm/release_builds.yaml")["releases"])


def image_tag(image: str | None) -> str | None:
    if not image or "@" in image:
        return None
    name, sep, tag = image.rpartition(":")
    if not sep or not name or "/" in tag:
        return None
    return tag


def is_vllm_repo(image: str) -> bool:
    repo = image.split("@")[0].rsplit(":", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    return last.startswith("vllm-openai") or repo.endswith("/vllm")


def nightly(image: str | None) -> Nightly | None:
    """What a nightly image of vLLM is judged as; None for any other image."""
    tag = image_tag(image)
    if tag is None or not is_vllm_repo(image):
        return None
    m = _TAG.match(tag)
    if not m:
        return None
    rest = m.group("rest") or ""
    newest = builds()[-1]
    if not rest or rest in ("latest",):
        return Nightly(tag, None, "a nightly of unknown date: the newest release known stands in", True)
    date = _DATE.match(rest)
    if date:
        day = f"{date.group('y')}-{date.group('m')}-{date.group('d')}"
        for build in builds():
            if build["built"] >= day:
                return Nightly(tag, build["version"], f"nightly of {day}, leads to {build['version']} "
                                                      f"(built {build['built']})", False, day)
        return Nightly(tag, None, f"nightly of {day}, after the newest release known ({newest['version']}, built "
                                  f"{newest['built']}): it stands in", True, day)
    sha = _SHA.match(rest)
    if sha:
        commit = sha.group("sha")
        for build in builds():
            known = build.get("commit")
            if known and (known.startswith(commit) or commit.startswith(known)):
                return Nightly(tag, build["version"], f"nightly-{commit[:9]} is the commit of release "
                                                      f"{build['version']} (built {build['built']})", False,
                               build["built"])
        return Nightly(tag, None, f"nightly of commit {commit[:9]}, which is no release's: its date is not known here "
                                  "and the newest release known stands in", True)
    return Nightly(tag, None, f"nightly tag {tag!r} of unknown date: the newest release known stands in", True)
