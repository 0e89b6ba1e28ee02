"""The model release reads each endpoint back in its own region: endpoint names are per region.

SageMaker is regional, so a stack deploying the model in two regions (a module with an aliased provider) has two
endpoints of one name. The release keyed what Terraform applied by endpoint name and read only the stack's region:
the two collapsed into one, and an update SageMaker rolled back in the other region (the endpoint there still on the
previous configuration) passed the release. The broken stack: its us-west-2 endpoint still runs v1 after the apply
of v2; the healthy twin: both run v2. moto in-process stands in for SageMaker and S3 of both regions.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from lakehouse.ml import deploy
from lakehouse.ml.deploy import ModelRelease, read_back_rollouts, release_model
from lakehouse.outcome import Outcome, Status
from lakehouse.stack import Deployment
from lakehouse.target import Target
from lakehouse.terraform import ApplyResult

HOME, WEST = "ap-northeast-1", "us-west-2"
ACCOUNT = "123456789012"  # moto's default account
ENDPOINT = "lakehouse-s1-daily-revenue"
V1, V2 = f"{ENDPOINT}-v1", f"{ENDPOINT}-v2"
BUCKET = f"lakehouse-s1-ml-artifacts-{ACCOUNT}"
URL = f"s3://{BUCKET}/sagemaker/daily-revenue/v2/model.tar.gz"
IMAGE = f"{ACCOUNT}.dkr.ecr.{HOME}.amazonaws.com/mlflow-pyfunc:3.18.0"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/lakehouse-s1-sagemaker"


def _serve(target: Target, region: str, configs: list[str], running: str) -> None:
    """A model and an endpoint configuration per name in ``configs``, and the endpoint on ``running``."""
    sm = target.client("sagemaker", region=region)
    for name in configs:
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE, "ModelDataUrl": URL})
        variant = {"VariantName": "AllTraffic", "ModelName": name}
        serverless = {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2}}
        sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{**variant, **serverless}])
    sm.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=running)


def _resources(region: str, module: str = "") -> list[dict[str, Any]]:
    """The state's endpoint and the configuration applied for it (v2), in ``region`` (their ARNs say)."""
    arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}"
    return [
        {
            "mode": "managed",
            "type": kind,
            "address": f'{module}{kind}.this["daily-revenue"]',
            "index": "daily-revenue",
            "values": {"name": name, "arn": f"{arn}:{what}/{name}", **extra},
        }
        for kind, name, what, extra in [
            ("aws_sagemaker_endpoint", ENDPOINT, "endpoint", {"endpoint_config_name": V2}),
            ("aws_sagemaker_endpoint_configuration", V2, "endpoint-config", {}),
        ]
    ]


def _deployment(target: Target, tmp_path: Path) -> Deployment:
    """A stack whose apply of v2 succeeded, with an endpoint in its own region and one in us-west-2."""
    state = {"values": {"root_module": {"resources": _resources(HOME) + _resources(WEST, "module.west.")}}}
    outputs = {"ml_bucket_name": BUCKET, "athena_workgroup_name": "wg", "glue_database_names": {"gold": "gold"}}
    (tmp_path / "infra").mkdir()
    stack = SimpleNamespace(
        stack_id="s1",
        dir=tmp_path,
        root=tmp_path / "infra",
        record_path=tmp_path / "record.json",
        tf=SimpleNamespace(apply=lambda on_line=None, refresh=True: ApplyResult(wall_s=1.0)),
        target=target,
        state=lambda: state,
        outputs=lambda: dict(outputs),
    )
    return cast(
        Deployment, SimpleNamespace(stack=stack, record=SimpleNamespace(outputs=dict(outputs), save=lambda path: None))
    )


@pytest.fixture
def target(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Target:
    """The stack's account in moto, its model bucket made; training registers v2 without running."""
    found = Target(name="aws", region=HOME)
    found.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": HOME})
    registered = {"model_name": "daily-revenue", "version": "2", "model_data_url": URL, "run_id": "run-two"}
    monkeypatch.setattr(deploy, "train_and_register", lambda deployment, uri, timeout_s=600: dict(registered))
    return found


def test_an_update_rolled_back_in_the_stacks_other_region_fails_the_release_naming_it(
    target: Target, tmp_path: Path
) -> None:
    _serve(target, HOME, [V2], running=V2)
    _serve(target, WEST, [V1, V2], running=V1)  # SageMaker rolled the update back there
    outcome = release_model(_deployment(target, tmp_path), "http://127.0.0.1:5000")
    assert isinstance(outcome, Outcome) and outcome.status is Status.FAILED, outcome
    assert outcome.reason == (
        "releasing model version 2: the apply reported success, but SageMaker did not deploy it: endpoint "
        f"{ENDPOINT} in {WEST} still runs configuration {V1}, not {V2} as Terraform applied: SageMaker rolled the "
        "update back (no FailureReason given), and the provider reported success"
    )
    assert outcome.measured == {
        ENDPOINT: {"status": "InService", "endpoint_config": V2},
        f"{ENDPOINT} in {WEST}": {"status": "InService", "endpoint_config": V1},
    }


def test_both_regions_running_what_was_applied_release(target: Target, tmp_path: Path) -> None:
    """The healthy twin: the same two endpoints, each on v2 in its region, each read there."""
    _serve(target, HOME, [V2], running=V2)
    _serve(target, WEST, [V1, V2], running=V2)
    deployment = _deployment(target, tmp_path)
    assert [(r.region, r.endpoint, r.stated_config, r.running_config) for r in read_back_rollouts(deployment)] == [
        (None, ENDPOINT, V2, V2),
        (WEST, ENDPOINT, V2, V2),
    ]
    release = release_model(deployment, "http://127.0.0.1:5000")
    assert isinstance(release, ModelRelease) and release.apply_ok, release
