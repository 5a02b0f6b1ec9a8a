"""Create or update the one pull-request comment vllm-lint owns, through GitHub's REST API.

The comment is found by the hidden marker the Markdown report starts with, so a second run edits
it instead of adding another. Reads ``GITHUB_TOKEN``, ``GITHUB_REPOSITORY``, ``GITHUB_API_URL``
and the pull-request number from ``GITHUB_EVENT_PATH`` (as GitHub Actions sets them) unless given.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from vllm_lint.reporters.markdown import MARKER


class CommentError(Exception):
    pass


def _request(method: str, url: str, token: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "vllm-lint", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null"), resp.headers
    except urllib.error.HTTPError as exc:
        raise CommentError(f"{method} {url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise CommentError(f"{method} {url}: {exc}") from None


def pull_request_number(event_path: str | None) -> int | None:
    if not event_path or not os.path.isfile(event_path):
        return None
    with open(event_path, encoding="utf-8") as f:
        event = json.load(f)
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    return int(number) if number else None


def upsert(body: str, *, repository: str, number: int, token: str, api_url: str = "https://api.github.com") -> tuple[str, int]:
    """("created" | "updated", comment id)."""
    if MARKER not in body:
        body = MARKER + "\n" + body
    base = api_url.rstrip("/")
    page = 1
    while True:
        comments, _ = _request("GET", f"{base}/repos/{repository}/issues/{number}/comments?per_page=100&page={page}", token)
        for comment in comments or []:
            if MARKER in (comment.get("body") or ""):
                _request("PATCH", f"{base}/repos/{repository}/issues/comments/{comment['id']}", token, {"body": body})
                return "updated", comment["id"]
        if not comments or len(comments) < 100:
            break
        page += 1
    created, _ = _request("POST", f"{base}/repos/{repository}/issues/{number}/comments", token, {"body": body})
    return "created", created["id"]
