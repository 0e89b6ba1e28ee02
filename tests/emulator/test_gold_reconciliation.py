"""Broken Gold SQL that still returns the scenario's row: exit check 2 and KPI-success-rate must fail.

Each test deploys a bare lakehouse on the shared emulator (``pipeline_stack``), runs the real pipeline
with a copy of ``pipeline/sql`` where one Gold statement is wrong, and judges the result with the same
functions the steps call. The sample's expected row (2026-03-01, US, 1 order, 444.15) is a completed
order, so a Gold that counts only completed orders, or that adds each run onto the last, still holds it.
"""

from __future__ import annotations

import itertools
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lakehouse.athena import connect, run
from lakehouse.checks.data_loop import built_gold, check_contracts, check_demo_row, check_expected_row
from lakehouse.contracts import load_contracts
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.kpi.success import GitHubPart, fresh_batches, judge_success, restore_stack, run_pipeline_n
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, PipelineResult, run_pipeline
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-south-1"
EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
_names = itertools.count(1)

#: The healthy Gold statement for daily revenue, and the broken versions of it (each a real bug).
REVENUE_SOURCE = "  FROM ${gold_db}.orders_enriched\n  WHERE status <> 'cancelled'\n  GROUP BY order_date, country"
REVENUE_SET = "WHEN MATCHED THEN UPDATE SET orders = s.orders, revenue = s.revenue"
#: The healthy rewrite of an order Gold holds: every column Silver may have changed.
ORDERS_SET = (
    "WHEN MATCHED THEN UPDATE SET\n"
    "  order_ts = s.order_ts, order_date = s.order_date, user_id = s.user_id, email = s.email, country = s.country,\n"
    "  amount = s.amount, status = s.status"
)
BROKEN = {
    # Revenue of completed orders only: shipped and placed orders never reach Gold.
    "completed-only": (REVENUE_SOURCE, REVENUE_SOURCE.replace("status <> 'cancelled'", "status = 'completed'")),
    # Each run adds its totals onto Gold's: right after the first run, doubled after the second.
    "accumulating": (
        REVENUE_SET,
        REVENUE_SET.replace("= s.orders", "= t.orders + s.orders").replace("= s.revenue", "= t.revenue + s.revenue"),
    ),
    # An order Gold holds gets only its status and country rewritten: a re-priced order keeps its old amount, a
    # moved one its old day, and the daily revenue summed from them agrees with them.
    "status-and-country-only": (ORDERS_SET, "WHEN MATCHED THEN UPDATE SET\n  country = s.country, status = s.status"),
}


#: A Gold table the pipeline's SQL adds without a contract: appended to on every run, judged by nothing.
UNCONTRACTED = """
CREATE TABLE IF NOT EXISTS ${gold_db}.revenue_by_status (status string, revenue decimal(12, 2))
LOCATION 's3://${gold_bucket}/revenue_by_status/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

INSERT INTO ${gold_db}.revenue_by_status
SELECT status, CAST(sum(amount) AS decimal(12, 2)) FROM ${gold_db}.orders_enriched GROUP BY status;
"""


#: How Silver's staging picks each key's winning line (pipeline/sql/2x_silver_*.sql): the newest version, then the
#: later line. A staging that keeps the first line instead refuses every update as 'duplicate key, superseded'.
NEWEST_WINS = "ORDER BY version DESC, source_line DESC"
SILVER_STAGING = ("20_silver_users.sql", "21_silver_orders.sql")


def first_line_wins(sql: Path, order: str = "ORDER BY source_line ASC") -> None:
    """Each Silver staging of ``sql`` made to keep a key's first line: a later line (an update) is refused, the
    line accounting still adds up (it is in the rejected table, with a reason), and Silver keeps the old row.
    ``order``: another way to pick the line that wins."""
    for name in SILVER_STAGING:
        path = sql / name
        text = path.read_text(encoding="utf-8")
        assert text.count(NEWEST_WINS) == 2, f"{name} changed: {NEWEST_WINS!r} not found twice"
        path.write_text(text.replace(NEWEST_WINS, order), encoding="utf-8")


def last_line_wins(sql: Path) -> None:
    """Each Silver staging of ``sql`` made to keep a key's last line, whatever its version: right while a source
    sends versions in order, wrong for a line that arrives late with an older ``updated_at`` or ``order_ts``."""
    first_line_wins(sql, "ORDER BY source_line DESC")


