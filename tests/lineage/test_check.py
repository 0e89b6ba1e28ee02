"""Exit check 4 against a real lineage service: a healthy one passes, every broken one fails with its reason.

The check is tied to this run: the session emitter's stats (run ids, undelivered events) are its
input, so an earlier run's jobs, a failed Gold run or another run's Gold run never pass.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, request
from openlineage.client.event_v2 import RunState
from werkzeug.serving import make_server

from lakehouse.athena import QueryRecord
from lakehouse.browser import BROWSER_ENV, ScreenshotError, png_summary, screenshot
from lakehouse.checks.lineage import (
    check_api,
    check_lineage,
    emission_problems,
    pipeline_expectation,
    pipeline_jobs,
    run_problems,
    upstream_jobs,
    visible_names,
)
from lakehouse.lineage.client import MarquezClient, probe_web, ui_route
from lakehouse.lineage.emitter import EmissionStats, LineageEmitter, http_client
from lakehouse.lineage.endpoint import probe, resolve
from lakehouse.lineage.events import PRODUCER, JobRun, run_event
from lakehouse.lineage.jobnames import job_names
from lakehouse.lineage.service.process import LineageHandle, start_lineage_service, stop_lineage_service
from lakehouse.lineage.sqlio import statement_io
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline, landed, statements
from tests.lineage.marquez_web import marquez_web

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)
GOLD = EXP.gold_job  # the job of the last statement carrying data into daily_revenue
EDGES = len(EXP.edges)


def run_check(
    service: LineageHandle, tmp_path: Path, emission: EmissionStats, web_url: str | None = None
) -> tuple[Outcome, list[dict[str, Any]], Path]:
    png = tmp_path / "lineage.png"
    result, graph = check_lineage(
        MarquezClient(service.url), EXP, emission, web_url or service.url, png, visible_names(EXP)
    )
    return result, graph, png


def emitted(url: str, errors: dict[str, str] | None = None) -> EmissionStats:
    """This run's emission: the whole pipeline, the statements of the jobs in ``errors`` failing."""
    emitter = LineageEmitter(url, NAMESPACE, REGION)
    emitter.landing(DATA_DIR, landed(), 0.05)
    for i, (name, stmt) in enumerate(zip(job_names(statements(), REGION), statements(), strict=True)):
        error = (errors or {}).get(name)
        emitter.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id=f"q-{i}", wall_ms=15, error=error))
    return emitter.stats


def test_the_expectation_follows_the_gold_table_back_to_bronze() -> None:
    assert GOLD == "lh_t_gold.daily_revenue.merge"  # stable: named after its table and operation (jobnames)
    bronze = {d.name for d in EXP.bronze}
    assert {"raw/users", "raw/orders", "awsdatacatalog.lh_t_bronze.orders_csv"} <= bronze
    assert EDGES == 33
    # what Marquez web shows: the job's name, and Bronze's S3 folder (short enough not to be cut at 15)
    assert visible_names(EXP) == [GOLD, "raw/orders"]
    assert EXP.depth == 4  # job hops from the gold job back to the landing job


def test_a_healthy_service_passes_with_a_screenshot(service: LineageHandle, tmp_path: Path) -> None:
    emission = emitted(service.url)
    result, graph, png = run_check(service, tmp_path, emission)
    assert result.passed, result.reason
    assert result.measured == {
        "events_undelivered": 0,
        "gold_latest_run": "COMPLETED",
        "jobs": 1 + len(statements()),  # bronze_landing and one job per statement
        "expected_edges_found": f"{EDGES}/{EDGES}",
        "screenshot": "lineage.png",
    }
    marquez = result.details["marquez"]
    assert marquez["gold_latest_run"]["id"] == emission.run_ids[GOLD][-1]
    chain = marquez["path_from_bronze"]
    assert chain[0].startswith("dataset:") and chain[-1] == f"job:{NAMESPACE}:{GOLD}"
    assert {n["id"] for n in graph} >= {e.origin for e in EXP.edges} | {e.destination for e in EXP.edges}
    assert png_summary(png).colours > 100
    assert result.details["ui_url"].endswith(f"/lineage/job/{NAMESPACE}/{GOLD}?depth={EXP.depth}&isFull=true")
    assert result.details["screenshot"]["texts_checked"] == [GOLD, "raw/orders"]
    assert marquez["unexpected_edges"] == []  # the graph at the pipeline's jobs is exactly what the SQL implies
    upstream = marquez["upstream_latest_runs"]  # every job upstream of Gold: this run's run, COMPLETED
    assert sorted(upstream) == upstream_jobs(EXP) and len(upstream) == 17
    assert all(r == {"id": emission.run_ids[j][-1], "state": "COMPLETED"} for j, r in upstream.items())
    drawn = marquez["drawn_runs"]  # and every one, with the pipeline's jobs beside Gold's path the graph draws,
    assert {GOLD, *upstream} < set(drawn) <= set(pipeline_jobs(EXP))  # is drawn from this run's COMPLETED run
    assert all(r == {"id": emission.run_ids[j][-1], "state": "COMPLETED"} for j, r in drawn.items())


