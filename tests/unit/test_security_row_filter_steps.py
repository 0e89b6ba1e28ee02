"""Exit check 6: ranges covering every value of a timestamp at its precision, of a string from its least value (the
empty string), of a ``char(n)`` compared space-padded.

The broken stacks are those of ``test_security_row_filter_column_tautology``: the analyst holds ``user_id`` by a
column grant and ``country`` through data cells filter ``cells``, credential vending on, ``user_id`` NOT NULL of the
Glue type each case names. A ``timestamp(3)`` holds nothing between ``.000`` and ``.001``, a Glue ``timestamp`` (read
by Athena in microseconds at the finest) nothing between ``.000000`` and ``.000001``; ``s >= ''`` is every
``varchar``; Trino compares ``char(n)`` padded with spaces (``Chars.compareChars``), so ``'a '`` is ``'a'``. Main
read each as restricting rows, and the check passed while Lake Formation vended S3 credentials reading ``ssn``. The
healthy twins: the same gap at a finer precision (a Glue ``timestamp`` may hold microseconds), the empty string left
out, and on a ``char`` the values below a space (``'a\\t'`` sorts below ``'a'``, a tab below ``''``).
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access
from tests.unit.test_security_row_filter_ordering import _typed

_AT = "TIMESTAMP '2020-01-01 00:00:00"
#: (Glue type of ``user_id``, a row filter every value of that type passes).
COVERING = [
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
#: (Glue type, a row filter leaving values of that type out).
NARROWING = [
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
def test_ranges_covering_every_step_of_the_column_s_type_assemble_full_table_access(kind: str, expression: str) -> None:
    reason = _fails_with_full_access(_typed(expression, kind), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize(("kind", "expression"), NARROWING)
def test_healthy_twin_ranges_leaving_a_step_out_restrict(kind: str, expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}, {"user_id": kind}) is None
    outcome = judge_security(_typed(expression, kind))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize(("kind", "expression"), COVERING)
def test_healthy_twin_covering_ranges_on_a_nullable_column_drop_the_null_rows(kind: str, expression: str) -> None:
    outcome = judge_security(_typed(expression, kind, required=set()))
    assert outcome.passed, outcome.reason
