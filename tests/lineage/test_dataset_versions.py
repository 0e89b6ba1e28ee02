"""Dataset versions as Marquez keeps and serves them (``GET .../datasets/{name}/versions[/{version}]``).

Read from Marquez's source (0.51.2-SNAPSHOT): ``OpenLineageDao.upsertLineageDataset`` makes a version per run
writing a dataset at the event's own time (``createdAt``) with the run as ``createdByRun``;
``OpenLineageService.buildJobOutput`` makes a run's versions current when its COMPLETE event arrives;
``DatasetVersionDao.findAll`` lists them ``ORDER BY created_at DESC`` with ``limit``/``offset``;
``DatasetResource`` answers 404 bodies for an unknown namespace, dataset or version. Every answer is
validated against Marquez's openapi.yml (with the model's own shapes where they differ, tests/lineage/spec.py).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from openlineage.client.event_v2 import RunState

from lakehouse.lineage.events import PRODUCER, JobRun, run_event, to_dict
from lakehouse.lineage.naming import athena_table
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.store import Store
from lakehouse.lineage.sqlio import Column
from tests.lineage.conftest import NAMESPACE, REGION
from tests.lineage.spec import openapi_errors

GOLD = athena_table(REGION, "g", "daily_revenue")
SOURCE = athena_table(REGION, "g", "orders_enriched")
DATASET = f"/namespaces/{quote(GOLD.namespace, safe='')}/datasets/{quote(GOLD.name, safe='')}"
#: The 200 answers' schemas openapi.yml gives for ``.../versions``, ``.../versions/{version}`` and the dataset.
LIST, ONE, DS = "DatasetVersionList", "DatasetVersion", "Dataset"
#: ``DatasetVersion.java``'s fields in declaration order (no ``@JsonPropertyOrder``): Jackson writes them so.
KEYS = [
    "id",
    "type",
    "name",
    "physicalName",
    "createdAt",
    "version",
    "namespace",
    "sourceName",
    "fields",
    "tags",
    "lifecycleState",
    "description",
    "currentSchemaVersion",
    "createdByRun",
    "facets",
]
NOW = datetime.now(UTC)


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return create_app(Store(tmp_path / "lineage.sqlite")).test_client()


def post(client: FlaskClient, run: JobRun, state: RunState, when: datetime) -> None:
    assert client.post("/api/v1/lineage", json=to_dict(run_event(run, state, when))).status_code == 201


def write(client: FlaskClient, job: str, when: datetime, namespace: str = NAMESPACE) -> JobRun:
    """A run of ``job`` reading the source and writing Gold: START a second before ``when``, COMPLETE at it."""
    run = JobRun(namespace, job, inputs=(SOURCE,), outputs=(GOLD,))
    post(client, run, RunState.START, when - timedelta(seconds=1))
    post(client, run, RunState.COMPLETE, when)
    return run


def answer(client: FlaskClient, path: str, schema: str) -> Any:
    """GET ``/api/v1{path}``; the body must validate against openapi.yml's ``schema``."""
    resp = client.get(f"/api/v1{path}")
    assert resp.status_code == 200, resp.data
    body = resp.get_json()
    assert openapi_errors(schema, body) == []
    return body


def versions(client: FlaskClient, query: str = "") -> dict[str, Any]:
    body: dict[str, Any] = answer(client, f"{DATASET}/versions{query}", LIST)
    return body


def current(client: FlaskClient) -> str:
    return str(answer(client, DATASET, DS)["currentVersion"])


def test_a_completed_write_is_the_current_version_made_by_its_run(client: FlaskClient) -> None:
    ours = write(client, "gold.daily_revenue.merge", NOW)
    listed = versions(client)
    assert list(listed) == ["versions", "totalCount"] and listed["totalCount"] == 1
    version = listed["versions"][0]
    assert list(version) == KEYS
    assert version["version"] == current(client)
    assert version["id"] == {"namespace": GOLD.namespace, "name": GOLD.name} and version["type"] == "DB_TABLE"
    assert version["createdAt"] == run_event(ours, RunState.START, NOW - timedelta(seconds=1)).eventTime
    assert version["createdByRun"]["id"] == ours.run_id and version["createdByRun"]["state"] == "COMPLETED"
    assert version["createdByRun"]["jobVersion"]["name"] == "gold.daily_revenue.merge"
    assert version["lifecycleState"] == "" and version["sourceName"] == GOLD.namespace
    one = answer(client, f"{DATASET}/versions/{version['version']}", ONE)
    assert one == version


def test_the_current_version_is_the_last_completed_write_to_arrive_whatever_its_event_time(
    client: FlaskClient,
) -> None:
    """A writer whose events are dated a day back still makes Gold's current version when they arrive last;
    the list, ordered by ``createdAt`` (the events' own times), shows it below ours."""
    ours = write(client, "gold.daily_revenue.merge", NOW)
    theirs = write(client, "backfill.overwrite", NOW - timedelta(days=1), namespace="someone-else")
    listed = versions(client)["versions"]
    assert [v["createdByRun"]["id"] for v in listed] == [ours.run_id, theirs.run_id]
    assert current(client) == listed[1]["version"]
    assert listed[1]["createdByRun"]["jobVersion"] == {
        "namespace": "someone-else",
        "name": "backfill.overwrite",
        "version": listed[1]["createdByRun"]["jobVersion"]["version"],
    }


