"""Inputs and outputs of SQL statements, derived with sqlglot: the project's pipeline and edge cases."""

from __future__ import annotations

import pytest

from lakehouse.lineage.jobs import LANDING_JOB, expected_jobs
from lakehouse.lineage.naming import athena_table, s3_location
from lakehouse.lineage.sqlio import Column, SqlLineageError, statement_io
from lakehouse.pipeline.runner import DATA_DIR
from tests.lineage.conftest import REGION, statements


def t(db: str, table: str):  # type: ignore[no-untyped-def]
    return athena_table(REGION, db, table)


def test_the_pipelines_jobs_read_and_write_what_their_sql_says() -> None:
    jobs = expected_jobs(statements(), REGION, "lh-t-bronze", DATA_DIR)
    assert list(jobs)[0] == LANDING_JOB
    landing = jobs[LANDING_JOB]
    assert [d.namespace for d in landing.inputs] == ["file", "file"]
    assert landing.outputs == [s3_location("s3://lh-t-bronze/raw/users/"), s3_location("s3://lh-t-bronze/raw/orders/")]
    assert landing.schemas[landing.outputs[0]][0] == Column("user_id", "string")
    bronze = jobs["10_bronze.2"]  # CREATE EXTERNAL TABLE ... LOCATION: reads the folder
    assert bronze.inputs == [s3_location("s3://lh-t-bronze/raw/orders")]
    assert bronze.outputs == [t("lh_t_bronze", "orders_csv")]
    assert [c.name for c in bronze.schemas[t("lh_t_bronze", "orders_csv")]] == [
        "order_id",
        "user_id",
        "order_ts",
        "amount",
        "status",
    ]
    staged = jobs["21_silver_orders.5"]  # INSERT ... FROM bronze LEFT JOIN silver users
    assert set(staged.inputs) == {t("lh_t_bronze", "orders_csv"), t("lh_t_silver", "users")}
    assert staged.outputs == [t("lh_t_silver", "orders_staged")]
    gold = jobs["30_gold.6"]  # MERGE INTO daily_revenue USING (... FROM orders_enriched)
    assert (gold.kind, gold.inputs, gold.outputs) == (
        "MERGE",
        [t("lh_t_gold", "orders_enriched")],
        [t("lh_t_gold", "daily_revenue")],
    )
    assert jobs["20_silver_users.4"].inputs == [] and jobs["20_silver_users.4"].kind == "DELETE"
    iceberg = jobs["30_gold.3"]  # CREATE TABLE (Iceberg) LOCATION: storage, not an input
    assert iceberg.inputs == [] and len(iceberg.schemas[t("lh_t_gold", "daily_revenue")]) == 4


def test_ctes_and_the_target_are_not_inputs_and_unqualified_tables_use_the_default_database() -> None:
    io = statement_io("WITH a AS (SELECT * FROM x.t) INSERT INTO y.u SELECT * FROM a JOIN z ON true", REGION)
    assert io.outputs == [t("y", "u")]
    assert set(io.inputs) == {t("x", "t"), t("default", "z")}


def test_ctas_reads_its_query_and_a_select_writes_nothing() -> None:
    io = statement_io("CREATE TABLE g.t AS SELECT a FROM s.one JOIN s.two USING (a)", REGION)
    assert io.outputs == [t("g", "t")] and set(io.inputs) == {t("s", "one"), t("s", "two")}
    select = statement_io("SELECT count(*) FROM s.one", REGION)
    assert select.outputs == [] and select.inputs == [t("s", "one")]


def test_unparseable_sql_is_an_error_not_a_guess() -> None:
    with pytest.raises(SqlLineageError, match="cannot parse"):
        statement_io("MERGE INTO (", REGION)
