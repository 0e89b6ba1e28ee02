"""Contract of our lineage service against Marquez's documented API (reference/aws-semantics.md section 3).

Key sets and orders are pinned to Marquez's (openapi 0.51, JobData/DatasetData, Node's
@JsonPropertyOrder), so the service cannot drift into a dialect only our client speaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from flask.testing import FlaskClient
from openlineage.client.event_v2 import RunState

from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.events import JobRun, run_event, to_dict
from lakehouse.lineage.naming import athena_table, s3_location
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.process import start_lineage_service, stop_lineage_service
from lakehouse.lineage.service.store import Store
from tests.lineage.conftest import NAMESPACE, REGION, emit_pipeline

NAMESPACE_KEYS = ["name", "createdAt", "updatedAt", "ownerName", "description", "isHidden"]
JOB_KEYS = [
    "id",
    "type",
    "name",
    "simpleName",
    "parentJobName",
    "parentJobUuid",
    "createdAt",
    "updatedAt",
    "namespace",
    "inputs",
    "outputs",
    "location",
    "description",
    "latestRun",
    "latestRuns",
    "facets",
    "currentVersion",
]
DATASET_KEYS = [
    "id",
    "type",
    "name",
    "physicalName",
    "createdAt",
    "updatedAt",
    "namespace",
    "sourceName",
    "fields",
    "tags",
    "lastModifiedAt",
    "lastLifecycleState",
    "description",
    "facets",
    "currentVersion",
    "deleted",
]
NODE_KEYS = ["id", "type", "data", "inEdges", "outEdges"]
JOB_DATA_KEYS = {
    "type",
    "id",
    "name",
    "simpleName",
    "parentJobName",
    "createdAt",
    "updatedAt",
    "namespace",
    "inputs",
    "outputs",
    "location",
    "context",
    "description",
    "latestRun",
}
DATASET_DATA_KEYS = {
    "type",
    "id",
    "name",
    "physicalName",
    "createdAt",
    "updatedAt",
    "namespace",
    "sourceName",
    "fields",
    "tags",
    "lastModifiedAt",
    "description",
    "lastlifecycleState",
}
ATHENA = "awsathena://athena.ap-northeast-1.amazonaws.com"


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return create_app(Store(tmp_path / "lineage.sqlite")).test_client()


def event(state: RunState = RunState.COMPLETE, name: str = "30_gold.6", run_id: str | None = None) -> dict[str, Any]:
    gold, src = athena_table(REGION, "g", "daily_revenue"), athena_table(REGION, "g", "orders_enriched")
    run = JobRun(NAMESPACE, name, inputs=(src,), outputs=(gold,), **({"run_id": run_id} if run_id else {}))
    return to_dict(run_event(run, state))


def test_post_lineage_answers_201_with_an_empty_body(client: FlaskClient) -> None:
    resp = client.post("/api/v1/lineage", json=event())
    assert resp.status_code == 201 and resp.data == b""


def test_invalid_events_get_marquez_status_codes(client: FlaskClient) -> None:
    assert client.post("/api/v1/lineage", data="{not json", content_type="application/json").status_code == 400
    broken = event()
    del broken["eventTime"], broken["job"]["name"]
    resp = client.post("/api/v1/lineage", json=broken)
    assert resp.status_code == 422
    assert resp.get_json() == {"errors": ["eventTime must not be null", "job.name must not be null"]}
    dataset_event = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": "p",
        "dataset": {"namespace": "n", "name": "d"},
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
    }
    resp = client.post("/api/v1/lineage", json=dataset_event)
    assert resp.status_code == 200 and resp.get_json() == dataset_event  # unsupported: echoed


def test_namespaces_jobs_and_datasets_have_marquezs_shapes(client: FlaskClient) -> None:
    run_id = "d46e465b-d358-4d32-83d4-df660ff614dd"
    client.post("/api/v1/lineage", json=event(RunState.START, run_id=run_id))
    client.post("/api/v1/lineage", json=event(RunState.COMPLETE, run_id=run_id))
    namespaces = client.get("/api/v1/namespaces").get_json()
    assert list(namespaces) == ["namespaces"]  # no totalCount here, as in Marquez
    assert [n["name"] for n in namespaces["namespaces"]] == sorted([ATHENA, NAMESPACE])
    assert all(list(n) == NAMESPACE_KEYS for n in namespaces["namespaces"])
    jobs = client.get(f"/api/v1/namespaces/{NAMESPACE}/jobs?limit=10&offset=0").get_json()
    assert list(jobs) == ["jobs", "totalCount"] and jobs["totalCount"] == 1
    job = jobs["jobs"][0]
    assert list(job) == JOB_KEYS
    assert job["id"] == {"namespace": NAMESPACE, "name": "30_gold.6"} and job["type"] == "BATCH"
    assert job["inputs"] == [{"namespace": ATHENA, "name": "awsdatacatalog.g.orders_enriched"}]
    assert job["latestRun"]["id"] == run_id and job["latestRun"]["state"] == "COMPLETED"
    assert job["latestRun"]["durationMs"] is not None and job["currentVersion"]
    assert client.get(f"/api/v1/namespaces/{NAMESPACE}/jobs/30_gold.6").get_json() == job
    datasets = client.get(f"/api/v1/namespaces/{quote(ATHENA, safe='')}/datasets").get_json()
    assert list(datasets) == ["datasets", "totalCount"] and datasets["totalCount"] == 2
    assert all(list(d) == DATASET_KEYS and d["type"] == "DB_TABLE" for d in datasets["datasets"])
    one = client.get(f"/api/v1/namespaces/{quote(ATHENA, safe='')}/datasets/awsdatacatalog.g.daily_revenue")
    assert one.status_code == 200 and one.get_json()["id"]["name"] == "awsdatacatalog.g.daily_revenue"


def test_unknown_things_are_404_with_marquezs_error_body(client: FlaskClient) -> None:
    resp = client.get("/api/v1/namespaces/nope/jobs")
    assert resp.status_code == 404 and set(resp.get_json()) == {"code", "message"}
    assert client.get("/api/v1/lineage?nodeId=" + quote("job:nope:x", safe="")).status_code == 404
    assert client.get("/api/v1/lineage").status_code == 400
    assert client.get("/api/v1/lineage?nodeId=bogus").status_code == 400


def test_lineage_graph_nodes_edges_order_and_uri_namespaces(client: FlaskClient) -> None:
    folder, table = s3_location("s3://b/raw/orders/"), athena_table(REGION, "br", "orders_csv")
    client.post(
        "/api/v1/lineage",
        json=to_dict(
            run_event(JobRun(NAMESPACE, "10_bronze.2", inputs=(folder,), outputs=(table,)), RunState.COMPLETE)
        ),
    )
    client.post(
        "/api/v1/lineage",
        json=to_dict(
            run_event(
                JobRun(NAMESPACE, "21.5", inputs=(table,), outputs=(athena_table(REGION, "s", "st"),)),
                RunState.COMPLETE,
            )
        ),
    )
    node_id = f"dataset:{table.namespace}:{table.name}"
    graph = client.get("/api/v1/lineage?depth=20&nodeId=" + quote(node_id, safe="")).get_json()["graph"]
    ids = [n["id"] for n in graph]
    assert ids == sorted(ids) and len(ids) == 5
    assert all(list(n) == NODE_KEYS for n in graph)
    by_id = {n["id"]: n for n in graph}
    assert set(by_id[f"job:{NAMESPACE}:10_bronze.2"]["data"]) == JOB_DATA_KEYS
    assert set(by_id[node_id]["data"]) == DATASET_DATA_KEYS
    assert by_id[node_id]["inEdges"] == [{"origin": f"job:{NAMESPACE}:10_bronze.2", "destination": node_id}]
    assert by_id[node_id]["outEdges"] == [{"origin": node_id, "destination": f"job:{NAMESPACE}:21.5"}]
    s3_node = "dataset:s3://b:raw/orders"
    assert by_id[s3_node]["type"] == "DATASET" and by_id[s3_node]["data"]["namespace"] == "s3://b"
    shallow = client.get("/api/v1/lineage?depth=0&nodeId=" + quote(f"job:{NAMESPACE}:21.5", safe="")).get_json()
    assert len(shallow["graph"]) == 3  # the job and its two datasets


def test_events_persist_across_a_restart_of_the_service(tmp_path: Path) -> None:
    db = tmp_path / "lineage.sqlite"
    first = start_lineage_service(db)
    try:
        emit_pipeline(LineageEmitter(first.url, NAMESPACE, REGION))
    finally:
        stop_lineage_service(first)
    assert not first.alive()
    second = start_lineage_service(db)
    try:
        jobs = requests.get(f"{second.url}/api/v1/namespaces/{NAMESPACE}/jobs", timeout=10).json()
        assert jobs["totalCount"] == 25
        page = requests.get(f"{second.url}/lineage/job/{NAMESPACE}/30_gold.6", timeout=10)
        assert page.status_code == 200 and "<svg" in page.text and "lh_t_bronze.orders_csv" in page.text
        assert requests.get(f"{second.url}/lineage/job/{NAMESPACE}/nope", timeout=10).status_code == 404
    finally:
        stop_lineage_service(second)
