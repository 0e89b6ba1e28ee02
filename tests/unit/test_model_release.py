"""The model release (lakehouse.ml.deploy) ends @STACK-model ``failed`` when the stack is why, ``error`` when not.

Each cause is built on a stand-in stack: Terraform's apply and state, and SageMaker's and S3's answers, as they
come back in each case (the FailureReason texts are the emulator's, which follow AWS's). The training process is
replaced by what it registers, except where its own failure is the case.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from lakehouse.ml import deploy
from lakehouse.ml.deploy import MODEL_STOPWATCH_FILE, ModelRelease, release_model
from lakehouse.outcome import Outcome, Status
from lakehouse.stack import Deployment
from lakehouse.terraform import ApplyResult, TerraformError

STACK = "s1"
ENDPOINT = "lakehouse-s1-daily-revenue"
V1, V2 = f"{ENDPOINT}-v1", f"{ENDPOINT}-v2"
URL = "s3://lakehouse-s1-ml-artifacts-123456789012/sagemaker/daily-revenue/v2/model.tar.gz"
DOWNLOAD_FAILED = f'Failed to download model data for container "container_1" from URL: "{URL}".'
PROVIDER_FAILED = (
    f"waiting for SageMaker AI Endpoint ({ENDPOINT}) create: unexpected state 'Failed', wanted target 'InService'. "
    f"last error: {DOWNLOAD_FAILED}"
)
REGISTERED = {"model_name": "daily-revenue", "version": "2", "model_data_url": URL, "run_id": "run-two"}
TRACKING = "http://127.0.0.1:5000"


def _client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class _Pages:
    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages

    def paginate(self, **_: Any) -> list[dict[str, Any]]:
        return self.pages


@dataclass
class FakeSageMaker:
    """DescribeEndpoint, ListEndpoints and ListTags over endpoints as SageMaker describes them."""

    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What DescribeEndpoint raises instead of answering (an API the harness cannot reach).
    raises: Exception | None = None

    def describe_endpoint(self, EndpointName: str) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        if self.raises is not None:
            raise self.raises
        if EndpointName not in self.endpoints:
            raise _client_error("ValidationException", f'Could not find endpoint "{EndpointName}".', "DescribeEndpoint")
        return {
            "EndpointName": EndpointName,
            "EndpointArn": f"arn:endpoint/{EndpointName}",
            **self.endpoints[EndpointName],
        }

    def list_endpoints(self, NameContains: str, **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        return {"Endpoints": [{"EndpointName": n} for n in sorted(self.endpoints) if NameContains in n]}

    def get_paginator(self, operation: str) -> _Pages:
        if operation == "list_endpoints":  # every endpoint of the account (the stack's tag draws in any name)
            endpoints = [{"EndpointName": n, "EndpointArn": f"arn:endpoint/{n}"} for n in sorted(self.endpoints)]
            return _Pages([{"Endpoints": endpoints}])
        assert operation == "list_tags"
        return _Pages([{"Tags": [{"Key": "stack_id", "Value": STACK}]}])


@dataclass
class FakeS3:
    """HeadBucket: the buckets that exist, or the error it answers."""

    buckets: set[str] = field(default_factory=set)
    raises: Exception | None = None

    def head_bucket(self, Bucket: str) -> dict[str, Any]:  # noqa: N803 - boto3's keyword
        if self.raises is not None:
            raise self.raises
        if Bucket not in self.buckets:
            raise _client_error("404", "Not Found", "HeadBucket")
        return {}


@dataclass
class FakeTarget:
    sagemaker: FakeSageMaker
    s3: FakeS3
    is_local: bool = True
    region: str = "ap-northeast-1"

    def client(self, service: str, region: str | None = None) -> Any:
        assert region in (None, self.region)  # the stack's state puts nothing in another region
        return {"sagemaker": self.sagemaker, "s3": self.s3}[service]

    def env(self) -> dict[str, str]:
        return {}

    def configured_endpoint(self, service: str) -> str | None:
        return None


@dataclass
class FakeTerraform:
    """The apply's result and the state it leaves."""

    result: ApplyResult
    state: dict[str, Any]
    state_raises: bool = False
    #: Whether each apply refreshed the state first (``-refresh=false`` when not).
    refreshed: list[bool] = field(default_factory=list)

    def apply(self, on_line: Any = None, refresh: bool = True) -> ApplyResult:
        self.refreshed.append(refresh)
        return self.result


