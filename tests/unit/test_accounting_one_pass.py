"""The accounting's one pass says what its separate statements said, on any lake, healthy or broken.

``account_sql`` computes each costly part once (Bronze's lines cast, the staged lines' typed values, the
placements) and finds Silver's rows from no line in the same statement; ``false_refusals_sql`` casts only the
staged lines a refusal names. The references are the statements as they were before: the placements and the
refusals' winners joined on casts of every row, and the rows from no line as their own statement. Generated
lakes (lines missing, counted twice, altered, not numbers, refused for made-up reasons, Silver rows from no
line, Silver before the run) must give the same rows, run in bare DuckDB translated as the emulator translates.
"""

from __future__ import annotations

import functools
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.accounting import FAMILIES, account_sql, counts_sql, problems_sql, split_account
from lakehouse.pipeline.refusals import FAMILIES as REFUSALS
from lakehouse.pipeline.refusals import SHOWN, false_refusals_sql

FILE = "orders.csv"
RAW = ("order_id", "user_id", "order_ts", "amount", "status")
TEXT = "source_file VARCHAR, source_line BIGINT, " + ", ".join(f"{c} VARCHAR" for c in RAW) + ", reject_reason VARCHAR"
SILVER = "order_id BIGINT, user_id BIGINT, order_ts TIMESTAMP, amount DECIMAL(10, 2), status VARCHAR"
TYPED = (
    "try_cast(order_id AS bigint), try_cast(user_id AS bigint), try_cast(order_ts AS timestamp), "
    "try_cast(amount AS decimal(10, 2)), status"
)
REASONS = [
    None,
    "amount negative",
    "status unknown",
    "user_id unknown",
    "order_id missing or not a number",
    "older than the row silver holds (a newer order_ts)",
    "duplicate key, superseded by line 3",
    "duplicate key, superseded by line 4",
    "made up",
]

values = st.tuples(
    st.sampled_from(["1", "2", " 2", "x", ""]),
    st.sampled_from(["6", "9", "x"]),
    st.sampled_from(["2026-02-15 04:38:00", "2026-02-16 04:38:00", " 2026-02-15 04:38:00", "2026/02/15", ""]),
    st.sampled_from(["53.80", "-1.00", "1.005", " 5", "abc"]),
    st.sampled_from(["completed", "placed", "bogus"]),
)
#: Bronze: (line as landed, values); staged: (line, values, reason); Silver: the typed took lines, each kept,
#: dropped, doubled or altered, and rows from no line; before: rows Silver held before the run.
lakes = st.fixed_dictionaries(
    {
        "bronze": st.lists(st.tuples(st.sampled_from(["2", "3", "4", "5", "05", "x", " 6"]), values), max_size=6),
        "staged": st.lists(
            st.tuples(st.sampled_from([2, 3, 4, 5, 6, 9, None]), values, st.sampled_from(REASONS)), max_size=7
        ),
        "silver_ops": st.lists(st.sampled_from(["keep", "drop", "double", "alter"]), min_size=7, max_size=7),
        "made_up": st.lists(
            st.tuples(st.sampled_from([1, 2, 7]), st.sampled_from(["2026-03-01", "2026-02-15"])), max_size=2
        ),
        "before": st.lists(
            st.tuples(st.sampled_from([1, 2, 7]), st.sampled_from(["2026-03-01", "2026-01-01"])), max_size=2
        ),
        "users": st.lists(st.sampled_from([6, 9]), max_size=2),
    }
)


