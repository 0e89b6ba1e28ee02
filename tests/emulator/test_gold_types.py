"""A Gold whose ``order_date`` is a string: exit check 2 must fail, naming the table, column and both types.

Athena (Trino) refuses ``varchar = date`` ("Cannot apply operator: varchar = date", TYPE_MISMATCH), so any analyst's
``WHERE order_date = DATE '...'`` on such a Gold fails. The pipeline here casts the day to text before its MERGE
(text compared with text: Athena runs it too), the demo's row reads back as the text ``2026-03-01`` and every
contract held, so exit check 2 judges the Gold columns' types as Iceberg holds them (Glue's
``metadata_location``) against the contracts'.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop_parts import PARTS, DataLoopRun
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import SQL_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "ap-south-2"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
HEALTHY = "order_date date, country string, orders bigint"
SOURCE = "SELECT order_date, country, count(*) AS orders"
#: The day as text in Gold, compared as text in the MERGE: a pipeline Athena runs too (varchar = varchar).
AS_TEXT = "SELECT CAST(order_date AS varchar) AS order_date, country, count(*) AS orders"
_names = itertools.count(1)


def _sql(tmp_path: Path, columns: str, source: str = SOURCE) -> Path:
    """A copy of ``pipeline/sql`` whose Gold ``daily_revenue`` is created with ``columns`` for its first three and
    filled from ``source`` (the MERGE's select list)."""
    out = tmp_path / "sql"
    shutil.copytree(SQL_DIR, out)
    gold = out / "30_gold.sql"
    text = gold.read_text(encoding="utf-8")
    for healthy in (HEALTHY, SOURCE):
        assert text.count(healthy) == 1, f"30_gold.sql changed: {healthy!r} not found once"
    gold.write_text(text.replace(HEALTHY, columns).replace(SOURCE, source), encoding="utf-8")
    return out


def _exit_2(emulator: EmulatorHandle, sql: Path) -> tuple[str, dict[str, Outcome]]:
    """The real pipeline on a bare stack with ``sql``, then every part of exit check 2 (``PARTS``) on it."""
    target, outputs = pipeline_stack(emulator, REGION, f"goldtypes{next(_names)}")
    result = run_pipeline(target, outputs, sql_dir=sql)
    assert result.ok, result.summary()
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        demo = run(conn, demo_queries(outputs)["daily_revenue"])
        loop = DataLoopRun(target, outputs, conn, result, demo, EXPECTED)
        return outputs["glue_database_names"]["gold"], {step: part(loop) for step, part in PARTS.items()}
    finally:
        conn.close()


def test_gold_with_a_string_order_date_fails_exit_2_and_the_healthy_gold_passes(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    _, healthy = _exit_2(emulator, SQL_DIR)
    assert all(o.passed for o in healthy.values()), {s: o.reason for s, o in healthy.items() if not o.passed}

    gold, broken = _exit_2(emulator, _sql(tmp_path, "order_date string, country string, orders bigint", AS_TEXT))
    contracts = broken.pop("every table the pipeline built meets its data contract")
    # Everything else agrees: the text reads back as the row's date.
    assert all(o.passed for o in broken.values()), {s: o.reason for s, o in broken.items() if not o.passed}
    assert contracts.status is Status.FAILED, contracts.reason
    assert f"{gold}.daily_revenue.order_date is stored as string (s3://" in str(contracts.reason), contracts.reason
    assert "gold.daily_revenue.yml says date" in str(contracts.reason), contracts.reason
    # The `matches` query's date against Gold's text: Athena refuses that EXCEPT, and so does the emulator.
    assert "column 1 in EXCEPT query has incompatible types: date, varchar" in str(contracts.reason), contracts.reason
    assert contracts.measured == 100.0, "the contracts' coverage is still what the step measures"


def test_gold_with_an_integer_orders_count_typed_bigint_fails(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """``int`` where the contract says ``bigint``: values agree, the stored type does not (Iceberg ``int``)."""
    gold, broken = _exit_2(emulator, _sql(tmp_path, "order_date date, country string, orders int"))
    contracts = broken["every table the pipeline built meets its data contract"]
    assert contracts.status is Status.FAILED, contracts.reason
    assert f"{gold}.daily_revenue.orders is stored as int" in str(contracts.reason), contracts.reason
