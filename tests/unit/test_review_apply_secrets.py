"""GUARD-review, review before apply: a role a called job assumes through what its caller hands it.

Inside a reusable workflow ``secrets.X`` is what the caller's ``secrets:`` map wrote for ``X`` (``secrets: inherit``:
the caller's own), and ``inputs.y`` what its ``with:`` wrote; inside a composite action ``inputs.y`` is what the
step's ``with:`` wrote, in the job's scope (GitHub, "Reusing workflows", "Creating a composite action"). So
``role-to-assume: ${{ secrets.role }}`` in a called job is the apply job's role when the caller maps ``role`` to the
apply job's secret, a variable holding its ARN, or the ARN itself. An expression using a handed value otherwise is not
read: unknown, ``error`` only when the job is open to unreviewed code.

Every broken case was PASSED on main's code (the called job's ``${{ secrets.role }}`` was compared as written); each
has a healthy twin.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import FakeGitHub, github
from tests.unit.review_apply_helpers import (
    CALLED,
    CI,
    DEPLOY,
    DEPLOY_ROLE,
    DEPLOY_SECRET,
    DEPLOY_VARIABLE,
    PLAN_ROLE,
    PLAN_SECRET,
    PLAN_VARIABLE,
    PULL_REQUEST,
    PUSH_TO_MAIN,
    SHA,
    applying,
    ask,
    called_assuming,
    caller,
    repository,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

INNER = ".github/workflows/assume.yml"
ACTION = ".github/actions/assume/action.yml"


def mapping(value: str) -> str:
    """The call of ``lint`` handing the reusable workflow secret ``role`` as ``value``."""
    return f"    uses: ./{CALLED}\n    secrets:\n      role: {value}\n"


SHARES = (
    f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'check', which "
    f"obtains the cloud credentials an apply job applies with ({CALLED} line 14: role-to-assume "
    "${{ secrets.role }} (its caller's "
)


@pytest.mark.parametrize(
    ("apply_role", "handed", "status"),
    [
        (DEPLOY_SECRET, DEPLOY_SECRET, Status.FAILED),
        (DEPLOY_SECRET, PLAN_SECRET, Status.PASSED),
        (DEPLOY_VARIABLE, DEPLOY_VARIABLE, Status.FAILED),
        (DEPLOY_VARIABLE, PLAN_VARIABLE, Status.PASSED),
        (DEPLOY_VARIABLE, DEPLOY_ROLE, Status.FAILED),
        (DEPLOY_VARIABLE, PLAN_ROLE, Status.PASSED),
    ],
    ids=["secret", "secret-own", "variable", "variable-own", "literal-arn", "literal-arn-own"],
)
def test_a_pull_request_handing_the_deploy_role_as_a_renamed_secret(
    github: FakeGitHub, apply_role: str, handed: str, status: Status
) -> None:
    """Broken: ci.yml on pull_request maps the called workflow's secret ``role`` to the apply job's role (its secret,
    the variable holding its ARN, the ARN itself); healthy twins: the plan role."""
    lint = called_assuming("${{ secrets.role }}")
    repository(github, {DEPLOY: applying(apply_role), CI: caller(PULL_REQUEST, mapping(handed)), CALLED: lint})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    sharing = outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]
    if status is Status.PASSED:
        assert sharing == []
        return
    reason = str(outcome.reason)
    assert f"{SHARES}{handed}), as {DEPLOY} line 5 (job 'deploy') at line 13" in reason, reason
    if handed == DEPLOY_ROLE:  # the literal ARN and the variable's value are one role
        assert (
            f"both hold role {DEPLOY_ROLE} (vars.AWS_DEPLOY_ROLE_ARN = {DEPLOY_ROLE} (repository variable))" in reason
        )


def test_a_renamed_secret_handed_on_push_to_main_only_passes(github: FakeGitHub) -> None:
    """Healthy twin: the same mapping, the caller started by push to main alone (reviewed code only)."""
    lint = called_assuming("${{ secrets.role }}")
    repository(
        github, {DEPLOY: applying(DEPLOY_SECRET), CI: caller(PUSH_TO_MAIN, mapping(DEPLOY_SECRET)), CALLED: lint}
    )
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert len(outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]) == 1


#: A reusable workflow handing on what it was handed: to another one with ``secrets: inherit``, and its own job
#: through a local composite action's input.
FORWARDING = f"""on:
  workflow_call:
    secrets:
      role:
        required: true
