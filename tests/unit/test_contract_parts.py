"""Each part of a data contract is judged on its own: one part that cannot be read hides no violation beside it.

Before, a row-count relation whose other table could not be counted, or a ``matches`` comparison that could not
run, dropped every result of that contract: a violated null rule in the same contract never reached the evidence,
and the check said ``error`` where the table had failed.
"""

from __future__ import annotations

import pandas as pd

from lakehouse.checks.data_loop import TableUnreadable, judge_contracts
from lakehouse.contracts import CONTRACTS_DIR, check_contract, load_contract
from lakehouse.outcome import Status
from lakehouse.reconcile import EXPECTATION, RowDiff
from tests.unit.test_contracts_and_data_loop import GOLD_USERS, SILVER_ORDERS

ORDERS = load_contract(CONTRACTS_DIR / "silver.orders.yml")  # at_most bronze.orders_csv; amount: nullable: false
USERS = load_contract(CONTRACTS_DIR / "gold.users.yml")  # equals silver.users; matches; ssn regex and not-null
NO_AMOUNT = SILVER_ORDERS.assign(amount=[None] * 3)


def _entries(outcome_contract: dict[str, object]) -> list[dict[str, object]]:
    entries = outcome_contract["expectations"]
    assert isinstance(entries, list)
    return entries


def _status_of(entries: list[dict[str, object]], expectation: str, column: str | None = None) -> list[object]:
    return [e["status"] for e in entries if e["expectation"] == expectation and e.get("column") == column]


def test_a_broken_count_read_and_a_null_violation_in_one_contract_both_appear() -> None:
    # No frame of bronze.orders_csv and no Athena: the relation's size cannot be read.
    outcome = judge_contracts(["silver.orders"], [ORDERS], {"silver.orders": NO_AMOUNT}, 100.0, [], outputs=None)
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        "data contract violated: silver.orders.amount: expect_column_values_to_not_be_null failed for 3 of 3 row(s) "
        "(null rule `nullable: false`, silver.orders.yml:7); "
        "and could not be judged: silver.orders: no rows of bronze.orders_csv to count"
    )
    (judged,) = outcome.details["contracts"]
    assert (judged["table"], judged["status"], judged["success"]) == ("silver.orders", "failed", False)
    entries = _entries(judged)
    assert _status_of(entries, "expect_column_values_to_not_be_null", "amount") == ["failed"]
    (count,) = [e for e in entries if e["status"] == "error"]
    assert count == {
        "expectation": "expect_table_row_count_to_be_between",
        "success": False,
        "status": "error",
        "details": "no rows of bronze.orders_csv to count",
    }
    assert _status_of(entries, "expect_column_values_to_be_unique", "order_id") == ["passed"]
    assert _status_of(entries, "expect_table_row_count_to_be_between") == ["passed", "error"], "at_least 1 judged"
    assert len(entries) == len(ORDERS.expectations) + len(ORDERS.row_count)
    assert outcome.details["unreadable"] == {"silver.orders": "no rows of bronze.orders_csv to count"}


def test_a_broken_matches_read_and_a_regex_and_null_violation_in_one_contract_all_appear() -> None:
    def unreadable(contract: object, columns: list[str]) -> RowDiff:
        raise TableUnreadable("comparing gold.users with its `matches` query (gold.users.yml:21) failed: boom")

    broken = GOLD_USERS.assign(ssn=[None, "not-an-ssn"])
    frames = {"gold.users": broken, "silver.users": pd.DataFrame({"x": range(2)})}
    outcome = judge_contracts(["gold.users"], [USERS], frames, 100.0, [], matcher=unreadable)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert "gold.users.ssn: expect_column_values_to_not_be_null failed for 1 of 2 row(s)" in reason
    assert (
        "gold.users.ssn: expect_column_values_to_match_regex failed for 1 of 2 row(s) (e.g. ['not-an-ssn'])" in reason
    )
    assert reason.endswith(
        "; and could not be judged: gold.users: comparing gold.users with its `matches` query "
        "(gold.users.yml:21) failed: boom"
    )
    entries = _entries(outcome.details["contracts"][0])
    assert _status_of(entries, EXPECTATION) == ["error"]
    assert _status_of(entries, "expect_table_row_count_to_equal") == ["passed"]


def test_a_part_that_cannot_be_read_is_an_error_never_a_pass_and_every_part_is_listed() -> None:
    outcome = judge_contracts(["silver.orders"], [ORDERS], {"silver.orders": SILVER_ORDERS}, 100.0, [], outputs=None)
    assert outcome.status is Status.ERROR
    assert outcome.reason == "no rows of bronze.orders_csv to count"
    (judged,) = outcome.details["contracts"]
    assert (judged["status"], judged["success"]) == ("error", False)
    statuses = [e["status"] for e in _entries(judged)]
    assert statuses.count("error") == 1 and statuses.count("passed") == len(statuses) - 1


def test_the_healthy_twin_passes_with_every_part_passed() -> None:
    frames = {"silver.orders": SILVER_ORDERS, "bronze.orders_csv": pd.DataFrame({"x": range(3)})}
    outcome = judge_contracts(["silver.orders"], [ORDERS], frames, 100.0, [], outputs=None)
    assert outcome.passed, outcome.reason
    (judged,) = outcome.details["contracts"]
    assert judged["status"] == "passed" and {e["status"] for e in _entries(judged)} == {"passed"}
    frames = {"gold.users": GOLD_USERS, "silver.users": pd.DataFrame({"x": range(2)})}
    same = judge_contracts(["gold.users"], [USERS], frames, 100.0, [], matcher=lambda c, cols: RowDiff(cols))
    assert same.passed, same.reason


def test_a_table_that_cannot_be_read_lists_every_part_of_its_contract_as_error() -> None:
    why = "reading lh_silver.orders failed: TABLE_NOT_FOUND"
    outcome = judge_contracts(["silver.orders"], [ORDERS], {}, 100.0, [], unreadable={"silver.orders": why})
    assert outcome.status is Status.ERROR and outcome.reason == why
    (judged,) = outcome.details["contracts"]
    assert (judged["status"], judged["rows"]) == ("error", None)
    entries = _entries(judged)
    assert len(entries) == len(ORDERS.expectations) + len(ORDERS.row_count)
    assert {(e["status"], e["details"]) for e in entries} == {("error", why)}


def test_an_expectation_great_expectations_cannot_evaluate_fails_saying_why() -> None:
    """The rows were read and lack the column the null rule judges: the table fails it (never a silent pass)."""
    result = check_contract(ORDERS, SILVER_ORDERS.drop(columns=["amount"]), counts=lambda table: 3)
    assert result.status == "failed"
    (line,) = [f for f in result.failures() if f.startswith("silver.orders.amount: expect_column_values_to_not_be")]
    assert 'could not be evaluated on the table\'s rows: Error: The column "amount" in BatchData does not exist' in line
