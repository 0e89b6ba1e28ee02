"""KPI cost under attack: resources padded into the plan to take a share of usage.yml's month.

usage.yml is the whole stack's month (5 GB in all the buckets, 20 resumes of the catalog), and the estimate split
each section evenly over the planned resources of its type, each priced at its own region and size. The broken
stacks: the root plans extra empty buckets in us-east-1 (cheaper than Tokyo for S3 as a whole) or a second, tiny
App Runner service that its own schedule pauses. Each padded resource took a share of the usage at its lower price,
and the total fell: the App Runner one from 2.34 to 1.46 USD for the catalog's month, for the same real use.
Now each section is carried in full by the one resource where it costs most (``usage_carriers``), so a resource
added to the plan can only raise the figure.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest

from lakehouse.kpi.cost import estimate_cost, load_prices, load_usage, planned_resources
from tests.unit.plan_docs import REGION, SERVICE, pause_values, plan, resource, with_tiny_paused_service

USE1 = {"name": "aws", "alias": "use1", "expressions": {"region": {"constant_value": "us-east-1"}}}


def _total(doc: dict[str, Any]) -> float:
    return estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage()).total_usd


def _with_us_buckets(doc: dict[str, Any], n: int) -> dict[str, Any]:
    """``doc`` with ``n`` empty buckets planned through a us-east-1 provider alias."""
    padded = copy.deepcopy(doc)
    padded["configuration"]["provider_config"]["aws.use1"] = USE1
    for i in range(n):
        address = f"aws_s3_bucket.pad{i}"
        padded["planned_values"]["root_module"]["resources"].append(resource(address, "aws_s3_bucket"))
        padded["configuration"]["root_module"]["resources"].append(
            {"address": address, "provider_config_key": "aws.use1", "expressions": {}}
        )
    return padded


def test_empty_buckets_padded_into_a_cheaper_region_do_not_lower_the_cost() -> None:
    healthy = plan(pause_values())
    padded = _with_us_buckets(healthy, 20)
    assert _total(padded) >= _total(healthy) - 1e-9  # main: 0.02 USD lower, the S3 month priced at us-east-1's
    estimate = estimate_cost(planned_resources(padded, REGION), load_prices(), load_usage())
    carrying = [line for line in estimate.lines if line.type == "aws_s3_bucket" and line.monthly_usd > 0]
    assert [(line.address, line.region) for line in carrying] == [('aws_s3_bucket.this["bronze"]', REGION)]
    assert "the one where it costs most" in carrying[0].carries
    pad = next(line for line in estimate.lines if line.address == "aws_s3_bucket.pad0")
    assert pad.monthly_usd == 0 and 'aws_s3_bucket.this["bronze"] carries it' in pad.carries
    assert estimate.inputs["usage_carried_by"]["aws_s3_bucket"] == 'aws_s3_bucket.this["bronze"]'


def test_a_tiny_paused_app_runner_service_padded_in_does_not_lower_the_cost() -> None:
    healthy = plan(pause_values(), cpu="1024", memory="2048")
    padded = with_tiny_paused_service(healthy)
    assert _total(padded) >= _total(healthy) - 1e-9  # main: 1.46 USD for the catalog's month instead of 2.34
    estimate = estimate_cost(planned_resources(padded, REGION), load_prices(), load_usage())
    catalog = next(line for line in estimate.lines if line.address == SERVICE)
    assert catalog.monthly_usd == pytest.approx(20 * (0.081 + 2 * 0.009) + 20 * 2 * 0.009)  # all 20 h, 20 resumes
    pad = next(line for line in estimate.lines if line.address == "aws_apprunner_service.pad")
    assert pad.monthly_usd == 0 and f"{SERVICE} carries it" in pad.carries  # paused, never resumed: 0 h


def test_a_padded_resource_dearer_than_the_real_one_carries_the_usage_and_raises_the_figure() -> None:
    """The rule errs high, never low: a bucket in a dearer region would carry the S3 month there."""
    healthy = plan(pause_values())
    resources = planned_resources(healthy, REGION)
    prices = load_prices()
    dear = replace(
        prices, regions={**prices.regions, "us-east-1": {k: 2 * v for k, v in prices.regions[REGION].items()}}
    )
    padded = planned_resources(_with_us_buckets(healthy, 1), REGION)
    assert estimate_cost(padded, dear, load_usage()).total_usd > estimate_cost(resources, dear, load_usage()).total_usd
    assert estimate_cost(padded, dear, load_usage()).inputs["usage_carried_by"]["aws_s3_bucket"] == "aws_s3_bucket.pad0"


def test_healthy_twin_the_shipped_shape_keeps_its_figure() -> None:
    """One region, one service: carrying in full on one resource is the same month as the even split was."""
    estimate = estimate_cost(planned_resources(plan(pause_values()), REGION), load_prices(), load_usage())
    s3 = sum(line.monthly_usd for line in estimate.lines if line.type == "aws_s3_bucket")
    assert s3 == pytest.approx(5 * 0.025 + 20 * 0.0047 + 200 * 0.00037 + 1 * 0.114)
    athena = sum(line.monthly_usd for line in estimate.lines if line.type == "aws_athena_workgroup")
    assert athena == pytest.approx(200 * 30 * 10 / 1_000_000 * 5.0)
    catalog = next(line for line in estimate.lines if line.address == SERVICE)
    assert catalog.monthly_usd == pytest.approx(20 * (0.25 * 0.081 + 0.5 * 0.009) + 20 * 0.5 * 0.009)
    assert "carries all of usage.yml's apprunner (the only aws_apprunner_service planned)" in catalog.carries