def _state(applied: str, recorded: str | None = None, tainted: bool = False) -> dict[str, Any]:
    """The state after the apply: the configuration applied, and the endpoint with the configuration the provider
    recorded for it (``recorded``: after an update it reads the endpoint back, so a rolled-back one records v1)."""
    endpoint = {
        "mode": "managed",
        "type": "aws_sagemaker_endpoint",
        "address": 'aws_sagemaker_endpoint.this["daily-revenue"]',
        "index": "daily-revenue",
        "values": {"name": ENDPOINT, "endpoint_config_name": recorded or applied},
        **({"tainted": True} if tainted else {}),
    }
    config = {
        "mode": "managed",
        "type": "aws_sagemaker_endpoint_configuration",
        "address": 'aws_sagemaker_endpoint_configuration.this["daily-revenue"]',
        "index": "daily-revenue",
        "values": {"name": applied},
    }
    return {"values": {"root_module": {"resources": [endpoint, config]}}}


def _stack(
    tmp_path: Path,
    sagemaker: FakeSageMaker,
    apply: ApplyResult | None = None,
    state: dict[str, Any] | None = None,
    s3: FakeS3 | None = None,
    outputs: dict[str, Any] | None = None,
    state_raises: bool = False,
) -> Deployment:
    """A deployment whose apply, state, SageMaker and S3 answer as given (by default: a healthy release of v2)."""
    bucket = URL[5:].split("/")[0]
    recorded = (
        outputs
        if outputs is not None
        else {
            "ml_bucket_name": bucket,
            "athena_workgroup_name": "wg",
            "glue_database_names": {"gold": "gold"},
        }
    )
    tf = FakeTerraform(apply or ApplyResult(wall_s=1.0), state if state is not None else _state(V2), state_raises)
    (tmp_path / "infra").mkdir(exist_ok=True)

    def read_state() -> dict[str, Any]:
        if tf.state_raises:
            raise TerraformError("show", 1, ["Error acquiring the state lock"], None)
        return tf.state

    stack = SimpleNamespace(
        stack_id=STACK,
        dir=tmp_path,
        root=tmp_path / "infra",
        record_path=tmp_path / "record.json",
        tf=tf,
        target=FakeTarget(sagemaker, s3 if s3 is not None else FakeS3({bucket})),
        state=read_state,
        outputs=lambda: dict(recorded),
    )
    record = SimpleNamespace(outputs=dict(recorded), save=lambda path: None)
    return cast(Deployment, SimpleNamespace(stack=stack, record=record))


