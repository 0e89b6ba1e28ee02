"""A RunEvent's ``parent`` run facet, as Marquez folds it, and exit check 4 against it.

Marquez (``OpenLineageDao.buildJobFromEvent``/``findParentJobRow``/``createParentJobRunRecord``, the jobs
table's ``rewrite_jobs_fqn_table`` trigger) links the event's job to a parent job: the job of the parent run
when that is the facet's job, else a job of the facet's name upserted in the *child's* namespace with the
facet's run as its current run (that run takes the child event's state). The child's full name is the
parent's name, a dot and its simple name; its current run is the parent's; it keeps its first parent for good.
So a foreign event can redraw one of the pipeline's jobs from a run of its choosing, or make it another's child.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from openlineage.client.event_v2 import RunState
from openlineage.client.facet_v2 import parent_run as parent_run_facet
from openlineage.client.serde import Serde

from lakehouse.checks.lineage import check_api
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.events import JobRun, run_event, to_dict
from lakehouse.lineage.service import model
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.lineage.service.store import Store
from tests.lineage.conftest import NAMESPACE
from tests.lineage.test_check import EXP, GOLD, READS_BRONZE, emitted, job_run

HOUR_AGO = datetime.now(UTC) - timedelta(hours=1)


def name_based_uuid(*parts: str) -> str:
    """Marquez's ``Utils.toNameBasedUuid``: Java's ``nameUUIDFromBytes`` of the URL namespace UUID's bytes and
    the parts joined with dots (MD5, v3): Python's ``uuid3``."""
    return str(uuid.uuid3(uuid.NAMESPACE_URL, ".".join(parts)))


def child_event(
    run: JobRun,
    parent_ns: str,
    parent_name: str,
    parent_run: str,
    state: RunState = RunState.COMPLETE,
    when: Any = None,
) -> dict[str, Any]:
    """A RunEvent of ``run`` whose ``parent`` run facet names ``parent_name``'s run ``parent_run``."""
    event = to_dict(run_event(run, state, when))
    facet = parent_run_facet.ParentRunFacet(
        run=parent_run_facet.Run(runId=parent_run), job=parent_run_facet.Job(namespace=parent_ns, name=parent_name)
    )
    event["run"]["facets"]["parent"] = json.loads(Serde.to_json(facet))
    return event


def post(service: LineageHandle, event: dict[str, Any]) -> None:
    resp = requests.post(f"{service.url}/api/v1/lineage", json=event, timeout=10)
    assert resp.status_code == 201, resp.text


# -- the service does what Marquez does ------------------------------------------------------------------------------


def test_a_parent_facet_naming_a_job_redraws_it_from_the_facets_run_with_the_childs_state(tmp_path: Path) -> None:
    """``createParentJobRunRecord``: no run of that id yet, so the job of the facet's name in the child's namespace
    is upserted with the facet's run as its current run, and that run with the child event's state."""
    store = Store(tmp_path / "l.sqlite")
    store.add(to_dict(run_event(JobRun("ns", "gold"), RunState.COMPLETE)))
    foreign = str(uuid.uuid4())
    store.add(child_event(JobRun("ns", "task"), "elsewhere", "gold", foreign, when=HOUR_AGO))
    gold = store.job("ns", "gold")
    assert gold is not None and gold["latest_run_id"] == foreign
    run = store.run(foreign)
    assert run is not None and (run["job_name"], run["state"]) == ("gold", "COMPLETED")
    child = store.job("ns", "gold.task")  # the child: the parent's name, a dot, its own
    assert child is not None and child["latest_run_id"] == foreign  # the parent's current run
    assert model.job_identity(child) == {
        "simpleName": "task",
        "parentJobName": "gold",
        "parentJobUuid": name_based_uuid("ns", "gold"),
    }
    assert model.job_identity(gold) == {"simpleName": "gold"}  # the parent is no child


