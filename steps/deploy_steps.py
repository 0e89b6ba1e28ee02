"""Steps of exit checks 1 (30-min deploy) and 5 (100 % IaC)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest
from pytest_bdd import given, then, when

from lakehouse.checks.deploy_time import (
    check_deploy_time,
    created_by_model_release,
    deferred_to_model_release,
    untimed_resources,
)
from lakehouse.checks.iac import check_iac_coverage, plan_in_background
from lakehouse.checks.stack_parts import absent_parts, smaller_stack
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.ml.deploy import recorded_model_applies
from lakehouse.outcome import Outcome
from lakehouse.stack import Deployment, Stack
from lakehouse.terraform import PlanResult
from lakehouse.thresholds import at_plan
from steps.outcomes import conclude


@pytest.fixture
def artifacts(run_options: RunOptions) -> ArtifactStore:
    return ArtifactStore(run_options.reports)


def _attach(
    evidence: CheckEvidence, artifacts: ArtifactStore, stack: Stack, stem: str, details: Any, command: str
) -> None:
    """Keep a check's details and the Terraform log behind them as artifacts of its evidence."""
    evidence.artifacts.append(artifacts.write_json(f"{stem}-{stack.stack_id}.json", details))
    log = stack.log_path(command)
    if log.exists():
        evidence.artifacts.append(artifacts.copy(log, f"terraform-{command}-{stack.stack_id}.log"))


@given("the lakehouse stack is deployed from infra/", target_fixture="stack")
def stack_deployed(deployment: Deployment, request: pytest.FixtureRequest) -> Stack:
    # Exit check 1 judges a failed deploy itself; every other check needs a deployed stack whose
    # outputs (where each check finds what it judges) name the stack's own resources.
    if request.node.get_closest_marker("check").args[0] == "EXIT-1":
        return deployment.stack
    if not deployment.ok:
        raise RuntimeError(f"stack {deployment.stack.stack_id} is not deployed: {deployment.error}")
    if foreign := request.getfixturevalue("outputs_not_own"):
        raise RuntimeError(
            f"the outputs of stack {deployment.stack.stack_id} name what is not its own: {'; '.join(foreign)}"
        )
    return deployment.stack


# -- exit check 1 ----------------------------------------------------------------------------------


@when("the deploy stopwatch is read", target_fixture="deploy_time")
def read_stopwatch(
    deployment: Deployment, run_options: RunOptions, evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    outcome = check_deploy_time(deployment.stopwatch, run_options.deploy_threshold_s, deployment.error)
    _attach(evidence, artifacts, deployment.stack, "stopwatch", outcome.details, "apply")
    return outcome


@then("the whole deploy completed within the deploy threshold")
def deploy_within_threshold(deploy_time: Outcome, evidence: CheckEvidence) -> None:
    conclude(deploy_time, evidence)


@then("every resource Terraform created has a time on the stopwatch")
def every_resource_timed(
    deployment: Deployment, stack: Stack, deploy_time: Outcome, run_options: RunOptions, evidence: CheckEvidence
) -> None:
    apply = deployment.stopwatch.apply
    assert apply is not None, "no apply stopwatch was recorded for this stack"
    models = recorded_model_applies(deployment)  # a model release after the deploy created the endpoint
    state = stack.state()
    missing = untimed_resources(apply, state, *models)
    evidence.details["resources_without_time"] = missing
    deferred = deferred_to_model_release(apply, *models)
    if models:
        evidence.details["resources_timed_by_the_model_release_applies"] = created_by_model_release(*models)
        evidence.details["resources_a_model_release_created_outside_the_deploy"] = deferred
    left_out = [a for a in missing if a in deferred]
    why = (
        f"; {len(left_out)} of them a model release apply created, which may create only the model serving "
        f"resources, so the deploy's timed apply left them out: {', '.join(left_out[:5])}"
        if left_out
        else ""
    )
    assert not missing, (
        f"{len(missing)} resource(s) in state were not created by a timed apply (they existed before the "
        f"stopwatch started, or were only updated by it): {', '.join(missing[:5])}{why}"
    )
    # A deploy with a part switched off (TF_VAR_ml_enabled=false) is from scratch and whole, only smaller.
    evidence.details["parts_absent_from_the_state"] = absent = absent_parts(state)
    assert not absent, smaller_stack(absent)
    # Last, so a deploy timed at a looser threshold than the plan's is still judged whole before it is not passed.
    conclude(at_plan(deploy_time, "EXIT-1", run_options.deploy_threshold_s), evidence)


# -- exit check 5 ----------------------------------------------------------------------------------


@when("Terraform plans the deployed stack again", target_fixture="plan")
def plan_again(stack: Stack) -> Future[PlanResult]:
    """Under way while the next step reads the state and searches the account; that step waits for it."""
    return plan_in_background(stack)


@when("the account is searched for the stack's resources by tag, name and contents", target_fixture="iac")
def search_account(
    stack: Stack, plan: Future[PlanResult], evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    outcome = check_iac_coverage(stack, plan)
    _attach(evidence, artifacts, stack, "iac", outcome.details, "plan")
    return outcome


@then("the plan shows no change")
def plan_is_empty(iac: Outcome, evidence: CheckEvidence) -> None:
    conclude(iac, evidence, iac.details.get("problems", {}).get("plan"))


@then("everything found for the stack is managed by Terraform")
def all_found_managed(iac: Outcome, evidence: CheckEvidence) -> None:
    conclude(iac, evidence)
