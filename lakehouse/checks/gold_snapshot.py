"""Exit check 2's row is this run's: the Gold table it is read from was last committed by this run's pipeline.

The demo reads a Gold table's current Iceberg snapshot. A Gold table this run did not rebuild (its statement
wrote another table, or the table was rewritten by hand since) still answers with an older snapshot's rows, and
the demo's row comes back whatever this run made of the CSVs. So the current snapshot's commit time (Iceberg's
``timestamp-ms``, read with pyiceberg from the metadata file Glue names) must fall within the execution of one
of this run's statements that write the table, as Athena tells it (GetQueryExecution's ``SubmissionDateTime``
and ``CompletionDateTime``): committed after the run started, by the pipeline's writer, and nothing since.

A later run of the pipeline in the same session (the success-rate KPI's runs, a recovery run) rewrites Gold by
the same statements: when the current snapshot is newer than this run's writes, the stack's workgroup history
(ListQueryExecutions) is read for executions of the same statement text since this run started; one of those
holding the commit is the pipeline's writer too (``later_writers``). Anything else changed Gold since.

Both times are the service's (Athena's engine stamps the snapshot, Athena's API the execution; the emulator's
process both), never this machine's: no verdict depends on its clock or speed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.checks.query_results import WorkGroupHistory
from lakehouse.emulator.sql.dialect import READ
from lakehouse.outcome import Outcome

#: How far a snapshot's commit time may lie outside its writer's execution: Athena's API gives its times to the
#: millisecond and its engine's clock is not its API's (both kept by Amazon's time sync, well within this); the
#: emulator's are one process's clock, rounded. An older run's snapshot is minutes or days older.
TOLERANCE_MS = 100
#: The statements that write a table's rows (a CREATE only with its AS query).
_WRITES = (exp.Insert, exp.Merge, exp.Update, exp.Delete, exp.Create)


@dataclass(frozen=True)
class Writer:
    """One statement of the run that writes a table, and when Athena says it ran (epoch ms; None: not said)."""

    job: str
    where: str
    query_id: str
    submitted_ms: int | None
    completed_ms: int | None

    def distance(self, timestamp_ms: int) -> int | None:
        """How far (ms) a commit at ``timestamp_ms`` lies outside this execution: 0 within it; None when Athena
        did not say when it ran."""
        if self.submitted_ms is None or self.completed_ms is None:
            return None
        return max(self.submitted_ms - timestamp_ms, timestamp_ms - self.completed_ms, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "where": self.where,
            "query_execution_id": self.query_id,
            "submitted": _iso(self.submitted_ms),
            "completed": _iso(self.completed_ms),
        }


def _iso(ms: int | None) -> str | None:
    return None if ms is None else dt.datetime.fromtimestamp(ms / 1000, dt.UTC).isoformat(timespec="milliseconds")


def _epoch_ms(value: Any) -> int | None:
    """GetQueryExecution's ``SubmissionDateTime``/``CompletionDateTime`` (a datetime from boto3) in epoch ms."""
    if isinstance(value, dt.datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value) * 1000)
    return None


def writes(sql: str, table: str) -> bool:
    """True when the statement writes rows of ``db.table`` (an INSERT, MERGE, UPDATE, DELETE or CTAS into it, by
    sqlglot): a ``CREATE TABLE`` of columns commits no snapshot. A statement that does not parse writes nothing
    anyone can tell."""
    try:
        tree = sqlglot.parse_one(sql, read=READ)
    except SqlglotError:
        return False
    if not isinstance(tree, _WRITES) or (isinstance(tree, exp.Create) and not isinstance(tree.expression, exp.Query)):
        return False
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    return isinstance(target, exp.Table) and f"{target.db}.{target.name}".lower() == table.lower()


def writers_of(
    statements: Iterable[dict[str, Any]], table: str, execution: Callable[[str], dict[str, Any]]
) -> list[Writer]:
    """The run's succeeded statements (``PipelineResult.statements``) that write ``table``, with Athena's times
    (``execution``: GetQueryExecution's ``QueryExecution`` of a query id)."""
    found = []
    for stmt in statements:
        query_id = stmt.get("query_execution_id")
        if not query_id or stmt.get("error") or not writes(str(stmt.get("sql", "")), table):
            continue
        status = execution(str(query_id)).get("Status") or {}
        found.append(
            Writer(
                str(stmt.get("job", "")),
                str(stmt.get("where", "")),
                str(query_id),
                _epoch_ms(status.get("SubmissionDateTime")),
                _epoch_ms(status.get("CompletionDateTime")),
            )
        )
    return found


def _text(sql: str) -> str:
    return " ".join(sql.split())


def later_writers(
    executions: Iterable[dict[str, Any]], own: list[Writer], statements: Iterable[dict[str, Any]]
) -> list[Writer]:
    """The executions (GetQueryExecution's shape, a workgroup's history) that ran, after this run's first write,
    the same text as one of this run's statements writing the table (``own``), and succeeded: later runs of the
    pipeline. Named by the statement's job; oldest first."""
    jobs = {
        _text(str(s.get("sql", ""))): s for s in statements if s.get("query_execution_id") in {w.query_id for w in own}
    }
    since = min((w.submitted_ms for w in own if w.submitted_ms is not None), default=None)
    mine = {w.query_id for w in own}
    found = []
    for e in executions:
        status = e.get("Status") or {}
        stmt = jobs.get(_text(str(e.get("Query", ""))))
        submitted = _epoch_ms(status.get("SubmissionDateTime"))
        if stmt is None or e.get("QueryExecutionId") in mine or status.get("State") != "SUCCEEDED":
            continue
        if since is None or submitted is None or submitted < since:
            continue
        job = f"{stmt.get('job', '')} (a later run)"
        found.append(
            Writer(
                job,
                str(stmt.get("where", "")),
                str(e.get("QueryExecutionId")),
                submitted,
                _epoch_ms(status.get("CompletionDateTime")),
            )
        )
    return sorted(found, key=lambda w: w.submitted_ms or 0)


