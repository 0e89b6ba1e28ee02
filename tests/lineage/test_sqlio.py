"""Inputs and outputs of SQL statements, derived with sqlglot: the project's pipeline and edge cases."""

from __future__ import annotations

import dataclasses

import pytest

from lakehouse.lineage.jobnames import job_names
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
    bronze = jobs["lh_t_bronze.orders_csv.create"]  # CREATE EXTERNAL TABLE ... LOCATION: reads the folder
    assert bronze.inputs == [s3_location("s3://lh-t-bronze/raw/orders")]
    assert bronze.outputs == [t("lh_t_bronze", "orders_csv")]
    assert [c.name for c in bronze.schemas[t("lh_t_bronze", "orders_csv")]] == [
        "order_id",
        "user_id",
        "order_ts",
        "amount",
        "status",
        "source_line",
    ]
    staged = jobs["lh_t_silver.orders_staged.insert"]  # INSERT ... FROM bronze LEFT JOIN silver users
    # ... and the Silver orders already there (a key's newest row wins)
    assert set(staged.inputs) == {t("lh_t_bronze", "orders_csv"), t("lh_t_silver", "users"), t("lh_t_silver", "orders")}
    assert staged.outputs == [t("lh_t_silver", "orders_staged")]
    gold = jobs["lh_t_gold.daily_revenue.merge"]  # MERGE INTO daily_revenue USING (... FROM orders_enriched)
    assert (gold.kind, gold.inputs, gold.outputs) == (
        "MERGE",
        [t("lh_t_gold", "orders_enriched")],
        [t("lh_t_gold", "daily_revenue")],
    )
    cleared = jobs["lh_t_gold.daily_revenue.delete"]
    assert (cleared.kind, cleared.outputs) == ("DELETE", [t("lh_t_gold", "daily_revenue")])
    dropped = jobs["lh_t_silver.users_staged.drop"]  # DROP writes (removes) its table, reads nothing
    assert (dropped.inputs, dropped.outputs, dropped.dropped) == ([], [t("lh_t_silver", "users_staged")], True)
    iceberg = jobs["lh_t_gold.daily_revenue.create"]  # CREATE TABLE (Iceberg) LOCATION: storage, not an input
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


def test_job_names_follow_table_and_operation_and_survive_inserted_statements() -> None:
    """Marquez keeps history per job name: inserting a statement must not rename the others."""
    stmts = statements()
    names = job_names(stmts, REGION)
    assert len(set(names)) == len(names) and "lh_t_gold.daily_revenue.merge" in names
    extra = dataclasses.replace(stmts[0], sql="INSERT INTO lh_t_gold.audit SELECT 1", index=1)
    moved = [dataclasses.replace(s, index=s.index + 1) if s.path == stmts[0].path else s for s in stmts]
    again = job_names([extra, *moved], REGION)
    assert again == ["lh_t_gold.audit.insert", *names]  # every other job keeps its name
    assert [s.job for s in moved][:2] != [s.job for s in stmts][:2]  # while place names shift


def test_a_repeated_table_and_operation_is_numbered_and_an_unparseable_statement_keeps_its_place() -> None:
    base = statements()[0]
    twice = [dataclasses.replace(base, sql="INSERT INTO g.t SELECT 1", index=i) for i in (1, 2)]
    broken = dataclasses.replace(base, sql="MERGE INTO (", index=3)
    assert job_names([*twice, broken], REGION) == ["g.t.insert", "g.t.insert.2", f"{base.path.stem}.3"]


def test_a_remembered_statement_is_answered_afresh_for_each_caller_and_per_default_database() -> None:
    """Remembered per (statement, region, default database): every pipeline run and exit checks 2 and 4 ask the same
    statements again. A caller that extends its answer changes no later one; another default database is another
    answer; a statement that does not parse raises every time (nothing remembered in its place)."""
    sql = "CREATE TABLE g.t (a string, b int) WITH (table_type='ICEBERG') AS SELECT a, b FROM users"
    first = statement_io(sql, REGION, "s")
    first.inputs.append(t("x", "y"))
    first.schemas[t("g", "t")].append(Column("c", "int"))
    again = statement_io(sql, REGION, "s")
    assert again.inputs == [t("s", "users")]
    assert again.schemas == {t("g", "t"): [Column("a", "varchar"), Column("b", "integer")]}
    assert statement_io(sql, REGION, "other").inputs == [t("other", "users")]
    for _ in range(2):
        with pytest.raises(SqlLineageError):
            statement_io("SELEC nonsense FROM", REGION)
