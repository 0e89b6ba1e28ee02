"""@STACK-model's registry side read through a real MLflow registry (SQLite): attacks that hold, pinned.

Another registered model with the same version number, logged in the same run as the champion, is not the
champion: the registry is read by the model's name, and a served archive is matched by MLflow model id, not by
version number or run. An archive holding the champion's MLmodel beside other weights is not the champion either:
its files are compared with the version's artifacts, downloaded through MLflow, file by file.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.model_serving import Registry, ServedModel, judge_version, read_registry, read_served
from lakehouse.ml.model import MODEL_NAME, fit, pack
from lakehouse.outcome import Status
from lakehouse.target import Target
from tests.unit.test_model_serving import IMAGE, _endpoint, account

__all__ = ["account"]  # the fixture, used by name

ENDPOINT = "lakehouse-s1-daily-revenue"
#: The target the registry's artifacts are read with: no S3 is touched, the artifact store is a local folder.
TARGET = Target(name="aws", region="us-east-1")


@pytest.fixture(scope="module")
def registry_models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, dict[str, str], str]]:
    """``daily-revenue`` v1 (alias champion) and ``daily-revenue-old`` v1, two models logged in one run, each
    with an MLmodel artifact naming it: (the registry read back, model id by registered name, run id). Once per
    module: reading the registry downloads the champion's artifacts in a process of its own."""
    tmp_path = tmp_path_factory.mktemp("registry")
    with pytest.MonkeyPatch.context() as monkeypatch:
        uri, ids, run = _registry_models(tmp_path, monkeypatch)
    yield _read_back(uri, "daily-revenue", tmp_path), ids, run