def sql_dir(tmp_path: Path, bug: str | None, extra: str = "") -> Path:
    """A copy of ``pipeline/sql``, with one Gold statement broken as ``BROKEN[bug]`` says and ``extra`` added."""
    out = tmp_path / "sql"
    shutil.copytree(SQL_DIR, out)
    if extra:
        (out / "40_extra.sql").write_text(extra, encoding="utf-8")
    if bug is not None:
        healthy, broken = BROKEN[bug]
        gold = out / "30_gold.sql"
        text = gold.read_text(encoding="utf-8")
        assert text.count(healthy) == 1, f"30_gold.sql changed: {healthy!r} not found once"
        gold.write_text(text.replace(healthy, broken), encoding="utf-8")
    return out


def stack(emulator: EmulatorHandle) -> tuple[Target, dict[str, Any]]:
    return pipeline_stack(emulator, REGION, f"gold{next(_names)}")


def load(target: Target, outputs: dict[str, Any], sql: Path, data_dir: Path | None = None) -> PipelineResult:
    return run_pipeline(target, outputs, data_dir=data_dir or DATA_DIR, sql_dir=sql)


def judge_exit_2(target: Target, outputs: dict[str, Any], sql: Path = SQL_DIR) -> tuple[Outcome, Outcome]:
    """The expected-row and the contracts judgements, as the steps make them (``sql``: the pipeline's SQL)."""
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, rows = run(conn, demo_queries(outputs)["daily_revenue"])
        contracts = check_contracts(conn, outputs, load_contracts(), sql_dir=sql)
        return check_expected_row(record, rows, EXPECTED), contracts
    finally:
        conn.close()


