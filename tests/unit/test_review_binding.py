"""GUARD-review binds the review settings it reads to the code under test.

A repository named by ``--github-repo`` is only a name: the rules, protection and CODEOWNERS of its ``main``
say something of this code only when main's head shares history with the commit under test. Else naming any
well-protected repository would pass for a checkout whose own repository has no review rule at all.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lakehouse.checks.review import check_review
from lakehouse.outcome import Outcome, Status
from tests.fake_github import (
    CHECKOUT_HEAD,
    MAIN_FILES,
    REPO,
    ROOT,
    TOKEN,
    FakeGitHub,
    github,
    reviewed_repository,
    sha,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

BRANCH = f"/repos/{REPO}/branches/main"
#: A commit of a history of its own: the head of another repository's main.
OTHER = "f" * 40


@pytest.fixture(autouse=True)
def _no_github_sha(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside GitHub Actions GITHUB_SHA would become the commit under test: these tests pick their own."""
    monkeypatch.delenv("GITHUB_SHA", raising=False)


def ask(github: FakeGitHub, checkout: Path | None = ROOT) -> Outcome:
    return check_review(REPO, TOKEN, github.url, checkout=checkout)


def paths(github: FakeGitHub) -> list[str]:
    return [str(r["path"]) for r in github.requests]


def bound(outcome: Outcome) -> dict[str, object]:
    return dict(outcome.details["bound_to_commit_under_test"])


