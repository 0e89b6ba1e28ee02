"""@STACK-model reads the stack's endpoints in every region its Terraform state uses, not only its own.

SageMaker is regional and endpoint names are per region: a root with a second provider (infra/providers.tf already
has ``aws.use1``) can run an endpoint of the same name, or another name, in another region. It serves and bills as
one in the stack's region, so "every endpoint is serverless" and "every endpoint serves the champion" must hold
there too. The broken stacks: an instance-based endpoint serving version 1 in us-west-2, named as the stack's or
named otherwise and held by its state; the healthy twin: the stack uses us-west-2 for something else, and another
stack's endpoint there is not drawn in.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.model_serving import judge_serverless, judge_version, read_all_served
from lakehouse.ml.local_image import push_mlflow_image
from lakehouse.outcome import Status
from tests.unit.test_model_serving import CHAMPION, REGISTRY, _endpoint, account

__all__ = ["account"]  # the fixture, used by name

WEST = "us-west-2"
NAME = "lakehouse-lh-1-daily-revenue"
#: Version 1's archive in MLflow's image of us-west-2's ECR (SageMaker pulls ECR images of the model's region only).
V1 = {"Image": CHAMPION["Image"].replace(".us-east-1.", f".{WEST}."), "ModelDataUrl": "s3://models/v1/model.tar.gz"}


def _west_endpoint(target: Any, name: str, tags: dict[str, str] | None = None) -> str:
    """An endpoint in us-west-2 on one ml.m5.large instance (billed every hour) serving version 1's archive, in
    MLflow's serving image pushed to us-west-2's ECR."""
    push_mlflow_image(target.client("ecr", region=WEST))
    sm = target.client("sagemaker", region=WEST)
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm", PrimaryContainer=V1)
    variant = {"VariantName": "AllTraffic", "ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(
        EndpointName=name,
        EndpointConfigName=name,
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    return str(sm.describe_endpoint(EndpointName=name)["EndpointArn"])


def _state(*resources: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    """A ``terraform show -json`` state holding the stack's home endpoint and ``resources`` (type, name, values)."""
    home = {
        "address": 'aws_sagemaker_endpoint.this["daily-revenue"]',
        "mode": "managed",
        "type": "aws_sagemaker_endpoint",
        "values": {"name": NAME, "arn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{NAME}"},
    }
    listed = [
        {"address": f"{kind}.{name}", "mode": "managed", "type": kind, "values": values}
        for kind, name, values in resources
    ]
    return {"values": {"root_module": {"resources": [home, *listed]}}}


WEST_ALARM = ("aws_cloudwatch_metric_alarm", "west", {"arn": f"arn:aws:cloudwatch:{WEST}:123456789012:alarm:x"})


@pytest.mark.parametrize("how", ["named-as-the-stacks", "held-by-its-state"])
def test_an_endpoint_of_the_stack_in_another_region_is_judged_there(account: Any, how: str) -> None:
    _endpoint(account, NAME, PrimaryContainer=CHAMPION)  # the stack's own region: serverless, the champion
    if how == "named-as-the-stacks":
        _west_endpoint(account, NAME)  # the same name: names are per region
        name, state = NAME, _state(WEST_ALARM)
    else:
        name = "daily-revenue-west"  # neither the stack's prefix nor its tag: only its state says it is the stack's
        arn = _west_endpoint(account, name)
        state = _state(("aws_sagemaker_endpoint", "west", {"name": name, "arn": arn}))
    served = read_all_served(account, "lakehouse-lh-1", "lh-1", state)
    assert [(s.endpoint, s.region) for s in served] == [(NAME, None), (name, WEST)]
    serverless = judge_serverless(served, 2, 2048, "lh-1")
    assert serverless.status is Status.FAILED
    assert (
        f"endpoint {name} in {WEST}'s configuration {name}, variant AllTraffic runs on instances (1 x ml.m5.large): "
        "it bills every hour, idle or not" in str(serverless.reason)
    )
    version = judge_version(served, REGISTRY, "lh-1")
    assert version.status is Status.FAILED
    assert f"endpoint {name} in {WEST} (config {name}, model {name}) serves daily-revenue version 1" in str(
        version.reason
    )
    assert version.measured == {NAME: "2", f"{name} in {WEST}": "1"}


def test_the_stacks_other_region_without_an_endpoint_of_its_own_passes(account: Any) -> None:
    """The healthy twin: the state uses us-west-2 (an alarm), where only another stack's endpoint runs."""
    _endpoint(account, NAME, PrimaryContainer=CHAMPION)
    _west_endpoint(account, "lakehouse-lh-2-daily-revenue", {"stack_id": "lh-2"})
    _west_endpoint(account, "someone-elses")
    served = read_all_served(account, "lakehouse-lh-1", "lh-1", _state(WEST_ALARM))
    assert [(s.endpoint, s.region) for s in served] == [(NAME, None)]
    assert judge_serverless(served, 2, 2048, "lh-1").passed
    assert judge_version(served, REGISTRY, "lh-1").passed


def test_an_endpoint_the_state_holds_but_sagemaker_no_longer_has_is_not_served(account: Any) -> None:
    """Deleted since the state was written: it serves and bills nothing, so it is not read (not an error)."""
    _endpoint(account, NAME, PrimaryContainer=CHAMPION)
    gone = ("aws_sagemaker_endpoint", "gone", {"name": "gone", "arn": f"arn:aws:sagemaker:{WEST}:1:endpoint/gone"})
    served = read_all_served(account, "lakehouse-lh-1", "lh-1", _state(gone))
    assert [s.endpoint for s in served] == [NAME]