def test_a_run_that_only_started_or_failed_makes_a_version_that_is_not_current(client: FlaskClient) -> None:
    ours = write(client, "gold.daily_revenue.merge", NOW - timedelta(minutes=5))
    started = JobRun("someone-else", "backfill.overwrite", outputs=(GOLD,))
    post(client, started, RunState.START, NOW)
    failed = JobRun("someone-else", "backfill.overwrite", outputs=(GOLD,))
    post(client, failed, RunState.FAIL, NOW)
    listed = versions(client)
    assert listed["totalCount"] == 3
    by_run = {v["createdByRun"]["id"]: v for v in listed["versions"]}
    assert by_run[started.run_id]["createdByRun"]["state"] == "RUNNING"
    assert by_run[failed.run_id]["createdByRun"]["state"] == "FAILED"
    assert current(client) == by_run[ours.run_id]["version"]


def test_every_event_of_one_run_lands_on_one_version_created_at_its_first(client: FlaskClient) -> None:
    run = write(client, "gold.daily_revenue.merge", NOW)
    post(client, run, RunState.COMPLETE, NOW + timedelta(seconds=5))  # a repeated COMPLETE: same version
    listed = versions(client)
    assert listed["totalCount"] == 1
    assert listed["versions"][0]["createdAt"] == run_event(run, RunState.START, NOW - timedelta(seconds=1)).eventTime


def test_a_changed_schema_in_one_run_is_another_version_of_it(client: FlaskClient) -> None:
    """Marquez hashes the fields into the version: the run's COMPLETE with a schema is a version of its own."""
    run = JobRun(NAMESPACE, "gold.daily_revenue.merge", outputs=(GOLD,))
    post(client, run, RunState.START, NOW - timedelta(seconds=1))
    post(client, dataclasses.replace(run, schemas={GOLD: [Column("revenue", "double")]}), RunState.COMPLETE, NOW)
    listed = versions(client)["versions"]
    assert [len(v["fields"]) for v in listed] == [1, 0] and {v["createdByRun"]["id"] for v in listed} == {run.run_id}
    assert listed[0]["fields"] == [{"name": "revenue", "type": "double", "tags": [], "description": None}]
    assert current(client) == listed[0]["version"]  # the run's versions become current in the order made


def test_versions_page_newest_first_with_limit_and_offset(client: FlaskClient) -> None:
    runs = [write(client, "gold.daily_revenue.merge", NOW - timedelta(minutes=m)) for m in (3, 1, 2)]
    newest_first = [runs[1].run_id, runs[2].run_id, runs[0].run_id]
    assert [v["createdByRun"]["id"] for v in versions(client)["versions"]] == newest_first
    page = versions(client, "?limit=1&offset=1")
    assert page["totalCount"] == 3 and [v["createdByRun"]["id"] for v in page["versions"]] == newest_first[1:2]
    assert versions(client, "?limit=0")["versions"] == []
    assert versions(client, "?offset=3") == {"versions": [], "totalCount": 3}


def test_versions_errors_answer_as_marquez_does(client: FlaskClient) -> None:
    write(client, "gold.daily_revenue.merge", NOW)
    missing = "0b8f7c1e-5a2d-4b6e-9d3c-2f1a7e6b5c4d"
    namespace = quote(GOLD.namespace, safe="")
    expected: list[tuple[str, int, dict[str, Any]]] = [
        ("/namespaces/nope/datasets/x/versions", 404, {"code": 404, "message": "Namespace 'nope' not found."}),
        (f"/namespaces/{namespace}/datasets/nope/versions", 404, {"code": 404, "message": "Dataset 'nope' not found."}),
        (f"{DATASET}/versions/{missing}", 404, {"code": 404, "message": f"Dataset version '{missing}' not found."}),
        (f"{DATASET}/versions/not-a-uuid", 404, {"code": 404, "message": "HTTP 404 Not Found"}),
        (f"{DATASET}/versions?limit=-1", 500, {"code": 500, "message": re.compile(r"It has been logged \(ID ")}),
        (f"{DATASET}/versions/{missing}/more", 404, {"code": 404, "message": "HTTP 404 Not Found"}),
    ]
    for path, status, body in expected:
        resp = client.get(f"/api/v1{path}")
        assert (resp.status_code, resp.mimetype) == (status, "application/json"), path
        got = resp.get_json()
        for key, value in body.items():
            assert value.search(got[key]) if isinstance(value, re.Pattern) else got[key] == value, (path, got)


def test_a_dataset_event_makes_a_runless_version_current(client: FlaskClient) -> None:
    ours = write(client, "gold.daily_revenue.merge", NOW)
    event = {
        "eventTime": (NOW - timedelta(days=1)).isoformat(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": GOLD.namespace, "name": GOLD.name},
    }
    assert client.post("/api/v1/lineage", json=event).status_code == 201
    listed = versions(client)["versions"]
    assert [v["createdByRun"] and v["createdByRun"]["id"] for v in listed] == [ours.run_id, None]
    assert current(client) == listed[1]["version"]


def test_a_read_of_a_dataset_without_a_version_makes_a_runless_current_one(client: FlaskClient) -> None:
    """Marquez (``upsertLineageDataset``): a read reuses the current version; with none, a new run-less one
    becomes current; a later read leaves it."""
    write(client, "gold.daily_revenue.merge", NOW)
    path = f"/namespaces/{quote(SOURCE.namespace, safe='')}/datasets/{quote(SOURCE.name, safe='')}"
    listed = answer(client, f"{path}/versions", LIST)
    assert listed["totalCount"] == 1 and listed["versions"][0]["createdByRun"] is None
    assert answer(client, path, DS)["currentVersion"] == listed["versions"][0]["version"]
