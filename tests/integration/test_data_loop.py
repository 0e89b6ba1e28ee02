"""Exit check 2 on a real deployed stack: the pipeline, arbitrary SQL on Gold, broken data.

Shares the "stack" group's deployment; tests that change the data load the sample again
before they end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyathena
import pytest

from lakehouse import procgroup
from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import check_contracts, check_expected_row
from lakehouse.checks.demo_script import verify_script
from lakehouse.contracts import load_contracts
from lakehouse.outcome import Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import DATA_DIR, PipelineResult, run_pipeline
from lakehouse.stack import Deployment
from tests.integration.conftest import ROOT, run_features

pytestmark = pytest.mark.xdist_group("data-stack")

EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}


def load(deployed: Deployment, data_dir: Path = DATA_DIR) -> PipelineResult:
    result = run_pipeline(deployed.stack.target, deployed.record.outputs, data_dir=data_dir)
    assert result.ok, result.summary()
    return result


def test_pipeline_is_idempotent_and_keeps_every_refused_row(deployed: Deployment) -> None:
    first, second = load(deployed), load(deployed)
    assert first.row_counts == second.row_counts
    assert second.row_counts["silver.users"] == 20 and second.row_counts["silver.orders"] == 60
    # Bronze holds what landed: the line quarantined at landing never reaches it.
    assert second.row_counts["bronze.orders_csv"] == 67 and second.row_counts["gold.daily_revenue"] == 47
    # 25 users: 1 quarantined at landing, 3 refused, user 1's older line superseded by its update;
    # 68 orders: 1 quarantined at landing, 6 refused, 1 an identical duplicate (collapsed into Silver).
    assert second.quarantined["silver.users_rejected"]["duplicate key, superseded by line 26"] == 1
    assert sum(second.quarantined["silver.users_rejected"].values()) == 4
    assert sum(second.quarantined["silver.orders_rejected"].values()) == 6
    assert [a.row() for a in second.accounting] == [
        "users.csv: 25 in = 1 landing report + 4 rejected + 20 in silver.users = 25 out",
        "orders.csv: 68 in = 1 landing report + 6 rejected + 61 in silver.orders = 68 out",
    ]
    assert second.quarantined["silver.orders_rejected"]["user_id unknown"] == 1
    assert [str(m) for m in second.malformed] == [
        "users.csv:25: expected 7 fields (as the header), found 3",
        "orders.csv:68: expected 5 fields (as the header), found 2",
    ]


def test_gold_answers_joins_aggregates_and_windows_through_plain_pyathena(deployed: Deployment) -> None:
    outputs, target = deployed.record.outputs, deployed.stack.target
    env = target.env()
    conn = pyathena.connect(  # what a user types after `make up`, with the printed exports
        work_group=outputs["athena_workgroup_name"],
        region_name=env["AWS_REGION"],
        endpoint_url=env["AWS_ENDPOINT_URL"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        schema_name=outputs["glue_database_names"]["gold"],
    )
    cursor = conn.cursor()
    cursor.execute(
        "SELECT sum(u.lifetime_value), (SELECT sum(revenue) FROM daily_revenue), "
        "(SELECT sum(amount) FROM orders_enriched WHERE status <> 'cancelled') FROM users u"
    )
    totals = cursor.fetchone()
    assert isinstance(totals, tuple)
    a, b, c = totals
    assert a == b == c and a > 0
    cursor.execute(
        "SELECT country, order_date, revenue, sum(revenue) OVER (PARTITION BY country ORDER BY order_date) AS running "
        "FROM daily_revenue WHERE country = 'JP' ORDER BY order_date"
    )
    rows: list[Any] = list(cursor.fetchall())
    assert rows and rows[-1][3] == sum(r[2] for r in rows)
    conn.close()


@pytest.fixture
def loaded(deployed: Deployment) -> Deployment:
    """The group's stack with the sample loaded through Gold, whatever ran before (or did not)."""
    load(deployed)
    return deployed


