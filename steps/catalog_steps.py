"""Steps of @STACK-catalog: the Backstage catalog names the stack's real resources, is owned, served and idles paused.

The work is in ``lakehouse.checks.catalog``; each Then step concludes its own part and the last the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_bdd import given, parsers, then, when

from lakehouse.catalog.model import CATALOG_FILE, CatalogError, Entity, load_catalog
from lakehouse.catalog.repository import known_repository
from lakehouse.checks.catalog import CatalogReadback, read_catalog, verdict
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.lineage.endpoint import LineageEndpoint
from lakehouse.outcome import Outcome
from lakehouse.stack import Deployment, Stack
from steps.outcomes import conclude


@given(
    "the repository's catalog-info.yaml, valid against Backstage's entity schemas", target_fixture="catalog_entities"
)
def catalog_file(run_options: RunOptions) -> list[Entity] | Outcome:
    try:
        return load_catalog(run_options.root / CATALOG_FILE)
    except CatalogError as err:
        return Outcome.error(str(err))


@dataclass
class CatalogCheck:
    """What the When step read, and the outcome judged on it so far (the idle part's hours come from a Then)."""

    read: CatalogReadback | Outcome
    outcome: Outcome


@when(
    "the resources it names, its App Runner service, the schedules that pause it and its catalog service "
    "are read through their APIs",
    target_fixture="catalog_check",
)
def read_back(
    catalog_entities: list[Entity] | Outcome,
    stack: Stack,
    deployment: Deployment,
    run_options: RunOptions,
    lineage_endpoint: LineageEndpoint,
    mlflow_url: str | None,
    evidence: CheckEvidence,
    artifacts: ArtifactStore,
) -> CatalogCheck:
    """The services are found where the model and lineage checks find them (the configured ones on aws);
    the catalog service locally is the harness's process, on aws the App Runner service's own URL; the stack's
    resources in the regions its Terraform state says it used; the repository the Components' sources must be in
    is the one named (--github-repo, GITHUB_REPOSITORY), else the checkout's origin remote."""
    read: CatalogReadback | Outcome = (
        catalog_entities
        if isinstance(catalog_entities, Outcome)
        else read_catalog(
            run_options.root / CATALOG_FILE,
            stack.target,
            stack.stack_id,
            {"lineage": lineage_endpoint.api_url, "mlflow": mlflow_url},
            deployment.record.catalog_url,
            state=stack.state(),
            repository=known_repository(run_options.root, run_options.github_repo),
        )
    )
    return CatalogCheck(read, verdict(read))


def _part(outcome: Outcome, part: str) -> list[str]:
    return list(outcome.details.get("problems", {}).get(part, []))


@then("every resource the catalog names exists in the stack")
def resources_exist(catalog_check: CatalogCheck, evidence: CheckEvidence) -> None:
    conclude(catalog_check.outcome, evidence, _part(catalog_check.outcome, "resources"))


@then("every component has a lifecycle and an owner group, a team CODEOWNERS gives its directory")
def components_owned(catalog_check: CatalogCheck, evidence: CheckEvidence) -> None:
    conclude(catalog_check.outcome, evidence, _part(catalog_check.outcome, "ownership"))


@then(
    parsers.parse(
        "an enabled schedule of the stack pauses the catalog's App Runner service at least every {hours:g} h, "
        "through a role allowed to"
    )
)
def paused_when_idle(hours: float, catalog_check: CatalogCheck, evidence: CheckEvidence) -> None:
    catalog_check.outcome = verdict(catalog_check.read, pause_hours=hours)
    conclude(catalog_check.outcome, evidence, _part(catalog_check.outcome, "idle"))


@then("the catalog service answers with exactly the entities of catalog-info.yaml")
def served(catalog_check: CatalogCheck, stack: Stack, evidence: CheckEvidence, artifacts: ArtifactStore) -> None:
    outcome = catalog_check.outcome
    evidence.artifacts.append(artifacts.write_json(f"catalog-{stack.stack_id}.json", outcome.details))
    conclude(outcome, evidence)