def test_an_empty_service_fails(service: LineageHandle, tmp_path: Path) -> None:
    result, _, _ = run_check(service, tmp_path, LineageEmitter(service.url, NAMESPACE, REGION).stats)
    assert result.status is Status.FAILED
    assert result.reason == (
        "this run emitted no lineage: no pipeline job reached the emitter; "
        f"no job in namespace {NAMESPACE!r} at {service.url} (Marquez holds no namespace at all)"
    )


def test_events_in_the_wrong_namespace_fail_and_the_reason_names_where_they_went(
    service: LineageHandle, tmp_path: Path
) -> None:
    elsewhere = LineageEmitter(service.url, "someone-else", REGION)
    emit_pipeline(elsewhere)
    result, _, _ = run_check(service, tmp_path, elsewhere.stats)
    assert not result.passed
    assert result.reason.startswith(f"no job in namespace {NAMESPACE!r}")  # type: ignore[union-attr]
    assert "someone-else" in result.reason  # type: ignore[operator]


def test_every_emit_of_this_run_failed_while_an_earlier_run_left_jobs_fails(
    service: LineageHandle, tmp_path: Path, dead_url: str
) -> None:
    earlier = emitted(service.url)  # the namespace holds a complete, healthy graph from before
    this_run = emitted(dead_url)
    assert this_run.sent == 0
    result, _, _ = run_check(service, tmp_path, this_run)
    assert result.status is Status.FAILED and result.reason is not None
    assert result.reason.startswith(
        f"{len(this_run.undelivered)} of {len(this_run.undelivered)} lineage events of this run were not delivered "
        f"to {dead_url}: bronze_landing START, bronze_landing COMPLETE, "
    )
    assert "ConnectionError" in result.reason
    old = earlier.run_ids[GOLD][-1]
    assert f"the gold job {GOLD}'s latest run {old} (at " in result.reason
    assert f"is not one this run emitted (this run emitted {this_run.run_ids[GOLD][-1]})" in result.reason
    assert result.measured["events_undelivered"] == len(this_run.undelivered) == 2 * this_run.jobs


def test_a_failed_gold_run_fails_and_names_the_run_and_its_error(service: LineageHandle, tmp_path: Path) -> None:
    emission = emitted(service.url, errors={GOLD: "HIVE_BAD_DATA: bad amount"})
    result, _, _ = run_check(service, tmp_path, emission)
    assert result.status is Status.FAILED
    run_id = emission.run_ids[GOLD][-1]
    assert (
        result.reason
        == f"the gold job {GOLD}'s latest run {run_id} is FAILED, not COMPLETED (HIVE_BAD_DATA: bad amount)"
    )
    assert result.measured["gold_latest_run"] == "FAILED"


def test_a_gold_run_from_another_run_fails_and_names_both_run_ids(service: LineageHandle, tmp_path: Path) -> None:
    ours = emitted(service.url)
    other = LineageEmitter(service.url, NAMESPACE, REGION)  # someone else runs the gold job afterwards
    gold = dict(zip(job_names(statements(), REGION), statements(), strict=True))[GOLD]
    other.statement(gold, QueryRecord(sql=gold.sql, query_execution_id="q-other", wall_ms=1))
    result, _, _ = run_check(service, tmp_path, ours)
    assert result.status is Status.FAILED
    theirs, mine = other.stats.run_ids[GOLD][-1], ours.run_ids[GOLD][-1]
    assert result.reason is not None and result.reason.startswith(f"the gold job {GOLD}'s latest run {theirs} (at ")
    assert f"is not one this run emitted (this run emitted {mine}); " in result.reason
    # and Gold is that run's output now: Marquez's current version of it is the other run's
    current = result.details["marquez"]["current_versions"][EXP.gold.node_id]
    assert current["run"] == theirs and result.reason.endswith(
        f"Marquez's current version {current['version']} of {EXP.gold.node_id} was made by run {theirs} (COMPLETED) "
        f"of job:{NAMESPACE}:{GOLD}, not by a run this session emitted: the last completed write of it to reach "
        f"Marquez, whatever its event times say (created {current['created_at']})"
    )


def test_an_upstream_job_that_did_not_run_this_session_fails_though_an_earlier_run_drew_its_edges(
    service: LineageHandle,
) -> None:
    """Bronze was not landed this run (its job emitted nothing): the landing edges are an earlier run's."""
    emitted(service.url)  # an earlier run left the whole graph in the namespace
    this_run = LineageEmitter(service.url, NAMESPACE, REGION)
    for i, stmt in enumerate(statements()):  # every statement ran and emitted, landing did not
        this_run.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id=f"q-{i}", wall_ms=15))
    api = check_api(MarquezClient(service.url), EXP, this_run.stats)
    assert not api.passed
    assert api.reason is not None and "bronze_landing" in api.reason
    assert "emitted no run of it this session" in api.reason


#: The upstream job that reads Bronze's orders table (its edge from Bronze is on the gold job's path).
READS_BRONZE = "lh_t_silver.orders_staged.insert"


