"""Exit check 4: foreign runs that never complete, and foreign events carrying this run's run ids.

A foreign job that STARTs a write of Gold and never completes it: Marquez lists that run's version of Gold on top
of Gold's versions (createdByRun: the foreign run, RUNNING, no job version), while Gold's current version stays the
last completed one (ours) and the graph draws no edge of the foreign job (it has no job version). Every rule judged
the current version and the graph, so the check passed; now a version written since this session started by a run
this session did not emit fails it, naming the version, the run and its job (read from its events). A foreign run
dated before the session, finished or not, is history: it sits below this run's versions, Marquez shows neither it
nor its job as current, and an abandoned START cannot be told from a crashed run that writes nothing any more.

A foreign event carrying one of this run's run ids: Marquez keys runs by run id, so another job's (or another
producer's) COMPLETE lands on this run's run: its writes become versions created by *our* run id, made current.
Dated before the session, the foreign job's edges read as history too, so the check passed; now any event carrying
this run's run id with another job, another producer or as a parent run fails it, read from ``/events/lineage``.

A forged or replayed event copying this run's producer, job and run id (a second COMPLETE with other outputs or
facets, a FAIL after this run's COMPLETE): every one of its fields that the rules above read is this run's, so it
passed; now every event carrying this run's run id must be one this run sent (``EmissionStats.event_digests``),
resent unchanged or as Marquez re-serialises it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient
from openlineage.client.event_v2 import RunState

from lakehouse.checks.lineage import check_api, pipeline_expectation
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import EmissionStats, LineageEmitter, http_client
from lakehouse.lineage.events import PRODUCER, JobRun, run_event, to_dict
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.lineage.service.store import Store
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)
SILVER_ORDERS = next(d for d in EXP.datasets if d.name.endswith("lh_t_silver.orders"))
OTHER_PRODUCER = "https://example.com/some-other-tool"


def emitted(url: str) -> EmissionStats:
    emitter = LineageEmitter(url, NAMESPACE, REGION)
    emit_pipeline(emitter)
    return emitter.stats


def start_only(url: str, namespace: str, job: str, output_name: str, when: datetime, *more: RunState) -> str:
    """A run of ``job`` writing the pipeline's dataset ``output_name`` that STARTs at ``when`` (then sends
    ``more`` non-terminal events) and never completes."""
    output = next(d for d in EXP.datasets if d.name == output_name)
    run = JobRun(namespace, job, outputs=(output,))
    client = http_client(url)
    for i, state in enumerate((RunState.START, *more)):
        client.emit(run_event(run, state, when + timedelta(seconds=i)))
    return run.run_id


@pytest.mark.parametrize(
    ("namespace", "dataset", "more"),
    [
        ("someone-else", EXP.gold.name, ()),
        ("someone-else", EXP.gold.name, (RunState.RUNNING,)),
        (NAMESPACE, EXP.gold.name, ()),
        ("someone-else", SILVER_ORDERS.name, ()),
    ],
    ids=["gold-other-namespace", "gold-start-then-running", "gold-same-namespace", "silver-other-namespace"],
)
def test_a_foreign_run_writing_a_pipeline_table_that_never_completes_fails_naming_it(
    service: LineageHandle, namespace: str, dataset: str, more: tuple[RunState, ...]
) -> None:
    ours = emitted(service.url)
    theirs = start_only(service.url, namespace, "backfill.overwrite", dataset, datetime.now(UTC), *more)
    client = MarquezClient(service.url)
    node = next(d for d in EXP.datasets if d.name == dataset).node_id
    # Marquez's semantics: the unfinished run's version is listed first, the current version stays ours,
    # and the graph draws no edge of the foreign job (it has no job version)
    api = check_api(client, EXP, ours)
    assert api.details["current_versions"][node]["run"] in {r for runs in ours.run_ids.values() for r in runs}
    assert api.details["foreign_writers"] == [] and api.details["unexpected_edges"] == []
    ref = next(d for d in EXP.datasets if d.node_id == node)
    top = client.dataset_versions(ref.namespace, ref.name)[0][0]
    assert top["createdByRun"]["id"] == theirs and top["createdByRun"]["state"] == "RUNNING"
    assert top["createdByRun"]["jobVersion"] is None
    assert not api.passed, "a foreign run writing a pipeline table that never completed passed"
    assert api.reason is not None and (
        f"Marquez lists version {top['version']} of {node}, dated {top['createdAt']} (since this session started), "
        f"as written by run {theirs} of job:{namespace}:backfill.overwrite, RUNNING, which never completed"
        in api.reason
    ), api.reason
    assert api.details["foreign_session_writes"][0]["run"] == theirs


def test_a_foreign_run_abandoned_before_this_session_is_history_and_passes(service: LineageHandle) -> None:
    """A foreign (or an earlier pipeline's) run that STARTed writing Gold before this session and never ended is
    listed under this run's version of Gold: Marquez shows this run's as current and latest."""
    theirs = start_only(
        service.url, "someone-else", "backfill.overwrite", EXP.gold.name, datetime.now(UTC) - timedelta(hours=1)
    )
    ours = emitted(service.url)
    client = MarquezClient(service.url)
    listed = client.dataset_versions(EXP.gold.namespace, EXP.gold.name)[0]
    assert (listed[0].get("createdByRun") or {}).get("id") in ours.run_ids[EXP.gold_job]
    assert any((v.get("createdByRun") or {}).get("id") == theirs for v in listed)
    api = check_api(client, EXP, ours)
    assert api.passed, api.reason


def test_a_foreign_run_that_finished_before_this_session_is_history_and_passes(service: LineageHandle) -> None:
    """A foreign (or an earlier pipeline's) run that wrote Gold before this session and ended: listed under this
    run's version of Gold, which Marquez shows as current and latest."""
    before = datetime.now(UTC) - timedelta(hours=1)
    theirs = start_only(service.url, "someone-else", "backfill.overwrite", EXP.gold.name, before, RunState.COMPLETE)
    ours = emitted(service.url)
    client = MarquezClient(service.url)
    api = check_api(client, EXP, ours)
    assert api.passed, api.reason
    listed = [
        (v.get("createdByRun") or {}).get("id") for v in client.dataset_versions(EXP.gold.namespace, EXP.gold.name)[0]
    ]
    assert listed[0] in ours.run_ids[EXP.gold_job] and theirs in listed


def replay(url: str, run_id: str, namespace: str, job: str, producer: str, when: datetime) -> None:
    """A COMPLETE of ``namespace``/``job`` from ``producer`` carrying ``run_id``, writing Gold, dated ``when``."""
    event = to_dict(run_event(JobRun(namespace, job, run_id=run_id, outputs=(EXP.gold,)), RunState.COMPLETE, when))
    event["producer"] = producer
    assert requests.post(f"{url}/api/v1/lineage", json=event, timeout=10).status_code == 201


@pytest.mark.parametrize(
    ("namespace", "job", "producer"),
    [
        ("someone-else", EXP.gold_job, PRODUCER),
        (NAMESPACE, "backfill.overwrite", PRODUCER),
        (NAMESPACE, EXP.gold_job, OTHER_PRODUCER),
    ],
    ids=["other-namespace-same-name", "same-namespace-other-job", "same-job-other-producer"],
)
def test_a_foreign_event_carrying_this_runs_run_id_fails_naming_the_run_and_the_event(
    service: LineageHandle, namespace: str, job: str, producer: str
) -> None:
    ours = emitted(service.url)
    run_id = ours.run_ids[EXP.gold_job][-1]
    backdated = ours.started_at - timedelta(hours=1)  # every time Marquez shows of it reads as history
    replay(service.url, run_id, namespace, job, producer, backdated)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["foreign_writers"] == []
    assert not api.passed, "a foreign event carrying this run's run id passed"
    expected = (
        f"this run's run {run_id} of job:{NAMESPACE}:{EXP.gold_job} is not only its own in Marquez: a COMPLETE "
        f"event of job:{namespace}:{job} from producer {producer} (dated "
    )
    assert api.reason is not None and expected in api.reason, api.reason
    assert api.details["replayed_runs"][0]["job"] == f"job:{namespace}:{job}"


def test_a_foreign_event_naming_this_runs_run_as_its_parent_fails(service: LineageHandle) -> None:
    ours = emitted(service.url)
    run_id = ours.run_ids[EXP.gold_job][-1]
    event = to_dict(run_event(JobRun("someone-else", "child"), RunState.COMPLETE, ours.started_at))
    event["run"].setdefault("facets", {})["parent"] = {
        "_producer": OTHER_PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ParentRunFacet.json#/$defs/ParentRunFacet",
        "job": {"namespace": NAMESPACE, "name": EXP.gold_job},
        "run": {"runId": run_id},
    }
    assert requests.post(f"{service.url}/api/v1/lineage", json=event, timeout=10).status_code == 201
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert not api.passed and api.reason is not None
    assert f"this run's run {run_id} of job:{NAMESPACE}:{EXP.gold_job} is not only its own" in api.reason
    assert "job:someone-else:child" in api.reason and "names it as its parent run" in api.reason


def test_a_resent_event_of_this_run_is_still_its_own_and_passes(service: LineageHandle) -> None:
    """A transport retry sends one of this run's events twice, unchanged: same job, same producer."""
    ours = emitted(service.url)
    client = MarquezClient(service.url)
    run_id = ours.run_ids[EXP.gold_job][-1]
    mine = [e for e in client.events("9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z") if e["run"]["runId"] == run_id]
    assert len(mine) == 2
    for event in mine:
        assert requests.post(f"{service.url}/api/v1/lineage", json=event, timeout=10).status_code == 201
    api = check_api(client, EXP, ours)
    assert api.passed, api.reason
    assert api.details["replayed_runs"] == []


def gold_complete(client: MarquezClient, run_id: str) -> dict[str, Any]:
    """This run's COMPLETE of its gold run, as Marquez keeps it."""
    mine = client.events("9999-12-31T23:59:59Z", "1970-01-01T00:00:00Z")
    return next(e for e in mine if e["run"]["runId"] == run_id and e["eventType"] == "COMPLETE")


def _other_schema(event: dict[str, Any], ours: EmissionStats) -> None:
    event["outputs"][0]["facets"]["schema"] = {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        "fields": [{"name": "ssn_plain", "type": "string"}],
    }


def _other_sql(event: dict[str, Any], ours: EmissionStats) -> None:
    event["job"]["facets"]["sql"]["query"] = "SELECT 1"


def _other_outputs(event: dict[str, Any], ours: EmissionStats) -> None:
    event["outputs"].append({"namespace": EXP.gold.namespace, "name": "awsdatacatalog.elsewhere.daily_revenue"})


def _fail_after(event: dict[str, Any], ours: EmissionStats) -> None:
    event["eventType"] = "FAIL"


def _fail_backdated(event: dict[str, Any], ours: EmissionStats) -> None:
    event["eventType"] = "FAIL"
    event["eventTime"] = (ours.started_at - timedelta(hours=1)).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "forge",
    [_other_schema, _other_sql, _other_outputs, _fail_after, _fail_backdated],
    ids=["complete-other-schema", "complete-other-sql", "complete-other-outputs", "fail-after", "fail-backdated"],
)
def test_a_copy_of_this_runs_producer_job_and_run_id_with_other_content_fails_naming_the_event(
    service: LineageHandle, forge: Callable[[dict[str, Any], EmissionStats], None]
) -> None:
    ours = emitted(service.url)
    client = MarquezClient(service.url)
    run_id = ours.run_ids[EXP.gold_job][-1]
    forged = copy.deepcopy(gold_complete(client, run_id))
    forge(forged, ours)
    assert forged["producer"] == PRODUCER and forged["job"] == {**forged["job"], "namespace": NAMESPACE}
    assert requests.post(f"{service.url}/api/v1/lineage", json=forged, timeout=10).status_code == 201
    api = check_api(client, EXP, ours)
    assert not api.passed, "an event copying this run's producer, job and run id with other content passed"
    expected = (
        f"this run's run {run_id} of job:{NAMESPACE}:{EXP.gold_job} is not only its own in Marquez: a "
        f"{forged['eventType']} event of job:{NAMESPACE}:{EXP.gold_job} from producer {PRODUCER} (dated "
        f"{forged['eventTime']}) carries it, but this run sent no such event"
    )
    assert api.reason is not None and expected in api.reason, api.reason
    assert api.details["replayed_runs"][0]["unsent"] is True


def test_this_runs_event_resent_as_marquez_reserialises_it_is_still_its_own_and_passes(
    service: LineageHandle,
) -> None:
    """Marquez answers an event re-serialised by its model (``lakehouse.lineage.digest``): keys reordered, the
    time re-printed, null fields dropped. Such a copy resent carries nothing this run did not send."""
    ours = emitted(service.url)
    client = MarquezClient(service.url)
    mine = gold_complete(client, ours.run_ids[EXP.gold_job][-1])
    rewritten = dict(reversed(list(copy.deepcopy(mine).items())))
    rewritten["eventTime"] = rewritten["eventTime"].replace("Z", "+00:00")
    rewritten["run"]["facets"]["nominalTime"] = None
    assert rewritten != mine
    assert requests.post(f"{service.url}/api/v1/lineage", json=rewritten, timeout=10).status_code == 201
    api = check_api(client, EXP, ours)
    assert api.passed, api.reason
    assert api.details["replayed_runs"] == []


# -- the local service's /events/lineage, as Marquez answers it ------------------------------------------------


@pytest.fixture
def local(tmp_path: Path) -> FlaskClient:
    return create_app(Store(tmp_path / "lineage.sqlite")).test_client()


def test_the_events_list_holds_run_events_in_marquezs_default_window_unless_told_otherwise(
    local: FlaskClient,
) -> None:
    """``OpenLineageResource.getLineageEvents``: ``before`` defaults to 2030, ``after`` to 1970, only RunEvents are
    listed (``_event_type='RUN_EVENT'``) while ``totalCount`` counts every event in the window."""
    now, late = datetime(2026, 12, 7, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)
    for when in (now, late):
        event = to_dict(run_event(JobRun(NAMESPACE, f"job-{when.year}"), RunState.COMPLETE, when))
        assert local.post("/api/v1/lineage", json=event).status_code == 201
    dataset_event = {
        "eventTime": "2026-01-01T00:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "s3://b", "name": "raw/x"},
    }
    assert local.post("/api/v1/lineage", json=dataset_event).status_code == 201
    default = local.get("/api/v1/events/lineage").get_json()
    assert [e["job"]["name"] for e in default["events"]] == ["job-2026"] and default["totalCount"] == 2
    wide = local.get("/api/v1/events/lineage?before=9999-12-31T23:59:59Z&after=1970-01-01T00:00:00Z").get_json()
    assert [e["job"]["name"] for e in wide["events"]] == ["job-2031", "job-2026"] and wide["totalCount"] == 3
    narrow = local.get("/api/v1/events/lineage?after=2026-12-07T00:00:00.001Z").get_json()
    assert narrow == {"events": [], "totalCount": 0}
    bad = local.get("/api/v1/events/lineage?before=soon")
    assert bad.status_code == 400