def _git(repo: Path, *args: str) -> str:
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    done = subprocess.run(["git", *identity, "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, str, str, str]:
    """A git checkout at ``second`` (after ``first`` on main), and ``orphan`` on a branch of its own history."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    commits = []
    for message in ("first", "second"):
        _git(repo, "commit", "-q", "--allow-empty", "-m", message)
        commits.append(_git(repo, "rev-parse", "HEAD"))
    _git(repo, "checkout", "-q", "--orphan", "other")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "other code")
    orphan = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "main")
    return repo, commits[0], commits[1], orphan


# -- related: the judgement as before, the binding in the evidence ------------------------------------------


def test_a_main_at_the_commit_under_test_is_judged_as_before(github: FakeGitHub) -> None:
    reviewed_repository(github)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert paths(github)[0] == BRANCH  # bound first
    assert not [p for p in paths(github) if "/compare/" in p]
    assert bound(outcome) == {
        "branch": "main",
        "head": CHECKOUT_HEAD,
        "commit_under_test": {"sha": CHECKOUT_HEAD, "from": f"git HEAD of {ROOT}"},
        "related": True,
        "how": "same commit",
        "merge_base": CHECKOUT_HEAD,
    }
    assert outcome.details["github"]["requests"][0] == f"{github.url}{BRANCH}"


def test_a_main_github_relates_to_the_commit_under_test_is_judged_as_before(github: FakeGitHub) -> None:
    """main moved on past the commit under test: the checkout's git does not hold its head, GitHub's compare does."""
    reviewed_repository(github).main_head = sha(77)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert [p for p in paths(github) if "/compare/" in p] == [f"/repos/{REPO}/compare/{sha(77)}...{CHECKOUT_HEAD}"]
    assert bound(outcome)["how"] == "github compare" and bound(outcome)["related"] is True
    assert bound(outcome)["head"] == sha(77)


def test_a_main_the_checkouts_git_relates_needs_no_comparison(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    repo, first, second, _ = checkout
    reviewed_repository(github).main_head = first
    github.unrelated_history = True  # were GitHub asked, it would say unrelated
    outcome = ask(github, repo)
    assert outcome.status is Status.PASSED, outcome.reason
    assert not [p for p in paths(github) if "/compare/" in p]
    assert bound(outcome)["how"] == "local git" and bound(outcome)["merge_base"] == first
    assert bound(outcome)["commit_under_test"] == {"sha": second, "from": f"git HEAD of {repo}"}


def test_a_failing_main_of_this_code_still_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets, github.classic = [], None
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith("main has no review requirement at all")
    assert bound(outcome)["related"] is True


def test_codeowners_and_tree_are_read_at_the_bound_head_not_at_main(github: FakeGitHub) -> None:
    """main moved between the reads: its head (bound) has no CODEOWNERS; ``ref=main`` would answer a newer one."""
    reviewed_repository(github).main_head = sha(77)
    github.commits[sha(77)] = {p: "" for p in MAIN_FILES}  # the bound head: CODEOWNERS deleted
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "CODEOWNERS" in str(outcome.reason)
    reads = [r for r in github.requests if "/contents/" in str(r["path"]) or "/git/trees/" in str(r["path"])]
    assert reads and all(r["query"].get("ref", [sha(77)]) == [sha(77)] for r in reads), reads
    assert f"/repos/{REPO}/git/trees/{sha(77)}" in paths(github)
    # The same head with the file in it passes: the judgement follows the bound commit's files.
    github.commits[sha(77)] = dict(github.files)
    github.requests.clear()
    assert ask(github).status is Status.PASSED


# -- unrelated: the settings of another repository -----------------------------------------------------


def test_a_well_protected_repository_of_other_code_fails_naming_it(github: FakeGitHub) -> None:
    """``--github-repo someone/well-protected``: its main's review rules say nothing of this code's repository."""
    reviewed_repository(github).main_head = OTHER
    github.unrelated = {OTHER}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        f"the review settings of {REPO} are not of this code's repository: main of {REPO} is at {OTHER[:12]}, "
        f"which shares no history with the commit under test {CHECKOUT_HEAD[:12]} (git HEAD of {ROOT}): "
        f"GitHub's compare answered 404: No common ancestor between {OTHER} and {CHECKOUT_HEAD}."
    )
    assert outcome.measured == {"branch_head": OTHER, "shares_history_with_commit_under_test": False}
    assert bound(outcome)["related"] is False and bound(outcome)["how"] == "github compare"
    # The settings of another repository are not read further.
    assert paths(github) == [BRANCH, f"/repos/{REPO}/compare/{OTHER}...{CHECKOUT_HEAD}"]


def test_a_repository_of_other_code_entirely_fails(github: FakeGitHub) -> None:
    reviewed_repository(github).unrelated_history = True
    github.main_head = sha(5)
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(f"the review settings of {REPO} are not of this code's repository: ")


def test_a_checkout_whose_git_finds_no_common_ancestor_fails_without_api_call(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    repo, _, second, orphan = checkout
    reviewed_repository(github).main_head = orphan
    outcome = ask(github, repo)
    assert outcome.status is Status.FAILED
    assert paths(github) == [BRANCH]
    assert outcome.reason == (
        f"the review settings of {REPO} are not of this code's repository: main of {REPO} is at {orphan[:12]}, "
        f"which shares no history with the commit under test {second[:12]} (git HEAD of {repo}): "
        f"`git merge-base` in {repo} found no common ancestor"
    )


# -- nobody can tell: error --------------------------------------------------------------------------------


def test_a_commit_under_test_github_does_not_hold_is_an_error(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    """A commit never pushed: GitHub's 404 "No commit found" proves nothing either way, and the checkout's git
    does not hold main's head."""
    repo, _, second, _ = checkout
    reviewed_repository(github)
    outcome = ask(github, repo)
    assert outcome.status is Status.ERROR, outcome.reason
    assert outcome.reason == (
        f"cannot tell whether the review settings of {REPO} are of this code's repository: {REPO} holds no commit "
        f"{second[:12]} (git HEAD of {repo}) and the checkout's git holds not main's head {CHECKOUT_HEAD[:12]} "
        f"(GitHub's compare answered 404: No commit found for SHA: {second}): push the commit under test, "
        "or fetch main so the checkout's git can tell"
    )
    assert bound(outcome)["related"] is None
    # What was read is in the evidence, but it passes nothing.
    assert outcome.measured["binds_admins"] is True and outcome.details["problems"]["protection"] == []


def test_settings_that_would_fail_do_not_fail_a_repository_nobody_can_tie_to_this_code(
    github: FakeGitHub, checkout: tuple[Path, str, str, str]
) -> None:
    repo, _, _, _ = checkout
    reviewed_repository(github).classic, github.rulesets = None, []
    outcome = ask(github, repo)
    assert outcome.status is Status.ERROR
    assert "; the settings read would fail it: main has no review requirement at all" in str(outcome.reason)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            (404, {}, json.dumps({"message": "Branch not found", "status": "404"})),
            f"GitHub has no branch main of {REPO} (404) (GitHub: Branch not found): check the repository name, "
            "that it has a branch main, and that the token can see it [not_found]",
        ),
        (
            (403, {"X-RateLimit-Remaining": "4999"}, json.dumps({"message": "Resource not accessible"})),
            "the token needs contents: read [forbidden]",
        ),
        ((503, {}, "<html>unicorn</html>"), f"GitHub answered 503 for branch main of {REPO}"),
        ((502, {}, json.dumps({"message": "Server Error"})), "a GitHub-side failure [server]"),
        ((200, {}, json.dumps({"name": "main"})), f"GitHub's answer for branch main of {REPO} has no commit sha"),
        ((200, {}, json.dumps({"commit": {"sha": "main"}})), "has commit 'main' [bad_response]"),
    ],
)
def test_main_whose_head_cannot_be_read_is_an_error(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    reviewed_repository(github).overrides[BRANCH] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(
        f"could not read the head commit of main in {REPO}, so its review settings cannot be bound to the code "
        "under test: "
    )
    assert said in reason
    assert not [p for p in paths(github) if "/compare/" in p]
    assert bound(outcome)["head"] is None and bound(outcome)["error"] == reason


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((503, {}, "<html>unicorn</html>"), "GitHub answered 503 for the comparison"),
        ((401, {}, json.dumps({"message": "Bad credentials"})), "check GITHUB_TOKEN [auth]"),
        ((200, {}, json.dumps({"message": "hello"})), "has no comparison status"),
    ],
)
def test_a_comparison_github_cannot_answer_is_an_error(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], said: str
) -> None:
    reviewed_repository(github).main_head = sha(77)
    github.overrides[f"/repos/{REPO}/compare/{sha(77)}...{CHECKOUT_HEAD}"] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(
        f"could not tell whether the review settings of {REPO} are of this code's repository (main at "
        f"{sha(77)[:12]}, the commit under test {CHECKOUT_HEAD[:12]} (git HEAD of {ROOT})): "
    )
    assert said in reason