@pytest.mark.parametrize(
    ("error", "start_only", "state"),
    [("HIVE_BAD_DATA: bad amount", False, "FAILED"), (None, False, "COMPLETED"), (None, True, "RUNNING")],
)
def test_a_later_run_of_an_upstream_job_by_anything_else_fails_though_its_edges_still_draw(
    service: LineageHandle, error: str | None, start_only: bool, state: str
) -> None:
    """After this run, something other than it runs the job reading Bronze again (it fails, completes, or only
    starts). A finished run's datasets are the job's edges, whatever its state (a START alone draws none), so the
    gold job's graph still reaches Bronze with every edge and the gold job's latest run is this run's COMPLETED
    one: the check passed.
    Now the upstream job's latest run must be this run's and COMPLETED too."""
    assert READS_BRONZE in upstream_jobs(EXP)
    ours = emitted(service.url)
    stmt = dict(zip(job_names(statements(), REGION), statements(), strict=True))[READS_BRONZE]
    if start_only:  # a run that never finished: a START alone, with the job's datasets
        io = statement_io(stmt.sql, REGION)
        run = JobRun(NAMESPACE, READS_BRONZE, inputs=tuple(io.inputs), outputs=tuple(io.outputs))
        http_client(service.url).emit(run_event(run, RunState.START))
        theirs = run.run_id
    else:
        other = LineageEmitter(service.url, NAMESPACE, REGION)
        other.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id="q-other", wall_ms=1, error=error))
        theirs = other.stats.run_ids[READS_BRONZE][-1]
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == EDGES and api.details["path_from_bronze"]  # the graph is whole
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]
    assert api.details["upstream_latest_runs"][READS_BRONZE] == {"id": theirs, "state": state}
    assert not api.passed and api.reason is not None
    lead = f"the upstream job {READS_BRONZE}'s latest run {theirs}"
    if state != "COMPLETED":
        assert f"{lead} is {state}, not COMPLETED" in api.reason
    assert f"{lead} (at " in api.reason
    assert f"is not one this run emitted (this run emitted {ours.run_ids[READS_BRONZE][-1]})" in api.reason


def job_run(job: str, **changes: Any) -> JobRun:
    """A run of a pipeline job with the datasets its SQL implies (``changes``: another run's differences)."""
    io = statement_io(dict(zip(job_names(statements(), REGION), statements(), strict=True))[job].sql, REGION)
    return dataclasses.replace(JobRun(NAMESPACE, job, inputs=tuple(io.inputs), outputs=tuple(io.outputs)), **changes)


def gold_run() -> JobRun:
    """A run of the gold job with the datasets its SQL implies (as any session's emitter describes it)."""
    return job_run(GOLD)


def test_an_other_event_after_this_runs_gold_complete_leaves_it_running_and_fails(service: LineageHandle) -> None:
    """After this run's gold COMPLETE, an OTHER event of the same run arrives (a facet-only update by some
    integration). Marquez makes the run RUNNING again (``OpenLineageDao.getRunState``: any type but COMPLETE/
    FAIL/ABORT; ``RunDao.upsert``: the last arrival sets the state); our service kept COMPLETED and the check
    passed a gold job Marquez shows as running."""
    ours = emitted(service.url)
    run = dataclasses.replace(gold_run(), run_id=ours.run_ids[GOLD][-1])
    http_client(service.url).emit(run_event(run, RunState.OTHER))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == EDGES and api.details["path_from_bronze"]  # the graph is whole
    assert api.reason is not None
    assert api.reason.startswith(f"the gold job {GOLD}'s latest run {run.run_id} is RUNNING, not COMPLETED; ")
    # and the OTHER event is no event this run sent (its digest is none of this run's: lineage_runs)
    assert f"a OTHER event of job:{NAMESPACE}:{GOLD} from producer {PRODUCER}" in api.reason
    assert "but this run sent no such event" in api.reason


def test_a_gold_run_started_before_earlier_sessions_and_failed_after_this_one_fails(service: LineageHandle) -> None:
    """Something else started the gold job a day ago (a backfill) and it failed after this run finished: Marquez's
    latest run is the one that transitioned last (``RunDao.findByLatestJob``: ``ORDER BY transitioned_at DESC``),
    the failed one. Our service answered the most recently created of the job's last ten runs, this run's, and
    the check passed once nine earlier sessions had run the job in between."""
    now = datetime.now(UTC)
    backfill, client = gold_run(), http_client(service.url)
    client.emit(run_event(backfill, RunState.START, now - timedelta(days=1)))
    for session in range(9):
        earlier = gold_run()
        client.emit(run_event(earlier, RunState.START, now - timedelta(hours=9 - session)))
        client.emit(run_event(earlier, RunState.COMPLETE, now - timedelta(hours=9 - session, minutes=-1)))
    ours = emitted(service.url)
    client.emit(run_event(backfill, RunState.FAIL, datetime.now(UTC), error="HIVE_BAD_DATA: backfill"))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["gold_latest_run"]["id"] == backfill.run_id
    assert api.reason is not None and api.reason.startswith(
        f"the gold job {GOLD}'s latest run {backfill.run_id} is FAILED, not COMPLETED (HIVE_BAD_DATA: backfill); "
        f"the gold job {GOLD}'s latest run {backfill.run_id} (at "
    )


def backdated(service: LineageHandle, run: JobRun, *, complete: bool = True) -> None:
    """``run``'s START (and COMPLETE) sent now, with times an hour ago: before any run of this session."""
    before, client = datetime.now(UTC) - timedelta(hours=1), http_client(service.url)
    client.emit(run_event(run, RunState.START, before))
    if complete:
        client.emit(run_event(run, RunState.COMPLETE, before + timedelta(minutes=1)))


