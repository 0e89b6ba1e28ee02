"""Athena's SQL surface, decided before DuckDB sees a statement (no server needed).

Athena reads catalog tables, UNNEST, VALUES and subqueries; DuckDB's table functions and its
engine functions are not Athena's, and DuckDB itself cannot read a file even when asked.
"""

from __future__ import annotations

import duckdb
import pytest

from lakehouse.emulator.sql import dialect
from lakehouse.emulator.sql.engine import SANDBOX
from lakehouse.emulator.sql.errors import AthenaError

ALLOWED = [
    "SELECT * FROM users",
    "SELECT * FROM awsdatacatalog.gold.users AS u",
    "SELECT x FROM UNNEST(ARRAY[1, 2]) AS t(x)",
    "SELECT a FROM (VALUES (1, 2)) AS t(a, b)",
    "SELECT u.x FROM users CROSS JOIN LATERAL (SELECT 1 AS x) AS u",
    "WITH c AS (SELECT 1 AS x) SELECT repeat(x, 2), upper('a'), date_trunc('day', now()) FROM c",
    "SELECT * FROM users FOR VERSION AS OF 1",
]

REFUSED = [
    ("SELECT * FROM read_csv('/etc/passwd')", "SYNTAX_ERROR", "line 1:23: mismatched input '('"),
    ("SELECT *\nFROM read_text('/proc/self/environ')", "SYNTAX_ERROR", "line 2:15: mismatched input '('"),
    ("SELECT * FROM glob_x('*')", "SYNTAX_ERROR", "line 1:21: mismatched input '('"),
    ("SELECT * FROM TABLE(read_parquet('x'))", "FUNCTION_NOT_FOUND", "Table function 'read_parquet' not registered"),
    ("SELECT getenv('HOME')", "FUNCTION_NOT_FOUND", "line 1:8: Function 'getenv' not registered"),
    ("SELECT 1 FROM users WHERE current_setting('x') = 'y'", "FUNCTION_NOT_FOUND", "Function 'current_setting'"),
    ("SELECT count(*) FROM (SELECT * FROM duckdb_tables())", "SYNTAX_ERROR", "mismatched input '('"),
    ("SELECT json_serialize_sql('SELECT 1')", "FUNCTION_NOT_FOUND", "Function 'json_serialize_sql' not registered"),
]


@pytest.mark.parametrize("sql", ALLOWED)
def test_athena_relations_parse(sql: str) -> None:
    dialect.parse(sql)


@pytest.mark.parametrize(("sql", "name", "message"), REFUSED)
def test_duckdb_only_sql_fails_like_athena(sql: str, name: str, message: str) -> None:
    with pytest.raises(AthenaError) as failed:
        dialect.parse(sql)
    assert failed.value.name == name
    assert message in str(failed.value)


def test_the_engine_duckdb_reads_no_file_and_cannot_be_unlocked() -> None:
    with duckdb.connect(config=SANDBOX) as con:
        with pytest.raises(duckdb.PermissionException):
            con.sql("SELECT * FROM read_text('/proc/self/environ')").fetchall()
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("SET enable_external_access = true")
