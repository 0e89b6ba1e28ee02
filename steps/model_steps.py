"""Steps of @STACK-model (MLflow -> SageMaker): the served version, a prediction, serverless.

The second deploy phase (train on Gold, register, apply the version) runs once per session, after the
pipeline has built Gold (``model_release``). Each Then step judges one property; the evidence keeps
every part judged so far, and the last step concludes on all of them.
"""

from __future__ import annotations

from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from lakehouse.checks.model_serving import (
    Registry,
    ServedModel,
    asked_countries,
    judge_parts,
    judge_predictions,
    judge_serverless,
    judge_version,
    read_all_served,
    read_references,
    read_registry,
    try_invoke,
)
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.inventory import name_prefixes
from lakehouse.ml.deploy import ModelRelease, release_model
from lakehouse.ml.model import CHAMPION
from lakehouse.ml.service import NAME_IT, tracking_uri
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.stack import Deployment
from steps.outcomes import conclude


@pytest.fixture(scope="session")
def mlflow_url(deployment: Deployment, run_options: RunOptions) -> str | None:
    """The tracking server: ``MLFLOW_TRACKING_URI``/``--mlflow-url``, else the local stack's own (aws has none)."""
    return tracking_uri(run_options.mlflow_url, deployment.record.mlflow_url)


@pytest.fixture(scope="session")
def model_release(
    deployment: Deployment, pipeline_run: PipelineResult, mlflow_url: str | None
) -> ModelRelease | Outcome:
    """Train on Gold, register, deploy the version (the second deploy phase), once per session.

    A release the stack broke is ``failed``, one the harness could not make ``error`` (``release_model``); a
    failed pipeline is ``error`` too: with no Gold to train on, the model serving is not judged at all (the
    pipeline's own scenarios judge the pipeline).
    """
    if not pipeline_run.ok:
        return Outcome.error(f"the pipeline failed at {pipeline_run.error}: no Gold to train on")
    return release_model(deployment, mlflow_url)


class ModelReadback:
    """What the When step read: every endpoint followed to its archive, and the registry."""

    def __init__(self, served: list[ServedModel], registry: Registry, deployment: Deployment, mlflow_url: str):
        self.served, self.registry, self.mlflow_url = served, registry, mlflow_url
        self.stack_id, self.target = deployment.stack.stack_id, deployment.stack.target
        self.parts: dict[str, Outcome] = {}

    def conclude(self, part: str, outcome: Outcome, evidence: CheckEvidence) -> None:
        """Record ``outcome`` as one part of the whole and end this step on that part."""
        self.parts[part] = outcome
        problems = [] if outcome.passed else [outcome.reason or f"{part} failed"]
        conclude(self.whole(), evidence, problems if outcome.status is not Status.ERROR else None)

    def whole(self) -> Outcome:
        """Every part judged so far as one outcome (``judge_parts``: a failed part fails it, errors or not)."""
        return judge_parts(self.parts)


@given(parsers.parse('the model "{name}" is trained on Gold, registered in MLflow and deployed by Terraform'))
def model_deployed(
    name: str,
    model_release: ModelRelease | Outcome,
    deployment: Deployment,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
) -> None:
    if isinstance(model_release, Outcome):
        conclude(model_release, evidence)
        return
    if model_release.registered.get("model_name") != name:
        conclude(
            Outcome.error(f"the harness trains {model_release.registered.get('model_name')}, not {name}"), evidence
        )
    evidence.details["release"] = model_release.to_dict()
    evidence.artifacts.append(artifacts.write_json(f"model-release-{deployment.stack.stack_id}.json", evidence.details))


@when(
    parsers.parse(
        "the stack's SageMaker endpoints are followed to the archives they serve and MLflow's \"{name}\" is read"
    ),
    target_fixture="model_readback",
)
def read_model_serving(
    name: str, deployment: Deployment, mlflow_url: str | None, evidence: CheckEvidence
) -> ModelReadback:
    prefix, _ = name_prefixes(deployment.stack.stack_id)
    if not mlflow_url:
        conclude(
            Outcome.error(f"stack {deployment.stack.stack_id} has no MLflow tracking server ({NAME_IT})"), evidence
        )
        raise AssertionError("unreachable: conclude raises")
    evidence.details["mlflow_url"] = mlflow_url
    try:
        stack = deployment.stack
        served = read_all_served(stack.target, prefix, stack.stack_id, stack.state())
        registry = read_registry(mlflow_url, name, "champion", deployment.stack.target)
    except Exception as err:  # noqa: BLE001 - an API that cannot be read ends the check as an error, named
        conclude(Outcome.error(f"reading SageMaker or MLflow failed: {type(err).__name__}: {err}"), evidence)
        raise  # unreachable: conclude raises
    return ModelReadback(served, registry, deployment, mlflow_url)


@then(parsers.parse('every endpoint serves the version the alias "{alias}" names in the registry'))
def serves_the_champion(
    alias: str, model_readback: ModelReadback, model_release: ModelRelease | Outcome, evidence: CheckEvidence
) -> None:
    registry = model_readback.registry
    if alias != registry.alias:
        registry = read_registry(model_readback.mlflow_url, registry.model_name, alias, model_readback.target)
    # The release gives CHAMPION to the version it trained on Gold; another alias is not its to judge.
    trained = model_release.registered if isinstance(model_release, ModelRelease) and alias == CHAMPION else None
    outcome = judge_version(model_readback.served, registry, model_readback.stack_id, trained)
    model_readback.conclude("version", outcome, evidence)


@then(
    parsers.parse(
        'for country "{country}" and the country of Gold furthest from it every endpoint predicts within '
        "{tolerance:g} % of the mean daily revenue that Gold's orders give by SQL"
    )
)
def predicts_gold(
    country: str, tolerance: float, model_readback: ModelReadback, deployment: Deployment, evidence: CheckEvidence
) -> None:
    try:
        outputs: dict[str, Any] = deployment.record.outputs
        gold_db = outputs["glue_database_names"]["gold"]
        references = read_references(deployment.stack.target, outputs["athena_workgroup_name"], gold_db)
        asked = asked_countries(references, country)
        target = deployment.stack.target
        records = [{"country": c} for c in asked]
        predictions = {s.label: try_invoke(target, s.endpoint, records, s.region) for s in model_readback.served}
    except Exception as err:  # noqa: BLE001 - an unreadable reference or endpoint is an error, named
        model_readback.conclude("prediction", Outcome.error(f"{type(err).__name__}: {err}"), evidence)
        return
    outcomes = [judge_predictions(e, asked, answer, references, tolerance) for e, answer in predictions.items()]
    if not outcomes:
        outcomes = [Outcome.judged(False, None, f"within {tolerance:g} %", "no endpoint to ask for a prediction")]
    worst = next((o for o in outcomes if not o.passed), outcomes[0])
    worst.details["endpoints"] = dict(predictions)
    model_readback.conclude("prediction", worst, evidence)


@then(
    parsers.parse(
        "every endpoint is serverless, so idle costs 0, with at most {concurrency:d} concurrent invocations "
        "of at most {memory:d} MB"
    )
)
def serverless(concurrency: int, memory: int, model_readback: ModelReadback, evidence: CheckEvidence) -> None:
    outcome = judge_serverless(model_readback.served, concurrency, memory, model_readback.stack_id)
    model_readback.parts["serverless"] = outcome
    conclude(model_readback.whole(), evidence)
