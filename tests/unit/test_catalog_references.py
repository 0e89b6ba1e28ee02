"""@STACK-catalog attacked: an entity naming another (dependsOn, system, consumesApis...) that catalog-info.yaml
does not define. The Resource it names is never read back, so "every resource the catalog names exists" held for
the Resources the file defines only."""

from __future__ import annotations

from lakehouse.catalog.model import served_entity, validate_documents
from lakehouse.catalog.repository import Repository
from lakehouse.catalog.teams import CodeOwners
from lakehouse.checks.catalog import CatalogReadback, PauseSchedule, verdict
from lakehouse.checks.review import OwnerRule
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status

RUNNING = {"Status": "RUNNING", "ServiceArn": "arn:svc", "InstanceConfiguration": {"Memory": "512"}}
#: CODEOWNERS giving everything to the catalog's one team.
TEAMS = CodeOwners(project_root(), ".github/CODEOWNERS", (OwnerRule(1, "*", ("@org/team",)),))
PAUSE = PauseSchedule("default/lakehouse-lh-1-catalog-pause", "ENABLED", "rate(1 hour)", "arn:role/p", True)

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {{name: lakehouse}}
spec: {{owner: group:default/team}}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{name: team, annotations: {{github.com/team-slug: org/team}}}}
spec: {{type: team, children: []}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pipeline
  annotations: {{backstage.io/source-location: "url:https://github.com/org/repo/tree/main/pipeline/"}}
spec:
  type: pipeline
  lifecycle: production
  owner: group:default/team
  system: {system}
  dependsOn: [{depends}]
"""


def _verdict(**spec: str) -> Outcome:
    """The verdict on a catalog whose every part is healthy (served exactly, paused hourly) but the Component's
    references."""
    entities = validate_documents("catalog-info.yaml", CATALOG.format(**spec))
    read = CatalogReadback(entities, service_name="svc", service=RUNNING, catalog_url="http://c", pauses=[PAUSE])
    read.codeowners = TEAMS
    read.repository = Repository("github.com", "org/repo", "the test")  # its Components' source-location
    read.served = [served_entity(e, "catalog-info.yaml") for e in entities]
    return verdict(read)


def test_a_component_depending_on_a_resource_the_catalog_does_not_define_fails_naming_it() -> None:
    outcome = _verdict(system="lakehouse", depends="resource:default/lakehouse-models-bucket")
    assert outcome.status is Status.FAILED
    assert outcome.details["problems"]["resources"] == [
        "component:default/pipeline (line 11) names resource:default/lakehouse-models-bucket in spec.dependsOn, "
        "which catalog-info.yaml does not define"
    ]


def test_a_component_of_a_system_the_catalog_does_not_define_fails_naming_it() -> None:
    outcome = _verdict(system="warehouse", depends="system:lakehouse")
    assert outcome.status is Status.FAILED
    assert outcome.details["problems"]["resources"] == [
        "component:default/pipeline (line 11) names system:default/warehouse in spec.system, which "
        "catalog-info.yaml does not define"
    ]


def test_references_to_entities_of_the_catalog_pass() -> None:
    assert _verdict(system="lakehouse", depends="system:default/lakehouse").status is Status.PASSED