def test_an_unknown_commit_under_test_is_an_error(github: FakeGitHub, tmp_path: Path) -> None:
    """No GITHUB_SHA and no git HEAD: nothing to bind main's settings to."""
    reviewed_repository(github)
    outcome = ask(github, tmp_path)
    assert outcome.status is Status.ERROR
    assert str(outcome.reason) == (
        f"the commit under test is unknown (git HEAD of {tmp_path}), so the review settings of {REPO} cannot be "
        "bound to it: those of a repository that shares no history with this code would count"
    )
    assert BRANCH not in paths(github)


def test_github_sha_is_the_commit_under_test(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    reviewed_repository(github)
    monkeypatch.setenv("GITHUB_SHA", "main")
    outcome = ask(github)
    assert outcome.status is Status.ERROR
    assert "the commit under test is 'main', not a commit sha (GITHUB_SHA)" in str(outcome.reason)
    monkeypatch.setenv("GITHUB_SHA", OTHER)
    github.unrelated = {OTHER}
    outcome = ask(github)
    assert outcome.status is Status.FAILED
    assert f"the commit under test {OTHER[:12]} (GITHUB_SHA)" in str(outcome.reason)


def test_without_token_nothing_is_bound_and_the_check_is_skipped(github: FakeGitHub) -> None:
    reviewed_repository(github)
    outcome = check_review(REPO, None, github.url)
    assert outcome.status is Status.SKIPPED and not github.requests
