"""SageMaker in the emulator (lakehouse.emulator.extensions.sagemaker): endpoints that really predict.

An MLflow model is saved, packed as SageMaker's model.tar.gz into the emulator's S3, and deployed the
way Terraform's AWS provider does (CreateModel, CreateEndpointConfig, CreateEndpoint); the runtime's
InvokeEndpoint must answer the model's own predictions, and UpdateEndpoint must switch what is served;
what is served is the archive as it was when the endpoint deployed, and one missing then fails the deploy, as
does a model image ECR does not hold.
"""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.model_serving import (
    RegisteredVersion,
    Registry,
    invoke,
    judge_answer,
    judge_version,
    read_served,
    try_invoke,
)
from lakehouse.ml.local_image import push_mlflow_image
from lakehouse.ml.model import fit, pack
from lakehouse.ml.rollout import rollout_problems
from lakehouse.outcome import Status
from lakehouse.target import local_target

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
SERVERLESS = {"MaxConcurrency": 2, "MemorySizeInMB": 2048}


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Two MLflow models (different data) packed as SageMaker archives."""
    import mlflow.sklearn

    found = {}
    for name, rows in {"v1": [("JP", 10.0), ("JP", 30.0)], "v2": [("JP", 100.0), ("US", 5.0)]}.items():
        folder = tmp_path_factory.mktemp(name) / "model"
        mlflow.sklearn.save_model(fit(list(rows)).model, str(folder), serialization_format="cloudpickle")
        found[name] = pack(Path(folder))
    return found


MLFLOW_IMAGE = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/mlflow-pyfunc:3.18.0"  # the emulator's account


def _deploy(
    sm: Any, s3: Any, archive: bytes, name: str, variant: dict[str, Any] | None = None, image: str = MLFLOW_IMAGE
) -> str:
    bucket = f"models-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_object(Bucket=bucket, Key=f"{name}/model.tar.gz", Body=archive)
    container = {"Image": image}
    container["ModelDataUrl"] = f"s3://{bucket}/{name}/model.tar.gz"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer=container)
    variant = variant or {"ServerlessConfig": SERVERLESS}
    sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, **variant}]
    )
    return name


@pytest.fixture
def clients(aws_client: Callable[[str], Any]) -> tuple[Any, Any, Any]:
    """SageMaker, S3 and the runtime, with MLflow's serving image in ECR as the local release pushes it (the check
    reads its config back)."""
    push_mlflow_image(aws_client("ecr"))
    return aws_client("sagemaker"), aws_client("s3"), aws_client("sagemaker-runtime")


def test_invoke_endpoint_answers_the_models_prediction(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([20.0])


def test_update_endpoint_switches_the_served_model(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    sm, s3, _ = clients
    first = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=first, EndpointConfigName=first)
    second = _deploy(sm, s3, archives["v2"], f"cfg-{uuid.uuid4().hex[:6]}")
    sm.update_endpoint(EndpointName=first, EndpointConfigName=second)
    described = sm.describe_endpoint(EndpointName=first)
    assert described["EndpointConfigName"] == second and described["EndpointStatus"] == "InService"
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, first, [{"country": "JP"}]) == pytest.approx([100.0])
    served = read_served(target, first)
    # The new archive was written after the endpoint was made but before the update: what it serves.
    assert (served.model, served.broken) == (second, None)


def test_update_to_an_instance_config_is_what_describe_shows(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    instances = {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    other = _deploy(sm, s3, archives["v1"], f"cfg-{uuid.uuid4().hex[:6]}", instances)
    sm.update_endpoint(EndpointName=name, EndpointConfigName=other)
    served = read_served(local_target(emulator.endpoint, "ap-northeast-1"), name)
    assert served.config == other and served.variants[0]["InstanceType"] == "ml.m5.large"
    assert "ServerlessConfig" not in served.variants[0]


def test_a_second_variant_serving_another_model_is_named(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """Traffic split between the champion (first variant) and an old model (second): not "the version served".
    Instance-based variants: a serverless configuration takes one production variant only."""
    sm, s3, _ = clients
    instances = {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    champion = _deploy(sm, s3, archives["v2"], f"ep-{uuid.uuid4().hex[:6]}")
    old = _deploy(sm, s3, archives["v1"], f"old-{uuid.uuid4().hex[:6]}")
    name = f"split-{uuid.uuid4().hex[:6]}"
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "Champion",
                "ModelName": champion,
                "InitialVariantWeight": 0.1,
                **instances,
            },
            {"VariantName": "Old", "ModelName": old, "InitialVariantWeight": 0.9, **instances},
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    served = read_served(local_target(emulator.endpoint, "ap-northeast-1"), name)
    assert served.broken is not None
    assert (
        f"variant Old serves model {old}" in served.broken
        and f"variant Champion serves model {champion}" in served.broken
    )
    same = _deploy(sm, s3, archives["v2"], f"same-{uuid.uuid4().hex[:6]}")  # two variants, one archive: fine
    both = f"both-{uuid.uuid4().hex[:6]}"
    sm.create_endpoint_config(
        EndpointConfigName=both,
        ProductionVariants=[
            {"VariantName": "A", "ModelName": champion, **instances},
            {"VariantName": "B", "ModelName": same, **instances},
        ],
    )
    sm.create_endpoint(EndpointName=both, EndpointConfigName=both)
    assert read_served(local_target(emulator.endpoint, "ap-northeast-1"), both).broken is None


def test_the_served_archive_ignores_the_containers_environment_and_the_reader_names_it(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """The emulator serves ModelDataUrl as MLflow's image does, whatever Environment says; a variable that image
    does not read, and another image might (a framework image's script), is named by the reader."""
    sm, s3, _ = clients
    champion = _deploy(sm, s3, archives["v2"], f"ep-{uuid.uuid4().hex[:6]}")
    container = sm.describe_model(ModelName=champion)["PrimaryContainer"]
    name = f"env-{uuid.uuid4().hex[:6]}"
    environment = {"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://elsewhere/code.tar.gz"}
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={**container, "Environment": environment})
    variant = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([100.0])
    served = read_served(target, name)
    assert served.broken is not None
    assert served.broken.startswith(
        f"model {name}'s container sets Environment SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, which MLflow's "
        "serving image does not read"
    )


