"""GUARD-review, review before apply: what a job runs through a reusable workflow or a local composite action, and
role ARNs held by organization variables.

- A reusable workflow (``jobs.<id>.uses``) runs on its caller's triggers, with the secrets and inputs its caller
  hands it (GitHub, "Reusing workflows": ``secrets: inherit`` or a ``secrets:`` map, ``with:``). A local one is read
  and its jobs judged under the caller's triggers; one of another repository cannot be read: handed secrets or an
  OIDC token on a trigger that brings unreviewed code, it is ``error``, never a pass.
- A local composite action (``uses: ./dir``) runs its steps in the job: a ``terraform apply`` or an AWS role
  assumed there is the job's.
- ``vars.X`` may be an organization variable (``GET /repos/{repo}/actions/organization-variables``, 30 a page):
  read, so a role ARN set there is known.

Each broken repository has a healthy twin; which were red on main's code is said in each test's docstring.
"""

from __future__ import annotations

import json

import pytest

from lakehouse.outcome import Status
from tests.fake_github import INFRA_PATH, INFRA_TEXT, REPO, FakeGitHub, github
from tests.unit.review_apply_helpers import (
    APPLY_WITH_KEYS,
    CALLED,
    CI,
    DEPLOY,
    DEPLOY_ROLE,
    PLAN_ROLE,
    PULL_REQUEST,
    PUSH_TO_MAIN,
    SHA,
    ask,
    assuming,
    caller,
    line_of,
    repository,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

ACTION = ".github/actions/deploy/action.yml"

#: A reusable workflow whose job lints with the key it is handed as ``secrets.key``.
LINT_WITH_KEY = f"""on:
  workflow_call:
    secrets:
      key:
        required: true
jobs:
  check:
    runs-on: ubuntu-24.04
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          aws-access-key-id: ${{{{ secrets.key }}}}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""
#: A reusable workflow assuming the role its caller names as input ``role``.
LINT_WITH_ROLE = assuming(
    "  workflow_call:\n    inputs:\n      role:\n        type: string\n        required: true\n", "${{ inputs.role }}"
)
KEY_MAP = f"    uses: ./{CALLED}\n    secrets:\n      key: ${{{{ secrets.AWS_DEPLOY_KEY_ID }}}}\n"
ROLE_INPUT = f"    uses: ./{CALLED}\n    with:\n      role: ${{{{ vars.AWS_DEPLOY_ROLE_ARN }}}}\n"


# -- local reusable workflows: judged under the caller's triggers, with what it hands them ----------------------------


@pytest.mark.parametrize(
    ("called", "call", "said"),
    [
        (
            LINT_WITH_KEY,
            KEY_MAP,
            f"{CALLED} line 12: aws-access-key-id secrets.key (repository secret AWS_DEPLOY_KEY_ID), as {DEPLOY} line "
            "5 (job 'deploy') at line 11",
        ),
        (
            LINT_WITH_ROLE,
            ROLE_INPUT,
            f"{CALLED} line 15: role-to-assume ${{{{ inputs.role }}}} (its caller's "
            "${{ vars.AWS_DEPLOY_ROLE_ARN }})",
        ),
    ],
    ids=["secrets-map", "role-input"],
)
def test_a_pull_request_handing_the_apply_credentials_to_a_reusable_workflow_fails(
    github: FakeGitHub, called: str, call: str, said: str
) -> None:
    """Broken (passed on main: the called job's ``secrets.key`` / ``inputs.role`` were compared as written): ci.yml on
    pull_request hands the reusable lint workflow the apply job's key, or role, under another name."""
    apply = APPLY_WITH_KEYS
    if "role" in call:  # the apply job assumes the deploy role instead of using keys
        apply = APPLY_WITH_KEYS.replace(
            "          aws-access-key-id: ${{ secrets.AWS_DEPLOY_KEY_ID }}\n"
            "          aws-secret-access-key: ${{ secrets.AWS_DEPLOY_SECRET_KEY }}\n",
            "          role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}\n",
        )
    repository(github, {DEPLOY: apply, CI: caller(PULL_REQUEST, call), CALLED: called})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert (
        f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'check', which "
        "obtains the cloud credentials an apply job applies with (" in reason
    ), reason
    assert said in reason, reason
    sharing = outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]
    check = line_of(called, "  check:")
    assert [j["where"] for j in sharing] == [f"{CALLED} line {check} (job 'check', called by {CI} line 6 (job 'lint'))"]


def test_a_push_to_main_handing_the_apply_credentials_to_a_reusable_workflow_passes(github: FakeGitHub) -> None:
    """Healthy twin: the same call on push to main only (reviewed code alone runs it)."""
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PUSH_TO_MAIN, KEY_MAP), CALLED: LINT_WITH_KEY})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert len(outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]) == 1