def test_healthy_gold_passes_exit_2_and_the_kpi_over_repeated_runs(emulator: EmulatorHandle, tmp_path: Path) -> None:
    """Each KPI run's batch is read back from Gold with a snapshot of its own; taken out again, Gold is the sample's.
    Three runs: run 3 changes again the keys run 2 changed (run 1's user, its re-priced order, a late line of its
    cancelled one, alone in the run), and the real SQL takes every change."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None)
    first = load(target, outputs, sql)
    assert first.ok, first.summary()
    row, contracts = judge_exit_2(target, outputs)
    assert row.passed, row.reason
    assert contracts.passed, contracts.reason
    demo_before = _demo_rows(target, outputs)
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 3)
    samples = run_pipeline_n(lambda d: load(target, outputs, sql, d), 3, proof)
    restored = restore_stack(target, outputs, proof, lambda: load(target, outputs, sql))
    outcome = judge_success(samples, GitHubPart(not_measured="not here"), 95.0, restored)
    assert outcome.passed, outcome.reason
    assert [s.read_back for s in samples] == ["the run's batch is in Gold as fed, with a snapshot of the run"] * 3
    read = samples[1].read
    assert read is not None and read["contracts"] == "every data contract met"
    daily = f"{outputs['glue_database_names']['gold']}.daily_revenue"
    assert read["column_types"]["stored_types"][daily]["order_date"] == "date", "exit check 2's types, read too"
    assert len(read["gold"]["gold.orders_enriched"]) == 6, "both batches, once each"
    # Run 2 moved run 1's user and cancelled its shipped order: Gold holds the newest values.
    batch1, moved = proof.batches[0], proof.batches[1].user_updates[1]["country"]
    held = {r["order_id"]: r for r in read["gold"]["gold.orders_enriched"]}
    assert held[batch1.order_ids[1]]["status"] == "cancelled", held
    assert {held[i]["country"] for i in batch1.order_ids} == {moved}, held
    assert {u["user_id"]: u["country"] for u in read["gold"]["gold.users"]}[batch1.user_id] == moved
    # and re-priced its completed order and moved it to run 1's next day (a newer order_ts): Gold follows.
    repriced = proof.batches[1].order_updates[2]
    assert (held[batch1.order_ids[0]]["amount"], held[batch1.order_ids[0]]["order_date"]) == (
        repriced["amount"],
        batch1.next_day,
    ), held
    assert all(s["committed_by_the_run"] for s in read["snapshots"].values()), read["snapshots"]
    # Run 3 changed them again: the user moved on, the re-priced order re-priced again; the late line lost.
    third = samples[2].read
    assert third is not None and len(third["gold"]["gold.orders_enriched"]) == 9, "three batches, once each"
    again, repriced_again = proof.batches[2].user_updates[-1], proof.batches[2].order_updates[-2]
    held = {r["order_id"]: r for r in third["gold"]["gold.orders_enriched"]}
    assert {held[i]["country"] for i in batch1.order_ids} == {again["country"]}, held
    assert (held[batch1.order_ids[0]]["amount"], held[batch1.order_ids[1]]["status"]) == (
        repriced_again["amount"],
        "cancelled",
    ), held
    users = {u["user_id"]: u for u in third["gold"]["gold.users"]}
    assert (users[batch1.user_id]["country"], users[batch1.user_id]["lifetime_value"]) == (
        again["country"],
        repriced_again["amount"],
    ), users
    assert restored.ok and restored.left == {}, restored
    row, contracts = judge_exit_2(target, outputs)
    assert row.passed and contracts.passed, (row.reason, contracts.reason)
    assert _demo_rows(target, outputs) == demo_before, "the demo queries answer as before the KPI"


def _demo_rows(target: Target, outputs: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        return {name: run(conn, sql)[1] for name, sql in sorted(demo_queries(outputs).items())}
    finally:
        conn.close()


def test_a_pipeline_that_skips_bronze_objects_it_has_processed_fails_the_kpi(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real pipeline behind a ledger of processed Bronze keys: the landing writes the same keys every run, so
    each KPI run exits ok having done nothing. Re-running the session's inputs it passed; its batches are not in
    Gold, and no Gold table has a snapshot of the run."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None)
    processed: set[Path] = set()

    def skipping(data_dir: Path | None) -> PipelineResult:
        if processed:
            return PipelineResult()  # "raw/users/users.csv and raw/orders/orders.csv: already processed"
        processed.add(data_dir or DATA_DIR)
        return load(target, outputs, sql, data_dir)

    assert skipping(None).ok, "the session's first run"
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 2)
    samples = run_pipeline_n(skipping, 2, proof)
    outcome = judge_success(samples, GitHubPart(not_measured="not here"), 95.0)
    assert outcome.status is Status.FAILED and outcome.measured == 0.0
    said = str(samples[0].error)
    assert "gold.orders_enriched lacks 3 of the 3 orders of this run's batch" in said, said
    assert "gold.users: no Iceberg snapshot committed by this run" in said, said
    assert (samples[0].read or {}).get("contracts") == "every data contract met", "the contracts alone saw nothing"


def test_a_silver_that_keeps_a_key_s_first_line_fails_the_run_naming_the_update_it_refused(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real pipeline with Silver's staging keeping each key's first line: the sample's own update of a user
    (users.csv line 26) is refused as superseded by an older line. The line accounting adds up (it is in the
    rejected table, with a reason), Gold built right from Silver meets every contract; only the KPI's later
    batches saw it before. The reason is not true of the line, and the run fails naming it (``refusals.py``)."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None)
    first_line_wins(sql)
    first = load(target, outputs, sql)
    assert not first.ok, "the session's first run"
    said = str(first.error)
    assert "users.csv:26: refused as 'duplicate key, superseded by line " in said, said
    assert "in silver.users_rejected, which is not true of it (user_id " in said, said


def _refused_falsely(said: str, file: str, table: str) -> None:
    """A run's error names a line of ``file`` refused by ``table`` as superseded, which it is not."""
    assert "input lines do not add up: " in said, said
    reason = r"refused as 'duplicate key, superseded by line \d+'"
    line = rf"{re.escape(file)}:\d+: {reason} in {table}, which is not true of it"
    assert re.search(line, said), said


