"""Shadow variants in the emulator: kept and answered as AWS does (moto drops them), refused where AWS refuses them.

A configuration's ShadowProductionVariants are hosted beside its production variant and sent a copy of its
traffic; on instances they bill every hour. DescribeEndpointConfig and DescribeEndpoint answer them; InvokeEndpoint
still answers the production variant's prediction (a shadow's answers are not returned). Serverless inference is
among shadow tests' documented exclusions (shadow-tests-exclusions.html: the request "will lead to validation
errors"), and CreateEndpointConfig's reference allows one production and one shadow variant with them: moto took
both, so a serverless endpoint with a shadow, which AWS cannot host, deployed locally.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.model_serving import invoke, judge_serverless, read_served
from lakehouse.outcome import Status
from lakehouse.target import local_target
from tests.emulator.test_sagemaker_ext import MLFLOW_IMAGE, ROLE, SERVERLESS, _deploy, archives, clients

__all__ = ["archives", "clients"]  # fixtures, used by name

INSTANCES = {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


def test_a_shadow_variant_is_described_and_judged_as_it_is_hosted(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """The healthy twin of the refusals below: the configuration AWS takes (one production and one shadow variant,
    on instances) is made, described and served; the check fails it for both variants' instances."""
    sm, s3, _ = clients
    model = _deploy(sm, s3, archives["v2"], f"model-{uuid.uuid4().hex[:6]}", INSTANCES)
    assert "ShadowProductionVariants" not in sm.describe_endpoint_config(EndpointConfigName=model)  # none made
    name = f"ep-{uuid.uuid4().hex[:6]}"
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": model, **INSTANCES}],
        ShadowProductionVariants=[{"VariantName": "Shadow", "ModelName": model, **INSTANCES}],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    [stated] = sm.describe_endpoint_config(EndpointConfigName=name)["ShadowProductionVariants"]
    assert (stated["VariantName"], stated.get("InstanceType")) == ("Shadow", "ml.m5.large")
    [hosted] = sm.describe_endpoint(EndpointName=name)["ShadowProductionVariants"]
    assert hosted.get("CurrentInstanceCount") == 1
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([100.0])  # the production variant answers
    outcome = judge_serverless([read_served(target, name)], 2, 2048, "s")
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"configuration {name}, shadow variant Shadow runs on instances (1 x ml.m5.large)" in str(outcome.reason)


@pytest.mark.parametrize(
    ("production", "shadows", "refused"),
    [
        ([{"ServerlessConfig": SERVERLESS}], [INSTANCES], "serverless production variant A"),
        (
            [{"ServerlessConfig": SERVERLESS}],
            [{"ServerlessConfig": SERVERLESS}],
            "serverless production variant A, shadow variant S0",
        ),
        ([INSTANCES], [{"ServerlessConfig": SERVERLESS}], "serverless shadow variant S0"),
        ([INSTANCES, INSTANCES], [INSTANCES], "has 2 production and 1 shadow"),
        ([INSTANCES], [INSTANCES, INSTANCES], "has 1 production and 2 shadow"),
    ],
    ids=["serverless-production", "both-serverless", "serverless-shadow", "two-production", "two-shadows"],
)
def test_what_aws_refuses_with_shadow_variants_is_refused(
    clients: tuple[Any, Any, Any], production: list[dict[str, Any]], shadows: list[dict[str, Any]], refused: str
) -> None:
    """A serverless variant (production or shadow) beside shadow variants, or more than one of either, is a
    ValidationException, and nothing is made: a root asking for one fails on AWS, so it fails here."""
    sm, _, _ = clients
    name = f"shadowed-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    variants = [{"VariantName": chr(ord("A") + i), "ModelName": name, **v} for i, v in enumerate(production)]
    shadowed = [{"VariantName": f"S{i}", "ModelName": name, **v} for i, v in enumerate(shadows)]
    with pytest.raises(ClientError) as err:
        sm.create_endpoint_config(
            EndpointConfigName=name, ProductionVariants=variants, ShadowProductionVariants=shadowed
        )
    assert err.value.response["Error"]["Code"] == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert f"endpoint configuration {name}" in message and refused in message, message
    if "serverless" in refused:
        assert message.startswith("Serverless Inference does not support shadow variants"), message
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.describe_endpoint_config(EndpointConfigName=name)  # nothing was made