def test_a_reusable_workflow_handed_no_secret_holds_none(github: FakeGitHub) -> None:
    """Healthy twin: on pull_request, but the call hands no secret: the called job's ``secrets.key`` is empty."""
    call = f"    uses: ./{CALLED}\n"
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PULL_REQUEST, call), CALLED: LINT_WITH_KEY})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


#: A reusable workflow that applies, naming no environment.
APPLY_CALLED = "on:\n  workflow_call:\njobs:\n  apply:\n    runs-on: ubuntu-24.04\n    steps:\n" + (
    "      - run: terraform -chdir=infra apply -auto-approve\n"
)


def test_an_ungated_reusable_apply_called_on_pull_request_fails_naming_the_callers_trigger(github: FakeGitHub) -> None:
    """Broken (failed on main too, through ``workflow_call``): the reason now names the caller's trigger."""
    call = f"    uses: ./{CALLED}\n    secrets: inherit\n"
    repository(github, {CI: caller(PULL_REQUEST, call), CALLED: APPLY_CALLED})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'apply', which "
        "applies Terraform (line 7: `terraform -chdir=infra apply -auto-approve`) and names no environment"
    ) in str(outcome.reason)
    assert outcome.measured["unreviewed_apply_triggers"] == [
        f"{CI} line 2: pull_request (a pull request's code starts it, before any review)"
    ]


def test_an_ungated_reusable_apply_called_on_push_to_main_only_passes(github: FakeGitHub) -> None:
    """Healthy twin (FAILED on main: ``workflow_call`` was judged as a trigger of its own): the only caller runs on
    push to main, so only reviewed code reaches the apply."""
    call = f"    uses: ./{CALLED}\n    secrets: inherit\n"
    repository(github, {CI: caller(PUSH_TO_MAIN, call), CALLED: APPLY_CALLED})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    (job,) = outcome.details["review_before_apply"]["apply_jobs"]
    assert job["where"] == f"{CALLED} line 4 (job 'apply', called by {CI} line 7 (job 'lint'))"  # after push's 2


# -- reusable workflows of another repository: not readable -------------------------------------------------------

REMOTE = f"acme/infra-workflows/.github/workflows/apply.yml@{SHA}"


@pytest.mark.parametrize(
    ("hands", "said"),
    [
        ("    secrets: inherit\n", "secrets: inherit"),
        ("    permissions:\n      id-token: write\n", "id-token: write"),
    ],
    ids=["secrets-inherit", "id-token"],
)
def test_a_remote_reusable_workflow_handed_credentials_on_pull_request_is_an_error(
    github: FakeGitHub, hands: str, said: str
) -> None:
    """Broken unseen (PASSED on main: the call has no steps): its jobs, another repository's, may apply Terraform with
    every repository secret, or the OIDC token, on a pull request's code."""
    repository(github, {CI: caller(PULL_REQUEST, f"    uses: {REMOTE}\n{hands}")})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert (
        f"{CI} line 6 (job 'lint') calls reusable workflow {REMOTE} of another repository, handing it {said}, and "
        f"is started by pull_request ({CI} line 2): its jobs are not readable here" in str(outcome.reason)
    ), outcome.reason


