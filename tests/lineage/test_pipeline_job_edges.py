"""Exit check 4: every pipeline job the gold job's graph draws is drawn as this run ran it, not only those upstream.

The check judged the edges and the drawn run of the jobs upstream of Gold. Marquez's graph of the gold job draws
more of the pipeline's jobs: every writer of Gold (``daily_revenue.delete``, ``daily_revenue.create``) and every
reader of an upstream table (``orders_rejected.insert``). Another producer's run of one of those jobs, dated before
the session and arriving after this run's run of that job but before this run's Gold COMPLETE (so Gold's current
version stays this run's), made Marquez draw the job from that run: Gold written by ``orders_rejected.insert``, or
Gold's writer ``daily_revenue.delete`` reading another stack's Bronze. No rule looked at those jobs: foreign writers
are judged only for jobs the pipeline does not run, unexpected edges only at upstream jobs, and the backdated
version of Gold reads as history. A JobEvent after this run declaring the same (no run, no version of Gold) needs
no timing at all. The check passed a graph that is not the pipeline's. Now an edge at any pipeline
job that its SQL does not imply fails the check, and so does a pipeline job this run ran that the graph draws
from another run, each named.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
import requests
from openlineage.client.event_v2 import RunState

from lakehouse.athena import QueryRecord
from lakehouse.checks.lineage import check_api, pipeline_expectation, upstream_jobs
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import LineageEmitter, http_client
from lakehouse.lineage.events import JobRun, run_event
from lakehouse.lineage.jobnames import job_names
from lakehouse.lineage.naming import athena_table
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.lineage.sqlio import statement_io
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, landed, statements

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)
#: A job the pipeline runs that reads a table upstream of Gold, but is not upstream of Gold and never writes it.
REJECTS = "lh_t_silver.orders_rejected.insert"
#: A job the pipeline runs that writes Gold (its DELETE), not upstream of the gold job (the MERGE reads no Gold).
DELETES = "lh_t_gold.daily_revenue.delete"
OTHER_BRONZE = athena_table(REGION, "lh_other_bronze", "orders_csv")


def sql_run(job: str) -> JobRun:
    """A run of pipeline job ``job`` with the datasets its SQL implies."""
    stmt = dict(zip(job_names(statements(), REGION), statements(), strict=True))[job]
    io = statement_io(stmt.sql, REGION)
    return JobRun(NAMESPACE, job, inputs=tuple(io.inputs), outputs=tuple(io.outputs))


def session_with(service: LineageHandle, foreign: JobRun | None) -> LineageEmitter:
    """The whole pipeline, ``foreign`` (dated an hour before this session) arriving just before the gold job's
    events: after this run's run of every other job, before Gold's last write."""
    emitter = LineageEmitter(service.url, NAMESPACE, REGION)
    emitter.landing(DATA_DIR, landed(), 0.05)
    named = list(zip(job_names(statements(), REGION), statements(), strict=True))
    for i, (name, stmt) in enumerate(named):
        if name == EXP.gold_job and foreign is not None:
            before, client = emitter.stats.started_at - timedelta(hours=1), http_client(service.url)
            client.emit(run_event(foreign, RunState.START, before))
            client.emit(run_event(foreign, RunState.COMPLETE, before + timedelta(minutes=1)))
        emitter.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id=f"q-{i}", wall_ms=15))
    return emitter


def test_the_jobs_are_pipeline_jobs_off_the_gold_jobs_path() -> None:
    assert {REJECTS, DELETES} <= set(job_names(statements(), REGION))
    assert not {REJECTS, DELETES} & {EXP.gold_job, *upstream_jobs(EXP)}
    assert EXP.gold in sql_run(DELETES).outputs and EXP.gold not in sql_run(REJECTS).outputs


@pytest.mark.parametrize(
    ("job", "foreign"),
    [
        (REJECTS, dataclasses.replace(sql_run(REJECTS), outputs=(EXP.gold,))),
        (DELETES, dataclasses.replace(sql_run(DELETES), inputs=(OTHER_BRONZE,))),
    ],
    ids=["rejects-job-writing-gold", "gold-delete-reading-other-bronze"],
)
def test_a_pipeline_job_off_the_path_drawn_from_a_foreign_run_with_other_edges_fails_naming_it(
    service: LineageHandle, job: str, foreign: JobRun
) -> None:
    ours = session_with(service, foreign).stats
    api = check_api(MarquezClient(service.url), EXP, ours)
    node = f"job:{NAMESPACE}:{job}"
    extra = sorted(
        {(d.node_id, node) for d in foreign.inputs} - {(d.node_id, node) for d in sql_run(job).inputs}
        | {(node, d.node_id) for d in foreign.outputs} - {(node, d.node_id) for d in sql_run(job).outputs}
    )
    assert extra and api.details["expected_edges_found"] == len(EXP.edges)  # the graph the SQL implies is all there
    assert api.details["current_versions"][EXP.gold.node_id]["run"] == ours.run_ids[EXP.gold_job][-1]
    drawn = {(e["origin"], e["destination"]) for e in api.details["unexpected_edges"]}
    assert set(extra) <= drawn, api.details["unexpected_edges"]
    assert not api.passed, "a pipeline job drawn from another producer's run with edges its SQL lacks passed"
    origin, destination = extra[0]
    assert api.reason is not None and f"{origin} -> {destination}" in api.reason, api.reason
    assert (
        f"the lineage graph draws the pipeline job {job} from run {foreign.run_id} (COMPLETED), the last run whose "
        f"events arrived, though not its latest by time: a run this run did not emit (this run emitted "
        f"{ours.run_ids[job][-1]})" in api.reason
    ), api.reason


def test_a_pipeline_job_off_the_path_drawn_from_a_foreign_run_with_its_own_edges_fails_naming_the_run(
    service: LineageHandle,
) -> None:
    """The same foreign run with the very datasets the job's SQL implies: the graph's shape is the pipeline's, but
    the job is drawn (and Marquez web colours it) from a run this session did not emit."""
    foreign = sql_run(REJECTS)
    ours = session_with(service, foreign).stats
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["unexpected_edges"] == []
    assert api.details["drawn_runs"][REJECTS] == {"id": foreign.run_id, "state": "COMPLETED"}
    assert api.reason is not None and api.reason.startswith(
        f"the lineage graph draws the pipeline job {REJECTS} from run {foreign.run_id} (COMPLETED), the last run "
        f"whose events arrived, though not its latest by time: a run this run did not emit (this run emitted "
        f"{ours.run_ids[REJECTS][-1]}); "
    )
    (rejected,) = foreign.outputs  # and the table it wrote, drawn in the graph, is its output now
    current = api.details["current_versions"][rejected.node_id]
    assert current["run"] == foreign.run_id
    assert f"Marquez's current version {current['version']} of {rejected.node_id} was made by run" in api.reason


def test_the_healthy_twin_every_pipeline_job_drawn_from_this_run_passes(service: LineageHandle) -> None:
    ours = session_with(service, None).stats
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    assert api.details["unexpected_edges"] == []
    assert {REJECTS, DELETES} <= set(api.details["drawn_runs"])
    assert all(r["id"] == ours.run_ids[j][-1] for j, r in api.details["drawn_runs"].items())


def test_a_job_event_after_this_run_declaring_a_side_job_writing_gold_fails_naming_it(service: LineageHandle) -> None:
    """No timing needed: after this run, a JobEvent (declared I/O, no run) gives ``orders_rejected.insert`` Gold as
    an output besides its SQL's. Gold's current version stays this run's (a JobEvent writes no run's version), every
    expected edge is there, and the job is off Gold's path: the check passed Gold drawn with a writer whose SQL never
    writes it."""
    ours = session_with(service, None).stats
    io = sql_run(REJECTS)
    declared = {
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/someone-else",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
        "job": {"namespace": NAMESPACE, "name": REJECTS},
        "inputs": [{"namespace": d.namespace, "name": d.name} for d in io.inputs],
        "outputs": [{"namespace": d.namespace, "name": d.name} for d in (*io.outputs, EXP.gold)],
    }
    assert requests.post(f"{service.url}/api/v1/lineage", json=declared, timeout=10).status_code == 201
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == len(EXP.edges) and api.details["path_from_bronze"]
    edge = {"origin": f"job:{NAMESPACE}:{REJECTS}", "destination": EXP.gold.node_id}
    assert api.details["unexpected_edges"] == [edge]
    assert api.reason == (
        f"the lineage graph draws the pipeline job {REJECTS} with no current run (the last event to arrive for it "
        f"named no run, as a JobEvent does), not this run's COMPLETED run (this run emitted "
        f"{ours.run_ids[REJECTS][-1]}); the lineage graph of {EXP.gold_job} holds 1 edge(s) at the pipeline's jobs "
        f"that no pipeline SQL implies (this run did not emit them), first job:{NAMESPACE}:{REJECTS} -> "
        f"{EXP.gold.node_id}"
    )
