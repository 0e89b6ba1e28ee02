"""The accounting invariant's judge, the duplicate-key report and the landing split, without a stack."""

from __future__ import annotations

from pathlib import Path

from lakehouse.checks.data_loop import check_accounting
from lakehouse.outcome import Status
from lakehouse.pipeline.accounting import FAMILIES, counts_sql, judge, problems_sql
from lakehouse.pipeline.landing import inspect
from lakehouse.pipeline.runner import PipelineResult

LINES = list(range(2, 12))  # ten data lines, the header is line 1


def healthy() -> list[tuple[object, ...]]:
    return [
        ("silver", None, 7),
        ("rejected", "email malformed", 1),
        ("rejected", "duplicate key, superseded by line 9", 1),
    ]


def test_lines_that_add_up_pass_with_the_table_row() -> None:
    account = judge("users.csv", LINES, [11], 9, healthy(), [], "silver.users")
    assert account.ok and account.lines_out == 10
    assert account.row() == ("users.csv: 10 in = 1 landing report + 2 rejected + 7 in silver.users = 10 out")


def test_a_line_missing_from_every_table_is_named() -> None:
    counts = [("silver", None, 6), *healthy()[1:]]
    account = judge("users.csv", LINES, [11], 9, counts, [(4, 1, 0, None)], "silver.users")
    assert not account.ok
    assert account.problems == ["users.csv:4: missing (in Bronze 1 time(s), in no table after it)"]


def test_a_line_counted_twice_is_named_with_its_places() -> None:
    counts = [("silver", None, 8), *healthy()[1:]]
    account = judge("users.csv", LINES, [11], 9, counts, [(5, 1, 2, "silver, rejected")], "silver.users")
    assert account.problems == ["users.csv:5: counted 2 times (silver, rejected)"]


def test_a_line_quarantined_at_landing_and_loaded_is_named() -> None:
    account = judge("users.csv", LINES, [11], 10, healthy(), [(11, 1, 1, "silver")], "silver.users")
    assert "users.csv:11: quarantined at landing and also in silver" in account.problems
    assert "users.csv: landing put 9 line(s) in Bronze but the Bronze table reads 10 row(s)" in account.problems


def test_a_line_the_file_never_had_is_named() -> None:
    account = judge("users.csv", LINES, [11], 9, healthy(), [(99, 0, 1, "rejected")], "silver.users")
    assert account.problems == ["users.csv:99: is no data line of the file, yet in rejected"]


def test_counts_that_do_not_add_up_fail_even_without_a_line_to_blame() -> None:
    account = judge("users.csv", LINES, [11], 9, healthy()[:1], [], "silver.users")
    assert account.problems == ["users.csv: 10 line(s) in, 8 accounted for (no single line to blame)"]


def test_check_accounting_fails_naming_the_lines_and_keeps_the_table() -> None:
    result = PipelineResult()
    result.accounting = [judge("orders.csv", LINES, [], 10, [("silver", None, 9)], [(7, 1, 0, None)], "silver.orders")]
    outcome = check_accounting(result)
    assert outcome.status is Status.FAILED
    assert (
        outcome.reason == "input lines do not add up: orders.csv:7: missing (in Bronze 1 time(s), in no table after it)"
    )
    assert outcome.details["accounting_table"] == [
        "orders.csv: 10 in = 0 landing report + 0 rejected + 9 in silver.orders = 9 out  <- does not add up"
    ]


def test_check_accounting_without_an_accounting_is_error() -> None:
    result = PipelineResult(ok=False, error="30_gold.sql:42: MERGE_TARGET_ROW_MULTIPLE_MATCHES")
    outcome = check_accounting(result)
    assert outcome.status is Status.ERROR and "MERGE_TARGET_ROW_MULTIPLE_MATCHES" in (outcome.reason or "")


def test_the_accounting_queries_name_the_stack_tables() -> None:
    def name(table: str) -> str:
        return "db_" + table

    sql = counts_sql(FAMILIES["orders.csv"], name) + problems_sql(FAMILIES["orders.csv"], name)
    for table in ("db_bronze.orders_csv", "db_silver.orders_staged", "db_silver.orders_rejected", "db_silver.orders"):
        assert table in sql


def test_landing_quarantines_bad_lines_and_numbers_the_good_ones(tmp_path: Path) -> None:
    raw = (
        b"\xef\xbb\xbfid,name,amount\r\n"  # BOM and CRLF: as the sample
        b"1,a,1.00\r\n"
        b"2,b,2.00,extra\r\n"  # one field too many: not loaded with the field dropped
        b"3,\xff,3.00\r\n"  # not UTF-8: this line only
        b'4,"two\nlines",4.00\r\n'  # Athena's CSV reader reads one line per row
        b"6,c\\d,6.00\r\n"
    )
    found = inspect("orders.csv", raw)
    assert [n for n, _ in found.good] == [2, 7]
    assert [str(m) for m in found.malformed] == [
        "orders.csv:3: expected 3 fields (as the header), found 4",
        "orders.csv:4: not UTF-8 (in name)",
        "orders.csv:5: line break inside a value (in name): Athena reads one line per row",
    ]
    assert found.lines == [2, 3, 4, 5, 7]
    assert found.bronze_csv() == b"id,name,amount,source_line\n1,a,1.00,2\n6,c\\\\d,6.00,7\n"