def test_a_remote_reusable_workflow_handed_the_apply_key_on_pull_request_fails(github: FakeGitHub) -> None:
    """Broken (PASSED on main): the call maps the apply job's secret key to the remote workflow."""
    call = f"    uses: {REMOTE}\n    secrets:\n      key: ${{{{ secrets.AWS_DEPLOY_KEY_ID }}}}\n"
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PULL_REQUEST, call)})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        f"starts job 'lint', which obtains the cloud credentials an apply job applies with ({CI} line 9: secrets: key "
        f"secrets.AWS_DEPLOY_KEY_ID to {REMOTE}, as {DEPLOY} line 5 (job 'deploy') at line 11)"
    ) in str(outcome.reason), outcome.reason


@pytest.mark.parametrize(
    ("on", "hands"),
    [(PUSH_TO_MAIN, "    secrets: inherit\n"), (PULL_REQUEST, "    with:\n      level: strict\n")],
    ids=["push-to-main", "nothing-handed"],
)
def test_a_remote_reusable_workflow_on_push_to_main_or_handed_nothing_passes(
    github: FakeGitHub, on: str, hands: str
) -> None:
    """Healthy twins: only reviewed code calls it; or it gets no secret and no OIDC token to apply with."""
    repository(github, {CI: caller(on, f"    uses: {REMOTE}\n{hands}")})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


# -- local composite actions: their steps run in the job ----------------------------------------------------------

DEPLOY_ACTION = """name: deploy
description: applies the stack
inputs:
  role:
    description: the role to assume
    required: true
runs:
  using: composite
  steps:
    - uses: aws-actions/configure-aws-credentials@7474bc4690e29a8392af63c5b98e7449536d5c3a # v4.3.1
      with:
        role-to-assume: ${{ inputs.role }}
        aws-region: eu-west-1
    - shell: bash
      run: |
        terraform -chdir=infra init
        terraform -chdir=infra apply -auto-approve
"""


def using_action(on: str, role: str) -> str:
    """A workflow started by ``on`` whose job ``ship`` runs the deploy action with ``role``."""
    return (
        f"on:\n{on}permissions:\n  contents: read\njobs:\n  ship:\n    runs-on: ubuntu-24.04\n"
        "    permissions:\n      id-token: write\n    steps:\n"
        f"      - uses: ./.github/actions/deploy\n        with:\n          role: {role}\n"
    )


def test_a_job_applying_through_a_composite_action_on_dispatch_fails(github: FakeGitHub) -> None:
    """Broken (PASSED on main: the job's own steps run no ``terraform apply``): a dispatch on any branch applies
    through the local action, ungated."""
    role = "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
    repository(github, {CI: using_action("  workflow_dispatch:\n", role), ACTION: DEPLOY_ACTION})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        f"{CI} line 2: workflow_dispatch (anyone with write access starts it on a ref they pick, running that ref's "
        f"copy of the file) starts job 'ship', which applies Terraform (line 11: uses ./.github/actions/deploy, "
        f"{ACTION} line 17: `terraform -chdir=infra apply -auto-approve`) and names no environment"
    ) in str(outcome.reason), outcome.reason
    (job,) = outcome.details["review_before_apply"]["apply_jobs"]
    assert job["credentials"] == [
        f"line 11: uses ./.github/actions/deploy, {ACTION} line 12: role-to-assume ${{{{ inputs.role }}}} "
        f"(its caller's {role})"
    ]


def test_a_job_applying_through_a_composite_action_on_push_to_main_passes(github: FakeGitHub) -> None:
    """Healthy twin: the same action on push to main only."""
    repository(github, {CI: using_action(PUSH_TO_MAIN, "${{ vars.AWS_DEPLOY_ROLE_ARN }}"), ACTION: DEPLOY_ACTION})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert len(outcome.details["review_before_apply"]["apply_jobs"]) == 1


