"""Steps of exit check 7 (Fin/Obs guards): budget, billing alarm and dashboard, read through their APIs."""

from __future__ import annotations

from pytest_bdd import then, when

from lakehouse.checks.finops import check_finops
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.outcome import Outcome
from lakehouse.stack import Deployment, Stack
from steps.outcomes import conclude


@when("the budget and the dashboard are read through their APIs", target_fixture="finops")
def read_finops_guards(
    stack: Stack, deployment: Deployment, run_options: RunOptions, evidence: CheckEvidence, artifacts: ArtifactStore
) -> Outcome:
    # Terraform outputs name the resources; everything judged is read back from Budgets and CloudWatch.
    outcome = check_finops(stack.target, deployment.record.outputs, run_options.monthly_cost_cap_usd)
    evidence.artifacts.append(artifacts.write_json(f"finops-{stack.stack_id}.json", outcome.details))
    return outcome


@then("the budget alarms and the dashboard has at least 3 metrics")
def budget_and_dashboard(finops: Outcome, evidence: CheckEvidence) -> None:
    problems = finops.details["problems"]
    conclude(finops, evidence, problems["budget"] + problems["dashboard"])


@then("the billing alarm on estimated charges has an action")
def billing_alarm_has_action(finops: Outcome, evidence: CheckEvidence) -> None:
    conclude(finops, evidence)