jobs:
  nested:
    uses: ./{INNER}
    secrets: inherit
  through-action:
    runs-on: ubuntu-24.04
    permissions:
      id-token: write
    steps:
      - uses: ./.github/actions/assume
        with:
          role: ${{{{ secrets.role }}}}
"""
ASSUMING_ACTION = f"""name: assume
description: assumes the role it is handed
inputs:
  role:
    required: true
runs:
  using: composite
  steps:
    - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
      with:
        role-to-assume: ${{{{ inputs.role }}}}
        aws-region: eu-west-1
"""


@pytest.mark.parametrize(("handed", "status"), [(DEPLOY_SECRET, Status.FAILED), (PLAN_SECRET, Status.PASSED)])
def test_a_handed_secret_followed_through_inherit_and_a_composite_action(
    github: FakeGitHub, handed: str, status: Status
) -> None:
    """Broken: the renamed secret reaches a workflow called with ``secrets: inherit`` and a composite action's input;
    healthy twin: the plan role's secret."""
    files = {
        DEPLOY: applying(DEPLOY_SECRET),
        CI: caller(PULL_REQUEST, mapping(handed)),
        CALLED: FORWARDING,
        INNER: called_assuming("${{ secrets.role }}"),
        ACTION: ASSUMING_ACTION,
    }
    repository(github, files)
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    sharing = outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]
    if status is Status.PASSED:
        assert sharing == []
        return
    assert sorted(j["where"] for j in sharing) == [
        f"{INNER} line 7 (job 'check', called by {CALLED} line 7 (job 'nested', called by {CI} line 6 (job 'lint')))",
        f"{CALLED} line 10 (job 'through-action', called by {CI} line 6 (job 'lint'))",
    ]
    assert (
        f"{CALLED} line 15: uses ./.github/actions/assume, {ACTION} line 11: role-to-assume ${{{{ inputs.role }}}} "
        f"(its caller's {DEPLOY_SECRET})"
    ) in str(outcome.reason), outcome.reason


def test_the_apply_job_of_a_called_workflow_holds_the_secret_its_caller_maps(github: FakeGitHub) -> None:
    """Broken: deploy.yml on push to main calls the apply job, mapping its ``role`` to AWS_DEPLOY_ROLE; ci.yml on
    pull_request assumes ``${{ secrets.AWS_DEPLOY_ROLE }}`` itself, so a pull request's author applies with it."""
    ci = (
        applying(DEPLOY_SECRET)
        .replace("  push:\n    branches: [main]\n", PULL_REQUEST)
        .replace("    environment: production\n", "")
    )
    ci = ci.replace("terraform -chdir=infra apply -auto-approve", "terraform -chdir=infra plan")
    apply_called = called_assuming("${{ secrets.role }}").replace(
        "terraform -chdir=infra plan", "terraform -chdir=infra apply -auto-approve"
    )
    apply_called = apply_called.replace(
        "    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    environment: production\n"
    )
    deploy = caller(PUSH_TO_MAIN, mapping(DEPLOY_SECRET))
    repository(github, {DEPLOY: deploy, CI: ci, CALLED: apply_called})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        f"starts job 'deploy', which obtains the cloud credentials an apply job applies with ({CI} line 11: "
        f"role-to-assume {DEPLOY_SECRET}, as {CALLED} line 7 (job 'check', called by {DEPLOY} line 7 (job 'lint')) "
        "at line 15)"
    ) in str(outcome.reason), outcome.reason


UNREAD = "${{ secrets.role || vars.AWS_PLAN_ROLE_ARN }}"


@pytest.mark.parametrize(("on", "status"), [(PULL_REQUEST, Status.ERROR), (PUSH_TO_MAIN, Status.PASSED)])
def test_a_handed_secret_used_in_an_expression_is_unknown_where_it_matters(
    github: FakeGitHub, on: str, status: Status
) -> None:
    """Broken unseen: ``secrets.role || vars.AWS_PLAN_ROLE_ARN`` holds the deploy role the caller maps, not read
    here: ``error`` on pull_request (PASSED on main); healthy twin: the same on push to main only, where the
    comparison decides nothing."""
    lint = called_assuming(UNREAD)
    repository(github, {DEPLOY: applying(DEPLOY_SECRET), CI: caller(on, mapping(DEPLOY_SECRET)), CALLED: lint})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.ERROR:
        assert (
            f"assumes the role an apply job applies with is unknown: {CALLED} line 14: role-to-assume {UNREAD} and "
            f"{DEPLOY} line 5 (job 'deploy') line 13 ({DEPLOY_SECRET}): {UNREAD} uses what its caller hands it in an "
            "expression, not read here"
        ) in str(outcome.reason), outcome.reason
