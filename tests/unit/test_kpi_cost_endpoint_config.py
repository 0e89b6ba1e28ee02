"""KPI cost and CO2: a SageMaker endpoint running a configuration the plan does not create is not priced as serverless.

The broken stack: its endpoint's ``endpoint_config_name`` names a configuration made outside the plan (by hand, by
another stack), on ``ml.m5.large`` instances billed every hour (about 84 USD a month). The table priced the endpoint
as serverless, a few cents when idle, because only planned configurations' variants were read, and both KPIs
passed. Now the endpoint is unpriced (cost ``error``) and significant in what CO2 leaves out, naming it and why.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.carbon import estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import (
    PlannedResource,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    planned_resources,
)
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET

REGION = "ap-northeast-1"
ENDPOINT = 'aws_sagemaker_endpoint.this["daily-revenue"]'
CONFIG = 'aws_sagemaker_endpoint_configuration.this["daily-revenue"]'
SERVERLESS = {
    "name": "daily-revenue-v3",
    "production_variants": [
        {"variant_name": "AllTraffic", "instance_type": "", "serverless_config": [{"memory_size_in_mb": 2048}]}
    ],
}


def _ml(endpoint: dict[str, Any], with_config: bool = True) -> list[PlannedResource]:
    config = [PlannedResource(CONFIG, "aws_sagemaker_endpoint_configuration", REGION, SERVERLESS)]
    return [
        PlannedResource(ENDPOINT, "aws_sagemaker_endpoint", REGION, endpoint),
        *(config if with_config else []),
        PlannedResource('aws_sagemaker_model.this["daily-revenue"]', "aws_sagemaker_model", REGION),
    ]


def _verdicts(resources: list[PlannedResource]) -> tuple[Any, Any]:
    cost = judge_cost(estimate_cost(resources, load_prices(), load_usage()), 20.0, BUDGET)
    co2 = judge_carbon(estimate_carbon(load_usage(), load_coefficients(), REGION, resources), 50.0)
    return cost, co2


def test_an_endpoint_on_a_configuration_made_outside_the_plan_is_unpriced_and_co2_a_lower_bound() -> None:
    cost, co2 = _verdicts(_ml({"endpoint_config_name": "made-by-hand-ml-m5-large"}, with_config=False))
    assert cost.status is Status.ERROR, cost.reason
    assert (
        f"{ENDPOINT} (aws_sagemaker_endpoint) has no price: its endpoint configuration 'made-by-hand-ml-m5-large' "
        "is not one the plan creates: whether it runs on instances, billed every hour"
    ) in str(cost.reason)
    assert co2.status is Status.ERROR and f"{ENDPOINT} (aws_sagemaker_endpoint) is not estimated" in str(co2.reason)


def test_an_endpoint_beside_a_planned_serverless_configuration_it_does_not_run_is_unpriced() -> None:
    """The planned configuration is serverless, but the endpoint names another one: the planned one proves nothing."""
    cost, _ = _verdicts(_ml({"endpoint_config_name": "made-by-hand-ml-m5-large"}))
    assert cost.status is Status.ERROR and "'made-by-hand-ml-m5-large' is not one the plan creates" in str(cost.reason)


def test_an_endpoint_on_its_planned_configuration_is_priced_and_passes() -> None:
    cost, co2 = _verdicts(_ml({"endpoint_config_name": "daily-revenue-v3"}))
    assert cost.passed and co2.passed, (cost.reason, co2.reason)
    [line] = [line for line in cost.details["estimate"]["lines"] if line["address"] == ENDPOINT]
    assert 0 < line["monthly_usd"] < 1


def _plan(references: list[str], config_address: str = CONFIG) -> dict[str, Any]:
    """`terraform show -json` of an endpoint whose configuration name is known only at apply (``name_prefix``)."""

    def planned(address: str, rtype: str, values: dict[str, Any]) -> dict[str, Any]:
        return {"address": address, "mode": "managed", "type": rtype, "name": "this", "values": values}

    config_values = {k: v for k, v in SERVERLESS.items() if k != "name"}
    module = config_address.rsplit(".aws_", 1)[0] if config_address.startswith("module.") else None
    configs = [planned(config_address, "aws_sagemaker_endpoint_configuration", config_values)]
    root: dict[str, Any] = {"resources": [planned(ENDPOINT, "aws_sagemaker_endpoint", {})]}
    if module:
        root["child_modules"] = [{"address": module, "resources": configs}]
    else:
        root["resources"] += configs
    expressions = {"endpoint_config_name": {"references": references}}
    return {
        "planned_values": {"root_module": root},
        "configuration": {
            "root_module": {"resources": [{"address": "aws_sagemaker_endpoint.this", "expressions": expressions}]}
        },
    }


def test_an_endpoint_referring_to_its_planned_configuration_is_priced_when_the_name_is_known_only_at_apply() -> None:
    """As infra/ml.tf plans it (``for_each``), and through a module's output."""
    for_each = ["aws_sagemaker_endpoint_configuration.this[each.key].name", "aws_sagemaker_endpoint_configuration.this"]
    module = 'module.ml.aws_sagemaker_endpoint_configuration.this["daily-revenue"]'
    for doc in (_plan(for_each), _plan(["module.ml.config_name", "module.ml"], module)):
        cost, co2 = _verdicts(planned_resources(doc, REGION))
        assert cost.passed and co2.passed, (cost.reason, co2.reason)
    cost, _ = _verdicts(planned_resources(_plan(["var.config_name"]), REGION))
    assert cost.status is Status.ERROR and "(not known at plan time) is not one the plan creates" in str(cost.reason)
