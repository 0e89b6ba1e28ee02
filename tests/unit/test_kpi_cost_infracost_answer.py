"""KPI cost: a planned resource Infracost's answer leaves out is not priced at 0 USD.

Nothing checked Infracost's JSON against the plan: an answer without a planned resource (for another plan or
directory, or one it failed to read) priced it at 0, and the KPI passed on the rest. Infracost names every
resource it prices (Terraform addresses); the classic CLI counts the free and unsupported ones by type in its
summary (infracost/infracost internal/output/output.go, ``BuildSummary``). A planned resource neither named
nor counted is now unpriced, naming it (``error``; over the cap still ``failed``); one of a type prices.yml
lists free stays free. And a type Infracost has no price for but the table prices (a schedule's invocations)
is priced from the table, not taken as free.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.cost import (
    PlannedResource,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, PAUSE, REGION, pause_values, plan

DATA = Path(__file__).parent / "data" / "infracost"
DASHBOARD = "aws_cloudwatch_dashboard.finops"


def _resources() -> list[PlannedResource]:
    """What classic-breakdown.json answers for: a workgroup, two buckets, a dashboard, an alarm, a role, a budget."""
    return [
        PlannedResource("aws_athena_workgroup.this", "aws_athena_workgroup", REGION),
        PlannedResource('aws_s3_bucket.this["bronze"]', "aws_s3_bucket", REGION),
        PlannedResource('aws_s3_bucket.this["gold"]', "aws_s3_bucket", REGION),
        PlannedResource(DASHBOARD, "aws_cloudwatch_dashboard", REGION),
        PlannedResource("aws_cloudwatch_metric_alarm.estimated_charges", "aws_cloudwatch_metric_alarm", "us-east-1"),
        PlannedResource("aws_iam_role.pipeline", "aws_iam_role", REGION),
        PlannedResource("aws_budgets_budget.monthly_cost", "aws_budgets_budget", REGION),
        PlannedResource("aws_lakeformation_permissions.analyst", "aws_lakeformation_permissions", REGION),
    ]


def _classic() -> dict[str, Any]:
    """Infracost's classic answer for ``_resources()``, every usage priced."""
    doc = json.loads((DATA / "classic-breakdown.json").read_text(encoding="utf-8"))
    s3 = doc["projects"][0]["breakdown"]["resources"][2]
    s3["monthlyCost"] = s3["subresources"][0]["costComponents"][0]["monthlyCost"] = "0.0625"
    return doc


def _judge(doc: dict[str, Any], resources: list[PlannedResource]) -> Any:
    estimate = price_the_unpriced(parse_infracost(doc), resources, load_prices(), load_usage())
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def test_the_whole_answer_passes() -> None:
    estimate, result = _judge(_classic(), _resources())
    assert result.passed, result.reason
    assert estimate.unpriced == []


def test_a_planned_dashboard_left_out_of_the_answer_is_an_error_naming_it() -> None:
    doc = _classic()
    breakdown = doc["projects"][0]["breakdown"]
    breakdown["resources"] = [r for r in breakdown["resources"] if r["name"] != DASHBOARD]
    estimate, result = _judge(doc, _resources())
    assert result.status is Status.ERROR, result.reason
    assert (
        f"{DASHBOARD} (aws_cloudwatch_dashboard) has no price: infracost (classic CLI)'s answer leaves it out: "
        "it neither prices it nor names it free or unsupported (nor counts it in its summary), so its cost would "
        "count as 0 USD"
    ) in str(result.reason)
    assert DASHBOARD not in {line.address for line in estimate.lines}  # not priced from the table behind its back


def test_a_bucket_left_out_of_the_2026_answer_is_an_error_naming_it() -> None:
    doc = json.loads((DATA / "cli-scan.json").read_text(encoding="utf-8"))
    project = doc["projects"][0]
    project["resources"] = [r for r in project["resources"] if r["name"] != 'aws_s3_bucket.this["bronze"]']
    _, result = _judge(doc, _resources())
    assert result.status is Status.ERROR, result.reason
    assert """aws_s3_bucket.this["bronze"] (aws_s3_bucket) has no price: infracost (2026 CLI)'s answer""" in str(
        result.reason
    )


def test_more_planned_than_the_summary_counts_names_them() -> None:
    doc = _classic()
    clusters = [PlannedResource(f"aws_ecs_cluster.{n}", "aws_ecs_cluster", REGION) for n in ("a", "b")]
    doc["summary"]["noPriceResourceCounts"]["aws_ecs_cluster"] = 1  # one counted, two planned, none named
    _, result = _judge(doc, [*_resources(), *clusters])
    assert result.status is Status.ERROR, result.reason
    assert "its summary counts 1 aws_ecs_cluster without naming them, of the 2 planned" in str(result.reason)
    for cluster in clusters:
        assert f"{cluster.address} (aws_ecs_cluster) has no price" in str(result.reason)
    doc["summary"]["noPriceResourceCounts"]["aws_ecs_cluster"] = 2  # both counted: Infracost's word, not prices.yml's
    _, result = _judge(doc, [*_resources(), *clusters])
    assert result.status is Status.ERROR, result.reason
    assert "its summary counts" not in str(result.reason)
    for cluster in clusters:
        assert f"{cluster.address} (aws_ecs_cluster) has no price: infracost (classic CLI) calls it free" in str(
            result.reason
        )
    policies = [PlannedResource(f"aws_iam_policy.{n}", "aws_iam_policy", REGION) for n in ("a", "b")]
    doc["summary"]["noPriceResourceCounts"]["aws_iam_policy"] = 2  # both counted, and free by prices.yml's entry
    assert _judge(doc, [*_resources(), *policies])[1].passed


def test_a_left_out_resource_of_a_free_type_stays_free() -> None:
    policy = PlannedResource("aws_s3_bucket_policy.gold", "aws_s3_bucket_policy", REGION)
    estimate, result = _judge(_classic(), [*_resources(), policy])
    assert result.passed, result.reason
    [free] = [f for f in estimate.free if f["address"] == policy.address]
    assert free["why"].startswith("left out of Infracost's answer; configuration of a priced bucket")


def test_a_schedule_infracost_has_no_price_for_is_priced_per_invocation() -> None:
    resources = planned_resources(plan(pause_values()), REGION)
    named = [{"name": r.address, "type": r.type, "is_supported": False} for r in resources if r.address != PAUSE]
    doc = {  # Infracost: aws_scheduler_schedule is NoPrice (internal/providers/terraform/aws/scheduler_schedule.go)
        "projects": [{"resources": [*named, {"name": PAUSE, "type": "aws_scheduler_schedule", "is_free": True}]}],
        "summary": {"total_monthly_cost": "0"},
    }
    estimate, result = _judge(doc, resources)
    assert result.passed, result.reason
    assert PAUSE not in {f["address"] for f in estimate.free}
    [line] = [line for line in estimate.lines if line.address == PAUSE]
    assert line.components[0].quantity == 730  # rate(1 hour)
    assert line.monthly_usd == pytest.approx(730 * 1.25 / 1e6)  # Tokyo, the free 14M not applied
