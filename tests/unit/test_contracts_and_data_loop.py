"""Data contracts (file errors, null rules, violations) and exit check 2's judgement of Athena's rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from lakehouse.athena import QueryRecord
from lakehouse.checks.data_loop import check_expected_row, judge_contracts
from lakehouse.contracts import (
    CONTRACTS_DIR,
    NULL_EXPECTATIONS,
    ContractError,
    check_contract,
    judged_columns,
    load_contract,
    load_contracts,
)
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import CONTRACTED
from lakehouse.reconcile import RowDiff


def same_rows(contract: object, columns: list[str]) -> RowDiff:
    """A ``matches`` comparison that found no difference (the Athena one is tested on the emulator)."""
    return RowDiff(columns)


EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
COLUMNS = ["order_date", "country", "orders", "revenue"]


def record(rows: Sequence[tuple[object, ...]], error: str | None = None) -> QueryRecord:
    return QueryRecord(
        sql="SELECT ...", query_execution_id="q-1", columns=COLUMNS, rows=[list(r) for r in rows], error=error
    )


def test_every_pipeline_table_has_a_contract() -> None:
    tables = {c.table for c in load_contracts()}
    assert tables == {f"{layer}.{t}" for layer, names in CONTRACTED.items() for t in names}


def test_contract_errors_name_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "silver.users.yml"
    bad.write_text("table: silver.users\nexpectations:\n  - expect: column_values_to_be_uniq\n    column: id\n")
    with pytest.raises(ContractError, match=r"silver\.users\.yml:3: field `expect`: unknown expectation"):
        load_contract(bad)
    bad.write_text(
        "table: silver.users\ncolumns: {id: {nullable: false}}\n"
        "expectations:\n  - expect: column_values_to_be_between\n    colum: id\n"
    )
    with pytest.raises(ContractError, match=r"silver\.users\.yml:4: expectation column_values_to_be_between"):
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


SILVER_ORDERS = pd.DataFrame(
    {
        "order_id": [1, 2, 3],
        "user_id": [10, 11, 12],
        "order_ts": [dt.datetime(2026, 3, 1)] * 3,
        "amount": [12.5, 0.0, 99.0],
        "status": ["placed", "shipped", "completed"],
    }
)
GOLD_USERS = pd.DataFrame(
    {
        "user_id": [1, 2],
        "email": ["a@example.com", "b@example.com"],
        "full_name": ["A", "B"],
        "ssn": ["900-00-0001", "900-00-0002"],
        "country": ["US", "unknown"],
        "signup_ts": pd.to_datetime(["2026-01-01", "2026-01-02"]),
        "order_count": [1, 0],
        "lifetime_value": [12.5, 0.0],
        "last_order_ts": pd.to_datetime(["2026-01-03", None]),
    }
)


@pytest.mark.parametrize("path", sorted(CONTRACTS_DIR.glob("*.yml")), ids=lambda p: p.stem)
def test_every_column_a_contract_judges_has_a_null_rule(path: Path) -> None:
    """The loader enforces it; this says the shipped contracts carry one per judged column."""
    import great_expectations.expectations as gxe

    from lakehouse.contracts import _class_name

    contract = load_contract(path)
    ruled = {e.kwargs["column"] for e in contract.expectations if e.null_rule}
    for e in contract.expectations:
        if e.name not in NULL_EXPECTATIONS:
            assert set(judged_columns(getattr(gxe, _class_name(e.name))(**e.kwargs))) <= ruled


@pytest.mark.parametrize(
    "expectation",
    [
        "  - expect: column_values_to_be_between\n    column: amount\n    min_value: 0\n",
        "  - expect: column_values_to_match_regex\n    column: amount\n    regex: '^1$'\n",
        "  - expect: column_values_to_be_in_set\n    column: amount\n    value_set: [1]\n",
        "  - expect: column_values_to_be_unique\n    column: amount\n",
        "  - expect: column_mean_to_be_between\n    column: amount\n    min_value: 0\n",
        "  - expect: compound_columns_to_be_unique\n    column_list: [order_id, amount]\n",
    ],
    ids=["range", "regex", "set", "unique", "aggregate", "compound"],
)
def test_a_contract_judging_a_column_without_a_null_rule_is_refused(tmp_path: Path, expectation: str) -> None:
    bad = tmp_path / "silver.orders.yml"
    bad.write_text(f"table: silver.orders\ncolumns:\n  order_id: {{nullable: false}}\nexpectations:\n{expectation}")
    with pytest.raises(ContractError) as err:
        load_contract(bad)
    assert str(err.value).startswith(f"{bad}:5: field `column`: expectation ")
    assert "skips NULLs, so amount needs a null rule under `columns:`" in str(err.value)


def test_null_rules_are_said_once_and_bounded(tmp_path: Path) -> None:
    bad = tmp_path / "silver.orders.yml"
    bad.write_text(
        "table: silver.orders\nexpectations:\n  - expect: column_values_to_not_be_null\n    column: amount\n"
    )
    with pytest.raises(ContractError, match=r"silver\.orders\.yml:3: field `expect`: say null rules under `columns:`"):
        load_contract(bad)
    bad.write_text("table: silver.orders\ncolumns:\n  amount: {max_null_fraction: 1}\n")
    with pytest.raises(ContractError, match=r"yml:3: field `columns.amount`: max_null_fraction must be >= 0 and < 1"):
        load_contract(bad)
    bad.write_text("table: silver.orders\ncolumns:\n  amount: {nullable: true}\n")
    with pytest.raises(ContractError, match=r"yml:3: field `columns.amount`: a null rule is `nullable: false` or"):
        load_contract(bad)
    bad.write_text("table: silver.orders\ncolumns:\n  amount:\n    max_null_fraction: 0.25\n")
    (rule,) = load_contract(bad).expectations
    assert (rule.name, rule.kwargs, rule.line, rule.null_rule) == (
        "column_values_to_not_be_null",
        {"column": "amount", "mostly": 0.75},
        4,
        "max_null_fraction: 0.25",
    )


def test_silver_orders_with_every_amount_null_fails_naming_the_column() -> None:
    contract = load_contract(CONTRACTS_DIR / "silver.orders.yml")
    assert check_contract(contract, SILVER_ORDERS, counts=lambda table: 3).success
    frame = SILVER_ORDERS.assign(amount=[None] * 3)
    result = check_contract(contract, frame, counts=lambda table: 3)
    assert not result.success
    assert result.failures() == [
        "silver.orders.amount: expect_column_values_to_not_be_null failed for 3 of 3 row(s) "
        "(null rule `nullable: false`, silver.orders.yml:7)"
    ]


def test_gold_users_with_every_ssn_null_fails_naming_the_column() -> None:
    contract = load_contract(CONTRACTS_DIR / "gold.users.yml")
    assert check_contract(contract, GOLD_USERS, counts=lambda table: 2, matcher=same_rows).success
    result = check_contract(contract, GOLD_USERS.assign(ssn=[None, None]), counts=lambda table: 2, matcher=same_rows)
    assert result.failures() == [
        "gold.users.ssn: expect_column_values_to_not_be_null failed for 2 of 2 row(s) "
        "(null rule `nullable: false`, gold.users.yml:5)"
    ]


def test_a_null_fraction_allows_that_share_and_no_more(tmp_path: Path) -> None:
    path = tmp_path / "silver.orders.yml"
    path.write_text(
        "table: silver.orders\ncolumns:\n  amount: {max_null_fraction: 0.4}\n"
        "expectations:\n  - expect: column_values_to_be_between\n    column: amount\n    min_value: 0\n"
    )
    contract = load_contract(path)
    one_null = SILVER_ORDERS.assign(amount=[None, 1.0, 2.0])
    assert check_contract(contract, one_null, counts=lambda table: 3).success
    two_null = SILVER_ORDERS.assign(amount=[None, None, 2.0])
    assert check_contract(contract, two_null, counts=lambda table: 3).failures() == [
        "silver.orders.amount: expect_column_values_to_not_be_null failed for 2 of 3 row(s) "
        "(null rule `max_null_fraction: 0.4`, silver.orders.yml:3)"
    ]


def test_the_check_names_every_violation_in_its_reason() -> None:
    contracts = [load_contract(CONTRACTS_DIR / f"{t}.yml") for t in ("silver.orders", "gold.users")]
    frames = {"silver.orders": SILVER_ORDERS.assign(amount=[None] * 3), "gold.users": GOLD_USERS.assign(ssn=[None] * 2)}
    counts = {"bronze.orders_csv": 3, "silver.users": 2}
    built = ["silver.orders", "gold.users", "silver.users"]
    # A relation names a table whose rows it cannot count: that part is not judged, the contract's other parts and
    # the other contracts are, and the table without a contract fails the check all the same, what could not be
    # counted (or compared: no Athena) named beside.
    outcome = judge_contracts(built, contracts, {**frames}, 66.7, ["silver.users"], outputs=None)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and outcome.reason.startswith(
        "no data contract for silver.users; data contract violated: silver.orders.amount: "
    )
    assert "; gold.users.ssn: expect_column_values_to_not_be_null failed for 2 of 2 row(s)" in outcome.reason
    assert outcome.reason.endswith(
        "; and could not be judged: silver.orders: no rows of bronze.orders_csv to count; gold.users: no rows of "
        "silver.users to count; no Athena connection to compare gold.users with its `matches` query"
    )
    healthy = {"silver.orders": SILVER_ORDERS, "gold.users": GOLD_USERS}
    unsure = judge_contracts(built[:2], contracts, healthy, 100.0, [], outputs=None)  # nothing shown wrong
    assert unsure.status is Status.ERROR
    assert unsure.reason == (
        "no rows of bronze.orders_csv to count; no rows of silver.users to count; no Athena connection to compare "
        "gold.users with its `matches` query"
    )
    frames.update({name: pd.DataFrame({"x": range(n)}) for name, n in counts.items()})
    outcome = judge_contracts(built, contracts, frames, 66.7, ["silver.users"], matcher=same_rows)
    assert outcome.status is Status.FAILED and outcome.reason is not None
    assert outcome.reason.startswith(
        "no data contract for silver.users; data contract violated: silver.orders.amount: "
    )
    assert "; gold.users.ssn: expect_column_values_to_not_be_null failed for 2 of 2 row(s)" in outcome.reason


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
    assert "silver.users.user_id: expect_column_values_to_be_unique failed for 2 of 3 row(s) (e.g. [1, 1])" in failures
    assert (
        "silver.users.email: expect_column_values_to_match_regex failed for 1 of 3 row(s) (e.g. ['nope'])" in failures
    )
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


def test_the_gold_tables_a_demo_query_reads_are_named_from_its_sql() -> None:
    from lakehouse.checks.data_loop import gold_tables_read

    healthy = "SELECT order_date, country FROM lh_1_gold.daily_revenue ORDER BY 1 LIMIT 20"
    assert gold_tables_read(healthy, "lh_1_gold") == ["lh_1_gold.daily_revenue"]
    assert gold_tables_read("SELECT DATE '2026-03-01', 'US', 1, 444.15", "lh_1_gold") == []
    union = "SELECT * FROM lh_1_silver.orders UNION ALL SELECT * FROM LH_1_GOLD.users"
    assert gold_tables_read(union, "lh_1_gold") == ["lh_1_gold.users"]
    cte = "WITH daily_revenue AS (SELECT DATE '2026-03-01' AS d) SELECT * FROM daily_revenue"
    assert gold_tables_read(cte, "lh_1_gold") == []


def test_the_demo_query_without_its_row_reads_each_holding_gold_table_minus_that_row() -> None:
    """``without_row`` keeps aliases (the demo's column references resolve) and leaves other tables alone."""
    from lakehouse.checks.data_loop import without_row

    found = {"order_date": dt.date(2026, 3, 1), "country": "US", "orders": 1, "revenue": Decimal("444.15")}
    sql = (
        "SELECT d.order_date, d.country, d.orders, d.revenue FROM LH_1_GOLD.daily_revenue d "
        "JOIN lh_1_silver.orders o ON o.order_date = d.order_date JOIN lh_1_gold.daily_revenue ON true"
    )
    probe = without_row(sql, {"lh_1_gold.daily_revenue": found})
    minus = (
        "WHERE NOT COALESCE(\"order_date\" = CAST('2026-03-01' AS DATE) AND \"country\" = 'US' "
        'AND "orders" = 1 AND "revenue" = 444.15, FALSE))'
    )
    assert f"FROM (SELECT * FROM LH_1_GOLD.daily_revenue {minus} AS d " in probe
    assert f"JOIN (SELECT * FROM lh_1_gold.daily_revenue {minus} AS daily_revenue ON TRUE" in probe
    assert "JOIN lh_1_silver.orders AS o ON" in probe, "a table that does not hold the row is read as it is"
    with_null = without_row("SELECT * FROM g.t", {"g.t": {"note": None, "n": 2}})
    assert 'WHERE NOT COALESCE("note" IS NULL AND "n" = 2, FALSE)' in with_null
    qualified = without_row('SELECT * FROM awsdatacatalog."g"."t"', {"g.t": {"n": 2}})
    assert qualified.startswith('SELECT * FROM (SELECT * FROM awsdatacatalog."g"."t" WHERE NOT'), qualified


def test_a_violation_fails_the_check_though_another_contract_cannot_be_judged() -> None:
    """Before the fix the contract that could not be judged made the check ``error``, dropping the violation."""
    contracts = [load_contract(CONTRACTS_DIR / f"{t}.yml") for t in ("silver.orders", "gold.daily_revenue")]
    frames = {
        "silver.orders": SILVER_ORDERS.assign(amount=[None] * 3),
        "bronze.orders_csv": pd.DataFrame({"x": range(3)}),
        "gold.daily_revenue": pd.DataFrame(
            {"order_date": [dt.date(2026, 3, 1)], "country": ["US"], "orders": [1], "revenue": [444.15]}
        ),
        "gold.orders_enriched": pd.DataFrame({"x": [1]}),  # its row-count relation's size
    }
    built = ["silver.orders", "gold.daily_revenue"]
    outcome = judge_contracts(built, contracts, frames, 100.0, [])  # no Athena: gold's `matches` cannot run
    assert outcome.status is Status.FAILED, outcome.reason
    assert str(outcome.reason).startswith("data contract violated: silver.orders.amount: ")
    assert str(outcome.reason).endswith(
        "; and could not be judged: gold.daily_revenue: no Athena connection to compare gold.daily_revenue with its "
        "`matches` query"
    )
    assert list(outcome.details["unreadable"]) == ["gold.daily_revenue"]
