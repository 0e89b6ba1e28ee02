"""Gold against what Silver says (``matches:``) and the success rate's read-back, with fakes.

The comparison itself runs in Athena: tests/emulator/test_gold_reconciliation.py runs it on real
Iceberg tables built by broken Gold SQL.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from lakehouse.checks.data_loop import built_tables, check_contracts, judge_contracts
from lakehouse.contracts import CONTRACTS_DIR, Contract, ContractError, load_contract, load_contracts
from lakehouse.kpi.fresh import Fed
from lakehouse.kpi.success import GitHubPart, judge_success, run_pipeline_n
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import CONTRACTED, SQL_DIR, TABLES, PipelineResult
from lakehouse.reconcile import COPIES, EXPECTATION, RowDiff, diff_sql

COLUMNS = ["order_date", "country", "orders", "revenue"]
REVENUE = pd.DataFrame({"order_date": [dt.date(2026, 3, 1)], "country": ["US"], "orders": [1], "revenue": [444.15]})


def test_every_gold_table_states_the_rows_it_must_hold() -> None:
    """Value expectations cannot tell a wrong Gold from a right one: each Gold contract says its rows."""
    by_table = {c.table: c for c in load_contracts()}
    for table in TABLES["gold"]:
        contract = by_table[f"gold.{table}"]
        assert contract.matches and "${silver_db}" in contract.matches, f"gold.{table} has no `matches` over Silver"
        assert contract.path.read_text().splitlines()[contract.matches_line - 1].startswith("matches:")


def test_a_matches_that_is_not_a_query_or_names_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gold.daily_revenue.yml"
    path.write_text("table: gold.daily_revenue\nmatches: [1, 2]\n")
    with pytest.raises(ContractError, match=r"gold.daily_revenue.yml:2: field `matches` is a query"):
        load_contract(path)
    path.write_text("table: gold.daily_revenue\n\nmatches: |\n  SELECT * FROM ${silver}.orders\n")
    with pytest.raises(ContractError, match=r"yml:3: field `matches`: unknown placeholder\(s\) silver \(known: "):
        load_contract(path)


def test_athena_answer_becomes_missing_and_unexpected_rows_with_their_copies() -> None:
    rows = [
        ("unexpected", dt.date(2026, 3, 1), "US", 2, Decimal("888.30"), 1),
        ("missing", dt.date(2026, 3, 1), "US", 1, Decimal("444.15"), 1),
        ("missing", dt.date(2026, 2, 1), "JP", 1, Decimal("239.96"), 1),
        ("unexpected", dt.date(2026, 2, 1), "JP", 1, Decimal("239.96"), 2),
    ]
    diff = RowDiff.from_rows(COLUMNS, rows, "q-9")
    assert not diff.ok
    assert diff.missing == [
        {"order_date": "2026-02-01", "country": "JP", "orders": 1, "revenue": "239.96"},
        {"order_date": "2026-03-01", "country": "US", "orders": 1, "revenue": "444.15"},
    ]
    assert diff.unexpected[0] == {
        "order_date": "2026-02-01",
        "country": "JP",
        "orders": 1,
        "revenue": "239.96",
        COPIES: 2,
    }
    assert RowDiff.from_rows(COLUMNS, [], "q-1").ok


def test_the_comparison_is_of_multisets_in_both_directions() -> None:
    sql = diff_sql("db.daily_revenue", ["order_date", "orders"], "SELECT 1 AS order_date, 2 AS orders;\n")
    assert 'GROUP BY "order_date", "orders"' in sql and f"count(*) AS {COPIES}" in sql
    assert "FROM (SELECT 1 AS order_date, 2 AS orders) GROUP BY" in sql
    assert "SELECT * FROM expected EXCEPT SELECT * FROM actual" in sql
    assert "SELECT * FROM actual EXCEPT SELECT * FROM expected" in sql


def test_gold_rows_that_differ_from_silver_fail_the_contract_naming_rows_and_the_query() -> None:
    contract = load_contract(CONTRACTS_DIR / "gold.daily_revenue.yml")
    seen: list[tuple[Contract, list[str]]] = []

    def doubled(c: Contract, columns: list[str]) -> RowDiff:
        seen.append((c, columns))
        missing = [{"order_date": "2026-03-01", "country": "US", "orders": 1, "revenue": "444.15"}]
        unexpected = [{"order_date": "2026-03-01", "country": "US", "orders": 2, "revenue": "888.30"}]
        return RowDiff(columns, missing, unexpected, "q-7")

    counts = {"gold.orders_enriched": REVENUE}
    outcome = judge_contracts(
        ["gold.daily_revenue"], [contract], {"gold.daily_revenue": REVENUE, **counts}, 100.0, [], matcher=doubled
    )
    assert seen == [(contract, COLUMNS)]
    assert outcome.status is Status.FAILED
    assert outcome.reason == (
        "data contract violated: gold.daily_revenue: table_rows_to_match_query failed (rows differ from `matches` "
        f"(gold.daily_revenue.yml:{contract.matches_line}, Athena query q-7): 1 row(s) the query implies are "
        "missing, e.g. "
        "[{'order_date': '2026-03-01', 'country': 'US', 'orders': 1, 'revenue': '444.15'}]; 1 row(s) it does not "
        "imply, e.g. [{'order_date': '2026-03-01', 'country': 'US', 'orders': 2, 'revenue': '888.30'}])"
    )
    (entry,) = [e for e in outcome.details["contracts"][0]["expectations"] if e["expectation"] == EXPECTATION]
    assert set(entry) == {"expectation", "success", "status", "details"}, "the report shows details as text only then"
    assert entry["status"] == "failed"
    same = judge_contracts(
        ["gold.daily_revenue"],
        [contract],
        {"gold.daily_revenue": REVENUE, **counts},
        100.0,
        [],
        matcher=lambda c, columns: RowDiff(columns),
    )
    assert same.passed, same.reason


def test_without_athena_a_contract_with_matches_is_an_error_not_a_pass() -> None:
    contract = load_contract(CONTRACTS_DIR / "gold.daily_revenue.yml")
    frames = {"gold.daily_revenue": REVENUE, "gold.orders_enriched": REVENUE}
    outcome = judge_contracts(["gold.daily_revenue"], [contract], frames, 100.0, [])
    assert outcome.status is Status.ERROR
    assert outcome.reason == "no Athena connection to compare gold.daily_revenue with its `matches` query"


class _ReadBack:
    """A proof that feeds nothing and reads back what ``said`` says (the contracts' word)."""

    def __init__(self, said: Callable[[PipelineResult], str | None]) -> None:
        self.said = said

    def feed(self, run: int) -> Fed:
        return Fed(Path("unused"), {"run": run})

    def read_back(self, run: int, result: PipelineResult) -> tuple[str | None, dict[str, Any]]:
        wrong = self.said(result)
        return wrong, {"contracts": wrong or "every data contract met"}


def test_a_run_the_pipeline_calls_ok_counts_only_if_its_tables_read_back_right() -> None:
    said = iter([None, "data contracts failed: gold.daily_revenue: table_rows_to_match_query failed (...)"])
    read: list[PipelineResult] = []

    def read_back(result: PipelineResult) -> str | None:
        read.append(result)
        return next(said)

    outcomes = iter([PipelineResult(), PipelineResult(), PipelineResult(ok=False, error="30_gold.sql:3: boom")])
    samples = run_pipeline_n(lambda _: next(outcomes), 3, _ReadBack(read_back))
    assert [s.ok for s in samples] == [True, False, False]
    assert len(read) == 2, "a failed run is not read back"
    assert samples[0].read == {"contracts": "every data contract met"} and samples[0].fed == {"run": 1}
    assert samples[1].error == (
        "the pipeline said ok, its tables read back say otherwise: "
        "data contracts failed: gold.daily_revenue: table_rows_to_match_query failed (...)"
    )
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and "first failure: local run 2: the pipeline said ok" in str(outcome.reason)


def test_a_read_back_that_cannot_read_is_a_failed_run() -> None:
    def unreadable(result: PipelineResult) -> str | None:
        raise ConnectionError("Athena went away")

    (sample,) = run_pipeline_n(lambda _: PipelineResult(), 1, _ReadBack(unreadable))
    assert not sample.ok and sample.error == "ConnectionError: Athena went away"


OUTPUTS = {
    "glue_database_names": {layer: f"lakehouse_t1_{layer}" for layer in ("bronze", "silver", "gold")},
    "bucket_names": {layer: f"lakehouse-t1-{layer}" for layer in ("bronze", "silver", "gold")},
}


def test_the_tables_judged_are_what_the_pipeline_sql_creates_not_only_the_contracted_list(tmp_path: Path) -> None:
    contracted = [f"{layer}.{t}" for layer, names in CONTRACTED.items() for t in names]
    assert built_tables(OUTPUTS) == contracted, "the healthy pipeline builds exactly the contracted tables"
    shutil.copytree(SQL_DIR, tmp_path / "sql")
    (tmp_path / "sql" / "40_extra.sql").write_text(
        "CREATE VIEW ${gold_db}.revenue_view AS SELECT * FROM ${gold_db}.daily_revenue;\n"
        "CREATE TABLE ${silver_db}.scratch (x int) LOCATION 's3://${silver_bucket}/scratch/' "
        "TBLPROPERTIES ('table_type' = 'ICEBERG');\n"
    )
    assert built_tables(OUTPUTS, tmp_path / "sql") == [*contracted, "gold.revenue_view", "silver.scratch"]


def test_pipeline_sql_that_cannot_be_read_is_an_error_before_any_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "10_bad.sql").write_text("CREATE TABLE ${nowhere_db}.t (x int);\n")
    outcome = check_contracts(object(), OUTPUTS, [], sql_dir=tmp_path)
    assert outcome.status is Status.ERROR
    assert outcome.reason is not None and outcome.reason.startswith("the tables the pipeline builds cannot be told: ")
    assert "unknown placeholder ${nowhere_db}" in outcome.reason
