"""Exit check 3 on the GitHub path, against a local HTTP server that answers like the Actions API.

The server speaks the recorded shape of ``GET /repos/{owner}/{repo}/actions/workflows/{id}/runs``
(reference section 5): runs newest first, ``status`` filtering by status or conclusion,
``total_count``, and GitHub's error bodies and rate-limit headers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.ci import check_ci_green, check_github
from lakehouse.github import GitHubActions, GitHubApiError
from tests.fake_github import REPO, RUNS_PATH, TOKEN, FakeGitHub, github, run

__all__ = ["github"]  # the fixture, imported for this module's tests


def ask(github: FakeGitHub) -> Any:
    return check_github(REPO, TOKEN, github.url)


def test_three_newest_completed_successes_pass(github: FakeGitHub) -> None:
    github.runs = [run(7, "success"), run(6, "success"), run(5, "success"), run(4, "failure")]
    outcome = ask(github)
    assert outcome.status == "passed", outcome.reason
    assert outcome.measured == {"consecutive_green_runs": 3, "runs_known": 4, "source": "github"}
    request = github.requests[0]
    assert request["path"] == RUNS_PATH
    assert request["query"] == {"branch": ["main"], "status": ["completed"], "per_page": ["10"]}
    assert request["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert request["headers"]["Accept"] == "application/vnd.github+json"
    assert request["headers"]["X-GitHub-Api-Version"] == "2022-11-28"
    runs = outcome.details["github"]["runs"]
    assert [r["run_number"] for r in runs] == [7, 6, 5, 4]
    assert runs[0]["html_url"].endswith("/9000007")


def test_two_successes_and_a_failure_fail_naming_the_red_run(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "failure"), run(7, "success"), run(6, "success"), run(5, "success")]
    outcome = ask(github)
    assert outcome.status == "failed"
    assert "1 of the newest 3 guard runs" in str(outcome.reason)
    assert "run #8 (" in str(outcome.reason) and "concluded failure" in str(outcome.reason)
    assert outcome.measured["consecutive_green_runs"] == 1


@pytest.mark.parametrize("conclusion", ["cancelled", "timed_out", "startup_failure", "action_required"])
def test_any_conclusion_but_success_breaks_the_streak(github: FakeGitHub, conclusion: str) -> None:
    github.runs = [run(3, "success"), run(2, conclusion), run(1, "success")]
    outcome = ask(github)
    assert outcome.status == "failed" and f"concluded {conclusion}" in str(outcome.reason)


def test_fewer_than_three_runs_is_skipped_saying_how_many_are_missing(github: FakeGitHub) -> None:
    github.runs = [run(2, "success"), run(1, "success")]
    outcome = ask(github)
    assert outcome.status == "skipped"
    assert "only 2 guard run(s)" in str(outcome.reason)
    assert "1 of 3 missing" in str(outcome.reason)
    assert not outcome.passed


def test_no_runs_at_all_is_skipped(github: FakeGitHub) -> None:
    outcome = ask(github)
    assert outcome.status == "skipped" and "only 0 guard run(s)" in str(outcome.reason)


def test_a_red_run_among_fewer_than_three_fails(github: FakeGitHub) -> None:
    github.runs = [run(2, "success"), run(1, "failure")]
    assert ask(github).status == "failed"


def test_in_progress_runs_are_filtered_out_by_the_query(github: FakeGitHub) -> None:
    github.runs = [
        run(9, None, status="in_progress"),
        run(8, None, status="queued"),
        run(7, "success"),
        run(6, "success"),
        run(5, "success"),
    ]
    outcome = ask(github)
    assert outcome.status == "passed"
    assert github.requests[0]["query"]["status"] == ["completed"]  # never status=success
    assert outcome.details["github"]["total_count"] == 3


def test_in_progress_runs_are_dropped_even_when_the_server_ignores_the_filter(github: FakeGitHub) -> None:
    github.honour_status_filter = False
    github.runs = [run(9, None, status="in_progress"), run(8, "success"), run(7, "success"), run(6, "success")]
    outcome = ask(github)
    assert outcome.status == "passed"
    assert outcome.details["github"]["not_completed_dropped"] == 1


def test_a_status_success_filter_would_have_hidden_the_failure(github: FakeGitHub) -> None:
    """Why the check asks for ``completed``: the same history filtered by ``success`` looks green."""
    github.runs = [run(4, "success"), run(3, "failure"), run(2, "success"), run(1, "success")]
    hidden = GitHubActions(REPO, TOKEN, github.url).workflow_runs("guard.yml", "main", status="success")
    assert [r["conclusion"] for r in hidden.runs[:3]] == ["success"] * 3
    assert ask(github).status == "failed"


def test_runs_of_other_branches_do_not_count(github: FakeGitHub) -> None:
    github.runs = [run(5, "failure", branch="feature"), run(4, "success"), run(3, "success"), run(2, "success")]
    assert ask(github).status == "passed"


def test_401_is_an_error_that_names_the_token(github: FakeGitHub) -> None:
    github.error = (401, {}, json.dumps({"message": "Bad credentials", "status": "401"}))
    outcome = ask(github)
    assert outcome.status == "error"
    assert "401" in str(outcome.reason) and "GITHUB_TOKEN" in str(outcome.reason)
    assert "Bad credentials" in str(outcome.reason)
    assert outcome.details["github"]["error"] == "auth"


def test_403_rate_limit_is_an_error_with_the_reset_time(github: FakeGitHub) -> None:
    headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795000000"}
    body = json.dumps({"message": "API rate limit exceeded for 203.0.113.7.", "documentation_url": "https://docs"})
    github.error = (403, headers, body)
    outcome = ask(github)
    assert outcome.status == "error"
    assert "rate limit exceeded (403)" in str(outcome.reason)
    assert "resets at 2026-11-18T11:06:40+00:00" in str(outcome.reason)
    assert outcome.details["github"]["rate_limit_reset_at"] == "2026-11-18T11:06:40+00:00"


def test_403_without_rate_limit_says_which_permission_is_missing(github: FakeGitHub) -> None:
    github.error = (403, {"X-RateLimit-Remaining": "4999"}, json.dumps({"message": "Resource not accessible"}))
    outcome = ask(github)
    assert outcome.status == "error" and "actions: read" in str(outcome.reason)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_an_error_not_a_red_ci(github: FakeGitHub, status: int) -> None:
    github.error = (status, {}, "<html>unicorn</html>")
    outcome = ask(github)
    assert outcome.status == "error"
    assert f"GitHub answered {status}" in str(outcome.reason) and "GitHub-side failure" in str(
        outcome.reason
    )


def test_404_names_what_to_check(github: FakeGitHub) -> None:
    outcome = check_github("acme/other", TOKEN, github.url)
    assert outcome.status == "error" and "404" in str(outcome.reason)
    assert "workflow file exists" in str(outcome.reason)


def test_an_answer_without_runs_is_an_error(github: FakeGitHub) -> None:
    github.error = (200, {}, json.dumps({"message": "hello"}))
    outcome = ask(github)
    assert outcome.status == "error" and "no workflow_runs list" in str(outcome.reason)


def test_no_answer_at_all_is_an_error(github: FakeGitHub) -> None:
    url = github.url
    outcome = check_github(REPO, TOKEN, url.replace(url.rsplit(":", 1)[1], "9"))  # discard port: refused
    assert outcome.status == "error" and "no answer from" in str(outcome.reason)


def test_the_token_never_reaches_the_evidence(github: FakeGitHub) -> None:
    github.runs = [run(3, "success"), run(2, "success"), run(1, "success")]
    for error in (None, (401, {}, json.dumps({"message": "Bad credentials"}))):
        github.error = error
        outcome = ask(github)
        text = json.dumps(outcome.details) + str(outcome.reason) + json.dumps(outcome.measured)
        assert TOKEN not in text


def test_without_token_or_repo_github_is_not_asked(github: FakeGitHub, tmp_path: Path) -> None:
    for repo, token in ((REPO, None), (None, TOKEN), (None, None)):
        outcome = check_ci_green(repo, token, github.url, tmp_path / "guard-ledger.jsonl")
        assert outcome.status == "skipped"
        assert outcome.details["source"] == "ledger"
        assert str(outcome.reason).startswith("GitHub not asked: ")
    assert github.requests == []


def test_with_token_and_repo_github_is_the_source(github: FakeGitHub, tmp_path: Path) -> None:
    github.runs = [run(3, "success"), run(2, "success"), run(1, "success")]
    outcome = check_ci_green(REPO, TOKEN, github.url, tmp_path / "no-ledger.jsonl")
    assert outcome.status == "passed" and outcome.details["source"] == "github"


def test_repository_names_are_checked_before_any_request() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        GitHubActions("not-a-repo", TOKEN)
    outcome = check_github("../../etc", TOKEN, "http://127.0.0.1:9")
    assert outcome.status == "error" and "owner/name" in str(outcome.reason)


def test_api_errors_carry_their_kind() -> None:
    err = GitHubApiError("server", "boom", 503)
    assert (err.kind, err.status, err.reset_at) == ("server", 503, None)
