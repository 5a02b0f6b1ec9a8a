"""Secrets never leave vllm-lint: every value that looks like a credential is masked (``********``) in every
output, the source lines under findings, ``--diff`` lines, notes and every machine format included.

What is masked (:func:`secret_values`), read from the files of the run and from its launches:

* the value of an option or variable that holds credentials: ``--api-key``, ``--hf-token`` and any option
  named ``*token`` / ``*secret`` / ``*password`` / ``*api-key``; variables and keys named ``*_TOKEN``, ``*_KEY``,
  ``*_SECRET``, ``*_PASSWORD``, ``*_CREDENTIALS``, ``HF_TOKEN``, ``Authorization``, ``api_key`` (compose
  ``environment``, ``.env`` and ``env_file`` lines, Kubernetes ``env`` values, ``--config`` keys, ``export``
  lines and ``NAME=value`` prefixes of scripts);
* ``Authorization:`` headers and ``Bearer`` tokens (a healthcheck's ``curl -H``), Kubernetes ``Secret`` data;
* token shapes that are credentials wherever they stand (``hf_...``, ``sk-...``, ``ghp_...``, ``github_pat_...``,
  ``glpat-...``, ``xox?-...``, ``AKIA...``);
* what a secret rule recognises (VLL106 ``literal-api-key``: the text its finding points at).

Values shorter than six characters, variable references (``${X}``, ``$(X)``, ``{{ x }}``) and bare booleans are
not secrets. Each value is masked as written, JSON-escaped, ``repr``-escaped and Markdown-escaped, so the
formats that escape it are masked too.
"""
from __future__ import annotations

import json
import re

MASK = "********"
MIN_LENGTH = 6

#: A variable or key that holds a credential (case-insensitive): HF_TOKEN, VLLM_API_KEY, AWS_SECRET_ACCESS_KEY ...
CREDENTIAL_NAME = re.compile(
    r"(?i)(?:^|[_.-])(?:token|key|secret|password|passwd|apikey|api[_-]key|credentials?|auth[_-]?token)$"
    r"|^(?:authorization|proxy-authorization|x-api-key)$")
#: An option that holds a credential: --api-key, --hf-token, --*-token, --*-secret, --*-password.
_FLAG = re.compile(r"(?i)--((?:[a-z0-9]+-)*(?:api-key|token|secret|password))(?:=|[ \t]+)([\"']?)([^\s\"'\\]+)")
#: NAME=value / NAME: value / "NAME": "value" / export NAME=value, anywhere on a line.
_ASSIGN = re.compile(r"(?<![A-Za-z0-9_.-])[\"']?([A-Za-z_][A-Za-z0-9_.-]*)[\"']?[ \t]*(=|:[ \t])[ \t]*([\"']?)([^\s\"',;#}\]\\]+)")
_HEADER = re.compile(r"(?i)\b(?:authorization|x-api-key)[\"']?[ \t]*[:=][ \t]*[\"']?(?:(?:bearer|basic|token)[ \t]+)?([^\s\"',;\\]+)")
_BEARER = re.compile(r"(?i)\bbearer[ \t]+([A-Za-z0-9._~+/=-]{6,})")
_TOKEN_SHAPES = re.compile(r"\b(?:hf_[A-Za-z0-9]{20,}|sk-[A-Za-z0-9_-]{20,}|gh[pousr]_[A-Za-z0-9]{20,}|"
                           r"github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|"
                           r"AKIA[0-9A-Z]{16})\b")
_NOT_SECRET = re.compile(r"(?i)^(?:true|false|yes|no|null|none|bearer|basic|digest|token|secret|\$.*|.*\$\{.*|.*\$\(.*|\{\{.*|<.*>|\*+)$")


def is_secret_name(name: str) -> bool:
    return bool(CREDENTIAL_NAME.search(name.strip().strip("\"'").lstrip("-")))


def _keep(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value).strip().strip("\"'")
    if len(value) < MIN_LENGTH or _NOT_SECRET.match(value) or MASK in value:
        return None
    return value


