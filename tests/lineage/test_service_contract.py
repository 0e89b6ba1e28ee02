"""Contract of our lineage service against Marquez: every answer validated against Marquez's published
``openapi.yml`` (vendored, tests/lineage/data), plus the behaviours the document does not state
(status codes and error bodies read from Marquez's resources; reference/marquez-openlineage.md).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from flask.testing import FlaskClient
from openlineage.client.event_v2 import RunState

from lakehouse.checks.lineage import pipeline_expectation
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.events import PRODUCER, JobRun, run_event, to_dict
from lakehouse.lineage.naming import athena_table, s3_location
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.process import start_lineage_service, stop_lineage_service
from lakehouse.lineage.service.store import Store
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline, statements
from tests.lineage.spec import openapi_errors, response_schema

ATHENA = "awsathena://athena.ap-northeast-1.amazonaws.com"
JOB = "gold.daily_revenue.merge"
SCHEMA_BASE = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/"


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return create_app(Store(tmp_path / "lineage.sqlite")).test_client()


def event(state: RunState = RunState.COMPLETE, name: str = JOB, run_id: str | None = None) -> dict[str, Any]:
    gold, src = athena_table(REGION, "g", "daily_revenue"), athena_table(REGION, "g", "orders_enriched")
    run = JobRun(NAMESPACE, name, inputs=(src,), outputs=(gold,))
    if run_id:
        run = dataclasses.replace(run, run_id=run_id)
    return to_dict(run_event(run, state))


def get(client: FlaskClient, path: str, template: str | None = None) -> Any:
    """GET ``/api/v1{path}``; the body must validate against openapi.yml's answer for ``template``."""
    resp = client.get(f"/api/v1{path}")
    assert resp.status_code == 200, resp.data
    body = resp.get_json()
    assert openapi_errors(response_schema(template or path.split("?", 1)[0]), body) == []
    return body


def pipeline_client(tmp_path: Path) -> tuple[FlaskClient, str]:
    """A service holding the whole pipeline's lineage (posted through the Flask test client)."""
    client = create_app(Store(tmp_path / "pipeline.sqlite")).test_client()

    class Poster:
        def emit(self, ev: Any) -> None:
            from lakehouse.lineage.events import to_json

            assert client.post("/api/v1/lineage", data=to_json(ev), content_type="application/json").status_code == 201

    emit_pipeline(LineageEmitter("http://test", NAMESPACE, REGION, client=Poster()))  # type: ignore[arg-type]
    return client, pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE).gold_job


# -- every answer against the document -------------------------------------------------------------


def test_every_read_of_a_pipelines_lineage_validates_against_marquezs_openapi(tmp_path: Path) -> None:
    client, gold = pipeline_client(tmp_path)
    namespaces = get(client, "/namespaces")["namespaces"]
    assert NAMESPACE in {n["name"] for n in namespaces}
    for ns in namespaces:
        enc = quote(ns["name"], safe="")
        get(client, f"/namespaces/{enc}", "/namespaces/{namespace}")
        jobs = get(client, f"/namespaces/{enc}/jobs", "/namespaces/{namespace}/jobs")["jobs"]
        for job in jobs:
            get(client, f"/namespaces/{enc}/jobs/{quote(job['name'], safe='')}", "/namespaces/{namespace}/jobs/{job}")
        datasets = get(client, f"/namespaces/{enc}/datasets", "/namespaces/{namespace}/datasets")["datasets"]
        for ds in datasets:
            name = quote(ds["name"], safe="")
            get(client, f"/namespaces/{enc}/datasets/{name}", "/namespaces/{namespace}/datasets/{dataset}")
            node = quote(f"dataset:{ds['namespace']}:{ds['name']}", safe="")
            get(client, f"/lineage?nodeId={node}", "/lineage")
    graph = get(client, "/lineage?nodeId=" + quote(f"job:{NAMESPACE}:{gold}", safe=""), "/lineage")["graph"]
    assert len(graph) > 30
    get(client, "/events/lineage?limit=5", "/events/lineage")


