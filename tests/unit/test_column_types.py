"""Exit check 2 judges the types Gold's columns are stored with against the contracts' (``columns.<name>.type``).

A Gold ``order_date`` stored as a string reads back as the text of the date: locally every other part of exit
check 2 passes (``tests/emulator/test_gold_types.py``), while Athena refuses ``varchar = date``. The types are read
where Athena reads them: the current schema of the Iceberg metadata file Glue names (moto's Glue and S3 here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from lakehouse.checks.column_types import check_column_types, iceberg_columns
from lakehouse.contracts import CONTRACTS_DIR, ContractError, iceberg_type, load_contract
from lakehouse.outcome import Status

REGION = "us-east-1"
BUCKET = "gold-bucket"
DAILY = load_contract(CONTRACTS_DIR / "gold.daily_revenue.yml")


def _metadata(fields: dict[str, str], stale: dict[str, str] | None = None) -> dict[str, Any]:
    """Format-v2 metadata whose current schema (id 1) has ``fields``; schema 0 (``stale``) is an older one."""
    schemas = [
        {
            "schema-id": i,
            "fields": [{"id": n, "name": c, "required": False, "type": t} for n, (c, t) in enumerate(f.items())],
        }
        for i, f in enumerate([stale or {"x": "string"}, fields])
    ]
    return {"format-version": 2, "current-schema-id": 1, "schemas": schemas}


def _gold(fields: dict[str, str], iceberg: bool = True) -> tuple[Any, Any]:
    """A Glue table ``gold.daily_revenue``: Iceberg with its metadata file in S3, or a plain table with ``fields``."""
    glue, s3 = boto3.client("glue", region_name=REGION), boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    glue.create_database(DatabaseInput={"Name": "gold"})
    key = "daily_revenue/metadata/00001.metadata.json"
    # Glue's own column list says date: Athena reads Iceberg's schema, and so must the check.
    columns = [{"Name": c, "Type": "date" if c == "order_date" else t} for c, t in fields.items()]
    params = {"table_type": "ICEBERG", "metadata_location": f"s3://{BUCKET}/{key}"} if iceberg else {}
    if iceberg:
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(_metadata(fields)).encode())
        columns = [{"Name": c, "Type": "date" if c == "order_date" else "string"} for c in fields]
    glue.create_table(
        DatabaseName="gold",
        TableInput={"Name": "daily_revenue", "Parameters": params, "StorageDescriptor": {"Columns": columns}},
    )
    return glue, s3


HEALTHY = {"order_date": "date", "country": "string", "orders": "long", "revenue": "decimal(12, 2)"}


@pytest.mark.usefixtures("moto_aws")
def test_iceberg_gold_stored_as_its_contract_says_passes() -> None:
    glue, s3 = _gold(HEALTHY)
    outcome = check_column_types(glue, s3, {"gold.daily_revenue": DAILY})
    assert outcome.passed, outcome.reason
    assert outcome.details["stored_types"]["gold.daily_revenue"] == HEALTHY


@pytest.mark.usefixtures("moto_aws")
def test_iceberg_gold_with_a_string_date_fails_naming_column_types_and_metadata() -> None:
    glue, s3 = _gold({**HEALTHY, "order_date": "string"})
    outcome = check_column_types(glue, s3, {"gold.daily_revenue": DAILY})
    assert outcome.status is Status.FAILED
    assert (
        f"gold.daily_revenue.order_date is stored as string (s3://{BUCKET}/daily_revenue/metadata/00001.metadata.json)"
        ", gold.daily_revenue.yml says date"
    ) in str(outcome.reason)


@pytest.mark.usefixtures("moto_aws")
def test_iceberg_gold_missing_a_typed_column_or_of_another_decimal_fails() -> None:
    glue, s3 = _gold({"order_date": "date", "country": "string", "revenue": "decimal(10, 2)"})
    reason = str(check_column_types(glue, s3, {"gold.daily_revenue": DAILY}).reason)
    assert "gold.daily_revenue.orders is not a column of s3://" in reason
    assert "gold.daily_revenue.revenue is stored as decimal(10, 2)" in reason


@pytest.mark.usefixtures("moto_aws")
def test_a_plain_glue_table_is_judged_on_glue_s_columns() -> None:
    glue, s3 = _gold(
        {"order_date": "string", "country": "string", "orders": "bigint", "revenue": "decimal(12,2)"}, False
    )
    outcome = check_column_types(glue, s3, {"gold.daily_revenue": DAILY})
    assert outcome.status is Status.PASSED, outcome.reason  # Glue says date for order_date (see _gold)


@pytest.mark.usefixtures("moto_aws")
def test_an_iceberg_table_whose_metadata_is_gone_is_an_error_naming_it() -> None:
    glue, s3 = _gold(HEALTHY)
    s3.delete_object(Bucket=BUCKET, Key="daily_revenue/metadata/00001.metadata.json")
    outcome = check_column_types(glue, s3, {"gold.daily_revenue": DAILY})
    assert outcome.status is Status.ERROR
    assert "cannot read the column types of gold.daily_revenue" in str(outcome.reason)


def test_the_current_schema_is_read_not_an_older_one() -> None:
    assert iceberg_columns(_metadata({"a": "date"}, stale={"a": "string"})) == {"a": "date"}


def test_type_names_of_athena_glue_and_iceberg_agree() -> None:
    assert iceberg_type("bigint") == iceberg_type("long") == "long"
    assert iceberg_type("varchar") == iceberg_type("STRING") == "string"
    assert iceberg_type("decimal(12,2)") == iceberg_type("decimal(12, 2)") == "decimal(12, 2)"
    assert iceberg_type("array<string>") is None


def _contract(tmp_path: Path, columns: str) -> Path:
    text = (CONTRACTS_DIR / "gold.daily_revenue.yml").read_text(encoding="utf-8")
    head, rest = text.split("columns:", 1)
    body = rest.split("expectations:", 1)[1]
    path = tmp_path / "gold.daily_revenue.yml"
    path.write_text(f"{head}columns:\n{columns}expectations:{body}", encoding="utf-8")
    return path


def test_the_shipped_daily_revenue_contract_types_every_column() -> None:
    assert DAILY.column_types == {
        "order_date": "date",
        "country": "string",
        "orders": "bigint",
        "revenue": "decimal(12, 2)",
    }


def test_a_gold_contract_without_a_column_s_type_is_refused(tmp_path: Path) -> None:
    columns = (
        "  order_date: {nullable: false}\n  country: {nullable: false, type: string}\n"
        "  orders: {nullable: false, type: bigint}\n  revenue: {nullable: false, type: 'decimal(12, 2)'}\n"
    )
    with pytest.raises(ContractError, match=r"order_date has none"):
        load_contract(_contract(tmp_path, columns))


def test_a_type_athena_s_iceberg_has_not_is_refused(tmp_path: Path) -> None:
    columns = (
        "  order_date: {nullable: false, type: datetime}\n  country: {nullable: false, type: string}\n"
        "  orders: {nullable: false, type: bigint}\n  revenue: {nullable: false, type: 'decimal(12, 2)'}\n"
    )
    with pytest.raises(ContractError, match=r"columns.order_date.type`: 'datetime' is not an Athena type"):
        load_contract(_contract(tmp_path, columns))


MISMATCH = "gold.daily_revenue.order_date is stored as string"
UNREAD = "cannot read the column types of gold.daily_revenue_v2: An error occurred (EntityNotFoundException)"


@pytest.mark.parametrize("unread_first", [True, False], ids=["unreadable-first", "unreadable-last"])
@pytest.mark.usefixtures("moto_aws")
def test_a_mismatch_fails_though_another_table_s_types_cannot_be_read(unread_first: bool) -> None:
    """Every table is read on: a shown mismatch is a verdict, the unreadable table named beside it (before the
    fix the first unreadable table, or one after the mismatch, made the check ``error`` and dropped it)."""
    glue, s3 = _gold({**HEALTHY, "order_date": "string"})
    names = ["gold.daily_revenue_v2", "gold.daily_revenue"]  # no Glue table gold.daily_revenue_v2
    outcome = check_column_types(glue, s3, dict.fromkeys(names if unread_first else names[::-1], DAILY))
    assert outcome.status is Status.FAILED, outcome.reason
    assert MISMATCH in str(outcome.reason) and UNREAD in str(outcome.reason)
    assert list(outcome.details["unreadable"]) == ["gold.daily_revenue_v2"]
    assert outcome.details["stored_types"]["gold.daily_revenue"]["order_date"] == "string"


@pytest.mark.usefixtures("moto_aws")
def test_a_table_that_cannot_be_read_beside_healthy_ones_is_an_error_naming_it() -> None:
    glue, s3 = _gold(HEALTHY)
    outcome = check_column_types(glue, s3, dict.fromkeys(["gold.daily_revenue", "gold.daily_revenue_v2"], DAILY))
    assert outcome.status is Status.ERROR
    assert str(outcome.reason).startswith(UNREAD) and "stored as" not in str(outcome.reason)
    assert outcome.details["stored_types"] == {"gold.daily_revenue": HEALTHY}
