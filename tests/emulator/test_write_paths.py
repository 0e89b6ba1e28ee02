"""Where the pipeline's tables write next: exit check 2 fails a table whose write paths leave its layer's bucket.

The real pipeline runs on a bare stack of the shared emulator; exit check 2's Gold part passes (the healthy twin:
no write path set, every location in the layer's bucket). Then, after the run, as a stack's owner could:
Athena's ``ALTER TABLE SET TBLPROPERTIES`` points Gold ``daily_revenue``'s ``write.data.path`` at a bucket the
stack does not own and Silver ``users``' ``write.object-storage.path`` at the Gold bucket (the stack's, not the
layer's), and an Iceberg client sets Silver ``orders``' ``write.metadata.path`` elsewhere (that commit's metadata
file goes there; exit check 2 read only Gold's files). Every Gold file stays where it was, which is all exit check
2 judged before ``lakehouse/checks/write_paths.py``: the part must fail, naming each table, the property and the
location.
"""

from __future__ import annotations

import itertools

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop_parts import DataLoopRun, gold_iceberg
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import catalog
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import run_pipeline
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "me-south-1"
_names = itertools.count(1)


def test_a_pipeline_table_whose_next_files_go_outside_its_layer_s_bucket_fails_exit_2(
    emulator: EmulatorHandle,
) -> None:
    name = f"writepaths{next(_names)}"
    target, outputs = pipeline_stack(emulator, REGION, name)
    result = run_pipeline(target, outputs)
    assert result.ok, result.summary()
    loop = DataLoopRun(target, outputs, None)
    healthy = gold_iceberg(loop)
    assert healthy.passed, healthy.reason  # healthy twin: nothing set, every location in its layer's bucket

    elsewhere = f"elsewhere-{name}"
    target.client("s3").create_bucket(Bucket=elsewhere, CreateBucketConfiguration={"LocationConstraint": REGION})
    gold_db, silver_db = outputs["glue_database_names"]["gold"], outputs["glue_database_names"]["silver"]
    gold_bucket = outputs["bucket_names"]["gold"]
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        for sql in (
            f"ALTER TABLE {gold_db}.daily_revenue SET TBLPROPERTIES ('write.data.path'='s3://{elsewhere}/revenue')",
            f"ALTER TABLE {silver_db}.users SET TBLPROPERTIES ('write.object-storage.path'='s3://{gold_bucket}/u')",
        ):
            record, _ = run(conn, sql)
            assert record.ok, record.error
    finally:
        conn.close()
    orders = catalog(target).load_table(f"{silver_db}.orders")
    with orders.transaction() as tx:  # this commit's metadata file is written there already
        tx.set_properties({"write.metadata.path": f"s3://{elsewhere}/orders-metadata"})

    broken = gold_iceberg(loop)
    assert broken.status is Status.FAILED, broken.reason
    reason = str(broken.reason)
    assert f"{gold_db}.daily_revenue write.data.path s3://{elsewhere}/revenue (not in the Gold bucket" in reason
    assert f"{silver_db}.users write.object-storage.path s3://{gold_bucket}/u (not in the Silver bucket" in reason
    assert (
        f"{silver_db}.orders write.metadata.path s3://{elsewhere}/orders-metadata (not in the Silver bucket" in reason
    )
    assert f"{silver_db}.orders Glue metadata_location s3://{elsewhere}/orders-metadata/" in reason, reason
    assert broken.measured == sorted([f"{gold_db}.daily_revenue", f"{silver_db}.orders", f"{silver_db}.users"])
