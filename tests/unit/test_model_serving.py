"""@STACK-model's pure judges with healthy and broken inputs, and the model's own pieces (fit, archive)."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.model_serving import (
    RegisteredVersion,
    Registry,
    ServedModel,
    judge_answer,
    judge_parts,
    judge_prediction,
    judge_serverless,
    judge_version,
)
from lakehouse.ml.model import fit, mlmodel_of, pack, reference_sql
from lakehouse.outcome import Outcome, Status

V1 = RegisteredVersion("1", "run-one", "models:/m-one", ())
V2 = RegisteredVersion("2", "run-two", "models:/m-two", ("champion",))


def _mlmodel(model_id: str, run_id: str) -> bytes:
    """An MLmodel document naming one MLflow model (all the reader needs to say which model it is)."""
    return f"model_id: {model_id}\nrun_id: {run_id}\nmlflow_version: 3.18.0\nflavors: {{}}\n".encode()


#: Version 2's artifacts in MLflow, as the archives below hold them: its MLmodel only.
V2_FILES = {"MLmodel": hashlib.sha256(_mlmodel("m-two", "run-two")).hexdigest()}
REGISTRY = Registry("daily-revenue", "champion", (V1, V2), V2, V2_FILES)
SERVERLESS = {"VariantName": "AllTraffic", "ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048}}


def served(model_id: str = "m-two", run_id: str = "run-two", **extra: Any) -> ServedModel:
    values: dict[str, Any] = {
        "endpoint": "lakehouse-s1-daily-revenue",
        "status": "InService",
        "config": "lakehouse-s1-daily-revenue-v2",
        "model": "lakehouse-s1-daily-revenue-v2",
        "model_data_url": "s3://b/sagemaker/daily-revenue/v2/model.tar.gz",
        "mlmodel": {"model_id": model_id, "run_id": run_id},
        "files": dict(V2_FILES),
        "variants": [SERVERLESS],
    }
    values.update(extra)
    return ServedModel(**values)


def test_the_champion_served_passes() -> None:
    outcome = judge_version([served()], REGISTRY, "s1")
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == {"lakehouse-s1-daily-revenue": "2"}


def test_an_older_version_served_fails_naming_both_versions() -> None:
    old = served("m-one", "run-one", model_data_url="s3://b/sagemaker/daily-revenue/v1/model.tar.gz")
    outcome = judge_version([old], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert "serves daily-revenue version 1" in outcome.reason and "champion is version 2" in outcome.reason
    assert "lakehouse-s1-daily-revenue" in outcome.reason


def test_an_update_rolled_back_fails_naming_its_failure_reason() -> None:
    """InService on the old configuration with a FailureReason: SageMaker could not deploy the new archive."""
    reason = 'Failed to download model data for container "container_1" from URL: "s3://b/v2/model.tar.gz".'
    old = served("m-one", "run-one", config="lakehouse-s1-daily-revenue-v1", failure_reason=reason)
    outcome = judge_version([old], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert f"champion is version 2 (run run-two); its last update failed: {reason}" in str(outcome.reason)
    # A FailureReason on an endpoint serving the champion is not by itself a failure (an earlier update's).
    assert judge_version([served(failure_reason=reason)], REGISTRY, "s1").passed


def test_a_model_no_version_registered_fails_naming_what_it_is() -> None:
    outcome = judge_version([served("m-stray", "run-stray")], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and "no registered version (model m-stray, run run-stray)" in outcome.reason


def test_a_broken_chain_fails_naming_the_link() -> None:
    broken = served(broken="model x's ModelDataUrl s3://b/k does not exist", mlmodel={})
    outcome = judge_version([broken], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and "s3://b/k does not exist" in outcome.reason


def test_no_endpoint_or_no_champion_fails() -> None:
    assert judge_version([], REGISTRY, "s1").status is Status.FAILED
    unaliased = Registry("daily-revenue", "champion", (V1, V2), None)
    outcome = judge_version([served()], unaliased, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and "'champion'" in outcome.reason and "1, 2" in outcome.reason


def test_run_id_decides_when_sources_carry_no_model_id() -> None:
    legacy = Registry("m", "champion", (RegisteredVersion("3", "run-3", "s3://b/0/run-3/artifacts/model"),), None)
    legacy = Registry("m", "champion", legacy.versions, legacy.versions[0], V2_FILES)
    assert judge_version([served("m-x", "run-3")], legacy, "s1").passed
    assert not judge_version([served("m-x", "run-4")], legacy, "s1").passed


def test_an_archive_of_the_champions_run_without_its_model_id_is_not_the_champion() -> None:
    """One run may log several models; MLflow 3's version names its model: the run alone used to decide."""
    outcome = judge_version([served(model_id="", run_id="run-two")], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert "serves daily-revenue no registered version (model None, run run-two)" in str(outcome.reason)
    other = served(model_id="m-baseline", run_id="run-two")
    assert not judge_version([other], REGISTRY, "s1").passed


@pytest.mark.parametrize(
    ("predicted", "status"),
    [(100.5, Status.PASSED), (99.0, Status.PASSED), (98.9, Status.FAILED), (None, Status.FAILED)],
)
def test_prediction_within_the_stated_tolerance(predicted: float | None, status: Status) -> None:
    outcome = judge_prediction("ep", "JP", predicted, 100.0, 1.0)
    assert outcome.status is status, outcome.reason
    if status is Status.FAILED:
        assert outcome.reason is not None and "ep" in outcome.reason and "JP" in outcome.reason


def test_an_endpoint_that_refuses_to_predict_fails_naming_its_error() -> None:
    outcome = judge_answer("ep", "JP", "ModelError: the model at s3://m/model.tar.gz does not load", 20.0, 1.0)
    assert outcome.status is Status.FAILED
    assert (
        outcome.reason
        == "endpoint ep did not predict for JP: ModelError: the model at s3://m/model.tar.gz does not load"
    )
    assert judge_answer("ep", "JP", [20.1], 20.0, 1.0).status is Status.PASSED
    assert judge_answer("ep", "JP", [], 20.0, 1.0).status is Status.FAILED


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'{"predictions": [20.0, 999.0]}', "it answered 2 prediction(s) for 1 record(s)"),
        (b'{"predictions": []}', "it answered 0 prediction(s) for 1 record(s)"),
        (b'{"predictions": [[20.0]]}', 'not MLflow\'s {"predictions": [numbers]}'),
        (b'{"predictions": [true]}', "it answered 1 prediction(s) for 1 record(s)"),
        (b'{"outputs": [20.0]}', "not MLflow's"),
        (b"<html>ok</html>", "not MLflow's"),
        (b'{"predictions": [NaN]}', "not finite numbers"),
    ],
    ids=["extra-prediction", "none", "nested", "boolean", "other-key", "not-json", "nan"],
)
def test_an_answer_that_is_not_one_number_per_record_is_named_and_fails(body: bytes, why: str) -> None:
    """The first of two numbers used to be judged alone: an answer must be exactly one finite number per record."""
    from lakehouse.checks.model_serving import Unanswered, predictions_of

    with pytest.raises(Unanswered) as raised:
        predictions_of(body, 1)
    assert why in str(raised.value)
    outcome = judge_answer("ep", "JP", str(raised.value), 20.0, 1.0)
    assert outcome.status is Status.FAILED and str(outcome.reason).startswith("endpoint ep did not predict for JP: ")
    assert predictions_of(b'{"predictions": [20.0]}', 1) == [20.0]


