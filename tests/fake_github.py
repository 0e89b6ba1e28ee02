"""A local stand-in for GitHub's Actions API: ``GET /repos/{owner}/{repo}/actions/workflows/{id}/runs``.

It answers in the recorded shape (reference section 5): runs newest first, ``branch``, ``event`` and
``status`` filters (a status or a conclusion), ``total_count``, and GitHub's error bodies and rate-limit
headers. ``honour_event_filter = False`` stands for a server that lets other events through, so the
check's own filter is what is tested. It listens
on 127.0.0.1 on a port the kernel picks and keeps every request it received for assertions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

REPO = "acme/lakehouse-code"
TOKEN = "ghp_exampletokenthatmustneverleak000000"
RUNS_PATH = f"/repos/{REPO}/actions/workflows/guard.yml/runs"


def sha(number: int) -> str:
    """The commit ``run(number)`` tested unless told otherwise."""
    return f"{number:040x}"


def run(
    number: int,
    conclusion: str | None,
    status: str = "completed",
    branch: str = "main",
    event: str = "push",
    head_repo: str = REPO,
    head_sha: str | None = None,
) -> dict[str, Any]:
    """One workflow run in the shape the API returns (fields the check reads, and some it does not)."""
    return {
        "id": 9_000_000 + number,
        "name": "guard",
        "display_title": f"commit {number}",
        "head_branch": branch,
        "head_sha": head_sha or sha(number),
        "path": ".github/workflows/guard.yml",
        "run_number": number,
        "run_attempt": 1,
        "event": event,
        "status": status,
        "conclusion": conclusion,
        "workflow_id": 4242,
        "created_at": f"2026-11-{number:02d}T10:00:00Z",
        "updated_at": f"2026-11-{number:02d}T10:05:00Z",
        "run_started_at": f"2026-11-{number:02d}T10:00:05Z",
        "html_url": f"https://github.com/{REPO}/actions/runs/{9_000_000 + number}",
        "jobs_url": f"https://api.github.com/repos/{REPO}/actions/runs/{9_000_000 + number}/jobs",
        "actor": {"login": "dev", "id": 1, "type": "User"},
        "repository": {"full_name": REPO},
        "head_repository": {"full_name": head_repo},
    }


@dataclass
class FakeGitHub:
    """The Actions API on 127.0.0.1, one thread; what it received is kept for assertions."""

    runs: list[dict[str, Any]] = field(default_factory=list)  # newest first, as GitHub stores them
    honour_status_filter: bool = True
    honour_event_filter: bool = True
    error: tuple[int, dict[str, str], str] | None = None  # status, headers, body
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
        if self.error:
            return self.error
        if path != RUNS_PATH:
            return 404, {}, json.dumps({"message": "Not Found", "status": "404"})
        runs = [r for r in self.runs if r["head_branch"] == query.get("branch", [r["head_branch"]])[0]]
        if self.honour_event_filter and "event" in query:
            runs = [r for r in runs if r["event"] == query["event"][0]]
        if self.honour_status_filter and "status" in query:
            wanted = query["status"][0]  # GitHub matches a status or a conclusion
            runs = [r for r in runs if wanted in (r["status"], r["conclusion"])]
        per_page = int(query.get("per_page", ["30"])[0])
        return 200, {}, json.dumps({"total_count": len(runs), "workflow_runs": runs[:per_page]})


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            fake.requests.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
            status, headers, body = fake.answer(parts.path, query)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the serving loop to notice it.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
