"""Exit check 2's row must come from the Gold this run built, judged on a real pipeline run on the emulator.

The healthy run passes, its row tied to the snapshot its ``daily_revenue`` MERGE committed. Then Gold is changed
by hand after the run (the row stays: the demo still returns it), and the check fails naming the table and that
the snapshot is newer than the run's last write of it. A healthy re-run of the same files passes again, and the
first run judged after it passes too (Gold is a later run's of the same statements, as after the KPI's runs). Then a run
whose SQL no longer writes ``daily_revenue`` (Gold left as an older run made it, the demo's row still in it) fails
naming the table as not written this run.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop_parts import DataLoopRun, demo_row
from lakehouse.checks.gold_snapshot import TOLERANCE_MS
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import SQL_DIR, PipelineResult, run_pipeline
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "ap-southeast-3"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
#: 30_gold.sql's last two statements: the DELETE and MERGE of daily_revenue.
GOLD_REVENUE = "-- A day and country whose orders all moved away"


def _judge(target: Target, outputs: dict[str, object], result: PipelineResult) -> Outcome:
    conn = connect(target, str(outputs["athena_workgroup_name"]))
    try:
        demo = run(conn, demo_queries(outputs)["daily_revenue"])
        return demo_row(DataLoopRun(target, outputs, conn, result, demo, EXPECTED))
    finally:
        conn.close()


def _without_revenue(tmp_path: Path) -> Path:
    out = tmp_path / "sql"
    shutil.copytree(SQL_DIR, out)
    gold = out / "30_gold.sql"
    text = gold.read_text(encoding="utf-8")
    assert text.count(GOLD_REVENUE) == 1, "30_gold.sql changed: daily_revenue's statements not found"
    gold.write_text(text[: text.index(GOLD_REVENUE)], encoding="utf-8")
    return out


def test_the_demo_row_must_come_from_the_snapshot_this_run_committed(emulator: EmulatorHandle, tmp_path: Path) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "goldsnap")
    gold = f"{outputs['glue_database_names']['gold']}.daily_revenue"  # type: ignore[index]
    first = run_pipeline(target, outputs)
    assert first.ok, first.summary()

    healthy = _judge(target, outputs, first)
    assert healthy.passed, healthy.reason
    assert healthy.details["gold_snapshots"][gold]["committed_by"] == "30_gold.7"

    time.sleep(2 * TOLERANCE_MS / 1000)  # past the tolerance, whatever the machine's speed
    conn = connect(target, str(outputs["athena_workgroup_name"]))
    try:
        record, _ = run(conn, f"INSERT INTO {gold} VALUES (DATE '2020-01-01', 'ZZ', 1, 1.00)")
        assert record.ok, record.error
    finally:
        conn.close()
    changed = _judge(target, outputs, first)
    assert changed.status is Status.FAILED
    assert f"{gold}'s current snapshot" in str(changed.reason)
    assert "after the pipeline's last write of it (30_gold.7" in str(changed.reason)

    again = run_pipeline(target, outputs)  # the same lines again: the MERGE rewrites the rows it matches
    assert again.ok, again.summary()
    rerun = _judge(target, outputs, again)
    assert rerun.passed, rerun.reason
    assert rerun.details["gold_snapshots"][gold]["committed_by"] == "30_gold.7"
    # The first run judged after the re-run (the KPI's runs made between): a later run of the same statements.
    earlier = _judge(target, outputs, first)
    assert earlier.passed, earlier.reason
    assert earlier.details["gold_snapshots"][gold]["committed_by"] == "30_gold.7 (a later run)"

    second = run_pipeline(target, outputs, sql_dir=_without_revenue(tmp_path))
    assert second.ok, second.summary()
    stale = _judge(target, outputs, second)
    assert stale.status is Status.FAILED
    assert f"no statement of this pipeline run writes {gold}" in str(stale.reason)
