"""Why a fetch failed, in words a user can act on: HTTP status and exception chains classified into
:class:`~vllm_lint.models.request.ModelError` kinds, tokens redacted, close model ids suggested.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path

from vllm_lint.models.cache import cached_ids
from vllm_lint.models.request import (
    InvalidJson,
    ModelError,
    ModelRequest,
    redact,
    shorten,
)
from vllm_lint.models.snapshot import snapshot_ids

# ---------------------------------------------------------------------------------------- errors


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _status(exc: BaseException) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def classify_failure(exc: BaseException, request: ModelRequest, cache: Path | None) -> ModelError:
    """A ModelError for whatever the client raised (huggingface_hub 0.24 to 2.x: matched by class name)."""
    model = str(request)
    token = _token_in_use()
    for e in _chain(exc):
        names = _names(e)
        if "LocalEntryNotFoundError" in names:
            continue  # "not cached, and the Hub failed": the reason is its cause
        status = _status(e)
        if isinstance(e, InvalidJson):
            return ModelError("invalid-json", str(e))
        if "GatedRepoError" in names:
            how = ("the token in use (HF_TOKEN or the saved token) has no access: accept the model's terms on the Hub with that account"
                   if token else "set HF_TOKEN to a token of an account that accepted the model's terms")
            return ModelError("gated", f"{model} is a gated repository ({status or 'refused'}): {how}")
        if "RevisionNotFoundError" in names:
            return ModelError("not-found", f"{request.model} has no revision {request.revision!r}")
        if "RepositoryNotFoundError" in names or status in (401, 403, 404):
            if status == 401:
                how = ("the token in use (HF_TOKEN or the saved token) has no access to it" if token
                       else "it does not exist, or it is private or gated and needs a token in HF_TOKEN")
                return ModelError("unauthorized", f"the Hub refused {model} (401): {how}", suggest_ids(request.model, cache))
            if status == 403:
                how = ("the token in use (HF_TOKEN or the saved token) lacks access" if token
                       else "set HF_TOKEN to a token with access")
                return ModelError("gated", f"the Hub forbids {model} (403): gated or private; {how}")
            return ModelError("not-found", f"{request.model} is not a model on the Hub (404)", suggest_ids(request.model, cache))
        if "EntryNotFoundError" in names or "RemoteEntryNotFoundError" in names:
            return ModelError("not-found", f"{model}: a file the listing names is missing on the Hub")
        if status == 429:
            return ModelError("rate-limited", f"the Hub rate-limited the request for {model} (429)"
                                              + ("" if token else "; HF_TOKEN raises the limits"))
        if status is not None and status >= 500:
            return ModelError("server-error", f"the Hub failed on {model} ({status})")
        if status is not None and status >= 400:
            return ModelError("error", f"the Hub answered {status} for {model}")
        if "OfflineModeIsEnabled" in names:
            return ModelError("not-cached", f"{model}: offline mode (HF_HUB_OFFLINE) and not cached")
        if names & {"ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError"} or (
                names & {"RemoteProtocolError", "ReadError", "ProtocolError", "NetworkError", "ConnectError"}
                and _reset_text(str(e))):
            return ModelError("connection-reset", f"the Hub reset the connection for {model}")
        if any("Timeout" in n for n in names):
            return ModelError("timeout", f"no answer from the Hub for {model} in time")
        if names & {"ConnectError", "ConnectionError", "NetworkError", "ProxyError", "gaierror", "ConnectionRefusedError",
                    "RemoteProtocolError", "ProtocolError"}:
            return ModelError("network", f"cannot reach the Hub for {model}: {redact(shorten(e))}")
        if "JSONDecodeError" in names:
            return ModelError("invalid-json", f"the Hub's answer for {model} is not valid JSON")
        if "HFValidationError" in names:
            return ModelError("not-found", f"{request.model!r} is not a valid Hugging Face model id", suggest_ids(request.model, cache))
    if "LocalEntryNotFoundError" in _names(exc):
        return ModelError("network", f"cannot reach the Hub for {model}, and it is not cached")
    return ModelError("error", redact(f"cannot fetch {model}: {type(exc).__name__}: {shorten(exc)}"))


def _reset_text(text: str) -> bool:
    lowered = text.lower()
    return any(w in lowered for w in ("reset by peer", "connection reset", "server disconnected", "peer closed connection",
                                       "connection aborted"))


def _token_in_use() -> bool:
    if os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"):
        return True
    try:
        from huggingface_hub import get_token

        return get_token() is not None
    except Exception:
        return False


def suggest_ids(model_id: str, cache: Path | None) -> list[str]:
    """Close model ids from the HF cache and the bundled snapshot (case-insensitive)."""
    candidates = {c.lower(): c for c in [*cached_ids(cache), *snapshot_ids()] if c.lower() != model_id.lower()}
    close = difflib.get_close_matches(model_id.lower(), list(candidates), n=3, cutoff=0.75)
    return [candidates[c] for c in close]


