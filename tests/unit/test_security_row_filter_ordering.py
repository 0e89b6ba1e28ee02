"""Exit check 6: a row filter ``x > c OR x <= c`` (an ordering and its complement) lets every row through.

The broken stacks are those of ``test_security_row_filter_column_tautology``: the analyst holds ``user_id`` by a
column grant and ``country`` through data cells filter ``cells``, credential vending on. ``x > 1 OR x <= 1`` is
TRUE for every row where ``x`` is neither NULL nor NaN: on a NOT NULL column of an integer, decimal or string type
(Glue's types, read back with the table) it is every row, and main counted it as restricting rows. The healthy twins:
the same on a ``double`` column (Trino compares NaN false both ways: the NaN rows are dropped), on a nullable
column (the NULL rows are dropped), two orderings that leave a gap, and a table whose types were not read.
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from tests.unit.test_security_full_table_access import PUBLIC
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access, _stack

#: Complementary orderings, in each spelling, over ``user_id``.
COMPLEMENTS = [
    "user_id > 1 OR user_id <= 1",
    "user_id >= 10 OR user_id < 10",
    "(10 < user_id) OR (user_id <= 10)",
    "user_id > -1 OR -1 >= user_id",
    "country = 'DE' OR user_id < 5 OR user_id >= 5",
]
#: Each NaN-free Glue type, with a constant Trino compares it with (``user_id > '1'`` on a ``bigint`` is no
#: tautology but an error: ``test_security_row_filter_type_mismatch``).
NAN_FREE = {
    "bigint": "1",
    "int": "1",
    "decimal(10,2)": "1",
    "string": "'m'",
    "varchar(20)": "'m'",
    "date": "DATE '2024-01-01'",
    "timestamp": "TIMESTAMP '2024-01-01 00:00:00'",
}


def _typed(expression: str, kind: str, required: set[str] | None = None) -> SecurityReadback:
    """The broken stack of ``_stack`` with ``user_id`` of Glue type ``kind`` (NOT NULL unless ``required`` says)."""
    rb = _stack(expression, {"user_id"} if required is None else required)
    (probe,) = [p for p in rb.value_probes if p.table.name == PUBLIC]
    probe.table.types = {"user_id": kind, "country": "string"}
    return rb


@pytest.mark.parametrize("expression", COMPLEMENTS)
def test_complementary_orderings_on_a_not_null_bigint_assemble_full_table_access(expression: str) -> None:
    reason = _fails_with_full_access(_typed(expression, "bigint"), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize("kind", NAN_FREE)
def test_every_nan_free_type_orders_every_row(kind: str) -> None:
    expression = f"user_id > {NAN_FREE[kind]} OR user_id <= {NAN_FREE[kind]}"
    _fails_with_full_access(_typed(expression, kind.upper() if kind == "bigint" else kind), expression)


def test_beside_is_null_a_nullable_column_is_every_row_too() -> None:
    expression = "user_id > 1 OR user_id <= 1 OR user_id IS NULL"
    _fails_with_full_access(_typed(expression, "int", required=set()), expression)


@pytest.mark.parametrize("kind", ["double", "float", "DOUBLE"])
@pytest.mark.parametrize("expression", COMPLEMENTS)
def test_healthy_twin_on_a_double_the_nan_rows_are_dropped(expression: str, kind: str) -> None:
    assert judge_security(_typed(expression, kind)).passed


@pytest.mark.parametrize("expression", COMPLEMENTS)
def test_healthy_twin_on_a_nullable_column_the_null_rows_are_dropped(expression: str) -> None:
    assert judge_security(_typed(expression, "bigint", required=set())).passed


@pytest.mark.parametrize(
    "expression", ["user_id > 1 OR user_id < 1", "user_id >= 2 OR user_id <= 0", "user_id > 1 OR country <= 'x'"]
)
def test_healthy_twin_orderings_with_a_gap_restrict(expression: str) -> None:
    assert judge_security(_typed(expression, "bigint")).passed


def test_without_the_column_types_no_ordering_counts_as_a_complement() -> None:
    assert every_row({"FilterExpression": "user_id > 1 OR user_id <= 1"}, {"user_id"}) is None
    assert every_row({"FilterExpression": "user_id > 1 OR user_id <= 1"}, {"user_id"}, {"user_id": "bigint"})
