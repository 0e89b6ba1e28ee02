"""@STACK-model attacked as a whole stack: what an endpoint hosts beside its production variant, and endpoints the
stack tags but names otherwise. Read through SageMaker (moto) as the scenario reads it, then judged."""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.model_serving import judge_serverless, judge_version, read_all_served, read_served
from lakehouse.outcome import Status
from tests.unit.test_model_serving import CHAMPION, REGISTRY, _backend_endpoint, _endpoint, account

__all__ = ["account"]  # the fixture, used by name

INSTANCES = {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}


def _shadowed(target: Any, name: str, shadow: dict[str, Any], running: dict[str, Any]) -> str:
    """An endpoint whose configuration also hosts a shadow variant of the same model. moto drops
    ShadowProductionVariants (CreateEndpointConfig), so they are put on its records, which DescribeEndpointConfig
    and DescribeEndpoint answer from, as AWS answers them."""
    from moto.sagemaker.models import sagemaker_backends

    _endpoint(target, name, PrimaryContainer=CHAMPION)
    backend = sagemaker_backends["123456789012"]["us-east-1"]
    backend.endpoint_configs[name].shadow_production_variants = [  # type: ignore[attr-defined]
        {"VariantName": "Shadow", "ModelName": name, **shadow}
    ]
    _backend_endpoint(name).shadow_production_variants = [{"VariantName": "Shadow", **running}]
    return name


def test_a_shadow_variant_on_instances_bills_idle_and_fails_naming_it(account: Any) -> None:
    """A shadow variant is hosted beside the serverless production variant and sent a copy of its traffic: on
    instances it bills every hour though the production variant is serverless."""
    name = _shadowed(account, "shadowed", INSTANCES, {"CurrentInstanceCount": 1, "DesiredInstanceCount": 1})
    served = read_served(account, name)
    assert judge_version([served], REGISTRY, "s1").passed  # the production variant serves the champion
    outcome = judge_serverless([served], 2, 2048, "s1")
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    assert (
        "endpoint shadowed's configuration shadowed, shadow variant Shadow runs on instances (1 x ml.m5.large): "
        "it bills every hour, idle or not (no ServerlessConfig)" in reason
    )
    assert "endpoint shadowed's shadow variant Shadow as it runs (DescribeEndpoint) runs 1 instance(s)" in reason
    assert outcome.measured["shadowed/Shadow"] == {"InstanceType": "ml.m5.large"}


@pytest.mark.parametrize(
    ("serverless", "passed", "culprit"),
    [
        ({"MaxConcurrency": 2, "MemorySizeInMB": 2048}, True, ""),
        (
            {"MaxConcurrency": 2, "MemorySizeInMB": 2048, "ProvisionedConcurrency": 1},
            False,
            "shadow variant Shadow: ProvisionedConcurrency 1 keeps warm capacity billed every hour",
        ),
        ({"MaxConcurrency": 50, "MemorySizeInMB": 2048}, False, "shadow variant Shadow: MaxConcurrency 50 is above"),
    ],
    ids=["serverless-shadow-within-the-caps", "provisioned-shadow", "shadow-above-the-caps"],
)
def test_a_serverless_shadow_variant_is_held_to_the_same_caps(
    account: Any, serverless: dict[str, Any], passed: bool, culprit: str
) -> None:
    name = _shadowed(account, "shadow", {"ServerlessConfig": serverless}, {"CurrentServerlessConfig": serverless})
    outcome = judge_serverless([read_served(account, name)], 2, 2048, "s1")
    assert outcome.passed is passed, outcome.reason
    assert culprit in str(outcome.reason)


# -- endpoints the stack tags but names otherwise ---------------------------------------------------------------


def _tag(target: Any, name: str, stack_id: str) -> None:
    sm = target.client("sagemaker")
    arn = sm.describe_endpoint(EndpointName=name)["EndpointArn"]
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stack_id", "Value": stack_id}])


def _instance_endpoint(target: Any, name: str, model: dict[str, Any]) -> str:
    """An endpoint on one ml.m5.large instance (it bills every hour, idle or not)."""
    sm = target.client("sagemaker")
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm", PrimaryContainer=model)
    variant = {"VariantName": "AllTraffic", "ModelName": name, **INSTANCES}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


def test_an_endpoint_the_stack_tags_but_names_otherwise_is_judged(account: Any) -> None:
    """The stack's serverless endpoint is named with its prefix; a second one it deploys (its default_tags carry
    stack_id) is named otherwise, on an instance, serving version 1: it serves and bills all the same."""
    _tag(account, _endpoint(account, "lakehouse-lh-1-daily-revenue", PrimaryContainer=CHAMPION), "lh-1")
    old = {**CHAMPION, "ModelDataUrl": "s3://models/v1/model.tar.gz"}
    _tag(account, _instance_endpoint(account, "daily-revenue-canary", old), "lh-1")
    served = read_all_served(account, "lakehouse-lh-1", "lh-1")
    assert [s.endpoint for s in served] == ["daily-revenue-canary", "lakehouse-lh-1-daily-revenue"]
    version = judge_version(served, REGISTRY, "lh-1")
    assert version.status is Status.FAILED
    assert str(version.reason).startswith(
        "endpoint daily-revenue-canary (config daily-revenue-canary, model daily-revenue-canary) serves daily-revenue "
        "version 1 (s3://models/v1/model.tar.gz), but the registry's champion is version 2"
    )
    serverless = judge_serverless(served, 2, 2048, "lh-1")
    assert serverless.status is Status.FAILED
    assert str(serverless.reason).startswith(
        "endpoint daily-revenue-canary's configuration daily-revenue-canary, variant AllTraffic runs on instances "
        "(1 x ml.m5.large)"
    )


def test_endpoints_of_other_stacks_or_of_no_stack_named_otherwise_are_not_the_stacks(account: Any) -> None:
    """The healthy twin: only the stack's tag draws in an endpoint named otherwise."""
    _tag(account, _endpoint(account, "lakehouse-lh-1-daily-revenue", PrimaryContainer=CHAMPION), "lh-1")
    _tag(account, _instance_endpoint(account, "someone-elses", CHAMPION), "lh-2")
    _instance_endpoint(account, "untagged-elsewhere", CHAMPION)
    served = read_all_served(account, "lakehouse-lh-1", "lh-1")
    assert [s.endpoint for s in served] == ["lakehouse-lh-1-daily-revenue"]
    assert judge_version(served, REGISTRY, "lh-1").passed
    assert judge_serverless(served, 2, 2048, "lh-1").passed
