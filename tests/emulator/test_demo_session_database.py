"""Exit check 2 runs the demo query in the session ``run_demo_queries.sh`` runs it in.

The verifier (``lakehouse demo``) ran the demo with Gold as the session's database; the check's steps
connected with Athena's ``default``. A demo naming a table without its database then read a different
table in each: here ``hide`` (``default.hide`` empty, ``<gold>.hide`` every country), so the check saw the
scenario's row and the verifier printed none. Both now take ``demo_connection``.
"""

from __future__ import annotations

from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import built_gold, check_demo_row
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Status
from lakehouse.pipeline.demo import demo_connection
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-west-1"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
HIDING = (
    "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue WHERE country NOT IN (SELECT c FROM hide)"
)
HEALTHY = "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue ORDER BY order_date DESC"


def _judge(conn: Any, sql: str, gold: str, glue: Any, built: list[str]) -> tuple[int, Any]:
    record, rows = run(conn, sql)
    assert record.ok, record.error
    return len(rows), check_demo_row(conn, record, rows, gold, EXPECTED, glue, built)


def test_the_check_sees_what_the_verifier_prints(emulator: EmulatorHandle) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "session1")
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    assert run_pipeline(target, outputs, data_dir=DATA_DIR).ok
    glue, built = target.client("glue"), built_gold(outputs)
    glue.create_database(DatabaseInput={"Name": "default"})
    verifier, before = demo_connection(target, outputs), connect(target, outputs["athena_workgroup_name"])
    try:
        for db in ("default", gold):
            ddl, _ = run(
                verifier,
                f"CREATE TABLE {db}.hide (c string) LOCATION 's3://{bucket}/hide_{db}/' "
                "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')",
            )
            assert ddl.ok, ddl.error
        filled, _ = run(verifier, f"INSERT INTO {gold}.hide SELECT DISTINCT country FROM {gold}.daily_revenue")
        assert filled.ok, filled.error
        demo = HIDING.format(gold=gold)
        # Before: the step's connection (the session's database `default`) saw every row, and the check passed ...
        seen, passed = _judge(before, demo, gold, glue, built)
        assert seen > 1 and passed.passed, passed.reason
        # ... while the verifier's session (Gold) prints no row at all. The check now runs it there.
        printed, outcome = _judge(verifier, demo, gold, glue, built)
        assert printed == 0
        assert outcome.status is Status.FAILED and outcome.reason == "the Athena query on Gold returned no rows"
        # Healthy twin: a demo that names every table's database reads the same in both sessions, and passes.
        assert _judge(verifier, HEALTHY.format(gold=gold), gold, glue, built)[1].passed
    finally:
        verifier.close()
        before.close()


UNQUALIFIED = "SELECT order_date, country, orders, revenue FROM daily_revenue ORDER BY order_date DESC"
#: The scenario's row as the query's own literals, beside Gold's table named only through the session.
LITERALS = (
    "SELECT order_date, country, orders, revenue FROM daily_revenue WHERE false "
    "UNION ALL SELECT DATE '2026-03-01', 'US', BIGINT '1', DECIMAL '444.15'"
)


def test_a_demo_naming_gold_only_through_the_session_reads_gold(emulator: EmulatorHandle) -> None:
    """Before: exit check 2 counted only tables named with Gold's database, so a healthy demo naming
    ``daily_revenue`` alone (Gold is its session's database) was red ("reads no table of Gold"), and the probe that
    takes the row out of Gold left such a table as it was. Now the session's database qualifies it, and a demo
    whose row is its own literals beside that table still fails."""
    target, outputs = pipeline_stack(emulator, REGION, "session2")
    gold = outputs["glue_database_names"]["gold"]
    assert run_pipeline(target, outputs, data_dir=DATA_DIR).ok
    glue, built = target.client("glue"), built_gold(outputs)
    verifier = demo_connection(target, outputs)
    try:
        seen, healthy = _judge(verifier, UNQUALIFIED, gold, glue, built)
        assert seen > 1 and healthy.passed, healthy.reason
        assert healthy.details["row_from_gold"]["gold_tables_read"] == [f"{gold}.daily_revenue"]
        _, own = _judge(verifier, LITERALS, gold, glue, built)
        assert own.status is Status.FAILED
        assert "the row is the query's own, not read from Gold" in str(own.reason), own.reason
    finally:
        verifier.close()