@pytest.mark.parametrize("job", [GOLD, READS_BRONZE])
def test_a_backdated_foreign_run_arriving_after_this_one_is_what_marquez_draws_and_fails(
    service: LineageHandle, job: str
) -> None:
    """After this run, another producer's COMPLETED run of a pipeline job arrives with the very datasets its SQL
    implies, but times an hour before this run's. By time this run's is still the job's ``latestRun`` and every
    edge is there, so the check passed; yet Marquez's current run of the job is the foreign one (the last to
    arrive): the graph draws the job's edges from its version and Marquez web its node's state from it."""
    ours = emitted(service.url)
    foreign = job_run(job)
    backdated(service, foreign)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == EDGES and api.details["unexpected_edges"] == []
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]  # by time, this run is the latest
    assert api.details["drawn_runs"][job] == {"id": foreign.run_id, "state": "COMPLETED"}
    role = "the gold job" if job == GOLD else "the upstream job"
    # the table it writes is its output now, whatever its times: Marquez's current version of it is the foreign run's
    (written,) = foreign.outputs
    current = api.details["current_versions"][written.node_id]
    assert current["run"] == foreign.run_id
    assert api.reason == (
        f"the lineage graph draws {role} {job} from run {foreign.run_id} (COMPLETED), the last run whose events "
        "arrived, though not its latest by time: a run this run did not emit "
        f"(this run emitted {ours.run_ids[job][-1]}); "
        f"Marquez's current version {current['version']} of {written.node_id} was made by run {foreign.run_id} "
        f"(COMPLETED) of job:{NAMESPACE}:{job}, not by a run this session emitted: the last completed write of it "
        f"to reach Marquez, whatever its event times say (created {current['created_at']})"
    )


def test_a_backdated_foreign_run_with_other_datasets_arriving_after_this_one_fails_on_its_edges_too(
    service: LineageHandle,
) -> None:
    """The same, the foreign run reading another stack's Bronze besides: the graph the check reads is the job's
    current version (the foreign run's datasets), not this run's, so its extra edge was caught already; now the
    reason also names the run the graph is drawn from."""
    ours = emitted(service.url)
    other_bronze = dataclasses.replace(EXP.bronze[0], namespace="s3://lh-other-bronze")
    foreign = job_run(READS_BRONZE)
    foreign = dataclasses.replace(foreign, inputs=(*foreign.inputs, other_bronze))
    backdated(service, foreign)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["upstream_latest_runs"][READS_BRONZE]["id"] == ours.run_ids[READS_BRONZE][-1]
    assert api.details["drawn_runs"][READS_BRONZE]["id"] == foreign.run_id
    assert api.details["unexpected_edges"] == [
        {"origin": other_bronze.node_id, "destination": f"job:{NAMESPACE}:{READS_BRONZE}"}
    ]
    assert api.reason is not None
    assert f"the lineage graph draws the upstream job {READS_BRONZE} from run {foreign.run_id}" in api.reason
    assert "holds 1 edge(s) at the pipeline's jobs that no pipeline SQL implies" in api.reason


@pytest.mark.parametrize("complete", [True, False])
def test_a_backdated_foreign_run_arriving_before_this_one_passes(service: LineageHandle, complete: bool) -> None:
    """Healthy twin: the same foreign runs (of the gold job and of the job reading Bronze; completed, or only
    started) arrive before this run's events: this run's runs are both the latest by time and the drawn ones."""
    for job in (GOLD, READS_BRONZE):
        backdated(service, job_run(job), complete=complete)
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    for job in (GOLD, READS_BRONZE):
        assert api.details["drawn_runs"][job] == {"id": ours.run_ids[job][-1], "state": "COMPLETED"}


def test_a_late_start_of_an_earlier_run_is_drawn_as_running_and_fails(service: LineageHandle) -> None:
    """An earlier session's gold START (the same datasets, its own earlier time) is re-delivered after this run.
    The edges stay this run's (a START makes no job version), but Marquez web draws the gold job's node with the
    current run, the earlier one, RUNNING: the graph is not shown as this run's COMPLETED run."""
    ours = emitted(service.url)
    earlier = job_run(GOLD)
    backdated(service, earlier, complete=False)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == EDGES and api.details["path_from_bronze"]
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]
    assert api.reason is not None and api.reason.startswith(
        f"the lineage graph draws the gold job {GOLD} from run {earlier.run_id} (RUNNING), the last run whose events "
        "arrived"
    )


def test_a_late_start_of_an_earlier_gold_run_without_datasets_cuts_the_graph_and_fails(
    service: LineageHandle,
) -> None:
    """After this run, an earlier gold run's START arrives late (its own, earlier time). It is not the latest run
    (Marquez orders by transition time), but an event naming no inputs and no outputs makes the job's current
    ones previous (``OpenLineageDao.updateBaseMarquezModel``, ``markInputOrOutputDatasetAsPreviousFor``): Marquez
    draws the gold job without edges, and the check passed on our service, which kept them. (With the datasets
    the edges stay, but the node is drawn from that run: ``test_a_late_start_of_an_earlier_run_is_drawn_...``.)"""
    ours = emitted(service.url)
    earlier = dataclasses.replace(gold_run(), inputs=(), outputs=())
    http_client(service.url).emit(run_event(earlier, RunState.START, datetime.now(UTC) - timedelta(hours=1)))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]
    assert api.reason is not None
    assert f"the lineage graph of {GOLD} does not reach back to Bronze; missing edge " in api.reason
    assert api.details["path_from_bronze"] is None


