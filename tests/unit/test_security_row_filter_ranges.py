"""Exit check 6: ranges that overlap or touch (``x > 1 OR x <= 2``) let every row through; ``x = x`` drops NaN.

The broken stacks are those of ``test_security_row_filter_column_tautology``: the analyst holds ``user_id`` by a
column grant and ``country`` through data cells filter ``cells``, credential vending on. Comparisons of a NOT NULL
column of a NaN-free type (Glue's types, read back with the table) with constants of that type whose ranges leave no
value out are TRUE for every row: ``x > 1 OR x <= 2``, ``x < 3 OR x = 3 OR x > 3``, and on integers and dates
``x >= 1 OR x <= 0`` (no integer lies between), ``x BETWEEN 1 AND 5 OR x < 1 OR x > 5``. Main read them as
restricting rows. The healthy twins: a gap, a nullable column (NULL rows dropped), a ``double`` (NaN orders neither
way), a constant of another type.

And the other way: ``x = x`` on a NOT NULL ``double`` is FALSE where ``x`` is NaN (Trino: NaN equals nothing, not
even itself), so it restricts rows; main folded it to TRUE and failed the healthy stack.
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access
from tests.unit.test_security_row_filter_ordering import _typed

#: Ranges over a ``bigint`` ``user_id`` that leave no integer out.
COVERING = [
    "user_id > 1 OR user_id <= 2",
    "user_id >= 1 OR user_id < 5",
    "user_id < 10 OR user_id > 3",
    "user_id >= 1 OR user_id <= 0",
    "user_id < 3 OR user_id = 3 OR user_id > 3",
    "user_id < 3 OR user_id IN (3, 4) OR user_id > 3",
    "user_id <> 3 OR user_id >= 3",
    "-1 < user_id OR user_id < 0",
    "country = 'DE' OR (user_id < 5) OR 2 < user_id",
    "user_id BETWEEN 1 AND 5 OR user_id < 2 OR user_id > 4",
    "user_id BETWEEN 1 AND 5 OR user_id < 1 OR user_id > 5",
]
#: Covering ranges for each other NaN-free type read: (Glue type, row filter).
COVERING_BY_TYPE = [
    ("int", "user_id >= 1 OR user_id <= 0"),
    ("tinyint", "user_id > 0 OR user_id < 1"),
    ("decimal(10,2)", "user_id >= 1 OR user_id <= 1.5"),
    ("decimal(10,2)", "user_id > 1.25 OR user_id <= 1.25"),
    ("decimal(10,2)", "user_id < 5 OR (user_id > 5 AND user_id <= 9) OR (user_id BETWEEN 5 AND 7) OR user_id > 8"),
    ("string", "user_id > 'a' OR user_id <= 'b'"),
    ("varchar(20)", "user_id < 'm' OR user_id = 'm' OR user_id > 'm'"),
    ("date", "user_id >= DATE '2024-01-02' OR user_id <= DATE '2024-01-01'"),
]
#: Ranges that leave a value out, by Glue type.
GAPS = [
    ("bigint", "user_id > 2 OR user_id < 1"),
    ("bigint", "user_id >= 2 OR user_id <= 0"),
    ("bigint", "user_id < 3 OR user_id > 3"),
    ("bigint", "user_id > 1 OR country <= 'x'"),
    ("bigint", "user_id BETWEEN 1 AND 5 OR user_id < 0 OR user_id > 5"),
    ("bigint", "user_id BETWEEN 5 AND 1 OR user_id < 1 OR user_id > 5"),
    ("bigint", "(user_id >= 1 AND country = 'DE') OR user_id < 1"),
    ("decimal(10,2)", "user_id >= 1 OR user_id <= 0"),
    ("string", "user_id > 'b' OR user_id < 'a'"),
    ("string", "user_id > 'a' OR user_id < 'a'"),
    ("date", "user_id >= DATE '2024-01-03' OR user_id <= DATE '2024-01-01'"),
]


@pytest.mark.parametrize("expression", COVERING)
def test_covering_ranges_on_a_not_null_bigint_assemble_full_table_access(expression: str) -> None:
    reason = _fails_with_full_access(_typed(expression, "bigint"), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize(("kind", "expression"), COVERING_BY_TYPE)
def test_covering_ranges_on_every_nan_free_type_assemble_full_table_access(kind: str, expression: str) -> None:
    _fails_with_full_access(_typed(expression, kind), expression)


def test_beside_is_null_covering_ranges_on_a_nullable_column_are_every_row() -> None:
    expression = "user_id > 1 OR user_id <= 2 OR user_id IS NULL"
    _fails_with_full_access(_typed(expression, "bigint", required=set()), expression)


@pytest.mark.parametrize(("kind", "expression"), GAPS)
def test_healthy_twin_ranges_with_a_gap_restrict(kind: str, expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": kind}) is None
    assert judge_security(_typed(expression, kind)).passed


@pytest.mark.parametrize("expression", COVERING)
def test_healthy_twin_covering_ranges_on_a_nullable_column_drop_the_null_rows(expression: str) -> None:
    assert judge_security(_typed(expression, "bigint", required=set())).passed


@pytest.mark.parametrize("kind", ["double", "float"])
@pytest.mark.parametrize("expression", [e for e in COVERING if "<>" not in e])
def test_healthy_twin_covering_ranges_on_a_double_drop_the_nan_rows(expression: str, kind: str) -> None:
    assert judge_security(_typed(expression, kind)).passed


@pytest.mark.parametrize(
    ("kind", "expression"),
    [
        ("date", "user_id >= '2024-01-02' OR user_id <= '2024-01-01'"),  # Trino compares no varchar with a date
        ("string", "user_id > 1 OR user_id <= 2"),  # nor a number with a varchar
        ("bigint", "user_id > 1e0 OR user_id <= 2e0"),  # a double constant: the comparison is in double
    ],
)
def test_healthy_twin_constants_of_another_type_are_not_read_as_ranges(kind: str, expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": kind}) is None


@pytest.mark.parametrize("kind", ["double", "float", "DOUBLE"])
@pytest.mark.parametrize(
    "expression", ["user_id = user_id", "user_id >= user_id", "user_id <= user_id", "user_id + 1 = user_id + 1"]
)
def test_a_self_comparison_on_a_not_null_double_drops_the_nan_rows(expression: str, kind: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": kind}) is None
    outcome = judge_security(_typed(expression, kind))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("expression", ["user_id = user_id", "user_id >= user_id", "user_id + 1 = user_id + 1"])
def test_the_same_self_comparison_on_a_not_null_bigint_is_every_row(expression: str) -> None:
    reason = _fails_with_full_access(_typed(expression, "bigint"), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize("expression", ["s.b > 1 OR s.b <= 2", "s.b > 1 OR s.b <= 1", "s.b = s.b"])
def test_healthy_twin_a_nested_field_is_not_the_top_level_column_of_its_name(expression: str) -> None:
    """``s.b`` is field ``b`` of struct ``s`` (a ``double`` here), not the NOT NULL ``bigint`` column ``b``."""
    assert every_row({"FilterExpression": expression}, {"b", "s"}, {"b": "bigint", "s": "struct<b:double>"}) is None
