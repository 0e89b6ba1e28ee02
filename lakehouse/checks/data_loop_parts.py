"""Exit check 2's parts, one list: the scenario's steps call them one by one, the MTTR runbook all of them.

Each part is keyed by the text of the exit scenario's step that judges it (``features/exit_criteria.feature``,
``@EXIT-2``), so a part the steps judge is a part a recovery must pass too: the runbook kept a copy of the list
once, and a part added to the steps (Gold's files in the stack's bucket) never reached it.
``tests/unit/test_data_loop_parts.py`` holds the scenario's steps and ``PARTS`` to the same list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from lakehouse.athena import QueryRecord
from lakehouse.checks.column_types import check_column_types
from lakehouse.checks.data_loop import built_gold, built_tables, check_accounting, check_contracts, check_demo_row
from lakehouse.checks.gold_files import check_gold_files
from lakehouse.checks.gold_snapshot import check_gold_written_by_run
from lakehouse.checks.query_results import WorkGroupHistory, read_history
from lakehouse.checks.write_paths import check_write_paths
from lakehouse.contracts import Contract, load_contracts
from lakehouse.iceberg import snapshot
from lakehouse.outcome import Outcome, Status, failed_first
from lakehouse.pipeline.runner import PipelineResult, physical
from lakehouse.target import Target

#: The Gold table whose current snapshot the scenario names.
SNAPSHOT_TABLE = "daily_revenue"


@dataclass
class DataLoopRun:
    """What exit check 2 judges: the stack, the demo's Athena connection, the pipeline's run and the demo's answer.

    ``pipeline``, ``demo`` and ``expected_row`` are needed only by the parts that judge them; ``contracts``, when
    not given, are the project's (``load_contracts``, read when a part needs them).
    """

    target: Target
    outputs: dict[str, Any]
    conn: Any
    pipeline: PipelineResult | None = None
    demo: tuple[QueryRecord, list[tuple[Any, ...]]] | None = None
    expected_row: dict[str, str] = field(default_factory=dict)
    contracts: list[Contract] | None = None

    @property
    def gold_db(self) -> str:
        return str(self.outputs["glue_database_names"]["gold"])


def demo_row(run: DataLoopRun) -> Outcome:
    """The demo query returns the scenario's row, read from an Iceberg table of Gold the pipeline builds
    (``check_demo_row``), whose current snapshot this run's pipeline committed (``gold_written_by_run``)."""
    if run.demo is None:
        return Outcome.error("the demo query was not run: no answer to judge")
    record, rows = run.demo
    glue = run.target.client("glue")
    found = check_demo_row(run.conn, record, rows, run.gold_db, run.expected_row, glue, built_gold(run.outputs))
    if not found.passed:
        return found
    tied = gold_written_by_run(run, found.details["row_from_gold"]["holding"])
    found.details["gold_snapshots"] = tied.details.get("gold_snapshots")
    return found if tied.passed else replace(tied, details={**found.details, **tied.details})