#: Another stack's Bronze folder: named like ours (its label on the page is the same), in another bucket.
OTHER_BRONZE = {"namespace": "s3://lh-other-bronze", "name": "raw/orders"}


@pytest.mark.parametrize("job", [GOLD, READS_BRONZE])
def test_an_input_declared_by_something_else_fails_though_every_expected_edge_is_there(
    service: LineageHandle, job: str
) -> None:
    """After this run, a JobEvent (OpenLineage's declared I/O, no run) gives a pipeline job its SQL's datasets plus
    another stack's Bronze folder. The job's latest run is still this run's COMPLETED one and every expected edge
    is drawn, so the check passed while Marquez showed Gold built from another stack's data."""
    ours = emitted(service.url)
    io = statement_io(dict(zip(job_names(statements(), REGION), statements(), strict=True))[job].sql, REGION)
    declared: dict[str, Any] = {
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/someone-else",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
        "job": {"namespace": NAMESPACE, "name": job},
        "inputs": [{"namespace": d.namespace, "name": d.name} for d in io.inputs] + [OTHER_BRONZE],
        "outputs": [{"namespace": d.namespace, "name": d.name} for d in io.outputs],
    }
    assert requests.post(f"{service.url}/api/v1/lineage", json=declared, timeout=10).status_code == 201
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == EDGES and api.details["path_from_bronze"]
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]
    role = "the gold job" if job == GOLD else "the upstream job"
    assert api.reason == (  # a JobEvent names no run: Marquez draws the job with none (currentRunUuid null)
        f"the lineage graph draws {role} {job} with no current run (the last event to arrive for it named no run, "
        f"as a JobEvent does), not this run's COMPLETED run (this run emitted {ours.run_ids[job][-1]}); "
        f"the lineage graph of {GOLD} holds 1 edge(s) at the pipeline's jobs that no pipeline SQL implies "
        f"(this run did not emit them), first dataset:s3://lh-other-bronze:raw/orders -> job:{NAMESPACE}:{job}"
    )
    assert api.details["unexpected_edges"] == [
        {"origin": "dataset:s3://lh-other-bronze:raw/orders", "destination": f"job:{NAMESPACE}:{job}"}
    ]


def test_a_job_list_without_latest_runs_makes_the_check_read_each_upstream_job(service: LineageHandle) -> None:
    """A Marquez whose job list carries no ``latestRun`` (a thin proxy dropping it): each upstream job is read
    on its own, so a healthy run passes and a later failed upstream run still fails."""
    app = Flask("marquez-list-without-runs")
    reads: list[str] = []

    @app.get("/api/v1/<path:rest>")
    def forward(rest: str) -> Any:
        upstream = requests.get(f"{service.url}/api/v1/{rest}", params=request.args, timeout=10)
        body = upstream.json()
        if isinstance(body, dict) and isinstance(body.get("jobs"), list):
            body["jobs"] = [{k: v for k, v in j.items() if k not in ("latestRun", "latestRuns")} for j in body["jobs"]]
        elif rest.count("/jobs/") == 1:
            reads.append(rest.rsplit("/", 1)[1])
        return body, upstream.status_code

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        ours = emitted(service.url)
        healthy = check_api(MarquezClient(url), EXP, ours)
        stmt = dict(zip(job_names(statements(), REGION), statements(), strict=True))[READS_BRONZE]
        other = LineageEmitter(service.url, NAMESPACE, REGION)
        other.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id="q-other", wall_ms=1, error="boom"))
        broken = check_api(MarquezClient(url), EXP, ours)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert healthy.passed, healthy.reason
    assert sorted(set(reads)) == sorted([GOLD, *upstream_jobs(EXP)])  # every upstream job read on its own
    assert not broken.passed and broken.reason is not None
    assert f"the upstream job {READS_BRONZE}'s latest run {other.stats.run_ids[READS_BRONZE][-1]} is FAILED" in (
        broken.reason
    )


@pytest.mark.parametrize("foreign_failure", [False, True])
def test_jobs_beyond_the_job_lists_page_are_still_judged(service: LineageHandle, foreign_failure: bool) -> None:
    """A busy namespace: jobs of the pipeline are not on the job list's page (Marquez answers ``limit`` jobs, the
    most recently updated first; ``totalCount`` says there are more). The job reading Bronze was run again by
    something else and failed: the check skipped the unlisted upstream job and passed. A healthy run with the gold
    job unlisted too (the twin) passes: the check said the gold job was not in Marquez at all."""
    unlisted = {READS_BRONZE} if foreign_failure else {GOLD, READS_BRONZE}
    app = Flask("marquez-with-a-busy-namespace")

    @app.get("/api/v1/<path:rest>")
    def forward(rest: str) -> Any:
        upstream = requests.get(f"{service.url}/api/v1/{rest}", params=request.args, timeout=10)
        body = upstream.json()
        if isinstance(body, dict) and isinstance(body.get("jobs"), list):
            body["jobs"] = [j for j in body["jobs"] if j["name"] not in unlisted]
        return body, upstream.status_code

    server = make_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ours = emitted(service.url)
        if foreign_failure:
            stmt = dict(zip(job_names(statements(), REGION), statements(), strict=True))[READS_BRONZE]
            other = LineageEmitter(service.url, NAMESPACE, REGION)
            other.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id="q-other", wall_ms=1, error="boom"))
        api = check_api(MarquezClient(f"http://127.0.0.1:{server.server_address[1]}"), EXP, ours)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert api.details["jobs_in_namespace"] >= len(upstream_jobs(EXP)) + 1  # totalCount counts them all
    if not foreign_failure:
        assert api.passed, api.reason
        return
    theirs = other.stats.run_ids[READS_BRONZE][-1]
    assert not api.passed, "a foreign FAILED run of an unlisted upstream job passed"
    assert api.details["upstream_latest_runs"][READS_BRONZE] == {"id": theirs, "state": "FAILED"}
    assert api.reason is not None and f"the upstream job {READS_BRONZE}'s latest run {theirs} is FAILED" in api.reason


