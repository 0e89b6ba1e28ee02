"""@STACK-model against a real stack on the emulator: healthy, an older version served, instances, a release
SageMaker rolled back or could not create.

The stack is brought up by `lakehouse up`, the pipeline builds Gold, and the second deploy phase runs
twice (versions 1 and 2; 2 is the champion and deployed). Each broken case is made the way a person
would make it, through SageMaker's API (a model and endpoint configuration made by hand, the endpoint
switched to it with UpdateEndpoint), judged by the check's own readers and judges, and repaired.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakehouse.checks.deploy_time import created_by, untimed_resources
from lakehouse.checks.model_serving import (
    invoke,
    judge_answer,
    judge_prediction,
    judge_serverless,
    judge_version,
    read_all_served,
    read_reference,
    read_registry,
    try_invoke,
)
from lakehouse.config import project_root
from lakehouse.inventory import name_prefixes
from lakehouse.ml.deploy import (
    ModelRelease,
    StackBrokenError,
    apply_model,
    publish_model,
    recorded_model_applies,
    recorded_model_apply,
)
from lakehouse.ml.model import MODEL_NAME, fit
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import run_pipeline
from lakehouse.stack import Deployment

pytestmark = pytest.mark.xdist_group("model")

DATA_DIR = project_root() / "fixtures" / "data"


@dataclass
class Released:
    """The stack with two published versions; the second is deployed."""

    deployment: Deployment
    first: ModelRelease
    second: ModelRelease

    @property
    def prefix(self) -> str:
        return name_prefixes(self.deployment.stack.stack_id)[0]

    def sm(self) -> Any:
        return self.deployment.stack.target.client("sagemaker")

    def check(self) -> tuple[Any, Any]:
        """The version and serverless judgments, read as the scenario reads them."""
        stack = self.deployment.stack
        served = read_all_served(stack.target, self.prefix, stack.stack_id, stack.state())
        registry = read_registry(str(self.deployment.record.mlflow_url), MODEL_NAME, "champion", stack.target)
        trained = self.second.registered  # the last release: it gave the version it trained the alias
        return judge_version(served, registry, stack.stack_id, trained), judge_serverless(
            served, 2, 2048, stack.stack_id
        )


@pytest.fixture(scope="module")
def released(deployed: Deployment) -> Released:
    result = run_pipeline(deployed.stack.target, deployed.record.outputs, data_dir=DATA_DIR)
    assert result.ok, result.error
    first = publish_model(deployed, deployed.record.mlflow_url)
    second = publish_model(deployed, deployed.record.mlflow_url)
    assert (first.version, second.version) == ("1", "2")
    return Released(deployed, first, second)


@pytest.fixture
def switched(released: Released) -> Iterator[list[str]]:
    """Configs and models a test makes by hand; the endpoint is put back on Terraform's config after."""
    sm = released.sm()
    endpoint = f"{released.prefix}-daily-revenue"
    original = sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    made: list[str] = []
    try:
        yield made
    finally:
        sm.update_endpoint(EndpointName=endpoint, EndpointConfigName=original)
        for name in made:
            sm.delete_endpoint_config(EndpointConfigName=name)
            sm.delete_model(ModelName=name)


def _make(released: Released, name: str, model_data_url: str, variant: dict[str, Any], image: str = "") -> None:
    sm = released.sm()
    current = sm.describe_model(ModelName=f"{released.prefix}-daily-revenue-v{released.second.version}")
    container = {**current["PrimaryContainer"], "ModelDataUrl": model_data_url}
    if image:
        container["Image"] = image
    sm.create_model(ModelName=name, ExecutionRoleArn=current["ExecutionRoleArn"], PrimaryContainer=container)
    sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, **variant}]
    )
    sm.update_endpoint(EndpointName=f"{released.prefix}-daily-revenue", EndpointConfigName=name)


def test_healthy_stack_serves_the_champion_serverless_and_predicts_gold(released: Released) -> None:
    version, serverless = released.check()
    assert version.status is Status.PASSED, version.reason
    assert version.measured == {f"{released.prefix}-daily-revenue": "2"}
    assert serverless.status is Status.PASSED, serverless.reason
    target, outputs = released.deployment.stack.target, released.deployment.record.outputs
    endpoint = f"{released.prefix}-daily-revenue"
    [predicted] = invoke(target, endpoint, [{"country": "JP"}])
    gold_db = outputs["glue_database_names"]["gold"]
    reference = read_reference(target, outputs["athena_workgroup_name"], gold_db, "JP")
    outcome = judge_prediction(endpoint, "JP", predicted, reference, 1.0)
    assert outcome.passed, outcome.reason


def test_an_older_version_deployed_fails_naming_both_versions(released: Released, switched: list[str]) -> None:
    name = f"{released.prefix}-daily-revenue-by-hand"
    _make(
        released,
        name,
        released.first.model_data_url,
        {"ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048}},
    )
    switched.append(name)
    version, serverless = released.check()
    assert version.status is Status.FAILED
    assert version.reason is not None
    assert f"serves {MODEL_NAME} version 1" in version.reason, version.reason
    assert "champion is version 2" in version.reason and name in version.reason
    assert serverless.passed, serverless.reason


def _with_file(archive: bytes, name: str, content: bytes) -> bytes:
    """``archive`` with its member ``name`` holding ``content`` instead (every other member as it was)."""
    import io
    import tarfile

    buffer = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as old,
        tarfile.open(fileobj=buffer, mode="w:gz") as new,
    ):
        for member in old:
            data = content if member.name == name else (old.extractfile(member) or io.BytesIO()).read()
            member.size = len(data) if member.isfile() else 0
            new.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return buffer.getvalue()


def test_the_champions_mlmodel_beside_other_weights_fails_naming_the_file(
    released: Released, switched: list[str]
) -> None:
    """The champion's archive with another fit's model.pkl (a model that loads and serves) under a key of its own:
    its MLmodel names the champion; its weights are not the champion's artifacts in MLflow."""
    import cloudpickle

    s3 = released.deployment.stack.target.client("s3")
    bucket, _, key = released.second.model_data_url[5:].partition("/")
    champion = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    weights = cloudpickle.dumps(fit([("JP", 1.0), ("US", 2.0)]).model)
    forged_key = f"sagemaker/{MODEL_NAME}/forged/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=forged_key, Body=_with_file(champion, "model.pkl", weights))
    name = f"{released.prefix}-daily-revenue-forged"
    try:
        serverless = {"ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048}}
        _make(released, name, f"s3://{bucket}/{forged_key}", serverless)
        switched.append(name)
        version, _ = released.check()
        assert version.status is Status.FAILED
        reason = str(version.reason)
        assert f"names the champion, version {released.second.version}, in its MLmodel" in reason, reason
        assert "model.pkl differs: sha256 " in reason, reason
    finally:
        s3.delete_object(Bucket=bucket, Key=forged_key)


def test_an_instance_based_endpoint_fails_naming_the_endpoint_config(released: Released, switched: list[str]) -> None:
    name = f"{released.prefix}-daily-revenue-instances"
    _make(released, name, released.second.model_data_url, {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1})
    switched.append(name)
    version, serverless = released.check()
    assert serverless.status is Status.FAILED
    assert serverless.reason is not None and f"configuration {name}" in serverless.reason, serverless.reason
    assert "ml.m5.large" in serverless.reason
    assert version.passed, version.reason


def test_the_champion_in_another_image_fails_the_prediction_naming_the_image(
    released: Released, switched: list[str]
) -> None:
    """The right archive, serverless, but a framework image: on AWS the image decides what is served."""
    name = f"{released.prefix}-daily-revenue-sklearn"
    image = "763104351884.dkr.ecr.ap-northeast-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
    serverless_config = {"ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048}}
    _make(released, name, released.second.model_data_url, serverless_config, image)
    switched.append(name)
    target, outputs = released.deployment.stack.target, released.deployment.record.outputs
    endpoint = f"{released.prefix}-daily-revenue"
    answer = try_invoke(target, endpoint, [{"country": "JP"}])
    reference = read_reference(target, outputs["athena_workgroup_name"], outputs["glue_database_names"]["gold"], "JP")
    outcome = judge_answer(endpoint, "JP", answer, reference, 1.0)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and image in outcome.reason and "ModelError" in outcome.reason, outcome.reason


def _wait_past_second(moment: datetime, deadline_s: float = 5.0) -> None:
    """Wait until the clock is in a later second than ``moment``: S3's LastModified is kept to the second."""
    deadline = time.monotonic() + deadline_s
    later = moment.replace(microsecond=0) + timedelta(seconds=1)
    while datetime.now(UTC) < later:
        assert time.monotonic() < deadline, f"the clock did not pass {later.isoformat()}"
        time.sleep(0.05)  # polling the clock for the condition above, bounded by the deadline


def test_the_champions_archive_overwritten_in_s3_fails_until_its_version_is_restored(released: Released) -> None:
    """Version 1's archive written over the champion's S3 key after the endpoint deployed (another run's model
    behind the same ModelDataUrl); the model bucket is versioned, so deleting that write restores the archive
    the endpoint loaded, with its own LastModified."""
    healthy, _ = released.check()
    assert healthy.passed, healthy.reason
    s3 = released.deployment.stack.target.client("s3")
    url = released.second.model_data_url
    bucket, _, key = url[5:].partition("/")
    old_bucket, _, old_key = released.first.model_data_url[5:].partition("/")
    endpoint = f"{released.prefix}-daily-revenue"
    _wait_past_second(released.sm().describe_endpoint(EndpointName=endpoint)["LastModifiedTime"])
    older = s3.get_object(Bucket=old_bucket, Key=old_key)["Body"].read()
    written = s3.put_object(Bucket=bucket, Key=key, Body=older)["VersionId"]
    try:
        version, serverless = released.check()
        assert version.status is Status.FAILED
        reason = str(version.reason)
        assert f"endpoint {endpoint} serves no readable MLflow model: " in reason, reason
        assert f"archive {url} was written at " in reason and "after the endpoint last deployed at" in reason
        assert f"run {released.first.registered['run_id']}" in reason, reason
        assert serverless.passed, serverless.reason
    finally:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=written)
    repaired, _ = released.check()
    assert repaired.passed, repaired.reason


def test_repairs_leave_the_stack_as_terraform_made_it(released: Released) -> None:
    version, serverless = released.check()
    assert version.passed and serverless.passed
    plan = released.deployment.stack.plan()
    assert plan.clean, [*plan.diagnostics, *plan.changes]


def test_what_the_model_release_created_is_timed_so_exit_check_1_stays_green_on_a_later_run(
    released: Released,
) -> None:
    """`make up`, then `pytest features/ --deployed` twice: the first run's release made the endpoint."""
    deployment = released.deployment
    assert deployment.stopwatch.apply is not None
    state = deployment.stack.state()
    endpoint = 'aws_sagemaker_endpoint.this["daily-revenue"]'
    assert endpoint in untimed_resources(deployment.stopwatch.apply, state)  # not made by the deploy
    last = recorded_model_apply(deployment)  # version 2's: it moved the endpoint to v2 (an update, not a create)
    assert last is not None and endpoint in {r.address for r in last.resources}
    assert endpoint in untimed_resources(deployment.stopwatch.apply, state, last)
    applies = recorded_model_applies(deployment)  # version 1's apply created it, and is kept
    assert len(applies) == 2 and endpoint in created_by(applies[0])
    assert untimed_resources(deployment.stopwatch.apply, state, *applies) == []


def test_a_release_sagemaker_rolls_back_or_cannot_create_fails_naming_the_endpoint_and_its_reason(
    released: Released,
) -> None:
    """Version 3 applied with an archive that is not in S3, as the release would apply it: the update rolls back
    (the provider reports success), then, the endpoint deleted by hand, the CreateEndpoint ends Failed (the apply
    fails). Both end @STACK-model ``failed`` (``StackBrokenError``), naming the endpoint, the configuration it
    still runs and the FailureReason; version 2 applied again repairs the stack. Last in the module: the repair's
    apply is not a recorded release, which the timing test above would count."""
    deployment, sm = released.deployment, released.sm()
    endpoint = f"{released.prefix}-daily-revenue"
    bucket = released.second.model_data_url[5:].partition("/")[0]
    missing = f"s3://{bucket}/sagemaker/{MODEL_NAME}/v3/model.tar.gz"
    v2, v3 = f"{released.prefix}-daily-revenue-v2", f"{released.prefix}-daily-revenue-v3"
    try:
        with pytest.raises(StackBrokenError) as rolled:
            apply_model(deployment, "3", missing)
        outcome = rolled.value.outcome()
        assert outcome.status is Status.FAILED
        reason = str(outcome.reason)
        assert "the apply reported success, but SageMaker did not deploy it" in reason, reason
        assert f"endpoint {endpoint} still runs configuration {v2}, not {v3} as Terraform applied" in reason, reason
        assert missing in reason  # the FailureReason names the archive
        assert outcome.measured == {endpoint: {"status": "InService", "endpoint_config": v2}}

        sm.delete_endpoint(EndpointName=endpoint)
        with pytest.raises(StackBrokenError) as created:
            apply_model(deployment, "3", missing)
        outcome = created.value.outcome()
        assert outcome.status is Status.FAILED
        reason = str(outcome.reason)
        assert "the apply failed and SageMaker did not deploy it" in reason, reason
        assert f"endpoint {endpoint} is Failed, not InService (FailureReason: " in reason and missing in reason
        assert any(endpoint in d for d in outcome.details["apply_diagnostics"]), outcome.details
    finally:
        apply_model(deployment, released.second.version, released.second.model_data_url)
    version, serverless = released.check()
    assert version.passed and serverless.passed, (version.reason, serverless.reason)
    plan = deployment.stack.plan()
    assert plan.clean, [*plan.diagnostics, *plan.changes]
