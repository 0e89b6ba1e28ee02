"""Steps of exit check 7 (Fin/Obs guards): budget, billing alarm and dashboard, read through their APIs."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then, when

from lakehouse.checks.finops import check_finops
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.stack import Deployment, Stack


@when("the budget and the dashboard are read through their APIs")
def read_finops_guards(
    stack: Stack,
    deployment: Deployment,
    run_options: RunOptions,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
    facts: dict[str, Any],
) -> None:
    # Terraform outputs name the resources; everything judged is read back from Budgets and CloudWatch.
    result = check_finops(stack.target, deployment.record.outputs, run_options.monthly_cost_cap_usd)
    evidence.artifacts.append(artifacts.write_json(f"finops-{stack.stack_id}.json", result.details))
    evidence.record(result)
    facts["finops"] = result


@then("the budget alarms and the dashboard has at least 3 metrics")
def budget_and_dashboard(facts: dict[str, Any]) -> None:
    problems = facts["finops"].details["problems"]
    found = problems["budget"] + problems["dashboard"]
    assert not found, "; ".join(found)


@then("the billing alarm on estimated charges has an action")
def billing_alarm_has_action(facts: dict[str, Any]) -> None:
    found = facts["finops"].details["problems"]["billing_alarm"]
    assert not found, "; ".join(found)
