"""GUARD-review, review before apply: where GitHub evaluates what names a job's cloud credentials.

- A caller's ``with:`` and ``secrets:`` are evaluated in the calling job, which cannot name an environment (GitHub,
  "Reusing workflows": "The job calling the reusable workflow cannot use the environment keyword"): a ``vars.X`` a
  caller hands a reusable workflow is the repository's (else the organization's), never the variable of the
  environment the called job names. The called job's own ``vars.X`` is its environment's first.
- One ``${{ vars.X }}`` text in two jobs naming two environments may hold two roles (environment variables first).
- ``secrets[format('AWS_{0}_KEY_ID', inputs.env)]`` names the secret the format gives when its arguments are literals
  or inputs whose text is known (a choice's each option).

Each broken repository has a healthy twin; which were red on main's code is said in each test's docstring.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import REPO, FakeGitHub, github
from tests.unit.review_apply_helpers import (
    APPLY_WITH_KEYS,
    CALLED,
    CI,
    DEPLOY,
    DEPLOY_ROLE,
    DEPLOY_VARIABLE,
    PLAN_ROLE,
    PULL_REQUEST,
    SHA,
    applying,
    ask,
    assuming,
    caller,
    repository,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

#: A reusable workflow whose job ``check`` names environment ``ci`` and assumes the role its caller hands as input.
CALLED_IN_CI = assuming(
    "  workflow_call:\n    inputs:\n      role:\n        type: string\n        required: true\n",
    "${{ inputs.role }}",
    environment="ci",
)
HANDS_ROLE = f"    uses: ./{CALLED}\n    with:\n      role: ${{{{ vars.ROLE }}}}\n"


# -- a caller's vars.X is read in the calling job's context ---------------------------------------------------------


@pytest.mark.parametrize(
    ("repository_role", "ci_role", "status"),
    [(DEPLOY_ROLE, PLAN_ROLE, Status.FAILED), (PLAN_ROLE, DEPLOY_ROLE, Status.PASSED)],
    ids=["hands-the-deploy-role", "hands-the-plan-role"],
)
def test_a_callers_variable_is_read_without_the_called_jobs_environment(
    github: FakeGitHub, repository_role: str, ci_role: str, status: Status
) -> None:
    """Broken (PASSED on main: ``vars.ROLE`` was read with environment ``ci`` first, the plan role): a pull request's
    caller hands the reusable workflow ``vars.ROLE``, which the calling job reads as the repository variable, the
    deploy role. Healthy twin (FAILED on main): the repository variable is the plan role, only ``ci``'s is the
    deploy role, and the called job assumes what it is handed."""
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: caller(PULL_REQUEST, HANDS_ROLE), CALLED: CALLED_IN_CI})
    github.variables["ROLE"] = repository_role
    github.environment_variables["ci"] = {"ROLE": ci_role}
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    values = {(v["environment"], v["role_to_assume"]): v for v in outcome.details["review_before_apply"]["role_values"]}
    assert values[("ci", "${{ vars.ROLE }}")]["value"] == repository_role.lower()
    assert values[("ci", "${{ vars.ROLE }}")]["read"] == [
        f"the caller's vars.ROLE = {repository_role} (repository variable)"
    ]
    if status is Status.FAILED:
        reason = str(outcome.reason)
        assert (
            f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'check', "
            f"which obtains the cloud credentials an apply job applies with ({CALLED} line 16: role-to-assume "
            f"${{{{ inputs.role }}}} (its caller's ${{{{ vars.ROLE }}}}), as {DEPLOY} line 5 (job 'deploy') at line "
            f"13 (${{{{ vars.AWS_DEPLOY_ROLE_ARN }}}}): both hold role {DEPLOY_ROLE.lower()}"
        ) in reason, reason


def test_the_called_jobs_own_variable_is_its_environments(github: FakeGitHub) -> None:
    """Broken (FAILED on main too): the called job itself writes ``vars.ROLE``, read with its environment ``ci``
    first, which holds the deploy role (the repository's is the plan role)."""
    called = CALLED_IN_CI.replace("${{ inputs.role }}", "${{ vars.ROLE }}")
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: caller(PULL_REQUEST, HANDS_ROLE), CALLED: called})
    github.variables["ROLE"] = PLAN_ROLE
    github.environment_variables["ci"] = {"ROLE": DEPLOY_ROLE}
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"vars.ROLE = {DEPLOY_ROLE} (environment 'ci' variable)" in str(outcome.reason), outcome.reason


