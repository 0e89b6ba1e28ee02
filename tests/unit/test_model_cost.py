"""The cost KPI prices MLflow -> SageMaker: the serverless endpoint costs 0 idle, a few cents in use."""

from __future__ import annotations

from dataclasses import replace

from lakehouse.kpi.cost import PlannedResource, estimate_cost, load_prices, load_usage

REGION = "ap-northeast-1"
ML = [
    PlannedResource(
        'aws_sagemaker_endpoint.this["daily-revenue"]', "aws_sagemaker_endpoint", REGION, {"endpoint_config_name": "v3"}
    ),
    PlannedResource(
        'aws_sagemaker_endpoint_configuration.this["daily-revenue"]',
        "aws_sagemaker_endpoint_configuration",
        REGION,
        {"name": "v3"},
    ),
    PlannedResource('aws_sagemaker_model.this["daily-revenue"]', "aws_sagemaker_model", REGION),
]


def test_the_endpoint_is_priced_and_its_model_and_config_are_free() -> None:
    estimate = estimate_cost(ML, load_prices(), load_usage())
    assert not estimate.unpriced
    [line] = estimate.lines
    assert line.type == "aws_sagemaker_endpoint" and 0 < line.monthly_usd < 1
    assert {c.name for c in line.components} >= {"serverless compute (0 when idle)", "data processed in and out"}
    assert sorted(f["type"] for f in estimate.free) == ["aws_sagemaker_endpoint_configuration", "aws_sagemaker_model"]


def test_an_idle_serverless_endpoint_costs_only_its_archives() -> None:
    usage = load_usage()
    idle = replace(
        usage, values={**usage.values, "sagemaker": {**usage["sagemaker"], "inferences": 0, "gb_processed": 0}}
    )
    [line] = estimate_cost(ML, load_prices(), idle).lines
    compute = next(c for c in line.components if c.name.startswith("serverless compute"))
    assert compute.monthly_usd == 0
    assert line.monthly_usd < 0.001  # the archives' few MB of S3
