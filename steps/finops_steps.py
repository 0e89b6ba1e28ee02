"""Steps of exit check 7 (Fin/Obs guards): budget, billing alarm and dashboard, read through their APIs.

The numbers come from the step text (the cap and the ">= 3"), so editing the feature edits
the check; an explicit ``--cost-cap`` (or LAKEHOUSE_MONTHLY_COST_CAP_USD) overrides the cap (one above the
plan's is judged, but never passed: ``lakehouse.thresholds.at_plan``).
The guards are read once the stack has run its pipeline (the session's ``pipeline_run``): the
dashboard's series count only when CloudWatch has their metrics, and the pipeline publishes them.
"""

from __future__ import annotations

import os

import pytest
from pytest_bdd import parsers, then, when

from lakehouse.checks.finops import FinopsReadback, try_read_finops, verdict
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment, Stack
from lakehouse.terraform import state_resources
from lakehouse.thresholds import at_plan
from steps.outcomes import conclude

CAP_ENV = "LAKEHOUSE_MONTHLY_COST_CAP_USD"


def _cap(feature_cap: float, run_options: RunOptions, config: pytest.Config) -> float:
    """The feature's cap, unless the run was given one explicitly."""
    given = config.getoption("--cost-cap") is not None or bool(os.environ.get(CAP_ENV))
    return run_options.monthly_cost_cap_usd if given else feature_cap


@when("the budget, the billing alarm and the dashboard are read through their APIs", target_fixture="finops_read")
def read_finops_guards(stack: Stack, deployment: Deployment, pipeline_run: PipelineResult) -> FinopsReadback | Outcome:
    """Read after the session's pipeline run: a dashboard series counts only once its metric is published."""
    # Terraform outputs name the resources; everything judged is read back from Budgets, CloudWatch, SNS and SQS.
    # The state's resource types say which services bill the stack (a per-service cost tile must be one of them).
    types = [str(r["type"]) for r in state_resources(stack.state())]
    return try_read_finops(stack.target, deployment.record.outputs, stack.stack_id, types)


@then(
    parsers.parse(
        "the budget alarms within the {cap:g} USD monthly cap and the dashboard has at least {series:d} metric series"
    ),
    target_fixture="finops",
)
def budget_and_dashboard(
    finops_read: FinopsReadback | Outcome,
    cap: float,
    series: int,
    stack: Stack,
    run_options: RunOptions,
    pytestconfig: pytest.Config,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
) -> Outcome:
    used = _cap(cap, run_options, pytestconfig)
    # A cap looser than the plan's: judged at it, never passed (the feature's cap is checked against the plan's).
    outcome = at_plan(verdict(finops_read, used, series), "EXIT-7", used)
    evidence.artifacts.append(artifacts.write_json(f"finops-{stack.stack_id}.json", outcome.details))
    problems = outcome.details.get("problems", {})
    conclude(outcome, evidence, problems.get("budget", []) + problems.get("dashboard", []))
    return outcome


@then("the billing alarm on estimated charges can fire within that cap")
def billing_alarm_can_fire(finops: Outcome, evidence: CheckEvidence) -> None:
    conclude(finops, evidence)