# -- one text, two environments --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("production", "status"), [({}, Status.FAILED), ({"ROLE": DEPLOY_ROLE}, Status.PASSED)], ids=["shared", "own"]
)
def test_one_variable_text_read_for_two_environments(
    github: FakeGitHub, production: dict[str, str], status: Status
) -> None:
    """Healthy (FAILED on main: the same text ``${{ vars.ROLE }}`` was one credential): the apply job's environment
    ``production`` sets ``ROLE`` to the deploy role, the repository's ``ROLE``, which the pull request's plan job
    reads, is the plan role. Broken twin: ``production`` sets no ``ROLE``, both read the repository's, here the
    deploy role."""
    plan = assuming(PULL_REQUEST, "${{ vars.ROLE }}")
    repository(github, {DEPLOY: applying("${{ vars.ROLE }}"), CI: plan})
    github.variables["ROLE"] = PLAN_ROLE if production else DEPLOY_ROLE
    github.environment_variables["production"] = production
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert f"{CI} line 11: role-to-assume ${{{{ vars.ROLE }}}}, as {DEPLOY} line 5 (job 'deploy')" in str(
            outcome.reason
        ), outcome.reason


# -- secrets[format(...)] ---------------------------------------------------------------------------------------------

#: A reusable workflow whose job lints with the key ``format('AWS_{0}_KEY_ID', inputs.env)`` names.
LINT_WITH_FORMATTED_KEY = f"""on:
  workflow_call:
    inputs:
      env:
        type: string
        required: true
jobs:
  check:
    runs-on: ubuntu-24.04
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          aws-access-key-id: ${{{{ secrets[format('AWS_{{0}}_KEY_ID', inputs.env)] }}}}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""


@pytest.mark.parametrize(
    ("env", "status"), [("DEPLOY", Status.FAILED), ("PLAN", Status.PASSED)], ids=["deploy-key", "plan-key"]
)
def test_a_secret_named_by_format_of_a_handed_input(github: FakeGitHub, env: str, status: Status) -> None:
    """Broken (ERROR on main: a secret picked by an expression was unknown): a pull request's caller hands
    ``env: DEPLOY``, so the called job uses ``secrets.AWS_DEPLOY_KEY_ID``, the apply job's key. Healthy twin (ERROR on
    main): ``env: PLAN`` names the plan key."""
    call = f"    uses: ./{CALLED}\n    secrets: inherit\n    with:\n      env: {env}\n"
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PULL_REQUEST, call), CALLED: LINT_WITH_FORMATTED_KEY})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert (
            f"{CALLED} line 13: aws-access-key-id ${{{{ secrets[format('AWS_{{0}}_KEY_ID', inputs.env)] }}}} "
            f"(secret AWS_DEPLOY_KEY_ID), as {DEPLOY} line 5 (job 'deploy') at line 11"
        ) in str(outcome.reason), outcome.reason


def dispatched(on_inputs: str) -> str:
    """A job on workflow_dispatch (inputs ``on_inputs``) using as its key the secret a format of input env names."""
    return f"""on:
  workflow_dispatch:
    inputs:
{on_inputs}jobs:
  check:
    runs-on: ubuntu-24.04
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          aws-access-key-id: ${{{{ secrets[format('AWS_{{0}}_KEY_ID', github.event.inputs.env)] }}}}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""


CHOICE = "      env:\n        type: choice\n        options: [{}]\n"


@pytest.mark.parametrize(
    ("on_inputs", "status", "said"),
    [
        (CHOICE.format("PLAN, DEPLOY"), Status.FAILED, "secret AWS_DEPLOY_KEY_ID"),
        (CHOICE.format("PLAN, READ"), Status.PASSED, ""),
        ("      env:\n        type: string\n", Status.ERROR, "whoever dispatches the workflow chooses its value"),
    ],
    ids=["choice-offers-deploy", "choice-of-others", "free-text"],
)
def test_a_secret_named_by_format_of_a_dispatch_input(
    github: FakeGitHub, on_inputs: str, status: Status, said: str
) -> None:
    """Broken (ERROR on main): a dispatcher may pick ``DEPLOY``, so the job uses the apply job's key, ungated.
    Healthy twin (ERROR on main): no option names it. A free text input stays unknown (ERROR on main too)."""
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: dispatched(on_inputs)})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    assert said in str(outcome.reason), outcome.reason


def test_a_format_argument_not_known_leaves_the_secret_unknown(github: FakeGitHub) -> None:
    """No verdict, never a pass (ERROR on main too): the argument is a variable, not read for a secret's name."""
    called = LINT_WITH_FORMATTED_KEY.replace("inputs.env)", "vars.ENV)")
    call = f"    uses: ./{CALLED}\n    secrets: inherit\n    with:\n      env: PLAN\n"
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PULL_REQUEST, call), CALLED: called})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "format argument vars.ENV is not known here" in str(outcome.reason), outcome.reason
    assert REPO in str(outcome.reason) or CALLED in str(outcome.reason)
