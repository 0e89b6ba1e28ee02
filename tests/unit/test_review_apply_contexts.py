"""GUARD-review, review before apply: where GitHub evaluates what names a job's cloud credentials.

- A caller's ``with:`` and ``secrets:`` are evaluated in the calling job, which cannot name an environment (GitHub,
  "Reusing workflows": "The job calling the reusable workflow cannot use the environment keyword"): a ``vars.X`` a
  caller hands a reusable workflow is the repository's (else the organization's), never the variable of the
  environment the called job names. The called job's own ``vars.X`` is its environment's first.
- One ``${{ vars.X }}`` text in two jobs naming two environments may hold two roles (environment variables first).
- ``secrets.X`` in a job naming environment E is E's own secret X when E has one ("if an organization, repository,
  and environment all have a secret with the same name, the environment-level secret takes precedence"), in a called
  workflow's job too when its caller passes X ("Reusing workflows": the environment secret takes precedence when the
  caller uses ``secrets: inherit`` or passes it by name): listed by name (``GET .../environments/{E}/secrets``),
  never by value, so two secrets of two levels are two credentials.
- ``secrets[format('AWS_{0}_KEY_ID', inputs.env)]`` names the secret the format gives when its arguments are literals
  or inputs whose text is known (a choice's each option).

Each broken repository has a healthy twin; which were red on main's code is said in each test's docstring.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import REPO, FakeGitHub, environment, github
from tests.unit.review_apply_helpers import (
    APPLY_WITH_KEYS,
    CALLED,
    CI,
    DEPLOY,
    DEPLOY_ROLE,
    DEPLOY_SECRET,
    DEPLOY_VARIABLE,
    PLAN_ROLE,
    PULL_REQUEST,
    PUSH_TO_MAIN,
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
    ("production", "repository_role", "status"),
    [
        ({}, DEPLOY_ROLE, Status.FAILED),
        ({"ROLE": DEPLOY_ROLE}, PLAN_ROLE, Status.PASSED),
        ({"ROLE": DEPLOY_ROLE}, None, Status.PASSED),
    ],
    ids=["shared", "own", "own-none-elsewhere"],
)
def test_one_variable_text_read_for_two_environments(
    github: FakeGitHub, production: dict[str, str], repository_role: str | None, status: Status
) -> None:
    """Healthy (FAILED on main: the same text ``${{ vars.ROLE }}`` was one credential): the apply job's environment
    ``production`` sets ``ROLE`` to the deploy role, the repository's ``ROLE``, which the pull request's plan job
    reads, is the plan role, or is set nowhere (empty: no role). Broken twin: ``production`` sets no ``ROLE``, both
    read the repository's, here the deploy role."""
    plan = assuming(PULL_REQUEST, "${{ vars.ROLE }}")
    repository(github, {DEPLOY: applying("${{ vars.ROLE }}"), CI: plan})
    if repository_role is not None:
        github.variables["ROLE"] = repository_role
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


# -- an environment's own secrets take precedence over the repository's of the same name -----------------------------

#: A pull request's job, naming no environment, planning with the keys the apply job's secrets are named.
PLAN_WITH_KEYS = (
    APPLY_WITH_KEYS.replace(PUSH_TO_MAIN, PULL_REQUEST)
    .replace("  deploy:", "  check:")
    .replace("    environment: production\n", "")
    .replace("apply -auto-approve", "plan")
)
SECRETS_403 = (403, {}, '{"message": "Resource not accessible by personal access token"}')


@pytest.mark.parametrize(
    ("production_secrets", "status"),
    [(["AWS_DEPLOY_KEY_ID", "aws_deploy_secret_key"], Status.PASSED), ([], Status.FAILED), (None, Status.ERROR)],
    ids=["environment-secrets", "repository-secrets", "unlisted"],
)
def test_the_apply_jobs_environment_secrets_are_not_the_repositorys(
    github: FakeGitHub, production_secrets: list[str] | None, status: Status
) -> None:
    """Healthy (FAILED on main: the keys were compared by name): the apply job's keys are secrets of its gate
    ``production``, which the pull request's job, naming no environment, never gets (it gets the repository's of
    the same names, other secrets). Broken twin (FAILED on main too): ``production`` has no such secret, both jobs
    get the repository's. Unlisted (the token may not list the environment's secrets): no verdict, never a pass."""
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: PLAN_WITH_KEYS})
    if production_secrets is None:
        github.overrides[f"/repos/{REPO}/environments/production/secrets"] = SECRETS_403
    else:
        github.environment_secrets["production"] = production_secrets
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    reason = str(outcome.reason)
    if status is Status.FAILED:
        assert (
            f"{CI} line 2: pull_request (a pull request's code starts it, before any review) starts job 'check', "
            f"which obtains the cloud credentials an apply job applies with ({CI} line 9: aws-access-key-id "
            f"secrets.AWS_DEPLOY_KEY_ID, as {DEPLOY} line 5 (job 'deploy') at line 11"
        ) in reason, reason
    if status is Status.ERROR:
        assert (
            f"whether environment 'production' has its own secret AWS_DEPLOY_KEY_ID, which {DEPLOY} line 5 (job "
            "'deploy') would get, is unknown: could not list the secrets of environment 'production'"
        ) in reason, reason
        assert "403" in reason and "Secrets repository permission (read)" in reason, reason
    listed = outcome.details["review_before_apply"]["environment_secrets"]["production"]
    if production_secrets is None:
        assert "403" in listed, listed
    else:
        assert listed == sorted(n.upper() for n in production_secrets)