def test_an_unreadable_marquez_is_an_error_never_a_pass(tmp_path: Path, dead_url: str) -> None:
    emission = EmissionStats(url=dead_url, namespace=NAMESPACE, jobs=1, sent=2, run_ids={GOLD: ["r"]})
    png = tmp_path / "x.png"
    result, _ = check_lineage(MarquezClient(dead_url, timeout_s=1), EXP, emission, None, png, [])
    assert result.status is Status.ERROR
    assert result.reason is not None and result.reason.startswith(f"Marquez could not be read: GET {dead_url}")


# -- the pure judges -----------------------------------------------------------------------------


def test_emission_judge_names_the_missing_url_and_the_undelivered_events() -> None:
    assert emission_problems(EmissionStats(url=None, namespace=NAMESPACE, errors=["no Marquez URL configured"])) == [
        "the pipeline's lineage was not sent: no Marquez URL configured"
    ]
    stats = EmissionStats(
        url="http://m",
        namespace=NAMESPACE,
        jobs=4,
        sent=1,
        failed=1,
        not_sent=6,
        errors=["a START: ConnectionError: refused"],
        undelivered=[f"j{i} START" for i in range(7)],
    )
    assert emission_problems(stats) == [
        "7 of 8 lineage events of this run were not delivered to http://m: "
        "j0 START, j1 START, j2 START, j3 START, j4 START and 2 more (first error: a START: ConnectionError: refused)"
    ]
    assert emission_problems(EmissionStats(url="http://m", namespace=NAMESPACE, jobs=1, sent=2)) == []


@pytest.mark.parametrize(
    ("latest", "expected"),
    [
        ({"id": "AAAAAAAA-0000-0000-0000-000000000001", "state": "COMPLETED"}, []),
        (
            {"id": "aaaaaaaa-0000-0000-0000-000000000001", "state": "RUNNING", "endedAt": None},
            ["the gold job g's latest run aaaaaaaa-0000-0000-0000-000000000001 is RUNNING, not COMPLETED"],
        ),
        (
            {"id": "bbbbbbbb-0000-0000-0000-000000000002", "state": "COMPLETED", "endedAt": "2020-01-01T00:00:00Z"},
            [
                "the gold job g's latest run bbbbbbbb-0000-0000-0000-000000000002 (at 2020-01-01T00:00:00Z) is not "
                "one this run emitted (this run emitted aaaaaaaa-0000-0000-0000-000000000001)"
            ],
        ),
        (None, ["the gold job g has no run in Marquez"]),
    ],
)
def test_run_judge(latest: dict[str, Any] | None, expected: list[str]) -> None:
    """OpenLineage ``COMPLETE`` is Marquez ``COMPLETED``; any other state or a foreign run id fails."""
    stats = EmissionStats(url="http://m", namespace=NAMESPACE, run_ids={"g": ["aaaaaaaa-0000-0000-0000-000000000001"]})
    assert run_problems("g", {"latestRun": latest}, stats) == expected


def test_a_graph_without_the_bronze_edges_fails(service: LineageHandle, tmp_path: Path) -> None:
    # The statements that read Bronze report a different source: the gold job's graph is cut off from Bronze.
    stmts = [
        dataclasses.replace(s, sql=s.sql.replace("lh_t_bronze.", "lh_t_elsewhere.")) if s.job.startswith("2") else s
        for s in statements()
    ]
    emitter = LineageEmitter(service.url, NAMESPACE, REGION)
    emit_pipeline(emitter, stmts)
    result, _, _ = run_check(service, tmp_path, emitter.stats)
    assert not result.passed
    assert result.reason is not None
    assert result.reason.startswith(f"the lineage graph of {GOLD} does not reach back to Bronze; missing edge ")
    assert "lh_t_bronze" in result.reason
    assert result.details["marquez"]["path_from_bronze"] is None


def test_a_ui_that_answers_with_an_error_page_fails(service: LineageHandle, tmp_path: Path) -> None:
    result, _, png = run_check(service, tmp_path, emitted(service.url), web_url=f"{service.url}/not-marquez-web")
    assert not result.passed
    assert result.reason is not None and result.reason.startswith("the lineage UI page failed: ")
    assert "HTTP 404" in result.reason and png.is_file()  # the error page is kept as evidence
    assert result.measured["screenshot"] is None and result.details["marquez"]["expected_edges_found"] == EDGES


