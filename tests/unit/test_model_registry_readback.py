"""@STACK-model's registry side read through a real MLflow registry (SQLite): attacks that hold, pinned.

Another registered model with the same version number, logged in the same run as the champion, is not the
champion: the registry is read by the model's name, and a served archive is matched by MLflow model id, not by
version number or run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.checks.model_serving import ServedModel, judge_version, read_registry
from lakehouse.outcome import Status

ENDPOINT = "lakehouse-s1-daily-revenue"


@pytest.fixture
def registry_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str], str]:
    """``daily-revenue`` v1 (alias champion) and ``daily-revenue-old`` v1, two models logged in one run:
    (tracking URI, model id by registered name, run id)."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # the registry resolves a version's models:/ source through it
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("daily-revenue", artifact_location=str(tmp_path / "artifacts"))
    run = client.create_run(experiment).info.run_id
    ids = {}
    for name in ("daily-revenue", "daily-revenue-old"):
        client.create_registered_model(name)
        model = client.create_logged_model(experiment, name="model", source_run_id=run)
        client.create_model_version(name, source=f"models:/{model.model_id}", run_id=run)
        ids[name] = model.model_id
    client.set_registered_model_alias("daily-revenue", "champion", "1")
    return uri, ids, run


def _served(model_id: str, run_id: str) -> ServedModel:
    url = "s3://b/sagemaker/daily-revenue/v1/model.tar.gz"
    return ServedModel(
        ENDPOINT,
        "InService",
        ENDPOINT,
        model=ENDPOINT,
        model_data_url=url,
        mlmodel={"model_id": model_id, "run_id": run_id},
    )


def test_another_models_version_of_the_same_number_and_run_is_not_the_champion(
    registry_models: tuple[str, dict[str, str], str],
) -> None:
    uri, ids, run = registry_models
    registry = read_registry(uri, "daily-revenue", "champion")
    assert [v.version for v in registry.versions] == ["1"]  # daily-revenue-old's version 1 is not read as one
    assert registry.champion is not None and registry.champion.model_id == ids["daily-revenue"]
    outcome = judge_version([_served(ids["daily-revenue-old"], run)], registry, "s1")
    assert outcome.status is Status.FAILED
    assert (
        f"serves daily-revenue no registered version (model {ids['daily-revenue-old']}, run {run}) "
        "(s3://b/sagemaker/daily-revenue/v1/model.tar.gz), but the registry's champion is version 1"
    ) in str(outcome.reason)


def test_the_champions_own_model_is_served(registry_models: tuple[str, dict[str, str], str]) -> None:
    uri, ids, run = registry_models
    registry = read_registry(uri, "daily-revenue", "champion")
    outcome = judge_version([_served(ids["daily-revenue"], run)], registry, "s1")
    assert outcome.passed, outcome.reason
    assert outcome.measured == {ENDPOINT: "1"}
