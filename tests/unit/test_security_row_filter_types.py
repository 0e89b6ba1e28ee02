"""Exit check 6: ranges that cover every value only given the column's type, NULL constants, struct fields.

The broken stacks are those of ``test_security_row_filter_column_tautology``: the analyst holds ``user_id`` by a
column grant and ``country`` through data cells filter ``cells``, credential vending on, ``user_id`` NOT NULL of the
Glue type each case names. Trino compares an integer column with a decimal constant exactly, so ``x > 1.5 OR x <= 1``
leaves out no integer; ``decimal(10,2)`` holds nothing between ``1.00`` and ``1.01``; ``x >= -128`` is every
``tinyint``; ``ts >= TIMESTAMP '...' OR ts < TIMESTAMP '...'`` (the same instant) is every timestamp. Main read each
as restricting rows, and the check passed while Lake Formation vended S3 credentials reading ``ssn``. Likewise at the
type's steps: a ``timestamp(3)`` holds nothing between ``.000`` and ``.001``, a Glue ``timestamp`` (read by Athena in
microseconds at the finest) nothing between ``.000000`` and ``.000001``; ``s >= ''`` is every ``varchar``; Trino
compares ``char(n)`` padded with spaces (``Chars.compareChars``), so ``'a '`` is ``'a'``. The healthy twins: one side
alone (``x > 1.5``), a gap the type leaves open (also at a finer precision, ``''`` left out, ``'a\\t'`` below
``'a'`` in a ``char``), a nullable column, a ``double``.

And two false reds of main: ``1 IN (2, NULL)`` is NULL (``1 = NULL`` is NULL), admits no row, yet was read as "the
same for every row: it may admit them all"; and the struct field ``addr.country`` was taken for the NOT NULL
top-level column ``country`` (``addr.country IS NOT NULL`` "always true").
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from tests.unit.test_security_full_table_access import PUBLIC
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access, _stack
from tests.unit.test_security_row_filter_ordering import _typed

_TS = "TIMESTAMP '2020-01-01 00:00:00'"
_AT = "TIMESTAMP '2020-01-01 00:00:00"  # open: a case writes its fraction
#: (Glue type of ``user_id``, a row filter every value of that type passes).
COVERING = [
    ("int", "user_id > 1.5 OR user_id <= 1"),
    ("int", "user_id >= 2 OR user_id < 1.5"),
    ("bigint", "user_id > 1.5 OR user_id < 1.5"),
    ("bigint", "user_id <> 1.5"),
    ("decimal(10,2)", "user_id >= 1.01 OR user_id <= 1.00"),
    ("decimal(10,2)", "user_id > 1.005 OR user_id < 1.005"),
    ("tinyint", "user_id >= -128"),
    ("tinyint", "user_id BETWEEN -128 AND 127"),
    ("tinyint", "user_id < 200"),
    ("smallint", "user_id <= 32767"),
    ("int", "user_id >= -2147483648"),
    ("bigint", "user_id >= -9223372036854775808"),
    ("decimal(4,2)", "user_id > -99.995"),
    ("timestamp", f"user_id >= {_TS} OR user_id < {_TS}"),
    ("timestamp", f"user_id >= DATE '2020-01-01' OR user_id < {_TS}"),
    (
        "timestamp",
        "user_id >= TIMESTAMP '2020-01-01 00:00:00.000001' OR user_id < TIMESTAMP '2020-01-01 00:00:00.000001'",
    ),
    ("date", f"user_id >= {_TS} OR user_id < {_TS}"),
    ("date", "user_id > TIMESTAMP '2020-01-01 12:00:00' OR user_id <= DATE '2020-01-01'"),
    # Steps: a timestamp at its precision, a string from '' up, a char(n) compared space-padded.
    ("timestamp(3)", f"user_id >= {_AT}.001' OR user_id <= {_AT}.000'"),
    ("timestamp(3)", f"user_id > {_AT}.0005' OR user_id < {_AT}.0009'"),
    ("timestamp(0)", f"user_id > {_AT}.5' OR user_id < {_AT}.9'"),
    ("timestamp", f"user_id >= {_AT}.000001' OR user_id <= {_AT}'"),
    ("timestamp(6)", f"user_id > {_AT}' OR user_id < {_AT}.000001'"),
    ("string", "user_id >= ''"),
    ("varchar(20)", "user_id = '' OR user_id > ''"),
    ("string", "user_id BETWEEN '' AND 'm' OR user_id > 'l'"),
    ("char(3)", "user_id > 'a' OR user_id <= 'a '"),
    ("char(3)", "user_id >= 'a  ' OR user_id < 'a'"),
    ("char(3)", "user_id > 'abcd' OR user_id <= 'abcd   '"),
]
#: (Glue type, a row filter leaving values of that type out): the healthy twins.
NARROWING = [
    ("int", "user_id > 1.5"),
    ("int", "user_id > 1.5 OR user_id < 1"),
    ("int", "user_id = 1.5 OR user_id > 2 OR user_id < 1"),
    ("decimal(10,2)", "user_id >= 1.01"),
    ("decimal(10,3)", "user_id >= 1.01 OR user_id <= 1.00"),
    ("decimal", "user_id >= 1.01 OR user_id <= 1.00"),  # scale unknown: the gap is read as open
    ("tinyint", "user_id > -128"),
    ("smallint", "user_id < 32767"),
    ("int", "user_id >= -2147483647"),
    ("bigint", "user_id >= -2147483648"),
    ("timestamp", f"user_id >= {_TS}"),
    ("timestamp", f"user_id > {_TS} OR user_id < {_TS}"),
    ("timestamp", "user_id >= TIMESTAMP '2020-01-01 00:00:00.5' OR user_id < TIMESTAMP '2020-01-01 00:00:00.4'"),
    ("timestamp", "user_id >= TIMESTAMP '2020-01-01 00:00:00 UTC' OR user_id < TIMESTAMP '2020-01-01 00:00:00 UTC'"),
    ("date", f"user_id > {_TS} OR user_id < {_TS}"),
    ("date", "user_id > TIMESTAMP '2020-01-01 12:00:00' OR user_id < DATE '2020-01-01'"),
    ("int", "user_id > 1.5e0 OR user_id <= 1"),  # a double constant: compared in double
    # Steps: the same gap at a finer precision, '' left out, values below a space in a char.
    ("timestamp", f"user_id >= {_AT}.001' OR user_id <= {_AT}.000'"),  # microseconds between
    ("timestamp(6)", f"user_id >= {_AT}.001' OR user_id <= {_AT}.000'"),
    ("timestamp(3)", f"user_id > {_AT}.000' OR user_id < {_AT}.000'"),
    ("timestamp(3)", f"user_id >= {_AT}.002' OR user_id <= {_AT}.000'"),
    ("string", "user_id > ''"),
    ("string", "user_id >= ' '"),
    ("char(3)", "user_id >= ''"),  # a tab sorts below the padding space
    ("char(3)", "user_id > 'a' OR user_id < 'a '"),
    ("char(3)", "user_id >= 'a' OR user_id < 'a\t'"),
]


@pytest.mark.parametrize(("kind", "expression"), COVERING)
def test_ranges_covering_the_column_s_type_assemble_full_table_access(kind: str, expression: str) -> None:
    reason = _fails_with_full_access(_typed(expression, kind), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize(("kind", "expression"), NARROWING)
def test_healthy_twin_ranges_leaving_values_of_the_type_out_restrict(kind: str, expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": kind}) is None
    outcome = judge_security(_typed(expression, kind))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize(("kind", "expression"), COVERING)
def test_healthy_twin_covering_ranges_on_a_nullable_column_drop_the_null_rows(kind: str, expression: str) -> None:
    outcome = judge_security(_typed(expression, kind, required=set()))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("expression", [e for k, e in COVERING if k in ("int", "bigint", "tinyint", "smallint")])
def test_healthy_twin_the_same_on_a_double_drops_the_nan_rows(expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": "double"}) is None


@pytest.mark.parametrize(
    "expression", ["1 IN (2, NULL)", "1 = NULL", "1 = 2 OR 1 = NULL", "NOT (1 IN (2, NULL))", "1 NOT IN (2, NULL)"]
)
def test_healthy_twin_a_constant_null_condition_admits_no_row(expression: str) -> None:
    assert every_row({"FilterExpression": expression}) is None
    outcome = judge_security(_stack(expression))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("expression", ["1 IN (1, NULL)", "1 = NULL OR TRUE", "(1 = NULL) IS NULL"])
def test_a_constant_condition_true_despite_a_null_assembles_full_table_access(expression: str) -> None:
    _fails_with_full_access(_stack(expression), expression)


def _nested(expression: str, required: set[str]) -> object:
    """The broken stack with a top-level ``country`` (NOT NULL if ``required`` says) beside a struct ``addr``
    holding a field ``country``."""
    rb = _stack(expression, required)
    (probe,) = [p for p in rb.value_probes if p.table.name == PUBLIC]
    probe.table.types = {"user_id": "bigint", "country": "string", "addr": "struct<country:string>"}
    return rb


@pytest.mark.parametrize(
    ("expression", "required"),
    [
        ("addr.country IS NOT NULL", {"country"}),
        ("NOT addr.country IS NULL", {"country"}),
        ("addr.country > 'a' OR NOT addr.country > 'a'", {"country"}),
        ("addr.country IS NULL OR country > 'a' OR country <= 'a'", set()),
    ],
)
def test_healthy_twin_a_struct_field_is_not_the_column_of_its_name(expression: str, required: set[str]) -> None:
    """``addr.country`` may be NULL whatever the schema says of column ``country``, and ``addr.country IS NULL``
    admits the rows where the field is NULL, not those where column ``country`` is."""
    outcome = judge_security(_nested(expression, required))
    assert outcome.passed, outcome.reason


def test_the_top_level_twins_are_every_row() -> None:
    assert every_row({"FilterExpression": "country IS NOT NULL"}, {"country"}) is not None
    expression = "country IS NULL OR country > 'a' OR country <= 'a'"
    _fails_with_full_access(_nested(expression, set()), expression)


def test_a_struct_field_tested_for_null_is_never_null_beside_it() -> None:
    expression = "addr.country IS NULL OR addr.country > 'a' OR NOT addr.country > 'a'"
    _fails_with_full_access(_nested(expression, set()), expression)
