"""Property: whatever SQL the analyst writes, no ssn value ever reaches it.

Generated analyst statements (projections, ``*``, ``t.*``, quoted and differently cased names,
subqueries, CTEs, self joins, UNNEST, window functions, time travel, CTAS and INSERT into the
analyst's own database, and UPDATE/DELETE/MERGE by a writer with INSERT and DELETE on the table)
run against every table that holds ssn: the Iceberg ``users`` (a column grant excluding ssn) and
the CSV ``raw_users`` (a data cells filter excluding ssn and keeping only JP rows). Checked:

- no result cell contains a known ssn value (nor does any non-ssn cell of ``users`` after DML);
- a statement naming the ssn column of a table fails with Athena's COLUMN_NOT_FOUND message,
  and one that does not succeeds (so the emulator is not merely refusing everything);
- what the analyst reads of ``raw_users`` holds no row the row filter leaves out.

``make test`` runs a bounded number of examples; ``HYPOTHESIS_PROFILE=fuzz`` (``make fuzz``) many more.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.iceberg import local_catalog
from lakehouse.target import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from tests.emulator.lf_stack import SSNS, USERS, Lake, build_lake

REGION = "eu-south-1"
DB = "lf_prop"
SANDBOX = "sandbox"
HIDDEN_ROW_EMAILS = frozenset(email for _, email, _, country in USERS if country != "JP")
COLUMN_NOT_FOUND = re.compile(
    r"^COLUMN_NOT_FOUND: line \d+:\d+: Column '(?:\w+\.)?ssn' cannot be resolved or requester is not authorized"
)

settings.register_profile(
    "bounded",
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("fuzz", parent=settings.get_profile("bounded"), max_examples=2000)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))

COLUMNS = ("user_id", "email", "ssn", "country")
STRINGS = ("email", "ssn", "country")


@dataclass
class Statement:
    """One generated statement and what the generator knows of it."""

    sql: str
    names_ssn: bool
    tables: set[str] = field(default_factory=set)
    role: str = "analyst"
    then_read: str | None = None  # a SELECT to run after it (what a CTAS or INSERT wrote)


@dataclass(frozen=True)
class Lakes:
    lake: Lake
    versions: tuple[int, ...]


@pytest.fixture(scope="module")
def lakes(emulator: EmulatorHandle) -> Lakes:
    lake = build_lake(emulator, REGION, DB)
    with lake.cursor() as admin:
        admin.execute("INSERT INTO users VALUES (4, 'd@example.com', NULL, 'US')")  # a second snapshot
    rows = "".join(f"{i},{e},{s},{c}\n" for i, e, s, c in USERS)
    lake.client("s3").put_object(Bucket=lake.bucket, Key="raw/users.csv", Body=rows.encode())
    with lake.cursor() as admin:
        admin.execute(
            "CREATE EXTERNAL TABLE raw_users (user_id bigint, email string, ssn string, country string) "
            f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/raw/'"
        )
    lf = lake.client("lakeformation")
    account = lake.client("sts").get_caller_identity()["Account"]
    where = {"TableCatalogId": account, "DatabaseName": DB, "TableName": "raw_users", "Name": "jp_no_ssn"}
    lf.create_data_cells_filter(
        TableData={
            **where,
            "RowFilter": {"FilterExpression": "country = 'JP'"},
            "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
        }
    )
    lake.grant("analyst", {"DataCellsFilter": where}, ["SELECT"])
    lake.client("glue").create_database(DatabaseInput={"Name": SANDBOX})
    lake.grant("analyst", {"Database": {"Name": SANDBOX}}, ["CREATE_TABLE", "DESCRIBE"])
    lake.add_role("writer")
    for database in (DB, "default"):
        lake.grant("writer", {"Database": {"Name": database}}, ["DESCRIBE"])
    lake.grant(
        "writer",
        {"TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}},
        ["SELECT"],
    )
    lake.grant("writer", lake.users_resource(), ["INSERT", "DELETE"])
    iceberg = local_catalog("p", emulator.endpoint, REGION, LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    versions = tuple(s.snapshot_id for s in iceberg.load_table(f"{DB}.users").snapshots())
    return Lakes(lake, versions)


# ---------------------------------------------------------------- the generator


@st.composite
def column_name(draw: st.DrawFn, allowed: tuple[str, ...] = COLUMNS) -> tuple[str, str]:
    """(how the SQL spells it, the column): any case, quoted or not."""
    column = draw(st.sampled_from(allowed))
    spelled = draw(st.sampled_from([column, column.upper(), column.capitalize()]))
    return (f'"{spelled}"' if draw(st.booleans()) else spelled), column


@st.composite
def expression(draw: st.DrawFn, qualifier: str | None, windows: bool = True) -> tuple[str, bool]:
    """A projection over one column: (SQL, names ssn)."""
    spelled, column = draw(column_name())
    ref = f"{qualifier}.{spelled}" if qualifier else spelled
    shapes = [
        "{c}",
        "CAST({c} AS varchar)",
        "concat(CAST({c} AS varchar), '-')",
        "upper(CAST({c} AS varchar))",
        "coalesce(CAST({c} AS varchar), 'none')",
    ]
    if windows:
        shapes += ["max(CAST({c} AS varchar)) OVER ()", "lag(CAST({c} AS varchar)) OVER (ORDER BY {c})"]
    shape = draw(st.sampled_from(shapes))
    return shape.format(c=ref), column == "ssn"


@st.composite
def projection(draw: st.DrawFn, qualifier: str | None) -> tuple[str, bool]:
    """``*``, ``a.*`` or one to three aliased expressions."""
    kind = draw(st.sampled_from(["star", "qualified_star", "list"]))
    if kind == "star":
        return "*", False
    if kind == "qualified_star" and qualifier:
        return f"{qualifier}.*", False
    items = draw(st.lists(expression(qualifier), min_size=1, max_size=3))
    return ", ".join(f"{sql} AS c{i}" for i, (sql, _) in enumerate(items)), any(s for _, s in items)


@st.composite
def table_ref(draw: st.DrawFn, lakes: Lakes) -> tuple[str, str]:
    """(FROM item without alias, table): qualified or not, any case, maybe time travel on users."""
    table = draw(st.sampled_from(["users", "raw_users"]))
    name = draw(st.sampled_from([table, table.upper(), f'"{table}"']))
    if draw(st.booleans()):
        name = f"{DB}.{name}"
    if table == "users":
        travel = draw(st.sampled_from(["", "version", "timestamp"]))
        if travel == "version":
            name += f" FOR VERSION AS OF {draw(st.sampled_from(lakes.versions))}"
        elif travel == "timestamp":
            name += " FOR TIMESTAMP AS OF current_timestamp"
    return name, table


@st.composite
def query(draw: st.DrawFn, lakes: Lakes) -> Statement:
    """A SELECT the analyst might write, and whether it names the ssn column."""
    source, table = draw(table_ref(lakes))
    shape = draw(st.sampled_from(["plain", "subquery", "cte", "self_join", "unnest", "window"]))
    if shape == "plain":
        proj, ssn = draw(projection("a"))
        return Statement(f"SELECT {proj} FROM {source} a", ssn, {table})
    if shape in ("subquery", "cte"):
        inner = draw(st.sampled_from(["*", "a.*"]))
        proj, ssn = draw(projection(draw(st.sampled_from(["s", None]))))
        if shape == "subquery":
            return Statement(f"SELECT {proj} FROM (SELECT {inner} FROM {source} a) s", ssn, {table})
        return Statement(f"WITH s AS (SELECT {inner} FROM {source} a) SELECT {proj} FROM s", ssn, {table})
    if shape == "self_join":
        left, ssn_left = draw(expression("a"))
        right, ssn_right = draw(expression("b"))
        on, ssn_on = draw(column_name())
        sql = f"SELECT {left} AS l, {right} AS r FROM {source} a JOIN {source} b ON a.{on} = b.{on}"
        return Statement(sql, ssn_left or ssn_right or ssn_on == "ssn", {table})
    if shape == "unnest":
        proj, ssn = draw(projection("a"))
        proj = "a.*" if proj == "*" else proj  # ``*`` would also bring n twice
        sql = f"SELECT {proj}, n FROM {source} a CROSS JOIN UNNEST(ARRAY[1, 2]) AS u(n)"
        return Statement(sql, ssn, {table})
    value, ssn_value = draw(expression("a"))
    part, ssn_part = draw(column_name())
    sql = f"SELECT {value} AS v, row_number() OVER (PARTITION BY a.{part} ORDER BY a.user_id) AS rn FROM {source} a"
    return Statement(sql, ssn_value or ssn_part == "ssn", {table})


@st.composite
def statement(draw: st.DrawFn, lakes: Lakes) -> Statement:
    """A query, a CTAS or INSERT into the analyst's own database, or the writer's DML on users."""
    kind = draw(st.sampled_from(["select", "select", "ctas", "insert", "update", "delete", "merge"]))
    if kind in ("select", "ctas", "insert"):
        q = draw(query(lakes))
        if kind == "select":
            return q
        name = f"{SANDBOX}.p_{uuid.uuid4().hex[:10]}"
        location = f"s3://{lakes.lake.bucket}/{name.replace('.', '/')}/"
        ctas = f"CREATE TABLE {name} WITH (table_type='ICEBERG', location='{location}') AS "
        if kind == "ctas":
            return Statement(ctas + q.sql, q.names_ssn, q.tables, then_read=f"SELECT * FROM {name}")
        # INSERT: into a table of its own made from the visible columns, then from the generated query
        source, table = draw(table_ref(lakes))
        value, ssn = draw(expression("a"))
        sql = f"{ctas}SELECT 'seed' AS c0;INSERT INTO {name} SELECT CAST({value} AS varchar) FROM {source} a"
        return Statement(sql, ssn, {table}, then_read=f"SELECT * FROM {name}")
    value, ssn_value = draw(expression(None, windows=False))
    spelled, column = draw(column_name())
    predicate = draw(st.sampled_from(["{c} IS NULL", "CAST({c} AS varchar) LIKE '1%'", "{c} = {c}"]))
    where = predicate.format(c=spelled)
    names_ssn = column == "ssn"
    if kind == "update":
        sql = f"UPDATE users SET email = CAST({value} AS varchar) WHERE {where}"
        return Statement(sql, ssn_value or names_ssn, {"users"}, role="writer")
    if kind == "delete":
        return Statement(f"DELETE FROM users WHERE {where} AND user_id > 100", names_ssn, {"users"}, role="writer")
    sql = (
        "MERGE INTO users t USING (SELECT 1 AS id) s ON t.user_id = s.id + 100 "
        f"WHEN MATCHED THEN UPDATE SET email = CAST(t.{spelled} AS varchar)"
    )
    return Statement(sql, names_ssn, {"users"}, role="writer")


# ---------------------------------------------------------------- the property


def _leaks(rows: list[tuple[Any, ...]]) -> list[str]:
    return [str(cell) for row in rows for cell in row if cell is not None and any(s in str(cell) for s in SSNS)]


def _run(lake: Lake, role: str, sqls: list[str]) -> tuple[list[tuple[Any, ...]], str | None]:
    """Run statements in order as ``role``; the last one's rows, or the first failure's reason."""
    rows: list[tuple[Any, ...]] = []
    with lake.cursor(role) as cursor:
        for sql in sqls:
            try:
                cursor.execute(sql)
            except OperationalError as err:
                return [], str(err)
            rows = list(cursor.fetchall()) if cursor.description else []
    return rows, None


def _check(lakes: Lakes, stmt: Statement) -> None:
    lake = lakes.lake
    sqls = stmt.sql.split(";") + ([stmt.then_read] if stmt.then_read else [])
    rows, failure = _run(lake, stmt.role, sqls)
    assert not _leaks(rows), f"{stmt.sql!r} returned ssn values: {_leaks(rows)}"
    if stmt.names_ssn:
        assert failure is not None and COLUMN_NOT_FOUND.match(failure), f"{stmt.sql!r} named ssn; got {failure!r}"
    else:
        assert failure is None, f"{stmt.sql!r} names no hidden column, yet failed: {failure}"
    if stmt.tables == {"raw_users"} and stmt.role == "analyst":
        shown = {str(c) for row in rows for c in row}
        assert not shown & HIDDEN_ROW_EMAILS, f"{stmt.sql!r} returned rows the row filter leaves out"
    if stmt.role == "writer":
        with lake.cursor() as admin:
            admin.execute("SELECT user_id, email, country FROM users")
            assert not _leaks(list(admin.fetchall())), f"{stmt.sql!r} copied ssn into a visible column"


@given(data=st.data())
@settings(PROFILE)
def test_no_analyst_statement_ever_returns_an_ssn(lakes: Lakes, data: st.DataObject) -> None:
    _check(lakes, data.draw(statement(lakes)))