@pytest.fixture
def trained(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Training registers version 2 without running the process (the bucket is still read back first); pushing
    MLflow's serving image to the local ECR is recorded, not made (``tests.unit.test_model_serving``'s ``account``
    pushes it to moto's). The stack ids pushed for, in order."""
    pushed: list[str] = []

    def train(deployment: Deployment, tracking_uri: str | None, timeout_s: float = 600) -> dict[str, Any]:
        deploy.model_bucket(deployment)
        return dict(REGISTERED)

    def push(deployment: Deployment) -> str:
        assert cast(FakeTerraform, deployment.stack.tf).refreshed == []  # before the apply that deploys the model
        pushed.append(deployment.stack.stack_id)
        return "sha256:" + "0" * 64

    monkeypatch.setattr(deploy, "train_and_register", train)
    monkeypatch.setattr(deploy, "push_local_image", push)
    return pushed


def _failed(outcome: ModelRelease | Outcome) -> Outcome:
    assert isinstance(outcome, Outcome), outcome
    assert outcome.status is Status.FAILED, (outcome.status, outcome.reason)
    assert outcome.reason is not None
    return outcome


def _error(outcome: ModelRelease | Outcome) -> Outcome:
    assert isinstance(outcome, Outcome), outcome
    assert outcome.status is Status.ERROR, (outcome.status, outcome.reason)
    assert outcome.reason is not None
    return outcome


# -- healthy ----------------------------------------------------------------------------------------------------------


def test_a_release_serving_the_applied_configuration_is_made_and_recorded(tmp_path: Path, trained: list[str]) -> None:
    sagemaker = FakeSageMaker({ENDPOINT: {"EndpointStatus": "InService", "EndpointConfigName": V2}})
    release = release_model(_stack(tmp_path, sagemaker), TRACKING)
    assert isinstance(release, ModelRelease) and release.apply_ok and release.version == "2"
    assert trained == [STACK]  # the local release pushed MLflow's serving image first, as the user does on aws
    assert json.loads((tmp_path / MODEL_STOPWATCH_FILE).read_text())["registered"] == REGISTERED


# -- the release's apply refreshes only when an endpoint is not as the last apply left it -----------------------------


def _refreshed(deployment: Deployment) -> list[bool]:
    return list(cast(FakeTerraform, deployment.stack.tf).refreshed)


def test_the_first_release_applies_without_refreshing_the_stack_applied_before(tmp_path: Path, trained: None) -> None:
    """No endpoint recorded (the output is absent while null) and none of the stack in SageMaker: nothing the new
    version's create rests on can have drifted, so the ~75 other resources are not read back first."""
    sagemaker = FakeSageMaker()
    deployment = _stack(tmp_path, sagemaker)
    assert deploy.unsettled_endpoints(deployment) == []
    sagemaker.endpoints[ENDPOINT] = {"EndpointStatus": "InService", "EndpointConfigName": V2}
    assert isinstance(release_model(deployment, TRACKING), ModelRelease)  # SageMaker after the apply: serving v2
    assert _refreshed(deployment) == [False]


def test_a_later_release_updating_a_serving_endpoint_does_not_refresh(tmp_path: Path, trained: None) -> None:
    sagemaker = FakeSageMaker({ENDPOINT: {"EndpointStatus": "InService", "EndpointConfigName": V1}})
    deployment = _stack(tmp_path, sagemaker)
    deployment.record.outputs["model_endpoint_name"] = ENDPOINT
    assert deploy.unsettled_endpoints(deployment) == []
    sagemaker.endpoints[ENDPOINT]["EndpointConfigName"] = V2  # the update the apply makes
    assert isinstance(release_model(deployment, TRACKING), ModelRelease)
    assert _refreshed(deployment) == [False]


def test_an_endpoint_the_last_apply_recorded_but_sagemaker_lacks_makes_the_apply_refresh(
    tmp_path: Path, trained: None
) -> None:
    """Deleted by hand: refreshed, Terraform creates it again, as it always did (unrefreshed it would update it)."""
    deployment = _stack(tmp_path, FakeSageMaker())
    deployment.record.outputs["model_endpoint_name"] = ENDPOINT
    [why] = deploy.unsettled_endpoints(deployment)
    assert why == f"endpoint {ENDPOINT}, which Terraform's state records, does not exist in SageMaker"
    release_model(deployment, TRACKING)
    assert _refreshed(deployment) == [True]


def test_an_endpoint_of_the_stack_that_is_not_serving_makes_the_apply_refresh(tmp_path: Path, trained: None) -> None:
    """A create that ended Failed (the apply that made it failed, so the outputs never named it) is found by name."""
    failed = {"EndpointStatus": "Failed", "EndpointConfigName": V1, "FailureReason": DOWNLOAD_FAILED}
    deployment = _stack(tmp_path, FakeSageMaker({ENDPOINT: failed}))
    [why] = deploy.unsettled_endpoints(deployment)
    assert why.startswith(f"endpoint {ENDPOINT} is Failed, not InService")
    release_model(deployment, TRACKING)
    assert _refreshed(deployment) == [True]


def test_endpoints_that_cannot_be_read_before_the_apply_make_it_refresh(tmp_path: Path) -> None:
    raised = _client_error("ThrottlingException", "Rate exceeded", "ListEndpoints")
    deployment = _stack(tmp_path, FakeSageMaker(raises=raised))
    deployment.record.outputs["model_endpoint_name"] = ENDPOINT
    [why] = deploy.unsettled_endpoints(deployment)
    assert why.startswith("the stack's endpoints could not be read: ") and "Rate exceeded" in why


# -- the stack is why: failed -----------------------------------------------------------------------------------------


def test_an_endpoint_sagemaker_could_not_create_fails_naming_it_and_its_failure_reason(
    tmp_path: Path, trained: None
) -> None:
    """CreateEndpoint ends Failed: the apply fails with the provider's diagnostic, the endpoint is read back."""
    sagemaker = FakeSageMaker(
        {ENDPOINT: {"EndpointStatus": "Failed", "EndpointConfigName": V2, "FailureReason": DOWNLOAD_FAILED}}
    )
    failed_apply = ApplyResult(wall_s=1.0, diagnostics=[PROVIDER_FAILED], returncode=1)
    outcome = _failed(release_model(_stack(tmp_path, sagemaker, failed_apply, _state(V2, tainted=True)), TRACKING))
    reason = str(outcome.reason)
    assert reason.startswith("releasing model version 2: the apply failed and SageMaker did not deploy it: ")
    assert f"endpoint {ENDPOINT} is Failed, not InService (FailureReason: {DOWNLOAD_FAILED})" in reason
    assert outcome.measured == {ENDPOINT: {"status": "Failed", "endpoint_config": V2}}
    [endpoint] = outcome.details["endpoints"]
    assert endpoint["failure_reason"] == DOWNLOAD_FAILED and endpoint["stated_config"] == V2
    assert outcome.details["apply_diagnostics"] == [PROVIDER_FAILED]
    assert outcome.details["registered"] == REGISTERED  # the version trained and registered, not served


def test_a_failed_create_the_state_does_not_record_is_found_by_the_stacks_name(tmp_path: Path, trained: None) -> None:
    """The endpoint is listed by the stack's name prefix too, so an empty state does not hide it."""
    sagemaker = FakeSageMaker(
        {ENDPOINT: {"EndpointStatus": "Failed", "EndpointConfigName": V2, "FailureReason": DOWNLOAD_FAILED}}
    )
    failed_apply = ApplyResult(wall_s=1.0, diagnostics=[PROVIDER_FAILED], returncode=1)
    outcome = _failed(release_model(_stack(tmp_path, sagemaker, failed_apply, {}), TRACKING))
    assert f"endpoint {ENDPOINT} is Failed" in str(outcome.reason) and DOWNLOAD_FAILED in str(outcome.reason)


def test_an_update_sagemaker_rolled_back_fails_naming_the_configuration_still_running(
    tmp_path: Path, trained: None
) -> None:
    """The provider reports success; DescribeEndpoint shows the previous configuration and the FailureReason."""
    sagemaker = FakeSageMaker(
        {ENDPOINT: {"EndpointStatus": "InService", "EndpointConfigName": V1, "FailureReason": DOWNLOAD_FAILED}}
    )
    outcome = _failed(release_model(_stack(tmp_path, sagemaker, state=_state(V2, recorded=V1)), TRACKING))
    reason = str(outcome.reason)
    assert reason.startswith("releasing model version 2: the apply reported success, but SageMaker did not deploy it")
    assert f"endpoint {ENDPOINT} still runs configuration {V1}, not {V2} as Terraform applied" in reason
    assert DOWNLOAD_FAILED in reason
    assert outcome.measured == {ENDPOINT: {"status": "InService", "endpoint_config": V1}}
    assert "apply_diagnostics" not in outcome.details
    assert not (tmp_path / MODEL_STOPWATCH_FILE).exists()  # a release that did not deploy is not recorded


def test_an_endpoint_the_state_records_that_sagemaker_does_not_have_fails(tmp_path: Path, trained: None) -> None:
    outcome = _failed(release_model(_stack(tmp_path, FakeSageMaker()), TRACKING))
    assert f"endpoint {ENDPOINT}, which Terraform's state records, does not exist in SageMaker" in str(outcome.reason)


def test_a_stack_without_a_model_bucket_fails(tmp_path: Path) -> None:
    outputs = {"ml_bucket_name": None, "athena_workgroup_name": "wg", "glue_database_names": {"gold": "gold"}}
    outcome = _failed(release_model(_stack(tmp_path, FakeSageMaker(), outputs=outputs), TRACKING))
    assert f"stack {STACK} has no model bucket" in str(outcome.reason) and "ml_enabled = false" in str(outcome.reason)


def test_a_model_bucket_named_but_gone_from_s3_fails(tmp_path: Path) -> None:
    outcome = _failed(release_model(_stack(tmp_path, FakeSageMaker(), s3=FakeS3()), TRACKING))
    bucket = URL[5:].split("/")[0]
    assert f"model bucket {bucket} (output ml_bucket_name) does not exist in S3" in str(outcome.reason)


def test_the_bucket_is_judged_before_the_tracking_server_is_asked_for(tmp_path: Path) -> None:
    """A stack without its bucket is broken whether or not the harness was told where MLflow is."""
    outputs = {"ml_bucket_name": None, "athena_workgroup_name": "wg", "glue_database_names": {"gold": "gold"}}
    _failed(release_model(_stack(tmp_path, FakeSageMaker(), outputs=outputs), None))


# -- the harness is why: error ----------------------------------------------------------------------------------------


def test_no_tracking_server_named_is_an_error_saying_what_to_set(tmp_path: Path) -> None:
    """The local stack's server is the harness's own, the aws one the user's to name: no stack API lacks it."""
    outcome = _error(release_model(_stack(tmp_path, FakeSageMaker()), None))
    assert "has no MLflow tracking server (set MLFLOW_TRACKING_URI or --mlflow-url)" in str(outcome.reason)


def test_a_failed_apply_with_every_endpoint_healthy_is_an_error_naming_the_diagnostics(
    tmp_path: Path, trained: None
) -> None:
    sagemaker = FakeSageMaker({ENDPOINT: {"EndpointStatus": "InService", "EndpointConfigName": V2}})
    lock = "Error acquiring the state lock: resource temporarily unavailable"
    outcome = _error(release_model(_stack(tmp_path, sagemaker, ApplyResult(1.0, [], [lock], 1)), TRACKING))
    assert "applying model version 2 failed, every endpoint of the stack healthy: " + lock == outcome.reason
    assert outcome.details["apply_diagnostics"] == [lock]


@pytest.mark.parametrize(
    "raised",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        _client_error("ThrottlingException", "Rate exceeded", "DescribeEndpoint"),
    ],
    ids=["unreachable", "throttled"],
)
def test_endpoints_that_cannot_be_read_back_are_an_error(tmp_path: Path, trained: None, raised: Exception) -> None:
    failed_apply = ApplyResult(wall_s=1.0, diagnostics=[PROVIDER_FAILED], returncode=1)
    outcome = _error(release_model(_stack(tmp_path, FakeSageMaker(raises=raised), failed_apply), TRACKING))
    assert str(outcome.reason).startswith("reading the stack's endpoints back after applying model version 2 failed")
    assert PROVIDER_FAILED in str(outcome.reason)


