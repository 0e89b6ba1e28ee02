"""KPI cost prices each planned resource in its provider's region, read from the saved plan.

The broken stack (``tests/unit/data/plans/regions``, a saved plan of a real root): a provider alias whose region
is a variable (``region = var.replica_region``, eu-west-1) and the same alias passed to a module expanded with
``count`` (addresses ``module.replica[0]...``). Both were priced at the target region's prices: a variable is no
``constant_value``, and ``module.replica[0].aws_sns_topic.this`` was looked up as ``module.replica`` in the
configuration, so its provider was taken to be the default one. fixtures/cost/prices.yml has no eu-west-1
prices: the resources were priced with Tokyo's and the KPI passed on prices of a region they are not in.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET

PLAN = Path(__file__).parent / "data" / "plans" / "regions" / "plan.json"
REGION = "ap-northeast-1"


def _plan() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    return doc


def _regions(plan: dict[str, Any]) -> dict[str, str]:
    return {r.address: r.region for r in planned_resources(plan, REGION)}


def test_the_stacks_region_and_a_constant_alias_are_read_as_before() -> None:
    regions = _regions(_plan())
    assert regions["aws_sns_topic.alerts"] == REGION  # region = var.region
    assert regions["aws_sns_topic.billing"] == "us-east-1"  # the use1 alias, a constant
    healthy = [
        r for r in planned_resources(_plan(), REGION) if r.address in ("aws_sns_topic.alerts", "aws_sns_topic.billing")
    ]
    assert judge_cost(estimate_cost(healthy, load_prices(), load_usage()), 20.0, BUDGET).status is Status.PASSED


def test_an_alias_set_from_a_variable_and_modules_with_count_are_in_their_providers_region() -> None:
    regions = _regions(_plan())
    assert regions["aws_sns_topic.replica"] == "eu-west-1"  # main: ap-northeast-1 (var.replica_region not read)
    assert regions["module.replica[0].aws_sns_topic.this"] == "eu-west-1"  # main: ap-northeast-1
    assert regions["module.replica[1].aws_sns_topic.this"] == "eu-west-1"
    assert regions["module.billing[0].aws_sns_topic.this"] == "us-east-1"  # main: ap-northeast-1


def test_a_region_the_price_table_lacks_is_not_priced_at_the_targets_prices() -> None:
    resources = planned_resources(_plan(), REGION)
    with pytest.raises(DataFileError, match=r"aws_sns_topic\.replica \(aws_sns_topic\) is planned in eu-west-1"):
        estimate_cost(resources, load_prices(), load_usage())  # main: priced at Tokyo's prices, KPI passed


def test_a_region_the_plan_cannot_tell_is_no_pass_naming_the_resource() -> None:
    plan = copy.deepcopy(_plan())
    region = plan["configuration"]["provider_config"]["aws.replica"]["expressions"]["region"]
    region["references"] = ["local.replica_region"]  # region = local.replica_region: not read back from the plan
    resources = [r for r in planned_resources(plan, REGION) if r.address == "aws_sns_topic.replica"]
    outcome = judge_cost(estimate_cost(resources, load_prices(), load_usage()), 20.0, BUDGET)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "aws_sns_topic.replica" in outcome.reason and "region" in outcome.reason
