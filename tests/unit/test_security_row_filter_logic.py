"""Exit check 6: a row filter spelled with CASE, IF, IN, BETWEEN, coalesce or ``c OR NOT c`` that holds for every row.

The broken stacks: ``lh_gold.users_public`` over the Gold users files (``ssn`` in them), the analyst holding
``user_id`` by a column grant and ``country`` through a data cells filter whose row filter is always true, credential
vending on. Main's simplifier left ``CASE WHEN country = 'DE' THEN true ELSE true END``, ``if(c, true, true)``,
``user_id IN (user_id)``, ``user_id BETWEEN user_id AND user_id`` and ``NOT (c) OR c`` whole: they "restricted rows",
and the check passed while Lake Formation vended S3 credentials reading ``ssn``.

``c OR NOT c`` is NULL where ``c`` is NULL, and a NULL row filter drops the row: it is every row only when ``c`` is
never NULL (its columns NOT NULL in the schema, or tested by ``OR x IS NULL`` beside it). The healthy twins: the same
on a nullable column, and conditions that look alike but drop rows (``coalesce(country = 'DE', true)`` is FALSE for
``'FR'``; a CASE without ELSE is NULL when no branch is taken).
"""

from __future__ import annotations

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from tests.unit.test_security_row_filter_column_tautology import _fails_with_full_access, _stack

#: Always true whatever the columns hold (NULL included).
ALWAYS = [
    "CASE WHEN country = 'DE' THEN true ELSE true END",
    "CASE WHEN country = 'DE' THEN 1=1 ELSE 1=1 END",
    "CASE country WHEN 'DE' THEN true WHEN 'JP' THEN 'a' = 'a' ELSE NOT false END",
    "if(country = 'DE', true, true)",
    "coalesce(country = country, true)",
    "country = 'DE' OR NOT (country = 'DE') OR country IS NULL",
]
#: True for every row only when ``user_id`` is NOT NULL (each NULL where ``user_id`` is).
IF_REQUIRED = [
    "user_id IN (user_id)",
    "user_id BETWEEN user_id AND user_id",
    "NOT (user_id = 1) OR user_id = 1",
    "user_id > 1 OR NOT (user_id > 1)",
    "(user_id > 1 AND user_id < 5) OR NOT (user_id > 1 AND user_id < 5)",
]
#: Conditions that drop some rows, whether or not ``user_id`` is NOT NULL.
RESTRICTING = [
    "CASE WHEN country = 'DE' THEN true ELSE false END",
    "CASE WHEN country = 'DE' THEN true END",
    "CASE WHEN country = 'DE' THEN true ELSE country <> 'DE' END",
    "if(country = 'DE', true)",
    "country IN ('DE')",
    "country IN ('DE', NULL)",
    "country IN (country)",
    "country BETWEEN 'A' AND 'M'",
    "coalesce(country = 'DE', true)",
    "NOT (country = 'DE') OR country = 'DE'",
    "(user_id = 1 AND country = 'DE') OR NOT (user_id = 1 AND country = 'DE')",
    "user_id + random() > 1 OR NOT (user_id + random() > 1)",
]


@pytest.mark.parametrize("expression", ALWAYS)
def test_an_always_true_case_if_or_complement_assembles_full_table_access(expression: str) -> None:
    _fails_with_full_access(_stack(expression), expression)


@pytest.mark.parametrize("expression", IF_REQUIRED)
def test_an_in_between_or_complement_on_a_not_null_column_assembles_full_table_access(expression: str) -> None:
    reason = _fails_with_full_access(_stack(expression, {"user_id"}), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize("expression", IF_REQUIRED)
def test_healthy_twin_the_same_on_a_nullable_column_drops_its_null_rows(expression: str) -> None:
    assert every_row({"FilterExpression": expression}) is None
    outcome = judge_security(_stack(expression))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("expression", RESTRICTING)
def test_healthy_twin_a_condition_dropping_some_rows_restricts(expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}) is None
    outcome = judge_security(_stack(expression, {"user_id"}))
    assert outcome.passed, outcome.reason


def test_constant_in_lists_read_as_always_true() -> None:
    """Main counted these as every row too (no column: "the same for every row"); now the reason says why."""
    assert every_row({"FilterExpression": "'a' IN ('a', 'b')"}) == "row filter \"'a' IN ('a', 'b')\", always true"
    assert every_row({"FilterExpression": "true IN (true)"}) == "row filter 'true IN (true)', always true"
    assert every_row({"FilterExpression": "'c' IN ('a', 'b') AND country = 'DE'"}) is None
