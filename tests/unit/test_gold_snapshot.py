"""Exit check 2's row must come from a Gold this run built: the current snapshot of each Gold table holding it
was committed while one of this run's statements writing that table ran (``gold_snapshot``).

Snapshot times and executions are given as Athena and Iceberg state them (epoch ms, boto3 datetimes); the
emulator test ``tests/emulator/test_gold_snapshot_of_run.py`` ties them on a real pipeline run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lakehouse.checks.gold_snapshot import TOLERANCE_MS, check_gold_written_by_run, judge_table, writers_of, writes
from lakehouse.checks.query_results import WorkGroupHistory
from lakehouse.outcome import Status

TABLE = "lh_gold.daily_revenue"
T0 = 1_780_000_000_000  # the run's MERGE was submitted then (epoch ms)
MERGE = "MERGE INTO lh_gold.daily_revenue t USING (SELECT 1 AS x) s ON t.x = s.x WHEN MATCHED THEN DELETE"
DELETE = "DELETE FROM lh_gold.daily_revenue WHERE orders < 0"
STATEMENTS = [
    {
        "job": "30_gold.4",
        "where": "30_gold.sql:24",
        "sql": "MERGE INTO lh_gold.users t USING lh_silver.users s ON t.user_id = s.user_id WHEN MATCHED THEN DELETE",
        "query_execution_id": "q-users",
    },
    {"job": "30_gold.6", "where": "30_gold.sql:58", "sql": DELETE, "query_execution_id": "q-delete"},
    {"job": "30_gold.7", "where": "30_gold.sql:63", "sql": MERGE, "query_execution_id": "q-merge"},
    {"job": "30_gold.8", "where": "30_gold.sql:80", "sql": MERGE, "query_execution_id": "q-failed", "error": "boom"},
]
#: Athena's executions: the DELETE ran 2 s, then 4 s later the MERGE 3 s.
WINDOWS = {"q-users": (T0 - 9000, T0 - 6000), "q-delete": (T0 - 6000, T0 - 4000), "q-merge": (T0, T0 + 3000)}


def execution(query_id: str) -> dict[str, Any]:
    submitted, completed = WINDOWS[query_id]
    as_dt = [dt.datetime.fromtimestamp(ms / 1000, dt.UTC) for ms in (submitted, completed)]
    return {"QueryExecutionId": query_id, "Status": {"SubmissionDateTime": as_dt[0], "CompletionDateTime": as_dt[1]}}


def snap(at_ms: int, snapshot_id: int = 42) -> dict[str, Any]:
    return {"snapshot_id": snapshot_id, "timestamp_ms": at_ms, "operation": "overwrite"}


def judged(at_ms: int) -> tuple[str | None, dict[str, Any]]:
    return judge_table(TABLE, snap(at_ms), writers_of(STATEMENTS, TABLE, execution))


def test_the_writers_of_a_table_are_this_runs_succeeded_statements_that_write_it() -> None:
    assert writes(MERGE, TABLE) and writes(DELETE, TABLE)
    assert not writes("SELECT * FROM lh_gold.daily_revenue", TABLE)
    assert not writes("MERGE INTO (", TABLE)
    assert not writes("CREATE TABLE IF NOT EXISTS lh_gold.daily_revenue (orders bigint)", TABLE)  # no snapshot
    assert writes("CREATE TABLE lh_gold.daily_revenue AS SELECT 1 AS orders", TABLE)
    assert not writes("INSERT INTO lh_gold.users SELECT * FROM lh_gold.daily_revenue", TABLE)
    assert [w.query_id for w in writers_of(STATEMENTS, TABLE, execution)] == ["q-delete", "q-merge"]


def test_a_snapshot_this_runs_merge_committed_passes() -> None:
    problem, seen = judged(T0 + 2500)
    assert problem is None
    assert seen["committed_by"] == "30_gold.7"


def test_a_snapshot_committed_by_the_runs_delete_passes_too() -> None:
    """A MERGE that changed nothing commits no snapshot: the DELETE's is still this run's."""
    assert judged(T0 - 5000)[0] is None


def test_an_older_gold_the_run_did_not_rebuild_fails_naming_table_snapshot_and_writer() -> None:
    problem, _ = judged(T0 - 86_400_000)  # yesterday's run's snapshot
    assert problem is not None
    assert problem.startswith(f"{TABLE}'s current snapshot 42 was committed at ")
    assert "before this run first wrote it (30_gold.6, query q-delete" in problem
    assert "the demo reads an older Gold" in problem


def test_gold_changed_after_the_run_fails() -> None:
    problem, _ = judged(T0 + 3000 + TOLERANCE_MS + 1)
    assert problem is not None and "after the pipeline's last write of it (30_gold.7, query q-merge" in problem


def test_a_snapshot_between_two_writes_is_by_neither() -> None:
    problem, _ = judged(T0 - 2000)  # 2 s after the DELETE completed, 2 s before the MERGE was submitted
    assert problem is not None and problem.endswith("between this run's writes of it, by none of them")


def test_a_run_that_does_not_write_the_table_fails() -> None:
    problem, _ = judge_table(TABLE, snap(T0), writers_of(STATEMENTS[:1], TABLE, execution))
    assert (
        problem
        == f"no statement of this pipeline run writes {TABLE}: its snapshot 42 is an older Gold's, not this run's"
    )


def test_the_check_names_each_table_and_is_error_when_a_snapshot_cannot_be_read() -> None:
    def snapshot_of(table: str) -> dict[str, Any]:
        return snap(T0 + 1000) if table == TABLE else snap(T0 - 86_400_000, 7)

    outcome = check_gold_written_by_run([TABLE, "lh_gold.users"], STATEMENTS, snapshot_of, execution)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and outcome.reason.startswith("lh_gold.users's current snapshot 7 was committed")
    assert outcome.measured == {TABLE: "30_gold.7", "lh_gold.users": None}

    healthy = check_gold_written_by_run([TABLE], STATEMENTS, snapshot_of, execution)
    assert healthy.passed, healthy.reason

    def unreadable(table: str) -> dict[str, Any]:
        raise OSError("metadata file gone")

    error = check_gold_written_by_run([TABLE], STATEMENTS, unreadable, execution)
    assert error.status is Status.ERROR and "metadata file gone" in str(error.reason)


def _history(*executions: tuple[str, str, int], cut: bool = False) -> WorkGroupHistory:
    """A workgroup history of ``(query id, text, submitted ms)`` executions, each 1 s long, SUCCEEDED."""
    found = []
    for query_id, text, at in executions:
        times = [dt.datetime.fromtimestamp(ms / 1000, dt.UTC) for ms in (at, at + 1000)]
        status = {"State": "SUCCEEDED", "SubmissionDateTime": times[0], "CompletionDateTime": times[1]}
        found.append({"QueryExecutionId": query_id, "Query": text, "Status": status})
    return WorkGroupHistory("wg", tuple(found), cut=cut)


def _judged_later(history: WorkGroupHistory) -> Any:
    return check_gold_written_by_run([TABLE], STATEMENTS, lambda t: snap(T0 + 60_500), execution, lambda: history)


def test_a_later_run_of_the_same_statement_is_the_pipelines_writer_too() -> None:
    """The KPI's runs rewrite Gold after the session's run: the same MERGE text, a minute later."""
    outcome = _judged_later(_history(("q-later", "  " + MERGE.replace(" ", "\n ", 2), T0 + 60_000)))
    assert outcome.passed, outcome.reason
    assert outcome.measured == {TABLE: "30_gold.7 (a later run)"}


def test_gold_changed_by_another_statement_after_the_run_fails() -> None:
    hand = "INSERT INTO lh_gold.daily_revenue VALUES (DATE '2020-01-01', 'ZZ', 1, 1.00)"
    outcome = _judged_later(_history(("q-hand", hand, T0 + 60_000)))
    assert outcome.status is Status.FAILED
    assert "after the pipeline's last write of it (30_gold.7, query q-merge" in str(outcome.reason)


def test_a_history_cut_short_cannot_vouch_for_a_later_write() -> None:
    outcome = _judged_later(_history(cut=True))
    assert outcome.status is Status.ERROR
    assert "workgroup wg lists more than" in str(outcome.reason)