def test_without_a_browser_the_api_result_is_reported_but_the_check_fails(
    service: LineageHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emission = emitted(service.url)
    monkeypatch.setenv(BROWSER_ENV, str(tmp_path / "no-chromium"))
    result, _, png = run_check(service, tmp_path, emission)
    assert not result.passed and not png.exists()
    assert result.reason is not None and result.reason.startswith("no browser for the screenshot")
    assert (
        result.measured["expected_edges_found"] == f"{EDGES}/{EDGES}" and result.details["marquez"]["path_from_bronze"]
    )


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


# -- Marquez web (the stand-in page built from its source) and the web URL ----------------------------


def test_against_marquez_webs_page_a_complete_graph_passes(service: LineageHandle, tmp_path: Path) -> None:
    emission = emitted(service.url)
    with marquez_web(service.url) as web:
        assert probe_web(web) is None
        result, _, png = run_check(service, tmp_path, emission, web_url=web)
    assert result.passed, result.reason
    assert result.details["screenshot"]["texts_checked"] == [GOLD, "raw/orders"] and png_summary(png).colours > 8


def test_against_marquez_webs_page_a_stale_graph_fails_naming_what_is_not_drawn(
    service: LineageHandle, tmp_path: Path
) -> None:
    """The API holds this run's complete graph; the web shows a stale Marquez whose graph stops short of Bronze:
    the Marquez behind the web is not the API's (its gold run is another), and the page is kept as evidence."""
    emission = emitted(service.url)
    stale = start_lineage_service(tmp_path / "stale.sqlite")
    try:
        cut = [
            dataclasses.replace(s, sql=s.sql.replace("lh_t_bronze.", "lh_t_elsewhere.")) if s.job.startswith("2") else s
            for s in statements()
        ]
        emit_pipeline(LineageEmitter(stale.url, NAMESPACE, REGION), cut)
        with marquez_web(stale.url) as web:
            result, _, png = run_check(service, tmp_path, emission, web_url=web)
    finally:
        stop_lineage_service(stale)
    assert result.status is Status.FAILED and result.details["marquez"]["expected_edges_found"] == EDGES
    assert result.reason is not None and result.reason.startswith(f"Marquez web at {web} shows another Marquez ")
    assert result.reason.endswith(f"the API's (this run's) is {emission.run_ids[GOLD][-1]}") and png.is_file()


def test_against_marquez_webs_page_drawing_short_of_bronze_fails_naming_what_is_not_drawn(
    service: LineageHandle, tmp_path: Path
) -> None:
    """The web proxies the API's own Marquez (this run's gold run) but draws the graph two hops deep only:
    Bronze is not on the page, and the screenshot's text says so."""
    emission = emitted(service.url)
    with marquez_web(service.url, max_depth=2) as web:
        result, _, png = run_check(service, tmp_path, emission, web_url=web)
    assert result.status is Status.FAILED and result.details["marquez"]["expected_edges_found"] == EDGES
    assert result.reason is not None and result.reason.startswith("the lineage UI page failed: ")
    assert result.reason.endswith("does not show 'raw/orders'") and png.is_file()


def test_against_marquez_web_of_another_marquez_with_a_complete_graph_fails_naming_both_runs(
    service: LineageHandle, tmp_path: Path
) -> None:
    """The API holds this run's complete graph; the web proxies another Marquez holding an earlier run's graph,
    just as complete: the page draws every name the screenshot looks for, and the check passed on it. Now the
    Marquez behind the web must hold this run's gold run."""
    emission = emitted(service.url)
    other = start_lineage_service(tmp_path / "other.sqlite")
    try:
        earlier = emitted(other.url)  # a healthy run, into another Marquez
        with marquez_web(other.url) as web:
            assert probe_web(web) is None  # a Marquez web, proxying a Marquez API: the probe cannot tell
            assert (
                screenshot(  # and its page draws the names the check looks for
                    ui_route(web, "job", NAMESPACE, GOLD, depth=EXP.depth, full=True),
                    tmp_path / "other.png",
                    expect_text=visible_names(EXP),
                ).status
                == 200
            )
            result, _, png = run_check(service, tmp_path, emission, web_url=web)
    finally:
        stop_lineage_service(other)
    assert result.status is Status.FAILED and result.details["marquez"]["expected_edges_found"] == EDGES
    assert result.reason is not None
    assert result.reason.startswith(
        f"Marquez web at {web} shows another Marquez than the API: its gold job {GOLD}'s latest run is "
        f"{earlier.run_ids[GOLD][-1]} (at "
    )
    assert result.reason.endswith(f"), the API's (this run's) is {emission.run_ids[GOLD][-1]}")
    assert png.is_file() and result.measured["screenshot"] is None  # the page is kept as evidence


def test_marquez_webs_default_depth_does_not_reach_bronze(service: LineageHandle, tmp_path: Path) -> None:
    """Why the check opens the page at its own depth: at Marquez web's default (2) Bronze is not drawn,
    on the stand-in Marquez web page and on our service's page alike."""
    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION))
    with marquez_web(service.url) as stand_in:
        for base in (stand_in, service.url):
            with pytest.raises(ScreenshotError, match="does not show 'raw/orders'"):
                screenshot(ui_route(base, "job", NAMESPACE, GOLD), tmp_path / "d2.png", expect_text=visible_names(EXP))
            full = ui_route(base, "job", NAMESPACE, GOLD, depth=EXP.depth, full=True)
            assert screenshot(full, tmp_path / "full.png", expect_text=visible_names(EXP)).status == 200


