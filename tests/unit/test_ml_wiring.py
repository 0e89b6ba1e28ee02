"""Where the aws target finds MLflow (the standard variable or the option) and whose keys the training signs with."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.catalog.model import Entity
from lakehouse.checks.catalog import Unreadable, lookup
from lakehouse.config import RunOptions, env_options
from lakehouse.ml import train
from lakehouse.ml.service import tracking_uri
from lakehouse.target import LOCAL_ACCESS_KEY, local_target


def test_a_configured_tracking_server_wins_over_the_local_stacks_own() -> None:
    assert tracking_uri("http://mlflow.example:5000", "http://127.0.0.1:4000") == "http://mlflow.example:5000"
    assert tracking_uri(None, "http://127.0.0.1:4000") == "http://127.0.0.1:4000"
    assert tracking_uri(None, None) is None  # aws with nothing named: the check ends error, saying what to set


def test_mlflows_standard_variable_names_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert env_options()["mlflow_url"] == "http://mlflow.example:5000"
    assert RunOptions(**env_options()).mlflow_url == "http://mlflow.example:5000"  # type: ignore[arg-type]


def test_the_option_is_offered(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.getoption("--mlflow-url") is None  # declared by steps/options.py (a usage error if not)


def test_training_on_aws_signs_with_the_accounts_keys_even_with_an_endpoint_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An aws run may name its endpoint with AWS_ENDPOINT_URL: that is no reason to sign with the emulator's keys."""
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAACCOUNTKEY000001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "account-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    on_aws = train._target(on_emulator=False)
    assert not on_aws.is_local
    credentials = on_aws.session().get_credentials()
    assert credentials is not None and credentials.access_key == "AKIAACCOUNTKEY000001"
    assert train._target(on_emulator=True) == local_target("http://127.0.0.1:1", "us-east-1")
    assert train._target(on_emulator=True).session().get_credentials().access_key == LOCAL_ACCESS_KEY  # type: ignore[union-attr]


@pytest.mark.parametrize(("service", "setting"), [("mlflow", "MLFLOW_TRACKING_URI"), ("lineage", "MARQUEZ_URL")])
def test_a_catalog_service_without_a_url_is_unreadable_naming_the_setting(service: str, setting: str) -> None:
    kind = f"{service}-service"
    entity = Entity(
        {
            "kind": "Resource",
            "metadata": {"name": service, "annotations": {"lakehouse.io/service": service}},
            "spec": {"type": kind},
        },
        1,
        0,
    )
    with pytest.raises(Unreadable, match=setting):
        lookup(entity, local_target("http://127.0.0.1:1"), {}, {service: None})
