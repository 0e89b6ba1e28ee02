"""KPI cost prices what the plan provisions, not the usage file's copy of it.

The broken stacks: a SageMaker endpoint configuration moved from serverless to an always-on
instance (ml.m5.xlarge, about 180 USD a month) or given provisioned concurrency was priced as
idle-free serverless inference (its configuration listed as free), and the KPI passed at ~5 USD;
an App Runner service resized to 4 vCPU / 12 GB was priced at the usage file's 0.25 vCPU / 0.5 GB.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.cost import (
    PlannedResource,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    plan_sizes,
    price_the_unpriced,
)
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET

REGION = "ap-northeast-1"
CONFIG = 'aws_sagemaker_endpoint_configuration.this["daily-revenue"]'


def _variant(**changes: Any) -> dict[str, Any]:
    """A production variant as `terraform show -json` of infra/ml.tf's saved plan writes it (serverless)."""
    variant: dict[str, Any] = {
        "variant_name": "AllTraffic",
        "model_name": "lakehouse-lh-x-daily-revenue-v3",
        "initial_instance_count": 0,
        "initial_variant_weight": 1,
        "instance_type": "",
        "serverless_config": [{"max_concurrency": 2, "memory_size_in_mb": 2048, "provisioned_concurrency": 0}],
    }
    return variant | changes


def _ml(variant: dict[str, Any]) -> list[PlannedResource]:
    return [
        PlannedResource(
            'aws_sagemaker_endpoint.this["daily-revenue"]',
            "aws_sagemaker_endpoint",
            REGION,
            {"endpoint_config_name": "v3"},
        ),
        PlannedResource(
            CONFIG, "aws_sagemaker_endpoint_configuration", REGION, {"name": "v3", "production_variants": [variant]}
        ),
        PlannedResource('aws_sagemaker_model.this["daily-revenue"]', "aws_sagemaker_model", REGION),
    ]


def _judge(resources: list[PlannedResource]) -> Any:
    return judge_cost(estimate_cost(resources, load_prices(), load_usage()), 20.0, BUDGET)


def test_the_healthy_serverless_endpoint_is_priced_and_passes() -> None:
    estimate = estimate_cost(_ml(_variant()), load_prices(), load_usage())
    assert estimate.unpriced == []
    assert estimate.inputs["sizes_from_plan"] == {"sagemaker_memory_gb": 2.0}
    assert _judge(_ml(_variant())).status is Status.PASSED


def test_an_endpoint_on_an_always_on_instance_is_not_priced_as_serverless() -> None:
    on_instance = _variant(instance_type="ml.m5.xlarge", initial_instance_count=1, serverless_config=[])
    outcome = _judge(_ml(on_instance))
    assert outcome.status is Status.ERROR  # no price for ml instances in the table: never the serverless cents
    assert CONFIG in outcome.reason and "ml.m5.xlarge x 1" in outcome.reason
    assert "billed every hour" in outcome.reason
    assert [u["address"] for u in outcome.details["estimate"]["unpriced"]] == [CONFIG]
    assert CONFIG not in [f["address"] for f in outcome.details["estimate"]["free"]]


def test_provisioned_concurrency_is_not_priced_as_idle_free() -> None:
    warm = _variant(serverless_config=[{"max_concurrency": 2, "memory_size_in_mb": 2048, "provisioned_concurrency": 2}])
    outcome = _judge(_ml(warm))
    assert outcome.status is Status.ERROR
    assert "2 provisioned concurrency" in outcome.reason


def test_the_endpoint_memory_is_the_plans() -> None:
    big = _variant(serverless_config=[{"max_concurrency": 2, "memory_size_in_mb": 6144, "provisioned_concurrency": 0}])

    def gb_seconds(variant: dict[str, Any]) -> float:
        [line] = estimate_cost(_ml(variant), load_prices(), load_usage()).lines
        return next(c.quantity for c in line.components if c.name.startswith("serverless compute"))

    assert gb_seconds(big) == 3 * gb_seconds(_variant())  # 6 GB as planned, not usage.yml's 2 GB


def test_an_app_runner_service_is_priced_at_the_size_the_plan_gives_it() -> None:
    def service(cpu: str, memory: str) -> list[PlannedResource]:
        values = {"instance_configuration": [{"cpu": cpu, "memory": memory, "instance_role_arn": ""}]}
        return [PlannedResource("aws_apprunner_service.catalog[0]", "aws_apprunner_service", REGION, values)]

    usage = load_usage()["apprunner"]
    [healthy] = estimate_cost(service("256", "512"), load_prices(), load_usage()).lines
    [big] = estimate_cost(service("4 vCPU", "12 GB"), load_prices(), load_usage()).lines
    parts = {c.name: c.quantity for c in big.components}
    assert parts["active vCPU (in use)"] == usage["active_hours"] * 4
    assert parts["provisioned memory while running idle"] == (730 - usage["active_hours"]) * 12  # nothing pauses it
    assert {c.name: c.quantity for c in healthy.components}["active vCPU (in use)"] == usage["active_hours"] * 0.25
    assert big.monthly_usd > 10 * healthy.monthly_usd
    assert plan_sizes(service("1024", "2048")).apprunner_vcpu == 1.0


def test_infracost_calling_the_instance_backed_configuration_free_does_not_hide_it() -> None:
    on_instance = _variant(instance_type="ml.m5.xlarge", initial_instance_count=1, serverless_config=[])
    doc = {
        "version": "0.2",
        "projects": [
            {
                "breakdown": {
                    "resources": [],
                    "freeResources": [
                        {"name": CONFIG, "resourceType": "aws_sagemaker_endpoint_configuration"},
                        {"name": 'aws_sagemaker_model.this["daily-revenue"]', "resourceType": "aws_sagemaker_model"},
                    ],
                }
            }
        ],
        "totalMonthlyCost": "0",
        "summary": {"unsupportedResourceCounts": {"aws_sagemaker_endpoint": 1}},
    }
    estimate = price_the_unpriced(parse_infracost(doc), _ml(on_instance), load_prices(), load_usage())
    assert [u["address"] for u in estimate.unpriced] == [CONFIG]
    assert CONFIG not in [f["address"] for f in estimate.free]
    assert judge_cost(estimate, 20.0, BUDGET).status is Status.ERROR
