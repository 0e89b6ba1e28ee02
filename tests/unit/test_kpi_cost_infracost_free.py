"""KPI cost: a type is free only by prices.yml's entry, in the Infracost path too, not by Infracost's word.

Infracost's free list (internal/providers/terraform/aws/registry.go ``FreeResources``) holds types that bill or
make what bills: ``aws_cloudwatch_log_metric_filter`` publishes a custom metric (0.30 USD a month each),
``aws_s3_bucket_replication_configuration`` copies every object to another bucket. The estimate made them
``error`` (no ``free_resource_types`` entry), the Infracost path took them as free: fifty metric filters on the
catalog's App Runner logs (15 USD a month of metrics) passed the 20 USD cap, from either CLI generation. Now each
is unpriced, naming it; types prices.yml lists free (with why, source and date) stay free.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from lakehouse.kpi.cost import (
    PlannedResource,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from lakehouse.outcome import Outcome, Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource

FILTER = "aws_cloudwatch_log_metric_filter"
REPLICATION = "aws_s3_bucket_replication_configuration"


def _resources(extra: list[dict[str, Any]]) -> list[PlannedResource]:
    return planned_resources(plan(pause_values(), extra=extra), REGION)


def _scan(resources: list[PlannedResource], free: set[str]) -> dict[str, Any]:
    """The 2026 CLI's answer: ``free`` types ``is_free``, the rest unsupported (priced from the table)."""
    named = [
        {"name": r.address, "type": r.type, "is_free": True}
        if r.type in free
        else {"name": r.address, "type": r.type, "is_supported": False}
        for r in resources
    ]
    return {"projects": [{"resources": named}], "summary": {"total_monthly_cost": "0"}}


def _classic(resources: list[PlannedResource], free: set[str]) -> dict[str, Any]:
    """The classic CLI's answer, tag policies off: nothing named, free and unsupported types only counted."""
    no_price = Counter(r.type for r in resources if r.type in free)
    unsupported = Counter(r.type for r in resources if r.type not in free)
    summary = {"noPriceResourceCounts": dict(no_price), "unsupportedResourceCounts": dict(unsupported)}
    return {"totalMonthlyCost": "0", "projects": [{"breakdown": {"resources": []}}], "summary": summary}


def _judge(doc: dict[str, Any], resources: list[PlannedResource]) -> Outcome:
    estimate = price_the_unpriced(parse_infracost(doc), resources, load_prices(), load_usage(), REGION)
    return judge_cost(estimate, 20.0, BUDGET)


def _filters() -> list[dict[str, Any]]:
    """Fifty metric filters on the catalog's application log group, each publishing its own custom metric."""
    return [
        resource(
            f'{FILTER}.catalog["f{i}"]',
            FILTER,
            {
                "log_group_name": "/aws/apprunner/lakehouse-x-catalog/app/application",
                "pattern": f'"path=/t{i}"',
                "metric_transformation": [{"namespace": "Lakehouse/Catalog", "name": f"Hits{i}", "value": "1"}],
            },
        )
        for i in range(50)
    ]


def test_fifty_metric_filters_infracost_calls_free_are_unpriced_naming_them() -> None:
    resources = _resources(_filters())
    result = _judge(_scan(resources, {FILTER, "aws_iam_role"}), resources)
    assert result.status is Status.ERROR, result.reason
    assert (
        f'{FILTER}.catalog["f0"] ({FILTER}) has no price: infracost (2026 CLI) calls it free, but '
        f"fixtures/cost/prices.yml does not list {FILTER} in free_resource_types"
    ) in str(result.reason)
    assert str(result.reason).count(f"({FILTER}) has no price") == 50


def test_the_classic_cli_counting_them_free_is_unpriced_alike() -> None:
    resources = _resources(_filters())
    result = _judge(_classic(resources, {FILTER}), resources)
    assert result.status is Status.ERROR, result.reason
    assert f'{FILTER}.catalog["f49"] ({FILTER}) has no price: infracost (classic CLI) calls it free' in str(
        result.reason
    )


def test_a_replication_configuration_infracost_calls_free_is_unpriced() -> None:
    values = {"rule": [{"status": "Enabled", "destination": [{"bucket": "arn:aws:s3:::elsewhere-us-west-2"}]}]}
    resources = _resources([resource(f'{REPLICATION}.this["gold"]', REPLICATION, values)])
    result = _judge(_scan(resources, {REPLICATION}), resources)
    assert result.status is Status.ERROR, result.reason
    assert f'{REPLICATION}.this["gold"] ({REPLICATION}) has no price: infracost (2026 CLI) calls it free' in str(
        result.reason
    )


# -- healthy twins ----------------------------------------------------------------------------------------


def test_types_prices_yml_lists_free_stay_free_when_infracost_says_so() -> None:
    resources = _resources([resource("aws_s3_bucket_policy.gold", "aws_s3_bucket_policy")])
    free = {"aws_iam_role", "aws_s3_bucket_policy", "aws_apprunner_auto_scaling_configuration_version"}
    for doc in (_scan(resources, free), _classic(resources, free)):
        result = _judge(doc, resources)
        assert result.passed, result.reason


def test_a_schedule_infracost_calls_free_is_still_priced_from_the_table() -> None:
    resources = _resources([])
    estimate = price_the_unpriced(
        parse_infracost(_scan(resources, {"aws_scheduler_schedule"})), resources, load_prices(), load_usage(), REGION
    )
    assert judge_cost(estimate, 20.0, BUDGET).passed
    assert any(line.type == "aws_scheduler_schedule" and line.monthly_usd > 0 for line in estimate.lines)