def test_unknown_endpoint_is_a_validation_error(clients: tuple[Any, Any, Any]) -> None:
    _, _, runtime = clients
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName="nope", ContentType="application/json", Body=b"{}")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert "nope" in err.value.response["Error"]["Message"]


def _archive_url(sm: Any, name: str) -> tuple[str, str, str]:
    url = sm.describe_model(ModelName=name)["PrimaryContainer"]["ModelDataUrl"]
    bucket, _, key = url[5:].partition("/")
    return url, bucket, key


def _wait_past_second(moment: datetime) -> None:
    """S3's LastModified is kept to the second: wait until the clock is in a later second than ``moment``."""
    later = moment.replace(microsecond=0) + timedelta(seconds=1)
    deadline = time.monotonic() + 5
    while datetime.now(UTC) < later:
        assert time.monotonic() < deadline, f"the clock did not pass {later.isoformat()}"
        time.sleep(0.05)  # polling the clock for the condition above, bounded by the deadline


def test_the_endpoint_serves_the_archive_it_deployed_after_the_object_is_replaced_or_deleted(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """SageMaker copies the archive when it deploys: what S3 holds later is not what the endpoint serves. The
    check's reader says so (an archive written after the deploy, or gone, is not read back as served)."""
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    target = local_target(emulator.endpoint, "ap-northeast-1")
    url, bucket, key = _archive_url(sm, name)
    _wait_past_second(sm.describe_endpoint(EndpointName=name)["LastModifiedTime"])
    s3.put_object(Bucket=bucket, Key=key, Body=archives["v2"])  # another model (JP: 100) at the same URL
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([20.0])  # still v1's mean
    served = read_served(target, name)
    assert served.broken is not None and f"archive {url} was written at " in served.broken, served.broken
    assert "after the endpoint last deployed at" in served.broken
    s3.delete_object(Bucket=bucket, Key=key)
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([20.0])
    assert read_served(target, name).broken == f"model {name}'s ModelDataUrl {url} does not exist"


def test_a_missing_archive_at_create_leaves_the_endpoint_failed_and_the_check_reads_why(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """CreateEndpoint answers as on AWS; the endpoint goes Failed, its FailureReason naming the object; the
    @STACK-model judge fails it with that reason, invocations are refused and only DeleteEndpoint is taken."""
    sm, s3, runtime = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    url, bucket, key = _archive_url(sm, name)
    s3.delete_object(Bucket=bucket, Key=key)
    assert sm.create_endpoint(EndpointName=name, EndpointConfigName=name)["EndpointArn"].endswith(f"/{name}")
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith(
        f'Failed to download model data for container "container_1" from URL: "{url}"'
    )
    served = read_served(local_target(emulator.endpoint, "ap-northeast-1"), name)
    assert (served.status, served.failure_reason) == ("Failed", described["FailureReason"])
    champion = RegisteredVersion("1", "run-1", None, ("champion",))
    outcome = judge_version([served], Registry("m", "champion", (champion,), champion), "s")
    assert outcome.status is Status.FAILED
    assert f"endpoint {name} is Failed (FailureReason: Failed to download model data" in str(outcome.reason)
    assert url in str(outcome.reason)
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=b"{}")
    assert err.value.response["Error"]["Code"] == "ValidationError" and "Failed" in str(err.value)
    with pytest.raises(ClientError, match="Failed"):
        sm.update_endpoint(EndpointName=name, EndpointConfigName=name)
    sm.delete_endpoint(EndpointName=name)
    s3.put_object(Bucket=bucket, Key=key, Body=archives["v1"])  # the archive back: a new endpoint deploys
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def _tar_gz(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("body", "wanted"),
    [
        (b"not a tarball", 'Failed to extract model data archive for container "container_1" from URL "{url}"'),
        (
            _tar_gz({"README": b"no MLmodel"}),
            "The primary container for production variant AllTraffic did not pass the ping health check",
        ),
    ],
    ids=["not-a-tar-gz", "not-an-mlflow-model"],
)
def test_an_archive_that_does_not_deploy_fails_the_endpoint_naming_it(
    clients: tuple[Any, Any, Any], body: bytes, wanted: str
) -> None:
    sm, s3, _ = clients
    name = _deploy(sm, s3, body, f"ep-{uuid.uuid4().hex[:6]}")
    url, _, _ = _archive_url(sm, name)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "Failed"
    assert wanted.format(url=url) in described["FailureReason"] and url in described["FailureReason"]


def test_an_update_whose_archive_is_missing_rolls_back_and_keeps_serving(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """UpdateEndpoint answers; the endpoint stays InService on its previous configuration and archive, with the
    FailureReason (as AWS reports a rolled-back update); the model release's read-back names it."""
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    before = sm.describe_endpoint(EndpointName=name)["LastModifiedTime"]
    other = _deploy(sm, s3, archives["v2"], f"cfg-{uuid.uuid4().hex[:6]}")
    url, bucket, key = _archive_url(sm, other)
    s3.delete_object(Bucket=bucket, Key=key)
    sm.update_endpoint(EndpointName=name, EndpointConfigName=other)
    described = sm.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", name)
    assert url in described["FailureReason"] and described["LastModifiedTime"] == before
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([20.0])  # v1, as deployed
    [problem] = rollout_problems(sm, {name: other})  # what Terraform's state records after the apply
    assert f"endpoint {name} still runs configuration {name}, not {other}" in problem and url in problem
    s3.put_object(Bucket=bucket, Key=key, Body=archives["v2"])
    sm.update_endpoint(EndpointName=name, EndpointConfigName=other)
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointConfigName"] == other and "FailureReason" not in described
    assert invoke(target, name, [{"country": "JP"}]) == pytest.approx([100.0])
    assert rollout_problems(sm, {name: other}) == []


#: SageMaker's FailureReason for an image it cannot pull (aws/amazon-sagemaker-examples#275, sagemaker-python-sdk#1835).
NO_IMAGE = (
    "Please make sure all images included in the model for the production variant AllTraffic exist, and that the "
    "execution role used to create the model has permissions to access them. (emulator: "
)
_REGISTRY = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com"


@pytest.mark.parametrize(
    ("image", "lacking"),
    [
        (f"{_REGISTRY}/mlflow-serving:3.18.0", "ECR holds no repository mlflow-serving in account 123456789012"),
        (f"{_REGISTRY}/mlflow-pyfunc:9.9.9", "ECR repository mlflow-pyfunc (account 123456789012, ap-northeast-1) "),
        (f"{_REGISTRY}/mlflow-pyfunc@sha256:{'b' * 64}", f"holds no image @sha256:{'b' * 64}"),
        ("mlflow-pyfunc:3.18.0", "'mlflow-pyfunc:3.18.0' is no ECR image URI"),
    ],
    ids=["no-repository", "no-tag", "no-digest", "not-ecr"],
)
def test_an_image_ecr_does_not_hold_fails_the_endpoint_naming_it(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any, image: str, lacking: str
) -> None:
    """The archive is right, but SageMaker cannot pull the model's image: CreateEndpoint answers, the endpoint goes
    Failed with SageMaker's FailureReason and what ECR lacks; @STACK-model's judge fails it, invocations are
    refused."""
    sm, s3, runtime = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}", image=image)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    described = sm.describe_endpoint(EndpointName=name)
    assert described["EndpointStatus"] == "Failed"
    assert described["FailureReason"].startswith(NO_IMAGE) and lacking in described["FailureReason"], described
    served = read_served(local_target(emulator.endpoint, "ap-northeast-1"), name)
    champion = RegisteredVersion("1", "run-1", None, ("champion",))
    outcome = judge_version([served], Registry("m", "champion", (champion,), champion), "s")
    assert outcome.status is Status.FAILED and f"endpoint {name} is Failed (FailureReason: {NO_IMAGE}" in str(
        outcome.reason
    )
    with pytest.raises(ClientError) as err:
        runtime.invoke_endpoint(EndpointName=name, ContentType="application/json", Body=b"{}")
    assert err.value.response["Error"]["Code"] == "ValidationError" and "Failed" in str(err.value)


def test_an_update_to_an_image_ecr_does_not_hold_rolls_back_and_keeps_serving(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    other = _deploy(sm, s3, archives["v2"], f"cfg-{uuid.uuid4().hex[:6]}", image=f"{_REGISTRY}/mlflow-pyfunc:9.9.9")
    sm.update_endpoint(EndpointName=name, EndpointConfigName=other)
    described = sm.describe_endpoint(EndpointName=name)
    assert (described["EndpointStatus"], described["EndpointConfigName"]) == ("InService", name)
    assert described["FailureReason"].startswith(NO_IMAGE) and "holds no image :9.9.9" in described["FailureReason"]
    assert invoke(local_target(emulator.endpoint, "ap-northeast-1"), name, [{"country": "JP"}]) == pytest.approx([20.0])


def test_healthy_twin_the_pushed_image_by_tag_or_digest_deploys(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], aws_client: Callable[[str], Any], emulator: Any
) -> None:
    """MLflow's image as the local release pushes it (``push_local_image``), named by its tag or its digest."""
    sm, s3, _ = clients
    digest = push_mlflow_image(aws_client("ecr"))
    for image in (MLFLOW_IMAGE, f"{_REGISTRY}/mlflow-pyfunc@{digest}"):
        name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}", image=image)
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        described = sm.describe_endpoint(EndpointName=name)
        assert described["EndpointStatus"] == "InService" and "FailureReason" not in described, described