def test_a_reference_of_zero_is_met_by_zero_only() -> None:
    """A relative tolerance of 0 is 0 (it used to read |prediction| x 100 as the percentage off)."""
    assert judge_prediction("ep", "JP", 0.0, 0.0, 1.0).passed
    outcome = judge_prediction("ep", "JP", 0.005, 0.0, 1.0)
    assert outcome.status is Status.FAILED and "inf % off" in str(outcome.reason)


def test_the_stacks_default_image_is_the_one_the_emulator_runs() -> None:
    """infra/ml.tf's default tag follows the pinned MLflow: else every local endpoint would refuse to predict."""
    from mlflow.version import VERSION

    from lakehouse.emulator.extensions.sagemaker import unrunnable_image

    text = (Path(__file__).resolve().parents[2] / "infra" / "ml.tf").read_text()
    assert f'/mlflow-pyfunc:{VERSION}"' in text
    assert unrunnable_image(f"1.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:{VERSION}") is None


def test_prediction_without_a_reference_is_an_error() -> None:
    assert judge_prediction("ep", "XX", 1.0, None, 1.0).status is Status.ERROR


def test_serverless_within_caps_passes() -> None:
    outcome = judge_serverless([served()], 2, 2048, "s1")
    assert outcome.status is Status.PASSED, outcome.reason