def test_run_demo_queries_prints_the_rows(loaded: Deployment) -> None:
    proc = procgroup.run(  # a timeout ends the script's `lakehouse demo` too
        [str(ROOT / "run_demo_queries.sh"), "daily_revenue"],
        timeout=120,
        env={**os.environ, "LAKEHOUSE_STACK_ID": loaded.stack.stack_id},
    )
    assert proc.returncode == 0, proc.stderr
    assert "2026-03-01 | US      | 1      | 444.15" in proc.stdout


def _edited(tmp_path: Path, body: str) -> Path:
    """A checkout whose ``run_demo_queries.sh`` is edited to ``body`` (the built CLI linked in)."""
    tmp_path.mkdir(parents=True)
    (tmp_path / ".venv").symlink_to((ROOT / ".venv").resolve())
    script = tmp_path / "run_demo_queries.sh"
    script.write_text(f"#!/usr/bin/env bash\nset -euo pipefail\n{body}", encoding="utf-8")
    script.chmod(0o755)
    return tmp_path


def test_exit_2_runs_run_demo_queries_sh_and_reads_its_query_back(deployed: Deployment, tmp_path: Path) -> None:
    """The verifier the plan names runs on the stack (inside this session's hold on it) and its printed query id
    is the demo SQL, SUCCEEDED in the stack's workgroup; edited scripts that print the row fail, naming why."""
    load(deployed)
    stack, outputs = deployed.stack, deployed.record.outputs

    def verify(root: Path) -> Any:
        return verify_script(root, stack.dir, stack.stack_id, stack.target, outputs, "daily_revenue", EXPECTED, set())

    healthy = verify(ROOT)
    assert healthy.status is Status.PASSED, healthy.reason
    assert healthy.details["query_execution"]["State"] == "SUCCEEDED"
    assert healthy.details["query_execution"]["Query"] == demo_queries(outputs)["daily_revenue"].strip()
    row = "2026-03-01 | US      | 1      | 444.15"
    made_up = _edited(
        tmp_path / "made-up",
        "printf -- '-- daily_revenue (query 6f1c2a4e-0000-4000-8000-000000000000, 0 bytes scanned, 1 ms)\\n'\n"
        f"printf 'order_date | country | orders | revenue\\n-----------+---------+--------+--------\\n{row}\\n'\n",
    )
    said = verify(made_up)
    assert said.status is Status.FAILED
    assert "printed query 6f1c2a4e-0000-4000-8000-000000000000, which Athena does not know" in (said.reason or "")
    # A hard-coded row through the real CLI and Athena: a query ran, but not the demo's.
    literal = "SELECT DATE '2026-03-01' AS order_date, 'US' AS country, 1 AS orders, 444.15 AS revenue"
    other = _edited(
        tmp_path / "literal",
        f'LAKEHOUSE_ROOT={ROOT} {ROOT}/.venv/bin/lakehouse demo --sql "{literal}" '
        "| sed 's/^-- query /-- daily_revenue /'\n",
    )
    said = verify(other)
    assert said.status is Status.FAILED, said.details
    assert "its statement is not the demo SQL" in (said.reason or ""), said.reason
    # The real demo query through the real CLI, its expected row printed twice: not the rows Athena returned.
    repeated = _edited(
        tmp_path / "repeated",
        f"LAKEHOUSE_ROOT={ROOT} {ROOT}/.venv/bin/lakehouse demo daily_revenue | sed '/^2026-03-01 | US /p'\n",
    )
    said = verify(repeated)
    assert said.status is Status.FAILED, said.details
    assert "(2026-03-01 | US | 1 | 444.15) is printed 2 times; Athena returned it 1 time(s)" in (said.reason or "")


