"""KPI p95 latency on a real Gold: demo queries that answer nothing fail it, the committed ones pass, and the
harness's reference queries (every row and column of each Gold table, columns from Glue) are timed beside them.

A bare lakehouse on the shared emulator (``pipeline_stack``) with the sample loaded by the real pipeline;
the real locustfile runs the queries under Locust (``run_load``) after ``untimed_answers`` ran them once,
and ``judge_latency`` judges them as the step does. The threshold is generous: this is about answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.kpi.latency import (
    LoadSpec,
    config_for,
    gold_reads,
    judge_latency,
    run_load,
    untimed_answers,
    untimed_counts,
)
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, run_pipeline
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-north-1"

#: Demo queries that name Gold, so ``gold_reads`` is content, and answer no rows in a few milliseconds.
EMPTY_DEMOS = {
    "where-false": "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue WHERE false",
    "limit-0": "SELECT * FROM {gold}.daily_revenue LIMIT 0",
    "having-false": "SELECT country, count(*) AS n FROM {gold}.orders_enriched GROUP BY country HAVING false",
}


@pytest.fixture(scope="module")
def gold(emulator: EmulatorHandle) -> tuple[Target, dict[str, Any]]:
    target, outputs = pipeline_stack(emulator, REGION, "lat1")
    result = run_pipeline(target, outputs, data_dir=DATA_DIR, sql_dir=SQL_DIR)
    assert result.ok, result.summary()
    return target, outputs


def judge(target: Target, outputs: dict[str, Any], tmp_path: Path, queries: dict[str, str] | None = None) -> Outcome:
    config = config_for(target, outputs)
    if queries is not None:
        config.queries = queries
    untimed, counts = untimed_answers(config), untimed_counts(config)
    stats = run_load(config, LoadSpec(users=1, seconds=0.5, min_samples=12, max_seconds=30, nice=0), tmp_path)
    gold_db = outputs["glue_database_names"]["gold"]
    gold = gold_reads(config.queries, gold_db)
    return judge_latency(stats, 60_000.0, True, 12, gold, untimed, counts, config.reference_problems)


def test_the_committed_demo_queries_answer_under_load_what_they_answer_untimed(
    gold: tuple[Target, dict[str, Any]], tmp_path: Path
) -> None:
    target, outputs = gold
    outcome = judge(target, outputs, tmp_path)
    assert outcome.passed, outcome.reason
    answers = outcome.details["untimed_answers"]
    reference = ["reference:daily_revenue", "reference:orders_enriched", "reference:users"]
    assert sorted(answers) == ["daily_revenue", "order_status", *reference, "top_customers"]
    assert all(a["row_count"] > 0 for a in answers.values())
    assert outcome.details["by_set"]["reference"]["queries"] == reference
    counted = outcome.details["reference_counts"]
    assert sorted(counted) == reference and all(c["rows_counted"] > 0 for c in counted.values())


@pytest.mark.parametrize("demo", sorted(EMPTY_DEMOS))
def test_a_demo_query_that_reads_gold_by_name_and_answers_nothing_fails(
    gold: tuple[Target, dict[str, Any]], tmp_path: Path, demo: str
) -> None:
    target, outputs = gold
    sql = EMPTY_DEMOS[demo].format(gold=outputs["glue_database_names"]["gold"])
    outcome = judge(target, outputs, tmp_path, {demo: sql})
    assert outcome.status is Status.FAILED
    assert outcome.details["gold_tables_read"][demo], "the query reads Gold by name"
    assert outcome.details["untimed_answers"][demo]["row_count"] == 0
    assert outcome.reason is not None
    assert outcome.reason.startswith(f"demo query {demo} returns no rows (run untimed, query "), outcome.reason
    assert outcome.reason.endswith("its latency is that of an empty answer, not of reading Gold")
