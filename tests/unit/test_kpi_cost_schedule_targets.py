"""KPI cost: a schedule is priced per invocation only as the catalog's pause, not whatever its universal target calls.

prices.yml listed ``aws_scheduler_schedule`` free (now: priced per invocation), and every schedule was. But a
universal target calls any AWS API on the stack's behalf, billed outside the plan and priced nowhere:
``apprunner:resumeService`` every hour keeps the catalog running all month while the estimate priced
the usage file's 20 resumes; ``sagemaker:createEndpoint`` creates an instance endpoint no plan shows.
Both plans passed at a few USD; now each is unpriced (``error``) naming the schedule and its target.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.carbon import not_estimated
from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, PAUSE, REGION, pause_values, plan, resource

RESUME = "aws_scheduler_schedule.catalog_resume[0]"


def _schedule(address: str, target_arn: str | None, expression: str = "rate(1 hour)") -> dict[str, Any]:
    target = {"arn": target_arn, "retry_policy": [{}]} if target_arn else {"retry_policy": [{}]}
    return resource(address, "aws_scheduler_schedule", pause_values(expression, target=[target]))


def _judge(extra: list[dict[str, Any]]) -> Any:
    resources = planned_resources(plan(pause_values(), extra=extra), REGION)
    estimate = estimate_cost(resources, load_prices(), load_usage())
    return estimate, judge_cost(estimate, 20.0, BUDGET)


@pytest.mark.parametrize(
    ("address", "arn"),
    [
        # resumes the catalog every hour, half an hour after the pause: it runs all month, priced 20 resumes
        (RESUME, "arn:aws:scheduler:::aws-sdk:apprunner:resumeService"),
        # creates a SageMaker endpoint every day: billed every hour it runs, in no plan
        ("aws_scheduler_schedule.nightly[0]", "arn:aws:scheduler:::aws-sdk:sagemaker:createEndpoint"),
        # starts EC2 instances
        ("aws_scheduler_schedule.batch", "arn:aws:scheduler:::aws-sdk:ec2:runInstances"),
    ],
)
def test_a_schedule_calling_anything_but_the_pause_is_unpriced_naming_its_target(address: str, arn: str) -> None:
    estimate, result = _judge([_schedule(address, arn)])
    assert result.status is Status.ERROR, result.reason
    [unpriced] = [u for u in estimate.unpriced if u["address"] == address]
    assert unpriced["why"].startswith(f"its target {arn} is not the App Runner pause")
    assert f"{address} (aws_scheduler_schedule) has no price: its target {arn}" in str(result.reason)
    assert address not in {f["address"] for f in estimate.free}
    # KPI-co2 shares the model: it cannot leave the schedule's work out silently either
    gaps = not_estimated(planned_resources(plan(pause_values(), extra=[_schedule(address, arn)]), REGION))
    assert any(g["what"] == f"{address} (aws_scheduler_schedule)" and g["significant"] for g in gaps)


def test_a_schedule_whose_target_the_plan_does_not_know_is_unpriced() -> None:
    estimate, result = _judge([_schedule(RESUME, None)])
    assert result.status is Status.ERROR
    [unpriced] = [u for u in estimate.unpriced if u["address"] == RESUME]
    assert "its target is not known at plan time" in unpriced["why"]


def test_the_pause_schedules_are_priced_per_invocation_and_the_healthy_plan_passes() -> None:
    second_pause = _schedule("aws_scheduler_schedule.extra_pause", "arn:aws:scheduler:::aws-sdk:apprunner:pauseService")
    estimate, result = _judge([second_pause])
    assert result.passed, result.reason
    lines = {line.address: line for line in estimate.lines}
    for pause in (PAUSE, "aws_scheduler_schedule.extra_pause"):  # rate(1 hour): 730 invocations a month
        [invocations] = lines[pause].components
        assert invocations.quantity == 730 and invocations.monthly_usd > 0
    assert estimate.unpriced == []
