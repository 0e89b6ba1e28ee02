"""Shadow variants in the emulator: kept and answered as AWS does (moto drops them), so the check sees them locally.

A configuration's ShadowProductionVariants are hosted beside its production variant and sent a copy of its
traffic; on instances they bill every hour. DescribeEndpointConfig and DescribeEndpoint answer them; InvokeEndpoint
still answers the production variant's prediction (a shadow's answers are not returned).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lakehouse.checks.model_serving import invoke, judge_serverless, read_served
from lakehouse.outcome import Status
from lakehouse.target import local_target
from tests.emulator.test_sagemaker_ext import SERVERLESS, _deploy, archives, clients

__all__ = ["archives", "clients"]  # fixtures, used by name


@pytest.mark.parametrize(
    ("shadow", "passed"),
    [({"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}, False), ({"ServerlessConfig": SERVERLESS}, True)],
    ids=["shadow-on-an-instance", "serverless-shadow"],
)
def test_a_shadow_variant_is_described_and_judged_as_it_is_hosted(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any, shadow: dict[str, Any], passed: bool
) -> None:
    sm, s3, _ = clients
    model = _deploy(sm, s3, archives["v2"], f"model-{uuid.uuid4().hex[:6]}")
    assert "ShadowProductionVariants" not in sm.describe_endpoint_config(EndpointConfigName=model)  # none made
    name = f"ep-{uuid.uuid4().hex[:6]}"
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, "ServerlessConfig": SERVERLESS}],
        ShadowProductionVariants=[{"VariantName": "Shadow", "ModelName": model, **shadow}],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    [stated] = sm.describe_endpoint_config(EndpointConfigName=name)["ShadowProductionVariants"]
    assert (stated["VariantName"], stated.get("InstanceType")) == ("Shadow", shadow.get("InstanceType"))
    [hosted] = sm.describe_endpoint(EndpointName=name)["ShadowProductionVariants"]
    assert hosted.get("CurrentInstanceCount") == shadow.get("InitialInstanceCount")
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([100.0])  # the production variant answers
    outcome = judge_serverless([read_served(target, name)], 2, 2048, "s")
    assert outcome.passed is passed, outcome.reason
    if not passed:
        assert outcome.status is Status.FAILED
        assert f"configuration {name}, shadow variant Shadow runs on instances (1 x ml.m5.large)" in str(outcome.reason)
