"""Exit check 4: a job the pipeline does not run that writes Gold (or a table upstream of it) after this run.

Marquez draws every writer of a dataset as an edge into it, so the gold job's graph then shows Gold built by
that job too, and the Gold dataset's current version is that job's. Every edge of the pipeline's jobs stays
this run's, so the check passed. Now a writer of a pipeline table that the pipeline does not run, drawn from
a run that finished after this session started, fails the check, naming it. One that dates its events before
the session reads as history by every time Marquez shows, but the table's current version (the last completed
write to arrive) is its: that fails the check too, naming the version, the run and its job.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from openlineage.client.event_v2 import RunState

from lakehouse.checks.lineage import check_api, pipeline_expectation
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import EmissionStats, LineageEmitter, http_client
from lakehouse.lineage.events import JobRun, run_event
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline

EXP = pipeline_expectation(OUTPUTS, REGION, DATA_DIR, NAMESPACE)
SILVER_ORDERS = next(d for d in EXP.datasets if d.name.endswith("lh_t_silver.orders"))


def emitted(url: str) -> EmissionStats:
    emitter = LineageEmitter(url, NAMESPACE, REGION)
    emit_pipeline(emitter)
    return emitter.stats


def write(url: str, namespace: str, job: str, output_name: str, when: datetime, state: RunState) -> str:
    """A run of ``job`` in ``namespace`` writing the pipeline's dataset ``output_name``, finished at ``when``."""
    output = next(d for d in EXP.datasets if d.name == output_name)
    run = JobRun(namespace, job, outputs=(output,))
    client = http_client(url)
    client.emit(run_event(run, RunState.START, when - timedelta(seconds=1)))
    client.emit(run_event(run, state, when))
    return run.run_id


@pytest.mark.parametrize(
    ("namespace", "dataset"),
    [("someone-else", EXP.gold.name), (NAMESPACE, EXP.gold.name), ("someone-else", SILVER_ORDERS.name)],
    ids=["gold-other-namespace", "gold-same-namespace", "silver-other-namespace"],
)
def test_a_foreign_writer_of_a_pipeline_table_after_this_run_fails_naming_it(
    service: LineageHandle, namespace: str, dataset: str
) -> None:
    ours = emitted(service.url)
    theirs = write(service.url, namespace, "backfill.overwrite", dataset, datetime.now(UTC), RunState.COMPLETE)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == len(EXP.edges) and api.details["path_from_bronze"]
    assert not api.passed, "a job the pipeline does not run wrote a pipeline table after this run, and it passed"
    node = f"job:{namespace}:backfill.overwrite"
    assert api.reason is not None and (
        f"{node} (run {theirs}, COMPLETED, ended " in api.reason and "writes dataset:awsathena:" in api.reason
    ), api.reason
    assert dataset in api.reason
    assert api.details["foreign_writers"][0]["job"] == node


def test_a_foreign_writer_that_finished_before_this_session_is_history_and_passes(service: LineageHandle) -> None:
    """A job that wrote Gold before this session (an older pipeline's job, another tool last month) is history:
    this run's Gold is the pipeline's, and Marquez offers no way to forget a writer but deleting its job."""
    write(service.url, "someone-else", "backfill.overwrite", EXP.gold.name, datetime.now(UTC), RunState.COMPLETE)
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    assert api.details["foreign_writers"] == []


@pytest.mark.parametrize(
    ("namespace", "dataset"),
    [("someone-else", EXP.gold.name), (NAMESPACE, EXP.gold.name), ("someone-else", SILVER_ORDERS.name)],
    ids=["gold-other-namespace", "gold-same-namespace", "silver-other-namespace"],
)
def test_a_foreign_writer_backdating_its_events_before_this_session_fails_naming_the_current_version(
    service: LineageHandle, namespace: str, dataset: str
) -> None:
    """Its events say it finished an hour before this session, so its run reads as history; it wrote the table
    after this run all the same, and Marquez's current version of the table is its output."""
    ours = emitted(service.url)
    backdated = ours.started_at - timedelta(hours=1)
    theirs = write(service.url, namespace, "backfill.overwrite", dataset, backdated, RunState.COMPLETE)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["foreign_writers"] == []  # by its own clock it is history
    assert not api.passed, "a job the pipeline does not run wrote a pipeline table during this run, and it passed"
    node = next(d for d in EXP.datasets if d.name == dataset).node_id
    current = api.details["current_versions"][node]
    assert current["run"] == theirs and current["job"] == f"job:{namespace}:backfill.overwrite"
    assert api.reason is not None and (
        f"Marquez's current version {current['version']} of {node} was made by run {theirs} (COMPLETED) of "
        f"job:{namespace}:backfill.overwrite, not by a run this session emitted" in api.reason
    ), api.reason


def test_our_own_later_run_after_a_backdated_foreign_writer_passes(service: LineageHandle) -> None:
    """The pipeline runs again in the session, as a chaos recovery runs it (its own emitter, judged with its own
    emission, ``chaos.runbook.run_from_bronze``): Gold is its output again, and every table it wrote has its current
    version from that run, the backdated writer's version still listed below."""
    session = emitted(service.url)
    theirs = write(
        service.url,
        "someone-else",
        "backfill.overwrite",
        EXP.gold.name,
        session.started_at - timedelta(hours=1),
        RunState.COMPLETE,
    )
    recovery = emitted(service.url)
    client = MarquezClient(service.url)
    api = check_api(client, EXP, recovery)
    assert api.passed, api.reason
    ours = {r for runs in recovery.run_ids.values() for r in runs}
    currents = api.details["current_versions"]
    assert EXP.gold.node_id in currents and SILVER_ORDERS.node_id in currents
    assert all(c["run"] in ours for c in currents.values()), currents
    listed, _ = client.dataset_versions(EXP.gold.namespace, EXP.gold.name)
    assert theirs in {(v.get("createdByRun") or {}).get("id") for v in listed}


def test_a_foreign_writer_of_a_table_the_column_flow_reaches_fails_though_not_upstream_of_gold(
    service: LineageHandle,
) -> None:
    """Gold ``users`` is not upstream of ``daily_revenue`` (the gold job's graph never draws its writers), but
    Bronze ``ssn`` flows into it: Marquez's column lineage of it is its current version's, a backfill's here."""
    users = next(d for d in EXP.datasets if d.name.endswith("lh_t_gold.users"))
    assert users.node_id not in {e.destination for e in EXP.edges}
    ours = emitted(service.url)
    theirs = write(
        service.url,
        "someone-else",
        "backfill.overwrite",
        users.name,
        ours.started_at - timedelta(hours=1),
        RunState.COMPLETE,
    )
    api = check_api(MarquezClient(service.url), EXP, ours, flow_tables=["lh_t_gold.users"])
    assert not api.passed and api.reason is not None
    assert (
        f"of {users.node_id} was made by run {theirs} (COMPLETED) of job:someone-else:backfill.overwrite" in api.reason
    )