def test_an_instance_based_config_fails_naming_the_endpoint_config() -> None:
    instances = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    outcome = judge_serverless([served(config="hand-made-config", variants=[instances])], 2, 2048, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert "configuration hand-made-config" in outcome.reason and "ml.m5.large" in outcome.reason


def test_serverless_above_the_caps_fails() -> None:
    big = {"VariantName": "AllTraffic", "ServerlessConfig": {"MaxConcurrency": 50, "MemorySizeInMB": 6144}}
    outcome = judge_serverless([served(variants=[big])], 2, 2048, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert "MaxConcurrency 50" in outcome.reason and "MemorySizeInMB 6144" in outcome.reason


def test_provisioned_concurrency_bills_idle_and_fails_naming_it() -> None:
    """Serverless with ProvisionedConcurrency keeps warm capacity billed by the hour: idle is not free."""
    warm: dict[str, Any] = {
        "VariantName": "AllTraffic",
        "ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048, "ProvisionedConcurrency": 1},
    }
    outcome = judge_serverless([served(variants=[warm])], 2, 2048, "s1")
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert "ProvisionedConcurrency 1" in outcome.reason and "variant AllTraffic" in outcome.reason
    cold = {**warm, "ServerlessConfig": {**warm["ServerlessConfig"], "ProvisionedConcurrency": 0}}
    assert judge_serverless([served(variants=[cold])], 2, 2048, "s1").passed


def test_no_endpoint_is_not_serverless() -> None:
    assert judge_serverless([], 2, 2048, "s1").status is Status.FAILED


def test_fit_predicts_each_countrys_mean_daily_revenue() -> None:
    import pandas as pd

    fitted = fit([("JP", Decimal("10.00")), ("JP", Decimal("30.00")), ("US", Decimal("7.50"))])
    predicted = fitted.model.predict(pd.DataFrame({"country": ["JP", "US"]}))
    assert predicted[0] == pytest.approx(20.0) and predicted[1] == pytest.approx(7.5)
    assert fitted.params["rows"] == 3 and fitted.params["countries"] == 2


def test_fit_refuses_empty_gold() -> None:
    with pytest.raises(ValueError, match="no rows"):
        fit([])


def test_the_archive_carries_the_mlmodel_at_its_root(tmp_path: Path) -> None:
    (tmp_path / "MLmodel").write_text("run_id: r1\nmodel_id: m-1\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x", encoding="utf-8")
    assert mlmodel_of(pack(tmp_path)) == {"run_id": "r1", "model_id": "m-1"}


def test_pack_refuses_a_folder_that_is_no_mlflow_model(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no MLmodel"):
        pack(tmp_path)


def test_reference_sql_takes_plain_country_codes_only() -> None:
    assert "country = 'JP'" in reference_sql("gold", "JP")
    with pytest.raises(ValueError):
        reference_sql("gold", "JP' OR '1'='1")


# -- what a variant's model serves: its one container's archive, unless something else picks the model ----------

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.18.0"  # moto account, MLflow 3.18.0


def _archive(model_id: str, run_id: str) -> bytes:
    """A model.tar.gz holding only an MLmodel document (what the reader opens)."""
    import io
    import tarfile

    text = _mlmodel(model_id, run_id)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        member = tarfile.TarInfo("MLmodel")
        member.size = len(text)
        tar.addfile(member, io.BytesIO(text))
    return buffer.getvalue()


@pytest.fixture
def account(ecr_blobs: None) -> Any:
    """moto's account with two archives in S3 and MLflow's serving image (its config, as the local release pushes
    it: ``lakehouse.ml.local_image``) in ECR under ``IMAGE``."""
    from lakehouse.ml.local_image import push_mlflow_image
    from lakehouse.target import Target

    target = Target(name="aws", region="us-east-1")
    push_mlflow_image(target.client("ecr"))
    s3 = target.client("s3")
    s3.create_bucket(Bucket="models")
    s3.put_object(Bucket="models", Key="v2/model.tar.gz", Body=_archive("m-two", "run-two"))
    s3.put_object(Bucket="models", Key="v1/model.tar.gz", Body=_archive("m-one", "run-one"))
    yield target


def _endpoint(target: Any, name: str, **model: Any) -> str:
    sm = target.client("sagemaker")
    sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm", **model)
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": name,
        "ServerlessConfig": {"MaxConcurrency": 2, "MemorySizeInMB": 2048},
    }
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    return name


CHAMPION = {"Image": IMAGE, "ModelDataUrl": "s3://models/v2/model.tar.gz"}


def test_the_champions_archive_in_mlflows_image_is_what_is_served(account: Any) -> None:
    from lakehouse.checks.model_serving import read_served

    deployment = {"MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function", "SERVING_ENVIRONMENT": "SageMaker"}
    served = read_served(account, _endpoint(account, "plain", PrimaryContainer={**CHAMPION, "Environment": deployment}))
    assert (served.broken, served.model_id, served.run_id) == (None, "m-two", "run-two")
    assert judge_version([served], REGISTRY, "s1").passed


@pytest.mark.parametrize(
    ("container", "culprit"),
    [
        (
            {
                **CHAMPION,
                "Environment": {"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "s3://x/c.tgz"},
            },
            "model env's container sets Environment SAGEMAKER_PROGRAM, SAGEMAKER_SUBMIT_DIRECTORY, which MLflow's "
            "serving image does not read: an image that reads it may serve another model than "
            "s3://models/v2/model.tar.gz",
        ),
        ({**CHAMPION, "Environment": {"HF_MODEL_ID": "someone/model"}}, "sets Environment HF_MODEL_ID"),
        ({**CHAMPION, "Environment": {"SERVING_MODEL_CONFIG": "{}"}}, "sets Environment SERVING_MODEL_CONFIG"),
        (
            {**CHAMPION, "ModelDataUrl": "s3://models/", "Mode": "MultiModel"},
            "model env's container is multi-model (Mode MultiModel): each request's TargetModel picks an archive "
            "under s3://models/",
        ),
    ],
    ids=["framework-script", "hugging-face", "model-config", "multi-model"],
)
def test_a_container_that_may_pick_another_model_fails_naming_it(
    account: Any, container: dict[str, Any], culprit: str
) -> None:
    from lakehouse.checks.model_serving import read_served

    served = read_served(account, _endpoint(account, "env", PrimaryContainer=container))
    assert served.broken is not None and culprit in served.broken, served.broken
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith("endpoint env serves no readable MLflow model: model env's container")


def test_a_multi_container_model_fails_with_every_container_followed(account: Any) -> None:
    from lakehouse.checks.model_serving import read_served

    old = {"Image": IMAGE, "ModelDataUrl": "s3://models/v1/model.tar.gz", "ContainerHostname": "old"}
    served = read_served(
        account, _endpoint(account, "pipeline", Containers=[{**CHAMPION, "ContainerHostname": "new"}, old])
    )
    assert served.broken == (
        "model pipeline is a multi-container model (2 Containers, no InferenceExecutionConfig), not one "
        "PrimaryContainer: a request goes through or to container 1 new (s3://models/v2/model.tar.gz: model m-two, "
        "run run-two); container 2 old (s3://models/v1/model.tar.gz: model m-one, run run-one), so no one archive is "
        "what the endpoint serves"
    )
    assert not judge_version([served], REGISTRY, "s1").passed


def test_endpoints_of_a_stack_whose_id_extends_ours_are_that_stacks(account: Any) -> None:
    """``lakehouse-lh-1-`` starts stack ``lh-1-x``'s endpoint names too: the stack_id tag tells them apart."""
    from lakehouse.checks.model_serving import own_endpoints

    sm = account.client("sagemaker")
    for name, stack in (("lakehouse-lh-1-model", "lh-1"), ("lakehouse-lh-1-x-model", "lh-1-x")):
        _endpoint(account, name, PrimaryContainer=CHAMPION)
        arn = sm.describe_endpoint(EndpointName=name)["EndpointArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stack_id", "Value": stack}])
    _endpoint(account, "lakehouse-lh-1-untagged", PrimaryContainer=CHAMPION)
    both = ["lakehouse-lh-1-model", "lakehouse-lh-1-untagged", "lakehouse-lh-1-x-model"]
    assert own_endpoints(account, "lakehouse-lh-1") == both  # by name alone
    assert own_endpoints(account, "lakehouse-lh-1", "lh-1") == ["lakehouse-lh-1-model", "lakehouse-lh-1-untagged"]
    assert own_endpoints(account, "lakehouse-lh-1-x", "lh-1-x") == ["lakehouse-lh-1-x-model"]


# -- the endpoint as it runs: its status, its running serverless config, the archive it loaded -------------------


def _backend_endpoint(name: str) -> Any:
    """moto's record of an endpoint: what DescribeEndpoint answers from (no API puts an endpoint in these states)."""
    from moto.sagemaker.models import sagemaker_backends

    return sagemaker_backends["123456789012"]["us-east-1"].endpoints[name]


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        ("Failed", "Could not find model data at s3://models/v2/model.tar.gz."),
        ("Updating", None),
        ("UpdateRollbackFailed", "The primary container for production variant AllTraffic did not pass the ping"),
    ],
)
def test_an_endpoint_not_in_service_fails_naming_its_status_and_failure_reason(
    account: Any, status: str, failure: str | None
) -> None:
    """The chain may read as the champion's, but a Failed or mid-update endpoint serves no settled version."""
    from lakehouse.checks.model_serving import read_served

    name = _endpoint(account, "unsettled", PrimaryContainer=CHAMPION)
    endpoint = _backend_endpoint(name)
    endpoint.endpoint_status, endpoint.failure_reason = status, failure
    served = read_served(account, name)
    assert (served.status, served.failure_reason, served.broken) == (status, failure, None)
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(f"endpoint unsettled is {status}")
    assert (f"(FailureReason: {failure})" in str(outcome.reason)) is (failure is not None)
    assert "only an InService endpoint serves its configuration unsettled steadily" in str(outcome.reason)
    assert outcome.details["endpoints"][0]["failure_reason"] == failure