def test_a_silver_that_keeps_a_key_s_last_line_fails_naming_the_newer_line_it_refused(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real pipeline with Silver's staging ordered by line position only: every line after the winner is refused
    as superseded (the accounting adds up), Gold agrees with Silver (every contract holds). Batches whose versions
    came in order passed it; from run 2 a late line with an older version follows each update, and it wins: the
    update is refused as superseded by a line with an older version, which the run names (``refusals.py``)."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None)
    last_line_wins(sql)
    assert load(target, outputs, sql).ok, "the session's first run"
    # Before the fix: each key's versions sent in order, and the KPI passes it.
    in_order = fresh_batches(target, outputs, DATA_DIR, tmp_path / "in-order", 2)
    in_order.batches = [
        replace(b, user_updates=b.user_updates[:2], order_updates=b.order_updates[:1]) for b in in_order.batches
    ]
    before = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, in_order)
    undone = restore_stack(target, outputs, in_order, lambda: load(target, outputs, sql))
    unexercised = judge_success(before, GitHubPart(not_measured="not here"), 95.0, undone)  # 2 runs: not judged whole
    assert unexercised.status is Status.SKIPPED and "not exercised" in str(unexercised.reason), unexercised.reason
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 2)
    samples = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, proof)
    restored = restore_stack(target, outputs, proof, lambda: load(target, outputs, sql))
    outcome = judge_success(samples, GitHubPart(not_measured="not here"), 95.0, restored)
    assert outcome.status is Status.FAILED, outcome.reason
    assert [s.ok for s in samples] == [True, False], "run 1 has nothing to update"
    said = str(samples[1].error)
    _refused_falsely(said, "users.csv", "silver.users_rejected")
    _refused_falsely(said, "orders.csv", "silver.orders_rejected")
    assert restored.ok and restored.left == {}, restored


def test_a_silver_users_whose_tie_goes_to_the_earlier_line_fails_naming_the_later_line_it_refused(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real pipeline with Silver users' staging giving a tie of ``updated_at`` to the earlier line (orders right):
    run 2's move of run 1's user follows a line of the same ``updated_at`` it corrects, and that line wins: the move
    is refused as superseded by the earlier line, which the run names. No user had two lines of one ``updated_at``
    before (unit test: ``..._tie_goes_to_the_earlier_line_passed``)."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None)
    users = sql / SILVER_STAGING[0]
    text = users.read_text(encoding="utf-8")
    assert text.count(NEWEST_WINS) == 2, f"{users.name} changed: {NEWEST_WINS!r} not found twice"
    users.write_text(text.replace(NEWEST_WINS, "ORDER BY version DESC, source_line ASC"), encoding="utf-8")
    assert load(target, outputs, sql).ok, "the session's first run"
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 2)
    samples = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, proof)
    restored = restore_stack(target, outputs, proof, lambda: load(target, outputs, sql))
    assert [s.ok for s in samples] == [True, False], "run 1 has nothing to update"
    said = str(samples[1].error)
    _refused_falsely(said, "users.csv", "silver.users_rejected")
    assert "orders.csv:" not in said, "orders' ties are right"
    assert restored.ok and restored.left == {}, restored


