"""GUARD-review attacked: repositories where one person still merges to main alone, yet review looks set up.

Each attack is grounded in GitHub's documented behaviour, cited at its test; each has a healthy twin.

- The last pusher approves their own push. Without "Require approval of the most recent reviewable push"
  (``require_last_push_approval``; GitHub: "Whether the most recent reviewable push must be approved by
  someone other than the person who pushed it", REST "Get rules for a branch" / "Get branch protection";
  docs "Available rules for rulesets" > "Require a pull request before merging"), a code owner pushes a
  commit onto anyone's open pull request and then approves it: ``dismiss_stale_reviews_on_push`` dismisses
  the approvals given *before* that push, not the pusher's own approval after it.
- GitHub Actions may approve pull requests (``GET /repos/{repo}/actions/permissions/workflow`` ->
  ``can_approve_pull_request_reviews``; GitHub: "Whether GitHub Actions can approve pull requests. Enabling
  this can be a security risk."; OpenSSF SCM best practice ``actions_can_approve_pull_requests``, HIGH). The
  author's own branch carries a workflow that approves with ``GITHUB_TOKEN``: the one required approval is
  github-actions[bot]'s, nobody's.
- main renamed: GitHub answers ``branches/main`` (and ``branches/main/protection``) of a renamed main with a
  301 to the new name (go-github#1895), which a client follows: the new branch's head and protection were
  judged as main's, while no main exists and whoever may push creates it unreviewed.
- A CODEOWNERS blank or line break that Python's ``split``/``splitlines`` separate at and GitHub's syntax
  ("Each line is a file pattern followed by one or more owners") need not: ``/infra/<U+00A0>@team`` owned
  /infra/ for the check, is a pattern naming no owner for an ASCII parser.
- A CODEOWNERS pattern the check's matcher cannot compile (``/infra/legacy\\``) ended the check in an
  exception instead of a verdict naming the line.

Attacks that hold, pinned: rules that block force pushes and deletion but require no pull request (GitHub's
``pull_request`` rule, "Require all commits be made to a non-target branch and submitted via a pull request",
is what stops a direct push: ``non_fast_forward`` and ``deletion`` alone leave it open), and a deploy key or a
GitHub App allowed to bypass (ruleset actor ``DeployKey``; classic ``bypass_pull_request_allowances.apps``):
whoever holds its key merges unreviewed.
"""

from __future__ import annotations

import json

import pytest