def test_the_document_check_catches_the_shapes_marquez_does_not_serve() -> None:
    """The old differences, as broken bodies: the validator itself names each one."""
    dataset_node = {"id": "dataset:n:d", "type": "DATASET", "data": {"name": "d", "lastlifecycleState": None}}
    job_node = {"id": "job:n:j", "type": "JOB", "data": {"name": "j", "context": {}}}
    errors = openapi_errors("LineageGraph", {"graph": [dataset_node, job_node]})
    assert any("'lastlifecycleState' was unexpected" in e for e in errors)
    assert any(e.startswith("graph/1/data/") and "'context' was unexpected" in e for e in errors)
    assert sorted(openapi_errors("Job", {"currentVersion": "not-a-uuid", "latestRun": {"state": "DONE"}})) == [
        "currentVersion: 'not-a-uuid' is not a 'uuid'",
        "latestRun/state: 'DONE' is not one of ['NEW', 'RUNNING', 'COMPLETED', 'FAILED', 'ABORTED']",
    ]


# -- what the document does not say ------------------------------------------------------------------


def test_post_lineage_answers_201_with_an_empty_body(client: FlaskClient) -> None:
    resp = client.post("/api/v1/lineage", json=event())
    assert resp.status_code == 201 and resp.data == b""


def test_dataset_and_job_events_are_stored_with_201(client: FlaskClient) -> None:
    """Marquez's EventTypeResolver picks the event class from ``schemaURL`` and stores all three."""
    facet = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/x.json#/$defs/X"}
    dataset_event = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": PRODUCER,
        "schemaURL": SCHEMA_BASE + "DatasetEvent",
        "dataset": {"namespace": "s3://b", "name": "raw/x", "facets": {"dataSource": {**facet, "name": "s3://b"}}},
    }
    resp = client.post("/api/v1/lineage", json=dataset_event)
    assert resp.status_code == 201 and resp.data == b""
    dataset = get(client, "/namespaces/s3%3A%2F%2Fb/datasets/raw%2Fx", "/namespaces/{namespace}/datasets/{dataset}")
    assert dataset["sourceName"] == "s3://b" and uuid.UUID(dataset["currentVersion"])
    job_event = {
        "eventTime": "2026-01-01T00:00:01Z",
        "producer": PRODUCER,
        "schemaURL": SCHEMA_BASE + "JobEvent",
        "job": {"namespace": NAMESPACE, "name": "declared"},
        "inputs": [{"namespace": "s3://b", "name": "raw/x"}],
        "outputs": [{"namespace": ATHENA, "name": "awsdatacatalog.b.x"}],
    }
    assert client.post("/api/v1/lineage", json=job_event).status_code == 201
    job = get(client, f"/namespaces/{NAMESPACE}/jobs/declared", "/namespaces/{namespace}/jobs/{job}")
    assert job["inputs"] == [{"namespace": "s3://b", "name": "raw/x"}] and job["latestRun"] is None
    assert get(client, "/events/lineage")["totalCount"] == 2
    broken = {**dataset_event, "dataset": {"namespace": "s3://b"}}
    resp = client.post("/api/v1/lineage", json=broken)
    assert resp.status_code == 422 and resp.get_json() == {"errors": ["dataset.name must not be null"]}