def test_a_gold_that_rewrites_only_an_order_s_status_and_country_fails_the_kpi_naming_the_stale_amount_and_day(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The real pipeline with Gold's MERGE of orders_enriched setting only status and country on a key it holds.
    Batches whose updates changed only an order's status (and its user's country) passed it; from run 2 the
    earlier batch's completed order is re-priced and moved to that batch's next day (a newer order_ts, Silver takes
    it), Gold keeps the old amount and day, and the read-back names them."""
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, "status-and-country-only")
    assert load(target, outputs, sql).ok, "the session's first run"
    # Before the fix: no update changed an order's amount or day (the batches without the re-pricing line).
    status_only = fresh_batches(target, outputs, DATA_DIR, tmp_path / "status-only", 2)
    status_only.batches = [replace(b, order_updates=b.order_updates[:2]) for b in status_only.batches]
    before = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, status_only)
    undone = restore_stack(target, outputs, status_only, lambda: load(target, outputs, sql))
    unexercised = judge_success(before, GitHubPart(not_measured="not here"), 95.0, undone)  # 2 runs: not judged whole
    assert unexercised.status is Status.SKIPPED and "not exercised" in str(unexercised.reason), unexercised.reason
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 2)
    samples = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, proof)
    restored = restore_stack(target, outputs, proof, lambda: load(target, outputs, sql))
    outcome = judge_success(samples, GitHubPart(not_measured="not here"), 95.0, restored)
    assert outcome.status is Status.FAILED, outcome.reason
    assert [s.ok for s in samples] == [True, False], "run 1 has nothing to update"
    first, repriced = proof.batches[0], proof.batches[1].order_updates[2]
    old = first.orders[0]
    said = str(samples[1].error)
    assert f"gold.orders_enriched order {old['order_id']} of run 1's batch (updated by run 2's batch) is {{" in said
    assert (
        f"(stale: order_date '{first.day}' where run 2's batch made it '{first.next_day}', amount '{old['amount']}' "
        f"where run 2's batch made it '{repriced['amount']}')"
    ) in said, said
    moved = proof.batches[1].user_updates[1]["country"]
    assert f"gold.daily_revenue has no row {first.next_day}/{moved} of run 1's batch" in said, said
    assert f"gold.daily_revenue keeps row {first.day}/{moved} of run 1's batch (updated by run 2's batch)" in said
    assert "status 'shipped'" not in said and "gold.users row" not in said, "status, country and users are right"
    # Gold's revenue, summed from Gold's stale orders, differs from what Silver's orders make: the contract sees it.
    assert "gold.daily_revenue" in str((samples[1].read or {}).get("contracts")), samples[1].read
    assert restored.ok and restored.left == {}, restored


def test_gold_revenue_of_completed_orders_only_fails_the_contract_naming_the_rows(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    target, outputs = stack(emulator)
    result = load(target, outputs, sql_dir(tmp_path, "completed-only"))
    assert result.ok, result.summary()
    row, contracts = judge_exit_2(target, outputs)
    assert row.passed, "the scenario's row is a completed order: it still comes back"
    assert contracts.status is Status.FAILED, "Gold misses every shipped and placed order"
    assert contracts.reason is not None
    assert (
        "gold.daily_revenue: table_rows_to_match_query failed (rows differ from `matches` (gold.daily_revenue.yml:"
        in contracts.reason
    ), contracts.reason


def test_gold_that_adds_each_run_onto_the_last_fails_the_success_rate(emulator: EmulatorHandle, tmp_path: Path) -> None:
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, "accumulating")
    first = load(target, outputs, sql)
    assert first.ok, first.summary()
    row, _ = judge_exit_2(target, outputs)
    assert row.passed, "after one run the accumulated Gold is still right"
    proof = fresh_batches(target, outputs, DATA_DIR, tmp_path / "batches", 2)
    samples = run_pipeline_n(lambda d: load(target, outputs, sql, d), 2, proof)
    outcome = judge_success(samples, GitHubPart(not_measured="not here"), 95.0)
    assert outcome.status is Status.FAILED, "every later run doubles Gold's revenue"
    assert [s.ok for s in samples] == [False, False], "each re-run adds onto Gold: both are wrong"
    assert outcome.reason is not None, outcome.reason
    assert "first failure: local run 1: the pipeline said ok, its tables read back say otherwise" in outcome.reason
    assert "gold.daily_revenue: table_rows_to_match_query failed" in outcome.reason
    assert "gold.users" not in outcome.reason, "only daily revenue adds up runs"


def test_a_table_the_pipeline_builds_without_a_contract_fails_every_table(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    target, outputs = stack(emulator)
    sql = sql_dir(tmp_path, None, UNCONTRACTED)
    for _ in range(2):
        result = load(target, outputs, sql)
        assert result.ok, result.summary()
    row, contracts = judge_exit_2(target, outputs, sql)
    assert row.passed, row.reason
    assert contracts.status is Status.FAILED, "gold.revenue_by_status holds every status twice, unjudged"
    assert contracts.reason == "no data contract for gold.revenue_by_status"
    assert contracts.measured == round(100.0 * 11 / 12, 1)
    assert contracts.details["tables_without_contract"] == ["gold.revenue_by_status"]


@pytest.mark.parametrize("bug", sorted(BROKEN))
def test_each_broken_statement_is_in_the_pipeline_sql(tmp_path: Path, bug: str) -> None:
    """The broken copies are made by replacing text of the real file: it must still be there."""
    text = (sql_dir(tmp_path, bug) / "30_gold.sql").read_text(encoding="utf-8")
    assert BROKEN[bug][1] in text


#: Demo queries whose rows are their own: literals, or a literal row added onto Gold's.
FAKE_DEMOS = {
    "literals": "SELECT DATE '2026-01-08' AS order_date, 'US' AS country, 1 AS orders, 476.00 AS revenue",
    "union": (
        "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue WHERE country = 'none' UNION ALL "
        "SELECT DATE '2026-01-08', 'US', 1, CAST(476.00 AS decimal(12, 2))"
    ),
}


@pytest.fixture(scope="module")
def completed_only(emulator: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> tuple[Target, dict[str, Any]]:
    """Gold of completed orders only: the sample's one (shipped) order of 2026-01-08 in the US is not in it."""
    target, outputs = stack(emulator)
    result = load(target, outputs, sql_dir(tmp_path_factory.mktemp("sql"), "completed-only"))
    assert result.ok, result.summary()
    return target, outputs


