"""Exit check 6 follows a hidden column through the tables past queries copied it into (``history_copies``).

The column-level rule: a table is a copy when one of its columns is computed from a hidden column (or a
whole row of a table holding one), through copies of copies; a CTAS of ``user_id, country`` from the
same table, or one only filtering on ``ssn``, is not.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.history_copies import (
    Statement,
    _target_and_sql,
    catalog_schema,
    history_copies,
    read_statements,
)
from lakehouse.checks.query_results import read_history
from lakehouse.checks.security import _naming_copy
from lakehouse.checks.security_model import CatalogTable
from lakehouse.checks.security_read import copy_tables, hidden_reads

REGION = "us-east-1"
CATALOG = [
    CatalogTable("gold", "users", ["user_id", "email", "ssn", "country"], location="s3://lake-gold/users/"),
    CatalogTable("scratch", "users_export", ["user_id", "tax_id"], location="s3://team-share/users_export/"),
    CatalogTable("scratch", "users_geo", ["user_id", "country"], location="s3://team-share/users_geo/"),
    CatalogTable("scratch", "v", ["blob"], view=True),
]
SCHEMA = catalog_schema({(t.database, t.name): t.columns for t in CATALOG})
ROOTS = [("gold", "users", "ssn")]


def _copies(*sqls: str, database: str = "default") -> dict[str, dict[str, list[str]]]:
    statements = [Statement(f"q{i}", "team", sql, database) for i, sql in enumerate(sqls)]
    found, _ = history_copies(statements, SCHEMA, ROOTS, REGION)
    return {c.qualified: c.columns for c in found}


@pytest.mark.parametrize(
    ("sql", "database", "copy"),
    [
        (
            "CREATE TABLE scratch.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users",
            "default",
            {"scratch.users_export": {"tax_id": ["gold.users.ssn"]}},
        ),
        (  # the database context qualifies the source
            "CREATE TABLE scratch.users_export WITH (table_type = 'ICEBERG', location = 's3://x/') AS "
            "SELECT user_id, ssn AS tax_id FROM users",
            "gold",
            {"scratch.users_export": {"tax_id": ["gold.users.ssn"]}},
        ),
        (
            "CREATE TABLE scratch.users_export AS SELECT * FROM gold.users",
            "default",
            {"scratch.users_export": {"ssn": ["gold.users.ssn"]}},
        ),
        (
            "CREATE VIEW scratch.v AS SELECT CAST(ROW(u.*) AS JSON) AS blob FROM gold.users u",
            "default",
            {"scratch.v": {"blob": ["gold.users.ssn"]}},
        ),
        (  # by position into the catalog's columns
            "INSERT INTO scratch.users_geo SELECT user_id, concat('x', ssn) FROM gold.users",
            "default",
            {"scratch.users_geo": {"country": ["gold.users.ssn"]}},
        ),
        (
            "CREATE TABLE scratch.users_export AS WITH u AS (SELECT * FROM gold.users) SELECT ssn AS tax_id FROM u",
            "default",
            {"scratch.users_export": {"tax_id": ["gold.users.ssn"]}},
        ),
    ],
)
def test_a_statement_copying_a_hidden_column_makes_its_target_a_copy(
    sql: str, database: str, copy: dict[str, Any]
) -> None:
    assert _copies(sql, database=database) == copy


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE scratch.users_geo AS SELECT user_id, country FROM gold.users",
        "CREATE TABLE scratch.users_geo AS SELECT user_id, country FROM gold.users WHERE ssn IS NOT NULL",
        "INSERT INTO scratch.users_geo SELECT user_id, country FROM gold.users",
        "SELECT ssn FROM gold.users",
        "CREATE TABLE scratch.users_export AS SELECT user_id, tax_id FROM scratch.users_export",
        # the pipeline's own CTAS of a table holding ssn by name: already a hidden table, not a copy to name
        "INSERT INTO gold.users SELECT user_id, email, ssn, country FROM gold.users",
    ],
)
def test_statements_copying_no_hidden_column_make_no_copy(sql: str) -> None:
    assert _copies(sql) == {}


#: Athena's upsert into an Iceberg table (MERGE INTO) and UPDATE copy a column as surely as a CTAS: before, the
#: history reader took only CREATE/INSERT, so these copies (and the buckets holding them) went unjudged.
MERGED = "MERGE INTO scratch.users_geo t USING (SELECT user_id, ssn FROM gold.users) s ON t.user_id = s.user_id "


@pytest.mark.parametrize(
    ("sql", "database", "copy"),
    [
        (
            MERGED + "WHEN NOT MATCHED THEN INSERT (user_id, country) VALUES (s.user_id, s.ssn)",
            "default",
            {"scratch.users_geo": {"country": ["gold.users.ssn"]}},
        ),
        (
            MERGED + "WHEN MATCHED THEN UPDATE SET country = s.ssn",
            "default",
            {"scratch.users_geo": {"country": ["gold.users.ssn"]}},
        ),
        (  # the USING a table, in the database context; INSERT without a column list fills the target's in order
            "MERGE INTO scratch.users_geo t USING users u ON t.user_id = u.user_id "
            "WHEN MATCHED THEN UPDATE SET user_id = u.user_id WHEN NOT MATCHED THEN INSERT VALUES (u.user_id, u.ssn)",
            "gold",
            {"scratch.users_geo": {"country": ["gold.users.ssn"]}},
        ),
        (
            "-- backfill\nUPDATE scratch.users_geo SET country = (SELECT max(ssn) FROM gold.users u "
            "WHERE u.user_id = users_geo.user_id)",
            "default",
            {"scratch.users_geo": {"country": ["gold.users.ssn"]}},
        ),
    ],
)
def test_a_merge_or_update_copying_a_hidden_column_makes_its_target_a_copy(
    sql: str, database: str, copy: dict[str, Any]
) -> None:
    assert _copies(sql, database=database) == copy


@pytest.mark.parametrize(
    "sql",
    [
        MERGED + "WHEN NOT MATCHED THEN INSERT (user_id, country) VALUES (s.user_id, 'x')",
        MERGED + "WHEN MATCHED AND s.ssn IS NOT NULL THEN UPDATE SET country = 'known'",
        "UPDATE scratch.users_geo SET country = 'x' WHERE user_id IN (SELECT user_id FROM gold.users WHERE ssn > '')",
        # the pipeline's own upsert of a table holding ssn by name: already a hidden table, not a copy to name
        "MERGE INTO gold.users t USING (SELECT * FROM gold.users) s ON t.user_id = s.user_id "
        "WHEN MATCHED THEN UPDATE SET ssn = s.ssn",
    ],
)
def test_a_merge_or_update_copying_no_hidden_column_makes_no_copy(sql: str) -> None:
    assert _copies(sql) == {}


def test_a_copy_merged_from_a_copy_is_a_copy() -> None:
    first = "CREATE TABLE scratch.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users"
    second = (
        "MERGE INTO scratch.users_geo t USING scratch.users_export e ON t.user_id = e.user_id "
        "WHEN MATCHED THEN UPDATE SET country = e.tax_id"
    )
    assert _copies(second, first)["scratch.users_geo"] == {"country": ["gold.users.ssn"]}


def test_a_copy_of_a_copy_is_a_copy_whatever_order_the_history_lists_them() -> None:
    second = "CREATE TABLE scratch.users_geo AS SELECT user_id, tax_id AS country FROM scratch.users_export"
    first = "CREATE TABLE scratch.users_export AS SELECT user_id, ssn AS tax_id FROM gold.users"
    assert _copies(second, first)["scratch.users_geo"] == {"country": ["gold.users.ssn"]}


def test_an_unparseable_writer_naming_a_hidden_table_is_noted() -> None:
    statements = [Statement("q1", "team", "CREATE TABLE scratch.x AS SELEC ssn FROM gold.users", "default")]
    found, notes = history_copies(statements, SCHEMA, ROOTS, REGION)
    assert found == []
    assert notes == [
        "query q1 of workgroup team writes a table but could not be parsed: a copy it made is not followed"
    ]


def test_the_copies_tables_are_the_catalogs_or_the_location_their_statement_named() -> None:
    statements = [
        Statement("q1", "team", "CREATE TABLE scratch.users_export AS SELECT ssn AS tax_id FROM gold.users", "default"),
        Statement("q2", "team", "CREATE VIEW scratch.v AS SELECT ssn AS blob FROM gold.users", "default"),
        Statement(
            "q3",
            "team",
            "CREATE TABLE scratch.dropped WITH (location = 's3://team-share/dropped/') AS SELECT ssn FROM gold.users",
            "default",
        ),
    ]
    found, _ = history_copies(statements, SCHEMA, ROOTS, REGION)
    tables = copy_tables(CATALOG, found)
    assert [(t.qualified, t.location) for t in tables] == [
        ("scratch.dropped", "s3://team-share/dropped/"),  # dropped from the catalog: its files stay
        ("scratch.users_export", "s3://team-share/users_export/"),
    ]  # the view holds no files
    reads = hidden_reads(CATALOG, ["ssn"], found)
    assert reads({"Query": "SELECT * FROM scratch.users_export", "QueryExecutionContext": {"Database": "default"}})
    assert reads({"Query": "SELECT * FROM v", "QueryExecutionContext": {"Database": "scratch"}})
    assert not reads({"Query": "SELECT * FROM scratch.users_geo"})  # the healthy twin beside the copy
    assert not hidden_reads(CATALOG, ["ssn"])({"Query": "SELECT * FROM scratch.users_export"})  # main's rule


def test_a_problem_naming_a_copys_bucket_names_the_query_that_made_it() -> None:
    found, _ = history_copies(
        [Statement("q1", "team", "CREATE TABLE scratch.users_export AS SELECT ssn AS t FROM gold.users", "default")],
        SCHEMA,
        ROOTS,
        REGION,
    )
    found[0].storage = ["s3://team-share/users_export/"]
    named = _naming_copy("the bucket policy of lake bucket team-share lets the analyst role read it", found)
    assert named.endswith(
        "; bucket team-share holds scratch.users_export (t from gold.users.ssn), written by query q1 of workgroup "
        "team, a copy of a hidden column"
    )
    other = "the bucket policy of lake bucket team-share-2 lets the analyst role read it"
    assert _naming_copy(other, found) == other


class FakeAthena:
    """ListQueryExecutions (newest first) and BatchGetQueryExecution over a fixed history."""

    def __init__(self, executions: list[dict[str, Any]]) -> None:
        self.executions = executions

    def list_query_executions(self, **_: Any) -> dict[str, Any]:
        return {"QueryExecutionIds": [e["QueryExecutionId"] for e in reversed(self.executions)]}

    def batch_get_query_execution(self, QueryExecutionIds: list[str]) -> dict[str, Any]:  # noqa: N803
        by_id = {e["QueryExecutionId"]: e for e in self.executions}
        return {"QueryExecutions": [by_id[i] for i in QueryExecutionIds]}


def test_only_succeeded_writers_are_read_oldest_first_with_their_context() -> None:
    def execution(query_id: str, sql: str, state: str = "SUCCEEDED") -> dict[str, Any]:
        return {
            "QueryExecutionId": query_id,
            "Query": sql,
            "Status": {"State": state},
            "QueryExecutionContext": {"Database": "gold"},
        }

    athena = FakeAthena(
        [
            execution("a", "-- export\nCREATE TABLE x AS SELECT 1"),
            execution("b", "SELECT * FROM users"),
            execution("c", "INSERT INTO x SELECT 2", "FAILED"),
            execution("d", "insert into x select 3"),
            execution("e", "MERGE INTO x USING y ON x.id = y.id WHEN MATCHED THEN UPDATE SET v = y.v"),
            execution("f", "/* fix */ update x SET v = (SELECT v FROM y)"),
        ]
    )
    found = read_statements([read_history(athena, "team")])
    assert [(s.query_id, s.database) for s in found.statements] == [
        ("a", "gold"),
        ("d", "gold"),
        ("e", "gold"),
        ("f", "gold"),
    ]
    assert found.errors == []


def test_a_dropped_ctas_copy_naming_no_location_is_found_where_athena_put_its_files() -> None:
    """A privileged ``CREATE TABLE scratch.tmp AS SELECT ssn ...`` in the analyst's workgroup with no location puts
    its files under that workgroup's results (``<results>/tables/<query id>/``, which the analyst's policy reads);
    ``DROP TABLE`` of a Hive table leaves them there. Main followed a dropped copy only to a location its
    statement named, so those files were no lake objects and S3 reads of them went unjudged."""
    sql = "CREATE TABLE scratch.tmp WITH (format = 'PARQUET') AS SELECT user_id, ssn FROM gold.users"
    view = "CREATE VIEW scratch.v2 AS SELECT ssn FROM gold.users"
    athena = FakeAthena(
        [
            {
                "QueryExecutionId": query_id,
                "Query": text,
                "Status": {"State": "SUCCEEDED"},
                "QueryExecutionContext": {"Database": "default"},
                "ResultConfiguration": {"OutputLocation": f"s3://lh-results/analyst/{query_id}.txt"},
            }
            for query_id, text in (("q9", sql), ("q10", view))
        ]
    )
    found, _ = history_copies(read_statements([read_history(athena, "analyst")]).statements, SCHEMA, ROOTS, REGION)
    assert {c.qualified: c.location for c in found} == {
        "scratch.tmp": "s3://lh-results/analyst/tables/q9/",
        "scratch.v2": None,  # a view writes no files
    }
    tables = copy_tables(CATALOG, found)
    assert [(t.qualified, t.location) for t in tables] == [("scratch.tmp", "s3://lh-results/analyst/tables/q9/")]
    # The healthy twin: a CTAS naming its location keeps it; one without a known result file gets none.
    named = "CREATE TABLE scratch.tmp WITH (external_location = 's3://team-share/tmp/') AS SELECT ssn FROM gold.users"
    kept, _ = history_copies([Statement("q1", "t", named, "default", "s3://r/q1.txt")], SCHEMA, ROOTS, REGION)
    assert [c.location for c in kept] == ["s3://team-share/tmp/"]
    unknown, _ = history_copies([Statement("q2", "t", sql, "default")], SCHEMA, ROOTS, REGION)
    assert [c.location for c in unknown] == [None]


def test_a_remembered_parse_keeps_each_statements_own_ctas_location_and_database() -> None:
    """The parse of a statement's text is remembered (a query history repeats the pipeline's statements every run,
    and KPI-mttr's recoveries read it again each fault); what is the execution's own is not: the same CTAS text
    run twice has two default locations (each ``tables/<its query id>/``), and in another database context it
    reads another table."""
    sql = "CREATE TABLE scratch.tmp AS SELECT ssn FROM users"
    first = Statement("q1", "analyst", sql, "gold", "s3://lh-results/analyst/q1.csv")
    again = Statement("q2", "analyst", sql, "gold", "s3://lh-results/analyst/2026/12/07/q2.csv")
    elsewhere = Statement("q3", "analyst", sql, "scratch", "s3://lh-results/analyst/q3.csv")
    assert _target_and_sql(first) is not None and _target_and_sql(first)[2] == "s3://lh-results/analyst/tables/q1/"
    found = _target_and_sql(again)
    assert found is not None and found[2] == "s3://lh-results/analyst/2026/12/07/tables/q2/"
    found[3].add(("x", "y"))  # a caller's change to the named tables reaches no later answer
    assert _target_and_sql(again) == (
        ("scratch", "tmp"),
        found[1],
        "s3://lh-results/analyst/2026/12/07/tables/q2/",
        {("scratch", "tmp"), ("gold", "users")},
    )
    other = _target_and_sql(elsewhere)
    assert other is not None and other[3] == {("scratch", "tmp"), ("scratch", "users")}
    assert _copies(sql, database="gold") == {"scratch.tmp": {"ssn": ["gold.users.ssn"]}}
    assert _copies(sql, database="scratch") == {}  # scratch.users holds no hidden column


def test_a_ctas_naming_its_location_keeps_it_however_often_its_text_was_parsed() -> None:
    sql = "CREATE TABLE scratch.tmp WITH (location = 's3://team-share/tmp/') AS SELECT ssn FROM gold.users"
    for query_id in ("q1", "q2"):
        found = _target_and_sql(Statement(query_id, "analyst", sql, "default", f"s3://r/{query_id}.csv"))
        assert found is not None and found[2] == "s3://team-share/tmp/"
