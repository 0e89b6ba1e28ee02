"""KPI p95 latency runs the demo queries in the session ``run_demo_queries.sh`` runs them in: Gold as the database.

The load, its untimed runs and ``gold_reads`` took Athena's ``default`` as the session's database, while the
verifier (``lakehouse demo``, ``demo_connection``) and exit check 2 take Gold. A demo naming a table without its
database then read another table under load than for its user (a one-row ``default.users`` timed instead of
Gold's users), a Gold table read so had no reference query, and a time travel over it went unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.kpi.latency import config_for, gold_reads, judge_latency, untimed_answers
from lakehouse.kpi.reference import reference_sql
from lakehouse.pipeline.demo import demo_connection, demo_queries
from lakehouse.target import Target
from tests.unit.test_kpi_latency_reference import GOLD_DB, GOLD_SCHEMA, _gold, _outputs, _samples

#: A Gold table no contract requires, big enough to matter, that a dashboard-like demo joins without its database.
EXTRA = [("customer_id", "bigint"), ("score", "double")]
JOIN_UNQUALIFIED = {
    "leaders": (
        f"SELECT d.country, t.customer_id FROM {GOLD_DB}.daily_revenue d JOIN top_customers t "
        "ON t.customer_id = d.orders LIMIT 1"
    )
}


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    yield Target(name="aws", region="us-east-1")


def _connects(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every ``lakehouse.athena.connect`` call's arguments; the connections answer nothing."""
    calls: list[dict[str, Any]] = []

    class Cursor:
        description = None
        rowcount = -1
        query_id = state = data_scanned_in_bytes = engine_execution_time_in_millis = None
        total_execution_time_in_millis = None

        def execute(self, sql: str) -> None:
            pass

    class Conn:
        def cursor(self) -> Cursor:
            return Cursor()

        def close(self) -> None:
            pass

    def connect(target: Target, work_group: str, schema: str = "default", **kw: Any) -> Conn:
        calls.append({"work_group": work_group, "schema": schema})
        return Conn()

    monkeypatch.setattr("lakehouse.athena.connect", connect)
    monkeypatch.setattr("lakehouse.pipeline.demo.connect", connect)
    return calls


# -- broken stacks -------------------------------------------------------------------------------------


def test_the_load_and_its_untimed_runs_take_the_verifiers_session_database_not_athenas_default(
    account: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In ``default`` a demo's ``users`` is ``default.users`` (one row the stack put there); for its user, Gold's."""
    _gold(account, GOLD_SCHEMA)
    config = config_for(account, _outputs())
    calls = _connects(monkeypatch)
    demo_connection(account, _outputs())  # run_demo_queries.sh's session
    config.connect()  # the locustfile's users
    untimed_answers(config)  # the untimed answers every timed sample must give again
    assert config.database == GOLD_DB
    assert calls == [{"work_group": "wg", "schema": GOLD_DB}] * 3


def test_a_gold_table_a_demo_joins_without_its_database_is_timed_by_a_reference_query(
    account: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read in Gold's session, ``top_customers`` is Gold's: a table no contract requires, with no timing of its own
    but the demo's ``LIMIT 1``."""
    _gold(account, {**GOLD_SCHEMA, "top_customers": EXTRA})
    monkeypatch.setattr("lakehouse.pipeline.demo.demo_queries", lambda outputs: dict(JOIN_UNQUALIFIED))
    config = config_for(account, _outputs())
    assert gold_reads(config.queries, GOLD_DB, config.database)[0] == {
        "leaders": [f"{GOLD_DB}.daily_revenue", f"{GOLD_DB}.top_customers"]
    }
    assert config.reference["reference:top_customers"] == reference_sql(GOLD_DB, "top_customers", EXTRA)
    assert config.reference_counts["reference:top_customers"] == f"SELECT count(*) FROM {GOLD_DB}.top_customers"


def test_a_time_travel_over_a_gold_table_named_without_its_database_fails_naming_it() -> None:
    """The demo reads today's Gold by name and joins an early snapshot of it named alone: fast, and not the Gold
    the pipeline left."""
    sql = (
        f"SELECT d.country FROM {GOLD_DB}.daily_revenue d "
        "JOIN daily_revenue FOR VERSION AS OF 1 AS old ON old.country = d.country"
    )
    _, problems = gold_reads({"then": sql}, GOLD_DB, GOLD_DB)
    assert problems == [
        f"demo query then reads Gold elsewhere than as the pipeline left it: {GOLD_DB}.daily_revenue "
        "FOR VERSION AS OF 1 AS old (time travel, not the table as the pipeline left it)"
    ]
    stats = _samples({"then": [10.0] * 120})
    untimed = {"then": QueryRecord(sql=sql, query_execution_id="u-then", row_count=1)}
    outcome = judge_latency(stats, 200.0, True, 100, gold_reads({"then": sql}, GOLD_DB), untimed, min_per_query=60)
    assert not outcome.passed and outcome.reason is not None and "time travel" in outcome.reason


# -- healthy twins ------------------------------------------------------------------------------------


def test_a_demo_naming_gold_only_by_the_session_reads_gold_and_is_judged_on_its_time() -> None:
    """``SELECT ... FROM daily_revenue`` reads Gold for its user (the verifier's session): no "reads no Gold"."""
    sql = "SELECT order_date, country, orders, revenue FROM daily_revenue ORDER BY order_date DESC LIMIT 20"
    assert gold_reads({"daily": sql}, GOLD_DB) == ({"daily": [f"{GOLD_DB}.daily_revenue"]}, [])
    stats = _samples({"daily": [10.0] * 120})
    untimed = {"daily": QueryRecord(sql=sql, query_execution_id="u-daily", row_count=1)}
    outcome = judge_latency(stats, 200.0, True, 100, gold_reads({"daily": sql}, GOLD_DB), untimed, min_per_query=60)
    assert outcome.passed, outcome.reason


def test_committed_demos_read_the_same_gold_and_a_ctes_name_or_another_database_is_no_gold_table() -> None:
    committed = demo_queries(_outputs())
    assert gold_reads(committed, GOLD_DB, GOLD_DB) == gold_reads(committed, GOLD_DB)
    assert gold_reads(committed, GOLD_DB)[1] == []
    cte = f"WITH top AS (SELECT * FROM {GOLD_DB}.users) SELECT t.* FROM top t JOIN lakehouse_lh_x_silver.o ON true"
    assert gold_reads({"cte": cte}, GOLD_DB) == ({"cte": [f"{GOLD_DB}.users"]}, [])
    only_silver = "SELECT * FROM lakehouse_lh_x_silver.o"
    assert gold_reads({"silver": only_silver}, GOLD_DB)[1] == [
        f"demo query silver reads no table of Gold ({GOLD_DB}): its latency is not Gold's"
    ]
