"""GUARD-review, review before apply: a role a job assumes through its workflow's own ``workflow_dispatch`` input.

``inputs.role`` in a workflow ``workflow_dispatch`` starts is what the person dispatching it writes (GitHub,
"inputs context"), the deploy role's ARN included; on main's code it expanded to empty, "no credential", and the
check PASSED a job anyone with write access could dispatch with the deploy role. Now such an input is unknown:
``error`` where the job is open to unreviewed code, unless it is a ``type: choice`` whose literal ``options`` are the
values it may hold (each compared with the apply job's role: one of them the deploy role fails).
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import FakeGitHub, github
from tests.unit.test_review_apply_reuse import CI, DEPLOY, DEPLOY_ROLE, PLAN_ROLE, SHA, ask, line_of, repository
from tests.unit.test_review_apply_secrets import DEPLOY_VARIABLE, applying

__all__ = ["github"]  # the fixture, imported for this module's tests

ROLE = "${{ inputs.role }}"


def dispatched(role_input: str, role: str = ROLE) -> str:
    """A workflow ``workflow_dispatch`` starts, declaring input ``role`` (``role_input``: its spec lines), whose job
    ``plan`` assumes ``role`` and plans, naming no environment."""
    return f"""on:
  workflow_dispatch:
    inputs:
      role:
{role_input}jobs:
  plan:
    runs-on: ubuntu-24.04
    permissions:
      id-token: write
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          role-to-assume: {role}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""


STRING = "        type: string\n        required: true\n"


def choice(*options: str) -> str:
    return "        type: choice\n        options:\n" + "".join(f"          - {o}\n" for o in options)


def test_a_dispatched_role_input_is_unknown_and_an_error(github: FakeGitHub) -> None:
    """Broken: the dispatcher writes the role (PASSED on main: the input expanded to empty, no credential)."""
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: dispatched(STRING)})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert (
        f"whether {CI} line 8 (job 'plan'), started by workflow_dispatch ({CI} line 2) and which names no environment"
    ) in str(outcome.reason), outcome.reason
    assert (
        f"{CI} line 15: role-to-assume {ROLE} and {DEPLOY} line 5 (job 'deploy') line 13 ({DEPLOY_VARIABLE}): "
        f"inputs.role is an input of {CI}'s workflow_dispatch trigger (line 4): whoever dispatches the workflow "
        "chooses its value, the deploy role's included"
    ) in str(outcome.reason), outcome.reason


def test_a_dispatched_role_input_in_an_expression_is_unknown(github: FakeGitHub) -> None:
    """Broken: ``inputs.role || vars.AWS_PLAN_ROLE_ARN`` is the dispatcher's too (PASSED on main: compared as
    written)."""
    role = "${{ inputs.role || vars.AWS_PLAN_ROLE_ARN }}"
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: dispatched(STRING, role)})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert f"{role} uses what its caller hands it in an expression, not read here" in str(outcome.reason)


@pytest.mark.parametrize(
    ("options", "status"),
    [((PLAN_ROLE,), Status.PASSED), ((PLAN_ROLE, DEPLOY_ROLE), Status.FAILED)],
    ids=["plan-role-only", "deploy-role-offered"],
)
def test_a_choice_input_holds_its_options(github: FakeGitHub, options: tuple[str, ...], status: Status) -> None:
    """Healthy twin: a choice of the plan role alone passes; broken: a choice offering the deploy role fails,
    naming the option."""
    ci = dispatched(choice(*options))
    at = line_of(ci, "role-to-assume")
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    sharing = outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"]
    if status is Status.PASSED:
        assert sharing == []
        return
    assert (
        f"{CI} line 2: workflow_dispatch (anyone with write access starts it on a ref they pick, running that ref's "
        f"copy of the file) starts job 'plan', which obtains the cloud credentials an apply job applies with ({CI} "
        f"line {at}: role-to-assume {ROLE} (option {DEPLOY_ROLE}), as {DEPLOY} line 5 (job 'deploy') at line 13 "
        f"({DEPLOY_VARIABLE}): both hold role {DEPLOY_ROLE}"
    ) in str(outcome.reason), outcome.reason


def test_a_choice_offering_a_variable_is_unknown(github: FakeGitHub) -> None:
    """Broken: an option that is an expression is not a literal: the input is the dispatcher's (unknown)."""
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: dispatched(choice(PLAN_ROLE, DEPLOY_VARIABLE))})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "inputs.role is an input of" in str(outcome.reason), outcome.reason


def test_a_dispatched_role_input_through_a_gate_passes(github: FakeGitHub) -> None:
    """Healthy twin: the same job held by the ``production`` gate: whatever role is dispatched, a second person
    approves the run."""
    ci = dispatched(STRING).replace(
        "    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    environment: production\n"
    )
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


#: A reusable workflow assuming the role handed as input ``role``.
ASSUME_INPUT = f"""on:
  workflow_call:
    inputs:
      role:
        type: string
jobs:
  check:
    runs-on: ubuntu-24.04
    permissions:
      id-token: write
    steps:
      - uses: aws-actions/configure-aws-credentials@{SHA} # v4.3.1
        with:
          role-to-assume: {ROLE}
          aws-region: eu-west-1
      - run: terraform -chdir=infra plan
"""
CALLED = ".github/workflows/assume.yml"


@pytest.mark.parametrize(
    ("role_input", "status"),
    [(choice(PLAN_ROLE), Status.PASSED), (choice(PLAN_ROLE, DEPLOY_ROLE), Status.FAILED), (STRING, Status.ERROR)],
    ids=["plan-role-only", "deploy-role-offered", "free-text"],
)
def test_a_dispatched_input_handed_to_a_reusable_workflow(github: FakeGitHub, role_input: str, status: Status) -> None:
    """The dispatched input reaches a local reusable workflow through ``with:``: each option is followed (the
    deploy role offered fails), free text stays unknown (both PASSED on main)."""
    ci = f"on:\n  workflow_dispatch:\n    inputs:\n      role:\n{role_input}jobs:\n  lint:\n    uses: ./{CALLED}\n"
    ci += f"    with:\n      role: {ROLE}\n"
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci, CALLED: ASSUME_INPUT})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is not Status.PASSED:
        assert "inputs.role" in str(outcome.reason), outcome.reason


def test_a_workflow_call_input_of_a_dispatched_workflow_is_unknown(github: FakeGitHub) -> None:
    """Broken: the workflow is dispatched and callable; a caller of another repository (not read) writes the
    input, so a choice declared for the dispatch does not bound it."""
    ci = dispatched(choice(PLAN_ROLE)).replace(
        "jobs:\n", "  workflow_call:\n    inputs:\n      role:\n        type: string\njobs:\n", 1
    )
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert (
        f"inputs.role is an input of {CI}'s workflow_call trigger (line 10): a calling workflow of another "
        "repository, not read here, chooses its value"
    ) in str(outcome.reason), outcome.reason