def test_a_child_named_parent_dot_x_lands_on_job_parent_dot_x_and_keeps_that_parent(tmp_path: Path) -> None:
    """The full name ``P.x`` of a child ``P.x`` of ``P`` is an existing job ``P.x``: it becomes P's child, drawn
    from P's current run, and stays P's child after events naming no parent (``COALESCE``)."""
    store = Store(tmp_path / "l.sqlite")
    ours = JobRun("ns", "db.table.merge")
    store.add(to_dict(run_event(ours, RunState.COMPLETE)))
    parent_run = str(uuid.uuid4())
    store.add(child_event(JobRun("ns", "db.table.merge"), "ns", "db.table", parent_run))
    job = store.job("ns", "db.table.merge")
    assert job is not None and job["latest_run_id"] == parent_run
    assert model.job_identity(job)["parentJobName"] == "db.table" and model.job_identity(job)["simpleName"] == "merge"
    store.add(to_dict(run_event(ours, RunState.COMPLETE)))  # a later event of our own, no parent facet
    job = store.job("ns", "db.table.merge")
    assert job is not None and job["latest_run_id"] == ours.run_id
    assert model.job_identity(job)["parentJobName"] == "db.table"  # kept for good
    assert [r["name"] for r in store.jobs("ns")] == ["db.table", "db.table.merge"]


def test_a_parent_run_of_another_job_gets_a_name_based_run_id(tmp_path: Path) -> None:
    """``findParentJobRow``: the facet's run exists but is another job's (an id clash): Marquez makes a new parent
    run, ``toNameBasedUuid(namespace, parent name, run id)``, and leaves the existing run's job alone."""
    store = Store(tmp_path / "l.sqlite")
    theirs = JobRun("ns", "other")
    store.add(to_dict(run_event(theirs, RunState.COMPLETE)))
    store.add(child_event(JobRun("ns", "task"), "ns", "dag", theirs.run_id, RunState.START))
    clash = name_based_uuid("ns", "dag", theirs.run_id)
    dag = store.job("ns", "dag")
    assert dag is not None and dag["latest_run_id"] == clash
    assert store.run(clash)["state"] == "RUNNING"  # type: ignore[index]
    assert store.run(theirs.run_id)["job_name"] == "other"  # type: ignore[index]


def test_a_parent_run_of_the_facets_job_is_taken_as_it_is(tmp_path: Path) -> None:
    """The facet names a job's own run: that job is the parent, unchanged (its current run stays)."""
    store = Store(tmp_path / "l.sqlite")
    dag = JobRun("ns", "dag")
    store.add(to_dict(run_event(dag, RunState.COMPLETE)))
    store.add(child_event(JobRun("ns", "task"), "ns", "dag", dag.run_id, RunState.START))
    assert store.job("ns", "dag")["latest_run_id"] == dag.run_id  # type: ignore[index]
    assert store.run(dag.run_id)["state"] == "COMPLETED"  # type: ignore[index]
    assert store.job("ns", "dag.task")["latest_run_id"] == dag.run_id  # type: ignore[index]


def test_a_non_uuid_parent_run_id_is_name_based_on_the_dag_name() -> None:
    """``Utils.findParentRunUuid``: ``toNameBasedUuid(namespace, name up to its last dot, run id)``, which is
    Java's ``nameUUIDFromBytes`` of the URL namespace's bytes and the dotted parts (a v3 UUID)."""
    from lakehouse.lineage.service.store import ParentFacet

    facet = ParentFacet("airflow", "dag.task", "scheduled__2024")
    assert facet.run_uuid() == str(uuid.uuid3(uuid.NAMESPACE_URL, "airflow.dag.scheduled__2024"))
    assert uuid.UUID(facet.run_uuid()).version == 3


# -- the check ---------------------------------------------------------------------------------------------------------


def test_a_foreign_child_naming_the_gold_job_as_its_parent_redraws_it_and_fails(service: LineageHandle) -> None:
    """After this run, a foreign event of some job of the namespace names the gold job as its parent, with a run of
    its own (backdated: not the latest by time). Marquez makes that run the gold job's current run: the graph's
    gold node is drawn from a foreign run. Our service ignored the facet and the check passed."""
    ours = emitted(service.url)
    foreign = str(uuid.uuid4())
    post(service, child_event(JobRun(NAMESPACE, "some_task"), "anywhere", GOLD, foreign, when=HOUR_AGO))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]  # by time, still this run's
    assert api.details["drawn_runs"][GOLD] == {"id": foreign, "state": "COMPLETED"}
    assert api.reason is not None
    assert f"the lineage graph draws the gold job {GOLD} from run {foreign} (COMPLETED)" in api.reason