def test_malformed_lines_are_reported_and_the_good_rows_still_load(deployed: Deployment, tmp_path: Path) -> None:
    for name in ("users.csv", "orders.csv"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    lines = (tmp_path / "orders.csv").read_text().splitlines()
    lines.insert(4, "70,5")  # line 5: cut short
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n")
    result = load(deployed, tmp_path)
    assert "orders.csv:5: expected 5 fields (as the header), found 2" in [str(m) for m in result.malformed]
    assert result.row_counts["silver.orders"] == 60  # every good row loaded
    assert "line has too few fields" not in result.quarantined["silver.orders_rejected"]  # quarantined at landing
    load(deployed)


def test_empty_gold_table_fails_check_2_with_its_query(deployed: Deployment) -> None:
    outputs = deployed.record.outputs
    conn = connect(deployed.stack.target, outputs["athena_workgroup_name"])
    try:
        deleted, _ = run(conn, f"DELETE FROM {outputs['glue_database_names']['gold']}.daily_revenue")
        assert deleted.ok, deleted.error
        record, rows = run(conn, demo_queries(outputs)["daily_revenue"])
        result = check_expected_row(record, rows, EXPECTED)
        assert not result.passed
        assert result.reason == "the Athena query on Gold returned no rows"
        assert result.details["queries"][0]["query_execution_id"] == record.query_execution_id
    finally:
        conn.close()
        load(deployed)


def test_silver_orders_with_every_amount_null_fail_the_contracts_naming_the_column(deployed: Deployment) -> None:
    """Range expectations skip NULLs: only the contract's null rule for ``amount`` catches this.

    Repaired by writing the amounts read before back (the pipeline's MERGE would not: NULL <> x is not true).
    """
    outputs = deployed.record.outputs
    orders = f"{outputs['glue_database_names']['silver']}.orders"
    load(deployed)
    conn = connect(deployed.stack.target, outputs["athena_workgroup_name"])
    try:
        healthy = check_contracts(conn, outputs, load_contracts())
        assert healthy.passed, healthy.reason
        read, amounts = run(conn, f"SELECT order_id, amount FROM {orders}", keep_rows=0)
        assert read.ok and amounts, read.error
        nulled, _ = run(conn, f"UPDATE {orders} SET amount = NULL")
        assert nulled.ok, nulled.error
        try:
            result = check_contracts(conn, outputs, load_contracts())
            assert result.status is Status.FAILED and result.reason is not None
            assert result.reason.startswith(
                "data contract violated: silver.orders.amount: expect_column_values_to_not_be_null failed for "
                f"{len(amounts)} of {len(amounts)} row(s) (null rule `nullable: false`, silver.orders.yml:7); "
            )
            # Gold, built from the amounts before, no longer is what Silver says.
            assert "; gold.users: table_rows_to_match_query failed (rows differ from `matches`" in result.reason
        finally:
            cases = " ".join(f"WHEN {order_id} THEN {amount}" for order_id, amount in amounts)
            restored, _ = run(conn, f"UPDATE {orders} SET amount = CASE order_id {cases} END")
            assert restored.ok, restored.error
        after = check_contracts(conn, outputs, load_contracts())
        assert after.passed, after.reason
    finally:
        conn.close()


def test_wrong_value_in_gold_fails_exit_2_with_evidence(deployed: Deployment, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA_DIR / "users.csv", data / "users.csv")
    orders = (DATA_DIR / "orders.csv").read_text()
    assert ",2026-03-01 14:47:00,444.15," in orders
    (data / "orders.csv").write_text(orders.replace(",2026-03-01 14:47:00,444.15,", ",2026-03-01 14:47:00,400.00,"))
    try:
        run = run_features(
            tmp_path / "reports",
            "--deployed",
            "--stack-id",
            deployed.stack.stack_id,
            "--data-dir",
            str(data),
            "-k",
            "Data",
        )
        check = run.check("EXIT-2")
        assert check["status"] == "failed", run.output
        assert "no row of 20 matches the expected values" in check["reason"] and "400.00" in check["reason"]
        query = check["details"]["queries"][0]
        assert query["query_execution_id"] and "daily_revenue" in query["sql"] and query["rows"]
    finally:
        load(deployed)
