"""A demo query that reads Gold's name but not the Gold the pipeline left: exit check 2 must fail.

The broken stack: before the pipeline ran, someone created ``gold.daily_revenue`` and INSERTed the scenario's
row by hand (an Iceberg snapshot of literals); the pipeline then built Gold right on top of it, and the demo
reads the table ``FOR VERSION AS OF`` that hand-made snapshot. The row is in Gold now (the harness's search
finds it), the table is Iceberg, and the harness's probe dropped the version (it read the current table minus
the row), so before ``gold_read_elsewhere`` the check passed a verifier that prints a hand-written row.
"""

from __future__ import annotations

from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import built_gold, check_demo_row, check_expected_row
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import snapshot
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-west-2"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
DEMO = "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue{version} ORDER BY order_date DESC"


def test_a_demo_reading_a_hand_made_snapshot_of_gold_fails_and_the_current_one_passes(
    emulator: EmulatorHandle,
) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "asleft1")
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        for sql in (
            f"CREATE TABLE {gold}.daily_revenue (order_date date, country string, orders bigint, "
            f"revenue decimal(12, 2)) LOCATION 's3://{bucket}/daily_revenue/' "
            "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')",
            f"INSERT INTO {gold}.daily_revenue VALUES (DATE '2026-03-01', 'US', 1, CAST(444.15 AS decimal(12, 2)))",
        ):
            record, _ = run(conn, sql)
            assert record.ok, record.error
        hand_made = snapshot(target, gold, "daily_revenue")["snapshot_id"]
        result = run_pipeline(target, outputs, data_dir=DATA_DIR)
        assert result.ok, result.summary()

        def judge(version: str) -> Any:
            record, rows = run(conn, DEMO.format(gold=gold, version=version))
            assert check_expected_row(record, rows, EXPECTED).passed, "the demo returns the scenario's row"
            return (
                record,
                rows,
                check_demo_row(conn, record, rows, gold, EXPECTED, target.client("glue"), built_gold(outputs)),
            )

        _, rows, pinned = judge(f" FOR VERSION AS OF {hand_made}")
        assert len(rows) == 1, "the verifier would print the hand-written row alone"
        assert pinned.status is Status.FAILED, pinned.reason
        assert pinned.reason == (
            f"the demo query reads Gold's name, not the Gold the pipeline left: {gold}.daily_revenue FOR VERSION "
            f"AS OF {hand_made} (time travel, not the table as the pipeline left it)"
        )
        # Healthy twin: the same demo on the table as it is now.
        _, rows, current = judge("")
        assert len(rows) > 1 and current.passed, current.reason
    finally:
        conn.close()


def test_a_demo_reading_a_hand_filled_iceberg_table_of_gold_the_pipeline_does_not_build_fails(
    emulator: EmulatorHandle,
) -> None:
    """``<gold>.daily_revenue_frozen``: an Iceberg table in Gold's database, made and filled by hand, that the
    pipeline's SQL never creates. The demo reads it: the row is in it (the harness's search finds it), it is
    Iceberg, and taking the row out of it takes it out of the answer, so before ``pipeline_gold`` the check
    passed; yet no contract or file check judges that table, and the answer is the same whatever the CSVs hold.
    Healthy twin: the same table and row under the name the pipeline builds, ``daily_revenue``."""
    target, outputs = pipeline_stack(emulator, REGION, "asleft2")
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        outcomes = {}
        for table in ("daily_revenue_frozen", "daily_revenue"):
            for sql in (
                f"CREATE TABLE {gold}.{table} (order_date date, country string, orders bigint, "
                f"revenue decimal(12, 2)) LOCATION 's3://{bucket}/{table}/' "
                "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')",
                f"INSERT INTO {gold}.{table} VALUES (DATE '2026-03-01', 'US', 1, CAST(444.15 AS decimal(12, 2)))",
            ):
                record, _ = run(conn, sql)
                assert record.ok, record.error
            record, rows = run(conn, f"SELECT order_date, country, orders, revenue FROM {gold}.{table}")
            assert check_expected_row(record, rows, EXPECTED).passed, "the demo returns the scenario's row"
            outcomes[table] = check_demo_row(
                conn, record, rows, gold, EXPECTED, target.client("glue"), built_gold(outputs)
            )
    finally:
        conn.close()
    frozen = outcomes["daily_revenue_frozen"]
    assert frozen.status is Status.FAILED, frozen.reason
    assert frozen.reason == (
        f"the expected row is only in Gold table(s) the pipeline does not build: {gold}.daily_revenue_frozen (it "
        f"builds {gold}.daily_revenue, {gold}.orders_enriched, {gold}.users): the row is not the pipeline's"
    )
    assert outcomes["daily_revenue"].passed, outcomes["daily_revenue"].reason