def gold_written_by_run(run: DataLoopRun, tables: Iterable[str]) -> Outcome:
    """``check_gold_written_by_run`` on the stack: snapshots read with pyiceberg, executions from Athena."""
    if run.pipeline is None:
        return Outcome.error("the pipeline was not run: the Gold the row is read from cannot be tied to a run")
    athena = run.target.client("athena")

    def snapshot_of(table: str) -> dict[str, Any]:
        return snapshot(run.target, *table.split(".", 1))

    def execution(query_id: str) -> dict[str, Any]:
        return dict(athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"])

    def history() -> WorkGroupHistory:
        return read_history(athena, str(run.outputs["athena_workgroup_name"]))

    return check_gold_written_by_run(tables, run.pipeline.statements, snapshot_of, execution, history)


def lines_accounted(run: DataLoopRun) -> Outcome:
    """Every input line in exactly one place (``check_accounting``), as the pipeline read it back."""
    if run.pipeline is None:
        return Outcome.error("the pipeline was not run: no accounting to judge")
    return check_accounting(run.pipeline)


def gold_iceberg(run: DataLoopRun) -> Outcome:
    """Gold's table has a current Iceberg snapshot, every file of every Gold table lies in the Gold bucket
    (``check_gold_files``), and every table the pipeline builds writes its next files in its layer's bucket
    (``check_write_paths``: files written so far say nothing of a write path set since)."""
    found = snapshot(run.target, run.gold_db, SNAPSHOT_TABLE)
    if not found.get("snapshot_id"):
        reason = f"{run.gold_db}.{SNAPSHOT_TABLE} has no current Iceberg snapshot"
        return Outcome.judged(False, None, "a current snapshot", reason, {"iceberg_snapshot": found})
    glue, s3 = run.target.client("glue"), run.target.client("s3")
    files = check_gold_files(glue, s3, built_gold(run.outputs), str(run.outputs["bucket_names"]["gold"]))
    writes = check_write_paths(glue, s3, layer_buckets(run.outputs))
    measured = sorted({*(files.measured or []), *(writes.measured or [])})
    details = {**files.details, **writes.details, "iceberg_snapshot": found}
    return failed_first([files, writes], measured, [], details)


def layer_buckets(outputs: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Every table the pipeline builds (``built_tables``) in a layer with a bucket of the stack: its name as the
    stack names it -> (its layer, that layer's bucket, from the stack's outputs)."""
    buckets, databases = outputs["bucket_names"], outputs["glue_database_names"]
    layered = [t.split(".", 1) for t in built_tables(outputs)]
    return {
        physical(f"{layer}.{t}", outputs): (layer, str(buckets[layer]))
        for layer, t in layered
        if layer in buckets and layer in databases
    }


def contracts_met(run: DataLoopRun) -> Outcome:
    """Every built table meets its data contract (``check_contracts``), and its columns are stored with the types
    the contract states (``check_column_types``): measured is the contracts' coverage either way.

    A failure either shows fails the check, what the other could not read named beside (``failed_first``): a
    column stored with the wrong type fails it even when that type made the contracts unrunnable (Athena refuses
    the ``matches`` comparison of a Gold day kept as text with a stated date, TYPE_MISMATCH), and a violation
    Athena's rows show fails it though Glue's types could not be read. Only when neither fails and one could not
    be read is it ``error``."""
    stated = run.contracts if run.contracts is not None else load_contracts()
    contracts = check_contracts(run.conn, run.outputs, stated)
    typed = {physical(c.table, run.outputs): c for c in stated if c.column_types}
    types = check_column_types(run.target.client("glue"), run.target.client("s3"), typed)
    details = {**contracts.details, "column_types": types.details}
    # The types first: the stored type is the finding that says why contracts comparing it could not run.
    parts = [types, contracts] if contracts.status is Status.ERROR else [contracts, types]
    return failed_first(parts, contracts.measured, contracts.threshold, details)


#: Exit check 2's parts in the scenario's order, keyed by the text of the step that judges each.
PARTS: dict[str, Callable[[DataLoopRun], Outcome]] = {
    "it returns the expected row": demo_row,
    "every input line ends in exactly one place: Silver, a rejected table or the landing report": lines_accounted,
    "the Gold table is an Iceberg table with a current snapshot": gold_iceberg,
    "every table the pipeline built meets its data contract": contracts_met,
}


def check_data_loop(run: DataLoopRun) -> Outcome:
    """Every part of exit check 2, in order: the first that failed (the parts before it that could not be judged
    named beside), else the first that could not be judged or was skipped, else the last (passed).

    A part that could not be judged (or raised) does not stop the others: a later part's failure is a verdict on
    the stack (the MTTR runbook's recovery run whose demo query could not run, but whose Gold breaks its contracts,
    failed)."""
    outcome = Outcome.error("exit check 2 has no parts")
    unjudged: list[tuple[str, Outcome]] = []
    for step, part in PARTS.items():
        try:
            outcome = part(run)
        except Exception as err:  # noqa: BLE001 - as the runbook's ``_run_check``: a part that cannot read is error
            outcome = Outcome.error(f"{type(err).__name__}: {err}")
        if outcome.status is Status.FAILED:
            if not unjudged:
                return outcome
            beside = "; ".join(f"and {s!r} could not be judged: {o.reason}" for s, o in unjudged)
            return replace(outcome, reason=f"{outcome.reason}; {beside}")
        if not outcome.passed:
            unjudged.append((step, outcome))
    return unjudged[0][1] if unjudged else outcome