def _lake(lake: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"threads": 1})  # a few rows: no worker threads to wake
    con.execute("CREATE SCHEMA bronze; CREATE SCHEMA silver")
    con.execute(f"CREATE TABLE bronze.orders_csv ({', '.join(f'{c} VARCHAR' for c in RAW)}, source_line VARCHAR)")
    for line, vals in lake["bronze"]:
        con.execute("INSERT INTO bronze.orders_csv VALUES (?, ?, ?, ?, ?, ?)", [*vals, line])
    for table in ("orders_staged", "orders_rejected"):
        con.execute(f"CREATE TABLE silver.{table} ({TEXT})")
    for line, vals, reason in lake["staged"]:
        con.execute(
            "INSERT INTO silver.orders_staged VALUES ('orders.csv', ?, ?, ?, ?, ?, ?, ?)", [line, *vals, reason]
        )
    con.execute("INSERT INTO silver.orders_rejected SELECT * FROM silver.orders_staged WHERE reject_reason IS NOT NULL")
    con.execute(f"CREATE TABLE silver.orders ({SILVER})")
    con.execute(f"CREATE TABLE silver.orders_before ({SILVER})")
    took = con.execute(f"SELECT {TYPED} FROM silver.orders_staged WHERE reject_reason IS NULL").fetchall()
    for row, op in zip(took, lake["silver_ops"], strict=False):
        rows = {"keep": [row], "drop": [], "double": [row, row], "alter": [(*row[:3], -7, row[4])]}[op]
        for each in rows:
            con.execute("INSERT INTO silver.orders VALUES (?, ?, ?, ?, ?)", list(each))
    for table, made_up in (("orders", lake["made_up"]), ("orders_before", lake["before"])):
        for key, day in made_up:
            con.execute(f"INSERT INTO silver.{table} VALUES (?, 6, CAST(? AS TIMESTAMP), 1.00, 'placed')", [key, day])
    con.execute("CREATE TABLE silver.users (user_id BIGINT)")
    for user in lake["users"]:
        con.execute("INSERT INTO silver.users VALUES (?)", [user])
    return con


def _name(table: str) -> str:
    return table  # the layers are DuckDB schemas here


def _before(table: str) -> str:
    return f"SELECT * FROM {table}_before"


def _reference_unsourced_sql() -> str:
    """Silver's rows from no line as their own statement, every staged value cast in it (before the one pass)."""
    family = REFUSALS[FILE]
    return (
        f"WITH t AS (SELECT * FROM silver.orders EXCEPT {_before('silver.orders')}) "
        f"SELECT t.{family['key']}, CAST(t.{family['version']} AS varchar) FROM t LEFT JOIN (SELECT *, true AS took "
        f"FROM silver.orders_staged WHERE reject_reason IS NULL) s ON {FAMILIES[FILE]['holds']} WHERE s.took IS NULL "
        f"ORDER BY 1 LIMIT {SHOWN}"
    )


def _reference_refusals_sql() -> str:
    """``false_refusals_sql`` with the key and version of every staged line cast (before the one pass)."""
    filtered = "FROM silver.orders_staged WHERE source_line IN (SELECT winner FROM r)), "
    sql = false_refusals_sql(REFUSALS[FILE], _name, _before)
    assert filtered in sql
    return sql.replace(filtered, "FROM silver.orders_staged), ")


@functools.cache
def _duckdb(sql: str) -> str:
    """The emulator's translation (the same statements for every lake: translated once)."""
    return dialect.to_duckdb(dialect.parse(sql).tree)  # type: ignore[arg-type]


def _run(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(_duckdb(sql)).fetchall()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lakes)
def test_one_pass_says_what_the_separate_statements_said(lake: dict[str, Any]) -> None:
    con = _lake(lake)
    counts, problems, unsourced = split_account(_run(con, account_sql(FILE, _name, _before)))
    assert sorted(counts, key=repr) == sorted(_run(con, counts_sql(FAMILIES[FILE], _name)), key=repr)
    assert sorted(problems, key=repr) == sorted(_run(con, problems_sql(FAMILIES[FILE], _name)), key=repr)
    assert sorted(unsourced, key=repr) == sorted(_run(con, _reference_unsourced_sql()), key=repr)
    refused = _run(con, false_refusals_sql(REFUSALS[FILE], _name, _before))
    assert sorted(refused, key=repr) == sorted(_run(con, _reference_refusals_sql()), key=repr)


def test_the_generated_lakes_reach_every_kind_of_row() -> None:
    """The property above is not vacuous: a lake with a problem line, a row from no line and a false refusal."""
    lake = {
        "bronze": [
            ("2", ("1", "6", "2026-02-15 04:38:00", "53.80", "completed")),
            ("x", ("2", "6", "", "1", "placed")),
        ],
        "staged": [
            (2, ("1", "6", "2026-02-15 04:38:00", "53.80", "completed"), None),
            (5, ("2", "9", "2026-02-15 04:38:00", "53.80", "placed"), "duplicate key, superseded by line 2"),
        ],
        "silver_ops": ["keep"] * 7,
        "made_up": [(7, "2026-03-01")],
        "before": [],
        "users": [6],
    }
    con = _lake(lake)
    _, problems, unsourced = split_account(_run(con, account_sql(FILE, _name, _before)))
    assert problems and unsourced == [(7, "2026-03-01 00:00:00")]
    assert _run(con, false_refusals_sql(REFUSALS[FILE], _name, _before))