from lakehouse.checks.review import check_review
from lakehouse.outcome import Outcome, Status
from tests.fake_github import (
    CODEOWNERS,
    REPO,
    TOKEN,
    FakeGitHub,
    classic_protection,
    github,
    pull_request_rule,
    reviewed_repository,
    ruleset,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

WORKFLOW_PERMISSIONS = f"/repos/{REPO}/actions/permissions/workflow"


def ask(github: FakeGitHub) -> Outcome:
    return check_review(REPO, TOKEN, github.url)


# -- the last pusher approves their own push -----------------------------------------------------------------


def test_last_pusher_may_approve_own_push_fails_naming_the_setting(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = [ruleset(rules=[pull_request_rule(last_push=False)])]
    github.classic = classic_protection(last_push=False)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "the last pusher may approve their own push (require_last_push_approval off)" in str(outcome.reason)
    assert "ruleset 'main review' (id 42, Repository lakehouse-org/lakehouse-code)" in str(outcome.reason)
    assert outcome.measured["require_last_push_approval"] is False


def test_last_push_approval_only_where_an_admin_may_bypass_fails(github: FakeGitHub) -> None:
    """The ruleset binding everyone lets the last pusher approve; the classic protection that does not,
    admins skip (``enforce_admins`` off): the strongest requirement binding everyone decides."""
    reviewed_repository(github)
    github.rulesets = [ruleset(rules=[pull_request_rule(last_push=False)])]
    github.classic = classic_protection(last_push=True, enforce_admins=False)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "require_last_push_approval off" in str(outcome.reason)


def test_last_push_approval_from_classic_protection_passes(github: FakeGitHub) -> None:
    """Healthy twin: GitHub applies classic protection and rulesets together, so one binding source asking
    for it is enough."""
    reviewed_repository(github)
    github.rulesets = [ruleset(rules=[pull_request_rule(last_push=False)])]
    github.classic = classic_protection(last_push=True)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["require_last_push_approval"] is True
    assert outcome.threshold["require_last_push_approval"] is True


# -- GitHub Actions approves the author's own pull request -----------------------------------------------------


def test_actions_may_approve_pull_requests_fails_naming_the_setting(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.workflow_permissions = {"default_workflow_permissions": "read", "can_approve_pull_request_reviews": True}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "GitHub Actions may approve pull requests (can_approve_pull_request_reviews is true" in str(outcome.reason)
    assert outcome.measured["actions_can_approve_pull_requests"] is True
    assert outcome.details["actions_workflow_permissions"]["can_approve_pull_request_reviews"] is True


def test_actions_that_may_not_approve_pass(github: FakeGitHub) -> None:
    """Healthy twin: the setting off (GitHub's default for new repositories) and read, with its request."""
    reviewed_repository(github)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured["actions_can_approve_pull_requests"] is False
    assert any(WORKFLOW_PERMISSIONS in r for r in outcome.details["github"]["requests"])


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        # A token without ``administration: read``.
        (
            (403, {}, json.dumps({"message": "Resource not accessible by integration", "status": "403"})),
            "administration: read",
        ),
        # An answer without the field: not "may not".
        ((200, {}, json.dumps({"default_workflow_permissions": "read"})), "has no can_approve_pull_request_reviews"),
    ],
)
def test_actions_setting_unreadable_is_an_error_never_a_pass(
    github: FakeGitHub, answer: tuple[int, dict[str, str], str], why: str
) -> None:
    """Whether a workflow may approve is unknown: no verdict (as a ruleset's hidden bypass actors), naming the
    endpoint and why."""
    reviewed_repository(github)
    github.overrides[WORKFLOW_PERMISSIONS] = answer
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert f"may approve pull requests (GET {WORKFLOW_PERMISSIONS})" in str(outcome.reason)
    assert why in str(outcome.reason)


# -- attacks that hold, pinned ---------------------------------------------------------------------------------


def test_force_pushes_and_deletion_blocked_without_a_pull_request_rule_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    github.rulesets = [ruleset(rules=[{"type": "deletion"}, {"type": "non_fast_forward"}])]
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "main has no review requirement at all: no active ruleset with a pull_request rule" in str(outcome.reason)


def test_deploy_key_allowed_to_bypass_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.classic = None
    github.rulesets = [ruleset(bypass_actors=[{"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"}])]
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "DeployKey (always) may bypass it" in str(outcome.reason)


def test_app_in_classic_pull_request_bypass_allowances_fails(github: FakeGitHub) -> None:
    reviewed_repository(github)
    github.rulesets = []
    github.classic = classic_protection(bypass_apps=("release-app",))
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "app release-app may bypass it" in str(outcome.reason)


# -- main renamed: GitHub answers for main with another branch ---------------------------------------------------


def test_main_renamed_fails_naming_the_branch_github_answered_with(github: FakeGitHub) -> None:
    """GitHub answers ``GET /repos/{repo}/branches/main`` of a renamed main with a 301 to the new name
    (go-github#1895: ``branches/master`` -> ``location: .../branches/main``), and its ``/protection`` too; an HTTP
    client follows it. So a main renamed to ``trunk`` is judged by trunk's head and trunk's protection (renaming
    moves the classic rule with the branch), while no ``main`` exists: whoever may push creates one, unreviewed,
    and the workflows deploy on a push to main."""
    reviewed_repository(github)
    github.main_renamed_to = "trunk"
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert f"GitHub answers for branch main of {REPO} with branch 'trunk'" in reason
    assert "main was renamed" in reason
    assert outcome.measured == {"branch_answered_as": "trunk"}
    # Nothing of trunk is judged as main's: no protection, rules or CODEOWNERS read.
    assert [r["path"] for r in github.requests] == [f"/repos/{REPO}/branches/main", f"/repos/{REPO}/branches/trunk"]
    api = f"{github.url}/repos/{REPO}"
    assert outcome.details["github"]["requests"] == [f"{api}/branches/main -> {api}/branches/trunk"]


def test_main_not_renamed_passes(github: FakeGitHub) -> None:
    """Healthy twin: GitHub answers for main with main."""
    reviewed_repository(github)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["bound_to_commit_under_test"]["branch"] == "main"


def test_main_of_a_renamed_repository_passes(github: FakeGitHub) -> None:
    """Healthy twin: a renamed or transferred repository's old name answers 301 too, to the same branch
    (``/repositories/{id}/branches/main``): that is main, and is judged."""
    reviewed_repository(github)
    moved = "/repositories/4242/branches/main"
    github.overrides[f"/repos/{REPO}/branches/main"] = (301, {"Location": f"{github.url}{moved}"}, "{}")
    github.overrides[moved] = (200, {}, json.dumps(github.branch()))
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert moved in [r["path"] for r in github.requests]


# -- CODEOWNERS separators GitHub need not read as Python does --------------------------------------------------

#: The healthy CODEOWNERS with the line of /infra/ hidden or unowned for a parser that splits owners at ASCII
#: blanks and lines at ``\n`` only, yet owned for ``str.split``/``str.splitlines``.
OWNED_FOR_PYTHON_ONLY = {
    # One token for an ASCII parser: a pattern naming no owner, matching no file.
    "no-break-space": ("/infra/\u00a0@acme/infra-owners", "U+00A0 NO-BREAK SPACE"),
    "ideographic-space": ("/infra/\u3000@acme/infra-owners", "U+3000 IDEOGRAPHIC SPACE"),
    # Part of the comment line above for an ASCII parser.
    "line-separator": ("# infra\u2028/infra/ @acme/infra-owners", "U+2028 LINE SEPARATOR"),
    "next-line": ("# infra\x85/infra/ @acme/infra-owners", "U+0085"),
    "form-feed": ("# infra\x0c/infra/ @acme/infra-owners", "U+000C"),
    "lone-carriage-return": ("# infra\r/infra/ @acme/infra-owners", "U+000D"),
}


@pytest.mark.parametrize(("line", "char"), OWNED_FOR_PYTHON_ONLY.values(), ids=OWNED_FOR_PYTHON_ONLY.keys())
def test_codeowners_line_with_a_non_ascii_separator_fails_naming_it(github: FakeGitHub, line: str, char: str) -> None:
    """GitHub documents CODEOWNERS as "Each line is a file pattern followed by one or more owners"; it does not
    say Unicode spaces or line breaks separate them. Python's ``split`` and ``splitlines`` do, so the check read
    ``/infra/`` as owned where GitHub may see a pattern without owners (or a comment) and ask nobody. GitHub's
    ``codeowners/errors`` lists no error for a rule naming no owner, so nothing else catches it."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = CODEOWNERS.replace("/infra/    @acme/infra-owners", line)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert ".github/CODEOWNERS on main line 2 holds " in reason
    assert char in reason
    assert "write the rule with ASCII spaces or tabs and one rule per newline" in reason


@pytest.mark.parametrize(
    "text",
    [CODEOWNERS.replace("\n", "\r\n"), CODEOWNERS.replace("/infra/    ", "/infra/\t"), CODEOWNERS + "# Zoë's team\n"],
    ids=["crlf", "tab", "non-ascii-comment"],
)
def test_codeowners_with_crlf_tabs_and_non_ascii_text_passes(github: FakeGitHub, text: str) -> None:
    """Healthy twins: Windows line ends, a tab between pattern and owner, and non-ASCII letters in a comment."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = text
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


# -- a CODEOWNERS pattern this check cannot read ---------------------------------------------------------------


@pytest.mark.parametrize("pattern", ["/infra/legacy\\", "\\/pipeline/"], ids=["trailing-backslash", "escaped-slash"])
def test_codeowners_pattern_the_check_cannot_read_fails_naming_the_line(github: FakeGitHub, pattern: str) -> None:
    """A pattern gitignore's syntax has no meaning for (the check's matcher rejects it) used to end the check in
    an exception: whose approval GitHub asks for it is unknown, so it fails naming the line and the pattern."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = CODEOWNERS + f"{pattern} @acme/infra-owners\n"
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f".github/CODEOWNERS on main line 5: `{pattern}` is no gitignore pattern" in str(outcome.reason)


def test_codeowners_with_an_escaped_space_passes(github: FakeGitHub) -> None:
    """Healthy twin: a backslash the matcher reads (an escaped character) is no error."""
    reviewed_repository(github)
    github.files[".github/CODEOWNERS"] = CODEOWNERS + "/docs/\\#notes @acme/infra-owners\n"
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
