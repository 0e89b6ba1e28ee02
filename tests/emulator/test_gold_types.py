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
from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop_parts import PARTS, DataLoopRun
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.kpi.success import contracts_read_back
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import SQL_DIR, PipelineResult, run_pipeline
from lakehouse.target import Target
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


def _pipeline_run(emulator: EmulatorHandle, sql: Path) -> tuple[Target, dict[str, Any], PipelineResult]:
    """The real pipeline, run with ``sql`` on a bare stack of its own: ``(target, outputs, its result)``."""
    target, outputs = pipeline_stack(emulator, REGION, f"goldtypes{next(_names)}")
    result = run_pipeline(target, outputs, sql_dir=sql)
    assert result.ok, result.summary()
    return target, outputs, result


def _exit_2(emulator: EmulatorHandle, sql: Path) -> tuple[str, dict[str, Outcome]]:
    """The real pipeline on a bare stack with ``sql``, then every part of exit check 2 (``PARTS``) on it."""
    target, outputs, result = _pipeline_run(emulator, sql)
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


def test_kpi_success_rate_counts_no_run_that_leaves_a_string_order_date_and_counts_the_healthy_one(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """KPI-success-rate counts a run only when every data contract is met: as exit check 2 judges it, the stored
    types too. Judged on the values alone, the run that leaves Gold's day as text was a success (every value
    reads back as the day's text, the `matches` query agrees)."""
    target, outputs, result = _pipeline_run(
        emulator, _sql(tmp_path, "order_date string, country string, orders bigint", AS_TEXT)
    )
    gold = outputs["glue_database_names"]["gold"]
    wrong, read = contracts_read_back(target, outputs)(result)
    assert wrong is not None and wrong.startswith("data contracts failed: "), wrong
    assert f"{gold}.daily_revenue.order_date is stored as string (s3://" in wrong, wrong
    assert "gold.daily_revenue.yml says date" in wrong, wrong
    assert read["column_types"]["stored_types"][f"{gold}.daily_revenue"]["order_date"] == "string"
    assert read["column_types"]["contract_types"][f"{gold}.daily_revenue"]["order_date"] == "date"

    target, outputs, result = _pipeline_run(emulator, SQL_DIR)
    gold = outputs["glue_database_names"]["gold"]
    wrong, read = contracts_read_back(target, outputs)(result)
    assert wrong is None, wrong
    assert read["column_types"]["stored_types"][f"{gold}.daily_revenue"]["order_date"] == "date"
