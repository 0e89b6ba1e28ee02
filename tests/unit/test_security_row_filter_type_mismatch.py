"""Exit check 6: a row filter Athena cannot run (a column compared with a constant of no common type) is its own
finding, neither "every row" nor a filter that narrows.

The stacks are those of ``test_security_row_filter_column_tautology``: the analyst holds ``user_id`` by a column
grant and ``country`` through data cells filter ``cells``, ``user_id`` NOT NULL of the Glue type each case names.
Trino refuses ``user_id > '1'`` on a ``bigint`` ("Cannot apply operator: bigint > varchar(1)", TYPE_MISMATCH), so
``user_id > '1' OR user_id <= '1'`` admits no row: every analyst query through the filter fails. Main read it as
"every row" (full table access, a leak that is not there), and read ``country = 1`` as a filter that narrows: the
check passed a stack whose analyst reads nothing of the table. The healthy twins: the same orderings with constants
of the column's type (``user_id > 1 OR user_id <= 1`` is every row; ``user_id > 1`` narrows), a ``char`` against a
string, a ``timestamp`` against a ``DATE``, and a table whose types were not read (never judged on a guess).
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.row_filter_types import refused
from lakehouse.checks.security import judge_security
from tests.unit.test_security import ANALYST, DB
from tests.unit.test_security_full_table_access import PUBLIC
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access
from tests.unit.test_security_row_filter_ordering import _typed

#: (Glue type of ``user_id``, a row filter Trino refuses on it, Trino's words).
REFUSED = [
    ("bigint", "user_id > '1' OR user_id <= '1'", "Cannot apply operator: bigint > varchar(1)"),
    ("int", "user_id >= '5' OR user_id < '5'", "Cannot apply operator: integer >= varchar(1)"),
    ("decimal(10,2)", "user_id = '1.00'", "Cannot apply operator: decimal(10,2) = varchar(4)"),
    ("date", "user_id >= '2024-01-02' OR user_id <= '2024-01-01'", "Cannot apply operator: date >= varchar(10)"),
    ("boolean", "user_id = 'true'", "Cannot apply operator: boolean = varchar(4)"),
    ("bigint", "country = 'DE' OR user_id IN (1, 'a')", "IN value and list items must be the same type: bigint"),
    ("bigint", "user_id BETWEEN '1' AND '9'", "Cannot check if bigint is BETWEEN varchar(1) and varchar(1)"),
    ("string", "country = 1", "Cannot apply operator: varchar = integer"),
]


def _refused_reason(kind: str, expression: str, words: str) -> str:
    outcome = judge_security(_typed(expression, kind))
    assert not outcome.passed, f"row filter {expression!r} on a {kind} passed: Athena cannot run it"
    grants = outcome.details["problems"]["grants"]
    (reason,) = [p for p in grants if "Athena cannot run" in p]
    assert not [p for p in grants if "credential vending" in p], grants  # no row is read: no full table access
    return reason


@pytest.mark.parametrize(("kind", "expression", "words"), REFUSED)
def test_a_row_filter_athena_cannot_run_is_its_own_finding(kind: str, expression: str, words: str) -> None:
    reason = _refused_reason(kind, expression, words)
    assert f"the analyst holds SELECT on {DB}.{PUBLIC} through data cells filter cells" in reason, reason
    assert f"row filter {expression!r} Athena cannot run on the table's Glue types ({words}, TYPE_MISMATCH)" in reason
    assert "the analyst reads none of its rows" in reason, reason


@pytest.mark.parametrize(("kind", "expression", "words"), REFUSED)
def test_a_row_filter_athena_cannot_run_admits_no_row(kind: str, expression: str, words: str) -> None:
    types = {"user_id": kind, "country": "string"}
    assert refused({"FilterExpression": expression}, types) == words
    assert every_row({"FilterExpression": expression}, {"user_id", "country"}, types) is None


@pytest.mark.parametrize(
    ("kind", "expression"),
    [
        ("bigint", "user_id > 1"),
        ("bigint", "user_id > 1.5 AND country = 'DE'"),
        ("char(3)", "user_id = 'ab'"),  # char and varchar have a common type
        ("timestamp", "user_id >= DATE '2024-01-01'"),  # so have timestamp and date
        ("bigint", "user_id = NULL OR country = 'DE'"),  # NULL coerces to anything
        ("struct<n:int>", "user_id.n = 1"),
    ],
)
def test_healthy_twin_constants_athena_compares_with_the_column_narrow(kind: str, expression: str) -> None:
    assert refused({"FilterExpression": expression}, {"user_id": kind, "country": "string"}) is None
    outcome = judge_security(_typed(expression, kind))
    assert outcome.passed, outcome.reason


def test_healthy_twin_the_same_orderings_with_constants_of_the_column_s_type_are_every_row() -> None:
    expression = "user_id > 1 OR user_id <= 1"
    _fails_with_full_access(_typed(expression, "bigint"), expression)


def test_healthy_twin_without_the_column_types_nothing_is_refused() -> None:
    expression = "user_id > '1' OR user_id <= '1'"
    assert refused({"FilterExpression": expression}, {}) is None
    rb = _typed(expression, "bigint")
    for table in [*rb.tables(), *rb.unlisted_tables()]:
        table.types = {}
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


def test_a_refused_filter_granted_to_another_principal_is_not_the_analyst_s() -> None:
    rb = _typed("user_id > '1' OR user_id <= '1'", "bigint")
    for grant in rb.grants:
        if "DataCellsFilter" in (grant.get("Resource") or {}):
            grant["Principal"] = {"DataLakePrincipalIdentifier": ANALYST.replace("lh-analyst", "someone-else")}
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason
