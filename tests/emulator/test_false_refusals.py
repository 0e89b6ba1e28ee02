"""A Silver that refuses good lines under a false reason: exit check 2 must fail, naming the lines.

The line accounting counts a refused line as placed (it is in ``silver.orders_rejected``), Gold is built
right from what Silver kept (every contract, ``matches:`` included, holds) and the scenario's row
(2026-03-01, US, 444.15) is untouched, so before ``lakehouse/pipeline/refusals.py`` exit check 2 passed
these stacks. Each test runs the real pipeline on a bare stack of the shared emulator with a copy of
``pipeline/sql`` where one Silver rule is wrong.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import check_accounting, check_contracts, check_expected_row
from lakehouse.contracts import load_contracts
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, PipelineResult, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-north-1"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
_names = itertools.count(1)

ORDERS = "21_silver_orders.sql"
NEGATIVE = "WHEN try_cast(o.amount AS decimal(10, 2)) < 0 THEN 'amount negative'"
KNOWN_USERS = "LEFT JOIN (SELECT DISTINCT user_id FROM ${silver_db}.users) u"


def _run(emulator: EmulatorHandle, tmp_path: Path, healthy: str | None = None, broken: str = "") -> dict[str, Any]:
    """The pipeline on a fresh bare stack with ``healthy`` replaced by ``broken`` in Silver orders' SQL; what the
    exit check 2 judgements say of it (the accounting, the demo's row, the contracts)."""
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    if healthy is not None:
        path = sql / ORDERS
        text = path.read_text(encoding="utf-8")
        assert text.count(healthy) == 1, f"{ORDERS} changed: {healthy!r} not found once"
        path.write_text(text.replace(healthy, broken), encoding="utf-8")
    target, outputs = pipeline_stack(emulator, REGION, f"refuse{next(_names)}")
    result: PipelineResult = run_pipeline(target, outputs, data_dir=DATA_DIR, sql_dir=sql)
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, rows = run(conn, demo_queries(outputs)["daily_revenue"])
        contracts = check_contracts(conn, outputs, load_contracts(), sql_dir=sql)
    finally:
        conn.close()
    return {
        "result": result,
        "accounting": check_accounting(result),
        "row": check_expected_row(record, rows, EXPECTED),
        "contracts": contracts,
    }


def test_the_sample_s_refusals_are_all_true(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """Healthy twin: the real SQL refuses the sample's bad lines (every kind the sample has), each truly."""
    judged = _run(emulator, tmp_path)
    assert judged["result"].ok, judged["result"].summary()
    assert judged["accounting"].passed, judged["accounting"].reason
    assert judged["row"].passed and judged["contracts"].passed, (judged["row"].reason, judged["contracts"].reason)
    reasons = {r for a in judged["result"].accounting for r in a.rejected}
    assert "amount negative" in reasons and "user_id unknown" in reasons, reasons
    assert any(r.startswith("duplicate key, superseded by line ") for r in reasons), reasons


def test_orders_under_100_refused_as_negative_fail_naming_a_line(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """``< 100`` for ``< 0``: 16 good orders refused as ``amount negative``; the lines still add up."""
    judged = _run(emulator, tmp_path, NEGATIVE, NEGATIVE.replace("< 0", "< 100"))
    assert judged["row"].passed, "the demo's row (444.15) is untouched"
    assert judged["contracts"].passed, "Gold agrees with what Silver kept: the contracts alone saw nothing"
    assert judged["accounting"].status is Status.FAILED
    said = str(judged["accounting"].reason)
    # orders.csv line 2 is order 1: 53.80, completed.
    assert (
        "orders.csv:2: refused as 'amount negative' in silver.orders_rejected, which is not true of it "
        "(order_id '1', user_id '6', order_ts '2026-02-15 04:38:00', amount '53.80', status 'completed')"
    ) in said, said
    assert not judged["result"].ok, "the run itself fails: its lines do not all end where they belong"


def test_a_country_dropped_as_unknown_users_fails_naming_its_orders(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """Silver orders checking users against those outside DE: DE's orders refused as ``user_id unknown``."""
    judged = _run(emulator, tmp_path, KNOWN_USERS, KNOWN_USERS.replace(".users)", ".users WHERE country <> 'DE')"))
    assert judged["row"].passed and judged["contracts"].passed, (judged["row"].reason, judged["contracts"].reason)
    assert judged["accounting"].status is Status.FAILED
    said = str(judged["accounting"].reason)
    assert "refused as 'user_id unknown' in silver.orders_rejected, which is not true of it" in said, said


#: Silver orders' staging copying each Bronze line (its raw values, as the rejected table keeps them too).
STAGED_COPY = "r.source_file, r.source_line, r.order_id, r.user_id, r.order_ts, r.amount, r.status,"
#: The same with ``order_ts`` five hours on (a time zone taken for UTC): an order after 19:00 moves to the next day.
STAGED_SHIFTED = STAGED_COPY.replace(
    "r.order_ts,", "coalesce(CAST(try_cast(r.order_ts AS timestamp) + INTERVAL '5' HOUR AS varchar), r.order_ts),"
)


def test_a_staging_that_shifts_order_ts_fails_naming_a_moved_line(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """Silver is built from staging's copy, so Silver, Gold and the accounting's "Silver holds the staged line" all
    agree; the demo's order (14:47) stays on 2026-03-01. Only Bronze says line 3 read 13:24, not 18:24."""
    judged = _run(emulator, tmp_path, STAGED_COPY, STAGED_SHIFTED)
    assert judged["row"].passed and judged["contracts"].passed, (judged["row"].reason, judged["contracts"].reason)
    assert judged["accounting"].status is Status.FAILED
    said = str(judged["accounting"].reason)
    # orders.csv line 3 is order 2: 2026-02-06 13:24:00 in Bronze.
    assert (
        "orders.csv:3: in silver (values not as Bronze holds the line): the pipeline's copy of the line is not the "
        "line it read"
    ) in said, said