def test_an_endpoint_under_aws_maintenance_still_serves_and_passes(account: Any) -> None:
    """SystemUpdating changes nothing the stack states: the endpoint serves on (no false red)."""
    from lakehouse.checks.model_serving import read_served

    name = _endpoint(account, "maintained", PrimaryContainer=CHAMPION)
    _backend_endpoint(name).endpoint_status = "SystemUpdating"
    assert judge_version([read_served(account, name)], REGISTRY, "s1").passed


@pytest.mark.parametrize(
    ("deployed", "now_there"),
    [("v1", "v2"), ("v2", "v1")],
    ids=["stale-endpoint-archive-replaced-by-the-champion", "champion-archive-replaced-by-another-run"],
)
def test_an_archive_replaced_after_the_endpoint_deployed_fails_naming_both_times(
    account: Any, deployed: str, now_there: str
) -> None:
    """SageMaker loaded the archive when it deployed: one written since is not what the endpoint serves, whichever
    model it holds now (here even the champion's, which read as served before)."""
    from datetime import timedelta

    from moto.sagemaker.models import sagemaker_backends

    from lakehouse.checks.model_serving import read_served

    url = "s3://models/live/model.tar.gz"
    s3 = account.client("s3")
    s3.put_object(Bucket="models", Key="live/model.tar.gz", Body=_archive(f"m-{deployed}", f"run-{deployed}"))
    name = _endpoint(account, "replaced", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": url})
    endpoint = _backend_endpoint(name)
    endpoint.last_modified_time -= timedelta(hours=1)  # deployed an hour ago, its model and configuration before
    backend = sagemaker_backends["123456789012"]["us-east-1"]
    for made in (backend._models[name], backend.endpoint_configs[name]):
        made.creation_time -= timedelta(hours=2)
    models = {"v1": ("m-one", "run-one"), "v2": ("m-two", "run-two")}
    s3.put_object(Bucket="models", Key="live/model.tar.gz", Body=_archive(*models[now_there]))
    served = read_served(account, name)
    assert served.broken is not None
    assert f"model replaced's archive {url} was written at " in served.broken
    assert f"(now model {models[now_there][0]}, run {models[now_there][1]}), after the endpoint last deployed at" in (
        served.broken
    )
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith("endpoint replaced serves no readable MLflow model: model replaced's archive")


def test_an_archive_written_before_the_endpoint_deployed_is_what_it_serves(account: Any) -> None:
    """The harness's order (archive, then model, config, endpoint) reads as served, within the same second too."""
    from lakehouse.checks.model_serving import read_served

    served = read_served(account, _endpoint(account, "fresh", PrimaryContainer=CHAMPION))
    assert (served.broken, served.model_id, served.deployed_at is not None) == (None, "m-two", True)


def _remade_after_deploy(account: Any, endpoint: str, kind: str, name: str, **spec: Any) -> None:
    """Delete SageMaker's ``kind`` (model or endpoint config) ``name`` and make it again with ``spec`` a minute after
    the endpoint last deployed (what Terraform does replacing a resource whose name does not change)."""
    from datetime import timedelta

    from moto.sagemaker.models import sagemaker_backends

    sm = account.client("sagemaker")
    backend = sagemaker_backends["123456789012"]["us-east-1"]
    if kind == "model":
        sm.delete_model(ModelName=name)
        sm.create_model(ModelName=name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sm", **spec)
        made = backend._models[name]
    else:
        sm.delete_endpoint_config(EndpointConfigName=name)
        sm.create_endpoint_config(EndpointConfigName=name, **spec)
        made = backend.endpoint_configs[name]
    made.creation_time = _backend_endpoint(endpoint).last_modified_time + timedelta(minutes=1)


def test_a_model_made_again_under_its_name_after_the_endpoint_deployed_is_not_what_it_serves(account: Any) -> None:
    """A stack whose model name does not change per version: Terraform replaces the model (a new ModelDataUrl), the
    configuration names the same model, so no UpdateEndpoint is made and SageMaker keeps serving the archive it
    copied at deploy (v1); the model read back now points at the champion's archive, written before that deploy."""
    from lakehouse.checks.model_serving import read_served

    name = _endpoint(account, "fixed", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/v1/model.tar.gz"})
    _remade_after_deploy(account, name, "model", "fixed", PrimaryContainer=CHAMPION)
    served = read_served(account, name)
    assert served.broken is not None
    assert "its model fixed was created at " in served.broken
    assert "after the endpoint last deployed at " in served.broken
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith("endpoint fixed serves no readable MLflow model: its model fixed was created")


def test_an_endpoint_config_made_again_under_its_name_after_the_endpoint_deployed_is_not_what_it_serves(
    account: Any,
) -> None:
    """The configuration deleted and made again under the endpoint's configuration name, now naming the champion's
    model: DescribeEndpoint still names it, but the endpoint runs what that name held when it deployed (v1)."""
    from lakehouse.checks.model_serving import read_served

    name = _endpoint(account, "cfg", PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://models/v1/model.tar.gz"})
    sm = account.client("sagemaker")
    sm.create_model(ModelName="cfg-v2", ExecutionRoleArn="arn:aws:iam::123456789012:role/sm", PrimaryContainer=CHAMPION)
    variant = {**SERVERLESS, "ModelName": "cfg-v2"}
    _remade_after_deploy(account, name, "endpoint-config", "cfg", ProductionVariants=[variant])
    served = read_served(account, name)
    assert served.broken is not None
    assert "its endpoint configuration cfg was created at " in served.broken
    assert "after the endpoint last deployed at " in served.broken
    outcome = judge_version([served], REGISTRY, "s1")
    assert outcome.status is Status.FAILED
    assert "endpoint cfg serves no readable MLflow model: its endpoint configuration cfg was created" in str(
        outcome.reason
    )


def test_a_model_and_configuration_made_in_the_same_instant_as_the_deploy_are_what_it_serves(account: Any) -> None:
    """Healthy twin: made before (or, at the API's millisecond, when) the endpoint deployed, they are what it runs."""
    from moto.sagemaker.models import sagemaker_backends

    from lakehouse.checks.model_serving import read_served

    name = _endpoint(account, "same-instant", PrimaryContainer=CHAMPION)
    backend = sagemaker_backends["123456789012"]["us-east-1"]
    deployed = _backend_endpoint(name).last_modified_time
    backend._models[name].creation_time = backend.endpoint_configs[name].creation_time = deployed
    served = read_served(account, name)
    assert (served.broken, served.model_id) == (None, "m-two")
    assert judge_version([served], REGISTRY, "s1").passed


def test_a_running_serverless_config_above_the_caps_fails_though_the_configuration_is_within() -> None:
    """UpdateEndpointWeightsAndCapacities raises MaxConcurrency and adds ProvisionedConcurrency in place:
    the endpoint configuration still says 2, DescribeEndpoint says what runs."""
    running = {"MaxConcurrency": 20, "MemorySizeInMB": 2048, "ProvisionedConcurrency": 2}
    live = [{"VariantName": "AllTraffic", "CurrentServerlessConfig": running, "DesiredServerlessConfig": running}]
    outcome = judge_serverless([served(live=live)], 2, 2048, "s1")
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    where = "lakehouse-s1-daily-revenue's variant AllTraffic as it runs (DescribeEndpoint CurrentServerlessConfig"
    stated = "not its configuration's {'MaxConcurrency': 2, 'MemorySizeInMB': 2048}"
    assert f"{where}, {stated}): MaxConcurrency 20 is above the cap 2" in reason
    assert "DesiredServerlessConfig" in reason and "ProvisionedConcurrency 2 keeps warm capacity billed" in reason
    same = {"MaxConcurrency": 2, "MemorySizeInMB": 2048}
    healthy = [{"VariantName": "AllTraffic", "CurrentServerlessConfig": same, "DesiredServerlessConfig": {}}]
    assert judge_serverless([served(live=healthy)], 2, 2048, "s1").passed


def test_a_running_variant_the_configuration_does_not_state_or_on_instances_fails() -> None:
    live = [
        {"VariantName": "AllTraffic", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1},
        {"VariantName": "Stray", "CurrentServerlessConfig": {"MaxConcurrency": 1, "MemorySizeInMB": 1024}},
    ]
    reason = str(judge_serverless([served(live=live)], 2, 2048, "s1").reason)
    assert "variant AllTraffic as it runs (DescribeEndpoint) runs 1 instance(s): it bills every hour" in reason
    assert "variant Stray as it runs (DescribeEndpoint) is no variant of its configuration" in reason


def test_the_scenarios_parts_all_passed_pass() -> None:
    version = judge_version([served()], REGISTRY, "s1")
    whole = judge_parts({"version": version, "serverless": judge_serverless([served()], 2, 2048, "s1")})
    assert whole.passed, whole.reason


def test_a_part_the_stack_failed_fails_the_whole_though_another_could_not_be_judged() -> None:
    """The version fails on an endpoint that is Failed; the prediction cannot be asked of it (an error): the
    scenario judges the stack broken, naming both, not ``error``."""
    down = served(status="Failed", failure_reason="ping failed")
    version = judge_version([down], REGISTRY, "s1")
    unreadable = Outcome.error("ClientError: Endpoint lakehouse-s1-daily-revenue is Failed", "within 1 %")
    whole = judge_parts({"version": version, "prediction": unreadable})
    assert whole.status is Status.FAILED
    assert str(whole.reason).startswith("version: endpoint lakehouse-s1-daily-revenue is Failed (FailureReason: ping")
    assert "prediction could not be judged: ClientError: Endpoint lakehouse-s1-daily-revenue is Failed" in str(
        whole.reason
    )


def test_parts_that_errored_and_none_failed_are_an_error_keeping_each_threshold() -> None:
    version = judge_version([served()], REGISTRY, "s1")
    unreadable = Outcome.error("the reference query failed", "within 1 %", {"sql": "SELECT 1"})
    whole = judge_parts({"version": version, "prediction": unreadable})
    assert whole.status is Status.ERROR
    assert whole.reason == "prediction could not be judged: the reference query failed"
    assert whole.threshold == {"version": version.threshold, "prediction": "within 1 %"}
    assert whole.details["prediction"] == {"reason": "the reference query failed", "sql": "SELECT 1"}


# -- the prediction: the stated country and the one of Gold furthest from it, so no constant answer passes ---------

REFERENCES = {"JP": 20.0, "US": 50.0, "DE": 24.0}


def test_the_country_furthest_from_the_stated_one_is_asked_too() -> None:
    from lakehouse.checks.model_serving import asked_countries

    assert asked_countries(REFERENCES, "JP") == ["JP", "US"]
    assert asked_countries({"JP": 20.0, "KR": 20.0}, "JP") == ["JP"]  # nothing a constant could be told apart by
    assert asked_countries({"US": 50.0}, "JP") == ["JP"]  # no reference: judged an error below


def test_a_model_answering_the_stated_countrys_value_for_every_input_fails_naming_the_other_country() -> None:
    """A constant model (or another model's weights packed under the champion's MLmodel) tuned to JP's mean: JP alone
    passed it; Gold's furthest country, asked beside it, is 60 % off."""
    from lakehouse.checks.model_serving import judge_predictions

    outcome = judge_predictions("lakehouse-s1-daily-revenue", ["JP", "US"], [20.0, 20.0], REFERENCES, 1.0)
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "endpoint lakehouse-s1-daily-revenue predicts 20.00 for US; Gold's SQL gives 50.00: 60 % off, which is not "
        "within 1 %"
    )
    assert outcome.details["asked"] == {
        "JP": {"predicted": 20.0, "reference": 20.0},
        "US": {"predicted": 20.0, "reference": 50.0},
    }


def test_a_model_of_gold_predicts_both_countries_and_passes_keeping_both() -> None:
    from lakehouse.checks.model_serving import judge_predictions

    outcome = judge_predictions("ep", ["JP", "US"], [20.1, 49.8], REFERENCES, 1.0)
    assert outcome.status is Status.PASSED
    assert outcome.measured == 20.1
    assert outcome.details["asked"]["US"] == {"predicted": 49.8, "reference": 50.0}


def test_a_refusal_or_a_missing_reference_is_judged_as_for_one_country() -> None:
    from lakehouse.checks.model_serving import judge_predictions

    refused = judge_predictions("ep", ["JP", "US"], "ModelError: no", REFERENCES, 1.0)
    assert (refused.status, refused.reason) == (Status.FAILED, "endpoint ep did not predict for JP: ModelError: no")
    assert judge_predictions("ep", ["JP"], [20.0], {"US": 50.0}, 1.0).status is Status.ERROR