def test_a_foreign_parent_adopting_the_gold_job_before_this_run_fails_naming_the_parent(
    service: LineageHandle,
) -> None:
    """Before this run, a foreign event of job ``lh_t_gold.daily_revenue.merge`` (the gold job's very name) names
    a parent ``lh_t_gold.daily_revenue``: Marquez files it as that parent's child ``merge`` under the gold job's
    full name, and keeps the parent through this run's events. Every run and edge is this run's, so the check
    passed a gold job Marquez shows as another producer's child."""
    parent_run = str(uuid.uuid4())
    parent = GOLD.rsplit(".", 1)[0]
    post(service, child_event(job_run(GOLD), NAMESPACE, parent, parent_run, when=HOUR_AGO))
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["drawn_runs"][GOLD] == {"id": ours.run_ids[GOLD][-1], "state": "COMPLETED"}
    assert api.details["expected_edges_found"] == len(EXP.edges) and api.details["unexpected_edges"] == []
    wanted = f"{parent} ({name_based_uuid(NAMESPACE, parent)})"
    assert api.reason == (
        f"Marquez holds the gold job job:{NAMESPACE}:{GOLD} as a child of job {wanted}, a parent this run's events "
        f"never name (a foreign event's parent run facet linked it); its node is drawn from run "
        f"{ours.run_ids[GOLD][-1]} (COMPLETED)"
    )
    assert api.details["parent_jobs"] == {GOLD: wanted}


def test_a_foreign_parent_adopting_an_upstream_job_after_this_run_fails_naming_its_run(
    service: LineageHandle,
) -> None:
    """After this run, the same adoption of the job reading Bronze: it is drawn from the parent's run (foreign),
    and is the parent's child; both are named."""
    ours = emitted(service.url)
    parent_run = str(uuid.uuid4())
    parent = READS_BRONZE.rsplit(".", 1)[0]
    post(service, child_event(job_run(READS_BRONZE), NAMESPACE, parent, parent_run, when=HOUR_AGO))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.reason is not None
    assert f"the lineage graph draws the upstream job {READS_BRONZE} from run {parent_run} (COMPLETED)" in api.reason
    assert f"Marquez holds the upstream job job:{NAMESPACE}:{READS_BRONZE} as a child of job {parent} (" in api.reason
    assert f"its node is drawn from run {parent_run} (COMPLETED)" in api.reason


def test_foreign_parent_facets_naming_none_of_the_pipelines_jobs_pass(service: LineageHandle) -> None:
    """Healthy twin: other producers' parent/child runs in this namespace (a DAG and its task) and in another one
    (a parent named like the gold job there) touch none of the pipeline's jobs: the check passes."""
    post(service, child_event(JobRun(NAMESPACE, "dag.task"), NAMESPACE, "dag", str(uuid.uuid4())))
    ours = emitted(service.url)
    post(service, child_event(JobRun("other-ns", "task"), "other-ns", GOLD, str(uuid.uuid4()), when=HOUR_AGO))
    post(service, child_event(JobRun(NAMESPACE, "dag.task2"), NAMESPACE, "dag", str(uuid.uuid4()), when=HOUR_AGO))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    assert api.details["parent_jobs"] == {}
    assert MarquezClient(service.url).job(NAMESPACE, "dag.task")["parentJobName"] == "dag"  # the facets were read


def test_a_child_job_and_its_node_validate_against_marquezs_openapi(tmp_path: Path) -> None:
    """The child's Job and lineage node carry ``parentJobName``/``parentJobUuid`` in Marquez's shapes (the parent
    facet is openlineage-python's ``ParentRunFacet``; its schema is not vendored, so the event is not validated)."""
    from urllib.parse import quote

    from lakehouse.lineage.service.app import create_app
    from tests.lineage.spec import openapi_errors, response_schema

    client = create_app(Store(tmp_path / "l.sqlite")).test_client()
    event = child_event(JobRun("ns", "dag.task"), "ns", "dag", str(uuid.uuid4()))
    assert client.post("/api/v1/lineage", json=event).status_code == 201
    job = client.get("/api/v1/namespaces/ns/jobs/dag.task").get_json()
    assert openapi_errors(response_schema("/namespaces/{namespace}/jobs/{job}"), job) == []
    assert (job["name"], job["simpleName"], job["parentJobName"]) == ("dag.task", "task", "dag")
    graph = client.get("/api/v1/lineage?nodeId=" + quote("job:ns:dag.task", safe="")).get_json()
    assert openapi_errors(response_schema("/lineage"), graph) == []
    node = next(n["data"] for n in graph["graph"] if n["id"] == "job:ns:dag.task")
    assert (node["parentJobName"], node["parentJobUuid"]) == ("dag", job["parentJobUuid"])
