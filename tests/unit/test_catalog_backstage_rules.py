"""@STACK-catalog attacked where the check read catalog-info.yaml unlike Backstage does.

- A short reference (``owner: data-owners``) resolves in the referring entity's own namespace (Backstage's
  BuiltinKindsEntityProcessor: ``defaultNamespace: selfRef.namespace``), not in ``default``: a Component of
  namespace ``lakehouse`` owned by ``data-owners`` is owned by ``group:lakehouse/data-owners``, which nobody defines.
- ``dependsOn`` / ``dependencyOf`` have no default kind there: a reference without one makes ``parseEntityRef``
  throw, the entity fails processing and Backstage never serves it.
- Backstage's FieldFormatEntityPolicy refuses an entity whose namespace, tags, label or annotation keys break its
  formats: the JSON schemas accept them, so the local stand-in served what Backstage on App Runner would refuse.
"""

from __future__ import annotations

import pytest

from lakehouse.catalog.model import CatalogError, served_entity, validate_documents
from lakehouse.catalog.repository import Repository
from lakehouse.catalog.teams import CodeOwners
from lakehouse.checks.catalog import CatalogReadback, PauseSchedule, verdict
from lakehouse.checks.review import OwnerRule
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status

RUNNING = {"Status": "RUNNING", "ServiceArn": "arn:svc", "InstanceConfiguration": {"Memory": "512"}}
#: CODEOWNERS giving everything to the catalog's one team.
TEAMS = CodeOwners(project_root(), ".github/CODEOWNERS", (OwnerRule(1, "*", ("@org/data-owners",)),))
#: Where each Component is (backstage.io/source-location).
SOURCE = "backstage.io/source-location: 'url:https://github.com/org/repo/tree/main/{}/'"
PAUSE = PauseSchedule("default/lakehouse-lh-1-catalog-pause", "ENABLED", "rate(1 hour)", "arn:role/p", True)

CATALOG = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata: {{name: lakehouse}}
spec: {{owner: group:default/data-owners}}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {{name: data-owners, annotations: {{github.com/team-slug: org/data-owners}}}}
spec: {{type: team, children: []}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {{name: lakehouse-infra, annotations: {{{infra}}}}}
spec: {{type: infrastructure, lifecycle: production, owner: group:default/data-owners, system: lakehouse}}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pipeline
  namespace: {namespace}
{meta}spec:
  type: pipeline
  lifecycle: production
  owner: {owner}
  system: {system}
  dependsOn: [{depends}]
"""
OWNERS = "group:default/data-owners"
INFRA = "component:default/lakehouse-infra"
HEALTHY = {
    "namespace": "default",
    "meta": f"  annotations: {{{SOURCE.format('pipeline')}}}\n",
    "infra": SOURCE.format("infra"),
    "owner": "data-owners",
    "system": "lakehouse",
    "depends": "component:lakehouse-infra",
}


def _verdict(**changes: str) -> Outcome:
    """The verdict on a catalog healthy in every part (served exactly, paused hourly) but what ``changes`` says."""
    entities = validate_documents("catalog-info.yaml", CATALOG.format(**{**HEALTHY, **changes}))
    read = CatalogReadback(entities, service_name="svc", service=RUNNING, catalog_url="http://c", pauses=[PAUSE])
    read.codeowners = TEAMS
    read.repository = Repository("github.com", "org/repo", "the test")  # its Components' source-location
    read.served = [served_entity(e, "catalog-info.yaml") for e in entities]
    return verdict(read)


def test_a_short_owner_resolves_in_the_components_own_namespace_and_fails_there() -> None:
    outcome = _verdict(namespace="lakehouse", system="system:default/lakehouse", depends=INFRA)
    assert outcome.status is Status.FAILED
    assert outcome.details["problems"]["ownership"] == [
        "component:lakehouse/pipeline (line 16) is owned by group:lakehouse/data-owners, which is no Group of the "
        "catalog (a reference without a namespace is in the entity's own, lakehouse)"
    ]


def test_a_short_system_resolves_in_the_components_own_namespace_and_fails_there() -> None:
    outcome = _verdict(namespace="lakehouse", owner="group:default/data-owners", depends=INFRA)
    assert outcome.status is Status.FAILED
    assert outcome.details["problems"]["resources"] == [
        "component:lakehouse/pipeline (line 16) names system:lakehouse/lakehouse in spec.system, which "
        "catalog-info.yaml does not define (a reference without a namespace is in the entity's own, lakehouse)"
    ]


def test_a_depends_on_without_a_kind_fails_naming_it() -> None:
    outcome = _verdict(depends="lakehouse-infra")
    assert outcome.status is Status.FAILED
    assert outcome.details["problems"]["resources"] == [
        "component:default/pipeline (line 16) names 'lakehouse-infra' in spec.dependsOn without a kind: Backstage "
        "has no default kind for spec.dependsOn, so its processor refuses the entity and the catalog never serves it"
    ]


@pytest.mark.parametrize(
    "changes",
    [
        HEALTHY,
        {"namespace": "lakehouse", "owner": OWNERS, "system": "system:default/lakehouse", "depends": INFRA},
        {"depends": INFRA},
    ],
)
def test_references_resolved_as_backstage_does_pass(changes: dict[str, str]) -> None:
    assert _verdict(**changes).status is Status.PASSED


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"namespace": "Lake_House"}, "field 'metadata.namespace': 'Lake_House' is not"),
        ({"meta": "  tags: [Data Lake]\n"}, "field 'metadata.tags.0': 'Data Lake' is not"),
        ({"meta": "  labels: {tier: gold class}\n"}, "field 'metadata.labels.tier': 'gold class' is not"),
        ({"meta": "  annotations: {'lakehouse io/aws name': x}\n"}, "field 'metadata.annotations': key"),
    ],
)
def test_a_field_backstage_refuses_fails_the_catalog_naming_it(changes: dict[str, str], message: str) -> None:
    with pytest.raises(CatalogError) as err:
        _verdict(**changes)
    assert message in str(err.value)
    assert "Backstage's FieldFormatEntityPolicy" in str(err.value)


def test_fields_in_backstages_formats_pass() -> None:
    meta = (
        "  tags: [iceberg, 'c++', data-lake]\n  labels: {lakehouse.io/tier: gold, empty: ''}\n"
        f"  annotations: {{lakehouse.io/aws-name: '{{project}}-{{stack_id}}', {SOURCE.format('pipeline')}}}\n"
    )
    outcome = _verdict(
        namespace="lakehouse-prod", meta=meta, owner=OWNERS, system="system:default/lakehouse", depends=INFRA
    )
    assert outcome.status is Status.PASSED
