"""Exit check 4: a job the pipeline does not run writing a pipeline table beside Gold's path (a quarantine table).

Marquez's graph of the gold job draws ``orders_rejected`` (the pipeline's ``orders_rejected.insert`` reads a table
upstream of Gold) with every job writing it. A backfill writing it during the session was drawn as one of its
writers, its version the table's current one, yet the foreign-writer rule judged only the tables of the expected
edges and the current-version rules only those and the column flow's: the check passed a graph showing another
producer building one of the pipeline's tables, whatever the backfill's event times. Now every table of the
pipeline is judged for foreign writers since the session started, and every table this run wrote that the graph
draws for its current version, each named. Healthy twin: a writer that finished before the session (history), its
version no longer the table's current one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openlineage.client.event_v2 import RunState

from lakehouse.checks.lineage import check_api
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.service.process import LineageHandle
from tests.lineage.test_gold_writers import EXP, emitted, write

REJECTED = next(d for d in EXP.datasets if d.name.endswith("lh_t_silver.orders_rejected"))
BACKFILL = "job:someone-else:backfill.overwrite"


def test_the_quarantine_table_is_beside_gold_s_path() -> None:
    assert REJECTED.node_id not in {n for e in EXP.edges for n in (e.origin, e.destination)}
    assert any(e.destination == REJECTED.node_id for e in EXP.pipeline_edges)


def test_a_foreign_writer_of_a_side_table_after_this_run_fails_naming_it(service: LineageHandle) -> None:
    ours = emitted(service.url)
    theirs = write(
        service.url, "someone-else", "backfill.overwrite", REJECTED.name, datetime.now(UTC), RunState.COMPLETE
    )
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["expected_edges_found"] == len(EXP.edges) and api.details["path_from_bronze"]
    assert {(w["job"], w["dataset"]) for w in api.details["foreign_writers"]} == {(BACKFILL, REJECTED.node_id)}
    assert not api.passed, "a job the pipeline does not run wrote a pipeline table after this run, and it passed"
    assert api.reason is not None and (
        f"shows a job the pipeline does not run writing its table since this run started: {BACKFILL} (run {theirs}, "
        f"COMPLETED, ended "
        in api.reason
        and f"writes {REJECTED.node_id}" in api.reason
    ), api.reason
    current = api.details["current_versions"][REJECTED.node_id]
    assert current["run"] == theirs and f"Marquez's current version {current['version']} of {REJECTED.node_id}" in (
        api.reason
    )


def test_a_backdated_foreign_writer_of_a_side_table_fails_naming_the_current_version(service: LineageHandle) -> None:
    ours = emitted(service.url)
    theirs = write(
        service.url,
        "someone-else",
        "backfill.overwrite",
        REJECTED.name,
        ours.started_at - timedelta(hours=1),
        RunState.COMPLETE,
    )
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.details["foreign_writers"] == []  # by its own clock it is history
    assert not api.passed, "a job the pipeline does not run wrote a pipeline table during this run, and it passed"
    current = api.details["current_versions"][REJECTED.node_id]
    assert current["run"] == theirs and current["job"] == BACKFILL
    assert api.reason == (
        f"Marquez's current version {current['version']} of {REJECTED.node_id} was made by run {theirs} (COMPLETED) "
        f"of {BACKFILL}, not by a run this session emitted: the last completed write of it to reach Marquez, "
        f"whatever its event times say (created {current['created_at']})"
    )


def test_the_healthy_twin_a_writer_that_finished_before_this_session_is_history(service: LineageHandle) -> None:
    write(service.url, "someone-else", "backfill.overwrite", REJECTED.name, datetime.now(UTC), RunState.COMPLETE)
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    assert api.details["foreign_writers"] == []
    assert (
        api.details["current_versions"][REJECTED.node_id]["run"] in ours.run_ids["lh_t_silver.orders_rejected.insert"]
    )