def after_writes(snapshot: dict[str, Any], writers: list[Writer]) -> bool:
    """True when the snapshot was committed after the last of ``writers`` completed (past the tolerance)."""
    stamp, last = snapshot.get("timestamp_ms"), writers[-1] if writers else None
    return (
        isinstance(stamp, int)
        and last is not None
        and last.completed_ms is not None
        and (stamp > last.completed_ms + TOLERANCE_MS)
    )


def judge_table(table: str, snapshot: dict[str, Any], writers: list[Writer]) -> tuple[str | None, dict[str, Any]]:
    """Why ``table``'s current snapshot is not this run's (None when a writer of this run committed it), and the
    evidence: the snapshot and the writers it was compared with."""
    stamp = snapshot.get("timestamp_ms")
    seen = {
        "snapshot_id": snapshot.get("snapshot_id"),
        "committed": _iso(stamp) if isinstance(stamp, int) else None,
        "operation": snapshot.get("operation"),
        "metadata_location": snapshot.get("metadata_location"),
        "writers": [w.to_dict() for w in writers],
    }
    if not snapshot.get("snapshot_id") or not isinstance(stamp, int):
        return f"{table} has no current Iceberg snapshot", seen
    if not writers:
        why = f"its snapshot {seen['snapshot_id']} is an older Gold's, not this run's"
        return f"no statement of this pipeline run writes {table}: {why}", seen
    near = sorted((d, i) for i, w in enumerate(writers) if (d := w.distance(stamp)) is not None and d <= TOLERANCE_MS)
    if near:  # the writer whose execution holds the commit (the nearest, when the engine is fast)
        seen["committed_by"] = writers[near[0][1]].job
        return None, seen
    first, last = writers[0], writers[-1]
    at = f"{table}'s current snapshot {seen['snapshot_id']} was committed at {seen['committed']}"
    if last.completed_ms is not None and stamp > last.completed_ms + TOLERANCE_MS:
        after = f"{last.job}, query {last.query_id}, completed {_iso(last.completed_ms)}"
        return (
            f"{at}, after the pipeline's last write of it ({after}): Gold was changed since, not by the pipeline",
            seen,
        )
    if first.submitted_ms is not None and stamp < first.submitted_ms - TOLERANCE_MS:
        before = f"{first.job}, query {first.query_id}, submitted {_iso(first.submitted_ms)}"
        why = "this run did not rebuild it, the demo reads an older Gold"
        return f"{at}, before this run first wrote it ({before}): {why}", seen
    if any(w.submitted_ms is None or w.completed_ms is None for w in writers):
        return f"Athena did not say when this run's writes of {table} ran: its snapshot cannot be tied to them", seen
    return f"{at}, between this run's writes of it, by none of them", seen


def check_gold_written_by_run(
    tables: Iterable[str],
    statements: list[dict[str, Any]],
    snapshot_of: Callable[[str], dict[str, Any]],
    execution: Callable[[str], dict[str, Any]],
    history: Callable[[], WorkGroupHistory] | None = None,
) -> Outcome:
    """Pass when every table of ``tables`` (``db.table``) has a current snapshot a writer of this run committed,
    or of a later run of the same statements (``history``: the stack's workgroup's, read only when needed).

    ``snapshot_of``: the table's current snapshot (``lakehouse.iceberg.snapshot``'s answer); ``execution``:
    GetQueryExecution's ``QueryExecution``. Either raising is ``error`` (nothing could be tied)."""
    judged: dict[str, dict[str, Any]] = {}
    problems = []
    read: list[WorkGroupHistory] = []
    for table in sorted(tables):
        try:
            snap, own = snapshot_of(table), writers_of(statements, table, execution)
            problem, judged[table] = judge_table(table, snap, own)
            if problem and history is not None and after_writes(snap, own):
                read = read or [history()]
                later = later_writers(read[0].executions, own, statements)
                problem, judged[table] = judge_table(table, snap, own + later)
                if problem and (gaps := read[0].errors("query <query> could not be read", "a later run's write")):
                    why = f"{problem}; and the workgroup's history could not all be read: {'; '.join(gaps)}"
                    return Outcome.error(why, None, {"gold_snapshots": judged})
        except Exception as err:  # noqa: BLE001 - pyiceberg's and botocore's errors: the table cannot be judged
            return Outcome.error(
                f"cannot tie {table}'s current snapshot to this run: {err}", None, {"gold_snapshots": judged}
            )
        if problem:
            problems.append(problem)
    measured = {t: s.get("committed_by") for t, s in judged.items()}
    threshold = "each Gold table's current snapshot committed by a statement of this pipeline run"
    return Outcome.judged(not problems, measured, threshold, "; ".join(problems) or None, {"gold_snapshots": judged})
