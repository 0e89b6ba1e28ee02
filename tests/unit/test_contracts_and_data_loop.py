"""Data contracts (file errors, violations) and exit check 2's judgement of Athena's rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from lakehouse.athena import QueryRecord
from lakehouse.checks.data_loop import check_expected_row
from lakehouse.contracts import CONTRACTS_DIR, ContractError, check_contract, load_contract, load_contracts
from lakehouse.pipeline.runner import TABLES

EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
COLUMNS = ["order_date", "country", "orders", "revenue"]


def record(rows: list[tuple[object, ...]], error: str | None = None) -> QueryRecord:
    return QueryRecord(
        sql="SELECT ...", query_execution_id="q-1", columns=COLUMNS, rows=[list(r) for r in rows], error=error
    )


def test_every_pipeline_table_has_a_contract() -> None:
    tables = {c.table for c in load_contracts()}
    assert tables == {f"{layer}.{t}" for layer, names in TABLES.items() for t in names}


def test_contract_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "silver.users.yml"
    bad.write_text("table: silver.users\nexpectations:\n  - expect: column_values_to_be_uniq\n    column: id\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:3: field `expect`: unknown expectation"):
        load_contract(bad)
    bad.write_text("table: silver.users\nexpectations:\n  - expect: column_values_to_be_between\n    colum: id\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:3: expectation column_values_to_be_between"):
        load_contract(bad)
    bad.write_text("table: users\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:1: field `table` must be `layer.table`"):
        load_contract(bad)
    bad.write_text("table: silver.users\nexpectations: [\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:\d+: not valid YAML"):
        load_contract(bad)


def test_one_bad_contract_does_not_hide_the_others(tmp_path: Path) -> None:
    for path in CONTRACTS_DIR.glob("*.yml"):
        (tmp_path / path.name).write_text(path.read_text())
    (tmp_path / "gold.users.yml").write_text("table: gold.users\nrow_count:\n  - about: 3\n")
    (tmp_path / "gold.daily_revenue.yml").write_text("tabel: gold.daily_revenue\n")
    with pytest.raises(ContractError) as err:
        load_contracts(tmp_path)
    assert "gold.users.yml:3: field `row_count`" in str(err.value)
    assert "gold.daily_revenue.yml:1" in str(err.value)


def test_a_violated_contract_names_table_expectation_and_rows() -> None:
    contract = load_contract(CONTRACTS_DIR / "silver.users.yml")
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            "email": ["a@example.com", "b@example.com", "nope"],
            "ssn": ["900-00-0001", "900-00-0002", "900-00-0003"],
            "signup_ts": [dt.datetime(2026, 1, 1)] * 3,
        }
    )
    result = check_contract(contract, frame, counts=lambda table: 2)
    assert not result.success
    failures = result.failures()
    assert "silver.users: expect_column_values_to_be_unique(user_id) failed for 2 row(s)" in failures[0]
    assert any("expect_column_values_to_match_regex(email) failed for 1 row(s)" in f for f in failures)
    assert any(
        "expect_table_row_count_to_be_between" in f and "at_most bronze.users_csv (2 rows)" in f for f in failures
    )


def test_expected_row_found_among_athena_rows() -> None:
    rows = [(dt.date(2026, 3, 1), "US", 1, Decimal("444.15")), (dt.date(2026, 2, 1), "JP", 2, Decimal("10.00"))]
    result = check_expected_row(record(rows), rows, EXPECTED)
    assert result.passed and result.measured["revenue"] == Decimal("444.15")


def test_empty_gold_fails_with_the_query_as_evidence() -> None:
    result = check_expected_row(record([]), [], EXPECTED)
    assert not result.passed and result.reason == "the Athena query on Gold returned no rows"
    assert result.details["queries"][0]["query_execution_id"] == "q-1"


def test_wrong_value_fails_and_shows_the_nearest_rows() -> None:
    rows = [(dt.date(2026, 3, 1), "US", 1, Decimal("440.00"))]
    result = check_expected_row(record(rows), rows, EXPECTED)
    assert not result.passed
    assert "no row of 1 matches the expected values" in str(result.reason) and "440.00" in str(result.reason)


def test_failed_query_and_missing_column_fail() -> None:
    failed = check_expected_row(record([], error="TABLE_NOT_FOUND: ..."), [], EXPECTED)
    assert not failed.passed and "TABLE_NOT_FOUND" in str(failed.reason)
    other = QueryRecord(sql="x", columns=["order_date"], rows=[])
    result = check_expected_row(other, [(dt.date(2026, 3, 1),)], EXPECTED)
    assert not result.passed and "no column(s) country, orders, revenue" in str(result.reason)
