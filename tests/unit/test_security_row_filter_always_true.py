"""Exit check 6: a data cells filter whose row filter is always true lets every row through.

Lake Formation reads ``RowFilter.FilterExpression`` as a PartiQL condition; ``1=1`` or ``'a'='a'`` admits every row as
``AllRowsWildcard`` does. The broken stacks: ``lh_gold.users_public`` over the Gold users files (``ssn`` in them), the
analyst holding ``user_id`` by a column grant and ``country`` through a data cells filter whose row filter is always
true, credential vending on. Main counted only ``TRUE`` (or none, or the wildcard) as every row: any other always-true
spelling "restricted rows", the two grants were not full table access, and the check passed while Lake Formation
vended S3 credentials reading ``ssn``. The healthy twin: a real filter (``country = 'DE'``) still restricts.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from tests.unit.test_security import ANALYST, DB
from tests.unit.test_security_full_table_access import USERS_FILES, _columns, _filter, _filter_grant, public_twin

ALWAYS_TRUE = ["1=1", "true OR x", "TRUE", "'a'='a'", "NOT false", "country = 'DE' OR 1 < 2", "2 BETWEEN 1 AND 3"]


def _stack(expression: str) -> Any:
    """The analyst: ``user_id`` by a column grant, ``country`` through filter ``cells`` with ``expression``."""
    rb = public_twin(_columns(ANALYST, "user_id"), _filter_grant(ANALYST, "cells"))
    rb.filters = [_filter("cells", {"FilterExpression": expression}, ColumnNames=["country"])]
    return rb


@pytest.mark.parametrize("expression", ALWAYS_TRUE)
def test_a_filter_always_true_assembles_full_table_access(expression: str) -> None:
    outcome = judge_security(_stack(expression))
    assert not outcome.passed, f"row filter {expression!r} counted as restricting rows: full table access passed"
    (reason,) = [p for p in outcome.details["problems"]["grants"] if "credential vending" in p]
    assert f"together hold SELECT on every column of {DB}.users_public in every row" in reason, reason
    assert "through data cells filter cells (every row" in reason, reason
    assert f"whose location {USERS_FILES} holds the files of {DB}.users" in reason, reason


@pytest.mark.parametrize("expression", ["country = 'DE'", "1=1 AND country = 'DE'", "\"country\" <> 'JP'", "1=2"])
def test_healthy_twin_a_real_filter_restricts_rows(expression: str) -> None:
    outcome = judge_security(_stack(expression))
    assert outcome.passed, outcome.reason


def test_the_reason_says_why_a_filter_lets_every_row_through() -> None:
    assert every_row({"FilterExpression": "'a' = 'a'"}) == "row filter \"'a' = 'a'\", always true"
    assert every_row({"AllRowsWildcard": {}}) == "" and every_row(None) == ""
    assert every_row({"FilterExpression": "country = 'DE'"}) is None
    assert "references no column" in str(every_row({"FilterExpression": "'ab' LIKE 'a%'"}))
    assert "could not be parsed" in str(every_row({"FilterExpression": "country = ("}))