@pytest.mark.parametrize(
    "image",
    [
        "763104351884.dkr.ecr.ap-northeast-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
        "1.dkr.ecr.ap-northeast-1.amazonaws.com/mlflow-pyfunc:2.9.2",
        "1.dkr.ecr.ap-northeast-1.amazonaws.com/mlflow-pyfunc@sha256:" + "a" * 64,
    ],
    ids=["framework-image", "other-mlflow", "digest"],
)
def test_an_image_the_emulator_cannot_run_is_a_model_error_naming_it(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any, image: str
) -> None:
    """The MLflow archive is right, but on AWS this image decides what is served: the emulator cannot answer."""
    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v1"], f"ep-{uuid.uuid4().hex[:6]}", image=image)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    answer = try_invoke(local_target(emulator.endpoint, "ap-northeast-1"), name, [{"country": "JP"}])
    assert isinstance(answer, str) and answer.startswith("ModelError: "), answer
    assert image in answer and "mlflow-pyfunc:3.18.0" in answer
    outcome = judge_answer(name, "JP", answer, 20.0, 1.0)
    assert outcome.status is Status.FAILED and image in str(outcome.reason)


def test_a_model_keeps_its_network_isolation(clients: tuple[Any, Any, Any]) -> None:
    sm, _, _ = clients
    name = f"iso-{uuid.uuid4().hex[:6]}"
    sm.create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE}, EnableNetworkIsolation=True
    )
    assert sm.describe_model(ModelName=name)["EnableNetworkIsolation"] is True
    sm.create_model(ModelName=name + "-open", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    assert sm.describe_model(ModelName=name + "-open")["EnableNetworkIsolation"] is False


def test_an_isolated_model_is_not_deployed_to_a_serverless_endpoint(clients: tuple[Any, Any, Any]) -> None:
    """Network isolation is one of Serverless Inference's feature exclusions: such a root fails on AWS."""
    sm, _, _ = clients
    name = f"isosl-{uuid.uuid4().hex[:6]}"
    sm.create_model(
        ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE}, EnableNetworkIsolation=True
    )
    variant = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    with pytest.raises(ClientError) as err:
        sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert (
        "network isolation" in err.value.response["Error"]["Message"] and name in err.value.response["Error"]["Message"]
    )
    plain = f"plainsl-{uuid.uuid4().hex[:6]}"  # the same endpoint moved to an isolated model by UpdateEndpoint
    sm.create_model(ModelName=plain, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    sm.create_endpoint_config(EndpointConfigName=plain, ProductionVariants=[{**variant, "ModelName": plain}])
    sm.create_endpoint(EndpointName=plain, EndpointConfigName=plain)
    with pytest.raises(ClientError, match="network isolation"):
        sm.update_endpoint(EndpointName=plain, EndpointConfigName=name)
    assert sm.describe_endpoint(EndpointName=plain)["EndpointConfigName"] == plain


def _capture(bucket: str) -> dict[str, Any]:
    return {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": f"s3://{bucket}/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }


@pytest.mark.parametrize(
    ("what", "excluded"),
    [
        (
            "data-capture",
            "data capture: endpoint configuration {name} sets DataCaptureConfig with serverless variant A",
        ),
        ("two-variants", "multiple production variants: endpoint configuration {name} has 2 (A, B), serverless A, B"),
        ("mixed-variants", "multiple production variants: endpoint configuration {name} has 2 (A, B), serverless A"),
    ],
)
def test_a_serverless_configuration_with_data_capture_or_several_variants_is_refused(
    clients: tuple[Any, Any, Any], what: str, excluded: str
) -> None:
    """Data capture and multiple production variants are among Serverless Inference's feature exclusions: AWS
    refuses such a configuration (ValidationException), so a root asking for one fails on AWS and here."""
    sm, _, _ = clients
    name = f"{what}-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    first = {"VariantName": "A", "ModelName": name, "ServerlessConfig": SERVERLESS}
    second = {"VariantName": "B", "ModelName": name}
    second |= {"ServerlessConfig": SERVERLESS} if what == "two-variants" else {"InstanceType": "ml.m5.large"}
    second |= {"InitialInstanceCount": 1} if "InstanceType" in second else {}
    request: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": [first]}
    if what == "data-capture":
        request["DataCaptureConfig"] = _capture("captures")
    else:
        request["ProductionVariants"] = [first, second]
    with pytest.raises(ClientError) as err:
        sm.create_endpoint_config(**request)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    message = err.value.response["Error"]["Message"]
    assert message == f"Serverless Inference does not support {excluded.format(name=name)}", message
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.describe_endpoint_config(EndpointConfigName=name)  # nothing was made


def test_one_serverless_variant_without_data_capture_and_instances_with_it_are_made(
    clients: tuple[Any, Any, Any],
) -> None:
    """The healthy twins: the stack's own configuration (one serverless variant, no capture) and the features on
    instance-based configurations, which support them."""
    sm, _, _ = clients
    name = f"ok-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    serverless = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[serverless])
    instances = {"ModelName": name, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    both = [{"VariantName": "A", **instances}, {"VariantName": "B", **instances}]
    sm.create_endpoint_config(
        EndpointConfigName=name + "-i", ProductionVariants=both, DataCaptureConfig=_capture("captures")
    )
    assert len(sm.describe_endpoint_config(EndpointConfigName=name + "-i")["ProductionVariants"]) == 2
    assert sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"][0]["ServerlessConfig"]


def test_no_vpc_config_or_data_capture_is_answered_for_what_was_made_without(clients: tuple[Any, Any, Any]) -> None:
    """AWS leaves them out; an empty one makes Terraform's provider plan a replacement on every plan."""
    sm, _, _ = clients
    name = f"plain-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    assert "VpcConfig" not in sm.describe_model(ModelName=name)
    variant = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    assert "DataCaptureConfig" not in sm.describe_endpoint_config(EndpointConfigName=name)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    assert sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def test_the_tagging_api_names_an_endpoint_configuration_by_its_arn(
    clients: tuple[Any, Any, Any], aws_client: Callable[[str], Any]
) -> None:
    """moto kept the ARN as a one-element tuple: GetResources answered ``.../('name',)``, which exit
    check 5's tagging sweep could match to nothing and so called unmanaged."""
    sm, _, _ = clients
    name, stack = f"tagged-{uuid.uuid4().hex[:6]}", f"s-{uuid.uuid4().hex[:6]}"
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": MLFLOW_IMAGE})
    variant = {"VariantName": "AllTraffic", "ModelName": name, "ServerlessConfig": SERVERLESS}
    arn = sm.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[variant], Tags=[{"Key": "stack_id", "Value": stack}]
    )["EndpointConfigArn"]
    found = aws_client("resourcegroupstaggingapi").get_resources(TagFilters=[{"Key": "stack_id", "Values": [stack]}])
    assert [m["ResourceARN"] for m in found["ResourceTagMappingList"]] == [arn]
    assert arn == sm.describe_endpoint_config(EndpointConfigName=name)["EndpointConfigArn"]


def test_a_serverless_update_in_place_is_what_describe_shows_and_the_check_fails_it(
    clients: tuple[Any, Any, Any], archives: dict[str, bytes], emulator: Any
) -> None:
    """UpdateEndpointWeightsAndCapacities raises MaxConcurrency and provisions warm capacity with no new
    configuration: the configuration still reads 2, DescribeEndpoint reads what runs, the check names it."""
    from lakehouse.checks.model_serving import judge_serverless

    sm, s3, _ = clients
    name = _deploy(sm, s3, archives["v2"], f"ep-{uuid.uuid4().hex[:6]}")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    before = sm.describe_endpoint(EndpointName=name)["LastModifiedTime"]
    target = local_target(emulator.endpoint, "ap-northeast-1")
    assert judge_serverless([read_served(target, name)], 2, 2048, "s").passed
    update = {"MaxConcurrency": 5, "ProvisionedConcurrency": 1}
    sm.update_endpoint_weights_and_capacities(
        EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "ServerlessUpdateConfig": update}]
    )
    described = sm.describe_endpoint(EndpointName=name)
    [variant] = described["ProductionVariants"]
    assert variant["CurrentServerlessConfig"] == {"MemorySizeInMB": 2048, **update}
    assert variant["DesiredServerlessConfig"] == variant["CurrentServerlessConfig"]
    assert described["LastModifiedTime"] >= before
    config = sm.describe_endpoint_config(EndpointConfigName=name)["ProductionVariants"][0]
    assert config["ServerlessConfig"] == SERVERLESS  # the configuration is unchanged
    outcome = judge_serverless([read_served(target, name)], 2, 2048, "s")
    assert outcome.status is Status.FAILED
    assert "as it runs (DescribeEndpoint CurrentServerlessConfig" in str(outcome.reason)
    assert "MaxConcurrency 5 is above the cap 2" in str(outcome.reason)
    assert "ProvisionedConcurrency 1 keeps warm capacity billed" in str(outcome.reason)
