"""Rule: one module of the ``rules`` package, registered by being there.

A rule module defines, beside its check, its identity and defaults, and documents itself in its
docstring (what it does, why it is bad, example, fix)::

    CODE = "VLL102"
    NAME = "unpinned-image"
    CATEGORY = "reproducibility"
    SEVERITY = "warning"          # error, warning or info
    SCOPE = "deployment"          # "deployment" (one launch), "project" (all launches) or "file"
    NEEDS = ()                    # knowledge it cannot run without: "release", "model", "gpu", "estimate", or
                                  # "shapes" (heads, layers, context: the model's own metadata, or its base
                                  # model's for a quantized derivative known only by name; read ctx.shapes and
                                  # name the model with ctx.shapes_label, which says so)
    DEFAULT = True                # False: opt-in, run only when selected by its code or name (not by ALL
                                  # or a prefix) — for checks whose value on real files does not pay their noise

    def check(target, ctx):       # a Deployment, the Project, or a SourceFile
        yield ctx.finding(span, "message", hint="how to fix")

Adding a rule is adding a module: nothing else is edited.
"""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: str
    severity: str
    scope: str
    needs: tuple[str, ...]
    module: ModuleType
    default: bool = True

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.module.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.splitlines()[0] if self.doc else self.name

    def check(self, target, ctx):
        return self.module.check(target, ctx)


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    from vllm_lint import rules as package  # the rules/ folder, installed as vllm_lint.rules

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        found.append(Rule(module.CODE, module.NAME, module.CATEGORY, module.SEVERITY,
                          getattr(module, "SCOPE", "deployment"), tuple(getattr(module, "NEEDS", ())), module,
                          bool(getattr(module, "DEFAULT", True))))
    codes = [r.code for r in found]
    duplicates = {c for c in codes if codes.count(c) > 1}
    if duplicates:
        raise RuntimeError(f"rule codes used twice: {sorted(duplicates)}")
    return tuple(sorted(found, key=lambda r: r.code))


def rule_by(code_or_name: str) -> Rule | None:
    key = code_or_name.strip()
    for r in all_rules():
        if r.code.lower() == key.lower() or r.name == key:
            return r
    return None


ASSUMED_RELEASE = "assumed: the image pins no release"


@dataclass(frozen=True)
class ReleaseBasis:
    """The vLLM release a launch is judged against, as findings name it, and whether it is only assumed:
    the image pins no release and none is configured (``vllm-version``), so the newest known stands in.
    A finding whose only basis is that assumption says so (:attr:`text`) and is at most a warning
    (:meth:`severity`)."""

    name: str  # the release as messages name it: "0.10.1.1", "0.33.0"
    assumed: bool
    nightly: str | None = None  # a nightly image: "nightly of 2026-10-20, leads to 0.33.0"

    @property
    def text(self) -> str:
        """``vLLM 0.33.0 (assumed: the image pins no release)``, or ``vLLM 0.11.0``; a nightly says which
        release it is judged as and why: ``vLLM 0.33.0 (nightly of 2026-10-20, leads to 0.33.0)``."""
        if self.nightly:
            return f"vLLM {self.name} ({'assumed: ' if self.assumed else ''}{self.nightly})"
        return f"vLLM {self.name}" + (f" ({ASSUMED_RELEASE})" if self.assumed else "")

    def severity(self, severity: str) -> str:
        """``severity`` for a finding that holds only in the assumed release: error becomes warning."""
        return "warning" if self.assumed and severity == "error" else severity


def release_basis(ctx) -> ReleaseBasis | None:
    """The :class:`ReleaseBasis` of the launch a rule checks (None without a release or a launch)."""
    release, deployment = ctx.release, ctx.deployment
    if release is None or deployment is None:
        return None
    assumed = deployment.version is None and not getattr(ctx.settings, "vllm_version", None)
    return ReleaseBasis(getattr(release, "name", release.version), assumed, getattr(deployment, "nightly", None))