#: A composite action that only assumes the role it is handed.
ROLE_ACTION = DEPLOY_ACTION.split("    - shell: bash")[0]


@pytest.mark.parametrize(
    ("role", "status"),
    [("${{ vars.AWS_DEPLOY_ROLE_ARN }}", Status.FAILED), ("${{ vars.AWS_PLAN_ROLE_ARN }}", Status.PASSED)],
    ids=["deploy-role", "plan-role"],
)
def test_a_pull_request_job_assuming_the_deploy_role_through_a_composite_action(
    github: FakeGitHub, role: str, status: Status
) -> None:
    """Broken (PASSED on main: the role was assumed inside the action): infra.yml as shipped, its apply job gated,
    and a pull request's job assuming the deploy role through a local action; healthy twin: the plan role."""
    repository(github, {INFRA_PATH: INFRA_TEXT, CI: using_action(PULL_REQUEST, role), ACTION: ROLE_ACTION})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert (
            f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'ship', "
            f"which obtains the cloud credentials an apply job applies with ({CI} line 11: uses "
            f"./.github/actions/deploy, {ACTION} line 12: role-to-assume ${{{{ inputs.role }}}} (its caller's {role})"
        ) in str(outcome.reason), outcome.reason


# -- organization variables --------------------------------------------------------------------------------------

#: 30 organization variables before the one that matters: GitHub gives 30 a page, so it is on the second.
OTHER_ORG_VARIABLES = {f"A_{n:02d}": str(n) for n in range(30)}


@pytest.mark.parametrize(
    ("plan_role", "status"), [(DEPLOY_ROLE, Status.FAILED), (PLAN_ROLE, Status.PASSED)], ids=["deploy", "own"]
)
def test_a_role_arn_set_at_organization_level_is_read(github: FakeGitHub, plan_role: str, status: Status) -> None:
    """Broken: the plan role's ARN is an organization variable holding the deploy role (ERROR on main: unknown);
    healthy twin: it holds the plan role (ERROR on main too, now a pass)."""
    repository(github, {INFRA_PATH: INFRA_TEXT})
    del github.variables["AWS_PLAN_ROLE_ARN"]
    github.organization_variables = {**OTHER_ORG_VARIABLES, "AWS_PLAN_ROLE_ARN": plan_role}
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    values = {v["role_to_assume"]: v for v in outcome.details["review_before_apply"]["role_values"]}
    assert values["${{ vars.AWS_PLAN_ROLE_ARN }}"]["value"] == plan_role
    assert (
        f"vars.AWS_PLAN_ROLE_ARN = {plan_role} (organization variable)"
        in values["${{ vars.AWS_PLAN_ROLE_ARN }}"]["read"]
    )
    pages = [r["query"].get("page") for r in github.requests if r["path"].endswith("/actions/organization-variables")]
    assert pages == [["1"], ["2"]]
    if status is Status.FAILED:
        assert f"both hold role {DEPLOY_ROLE}" in str(outcome.reason)


def test_unreadable_organization_variables_leave_the_role_unknown(github: FakeGitHub) -> None:
    """No verdict, never a pass: the plan job runs on pull_request and its role may be the deploy role."""
    repository(github, {INFRA_PATH: INFRA_TEXT})
    del github.variables["AWS_PLAN_ROLE_ARN"]
    github.overrides[f"/repos/{REPO}/actions/organization-variables"] = (
        403,
        {},
        json.dumps({"message": "Resource not accessible by personal access token"}),
    )
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "could not read the organization variables" in str(outcome.reason) and "403" in str(outcome.reason)


def test_a_variable_set_nowhere_is_empty_not_unknown(github: FakeGitHub) -> None:
    """Healthy (ERROR on main): AWS_PLAN_ROLE_ARN is set at no level, so GitHub expands it to '' (no role), never
    the deploy role."""
    repository(github, {INFRA_PATH: INFRA_TEXT})
    del github.variables["AWS_PLAN_ROLE_ARN"]
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