def test_invalid_events_get_marquezs_status_codes_and_bodies(client: FlaskClient) -> None:
    resp = client.post("/api/v1/lineage", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json() == {"code": 400, "message": "Unable to process JSON"}
    broken = event()
    del broken["eventTime"], broken["job"]["name"]
    resp = client.post("/api/v1/lineage", json=broken)
    assert resp.status_code == 422
    assert resp.get_json() == {"errors": ["eventTime must not be null", "job.name must not be null"]}


def test_jobs_nodes_and_datasets_carry_what_marquezs_models_serialise(client: FlaskClient) -> None:
    run_id = "d46e465b-d358-4d32-83d4-df660ff614dd"
    client.post("/api/v1/lineage", json=event(RunState.START, run_id=run_id))
    started = get(client, f"/namespaces/{NAMESPACE}/jobs/{JOB}", "/namespaces/{namespace}/jobs/{job}")
    assert started["latestRun"]["state"] == "RUNNING" and started["latestRun"]["jobVersion"] is None
    client.post("/api/v1/lineage", json=event(RunState.COMPLETE, run_id=run_id))
    jobs = get(client, f"/namespaces/{NAMESPACE}/jobs?limit=10&offset=0", "/namespaces/{namespace}/jobs")
    assert list(jobs) == ["jobs", "totalCount"] and jobs["totalCount"] == 1
    job = jobs["jobs"][0]
    assert (job["labels"], job["tags"]) == ([], []) and uuid.UUID(job["currentVersion"])
    assert "parentJobUuid" not in job and "parentJobName" not in job  # plain nulls: left out (NON_NULL)
    assert job["latestRun"]["id"] == run_id and job["latestRun"]["state"] == "COMPLETED"
    assert job["latestRun"]["jobVersion"]["version"] == job["currentVersion"] and "context" not in job["latestRun"]
    graph = get(client, "/lineage?nodeId=" + quote(f"job:{NAMESPACE}:{JOB}", safe=""), "/lineage")["graph"]
    node = next(n for n in graph if n["type"] == "JOB")["data"]
    assert node["currentRunUuid"] == run_id and "context" not in node and "parentJobUuid" not in node
    dataset_node = next(n for n in graph if n["type"] == "DATASET")["data"]
    assert "lastLifecycleState" in dataset_node and "lastlifecycleState" not in dataset_node
    assert dataset_node["sourceName"] == ATHENA  # the dataSource facet's name
    one = get(
        client,
        f"/namespaces/{quote(ATHENA, safe='')}/datasets/awsdatacatalog.g.daily_revenue",
        "/namespaces/{namespace}/datasets/{dataset}",
    )
    assert uuid.UUID(one["currentVersion"]) and one["lastModifiedAt"] and one["deleted"] is False


def test_errors_answer_as_marquez_does(client: FlaskClient) -> None:
    client.post("/api/v1/lineage", json=event())
    assert get(client, "/namespaces/nope/jobs", "/namespaces/{namespace}/jobs") == {"jobs": [], "totalCount": 0}
    expected: list[tuple[str, int, dict[str, Any]]] = [
        ("/namespaces/nope/datasets", 404, {"code": 404, "message": "Namespace 'nope' not found."}),
        ("/namespaces/nope", 404, {"code": 404, "message": "Namespace 'nope' not found."}),
        (f"/namespaces/{NAMESPACE}/jobs/nope", 404, {"code": 404, "message": "Job 'nope' not found."}),
        ("/lineage", 400, {"errors": ["query param nodeId must not be null"]}),
        (f"/lineage?depth=-1&nodeId=job:{NAMESPACE}:{JOB}", 400, {"errors": [re.compile("depth")]}),
        ("/lineage?nodeId=bogus", 400, {"errors": [re.compile("nodeId 'bogus' must look like")]}),
        ("/lineage?nodeId=" + quote("job:nope:x", safe=""), 404, {"code": 404, "message": "Job 'x' not found."}),
        ("/no/such/route", 404, {"code": 404, "message": "HTTP 404 Not Found"}),
        ("/namespaces?limit=-1", 400, {"errors": [re.compile("must not be negative")]}),
    ]
    for path, status, body in expected:
        resp = client.get(f"/api/v1{path}")
        assert (resp.status_code, resp.mimetype) == (status, "application/json"), path
        got = resp.get_json()
        assert set(got) == set(body), path
        for key, want in body.items():
            if isinstance(want, list) and want and isinstance(want[0], re.Pattern):
                assert len(got[key]) == 1 and want[0].search(got[key][0]), (path, got)
            else:
                assert got[key] == want, path
    resp = client.put("/api/v1/lineage")
    assert resp.status_code == 405 and resp.get_json() == {"code": 405, "message": "HTTP 405 Method Not Allowed"}


def test_lineage_graph_nodes_edges_order_and_uri_namespaces(client: FlaskClient) -> None:
    folder, table = s3_location("s3://b/raw/orders/"), athena_table(REGION, "br", "orders_csv")
    for name, ins, outs in (("bronze", (folder,), (table,)), ("silver", (table,), (athena_table(REGION, "s", "st"),))):
        client.post(
            "/api/v1/lineage",
            json=to_dict(run_event(JobRun(NAMESPACE, name, inputs=ins, outputs=outs), RunState.COMPLETE)),
        )
    node_id = f"dataset:{table.namespace}:{table.name}"
    graph = get(client, "/lineage?depth=20&nodeId=" + quote(node_id, safe=""), "/lineage")["graph"]
    ids = [n["id"] for n in graph]
    assert ids == sorted(ids) and len(ids) == 5
    assert all(list(n) == ["id", "type", "data", "inEdges", "outEdges"] for n in graph)
    by_id = {n["id"]: n for n in graph}
    assert by_id[node_id]["inEdges"] == [{"origin": f"job:{NAMESPACE}:bronze", "destination": node_id}]
    assert by_id[node_id]["outEdges"] == [{"origin": node_id, "destination": f"job:{NAMESPACE}:silver"}]
    s3_node = "dataset:s3://b:raw/orders"
    assert by_id[s3_node]["type"] == "DATASET" and by_id[s3_node]["data"]["namespace"] == "s3://b"
    shallow = get(client, "/lineage?depth=0&nodeId=" + quote(f"job:{NAMESPACE}:silver", safe=""), "/lineage")
    assert len(shallow["graph"]) == 3  # the job and its two datasets


# -- the web page behaves like Marquez web's route ---------------------------------------------------


def test_the_page_opens_at_marquez_webs_depth_and_hides_what_is_not_up_or_downstream(tmp_path: Path) -> None:
    client, gold = pipeline_client(tmp_path)
    route = f"/lineage/job/{quote(NAMESPACE, safe='')}/{quote(gold, safe='')}"

    def drawn(query: str = "") -> set[str]:
        page = client.get(route + query)
        assert page.status_code == 200
        return set(re.findall(r'<g class="node \w+" data-id="([^"]+)"', page.get_data(as_text=True)))

    default, deep, full = drawn(), drawn("?depth=20"), drawn("?depth=20&isFull=true")
    api = {
        n["id"]
        for n in get(client, "/lineage?depth=2&nodeId=" + quote(f"job:{NAMESPACE}:{gold}", safe=""), "/lineage")[
            "graph"
        ]
    }
    assert default <= api  # depth 2 by default, as Marquez web
    assert "dataset:s3://lh-t-bronze:raw/orders" not in default and "dataset:s3://lh-t-bronze:raw/orders" in deep
    assert deep < full  # without isFull, nodes neither up- nor downstream of the gold job are hidden
    assert client.get("/healthcheck").get_data(as_text=True) == "OK"


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
        assert jobs["totalCount"] == 1 + len(statements())
        gold = jobs["jobs"][-1]["name"]
        page = requests.get(f"{second.url}/lineage/job/{NAMESPACE}/{quote(gold, safe='')}", timeout=10)
        assert page.status_code == 200 and "<svg" in page.text
        assert requests.get(f"{second.url}/lineage/job/{NAMESPACE}/nope", timeout=10).status_code == 404
    finally:
        stop_lineage_service(second)