def test_the_healthy_demo_rows_are_found_in_the_gold_table_it_reads(
    completed_only: tuple[Target, dict[str, Any]],
) -> None:
    target, outputs = completed_only
    gold = outputs["glue_database_names"]["gold"]
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, rows = run(conn, demo_queries(outputs)["daily_revenue"])
        outcome = check_demo_row(conn, record, rows, gold, EXPECTED, target.client("glue"), built_gold(outputs))
    finally:
        conn.close()
    assert outcome.passed, outcome.reason
    assert outcome.details["row_from_gold"]["found_in"] == f"{gold}.daily_revenue"


@pytest.mark.parametrize("demo", sorted(FAKE_DEMOS))
def test_a_demo_query_that_makes_up_its_row_fails(completed_only: tuple[Target, dict[str, Any]], demo: str) -> None:
    """The row is a shipped order's (order 45): Gold of completed orders lacks it, the made-up demo returns it."""
    target, outputs = completed_only
    gold = outputs["glue_database_names"]["gold"]
    shipped = {"order_date": "2026-01-08", "country": "US", "orders": "1", "revenue": "476.00"}
    sql = FAKE_DEMOS[demo].format(gold=gold)
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, rows = run(conn, sql)
        assert check_expected_row(record, rows, shipped).passed, "the made-up row comes back"
        outcome = check_demo_row(conn, record, rows, gold, shipped, target.client("glue"), built_gold(outputs))
    finally:
        conn.close()
    assert outcome.status is Status.FAILED
    if demo == "literals":
        assert outcome.reason == f"the demo query reads no table of Gold ({gold}): its rows are its own word"
    else:
        assert outcome.reason == (
            f"the demo query returned the expected row, but no Gold table it reads holds it ({gold}.daily_revenue "
            "searched by the harness's own SELECT): the row is the query's, not Gold's"
        )


#: Demo queries that name Gold and return the scenario's row, which Gold holds too, without reading it from Gold.
GOLD_HOLDS_IT_DEMO_DOES_NOT_READ_IT = {
    # Gold's rows filtered away, the row added as literals.
    "where-false-union": (
        "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue WHERE false UNION ALL "
        "SELECT DATE '2026-03-01', 'US', 1, CAST(444.15 AS decimal(12, 2))"
    ),
    # One literal row per Gold row: Gold is read, its values are not.
    "literals-per-gold-row": (
        "SELECT DATE '2026-03-01' AS order_date, 'US' AS country, 1 AS orders, 444.15 AS revenue "
        "FROM {gold}.daily_revenue LIMIT 1"
    ),
    # A join against an empty CTE of Gold, the row from literals.
    "empty-cte-join": (
        "WITH none AS (SELECT * FROM {gold}.daily_revenue WHERE 1 = 0) "
        "SELECT v.* FROM (VALUES (DATE '2026-03-01', 'US', 1, 444.15)) AS v(order_date, country, orders, revenue) "
        "LEFT JOIN none n ON n.order_date = v.order_date"
    ),
}

#: Demo queries a healthy stack may well have: selective, aliased, reading Gold twice.
HEALTHY_DEMOS = {
    "selective": (
        "SELECT order_date, country, orders, revenue FROM {gold}.daily_revenue "
        "WHERE country = 'US' AND order_date = DATE '2026-03-01'"
    ),
    "aliased": (
        "SELECT d.order_date, d.country, d.orders, d.revenue FROM {gold}.daily_revenue AS d "
        "WHERE d.revenue > 0 ORDER BY d.order_date DESC LIMIT 50"
    ),
    "self-join": (
        "SELECT d.order_date, d.country, d.orders, d.revenue FROM {gold}.daily_revenue d "
        "JOIN (SELECT country, max(order_date) AS newest FROM {gold}.daily_revenue GROUP BY country) m "
        "ON m.country = d.country"
    ),
}


