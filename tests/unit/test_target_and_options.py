"""Targets hand out the right endpoints and credentials; options fail early with the option's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config import ConfigError, RunOptions, env_options, new_stack_id
from lakehouse.target import AWS_MAX_ATTEMPTS, SERVICES, Target, TargetError, aws_target, local_target


def test_local_target_env_points_every_client_at_the_emulator() -> None:
    target = local_target("http://127.0.0.1:4566", "ap-northeast-1")
    env = target.env()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "ap-northeast-1"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert target.client("s3").meta.endpoint_url == "http://127.0.0.1:4566"


def test_override_repeats_every_provider_configuration() -> None:
    text = local_target("http://127.0.0.1:4566").provider_override([None, "use1"])
    assert text is not None
    assert text.count('provider "aws" {') == 2
    assert 'alias                       = "use1"' in text
    for service in SERVICES:
        assert f'{service} = "http://127.0.0.1:4566"' in text
    assert "skip_requesting_account_id  = false" in text  # ARNs need moto's account id


def test_aws_target_has_no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    target = aws_target("us-east-1")
    assert target.provider_override([None]) is None
    assert "AWS_ENDPOINT_URL" not in target.env()


def test_aws_target_reports_the_endpoint_the_standard_configuration_names(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Non-botocore clients (pyiceberg's Arrow S3) are given what botocore would resolve, nothing else."""
    from lakehouse.iceberg import catalog

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_GLUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    target = aws_target("us-east-1")
    assert target.configured_endpoint("s3") is None  # AWS's own: Arrow keeps virtual-hosted addressing
    assert "s3.endpoint" not in catalog(target).properties
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert (target.configured_endpoint("s3"), target.configured_endpoint("glue")) == (
        "http://127.0.0.1:2",
        "http://127.0.0.1:1",
    )
    props = catalog(target).properties
    assert props["s3.endpoint"] == "http://127.0.0.1:2"
    assert props["glue.endpoint"] == "http://127.0.0.1:1"
    assert props["client.access-key-id"] == "AKIAEXAMPLE"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert target.configured_endpoint("s3") is None


def _no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_aws_target_without_credentials_says_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_credentials(monkeypatch, tmp_path)
    with pytest.raises(TargetError) as err:
        aws_target("us-east-1")
    message = str(err.value)
    assert "\n" not in message
    assert "no AWS credentials" in message and "AWS_PROFILE" in message


def test_aws_target_with_unknown_profile_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _no_credentials(monkeypatch, tmp_path)
    with pytest.raises(TargetError, match="nope"):
        aws_target("us-east-1", profile="nope")


def test_stack_ids_are_unique_and_valid() -> None:
    ids = {new_stack_id() for _ in range(200)}
    assert len(ids) == 200
    for stack_id in ids:
        RunOptions(stack_id=stack_id)


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"target": "gcp"}, "--target"),
        ({"stack_id": "Bad_Id"}, "--stack-id"),
        ({"stack_id": "x"}, "--stack-id"),
        ({"deploy_threshold_s": 0}, "--deploy-threshold"),
        ({"tf_plugin_mirror": Path("/does/not/exist")}, "LAKEHOUSE_TF_PLUGIN_MIRROR"),
    ],
)
def test_bad_options_name_the_option(kwargs: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        RunOptions(**kwargs)  # type: ignore[arg-type]


def test_environment_supplies_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAKEHOUSE_TARGET", "aws")
    monkeypatch.setenv("LAKEHOUSE_STACK_ID", "lh-env1")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("LAKEHOUSE_TF_PLUGIN_MIRROR", str(tmp_path))
    monkeypatch.setenv("LAKEHOUSE_DEPLOY_THRESHOLD_S", "60")
    assert env_options() == {
        "target": "aws",
        "stack_id": "lh-env1",
        "region": "eu-west-1",
        "tf_plugin_mirror": tmp_path,
        "deploy_threshold_s": 60.0,
    }
    monkeypatch.setenv("LAKEHOUSE_DEPLOY_THRESHOLD_S", "soon")
    with pytest.raises(ConfigError, match="LAKEHOUSE_DEPLOY_THRESHOLD_S"):
        env_options()


def test_aws_clients_retry_throttled_reads_unless_the_user_chose_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks read a stack item by item: botocore's 3 attempts let a throttled read end a check ``error``."""
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    target = Target("aws", "us-east-1")
    retries = target.client("s3").meta.config.retries
    assert retries == {"mode": "standard", "total_max_attempts": AWS_MAX_ATTEMPTS}
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    assert target.client("s3").meta.config.retries["mode"] == "adaptive"  # the user's mode is kept
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    assert target.client("s3").meta.config.retries["total_max_attempts"] == 2  # theirs holds
    assert target.client("s3", retries={"total_max_attempts": 1}).meta.config.retries["total_max_attempts"] == 1
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    local = Target("local", "us-east-1", endpoint_url="http://127.0.0.1:1")
    assert local.client("s3").meta.config.retries.get("total_max_attempts") != AWS_MAX_ATTEMPTS
