"""The pipeline floor: the pipeline's own SQL (``pipeline/sql/*.sql``) run by bare DuckDB on the same CSVs.

No emulator, no HTTP, no Iceberg commits, no landing: one in-memory DuckDB database with a schema
per layer. Each statement is translated as the emulator translates it (``dialect.parse`` and
``to_duckdb``: sqlglot, Athena -> DuckDB, Trino's casts), so both do the same work; only the
statements DuckDB has no form for are rewritten:

- ``CREATE EXTERNAL TABLE`` (OpenCSVSerde) -> a view over ``read_csv`` of the local file: every
  column text, empty stays empty (not NULL), lines of the wrong width skipped (landing
  quarantines them), ``"$path"`` the file, and ``source_line`` (which landing appends) the line
  number when the file has no such column;
- ``CREATE TABLE`` (Iceberg) -> a DuckDB table of the same columns and types (``LOCATION`` and
  ``TBLPROPERTIES`` dropped).

After its statements the pipeline accounts for every input line and every refusal's reason
(``lakehouse.pipeline.accounting``: its own SQL, read back through Athena); the floor runs those same
queries on its tables too, timed apart (``accounting_seconds``), so the pipeline's whole run can be
set against a floor doing the same SQL. The Bronze views are copied into tables first, untimed: the
emulator reads Bronze from its cache, not the CSV again, so the accounting floor stays a floor.

The row counts (and the accounting's problems: none on a healthy run) come back with the time, so a
reader sees both runs did the same work.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from sqlglot import exp

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.accounting import FAMILIES, account_lines
from lakehouse.pipeline.landing import inspect
from lakehouse.pipeline.runner import SQL_DIR
from lakehouse.pipeline.sqlfiles import SqlStatement, load

#: Placeholder values: the layer's own name for databases and buckets (nothing is read from S3).
VALUES = {f"{layer}_{kind}": layer for layer in ("bronze", "silver", "gold") for kind in ("db", "bucket")}
#: A null marker no CSV holds: OpenCSVSerde reads an empty field as an empty string.
_NEVER_NULL = "\x01\x02never-null"


@dataclass
class FloorRun:
    """What the bare run took: seconds per statement and in total, rows per table at the end."""

    seconds: float = 0.0
    statements: list[dict[str, Any]] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    #: The line accounting and refusal reasons the pipeline runs after its statements, on the floor's tables.
    accounting_seconds: float = 0.0
    accounting_problems: list[str] = field(default_factory=list)


def translate(stmt: SqlStatement, data_dir: Path, views: set[str]) -> list[str]:
    """DuckDB statements doing what ``stmt`` does, on local files (see the module's docstring)."""
    parsed = dialect.parse(stmt.sql)
    tree = parsed.tree
    assert tree is not None, f"{stmt.where}: a pipeline statement the floor cannot translate ({parsed.kind})"
    if parsed.kind == "DROP_TABLE":
        target = dialect.target_table(tree)
        name = f'"{target.db}"."{target.name}"'
        return [f"DROP VIEW IF EXISTS {name}" if name in views else f"DROP TABLE IF EXISTS {name}"]
    if parsed.kind == "CREATE_EXTERNAL_TABLE":
        target = dialect.target_table(tree)
        name = f'"{target.db}"."{target.name}"'
        views.add(name)
        return [external_view(name, dialect.column_defs(tree), dialect.properties(tree), data_dir)]
    if parsed.kind == "CREATE_TABLE":
        target = dialect.target_table(tree)
        columns = ", ".join(f'"{c}" {t.sql(dialect.WRITE)}' for c, t in dialect.column_defs(tree))
        exists = "IF NOT EXISTS " if tree.args.get("exists") else ""
        return [f'CREATE TABLE {exists}"{target.db}"."{target.name}" ({columns})']
    if parsed.kind == "CTAS":
        target = dialect.target_table(tree)
        query = tree.expression
        assert isinstance(query, exp.Expression)
        return [f'CREATE TABLE "{target.db}"."{target.name}" AS {dialect.to_duckdb(query)}']
    return [dialect.to_duckdb(tree)]


def external_view(name: str, columns: list[tuple[str, exp.DataType]], props: dict[str, str], data_dir: Path) -> str:
    """A CSV external table as a view over the local file its ``LOCATION`` folder is named after."""
    folder = props["location"].rstrip("/").rsplit("/", 1)[-1]  # s3://bronze/raw/users/ -> users
    path = data_dir / f"{folder}.csv"
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    names = [c for c, _ in columns]
    kept = [f'"{c}"' if c in header else "CAST(row_number() OVER () + 1 AS VARCHAR)" + f' AS "{c}"' for c in names]
    spec = ", ".join(f"'{c}': 'VARCHAR'" for c in header)
    return (
        f"CREATE VIEW {name} AS SELECT {', '.join(kept)}, filename AS \"$path\" FROM read_csv('{path}', "
        f"header = true, columns = {{{spec}}}, nullstr = '{_NEVER_NULL}', ignore_errors = true, filename = true)"
    )


def account(con: duckdb.DuckDBPyConnection, data_dir: Path) -> tuple[float, list[str]]:
    """``account_lines`` on the floor's tables, its Athena SQL translated as the emulator translates it;
    (seconds, problems). The lines in come from landing's ``inspect`` (landing's work, not SQL: untimed)."""
    views = con.execute("SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    for schema, view in views:  # Bronze as tables, as the emulator holds it (untimed, see the module)
        con.execute(f'CREATE TABLE "{schema}"."{view}__rows" AS SELECT * FROM "{schema}"."{view}"')
        con.execute(f'DROP VIEW "{schema}"."{view}"')
        con.execute(f'ALTER TABLE "{schema}"."{view}__rows" RENAME TO "{view}"')
    landed, landing = [], {}
    for file in FAMILIES:
        found = inspect(file, (data_dir / file).read_bytes())
        landed.append((file, found.lines))
        landing[file] = [m.line for m in found.malformed]

    def query(sql: str) -> list[tuple[Any, ...]]:
        tree = dialect.parse(sql).tree
        assert tree is not None, f"an accounting query the floor cannot translate: {sql[:80]}"
        return con.execute(dialect.to_duckdb(tree)).fetchall()

    started = time.monotonic()

    def name(table: str) -> str:
        return '"{}"."{}"'.format(*table.split(".", 1))

    # A fresh database: Silver held nothing before the run.
    accounts = account_lines(query, name, landed, landing, lambda table: f"SELECT * FROM {name(table)} WHERE false")
    return time.monotonic() - started, [p for a in accounts for p in a.problems]


def run(data_dir: Path, sql_dir: Path = SQL_DIR) -> FloorRun:
    """Every statement of the pipeline, in order, in one fresh DuckDB database, then its accounting; timed."""
    statements = load(sql_dir, VALUES)
    out = FloorRun()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # the accounting's longer queries would draw one
    try:
        for layer in ("bronze", "silver", "gold"):
            con.execute(f'CREATE SCHEMA "{layer}"')
        views: set[str] = set()
        started = time.monotonic()
        for stmt in statements:
            began = time.monotonic()
            for sql in translate(stmt, data_dir, views):
                con.execute(sql)
            out.statements.append({"job": stmt.job, "seconds": round(time.monotonic() - began, 4)})
        out.seconds = time.monotonic() - started
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = current_database()"
        ).fetchall()
        for schema, table in sorted(tables):
            row = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
            out.row_counts[f"{schema}.{table}"] = int(row[0]) if row else -1
        out.accounting_seconds, out.accounting_problems = account(con, data_dir)
    finally:
        con.close()
    return out
