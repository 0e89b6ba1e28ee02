"""KPI p95 latency times the demo query its user runs: in ``run_demo_queries.sh``'s session (Gold as the database).

The load (the real locustfile under ``run_load``) and its untimed runs connected with Athena's ``default``; the
verifier (``demo_connection``) with Gold. A demo naming ``users`` without its database read a one-row
``default.users`` under load (fast whatever Gold's users cost) and Gold's users for its user.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.athena import run
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.kpi.latency import LoadSpec, config_for, run_load, untimed_answers
from lakehouse.pipeline.demo import demo_connection
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "us-east-2"
GOLD_USERS = 5


def test_the_load_reads_the_table_the_verifier_reads_for_a_demo_naming_it_alone(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    target, outputs = pipeline_stack(emulator, REGION, "sess1")
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    target.client("glue").create_database(DatabaseInput={"Name": "default"})
    verifier = demo_connection(target, outputs)
    try:
        for db, rows in (("default", 1), (gold, GOLD_USERS)):
            for sql in (
                f"CREATE TABLE {db}.users (user_id bigint) LOCATION 's3://{bucket}/users_{db}/' "
                "TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')",
                f"INSERT INTO {db}.users SELECT * FROM UNNEST(sequence(1, {rows})) AS t(user_id)",
            ):
                record, _ = run(verifier, sql)
                assert record.ok, record.error
        demo = "SELECT user_id FROM users ORDER BY user_id"
        printed, _ = run(verifier, demo)  # what run_demo_queries.sh prints: Gold's users
        assert printed.ok and printed.row_count == GOLD_USERS, printed
    finally:
        verifier.close()
    config = config_for(target, outputs)
    config.queries, config.reference, config.reference_counts = {"who": demo}, {}, {}
    assert config.database == gold
    assert untimed_answers(config)["who"].row_count == GOLD_USERS
    stats = run_load(config, LoadSpec(users=1, seconds=0.3, min_samples=5, max_seconds=30, nice=0), tmp_path)
    assert len(stats.measured) >= 5 and not stats.failures, stats.failures
    assert {s["rows"] for s in stats.measured} == {GOLD_USERS}, "every timed sample read Gold's users"