def test_the_web_probe_tells_marquez_web_from_the_api_port(service: LineageHandle, dead_url: str) -> None:
    assert probe_web(service.url) is None  # our service serves the page and the API on one port
    api_only = Flask("marquez-api-port")  # Marquez's API port: JSON 404 for every web route

    @api_only.get("/")
    @api_only.get("/<path:_any>")
    def _nf(_any: str = "") -> Any:
        return {"code": 404, "message": "HTTP 404 Not Found"}, 404

    server = make_server("127.0.0.1", 0, api_only)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        problem = probe_web(url)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert problem is not None and problem.startswith(f"{url} is not Marquez web: GET / answers HTTP 404")
    assert "MARQUEZ_WEB_URL" in problem and "proxies /api/v1" in problem
    dead = probe_web(dead_url)
    assert dead is not None and dead.startswith(f"Marquez web at {dead_url} does not answer (ConnectionError)")


def test_endpoint_resolution_names_the_web_url_to_give() -> None:
    local = resolve("lh-t", "http://127.0.0.1:7000")
    assert (local.api_url, local.web_url, local.web_problem) == ("http://127.0.0.1:7000", "http://127.0.0.1:7000", None)
    api_only = resolve("lh-t", None, marquez_url="http://m:5000")
    assert api_only.web_url is None and api_only.web_problem is not None
    assert api_only.web_problem.startswith("MARQUEZ_URL (http://m:5000) is set but MARQUEZ_WEB_URL is not")
    web_only = resolve("lh-t", None, marquez_web_url="http://m:3000")
    assert (web_only.api_url, web_only.web_url) == ("http://m:3000", "http://m:3000")  # the web proxies /api/v1
    assert probe(api_only) is api_only


def test_a_web_url_found_wrong_before_the_run_fails_the_check_with_the_api_evidence_kept(
    service: LineageHandle, tmp_path: Path
) -> None:
    png = tmp_path / "x.png"
    problem = "MARQUEZ_URL (x) is set but MARQUEZ_WEB_URL is not"
    result, _ = check_lineage(MarquezClient(service.url), EXP, emitted(service.url), None, png, [], problem)
    assert result.status is Status.FAILED and result.reason == f"the lineage UI cannot be shown: {problem}"
    assert result.details["marquez"]["expected_edges_found"] == EDGES and not png.exists()


#: Where the pipeline's SQL carries Bronze users.ssn (the column-flow page's ``flows_into_by_sql`` tables).
SSN_FLOW = ["lh_t_gold.users", "lh_t_silver.users", "lh_t_silver.users_rejected", "lh_t_silver.users_staged"]


def test_a_failed_job_writing_a_table_the_column_flow_reaches_fails_though_gold_is_whole(
    service: LineageHandle,
) -> None:
    """An earlier session ran the whole pipeline; this one's ``lh_t_gold.users.merge`` FAILED. Gold users is not
    upstream of daily_revenue, so no run of its job was judged, and Marquez's column lineage of Bronze ssn still
    reaches it (an earlier version's, or the failed run's own facets): the check passed column-level lineage
    Bronze -> Gold that this run did not make. The gold job's graph draws that job too (it reads Silver users, on
    Gold's path): it is drawn from this run's FAILED run, named as such when no column flow is judged."""
    emitted(service.url)
    ours = emitted(service.url, {"lh_t_gold.users.merge": "HIVE_BAD_DATA: boom"})
    client = MarquezClient(service.url)
    failed = ours.run_ids["lh_t_gold.users.merge"][-1]
    alone = check_api(client, EXP, ours)  # every edge there, but one pipeline job it draws failed
    assert alone.details["expected_edges_found"] == EDGES and alone.reason == (
        f"the lineage graph draws the pipeline job lh_t_gold.users.merge from this run's {failed}, FAILED, "
        "not COMPLETED"
    )
    api = check_api(client, EXP, ours, SSN_FLOW)
    assert api.reason == (
        f"the job writing lh_t_gold.users (where the column flows) lh_t_gold.users.merge's latest run {failed} is "
        "FAILED, not COMPLETED (HIVE_BAD_DATA: boom)"
    )
    assert api.details["flow_writers_latest_runs"]["lh_t_gold.users.merge"] == {"id": failed, "state": "FAILED"}


def test_the_jobs_writing_the_column_flows_tables_pass_when_this_run_completed_them(service: LineageHandle) -> None:
    """Healthy twin: after a failed session, this one completes every job: all writers of the flow's tables
    (create, insert, merge, drop alike) have this run's COMPLETED run."""
    emitted(service.url, {"lh_t_gold.users.merge": "HIVE_BAD_DATA: boom"})
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours, SSN_FLOW)
    assert api.passed, api.reason
    writers = api.details["flow_writers_latest_runs"]
    assert "lh_t_gold.users.merge" in writers and "lh_t_silver.users_rejected.insert" in writers
    assert all(r == {"id": ours.run_ids[j][-1], "state": "COMPLETED"} for j, r in writers.items())
