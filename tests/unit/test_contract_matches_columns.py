"""A table judged against its contract's ``matches`` query must hold every column the query states.

The comparison (``lakehouse.reconcile.diff_sql``) takes the table's columns and reads those of the query: a Gold
``orders_enriched`` built without ``country`` and ``status`` (or a ``users`` without ``email``) agreed on the columns
it has, and met its contract. Here the comparison runs for real (DuckDB over Silver tables made in SQL), as
``athena_matcher`` runs it in Athena.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakehouse.contracts import CONTRACTS_DIR, Contract, ContractError, check_contract, load_contract
from lakehouse.pipeline.sqlfiles import render
from lakehouse.reconcile import RowDiff, diff_sql

VALUES = {f"{layer}_{kind}": layer for layer in ("bronze", "silver", "gold") for kind in ("db", "bucket")}

SILVER = """
CREATE SCHEMA silver;
CREATE SCHEMA gold;
CREATE TABLE silver.users AS SELECT * FROM (VALUES
  (2::BIGINT, 'ines.smith2@example.com', 'Ines Smith', '974-17-9313', 'US', TIMESTAMP '2026-01-17 15:25:00'),
  (3::BIGINT, 'aiko.smith3@example.com', 'Aiko Smith', '953-18-4943', NULL, TIMESTAMP '2026-01-20 17:39:00')
) t(user_id, email, full_name, ssn, country, signup_ts);
CREATE TABLE silver.orders AS SELECT * FROM (VALUES
  (11::BIGINT, 2::BIGINT, TIMESTAMP '2026-03-01 14:47:00', 444.15::DECIMAL(10, 2), 'completed'),
  (23::BIGINT, 3::BIGINT, TIMESTAMP '2026-02-14 00:57:00', 205.37::DECIMAL(10, 2), 'cancelled')
) t(order_id, user_id, order_ts, amount, status);
"""

#: Gold orders as the pipeline builds them (every column), and without the columns a broken Gold left out.
HEALTHY = """
SELECT o.order_id, o.order_ts, CAST(o.order_ts AS date) AS order_date, o.user_id, u.email,
       coalesce(u.country, 'unknown') AS country, o.amount, o.status
FROM silver.orders o JOIN silver.users u ON u.user_id = o.user_id
"""
WITHOUT_COUNTRY_AND_STATUS = """
SELECT o.order_id, o.order_ts, CAST(o.order_ts AS date) AS order_date, o.user_id, u.email, o.amount
FROM silver.orders o JOIN silver.users u ON u.user_id = o.user_id
"""


def judge(gold_sql: str) -> Any:
    """gold.orders_enriched built by ``gold_sql``, judged by its shipped contract; ``matches`` compared in DuckDB."""
    db = duckdb.connect()
    db.execute(SILVER)
    db.execute(f"CREATE TABLE gold.orders_enriched AS {gold_sql}")
    frame = db.execute("SELECT * FROM gold.orders_enriched").df()
    contract = load_contract(CONTRACTS_DIR / "gold.orders_enriched.yml")

    def matcher(c: Contract, columns: list[str]) -> RowDiff:  # what athena_matcher does, in DuckDB
        assert c.matches is not None
        rows = db.execute(diff_sql("gold.orders_enriched", columns, render(c.path, c.matches, VALUES))).fetchall()
        return RowDiff.from_rows(columns, rows, None)

    return check_contract(contract, frame, counts=lambda table: 2, matcher=matcher)


def test_gold_with_every_column_of_its_matches_query_meets_its_contract() -> None:
    result = judge(HEALTHY)
    assert result.success, result.failures()


def test_gold_missing_columns_its_matches_query_states_fails_naming_them() -> None:
    result = judge(WITHOUT_COUNTRY_AND_STATUS)
    assert not result.success, "a Gold orders_enriched without country and status met its contract"
    failures = " ".join(result.failures())
    assert "gold.orders_enriched" in failures and "country, status" in failures, failures
    assert "gold.orders_enriched.yml:" in failures, failures


def test_gold_with_a_column_its_matches_query_does_not_state_fails_naming_it() -> None:
    result = judge(f"SELECT h.*, 'x' AS note FROM ({HEALTHY}) h")
    assert not result.success
    assert "note" in " ".join(result.failures())


@pytest.mark.parametrize(
    "query, why",
    [
        ("SELECT * FROM ${bronze_db}.orders_csv", r"\*"),
        ("SELECT order_id, count(*) FROM ${bronze_db}.orders_csv GROUP BY order_id", "COUNT"),
    ],
)
def test_a_matches_query_whose_columns_are_not_all_named_is_refused(tmp_path: Path, query: str, why: str) -> None:
    path = tmp_path / "silver.orders.yml"
    path.write_text(f"table: silver.orders\nmatches: |\n  {query}\n")
    with pytest.raises(ContractError, match=rf"silver.orders.yml:2: field `matches`: .*{why}"):
        load_contract(path)
