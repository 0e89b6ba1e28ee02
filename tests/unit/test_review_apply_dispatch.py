"""GUARD-review, review before apply: a role a job assumes through its workflow's own ``workflow_dispatch`` input.

``inputs.role`` in a workflow ``workflow_dispatch`` starts is what the person dispatching it writes (GitHub,
"inputs context"), the deploy role's ARN included; on main's code it expanded to empty, "no credential", and the
check PASSED a job anyone with write access could dispatch with the deploy role. Now such an input is unknown:
``error`` where the job is open to unreviewed code, unless it is a ``type: choice`` whose literal ``options`` are the
values it may hold (each compared with the apply job's role: one of them the deploy role fails).

The same for ``github.event.inputs.role`` (the older spelling; empty in a workflow no dispatch starts), and for a
secret an input picks, ``secrets[inputs.name]``: whichever secret the dispatcher names, the apply job's key included.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import FakeGitHub, github
from tests.unit.review_apply_helpers import (
    APPLY_WITH_KEYS,
    CALLED,
    CI,
    DEPLOY,
    DEPLOY_ROLE,
    DEPLOY_SECRET,
    DEPLOY_VARIABLE,
    PLAN_ROLE,
    PLAN_VARIABLE,
    PULL_REQUEST,
    PUSH_TO_MAIN,
    applying,
    ask,
    assuming,
    line_of,
    repository,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

ROLE = "${{ inputs.role }}"


def dispatched(role_input: str, role: str = ROLE) -> str:
    """A workflow ``workflow_dispatch`` starts, declaring input ``role`` (``role_input``: its spec lines), whose job
    ``plan`` assumes ``role`` and plans, naming no environment."""
    return assuming(f"  workflow_dispatch:\n    inputs:\n      role:\n{role_input}", role, "plan")


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
ASSUME_INPUT = assuming("  workflow_call:\n    inputs:\n      role:\n        type: string\n", ROLE)
ASSUME = ".github/workflows/assume.yml"


@pytest.mark.parametrize(
    ("role_input", "status"),
    [(choice(PLAN_ROLE), Status.PASSED), (choice(PLAN_ROLE, DEPLOY_ROLE), Status.FAILED), (STRING, Status.ERROR)],
    ids=["plan-role-only", "deploy-role-offered", "free-text"],
)
def test_a_dispatched_input_handed_to_a_reusable_workflow(github: FakeGitHub, role_input: str, status: Status) -> None:
    """The dispatched input reaches a local reusable workflow through ``with:``: each option is followed (the
    deploy role offered fails), free text stays unknown (both PASSED on main)."""
    ci = f"on:\n  workflow_dispatch:\n    inputs:\n      role:\n{role_input}jobs:\n  lint:\n    uses: ./{ASSUME}\n"
    ci += f"    with:\n      role: {ROLE}\n"
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci, ASSUME: ASSUME_INPUT})
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


# -- the older spelling ``github.event.inputs.x``, and a secret an input picks ----------------------------------------

EVENT_ROLE = "${{ github.event.inputs.role }}"


@pytest.mark.parametrize(
    ("role_input", "status"),
    [(choice(PLAN_ROLE), Status.PASSED), (choice(PLAN_ROLE, DEPLOY_ROLE), Status.FAILED), (STRING, Status.ERROR)],
    ids=["plan-role-only", "deploy-role-offered", "free-text"],
)
def test_an_event_input_is_the_dispatchers_as_inputs_is(github: FakeGitHub, role_input: str, status: Status) -> None:
    """``github.event.inputs.role`` is the same dispatched input as ``inputs.role``: free text unknown, each option of
    a choice followed. Broken: the deploy role offered (``error`` on main: read as an input of a caller, options not
    followed); healthy twin: the plan role alone (a false ``error`` on main)."""
    ci = dispatched(role_input, EVENT_ROLE)
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert (
            f"line {line_of(ci, 'role-to-assume')}: role-to-assume {EVENT_ROLE} (option {DEPLOY_ROLE}), as {DEPLOY} "
            f"line 5 (job 'deploy') at line 13 ({DEPLOY_VARIABLE}): both hold role {DEPLOY_ROLE}"
        ) in str(outcome.reason), outcome.reason
    if status is Status.ERROR:
        assert (
            f"github.event.inputs.role is an input of {CI}'s workflow_dispatch trigger (line 4): whoever dispatches "
            "the workflow chooses its value"
        ) in str(outcome.reason), outcome.reason


def test_an_event_input_reaches_a_reusable_workflow_as_the_callers(github: FakeGitHub) -> None:
    """Broken: a reusable workflow called by a dispatched one reads ``github.event.inputs.role``, the caller's event
    (GitHub: "the github context is always associated with the caller workflow"): the deploy role offered fails
    (``error`` on main)."""
    ci = f"on:\n  workflow_dispatch:\n    inputs:\n      role:\n{choice(PLAN_ROLE, DEPLOY_ROLE)}jobs:\n  lint:\n"
    ci += f"    uses: ./{CALLED}\n"
    called = assuming("  workflow_call:\n", EVENT_ROLE)
    repository(github, {DEPLOY: applying(DEPLOY_VARIABLE), CI: ci, CALLED: called})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert (
        f"{CALLED} line {line_of(called, 'role-to-assume')}: role-to-assume {EVENT_ROLE} (option {DEPLOY_ROLE})"
        in str(outcome.reason)
    )


def test_an_event_input_without_a_dispatch_trigger_is_empty(github: FakeGitHub) -> None:
    """Healthy: on pull_request ``github.event.inputs`` is empty, so ``secrets[github.event.inputs.name]`` names no
    secret and the job obtains no credential."""
    ci = assuming(PULL_REQUEST, "${{ secrets[github.event.inputs.name] }}", "plan")
    repository(github, {DEPLOY: applying(DEPLOY_SECRET), CI: ci})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["review_before_apply"]["jobs_sharing_apply_credentials"] == []


def picking(name_input: str, key: str, where: str = "with") -> str:
    """A dispatched workflow declaring input ``name`` (``name_input``: its spec lines) whose job ``plan`` uses
    ``key`` as its AWS access key id: as the action's input (``where`` "with") or in the job's ``env:``."""
    on = f"  workflow_dispatch:\n    inputs:\n      name:\n{name_input}"
    if where == "with":
        return assuming(on, key, "plan").replace("role-to-assume:", "aws-access-key-id:")
    text = assuming(on, PLAN_VARIABLE, "plan")
    return text.replace("    permissions:\n", f"    env:\n      AWS_ACCESS_KEY_ID: {key}\n    permissions:\n")


PICKED = "${{ secrets[inputs.name] }}"
EVENT_PICKED = "${{ secrets[github.event.inputs.name] }}"


@pytest.mark.parametrize(
    ("key", "where"), [(PICKED, "with"), (EVENT_PICKED, "with"), (PICKED, "env")], ids=["input", "event-input", "env"]
)
def test_a_secret_the_dispatcher_picks_is_unknown(github: FakeGitHub, key: str, where: str) -> None:
    """Broken: the dispatcher names the secret used as the job's AWS key, the apply job's included (PASSED on main:
    ``secrets[...]`` by an input was no secret at all)."""
    ci = picking(STRING, key, where)
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: ci})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    spelled = "inputs.name" if key == PICKED else "github.event.inputs.name"
    said = "job env AWS_ACCESS_KEY_ID" if where == "env" else "aws-access-key-id"
    assert (
        f"uses as AWS keys the secrets an apply job applies with is unknown: {CI} line {line_of(ci, key)}: {said} "
        f"{key} and {DEPLOY} line 5 (job 'deploy') line 11 (aws-access-key-id secrets.AWS_DEPLOY_KEY_ID): {key} "
        f"names whichever secret {spelled} holds, the deploy key's included: {spelled} is an input of {CI}'s "
        "workflow_dispatch trigger (line 4): whoever dispatches the workflow chooses its value"
    ) in str(outcome.reason), outcome.reason


@pytest.mark.parametrize(
    ("options", "status"),
    [(("AWS_PLAN_KEY_ID",), Status.PASSED), (("AWS_PLAN_KEY_ID", "AWS_DEPLOY_KEY_ID"), Status.FAILED)],
    ids=["plan-key-only", "deploy-key-offered"],
)
def test_a_secret_picked_by_a_choice_is_each_option(
    github: FakeGitHub, options: tuple[str, ...], status: Status
) -> None:
    """Healthy twin: a choice naming only a secret of its own passes; broken: a choice offering the apply job's key
    fails, naming it (PASSED on main)."""
    ci = picking(choice(*options), EVENT_PICKED)
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: ci})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert (
            f"({CI} line {line_of(ci, 'aws-access-key-id')}: aws-access-key-id {EVENT_PICKED} "
            f"(secret AWS_DEPLOY_KEY_ID), as {DEPLOY} line 5 (job 'deploy') at line 11)"
        ) in str(outcome.reason), outcome.reason


@pytest.mark.parametrize(
    ("role_input", "status"),
    [(choice("AWS_PLAN_ROLE"), Status.PASSED), (choice("AWS_PLAN_ROLE", "AWS_DEPLOY_ROLE"), Status.FAILED)],
    ids=["plan-secret-only", "deploy-secret-offered"],
)
def test_a_role_secret_picked_by_a_choice_is_each_option(github: FakeGitHub, role_input: str, status: Status) -> None:
    """The role assumed is the secret a choice names: the apply job's secret offered fails (``error`` on main), the
    plan role's alone passes (a false ``error`` on main)."""
    ci = dispatched(role_input, "${{ secrets[inputs.role] }}")
    repository(github, {DEPLOY: applying(DEPLOY_SECRET), CI: ci})
    outcome = ask(github)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert f"role-to-assume ${{{{ secrets[inputs.role] }}}} (option {DEPLOY_SECRET})" in str(outcome.reason)


@pytest.mark.parametrize("gated", [True, False], ids=["gated", "push-to-main"])
def test_a_picked_secret_where_no_unreviewed_code_reaches_passes(github: FakeGitHub, gated: bool) -> None:
    """Healthy twins: the free-text pick held by the ``production`` gate, or on push to main only."""
    ci = picking(STRING, PICKED)
    if gated:
        ci = ci.replace("    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    environment: production\n")
    else:
        ci = ci.replace("  workflow_dispatch:\n    inputs:\n      name:\n" + STRING, PUSH_TO_MAIN)
    repository(github, {DEPLOY: APPLY_WITH_KEYS, CI: ci})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
