"""The MTTR runbook judges exit check 2 as the exit scenario does: every part, Gold's files and types included.

The runbook once kept its own list of exit check 2's parts (the demo row, the accounting, the contracts), and the
part added later to the scenario (every Gold file in the stack's Gold bucket) never reached it: a recovery whose
Gold was rewritten into another bucket ended "recovered". The real pipeline runs on a bare stack of the shared
emulator; then Gold ``daily_revenue``'s ``write.data.path`` is set (pyiceberg) to a bucket the stack does not own and
the pipeline runs again, writing Gold's files there, and the runbook's exit check 2 must fail, naming table and
folder.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from lakehouse.chaos.faults import ChaosContext
from lakehouse.chaos.runbook import Criteria, ScheduledRun, exit_check_2
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import catalog
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "ca-west-1"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
_names = itertools.count(1)


def test_runbook_exit_2_fails_a_gold_whose_files_lie_in_another_bucket(emulator: EmulatorHandle) -> None:
    name = f"rbexit{next(_names)}"
    target, outputs = pipeline_stack(emulator, REGION, name)
    result = run_pipeline(target, outputs)
    assert result.ok, result.summary()
    ctx = ChaosContext(target, outputs, name)
    scheduled = ScheduledRun(result, EmissionStats(None, "test"), Path(DATA_DIR))
    healthy = exit_check_2(ctx, Criteria(EXPECTED), scheduled)
    assert healthy.passed, healthy.reason  # healthy twin

    elsewhere = f"elsewhere-{name}"
    target.client("s3").create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": REGION})
    gold_db = outputs["glue_database_names"]["gold"]
    table = catalog(target).load_table(f"{gold_db}.daily_revenue")
    with table.transaction() as tx:
        tx.set_properties({"write.data.path": f"s3://{elsewhere}/daily_revenue"})
    # The next run's MERGE writes Gold's files there (a Gold rewritten by hand after the run fails exit check 2's
    # row first: its snapshot is not the run's, ``test_gold_snapshot_of_run.py``).
    again = run_pipeline(target, outputs)
    assert again.ok, again.summary()
    scheduled = ScheduledRun(again, EmissionStats(None, "test"), Path(DATA_DIR))

    broken = exit_check_2(ctx, Criteria(EXPECTED), scheduled)
    assert broken.status is Status.FAILED, broken.reason
    assert f"{gold_db}.daily_revenue: s3://{elsewhere}/daily_revenue/" in str(broken.reason), broken.reason