def judge_demo(target: Target, outputs: dict[str, Any], sql: str) -> Outcome:
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        record, rows = run(conn, sql)
        assert check_expected_row(record, rows, EXPECTED).passed, "the demo returns the scenario's row"
        return check_demo_row(
            conn,
            record,
            rows,
            outputs["glue_database_names"]["gold"],
            EXPECTED,
            target.client("glue"),
            built_gold(outputs),
        )
    finally:
        conn.close()


@pytest.mark.parametrize("demo", sorted(GOLD_HOLDS_IT_DEMO_DOES_NOT_READ_IT))
def test_a_demo_query_that_returns_gold_s_row_without_reading_it_fails(
    completed_only: tuple[Target, dict[str, Any]], demo: str
) -> None:
    """Gold holds the scenario's row (a completed order); the demo returns it from its own literals."""
    target, outputs = completed_only
    gold = outputs["glue_database_names"]["gold"]
    outcome = judge_demo(target, outputs, GOLD_HOLDS_IT_DEMO_DOES_NOT_READ_IT[demo].format(gold=gold))
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        f"the demo query still returns the expected row when the harness takes it out of {gold}.daily_revenue: "
        "the row is the query's own, not read from Gold"
    )
    probe = outcome.details["answered_from_gold"]
    assert probe["taken_out_of"] == [f"{gold}.daily_revenue"]
    assert probe["still_returned"]["country"] == "US"
    assert "NOT COALESCE(" in probe["queries"][0]["sql"], "the evidence shows the query the harness ran"


@pytest.mark.parametrize("demo", sorted(HEALTHY_DEMOS))
def test_a_demo_query_that_reads_the_row_from_gold_passes(
    completed_only: tuple[Target, dict[str, Any]], demo: str
) -> None:
    """No false red: a selective, aliased or self-joining demo whose row is Gold's stops returning it without it."""
    target, outputs = completed_only
    gold = outputs["glue_database_names"]["gold"]
    outcome = judge_demo(target, outputs, HEALTHY_DEMOS[demo].format(gold=gold))
    assert outcome.passed, outcome.reason
    assert outcome.details["answered_from_gold"]["taken_out_of"] == [f"{gold}.daily_revenue"]


def test_a_demo_query_answering_from_a_csv_table_in_gold_fails_naming_its_format(
    completed_only: tuple[Target, dict[str, Any]],
) -> None:
    """The broken stack: a hand-written CSV under Gold's bucket, a plain (Hive) table over it in Gold's database,
    and the demo reading that: the row is in Gold's database and comes from it, but never went through Iceberg."""
    target, outputs = completed_only
    gold, bucket = outputs["glue_database_names"]["gold"], outputs["bucket_names"]["gold"]
    target.client("s3").put_object(
        Bucket=bucket, Key="revenue_csv/part-0.csv", Body=b"order_date,country,orders,revenue\n2026-03-01,US,1,444.15\n"
    )
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        ddl, _ = run(
            conn,
            f"CREATE EXTERNAL TABLE {gold}.revenue_csv (order_date string, country string, orders string, "
            "revenue string) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
            f"LOCATION 's3://{bucket}/revenue_csv/' TBLPROPERTIES ('skip.header.line.count' = '1')",
        )
        assert ddl.ok, ddl.error
        record, rows = run(conn, f"SELECT order_date, country, orders, revenue FROM {gold}.revenue_csv")
        assert check_expected_row(record, rows, EXPECTED).passed, "the CSV's row comes back"
        outcome = check_demo_row(conn, record, rows, gold, EXPECTED, target.client("glue"), built_gold(outputs))
    finally:
        conn.close()
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None
    assert outcome.reason.startswith(
        f"the expected row is only in Gold table(s) that are not Iceberg: {gold}.revenue_csv ("
    )
    assert outcome.details["row_from_gold"]["formats"][f"{gold}.revenue_csv"] != "ICEBERG"
