"""Exit check 3 binds the guard runs it judges to the code under test.

A repository named by ``--github-repo`` is only a name: its green runs say something of this code only
when their commits share history with the commit under test. The checkout's git is asked first
(``git merge-base``), GitHub's compare when it cannot tell (a shallow clone, commits it never fetched).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.ci import check_ci_green, check_github
from lakehouse.outcome import Outcome, Status
from tests.fake_github import CHECKOUT_HEAD, REPO, ROOT, TOKEN, FakeGitHub, github, run, sha

__all__ = ["github"]  # the fixture, imported for this module's tests


@pytest.fixture(autouse=True)
def _no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside GitHub Actions GITHUB_SHA would become the commit under test: these tests pick their own."""
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def ask(github: FakeGitHub, commit: str | None = CHECKOUT_HEAD, checkout: Path | None = None) -> Outcome:
    return check_github(REPO, TOKEN, github.url, commit=(commit, "test"), checkout=checkout)


def compare_path(base: str, head: str | None = CHECKOUT_HEAD) -> str:
    return f"/repos/{REPO}/compare/{base}...{head}"


def compares(github: FakeGitHub) -> list[str]:
    return [r["path"] for r in github.requests if "/compare/" in r["path"]]


def bound(outcome: Outcome) -> dict[str, Any]:
    return dict(outcome.details["github"]["bound_to_commit_under_test"])


def green(*numbers: int, **kwargs: Any) -> list[dict[str, Any]]:
    return [run(n, "success", **kwargs) for n in numbers]


# -- GitHub's compare, when the checkout cannot tell ---------------------------------------------------


def test_runs_of_a_repository_that_shares_no_history_with_the_commit_under_test_fail(github: FakeGitHub) -> None:
    """``--github-repo someone/unrelated-green-repo``: three green runs of other code are no evidence for this one."""
    github.runs = green(9, 8, 7)
    github.unrelated_history = True
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(f"the guard runs of {REPO} are not of this code: 3 judged run(s) share no history ")
    assert f"with the commit under test {str(CHECKOUT_HEAD)[:12]} (test)" in reason
    for number in (9, 8, 7):
        assert f"run #{number} ({sha(number)[:7]}, push, {REPO}:main, " in reason
        assert f"tested {sha(number)[:12]} (GitHub's compare answered 404: No common ancestor between" in reason
    # Runs not of this code are not read further.
    assert not [r for r in github.requests if r["path"].endswith("/jobs") or "/contents/" in r["path"]]
    assert bound(outcome)["run #9"] == {
        "run_sha": sha(9),
        "related": False,
        "how": "github compare",
        "said": f"GitHub's compare answered 404: No common ancestor between {sha(9)} and {CHECKOUT_HEAD}.",
        "url": f"{github.url}{compare_path(sha(9))}",
    }


def test_one_judged_run_unrelated_fails_naming_it_alone(github: FakeGitHub) -> None:
    github.runs = green(9, 8, 7)
    github.unrelated = {sha(8)}
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert "1 judged run(s) share no history" in str(outcome.reason) and "run #8 (" in str(outcome.reason)
    assert "run #9 (" not in str(outcome.reason) and "run #7 (" not in str(outcome.reason)
    assert [b["related"] for b in bound(outcome).values()] == [True, False, True]


def test_a_commit_under_test_the_repository_does_not_hold_cannot_be_bound(github: FakeGitHub) -> None:
    """GitHub answers 404 "No commit found" for a commit it does not have (never pushed): with the checkout's
    git unable to tell either, nothing binds the runs to this code, and nothing says they are another's: error."""
    github.runs = green(9, 8, 7)
    head = "e" * 40
    outcome = ask(github, head)
    assert outcome.status is Status.ERROR
    reason = str(outcome.reason)
    assert reason.startswith(f"cannot tell whether the guard runs of {REPO} are of this code: {REPO} holds no commit ")
    assert f"{head[:12]} (test)" in reason
    assert f"GitHub's compare answered 404: No commit found for SHA: {head}" in reason
    assert reason.endswith("push the commit under test, or fetch main so the checkout's git can tell")
    assert [b["related"] for b in bound(outcome).values()] == [None, None, None]


def test_the_checkout_that_cannot_tell_hands_over_to_githubs_compare(github: FakeGitHub) -> None:
    """The fake's run commits are in no local git: ``git merge-base`` answers 128 and GitHub is asked, once per sha."""
    github.runs = [*green(9, 8), run(7, "success", head_sha=sha(8)), run(6, "failure")]
    outcome = check_ci_green(REPO, TOKEN, github.url, ROOT / "no-ledger.jsonl", checkout=ROOT)
    assert outcome.status is Status.PASSED, outcome.reason
    assert compares(github) == [compare_path(sha(9)), compare_path(sha(8))]  # run #7 tested sha(8) too
    ask_for = next(r for r in github.requests if "/compare/" in r["path"])
    assert ask_for["query"] == {"per_page": ["1"]} and ask_for["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert bound(outcome)["run #9"] == {
        "run_sha": sha(9),
        "related": True,
        "how": "github compare",
        "merge_base": sha(9),
        "status": "ahead",
        "url": f"{github.url}{compare_path(sha(9))}",
    }
    assert bound(outcome)["run #7"]["how"] == "github compare"
    assert "run #6" not in bound(outcome)  # not judged


