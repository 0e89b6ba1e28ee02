"""KPI p95: a demo query that reads Gold as of a past version, or a namesake in another catalog, is not Gold's time.

The broken stack: its demo query reads ``gold.daily_revenue FOR VERSION AS OF <the first snapshot>`` (a few rows
written before the backfill) and returns rows: it names Gold, so ``gold_reads`` found nothing to say, and the demo
set's p95 timed a small old snapshot. Exit check 2 already refuses both reads (``gold_read_elsewhere``).
"""

from __future__ import annotations

from lakehouse.kpi.latency import gold_reads

GOLD = "lakehouse_lh_x_gold"


def test_a_demo_query_over_a_past_version_of_gold_fails_naming_it() -> None:
    demos = {
        "revenue": f"SELECT order_date, revenue FROM {GOLD}.daily_revenue FOR VERSION AS OF 1 LIMIT 5",
        "users": f"SELECT u.user_id FROM {GOLD}.users u JOIN other.{GOLD}.orders_enriched o ON u.user_id = o.user_id",
    }
    tables, problems = gold_reads(demos, GOLD)
    assert tables["revenue"] == [f"{GOLD}.daily_revenue"]  # it names Gold
    assert len(problems) == 2, problems
    assert problems[0].startswith(f"demo query revenue reads Gold elsewhere than as the pipeline left it: {GOLD}.")
    assert "time travel" in problems[0]
    assert problems[1].startswith("demo query users reads Gold elsewhere") and "catalog other" in problems[1]


def test_the_same_demo_queries_over_gold_as_it_is_pass() -> None:
    demos = {
        "revenue": f"SELECT order_date, revenue FROM {GOLD}.daily_revenue LIMIT 5",
        "users": f"SELECT u.user_id FROM {GOLD}.users u JOIN {GOLD}.orders_enriched o ON u.user_id = o.user_id",
    }
    assert gold_reads(demos, GOLD)[1] == []