def values_in_text(text: str) -> set[str]:
    """The credential values written in one file's text."""
    found: set[str] = set()
    if not text:
        return found
    for m in _FLAG.finditer(text):
        found.add(m.group(3))
    for m in _ASSIGN.finditer(text):
        if is_secret_name(m.group(1)):
            found.add(m.group(4))
    for pattern in (_HEADER, _BEARER):
        for m in pattern.finditer(text):
            found.add(m.group(1))
    found.update(m.group(0) for m in _TOKEN_SHAPES.finditer(text))
    if "Secret" in text and "kind" in text:
        found |= _kubernetes_secret_values(text)
    return {v for v in map(_keep, found) if v}


def _kubernetes_secret_values(text: str) -> set[str]:
    """The values of ``data`` / ``stringData`` of the Kubernetes Secrets in a manifest (base64 and decoded)."""
    import base64
    import binascii

    from vllm_lint.sources.yamlnodes import YMap, YScalar, load_documents

    out: set[str] = set()
    try:
        docs = load_documents(text, "", errors=[])
    except Exception:  # noqa: BLE001 - masking must never fail a run
        return out
    for doc in docs:
        if not isinstance(doc, YMap):
            continue
        kind = doc.get("kind")
        if not (isinstance(kind, YScalar) and kind.value == "Secret"):
            continue
        for key in ("data", "stringData"):
            section = doc.get(key)
            if not isinstance(section, YMap):
                continue
            for _, value in section.items():
                if isinstance(value, YScalar) and not value.is_null:
                    out.add(value.value)
                    if key == "data":
                        try:
                            out.add(base64.b64decode(value.value, validate=True).decode("utf-8"))
                        except (binascii.Error, UnicodeDecodeError, ValueError):
                            pass
    return out


def project_secrets(project) -> set[str]:
    """The credential values in a project's files and in its launches' arguments and environments."""
    found: set[str] = set()
    for source in getattr(project, "files", ()):
        found |= values_in_text(getattr(source, "text", "") or "")
    for d in getattr(project, "deployments", ()):
        for arg in getattr(d, "args", ()):
            flag = str(getattr(arg, "flag", "") or getattr(arg, "name", ""))
            if getattr(arg, "value", None) and is_secret_name(flag.replace("-", "_")):
                found.add(arg.value)
        for name, var in getattr(d, "env", {}).items():
            if is_secret_name(name) and getattr(var, "value", None):
                found.add(var.value)
    return found


def secret_values(result) -> set[str]:
    """Every credential value of the run: in the files read, the launches' arguments and environments, and what
    the secret rules found."""
    project = result.project
    scanned = getattr(project, "secrets_found", None)  # worked out by the processes that read the files (--jobs)
    found: set[str] = set(scanned) if scanned is not None else project_secrets(project)
    for f in getattr(result, "findings", ()):
        if f.code == "VLL106":  # literal-api-key: its span is the key
            source = project.source(f.span.path) if hasattr(project, "source") else None
            if source is not None and f.span.start is not None and f.span.end is not None:
                found.add(source.text[f.span.start:f.span.end])
    return {v for v in map(_keep, found) if v}


class Masker:
    """Replaces every secret value of a run (in its escaped forms too) by :data:`MASK`."""

    def __init__(self, values: set[str]):
        variants: set[str] = set()
        for v in values:
            variants.update({v, json.dumps(v, ensure_ascii=False)[1:-1], json.dumps(v)[1:-1], repr(v)[1:-1],
                             v.replace("|", "\\|"), v.replace("%", "%25")})
        variants = {v for v in variants if len(v) >= MIN_LENGTH}
        self.pattern = re.compile("|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))) \
            if variants else None

    def __call__(self, text: str) -> str:
        if self.pattern is None or not text:
            return text
        return self.pattern.sub(MASK, text)


def masker_for(result) -> Masker:
    """The run's masker, built once per result."""
    cached = getattr(result, "_masker", None)
    if cached is None:
        try:
            cached = Masker(secret_values(result))
        except Exception:  # noqa: BLE001 - never fail a run for this; mask the token shapes at least
            cached = Masker(set())
        try:
            result._masker = cached
        except AttributeError:
            pass
    return cached


def mask(text: str, result) -> str:
    return masker_for(result)(text)