def test_a_diverged_history_with_a_merge_base_passes(github: FakeGitHub) -> None:
    """A feature branch checkout: its history and main's diverged, but they share a merge base."""
    github.runs = green(9, 8, 7)
    github.main_head = sha(10)  # main moved on; the runs are on its history
    body = {"status": "diverged", "ahead_by": 2, "behind_by": 3, "merge_base_commit": {"sha": sha(5)}}
    github.overrides[compare_path(sha(8))] = (200, {}, json.dumps(body))
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert bound(outcome)["run #8"]["status"] == "diverged" and bound(outcome)["run #8"]["merge_base"] == sha(5)


def test_the_run_of_the_commit_under_test_itself_needs_no_comparison(github: FakeGitHub) -> None:
    github.runs = green(9, 8, 7)
    outcome = ask(github, sha(8))
    assert outcome.status is Status.PASSED
    assert bound(outcome)["run #8"] == {"run_sha": sha(8), "related": True, "how": "same commit", "merge_base": sha(8)}
    to_commit = [c for c in compares(github) if c.endswith(f"...{sha(8)}")]  # the others: to main's head
    assert to_commit == [compare_path(sha(9), sha(8)), compare_path(sha(7), sha(8))]
    assert bound(outcome)["run #9"]["status"] == "behind"


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((503, {}, "<html>unicorn</html>"), "GitHub answered 503 for the comparison"),
        ((500, {}, json.dumps({"message": "Server Error"})), "GitHub answered 500"),
        (
            (403, {"X-RateLimit-Remaining": "4999"}, json.dumps({"message": "Resource not accessible"})),
            "contents: read",
        ),
        ((401, {}, json.dumps({"message": "Bad credentials"})), "GITHUB_TOKEN"),
        ((200, {}, json.dumps({"message": "hello"})), "has no comparison status"),
    ],
)
def test_a_comparison_github_cannot_answer_is_an_error(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    """An outage is no evidence that the runs are of other code: error, never failed nor passed."""
    github.runs = green(9, 8, 7)
    github.overrides[compare_path(sha(8))] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert said in str(outcome.reason)


def test_an_unknown_commit_under_test_is_an_error(github: FakeGitHub) -> None:
    """No GITHUB_SHA and no git HEAD: nothing to bind the runs to, as the ledger cannot match its lines."""
    github.runs = green(9, 8, 7)
    outcome = ask(github, None)
    assert outcome.status is Status.ERROR
    assert str(outcome.reason) == (
        f"the commit under test is unknown (test), so no run in {REPO} (workflow guard.yml, push events to main) "
        "can be bound to it: runs that share no history with this code would count"
    )
    assert outcome.details["github"]["runs"] and not compares(github)
    assert not [r for r in github.requests if r["path"].endswith("/jobs")]
    outcome = ask(github, "main")
    assert outcome.status is Status.ERROR and "is 'main', not a commit sha" in str(outcome.reason)


def test_a_run_without_a_commit_sha_is_an_error(github: FakeGitHub) -> None:
    github.runs = [*green(9, 8), run(7, "failure", head_sha="--output=/tmp/x")]
    outcome = ask(github)
    assert outcome.status is Status.ERROR
    assert "run #7 has head_sha '--output=/tmp/x', not a commit sha" in str(outcome.reason)


# -- the checkout's own git first -----------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    done = subprocess.run(["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit(repo: Path, message: str) -> str:
    _git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A git checkout: ``first`` then ``second`` on main, and ``orphan`` on a branch of its own history."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    first, second = _commit(repo, "first"), _commit(repo, "second")
    _git(repo, "checkout", "-q", "--orphan", "other")
    orphan = _commit(repo, "other code")
    _git(repo, "checkout", "-q", "main")
    return repo, first, second, orphan


def test_a_checkout_whose_git_knows_the_history_needs_no_api_call(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    repo, first, second, _ = checkout
    github.runs = [run(n, "success", head_sha=first) for n in (9, 8, 7)]
    github.unrelated_history = True  # were GitHub asked, it would say unrelated
    github.main_head = second
    outcome = ask(github, second, repo)
    assert outcome.status is Status.PASSED, outcome.reason
    assert not compares(github)
    assert bound(outcome)["run #9"] == {"run_sha": first, "related": True, "how": "local git", "merge_base": first}


def test_a_checkout_whose_git_finds_no_common_ancestor_fails_without_api_call(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    repo, first, second, orphan = checkout
    github.runs = [run(9, "success", head_sha=orphan), *(run(n, "success", head_sha=first) for n in (8, 7))]
    outcome = ask(github, second, repo)
    assert outcome.status is Status.FAILED
    assert not compares(github)
    reason = str(outcome.reason)
    assert f"1 judged run(s) share no history with the commit under test {second[:12]} (test)" in reason
    assert f"run #9 ({orphan[:7]}, push, " in reason
    assert reason.endswith(f"tested {orphan[:12]} (`git merge-base` in {repo} found no common ancestor)")


def test_a_shallow_clone_cannot_tell_unrelated_and_asks_github(
    github: FakeGitHub, checkout: tuple[Path, str, str, str], tmp_path: Path
) -> None:
    """A shallow clone's history is cut short: its "no common ancestor" may be a missing parent, so GitHub decides."""
    repo, _, second, orphan = checkout
    shallow = tmp_path / "shallow"
    _git(tmp_path, "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{repo}", str(shallow))
    assert _git(shallow, "rev-parse", "--is-shallow-repository") == "true"
    github.runs = [run(n, "success", head_sha=orphan) for n in (9, 8, 7)]
    github.related = {second}
    github.main_head = second
    outcome = ask(github, second, shallow)
    assert outcome.status is Status.PASSED, outcome.reason
    assert compares(github) == [compare_path(orphan, second)]
    assert bound(outcome)["run #9"]["how"] == "github compare"
    github.unrelated = {orphan}
    assert ask(github, second, shallow).status is Status.FAILED
