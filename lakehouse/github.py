"""A small GitHub Actions REST client: the one call exit check 3 needs, with errors that say why.

Only ``GET /repos/{repo}/actions/workflows/{workflow}/runs`` (reference section 5). The token
is sent as a header and never kept anywhere else, so it cannot reach the evidence.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
REPO_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class GitHubApiError(RuntimeError):
    """GitHub did not answer the question; ``kind`` says what went wrong, the message what to do.

    Kinds: ``auth`` (401), ``forbidden`` (403 without rate limit), ``rate_limit`` (403/429 with
    the limit used up; ``reset_at`` says when it resets), ``not_found`` (404), ``server`` (5xx),
    ``network`` (no answer), ``bad_response`` (an answer of the wrong shape).
    """

    def __init__(self, kind: str, message: str, status: int | None = None, reset_at: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.reset_at = reset_at


@dataclass(frozen=True)
class RunsPage:
    """The workflow runs GitHub returned (newest first) and the request that asked for them."""

    url: str
    params: dict[str, str]
    total_count: int
    runs: list[dict[str, Any]]


def api_url_from_env() -> str:
    """``GITHUB_API_URL`` (set by Actions, also for GitHub Enterprise), else the public API."""
    return (os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")


def _reset_time(headers: Any) -> str | None:
    raw = headers.get("X-RateLimit-Reset")
    try:
        return datetime.fromtimestamp(int(raw), UTC).isoformat(timespec="seconds") if raw else None
    except (TypeError, ValueError, OverflowError):
        return None


def _github_message(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200].strip()
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _raise_for(response: requests.Response, what: str) -> None:
    """Turn a non-2xx answer into a GitHubApiError that names the cause and the fix."""
    status = response.status_code
    message = _github_message(response)
    said = f" (GitHub: {message})" if message else ""
    if status == 401:
        raise GitHubApiError("auth", f"GitHub rejected the token with 401 for {what}{said}; check GITHUB_TOKEN", status)
    remaining = response.headers.get("X-RateLimit-Remaining")
    if status == 429 or (status == 403 and (remaining == "0" or "rate limit" in message.lower())):
        reset_at = _reset_time(response.headers)
        when = f"; it resets at {reset_at}" if reset_at else ""
        retry = response.headers.get("Retry-After")
        after = f" (Retry-After {retry} s)" if retry else ""
        raise GitHubApiError(
            "rate_limit", f"GitHub API rate limit exceeded ({status}) for {what}{when}{after}{said}", status, reset_at
        )
    if status == 403:
        raise GitHubApiError(
            "forbidden",
            f"GitHub refused {what} with 403{said}; the token needs read access to Actions (`actions: read`)",
            status,
        )
    if status == 404:
        raise GitHubApiError(
            "not_found",
            f"GitHub has no {what} (404){said}: check the repository name, that the workflow file exists on "
            "the default branch, and that the token can see a private repository",
            status,
        )
    if status >= 500:
        raise GitHubApiError("server", f"GitHub answered {status} for {what}{said}: a GitHub-side failure", status)
    raise GitHubApiError("bad_response", f"GitHub answered {status} for {what}{said}", status)


class GitHubActions:
    """Read-only access to one repository's Actions runs."""

    def __init__(
        self,
        repo: str,
        token: str | None,
        api_url: str = DEFAULT_API_URL,
        timeout_s: float = 30.0,
        session: requests.Session | None = None,
    ):
        if not REPO_PATTERN.match(repo):
            raise ValueError(f"GitHub repository {repo!r} must look like owner/name")
        self.repo = repo
        self.api_url = api_url.rstrip("/")
        self.timeout_s = timeout_s
        self._token = token
        self._session = session or requests.Session()

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def workflow_runs(
        self, workflow: str, branch: str, status: str = "completed", per_page: int = 10, event: str | None = None
    ) -> RunsPage:
        """The newest runs of a workflow (file name or id) on a branch, newest first.

        ``status`` defaults to ``completed``: never ``success``, which would hide the
        failures between successes (reference section 0, item 12). ``event`` (e.g. ``push``)
        narrows the answer on GitHub's side; callers that depend on it still check each run's
        ``event``, since the branch filter alone lets in pull requests from a fork's ``main``.
        """
        url = f"{self.api_url}/repos/{self.repo}/actions/workflows/{workflow}/runs"
        params = {"branch": branch, "status": status, "per_page": str(per_page)}
        if event:
            params["event"] = event
        what = f"the runs of workflow {workflow} in {self.repo}"
        try:
            response = self._session.get(url, params=params, headers=self._headers(), timeout=self.timeout_s)
        except requests.RequestException as err:
            raise GitHubApiError("network", f"no answer from {self.api_url} for {what}: {err}") from None
        if not response.ok:
            _raise_for(response, what)
        try:
            data = response.json()
            runs = data["workflow_runs"]
            if not isinstance(runs, list):
                raise TypeError("workflow_runs is not a list")
        except (ValueError, KeyError, TypeError) as err:
            raise GitHubApiError(
                "bad_response", f"GitHub's answer for {what} has no workflow_runs list ({err})", response.status_code
            ) from None
        return RunsPage(url=url, params=params, total_count=int(data.get("total_count", len(runs))), runs=runs)