def _read_back(uri: str, model_name: str, tmp_path: Path) -> Registry:
    """``read_registry`` as the scenario calls it: no MLflow variable in the environment names the registry (a
    reader that ignores ``uri`` finds no model in the ./mlflow.db MLflow makes by default, in a folder of its own)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
        monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
        monkeypatch.chdir(elsewhere)
        return read_registry(uri, model_name, "champion", TARGET)


def _registry_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str], str]:
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
        (tmp_path / "MLmodel").write_text(f"model_id: {model.model_id}\nrun_id: {run}\n", encoding="utf-8")
        client.log_model_artifact(model.model_id, str(tmp_path / "MLmodel"))
        client.create_model_version(name, source=f"models:/{model.model_id}", run_id=run)
        ids[name] = model.model_id
    client.set_registered_model_alias("daily-revenue", "champion", "1")
    return uri, ids, run


def _served(model_id: str, run_id: str, files: dict[str, str] | None = None) -> ServedModel:
    url = "s3://b/sagemaker/daily-revenue/v1/model.tar.gz"
    return ServedModel(
        ENDPOINT,
        "InService",
        ENDPOINT,
        model=ENDPOINT,
        model_data_url=url,
        mlmodel={"model_id": model_id, "run_id": run_id},
        files=files,
    )


def test_another_models_version_of_the_same_number_and_run_is_not_the_champion(
    registry_models: tuple[Registry, dict[str, str], str],
) -> None:
    registry, ids, run = registry_models
    assert [v.version for v in registry.versions] == ["1"]  # daily-revenue-old's version 1 is not read as one
    assert registry.champion is not None and registry.champion.model_id == ids["daily-revenue"]
    outcome = judge_version([_served(ids["daily-revenue-old"], run)], registry, "s1")
    assert outcome.status is Status.FAILED
    assert (
        f"serves daily-revenue no registered version (model {ids['daily-revenue-old']}, run {run}) "
        "(s3://b/sagemaker/daily-revenue/v1/model.tar.gz), but the registry's champion is version 1"
    ) in str(outcome.reason)


def test_the_champions_own_model_is_served(registry_models: tuple[Registry, dict[str, str], str]) -> None:
    registry, ids, run = registry_models
    assert registry.champion_files is not None and list(registry.champion_files) == ["MLmodel"]
    outcome = judge_version([_served(ids["daily-revenue"], run, dict(registry.champion_files))], registry, "s1")
    assert outcome.passed, outcome.reason
    assert outcome.measured == {ENDPOINT: "1"}


# -- the archive SageMaker serves against the version's artifacts: a real model, packed as a release packs it ------


@dataclass(frozen=True)
class Released:
    """A champion logged by ``mlflow.sklearn`` as training logs it, and archives made of its download."""

    registry: Registry  #: the registry read back
    healthy: bytes  #: what a release packs: the version's artifacts as MLflow downloads them
    other_weights: bytes  #: the same MLmodel (and every other file) beside another model's model.pkl


def _gold(jp: float, us: float, de: float) -> list[tuple[str, float]]:
    return [("JP", jp), ("JP", jp), ("US", us), ("US", us), ("DE", de)]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Released]:
    """Once per module: logging a model and reading the registry back take seconds each."""
    tmp_path = tmp_path_factory.mktemp("released")
    with pytest.MonkeyPatch.context() as monkeypatch:
        uri, healthy, forged = _released(tmp_path, monkeypatch)
    yield Released(_read_back(uri, MODEL_NAME, tmp_path), healthy, forged)


def _released(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, bytes, bytes]:
    """(tracking URI, the archive a release packs, the same archive with another fit's model.pkl)."""
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    experiment = mlflow.create_experiment("daily-revenue", artifact_location=str(tmp_path / "artifacts"))
    requirements = ["scikit-learn==1.9.1", "mlflow-skinny==3.18.0"]  # as training states them (no inference)
    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.sklearn.log_model(
            fit(_gold(100.0, 300.0, 50.0)).model,
            name="model",
            registered_model_name=MODEL_NAME,
            serialization_format="cloudpickle",
            pip_requirements=requirements,
        )
    version = str(info.registered_model_version)
    mlflow.MlflowClient().set_registered_model_alias(MODEL_NAME, "champion", version)
    champion = Path(
        mlflow.artifacts.download_artifacts(f"models:/{MODEL_NAME}/{version}", dst_path=str(tmp_path / "v"))
    )
    # Another fit that predicts JP and US as the champion does (the two countries the scenario asks), not DE.
    other = tmp_path / "other"
    mlflow.sklearn.save_model(fit(_gold(100.0, 300.0, 999.0)).model, other, serialization_format="cloudpickle")
    forged = tmp_path / "forged"
    shutil.copytree(champion, forged)
    shutil.copy(other / "model.pkl", forged / "model.pkl")
    assert (forged / "model.pkl").read_bytes() != (champion / "model.pkl").read_bytes()
    return uri, pack(champion), pack(forged)


def _serving(account: Any, archive: bytes) -> ServedModel:
    """An endpoint in MLflow's serving image whose ModelDataUrl is ``archive``, read back as the scenario reads it."""
    account.client("s3").put_object(Bucket="models", Key="live/model.tar.gz", Body=archive)
    container = {"Image": IMAGE, "ModelDataUrl": "s3://models/live/model.tar.gz"}
    return read_served(account, _endpoint(account, ENDPOINT, PrimaryContainer=container))


def test_the_champions_mlmodel_beside_other_weights_fails_naming_the_file(released: Released, account: Any) -> None:
    """The MLmodel names the champion's model and run, so the ids match; the weights SageMaker loads do not."""
    served = _serving(account, released.other_weights)
    outcome = judge_version([served], released.registry, "s1")
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert (
        f"endpoint {ENDPOINT}'s archive s3://models/live/model.tar.gz (model {ENDPOINT}) names the champion, "
        f"version 1, in its MLmodel, but its files are not {MODEL_NAME} version 1's artifacts in MLflow: "
        "model.pkl differs: sha256 "
    ) in reason, reason
    assert "MLmodel" not in reason.split("artifacts in MLflow: ")[1]  # only the weights differ
    assert outcome.measured == {ENDPOINT: None}


def test_the_champions_archive_as_a_release_packs_it_is_served(released: Released, account: Any) -> None:
    served = _serving(account, released.healthy)
    outcome = judge_version([served], released.registry, "s1")
    assert outcome.passed, outcome.reason
    assert outcome.measured == {ENDPOINT: "1"}
    assert served.files is not None and {"MLmodel", "model.pkl"} <= set(served.files)