def test_a_state_that_cannot_be_read_back_is_an_error(tmp_path: Path, trained: None) -> None:
    sagemaker = FakeSageMaker({ENDPOINT: {"EndpointStatus": "InService", "EndpointConfigName": V2}})
    outcome = _error(release_model(_stack(tmp_path, sagemaker, state_raises=True), TRACKING))
    assert "terraform show failed: Error acquiring the state lock" in str(outcome.reason)


def test_a_model_bucket_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    denied = FakeS3(raises=_client_error("403", "Forbidden", "HeadBucket"))
    outcome = _error(release_model(_stack(tmp_path, FakeSageMaker(), s3=denied), TRACKING))
    assert "model bucket" in str(outcome.reason) and "Forbidden" in str(outcome.reason)


def test_a_training_process_that_fails_is_an_error_naming_its_last_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def run(args: list[str], stderr: Any, **_: Any) -> subprocess.CompletedProcess[str]:
        stderr.write("Traceback (most recent call last):\n  ...\nRuntimeError: reading Gold failed: no such table\n")
        return subprocess.CompletedProcess(args, 1, stdout="")

    monkeypatch.setattr(deploy.subprocess, "run", run)
    outcome = _error(release_model(_stack(tmp_path, FakeSageMaker()), TRACKING))
    reason = str(outcome.reason)
    assert f"training on stack {STACK} failed (exit 1): RuntimeError: reading Gold failed: no such table" in reason
    assert outcome.details["training_log"] == str(tmp_path / "logs" / "train.log")


def test_a_training_process_that_does_not_end_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def run(args: list[str], timeout: float, **_: Any) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(args, timeout)

    monkeypatch.setattr(deploy.subprocess, "run", run)
    outcome = _error(release_model(_stack(tmp_path, FakeSageMaker()), TRACKING))
    assert f"training on stack {STACK} did not end within 600 s" in str(outcome.reason)
