"""@STACK-catalog attacked: a failed App Runner service, a stale or partial catalog served, resources in other regions.

Each broken case passed on main: a CREATE_FAILED service counted as existing; the local catalog service served
the repository's own file, so what it answered could not differ from what the check compares it with, and a copy
differing in title, description or links passed anyway; only the stack's region was read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug.test import Client

from lakehouse.catalog.model import CATALOG_FILE, Entity, load_catalog
from lakehouse.catalog.regions import stack_regions
from lakehouse.catalog.server import create_app
from lakehouse.checks.catalog import judge_resources, judge_served, judge_serving, lookup
from lakehouse.config import project_root

ROOT = project_root()
CATALOG = ROOT / CATALOG_FILE
NAME = "lakehouse-lh-1-catalog"
ARN = f"arn:aws:apprunner:eu-central-1:123456789012:service/{NAME}/abc"
VALUES = {"project": "lakehouse", "stack_id": "lh-1", "account_id": "1", "region": "eu-central-1"}
VALUES = {**VALUES, "glue_prefix": "lakehouse_lh_1"}


class _AppRunner:
    """App Runner's ListServices / DescribeService for one service in the given status."""

    def __init__(self, status: str) -> None:
        self.status = status

    def list_services(self, **_: Any) -> dict[str, Any]:
        return {"ServiceSummaryList": [{"ServiceName": NAME, "ServiceArn": ARN, "Status": self.status}]}

    def describe_service(self, ServiceArn: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        return {"Service": {"ServiceName": NAME, "ServiceArn": ServiceArn, "Status": self.status}}

    def list_tags_for_resource(self, ResourceArn: str) -> dict[str, Any]:  # noqa: N803 (boto3's name)
        """The stack's default_tags on its service."""
        assert ResourceArn == ARN
        return {"Tags": [{"Key": "stack_id", "Value": VALUES["stack_id"]}]}


class _Target:
    """A target whose App Runner is ``_AppRunner`` (the only service ``lookup`` reads for this entity)."""

    region = "eu-central-1"

    def __init__(self, status: str) -> None:
        self.apprunner = _AppRunner(status)

    def client(self, service: str, region: str | None = None, **_: Any) -> Any:
        assert service == "apprunner"
        return self.apprunner


def _catalog_service() -> Entity:
    [entity] = [e for e in load_catalog(CATALOG) if e.spec.get("type") == "apprunner-service"]
    return entity


@pytest.mark.parametrize("status", ["CREATE_FAILED", "DELETE_FAILED"])
def test_a_failed_app_runner_service_cannot_be_used_by_the_catalog(status: str) -> None:
    entity = _catalog_service()
    found = lookup(entity, _Target(status), VALUES, {})  # type: ignore[arg-type]
    assert found is not None
    assert judge_resources([entity], [found]) == [
        f"resource:default/lakehouse-catalog-service names apprunner-service '{NAME}', which cannot be used: it is "
        f"{status} in eu-central-1, not RUNNING or PAUSED: it runs nothing (App Runner ListServices)"
    ]


@pytest.mark.parametrize("status", ["RUNNING", "PAUSED"])
def test_a_running_or_paused_app_runner_service_exists(status: str) -> None:
    entity = _catalog_service()
    found = lookup(entity, _Target(status), VALUES, {})  # type: ignore[arg-type]
    assert found is not None and found.exists
    assert judge_resources([entity], [found]) == []


def test_a_failed_catalog_service_serves_nothing_whatever_the_local_stand_in_answers() -> None:
    assert judge_serving(NAME, {"ServiceName": NAME, "Status": "CREATE_FAILED"}) == [
        f"App Runner service {NAME} is CREATE_FAILED, not RUNNING or PAUSED: it serves no entities"
    ]
    assert judge_serving(NAME, {"ServiceName": NAME, "Status": "PAUSED"}) == []


def _stale_copy(tmp_path: Path) -> Path:
    """catalog-info.yaml as an older deploy had it: the pipeline's description and the workgroup's title changed,
    the harness's title gone (a partial entity); every reference, spec and annotation the same."""
    documents = list(yaml.safe_load_all(CATALOG.read_text(encoding="utf-8")))
    for doc in documents:
        meta = doc["metadata"]
        if meta["name"] == "lakehouse-pipeline":
            meta["description"] = "Lands the CSVs in Bronze (the old pipeline, before Silver and Gold)."
        elif meta["name"] == "lakehouse-harness":
            meta.pop("title")
        elif meta["name"] == "lakehouse-workgroup":
            meta["title"] = "Old workgroup"
    stale = tmp_path / "catalog-info.stale.yaml"
    stale.write_text(yaml.safe_dump_all(documents, sort_keys=False), encoding="utf-8")
    return stale


def _served_by(catalog: Path) -> list[dict[str, Any]]:
    """GET /api/catalog/entities of the harness's catalog service over ``catalog``."""
    response = Client(create_app(catalog)).get("/api/catalog/entities")
    assert response.status_code == 200
    return list(json.loads(response.get_data()))


def test_the_local_service_serving_a_stale_copy_fails_naming_each_entity_and_field(tmp_path: Path) -> None:
    entities = load_catalog(CATALOG)
    problems = judge_served(entities, _served_by(_stale_copy(tmp_path)), "http://c")
    line = {e.name: e.line for e in entities}
    assert problems == [
        f"the catalog service at http://c serves component:default/lakehouse-pipeline unlike catalog-info.yaml "
        f"(line {line['lakehouse-pipeline']}): metadata.description 'Lands the CSVs in Bronze (the old pipeline, "
        "before Silver and Gold).', not 'Lands the CSVs in Bronze and builds Silver and Gold with Athena SQL "
        "(pipeline/), emitting OpenLineage events.'",
        f"the catalog service at http://c serves component:default/lakehouse-harness unlike catalog-info.yaml "
        f"(line {line['lakehouse-harness']}): metadata.title None, not 'Verification harness'",
        f"the catalog service at http://c serves resource:default/lakehouse-workgroup unlike catalog-info.yaml "
        f"(line {line['lakehouse-workgroup']}): metadata.title 'Old workgroup', not None",
    ]


def test_the_service_serving_the_repositorys_catalog_passes() -> None:
    """The healthy twin: Backstage's own additions (uid, etag, namespace, its annotations, relations) are no
    difference."""
    assert judge_served(load_catalog(CATALOG), _served_by(CATALOG), "http://c") == []


def test_the_local_service_serves_the_copy_taken_at_deploy_not_the_live_file(tmp_path: Path) -> None:
    """What the harness serves is fixed when the stack is deployed (as an App Runner image is): the repository's
    file edited afterwards is not what the service answers, so the check compares two things that can differ."""
    from lakehouse.catalog.service import DEPLOYED_COPY, deployed_copy

    repository = tmp_path / CATALOG_FILE
    repository.write_bytes(CATALOG.read_bytes())
    served = deployed_copy(repository, tmp_path / "stack")
    assert served == tmp_path / "stack" / DEPLOYED_COPY
    repository.write_text(
        CATALOG.read_text(encoding="utf-8").replace("title: Verification harness", "title: Harness v2"),
        encoding="utf-8",
    )
    [problem] = judge_served(load_catalog(repository), _served_by(served), "http://c")
    assert "serves component:default/lakehouse-harness unlike catalog-info.yaml" in problem
    assert "metadata.title 'Verification harness', not 'Harness v2'" in problem


def test_a_root_without_a_catalog_deploys_and_leaves_no_stale_copy(tmp_path: Path) -> None:
    """A project without catalog-info.yaml (the lifecycle tests' small roots) still deploys: the service is given
    a file that does not exist, as it was before copies, and a copy left by an earlier deploy is not served."""
    from lakehouse.catalog.service import DEPLOYED_COPY, deployed_copy

    stale = tmp_path / "stack" / DEPLOYED_COPY
    stale.parent.mkdir()
    stale.write_bytes(CATALOG.read_bytes())
    served = deployed_copy(tmp_path / CATALOG_FILE, tmp_path / "stack")
    assert served == stale and not served.exists()


def _state(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"values": {"root_module": {"resources": [{"mode": "managed", **r} for r in resources]}}}


def test_the_stacks_regions_and_where_each_named_resource_lives_come_from_its_state() -> None:
    use1 = "arn:aws:apprunner:us-east-1:1:service/lakehouse-lh-1-preview/x"
    state = _state(
        {"type": "aws_s3_bucket", "values": {"bucket": "lakehouse-lh-1-gold-1", "region": "eu-central-1"}},
        {"type": "aws_sns_topic", "values": {"arn": "arn:aws:sns:us-east-1:1:lakehouse-lh-1-billing"}},
        {"type": "aws_glue_catalog_database", "values": {"name": "x", "arn": "arn:aws:glue:ap-south-1:1:database/x"}},
        {"type": "aws_apprunner_service", "values": {"service_name": "lakehouse-lh-1-preview", "arn": use1}},
        {"type": "aws_iam_role", "values": {"arn": "arn:aws:iam::1:role/r", "name": "r"}},
    )
    places = stack_regions(state, "eu-central-1")
    assert places.regions == ("eu-central-1", "us-east-1", "ap-south-1")
    assert places.region_of("glue-database", "x") == "ap-south-1"
    assert places.region_of("apprunner-service", "lakehouse-lh-1-preview") == "us-east-1"
    assert places.region_of("s3-bucket", "lakehouse-lh-1-gold-1") == "eu-central-1"
    assert places.region_of("athena-workgroup", "not-in-state") == "eu-central-1"
    assert places.apprunner_arns == (use1,)
    assert stack_regions(None, "eu-central-1").regions == ("eu-central-1",)
