"""A Gold whose Iceberg files lie in another bucket: exit check 2 must fail, naming table and folder.

The real pipeline runs on a bare stack of the shared emulator; then Gold ``daily_revenue`` is rewritten with
pyiceberg (the same rows) while its ``write.data.path`` points at a bucket the stack does not own. Glue, the
metadata file and Athena's answer are unchanged in kind: the demo's row comes back, every contract holds and the
table has a current snapshot, which is all exit check 2 asked before ``lakehouse/checks/gold_files.py``.
"""

from __future__ import annotations

import itertools
from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import check_contracts, check_expected_row
from lakehouse.checks.gold_files import check_gold_files
from lakehouse.contracts import load_contracts
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import catalog, snapshot
from lakehouse.outcome import Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import TABLES, run_pipeline
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-west-3"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
_names = itertools.count(1)


def _gold(target: Target, outputs: dict[str, Any]) -> Any:
    tables = [f"{outputs['glue_database_names']['gold']}.{t}" for t in TABLES["gold"]]
    return check_gold_files(target.client("glue"), target.client("s3"), tables, outputs["bucket_names"]["gold"])


def test_gold_written_in_the_stack_s_bucket_passes_and_one_rewritten_elsewhere_fails(emulator: EmulatorHandle) -> None:
    target, outputs = pipeline_stack(emulator, REGION, f"goldfiles{next(_names)}")
    result = run_pipeline(target, outputs)
    assert result.ok, result.summary()
    healthy = _gold(target, outputs)
    assert healthy.passed, healthy.reason  # healthy twin: every file under s3://<gold bucket>/

    elsewhere = f"elsewhere{next(_names)}-{REGION}"
    target.client("s3").create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": REGION})
    gold_db = outputs["glue_database_names"]["gold"]
    table = catalog(target).load_table(f"{gold_db}.daily_revenue")
    rows = table.scan().to_arrow()
    with table.transaction() as tx:
        tx.set_properties({"write.data.path": f"s3://{elsewhere}/daily_revenue"})
    table = catalog(target).load_table(f"{gold_db}.daily_revenue")
    table.overwrite(rows)

    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, answer = run(conn, demo_queries(outputs)["daily_revenue"])
        assert check_expected_row(record, answer, EXPECTED).passed, "the demo's row comes back from the files elsewhere"
        contracts = check_contracts(conn, outputs, load_contracts())
        assert contracts.passed, contracts.reason
    finally:
        conn.close()
    assert snapshot(target, gold_db, "daily_revenue").get("snapshot_id"), "a current snapshot, as the step asked"

    broken = _gold(target, outputs)
    assert broken.status is Status.FAILED, broken.reason
    assert f"{gold_db}.daily_revenue: s3://{elsewhere}/daily_revenue/" in str(broken.reason), broken.reason