#: A reusable workflow whose job, naming environment ``ci``, lints with the key it is handed as ``secrets.key``.
LINT_IN_CI_WITH_KEY = f"""on:
  workflow_call:
    secrets:
      key:
        required: true
jobs:
  check:
    runs-on: ubuntu-24.04
    environment: ci
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          aws-access-key-id: ${{{{ secrets.key }}}}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""


@pytest.mark.parametrize(
    ("hands", "ci_secrets", "status"),
    [
        ("    secrets:\n      key: ${{ secrets.AWS_DEPLOY_KEY_ID }}\n", ["KEY"], Status.PASSED),
        ("    secrets:\n      key: ${{ secrets.AWS_DEPLOY_KEY_ID }}\n", ["OTHER"], Status.FAILED),
        ("    secrets: inherit\n", ["AWS_DEPLOY_KEY_ID"], Status.PASSED),
        ("    secrets: inherit\n", [], Status.FAILED),
    ],
    ids=["mapped-own", "mapped-passed", "inherited-own", "inherited-passed"],
)
def test_a_called_jobs_environment_secret_takes_precedence_over_the_passed_one(
    github: FakeGitHub, hands: str, ci_secrets: list[str], status: Status
) -> None:
    """Healthy (FAILED on main: the passed name was compared): a pull request's caller passes the apply job's key,
    but the called job names environment ``ci``, which has its own secret of the name the job asks (``key``, or with
    ``secrets: inherit`` ``AWS_DEPLOY_KEY_ID``): GitHub gives it ``ci``'s. Broken twins (FAILED on main too):
    ``ci`` has no such secret, so the job gets the apply job's key, on a pull request's code."""
    called = LINT_IN_CI_WITH_KEY
    if "inherit" in hands:
        called = called.replace("secrets.key", "secrets.AWS_DEPLOY_KEY_ID")
    repository(
        github, {DEPLOY: APPLY_WITH_KEYS, CI: caller(PULL_REQUEST, f"    uses: ./{CALLED}\n{hands}"), CALLED: called}
    )
    github.environments["ci"] = environment("ci", reviewers=())  # no gate
    github.environment_secrets["ci"] = ci_secrets
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert (
            f"starts job 'check', which obtains the cloud credentials an apply job applies with ({CALLED} line 13"
            in str(outcome.reason)
        ), outcome.reason


def test_two_jobs_of_one_environment_share_its_secret(github: FakeGitHub) -> None:
    """Broken (FAILED on main too): a pull request's job names the apply job's environment ``staging``, no gate, and
    both get ``staging``'s own deploy key: said as the environment's secret."""
    apply = APPLY_WITH_KEYS.replace("environment: production", "environment: staging")
    plan = PLAN_WITH_KEYS.replace(
        "    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    environment: staging\n"
    )
    repository(github, {DEPLOY: apply, CI: plan})
    github.environments["staging"] = environment("staging", reviewers=())
    github.environment_secrets["staging"] = ["AWS_DEPLOY_KEY_ID"]
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "(both environment staging secret AWS_DEPLOY_KEY_ID: its environment's own)" in str(outcome.reason)


@pytest.mark.parametrize(
    ("production_secrets", "status"),
    [(["AWS_DEPLOY_ROLE"], Status.PASSED), (["OTHER"], Status.FAILED)],
    ids=["environment-secret", "repository-secret"],
)
def test_a_role_held_by_the_apply_jobs_environment_secret(
    github: FakeGitHub, production_secrets: list[str], status: Status
) -> None:
    """Healthy (FAILED on main: the text ``${{ secrets.AWS_DEPLOY_ROLE }}`` was one credential): the apply job's
    ``role-to-assume`` is a secret of its gate ``production``; the pull request's job, naming no environment, gets the
    repository's of that name. Broken twin (FAILED on main too): ``production`` has no such secret."""
    repository(github, {DEPLOY: applying(DEPLOY_SECRET), CI: assuming(PULL_REQUEST, DEPLOY_SECRET)})
    github.environment_secrets["production"] = production_secrets
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert f"({CI} line 11: role-to-assume {DEPLOY_SECRET}, as {DEPLOY} line 5 (job 'deploy') at line 13)" in str(
            outcome.reason
        ), outcome.reason
