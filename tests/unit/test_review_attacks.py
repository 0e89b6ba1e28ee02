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
    assert "ruleset 'main review' (id 42, Repository acme/lakehouse-code)" in str(outcome.reason)
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
