"""Exit check 2 compares the rows ``lakehouse demo`` prints with GetQueryResults of the query id it printed, on
the emulator's engine (real dates, decimals and bigints, results paged as Athena pages them).

What the CLI prints for the demo query is judged as the check judges the script's output: the healthy print
passes, with every page read; the same print with one other row's revenue edited (the expected row still
there, the query id still the demo's) fails, naming that row.
"""

from __future__ import annotations

import decimal
import time
from typing import Any

from lakehouse.athena import run
from lakehouse.checks.demo_script import SCRIPT, ScriptRun, check_demo_script, returned_rows
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_connection, demo_queries, query_output
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-central-2"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}


def test_the_rows_the_cli_prints_are_the_rows_athena_returned_for_its_query(emulator: EmulatorHandle) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "rows1")
    assert run_pipeline(target, outputs, data_dir=DATA_DIR).ok
    sql, athena = demo_queries(outputs)["daily_revenue"], target.client("athena")
    started = time.time()
    conn = demo_connection(target, outputs)
    try:
        record, rows = run(conn, sql, label="daily_revenue")
    finally:
        conn.close()
    assert record.ok and len(rows) > 2, record.error

    def judged(printed_rows: list[tuple[Any, ...]]) -> Outcome:
        stdout = query_output("daily_revenue", record, printed_rows) + "\n"
        script = ScriptRun([SCRIPT, "daily_revenue"], 0, stdout, "", started, 0.1)
        work_group, gold = outputs["athena_workgroup_name"], outputs["glue_database_names"]["gold"]
        return check_demo_script(script, "daily_revenue", EXPECTED, sql, athena, work_group, gold, set())

    healthy = judged(rows)
    assert healthy.status is Status.PASSED, healthy.reason
    assert healthy.details["rows_printed"] == healthy.details["rows_returned"] == len(rows)
    # Every page: in pages of 7 rows (the first after Athena's row of column labels) the same rows come back.
    query_id = str(record.query_execution_id)
    paged = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": 7}
    )
    assert len(list(paged)) > 2
    assert returned_rows(athena, query_id, page_size=7) == returned_rows(athena, query_id)
    # Broken: another row's revenue edited; the expected row is still printed, under the demo query's id.
    index = next(i for i, r in enumerate(rows) if str(r[1]) != "US")
    edited = list(rows)
    edited[index] = (*rows[index][:3], rows[index][3] + decimal.Decimal("1.00"))
    broken = judged(edited)
    assert broken.status is Status.FAILED, broken.reason
    shown = " | ".join(str(v) for v in edited[index])
    assert f"its row {index + 1} ({shown}) is not a row Athena returned" in (broken.reason or ""), broken.reason
