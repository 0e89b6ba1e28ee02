"""Exit check 2 judges the Gold the demo reads: the account's Glue catalog, as the pipeline left it; and the
refusal reasons the pipeline's SQL writes are each stated for the accounting (``refusals.py``)."""

from __future__ import annotations

import re

import pytest

from lakehouse.checks.data_loop import check_row_from_gold, gold_read_elsewhere, gold_tables_read
from lakehouse.outcome import Status
from lakehouse.pipeline.refusals import FAMILIES
from lakehouse.pipeline.runner import SQL_DIR

EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
COLUMNS = "SELECT order_date, country, orders, revenue FROM "


def test_a_namesake_of_gold_in_another_data_catalog_is_not_gold() -> None:
    """``othercat.<gold>.daily_revenue`` (another account's Glue, a federated catalog) shares Gold's database and
    table names. Before: it counted as ``<gold>.daily_revenue``, so the harness searched (and Glue-checked) the
    account's table while the demo's answer came from the namesake."""
    sql = COLUMNS + 'othercat."lh_1_gold".daily_revenue'
    assert gold_tables_read(sql, "lh_1_gold") == []
    assert gold_read_elsewhere(sql, "lh_1_gold") == [
        'othercat."lh_1_gold".daily_revenue (catalog othercat, not awsdatacatalog)'
    ]
    # The check stops there, before searching anything (no connection is touched).
    outcome = check_row_from_gold(None, sql, "lh_1_gold", EXPECTED, None, [])
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "the demo query reads Gold's name, not the Gold the pipeline left: "
        'othercat."lh_1_gold".daily_revenue (catalog othercat, not awsdatacatalog)'
    )


@pytest.mark.parametrize(
    "table",
    [
        "lh_1_gold.daily_revenue",
        "AwsDataCatalog.lh_1_gold.daily_revenue",
        '"awsdatacatalog"."LH_1_GOLD"."daily_revenue"',
    ],
)
def test_gold_in_the_account_s_catalog_is_gold(table: str) -> None:
    """Healthy twin: no catalog, or Athena's own name for the account's Glue catalog, in any case."""
    assert gold_tables_read(COLUMNS + table, "lh_1_gold") == ["lh_1_gold.daily_revenue"]
    assert gold_read_elsewhere(COLUMNS + table, "lh_1_gold") == []


@pytest.mark.parametrize(
    "travel", ["FOR VERSION AS OF 4711", "FOR TIMESTAMP AS OF TIMESTAMP '2026-03-01 00:00:00 UTC'"]
)
def test_gold_read_by_time_travel_is_named(travel: str) -> None:
    """The version was dropped by the probe that takes the row out (``without_row``): it read the current table."""
    sql = f"{COLUMNS}lh_1_gold.daily_revenue {travel} WHERE country = 'US'"
    (said,) = gold_read_elsewhere(sql, "lh_1_gold")
    assert said.startswith("lh_1_gold.daily_revenue FOR ") and said.endswith(
        "(time travel, not the table as the pipeline left it)"
    ), said
    assert gold_read_elsewhere(f"{COLUMNS}lh_1_silver.orders {travel}", "lh_1_gold") == [], "only Gold's reads"


def test_every_refusal_reason_the_silver_sql_writes_is_stated_for_the_accounting() -> None:
    """A reason the SQL writes and ``refusals.FAMILIES`` lacks would be called false on a healthy stack."""
    stated = {reason for family in FAMILIES.values() for reason in family["reasons"]}
    written: set[str] = set()
    for path in sorted(SQL_DIR.glob("2*_silver_*.sql")):
        written |= set(re.findall(r"THEN '([^']+)'", path.read_text(encoding="utf-8")))
    assert written, "the Silver SQL's reasons were found"
    assert written - stated == set(), "duplicates are written with concat(), the others as literals"


def test_a_gold_table_named_through_the_session_is_gold_and_its_time_travel_named() -> None:
    """The demo runs with Gold as its session's database (``demo_connection``): ``daily_revenue`` alone is Gold's.
    Before, exit check 2 read it as no table of Gold (a healthy demo red) and took no row out of it."""
    from lakehouse.checks.data_loop import without_row

    sql = COLUMNS + "daily_revenue"
    assert gold_tables_read(sql, "lh_1_gold") == []
    assert gold_tables_read(sql, "lh_1_gold", "lh_1_gold") == ["lh_1_gold.daily_revenue"]
    travel = check_row_from_gold(None, sql + " FOR VERSION AS OF 1", "lh_1_gold", EXPECTED, None, [], "lh_1_gold")
    assert travel.status is Status.FAILED and "(time travel, not the table as the pipeline left it)" in str(
        travel.reason
    )
    cte = "WITH daily_revenue AS (SELECT * FROM lh_1_gold.daily_revenue) " + sql
    probe = without_row(cte, {"lh_1_gold.daily_revenue": {"country": "US"}}, "lh_1_gold")
    assert probe.count("WHERE NOT COALESCE") == 1, "the CTE's name is no table: only Gold's own is probed"
    assert "WHERE NOT COALESCE(\"country\" = 'US', FALSE)" in without_row(
        sql, {"lh_1_gold.daily_revenue": {"country": "US"}}, "lh_1_gold"
    )


def test_the_session_s_database_is_added_without_aliasing_the_query_s_tables() -> None:
    """sqlglot's ``qualify_tables`` aliases every table (``x.t AS t``), after which Trino no longer resolves
    ``x.t.c``; ``in_session`` only adds the database where none is named, and leaves a CTE's name alone."""
    import sqlglot

    from lakehouse.checks.data_loop import in_session

    sql = "WITH c AS (SELECT * FROM daily_revenue) SELECT x.y.a FROM x.y JOIN c ON true JOIN daily_revenue ON true"
    assert in_session(sqlglot.parse_one(sql, read="trino"), "g").sql(dialect="trino") == (
        "WITH c AS (SELECT * FROM g.daily_revenue) SELECT x.y.a FROM x.y JOIN c ON TRUE JOIN g.daily_revenue ON TRUE"
    )
    assert gold_read_elsewhere(COLUMNS + "daily_revenue FOR VERSION AS OF 1", "g", "g") == [
        "g.daily_revenue FOR VERSION AS OF 1 (time travel, not the table as the pipeline left it)"
    ]
