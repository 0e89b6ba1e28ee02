"""KPI cost: a resource's own ``region`` argument (AWS provider 6.x) decides where it is priced.

Provider 6.x gives every resource a ``region`` argument that overrides its provider's (this root pins 5.100.0,
which refuses it). The broken root, planned with 6.x: a bucket the root sets ``region = "eu-west-1"`` (a region
fixtures/cost/prices.yml has no prices for) or ``region = "us-east-1"``, or a region known only at apply. The
estimate read only the provider's region, so each was priced at Tokyo's prices and the KPI passed on a region
the resource is not in. Now the resource's own region is read from the plan (its planned value, else the
constant or the one root variable it is set to) and priced there, or the KPI cannot pass, naming it.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource

BUCKET = "aws_s3_bucket.far"


def _setting_region(expression: dict[str, Any], planned: str | None) -> dict[str, Any]:
    """infra/ as planned with one more bucket whose ``region`` argument is set (planned: its value in the plan)."""
    doc = copy.deepcopy(plan(pause_values()))
    values = {"bucket": "lakehouse-lh-x-far", **({"region": planned} if planned is not None else {})}
    doc["planned_values"]["root_module"]["resources"].append(resource(BUCKET, "aws_s3_bucket", values))
    doc["configuration"]["root_module"]["resources"].append(
        {"address": BUCKET, "provider_config_key": "aws", "expressions": {"region": expression}}
    )
    return doc


def _region_of(doc: dict[str, Any], address: str = BUCKET) -> str:
    return next(r.region for r in planned_resources(doc, REGION) if r.address == address)


def test_a_bucket_set_to_a_region_the_table_lacks_is_not_priced_at_the_providers() -> None:
    doc = _setting_region({"constant_value": "eu-west-1"}, "eu-west-1")
    assert _region_of(doc) == "eu-west-1"  # main: ap-northeast-1, the provider's
    with pytest.raises(DataFileError, match=r"aws_s3_bucket\.far \(aws_s3_bucket\) is planned in eu-west-1"):
        estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage())


def test_a_bucket_set_to_another_priced_region_is_priced_there() -> None:
    doc = _setting_region({"constant_value": "us-east-1"}, None)  # the constant, though the plan omits the value
    assert _region_of(doc) == "us-east-1"
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage())
    assert next(line for line in estimate.lines if line.address == BUCKET).region == "us-east-1"


def test_a_region_known_only_at_apply_is_no_pass_naming_the_bucket() -> None:
    doc = _setting_region({"references": ["local.replica_region"]}, None)
    assert _region_of(doc) == ""
    outcome = judge_cost(estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage()), 20.0, BUDGET)
    assert outcome.status is Status.ERROR, outcome.reason
    assert BUCKET in str(outcome.reason) and "region" in str(outcome.reason)


def test_healthy_twin_no_region_argument_or_the_providers_own_is_the_providers_region() -> None:
    assert _region_of(plan(pause_values()), 'aws_s3_bucket.this["gold"]') == REGION
    doc = _setting_region({"references": ["var.region"]}, REGION)  # region = var.region, 6.x's default value
    assert _region_of(doc) == REGION
    outcome = judge_cost(estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage()), 20.0, BUDGET)
    assert outcome.status is Status.PASSED, outcome.reason
