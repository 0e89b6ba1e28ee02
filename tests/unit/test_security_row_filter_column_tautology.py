"""Exit check 6: a data cells filter whose row filter is a tautology over columns lets every row through.

The broken stacks: ``lh_gold.users_public`` over the Gold users files (``ssn`` in them), the analyst holding
``user_id`` by a column grant and ``country`` through a data cells filter whose row filter holds for every row by its
form, credential vending on. Main folded only constant tautologies (and ``x IS NULL OR x IS NOT NULL`` in that order,
which sqlglot folds): ``x IS NOT NULL OR x IS NULL``, ``coalesce(x, '') = coalesce(x, '')``, ``x IS NOT DISTINCT
FROM x``, ``x = x OR x IS NULL`` "restricted rows", and the check passed while Lake Formation vended S3 credentials
reading ``ssn``. ``x = x`` alone drops the rows where ``x`` is NULL: it is every row only when the schema says ``x``
is NOT NULL (Glue's ``iceberg.field.optional: false`` on an Iceberg required field). The healthy twins: the same on a
nullable column, a negated self-comparison, a real condition.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from lakehouse.checks.row_filter import every_row
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_catalog
from tests.unit.test_security import ANALYST, DB
from tests.unit.test_security_full_table_access import PUBLIC, _columns, _filter, _filter_grant, public_twin

#: Tautologies whatever the column holds.
ALWAYS = [
    "country IS NOT NULL OR country IS NULL",
    "country IS NULL OR country IS NOT NULL",
    "coalesce(country, '') = coalesce(country, '')",
    "country IS NOT DISTINCT FROM country",
    "country = country OR country IS NULL",
    "(country >= country) OR (country IS NULL AND 1 = 1)",
]
#: True for every row only when ``user_id`` is NOT NULL.
IF_REQUIRED = ["user_id = user_id", "user_id <= user_id AND 1=1", "user_id + 1 = user_id + 1"]


def _stack(expression: str, required: set[str] | None = None) -> Any:
    """The analyst: ``user_id`` by a column grant, ``country`` through filter ``cells`` with ``expression``;
    ``required``: the twin's NOT NULL columns. Glue's types as ``read_catalog`` reads them (``user_id`` a
    ``bigint``, ``country`` a ``string``: neither holds NaN)."""
    rb = public_twin(_columns(ANALYST, "user_id"), _filter_grant(ANALYST, "cells"))
    rb.filters = [_filter("cells", {"FilterExpression": expression}, ColumnNames=["country"])]
    (probe,) = [p for p in rb.value_probes if p.table.name == PUBLIC]
    probe.table.required = set(required or ())
    probe.table.types = {"user_id": "bigint", "country": "string"}
    return rb


def _fails_with_full_access(rb: Any, expression: str) -> str:
    outcome = judge_security(rb)
    assert not outcome.passed, f"row filter {expression!r} counted as restricting rows: full table access passed"
    (reason,) = [p for p in outcome.details["problems"]["grants"] if "credential vending" in p]
    assert f"together hold SELECT on every column of {DB}.{PUBLIC} in every row" in reason, reason
    assert f"through data cells filter cells (every row: row filter {expression!r}, always true" in reason, reason
    return reason


@pytest.mark.parametrize("expression", ALWAYS)
def test_a_column_tautology_assembles_full_table_access(expression: str) -> None:
    _fails_with_full_access(_stack(expression), expression)


@pytest.mark.parametrize("expression", IF_REQUIRED)
def test_a_self_comparison_on_a_not_null_column_assembles_full_table_access(expression: str) -> None:
    reason = _fails_with_full_access(_stack(expression, {"user_id"}), expression)
    assert "user_id NOT NULL in the table's schema" in reason, reason


@pytest.mark.parametrize("expression", IF_REQUIRED)
def test_healthy_twin_a_self_comparison_on_a_nullable_column_drops_its_null_rows(expression: str) -> None:
    outcome = judge_security(_stack(expression))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize(
    "expression",
    ["NOT (country = country) OR country IS NOT NULL", "country <> country OR country = 'DE'", "country = 'DE'"],
)
def test_healthy_twin_a_condition_dropping_some_rows_restricts(expression: str) -> None:
    assert every_row({"FilterExpression": expression}, {"user_id"}) is None
    assert judge_security(_stack(expression, {"user_id"})).passed


def test_a_random_self_comparison_is_no_tautology() -> None:
    """``random()`` draws anew on each side: a comparison with it is no comparison of a value with itself."""
    assert every_row({"FilterExpression": "user_id + random() = user_id + random()"}, {"user_id"}) is None


def test_glue_s_iceberg_required_fields_are_read_as_not_null(moto_aws: None) -> None:
    glue = boto3.client("glue", region_name="ap-northeast-1")
    glue.create_database(DatabaseInput={"Name": DB})
    columns = [
        {"Name": "User_Id", "Type": "bigint", "Parameters": {"iceberg.field.optional": "false"}},
        {"Name": "country", "Type": "string", "Parameters": {"iceberg.field.optional": "true"}},
        {"Name": "plain", "Type": "string"},
    ]
    glue.create_table(
        DatabaseName=DB,
        TableInput={"Name": PUBLIC, "StorageDescriptor": {"Columns": columns, "Location": "s3://b/u/"}},
    )
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name="ap-northeast-1"))
    _, tables = read_catalog(target)
    assert [t.required for t in tables] == [{"user_id"}]
