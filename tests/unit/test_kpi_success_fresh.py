"""KPI-success-rate: each counted run is fed a batch of its own and must show it in Gold, or it is no success.

A small lakehouse in DuckDB stands in for the stack (Bronze landed from the run's data directory,
Silver merged with the plan's semantics: per key the newest version wins, on a tie the later line;
Gold rebuilt, a snapshot id per Gold table per commit), driven by pipelines that are healthy or broken
the ways a real one is: one that skips Bronze objects it has processed before (the landing keeps their
keys, so it skips every re-run), one that drops orders of a month it has no partition for yet, one
that inserts fresh orders twice. Before the fix the KPI re-ran the session's inputs and read back only
the contracts: each broken one passed it. Two more ignore updates (a Silver MERGE that only inserts,
a Gold that only appends orders it has not seen): batches that only add rows passed both. Two more pick the
wrong line of a key (a Silver whose last line wins whatever its version, one whose users' tie goes to the
earlier line): versions sent in order, no user with two lines of one ``updated_at``, passed both. Three more lose
a key's second change (a Silver that merges a key's first change only, a Gold lifetime value that takes back an
order's first amount when it is re-priced, a Silver that ranks only new lines without the cross-run guard): no key
was changed in two consecutive runs, and a late line always came in the run of the version it loses to, so each
passed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from lakehouse.kpi.fresh import (
    Fed,
    FreshBatches,
    SnapshotLog,
    expected_gold,
    judge_gold,
    judge_snapshots,
    make_batches,
    newest,
    read_gold,
    restore,
    write_inputs,
)
from lakehouse.kpi.success import GitHubPart, RunSample, judge_success, run_pipeline_n
from lakehouse.outcome import Status
from lakehouse.pipeline.landing import LANDING
from lakehouse.pipeline.runner import PipelineResult

OUTPUTS: dict[str, Any] = {"glue_database_names": {"bronze": "b", "silver": "s", "gold": "g"}}
USERS = (
    "user_id,email,full_name,ssn,country,signup_ts,updated_at\n"
    "1,ana@example.com,Ana,123-45-6789,US,2026-01-02 10:00:00,2026-01-02 10:00:00\n"
    "2,bo@example.com,Bo,234-56-7890,JP,2026-01-03 10:00:00,2026-01-03 10:00:00\n"
)
ORDERS = (
    "order_id,user_id,order_ts,amount,status\n"
    "1,1,2026-03-01 14:47:00,444.15,completed\n"
    "2,2,2026-02-06 13:24:00,361.08,shipped\n"
    "3,2,2026-02-09 04:29:00,361.59,cancelled\n"
)
GOLD = ("users", "orders_enriched", "daily_revenue")
#: The columns Gold's MERGE sets on an order it holds (pipeline/sql/30_gold.sql: every one).
REWRITTEN = ("user_id", "order_date", "country", "amount", "status")


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The session's inputs (what exit check 2's first run landed)."""
    out = tmp_path / "base"
    out.mkdir()
    (out / "users.csv").write_text(USERS)
    (out / "orders.csv").write_text(ORDERS)
    return out


class Lakehouse:
    """Bronze, Silver and Gold in DuckDB, with each Gold table's snapshot log (one id per commit)."""

    def __init__(self) -> None:
        self.db = duckdb.connect()
        for schema in ("b", "s", "g"):
            self.db.execute(f"CREATE SCHEMA {schema}")
        self.db.execute(
            "CREATE TABLE b.users_csv (user_id varchar, country varchar, updated_at varchar, source_line varchar)"
        )
        self.db.execute(
            "CREATE TABLE b.orders_csv (order_id varchar, user_id varchar, order_ts varchar, amount varchar, "
            "status varchar, source_line varchar)"
        )
        self.db.execute("CREATE TABLE s.users (user_id bigint, country varchar, updated_at timestamp)")
        self.db.execute(
            "CREATE TABLE s.orders (order_id bigint, user_id bigint, order_ts timestamp, amount decimal(10, 2), "
            "status varchar)"
        )
        self.db.execute("CREATE TABLE s.orders_staged AS SELECT * FROM b.orders_csv")
        self.db.execute(
            "CREATE TABLE g.users (user_id bigint, order_count bigint, lifetime_value decimal(12, 2), country varchar)"
        )
        self.db.execute(
            "CREATE TABLE g.orders_enriched (order_id bigint, user_id bigint, order_date date, country varchar, "
            "amount decimal(10, 2), status varchar)"
        )
        self.db.execute(
            "CREATE TABLE g.daily_revenue (order_date date, country varchar, orders bigint, revenue decimal(12, 2))"
        )
        self.logs: dict[str, list[int]] = {f"gold.{t}": [] for t in GOLD}
        #: Keys whose row a MERGE has changed (``updates="once"``), and the last Bronze line each Silver table read
        #: (``window="new-lines"``): a pipeline's own state across runs.
        self.db.execute("CREATE TABLE s.changed (tbl varchar, key bigint)")
        self.read_up_to = {"s.users": 0, "s.orders": 0}
        #: The amount Gold first recorded of each order (``lifetime="takes-back-first"``).
        self.db.execute("CREATE TABLE g.first_amount (order_id bigint, amount decimal(10, 2))")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.db.execute(sql).fetchall()

    def snapshots(self) -> dict[str, SnapshotLog]:
        return {t: SnapshotLog(ids[-1] if ids else None, list(ids)) for t, ids in self.logs.items()}

    def land(self, data_dir: Path) -> None:
        """Bronze is the landed files, replaced each run (as landing overwrites raw/users/users.csv)."""
        self.db.execute("DELETE FROM b.users_csv")
        self.db.execute("DELETE FROM b.orders_csv")
        users = csv.DictReader(io.StringIO((data_dir / "users.csv").read_text()))
        for line, u in enumerate(users, start=2):
            values = [u["user_id"], u["country"], u["updated_at"], str(line)]
            self.db.execute("INSERT INTO b.users_csv VALUES (?, ?, ?, ?)", values)
        orders = csv.DictReader(io.StringIO((data_dir / "orders.csv").read_text()))
        for line, o in enumerate(orders, start=2):
            values = [o["order_id"], o["user_id"], o["order_ts"], o["amount"], o["status"], str(line)]
            self.db.execute("INSERT INTO b.orders_csv VALUES (?, ?, ?, ?, ?, ?)", values)

    def _merge(
        self, table: str, winners: str, key: str, updates: bool | str, version: str, guard: bool = False
    ) -> None:
        """MERGE as pipeline/sql does: each key's winning line updates the row Silver holds or is inserted, unless
        older than it (``guard``: the cross-run guard, 'older than the row silver holds'). ``updates=False``: an
        insert-only MERGE, a key Silver holds keeps its first row; ``"once"``: a key's first change is merged, a
        later one refused as a change already made (a ledger of changed keys, not of key and version)."""
        self.db.execute(f"CREATE TEMP TABLE winners AS {winners}")
        if guard:
            self.db.execute(
                f"DELETE FROM winners w WHERE EXISTS (SELECT 1 FROM {table} t WHERE t.{key} = w.{key} "
                f"AND t.{version} > w.{version})"
            )
        if updates == "once":
            self.db.execute(f"DELETE FROM winners WHERE {key} IN (SELECT key FROM s.changed WHERE tbl = '{table}')")
            self.db.execute(
                f"INSERT INTO s.changed SELECT '{table}', {key} FROM (SELECT * FROM winners EXCEPT SELECT * FROM "
                f"{table}) WHERE {key} IN (SELECT {key} FROM {table})"
            )
        if updates:
            self.db.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM winners)")
        self.db.execute(f"INSERT INTO {table} SELECT * FROM winners WHERE {key} NOT IN (SELECT {key} FROM {table})")
        self.db.execute("DROP TABLE winners")

    def silver(
        self,
        order_filter: str = "true",
        updates: bool | str = True,
        wins: str = "newest",
        users_wins: str | None = None,
        window: str = "all",
    ) -> None:
        """Per key the newest version wins (updated_at, order_ts), on a tie the later line (``wins="first"``: the
        first line wins, a later one is refused as superseded; ``"last"``: the last line wins, whatever its version;
        ``"newest-then-first"``: on a tie the earlier line). ``users_wins``: the users' rule, when not ``wins``.
        ``window="new-lines"``: only the Bronze lines after those the last run read are ranked (an incremental read:
        the cross-run guard keeps an older line out); ``"new-lines-unguarded"``: the same without the guard."""
        by = {"newest": "{v} DESC, CAST(source_line AS int) DESC", "first": "CAST(source_line AS int)"}
        by |= {"last": "CAST(source_line AS int) DESC", "newest-then-first": "{v} DESC, CAST(source_line AS int)"}
        self.db.execute("DELETE FROM s.orders_staged")
        self.db.execute("INSERT INTO s.orders_staged SELECT * FROM b.orders_csv")
        users = (
            "SELECT CAST(user_id AS bigint) AS user_id, upper(country) AS country, CAST(updated_at AS timestamp) "
            "AS updated_at FROM b.users_csv WHERE " + self._new_lines("s.users", window) + " QUALIFY row_number() "
            "OVER (PARTITION BY user_id ORDER BY " + by[users_wins or wins].format(v="updated_at") + ") = 1"
        )
        guard = window == "new-lines"  # ranking every line, the newest is ranked with the older: no guard needed
        self._merge("s.users", users, "user_id", updates, "updated_at", guard)
        orders = (
            "SELECT CAST(order_id AS bigint) AS order_id, CAST(user_id AS bigint) AS user_id, "
            "CAST(order_ts AS timestamp) AS order_ts, CAST(amount AS decimal(10, 2)) AS amount, status "
            f"FROM b.orders_csv WHERE {order_filter} AND " + self._new_lines("s.orders", window) + " QUALIFY "
            "row_number() OVER (PARTITION BY order_id ORDER BY " + by[wins].format(v="order_ts") + ") = 1"
        )
        self._merge("s.orders", orders, "order_id", updates, "order_ts", guard)
        for table, bronze in (("s.users", "b.users_csv"), ("s.orders", "b.orders_csv")):
            (last,) = self.query(f"SELECT max(CAST(source_line AS int)) FROM {bronze}")[0]
            self.read_up_to[table] = last or 0

    def _new_lines(self, table: str, window: str) -> str:
        """The Bronze lines a Silver table ranks: all of them, or those after the lines its last run read."""
        return "true" if window == "all" else f"CAST(source_line AS int) > {self.read_up_to[table]}"

    def gold(
        self,
        enriched_copies: int = 1,
        updates: bool = True,
        rewrites: tuple[str, ...] = REWRITTEN,
        lifetime: str = "rebuilt",
    ) -> None:
        """Gold from Silver; ``updates=False``: orders Gold holds are never rewritten, only unseen ones appended;
        ``rewrites``: the columns a rewrite of an order Gold holds sets (the others keep their old values).
        ``lifetime="incremental"``: a user's lifetime value is the one Gold held plus what its changed orders add
        (a changed order's new amount, less the amount Gold held of it); ``"takes-back-first"``: less the amount
        Gold first recorded of it instead (right on an order's first change, wrong on its second)."""
        taken = {"incremental": "e.amount", "takes-back-first": "f.amount"}.get(lifetime)
        if taken is not None:
            self.db.execute("CREATE TEMP TABLE held AS SELECT user_id, lifetime_value FROM g.users")
            self.db.execute(
                "CREATE TEMP TABLE added AS SELECT o.user_id, sum(CASE WHEN o.status <> 'cancelled' THEN o.amount "
                f"ELSE 0 END) - sum(CASE WHEN e.status <> 'cancelled' THEN {taken} ELSE 0 END) AS amount "
                "FROM s.orders o LEFT JOIN g.orders_enriched e ON e.order_id = o.order_id "
                "LEFT JOIN g.first_amount f ON f.order_id = o.order_id "
                "WHERE e.order_id IS NULL OR e.amount <> o.amount OR e.status <> o.status GROUP BY o.user_id"
            )
        self.db.execute("DELETE FROM g.users")
        self.db.execute(
            "INSERT INTO g.users SELECT u.user_id, count(o.order_id), coalesce(sum(o.amount), 0), u.country "
            "FROM s.users u LEFT JOIN s.orders o ON o.user_id = u.user_id AND o.status <> 'cancelled' "
            "GROUP BY u.user_id, u.country"
        )
        self.db.execute(
            "CREATE TEMP TABLE current AS SELECT o.order_id, o.user_id, CAST(o.order_ts AS date) AS order_date, "
            "u.country, o.amount, o.status FROM s.orders o JOIN s.users u ON u.user_id = o.user_id"
        )
        if updates:
            sets = ", ".join(f"{column} = c.{column}" for column in rewrites)
            self.db.execute(f"UPDATE g.orders_enriched AS e SET {sets} FROM current AS c WHERE e.order_id = c.order_id")
        fresh = "SELECT * FROM current WHERE order_id NOT IN (SELECT order_id FROM g.orders_enriched)"
        self.db.execute(f"CREATE TEMP TABLE fresh AS {fresh}")
        for _ in range(enriched_copies):  # healthy: once; the doubling pipeline: twice
            self.db.execute("INSERT INTO g.orders_enriched SELECT * FROM fresh")
        self.db.execute("DROP TABLE fresh")
        self.db.execute("DROP TABLE current")
        self.db.execute("DELETE FROM g.orders_enriched WHERE order_id NOT IN (SELECT order_id FROM s.orders)")
        if taken is not None:
            self.db.execute(
                "UPDATE g.users AS u SET lifetime_value = coalesce((SELECT lifetime_value FROM held h WHERE "
                "h.user_id = u.user_id), 0) + coalesce((SELECT amount FROM added a WHERE a.user_id = u.user_id), 0)"
            )
            self.db.execute("DROP TABLE held")
            self.db.execute("DROP TABLE added")
        self.db.execute(
            "INSERT INTO g.first_amount SELECT order_id, amount FROM g.orders_enriched "
            "WHERE order_id NOT IN (SELECT order_id FROM g.first_amount)"
        )
        self.db.execute("DELETE FROM g.daily_revenue")
        self.db.execute(
            "INSERT INTO g.daily_revenue SELECT order_date, country, count(*), sum(amount) FROM g.orders_enriched "
            "WHERE status <> 'cancelled' GROUP BY order_date, country"
        )
        for ids in self.logs.values():
            ids.append(1000 + sum(len(i) for i in self.logs.values()))

    def contracts(self, _: PipelineResult) -> tuple[str | None, dict[str, Any]]:
        """Gold's revenue equal to what Silver says (the `matches` contract), None when it holds; nothing else read
        (the column types are ``tests/emulator/test_gold_types.py``'s)."""
        diff = self.query(
            "SELECT count(*) FROM (SELECT order_date, country, orders, revenue FROM g.daily_revenue EXCEPT "
            "SELECT CAST(o.order_ts AS date), u.country, count(*), sum(o.amount) FROM s.orders o "
            "JOIN s.users u ON u.user_id = o.user_id WHERE o.status <> 'cancelled' GROUP BY 1, 2)"
        )
        return (None if diff[0][0] == 0 else "data contracts failed: gold.daily_revenue differs from Silver"), {}


class Healthy:
    """Lands the run's files and runs every transform, every time."""

    def __init__(self, lake: Lakehouse) -> None:
        self.lake = lake

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold()
        return PipelineResult()


class SkipsSeenObjects(Healthy):
    """Keeps a ledger of the Bronze keys it processed and skips those: the landing writes the same keys each run."""

    def __init__(self, lake: Lakehouse) -> None:
        super().__init__(lake)
        self.processed: set[str] = set()

    def __call__(self, data_dir: Path) -> PipelineResult:
        keys = {prefix + name for name, prefix in LANDING.items()}
        if keys <= self.processed:
            return PipelineResult()  # "nothing new": exits 0, commits nothing
        self.processed |= keys
        return super().__call__(data_dir)


class BreaksOnNewMonth(Healthy):
    """Writes only into the month partitions its first run created: orders of a new month vanish, silently."""

    def __init__(self, lake: Lakehouse) -> None:
        super().__init__(lake)
        self.months: set[str] = set()

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        if not self.months:
            self.months = {r[0] for r in self.lake.query("SELECT DISTINCT substr(order_ts, 1, 7) FROM b.orders_csv")}
        self.lake.silver(f"substr(order_ts, 1, 7) IN ({', '.join(repr(m) for m in sorted(self.months))})")
        self.lake.gold()
        return PipelineResult()


class DoublesFreshOrders(Healthy):
    """The first load is right; after it, orders Gold has not seen are appended twice (a retried incremental
    append). A re-run of inputs already loaded appends nothing, so it changes nothing."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        loaded = self.lake.query("SELECT count(*) FROM g.orders_enriched")[0][0] > 0
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold(enriched_copies=2 if loaded else 1)
        return PipelineResult()


class IgnoresUpdates(Healthy):
    """Silver's MERGE only inserts (no WHEN MATCHED): a key Silver holds keeps its first row, the user's old
    country, the order's old status. Gold is built right from that Silver, so every contract holds."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(updates=False)
        self.lake.gold()
        return PipelineResult()


class FirstLineWins(Healthy):
    """Silver keeps each key's first line and refuses later ones as superseded (a dedup ordered the wrong way):
    the line accounting adds up, Gold agrees with Silver, and every update is lost."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(wins="first")
        self.lake.gold()
        return PipelineResult()


class LastLineWins(Healthy):
    """Silver keeps each key's last line, whatever its version (a dedup by line position, not by ``updated_at``):
    right whenever a source sends versions in order, and wrong for a line that arrives late with an older one."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(wins="last")
        self.lake.gold()
        return PipelineResult()


class UsersTieToFirstLine(Healthy):
    """Silver users keep the newest ``updated_at`` but on a tie the earlier line (orders are right): a correction
    sent with the same ``updated_at`` as the line it corrects is refused as superseded."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(users_wins="newest-then-first")
        self.lake.gold()
        return PipelineResult()


class GoldAppendsOnly(Healthy):
    """Silver is right; Gold appends the orders it has not seen and never rewrites one it holds."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold(updates=False)
        return PipelineResult()


class GoldRewritesStatusOnly(Healthy):
    """Silver is right; Gold's MERGE of an order it holds sets only its status and country (the columns an update
    changed in every batch before the fix): a re-priced order keeps its old amount, a moved one its old day, and
    the day's revenue, summed from those rows, agrees with them."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold(rewrites=("country", "status"))
        return PipelineResult()


class ChangesOnce(Healthy):
    """Silver merges a key's first change and refuses any later one as a change already made (a ledger of the keys
    it changed, not of key and version): right for every key a run changes once, wrong for one changed again."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(updates="once")
        self.lake.gold()
        return PipelineResult()


class LifetimeIncremental(Healthy):
    """Gold's lifetime value kept incrementally: the value held plus a changed order's new amount, less the amount
    Gold held of it. Healthy: the twin of the one below."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold(lifetime="incremental")
        return PipelineResult()


class LifetimeTakesBackFirstAmount(Healthy):
    """Gold's lifetime value kept incrementally, taking back the amount Gold first recorded of a re-priced order,
    not the one it holds: right on an order's first re-pricing, wrong on its second."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver()
        self.lake.gold(lifetime="takes-back-first")
        return PipelineResult()


class ReadsNewLines(Healthy):
    """Silver ranks only the Bronze lines after those its last run read, and refuses a winner older than the row it
    holds (the cross-run guard). Healthy: the twin of the one below."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(window="new-lines")
        self.lake.gold()
        return PipelineResult()


class ReadsNewLinesUnguarded(Healthy):
    """Silver ranks only the new Bronze lines and has no cross-run guard: a late line whose newer version came in an
    earlier run wins. Right while each late line comes in the run of the version it loses to."""

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.lake.land(data_dir)
        self.lake.silver(window="new-lines-unguarded")
        self.lake.gold()
        return PipelineResult()


class SameInputs:
    """The KPI before the fix: every run lands the session's inputs again; only the contracts are read back."""

    def __init__(self, base: Path, lake: Lakehouse) -> None:
        self.base, self.lake = base, lake

    def feed(self, run: int) -> Fed:
        return Fed(self.base, {})

    def read_back(self, run: int, result: PipelineResult) -> tuple[str | None, dict[str, Any]]:
        return self.lake.contracts(result)


def fresh(base: Path, tmp_path: Path, lake: Lakehouse, n: int) -> FreshBatches:
    return FreshBatches(
        base,
        tmp_path / "batches",
        make_batches(n, "A1B2C3"),
        lambda batches: read_gold(lake.query, OUTPUTS, batches),
        lake.snapshots,
        lake.contracts,
    )


BROKEN = {"skips-seen-objects": SkipsSeenObjects, "breaks-on-new-month": BreaksOnNewMonth}


def _session(lake: Lakehouse, pipeline: Healthy, base: Path) -> None:
    """The session's first pipeline run (exit check 2), before the KPI."""
    assert pipeline(base).ok
    assert lake.query("SELECT count(*) FROM g.orders_enriched")[0][0] == 3


@pytest.mark.parametrize("broken", sorted(BROKEN) + ["doubles-fresh-orders"])
def test_before_the_fix_a_broken_pipeline_passed_by_re_running_the_session_inputs(base: Path, broken: str) -> None:
    """The hole: the same inputs again, read back by the contracts only, and every broken pipeline is green."""
    lake = Lakehouse()
    pipeline = {**BROKEN, "doubles-fresh-orders": DoublesFreshOrders}[broken](lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, SameInputs(base, lake))
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


def test_a_pipeline_that_skips_bronze_objects_it_has_seen_fails_every_run(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = SkipsSeenObjects(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and outcome.measured == 0.0
    first = str(samples[0].error)
    assert first.startswith("the pipeline said ok, its tables read back say otherwise: ")
    assert "gold.orders_enriched lacks 3 of the 3 orders of this run's batch (195970590011, " in first, first
    assert "gold.users has no row 19597059001 of this run's batch" in first
    assert "gold.daily_revenue has no row 2025-12-30/ZZ-A1B2C3 of this run's batch" in first
    assert "gold.daily_revenue: no Iceberg snapshot committed by this run" in first
    assert samples[0].read is not None and samples[0].read["snapshots"]["gold.users"]["committed_by_the_run"] == []
    assert "first failure: local run 1: the pipeline said ok" in str(outcome.reason)


def test_a_pipeline_that_drops_orders_of_a_new_month_fails(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = BreaksOnNewMonth(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 2, fresh(base, tmp_path, lake, 2))
    assert [s.ok for s in samples] == [False, False]
    said = str(samples[0].error)
    assert "gold.orders_enriched lacks 3 of the 3 orders of this run's batch" in said
    assert "gold.users row 19597059001 of this run's batch is {'user_id': 19597059001, 'order_count': 0, " in said
    assert "no Iceberg snapshot" not in said, "it did commit: the snapshots are not what is wrong"


def test_a_pipeline_that_inserts_fresh_orders_twice_fails_naming_them(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = DoublesFreshOrders(lake)
    _session(lake, pipeline, base)
    (sample,) = run_pipeline_n(lambda d: pipeline(d or base), 1, fresh(base, tmp_path, lake, 1))
    assert not sample.ok
    assert "gold.orders_enriched holds order 195970590011 of this run's batch 2 times" in str(sample.error)
    assert "gold.daily_revenue row 2025-12-30/ZZ-A1B2C3 of this run's batch is" in str(sample.error)


UPDATES_IGNORED = {
    "silver-insert-only": IgnoresUpdates,
    "first-line-wins": FirstLineWins,
    "gold-appends-only": GoldAppendsOnly,
}


def adds_only(proof: FreshBatches) -> FreshBatches:
    """The KPI before the fix: the same batches, without the lines that update an earlier batch's rows."""
    return replace(proof, batches=[replace(b, user_updates=(), order_updates=()) for b in proof.batches])


@pytest.mark.parametrize("broken", sorted(UPDATES_IGNORED))
def test_before_the_fix_a_pipeline_that_ignores_updates_passed_on_batches_that_only_add_rows(
    base: Path, tmp_path: Path, broken: str
) -> None:
    """The hole: each batch only adds rows, so a pipeline that never changes a row it holds shows each as fed."""
    lake = Lakehouse()
    pipeline = UPDATES_IGNORED[broken](lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, adds_only(fresh(base, tmp_path, lake, 3)))
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


@pytest.mark.parametrize("broken", sorted(UPDATES_IGNORED))
def test_a_pipeline_that_ignores_updates_fails_from_the_first_run_that_updates(
    base: Path, tmp_path: Path, broken: str
) -> None:
    """The healthy twin is the healthy pipeline's test below: the same batches, every run green."""
    lake = Lakehouse()
    pipeline = UPDATES_IGNORED[broken](lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and outcome.measured == round(100 / 3, 2)
    assert [s.ok for s in samples] == [True, False, False]
    for run, sample in enumerate(samples[1:], start=2):
        said = str(sample.error)
        assert f"of run {run - 1}'s batch (updated by run {run}'s batch) is {{" in said, said
        assert f"status 'shipped' where run {run}'s batch made it 'cancelled'" in said, said


def test_a_silver_merge_that_only_inserts_fails_naming_each_row_left_stale(base: Path, tmp_path: Path) -> None:
    """Run 2 moves run 1's user to ZY-A1B2C3, cancels its shipped order and re-prices and moves its completed one to
    the next day; Silver keeps each as first fed, Gold
    agrees with Silver (the contracts see nothing) and the read-back names each stale value."""
    lake = Lakehouse()
    pipeline = IgnoresUpdates(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED
    assert [s.ok for s in samples] == [True, False, False], "run 1 has nothing to update; each later run does"
    said = str(samples[1].error)
    assert (
        "gold.orders_enriched order 195970590012 of run 1's batch (updated by run 2's batch) is {'order_id': "
        "195970590012, 'user_id': 19597059001, 'order_date': '2025-12-30', 'country': 'ZZ-A1B2C3', 'amount': "
        "'20.51', 'status': 'shipped'}, fed {"
    ) in said, said
    assert (
        "(stale: country 'ZZ-A1B2C3' where run 2's batch made it 'ZY-A1B2C3', status 'shipped' where run 2's "
        "batch made it 'cancelled')"
    ) in said
    assert (
        "gold.users row 19597059001 of run 1's batch (updated by run 2's batch) is {'user_id': 19597059001, "
        "'order_count': 2, 'lifetime_value': '30.77', 'country': 'ZZ-A1B2C3'}, the batches make it {'user_id': "
        "19597059001, 'order_count': 1, 'lifetime_value': '42.01', 'country': 'ZY-A1B2C3'} (stale: order_count 2 "
        "where run 2's batch made it 1, lifetime_value '30.77' where run 2's batch made it '42.01', country "
        "'ZZ-A1B2C3' where run 2's batch made it 'ZY-A1B2C3')"
    ) in said
    assert "gold.daily_revenue has no row 2025-12-31/ZY-A1B2C3 of run 1's batch" in said
    assert (
        "gold.daily_revenue keeps row 2025-12-30/ZZ-A1B2C3 of run 1's batch (updated by run 2's batch): "
        "{'order_date': '2025-12-30', 'country': 'ZZ-A1B2C3', 'orders': 2, 'revenue': '30.77'} (stale: run 2's "
        "batch left it no counted order)"
    ) in said
    assert (
        "gold.orders_enriched order 195970590011 of run 1's batch (updated by run 2's batch) is {'order_id': "
        "195970590011, 'user_id': 19597059001, 'order_date': '2025-12-30', 'country': 'ZZ-A1B2C3', 'amount': "
        "'10.26', 'status': 'completed'}"
    ) in said, "re-priced and moved by run 2, kept as first fed"
    assert "this run's batch" not in said, "run 2's own rows are as fed"
    assert (samples[1].read or {}).get("contracts") == "every data contract met", "the contracts alone saw nothing"
    assert "first failure: local run 2: the pipeline said ok, its tables read back say otherwise" in str(outcome.reason)


def test_a_gold_that_never_rewrites_an_order_it_holds_fails_naming_the_stale_orders(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = GoldAppendsOnly(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 2, fresh(base, tmp_path, lake, 2))
    assert [s.ok for s in samples] == [True, False]
    said = str(samples[1].error)
    assert "status 'shipped' where run 2's batch made it 'cancelled'" in said, said
    assert "gold.orders_enriched order 195970590011 of run 1's batch (updated by run 2's batch) is {" in said
    assert "(stale: country 'ZZ-A1B2C3' where run 2's batch made it 'ZY-A1B2C3')" in said
    assert "gold.daily_revenue keeps row 2025-12-30/ZZ-A1B2C3 of run 1's batch" in said
    assert "gold.users row" not in said, "Gold's users are rebuilt from Silver, which is right"


def test_the_expectation_follows_the_plan_newest_version_then_the_later_line() -> None:
    """pipeline/sql/2x_silver_*.sql: per key the newest version wins, on a tie the later line; an older version
    sent later loses. The harness's expectation must agree, or a healthy pipeline is red."""
    lines = [
        {"id": "7", "version": "2025-12-31 12:00:00", "value": "first"},
        {"id": "7", "version": "2025-12-31 00:00:00", "value": "older, sent later"},
        {"id": "7", "version": "2025-12-31 12:00:00", "value": "tie, sent later"},
    ]
    assert newest(lines[:2], "id", "version")[7]["value"] == "first"
    assert newest(lines, "id", "version")[7]["value"] == "tie, sent later"
    batches = make_batches(3, "00000F")
    assert expected_gold(batches, updates=False)[1] == batches[0].expected(), "ignoring updates: as first fed"
    now = expected_gold(batches)
    assert now[2]["gold.users"]["country"] == "ZY-00000F", "moved by run 3"
    assert now[1]["gold.users"]["country"] == "ZV-00000F", "moved by run 2, then again by run 3"
    assert now[3]["gold.users"]["country"] == "ZZ-00000F", "the last batch is updated by none"
    assert expected_gold(batches[:2])[1]["gold.users"]["country"] == "ZY-00000F", "before run 3"


def test_a_healthy_pipeline_passes_every_run_with_evidence_of_what_was_fed_and_read(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = Healthy(lake)
    _session(lake, pipeline, base)
    proof = fresh(base, tmp_path, lake, 3)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, proof)
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.PASSED, outcome.reason
    third = samples[2]
    assert third.read_back == "the run's batch is in Gold as fed, with a snapshot of the run"
    assert third.fed is not None and third.fed["marker"] == "kpi-success-A1B2C3-run-3"
    assert third.fed["gold.daily_revenue"] == [
        {"order_date": "2025-12-26", "country": "ZZ-A1B2C3", "orders": 2, "revenue": "30.81"}
    ], "its next day holds nothing until a later batch moves an order there"
    assert third.read is not None and len(third.read["gold"]["gold.orders_enriched"]) == 9, "every batch so far, once"
    assert third.read["contracts"] == "every data contract met"
    assert all(s["committed_by_the_run"] for s in third.read["snapshots"].values())
    # Each run landed the base lines and every batch so far, updates too: Bronze holds all Silver holds.
    # runs 2, 3: 2 updates and a late line each; run 3: run 1's re-priced order again and its cancelled one's late line
    assert lake.query("SELECT count(*) FROM b.orders_csv")[0][0] == 3 + 9 + 2 * 3 + 2
    # Run 3 moved run 2's user, cancelled its shipped order and re-priced and moved its completed one to run 2's next
    # day: the evidence says what Gold must now hold of it.
    losing = third.fed["lines_that_must_not_win"]
    assert [(line.get("country"), line.get("status")) for line in losing] == [
        ("ZW-A1B2C3", None),  # the line the move corrects: same updated_at, an earlier line
        ("ZX-A1B2C3", None),  # the late line: an older updated_at than the move's
        (None, "placed"),  # the late order line: an older order_ts than the cancellation's
        (None, "placed"),  # run 1's cancelled order placed before it shipped: run 2's line is newer
    ]
    again, updated = third.fed["updates"]
    # Run 2 changed run 1's user and orders, run 3 changes them again: the user moves on, the order is re-priced again.
    assert again["batch"] == "run 1's batch"
    assert again["gold.users"] == {
        "user_id": 19597059001,
        "order_count": 1,
        "lifetime_value": "64.01",
        "country": "ZV-A1B2C3",
    }
    assert again["gold.daily_revenue"] == [
        {"order_date": "2025-12-31", "country": "ZV-A1B2C3", "orders": 1, "revenue": "64.01"}
    ]
    assert updated["batch"] == "run 2's batch"
    assert updated["gold.users"] == {
        "user_id": 19597059002,
        "order_count": 1,
        "lifetime_value": "42.02",
        "country": "ZY-A1B2C3",
    }
    assert updated["gold.daily_revenue"] == [
        {"order_date": "2025-12-29", "country": "ZY-A1B2C3", "orders": 1, "revenue": "42.02"}
    ], "run 2's day has no counted order left, its next day the moved one"
    assert [o["status"] for o in updated["gold.orders_enriched"]] == ["completed", "cancelled", "cancelled"]
    held = {r["order_id"]: r for r in third.read["gold"]["gold.orders_enriched"]}
    assert held[195970590022]["status"] == "cancelled" and held[195970590021]["country"] == "ZY-A1B2C3"
    assert (held[195970590021]["amount"], held[195970590021]["order_date"]) == ("42.02", "2025-12-29")


def test_restore_takes_every_batch_out_and_leaves_gold_as_the_base_made_it(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = Healthy(lake)
    _session(lake, pipeline, base)
    tables = ("g.users", "g.orders_enriched", "g.daily_revenue", "s.users", "s.orders", "b.orders_csv")
    before = {t: sorted(lake.query(f"SELECT * FROM {t}")) for t in tables}
    proof = fresh(base, tmp_path, lake, 2)
    assert all(s.ok for s in run_pipeline_n(lambda d: pipeline(d or base), 2, proof))
    restored = restore(lake.query, lambda: pipeline(base), OUTPUTS, proof.batches[: proof.landed])
    assert restored.ok and restored.why_not() is None, restored
    assert restored.batches == 2 and restored.pipeline == "ok" and restored.left == {}
    assert {t: sorted(lake.query(f"SELECT * FROM {t}")) for t in tables} == before


def test_a_batch_left_in_the_stack_makes_a_passing_kpi_an_error(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = Healthy(lake)
    _session(lake, pipeline, base)
    proof = fresh(base, tmp_path, lake, 1)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 1, proof)
    # The re-run lands the batch again (its base files are the run's): the batch is back in every table.
    restored = restore(lake.query, lambda: pipeline(tmp_path / "batches" / "run-1"), OUTPUTS, proof.batches)
    assert not restored.ok and restored.left["gold.orders_enriched"] == 3
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0, restored)
    assert outcome.status is Status.ERROR
    assert str(outcome.reason).startswith(
        "the runs succeeded, but their batches were not taken out of the stack again: "
        "rows of the KPI's batches are still in the stack: {"
    )
    assert outcome.details["local"]["restored"]["left"]["gold.daily_revenue"] == 1


def test_each_batch_is_new_data_on_a_day_and_in_a_country_of_its_own() -> None:
    batches = make_batches(3, "00000F")
    assert [b.days for b in batches] == [
        ("2025-12-30", "2025-12-31"),
        ("2025-12-28", "2025-12-29"),
        ("2025-12-26", "2025-12-27"),
    ], "before the sample's first order, two days each"
    assert len({b.user_id for b in batches}) == 3 and len({i for b in batches for i in b.order_ids}) == 9
    assert {b.country for b in batches} == {"ZZ-00000F"}
    first = batches[0].expected()
    assert first["gold.users"] == {
        "user_id": 9_000_015_001,
        "order_count": 2,
        "lifetime_value": "30.77",
        "country": "ZZ-00000F",
    }
    assert [o["status"] for o in first["gold.orders_enriched"]] == ["completed", "shipped", "cancelled"]
    assert sum(Decimal(o["amount"]) for o in first["gold.orders_enriched"]) == Decimal("36.53")
    assert make_batches(1)[0].country != make_batches(1)[0].country, "a random token per KPI"


def test_inputs_are_the_base_files_with_every_batch_so_far_appended(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    (base / "users.csv").write_text("USER_ID,email,full_name,ssn,country,signup_ts,updated_at\n1,a@b.co,A,1,US,x,y")
    # orders.csv missing: it stays missing, landing refuses the run as it would the base.
    batches = make_batches(2, "ABCDEF")
    out = write_inputs(base, batches, tmp_path / "run-2")
    lines = (out / "users.csv").read_text().splitlines()
    assert lines[:2] == ["USER_ID,email,full_name,ssn,country,signup_ts,updated_at", "1,a@b.co,A,1,US,x,y"]
    first, second = batches
    # Batch 2's lines: its user, then the update of batch 1's user (same key, later lines, a newer updated_at: the
    # move after a line of the same updated_at it corrects), then a late line with an older one (it must not win).
    ids = [str(first.user_id), str(second.user_id), *[str(first.user_id)] * 3]
    assert [line.split(",")[0] for line in lines[2:]] == ids
    assert lines[2].split(",")[4] == "ZZ-ABCDEF"
    assert lines[4].split(",")[4:] == ["ZW-ABCDEF", "2025-12-30 00:00:00", "2025-12-30 12:00:00"], "a tie: it loses"
    assert lines[5].split(",")[4:] == ["ZY-ABCDEF", "2025-12-30 00:00:00", "2025-12-30 12:00:00"]
    assert lines[6].split(",")[4:] == ["ZX-ABCDEF", "2025-12-30 00:00:00", "2025-12-30 06:00:00"]
    corrected, _, late = second.user_updates
    assert second.losing_lines() == [corrected, late, second.order_updates[1]]
    assert second.order_updates[1]["order_ts"] < second.order_updates[0]["order_ts"] == first.orders[1]["order_ts"]
    # and the re-pricing of its completed order: a newer order_ts, on batch 1's next day, another amount.
    repriced = second.order_updates[2]
    assert repriced["order_id"] == first.orders[0]["order_id"] and repriced["status"] == "completed"
    assert (repriced["order_ts"], repriced["amount"]) == ("2025-12-31 10:30:00", "42.01")
    assert (first.orders[0]["order_ts"], first.orders[0]["amount"]) == ("2025-12-30 09:00:00", "10.26")
    assert not (out / "orders.csv").exists()


def test_a_table_whose_current_snapshot_was_there_before_the_run_is_named() -> None:
    before = {"gold.users": SnapshotLog(7, [5, 7]), "gold.orders_enriched": SnapshotLog(3, [3])}
    after = {
        "gold.users": SnapshotLog(9, [5, 7, 9]),
        "gold.orders_enriched": SnapshotLog(3, [3]),
        "gold.daily_revenue": SnapshotLog(None, []),
    }
    assert judge_snapshots(before, after) == [
        "gold.orders_enriched: no Iceberg snapshot committed by this run (its current snapshot 3 was there before "
        "the run)",
        "gold.daily_revenue has no Iceberg snapshot after the run",
    ]


def test_a_day_no_batch_fed_in_the_batches_country_is_named() -> None:
    (batch,) = make_batches(1, "ABCDEF")
    want = batch.expected()
    (day,) = want["gold.daily_revenue"]
    held = {
        "gold.orders_enriched": want["gold.orders_enriched"],
        "gold.users": [want["gold.users"]],
        "gold.daily_revenue": [day, {**day, "order_date": "2026-01-01"}],
    }
    (problem,) = judge_gold([batch], held)
    assert problem.startswith("gold.daily_revenue has a row no batch fed: {'order_date': '2026-01-01'")


def test_restore_on_a_stack_whose_runs_created_no_table_finds_nothing_left_and_any_other_failure_is_said() -> None:
    batches = make_batches(1, "ABCDEF")

    def absent(sql: str) -> list[tuple[Any, ...]]:
        raise RuntimeError("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.b.users_csv' does not exist")

    restored = restore(absent, PipelineResult, OUTPUTS, batches)
    assert restored.ok and restored.left == {} and len(restored.statements) == 5

    def denied(sql: str) -> list[tuple[Any, ...]]:
        raise RuntimeError("AccessDeniedException: not authorized to DELETE")

    refused = restore(denied, PipelineResult, OUTPUTS, batches)
    assert not refused.ok and refused.statements == []
    assert refused.why_not() == (
        "taking the KPI's batches out failed: RuntimeError: AccessDeniedException: not authorized to DELETE"
    )
    failed = judge_success(
        [RunSample("local", "run 1", False, 1.0, "landing: orders.csv:1: the header is not UTF-8")],
        GitHubPart(not_measured="x"),
        95.0,
        refused,
    )
    assert failed.status is Status.FAILED
    assert str(failed.reason).endswith("; and the stack was not restored: " + str(refused.why_not()))


def in_order_only(proof: FreshBatches) -> FreshBatches:
    """The KPI before the fix: each key's versions sent in order (the batches without their late lines)."""
    return replace(
        proof,
        batches=[replace(b, user_updates=b.user_updates[:2], order_updates=b.order_updates[:1]) for b in proof.batches],
    )


def test_before_the_fix_a_silver_whose_last_line_wins_passed_on_versions_sent_in_order(
    base: Path, tmp_path: Path
) -> None:
    """The hole: every update came on a later line with a newer version, so the line position alone picked it."""
    lake = Lakehouse()
    pipeline = LastLineWins(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, in_order_only(fresh(base, tmp_path, lake, 3)))
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


def test_a_silver_whose_last_line_wins_fails_naming_the_late_line_that_won(base: Path, tmp_path: Path) -> None:
    """From run 2 the update of the earlier batch is followed by a line with an older version of the same key (a
    source re-sending late): the plan keeps the newest version, a Silver ordered by line position the late one.
    The healthy twin is the healthy pipeline's test: the same batches, every run green."""
    lake = Lakehouse()
    pipeline = LastLineWins(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and [s.ok for s in samples] == [True, False, False]
    said = str(samples[1].error)
    assert (
        "gold.users row 19597059001 of run 1's batch (updated by run 2's batch) is {'user_id': 19597059001, "
        "'order_count': 2, 'lifetime_value': '62.52', 'country': 'ZX-A1B2C3'}, the batches make it {'user_id': "
        "19597059001, 'order_count': 1, 'lifetime_value': '42.01', 'country': 'ZY-A1B2C3'} (a later line with an "
        "older version won: "
    ) in said, said
    assert "country 'ZX-A1B2C3' where run 2's batch's newest line made it 'ZY-A1B2C3'" in said, said
    assert "status 'placed' where run 2's batch's newest line made it 'cancelled'" in said, said
    assert "gold.daily_revenue keeps row 2025-12-30/ZX-A1B2C3 of run 1's batch" in said, said
    assert (samples[1].read or {}).get("contracts") == "every data contract met", "the contracts alone saw nothing"


def test_before_the_fix_a_silver_users_whose_tie_goes_to_the_earlier_line_passed(base: Path, tmp_path: Path) -> None:
    """The hole: no two lines of a user had the same ``updated_at`` (only orders had a tie, the cancellation)."""
    lake = Lakehouse()
    pipeline = UsersTieToFirstLine(lake)
    _session(lake, pipeline, base)
    proof = fresh(base, tmp_path, lake, 3)
    no_tie = replace(proof, batches=[replace(b, user_updates=b.user_updates[1:]) for b in proof.batches])
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, no_tie)
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


def test_a_silver_users_whose_tie_goes_to_the_earlier_line_fails_naming_the_user(base: Path, tmp_path: Path) -> None:
    """Run 2 sends run 1's user in ZW, then, same ``updated_at``, in ZY (the correction): the later line wins.
    The healthy twin is the healthy pipeline's test: the same batches, every run green."""
    lake = Lakehouse()
    pipeline = UsersTieToFirstLine(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    assert [s.ok for s in samples] == [True, False, False]
    said = str(samples[1].error)
    assert (
        "gold.users row 19597059001 of run 1's batch (updated by run 2's batch) is {'user_id': 19597059001, "
        "'order_count': 1, 'lifetime_value': '42.01', 'country': 'ZW-A1B2C3'}, the batches make it {'user_id': "
        "19597059001, 'order_count': 1, 'lifetime_value': '42.01', 'country': 'ZY-A1B2C3'}"
    ) in said, said
    assert "gold.daily_revenue keeps row 2025-12-31/ZW-A1B2C3 of run 1's batch" not in said
    assert "gold.daily_revenue has a row no batch fed: {'order_date': '2025-12-31', 'country': 'ZW-A1B2C3'" in said


def status_and_country_only(proof: FreshBatches) -> FreshBatches:
    """The KPI before the fix: an update changed an order's status, never its amount or its day (the batches without
    the line that re-prices and moves the earlier batch's completed order, the last of its order updates)."""
    return replace(proof, batches=[replace(b, order_updates=b.order_updates[:2]) for b in proof.batches])


def test_before_the_fix_a_gold_that_rewrites_only_status_and_country_passed(base: Path, tmp_path: Path) -> None:
    """The hole: no update changed an order's amount or its day, so a Gold MERGE setting only the columns that did
    change (status, country) showed every row as the batches made it."""
    lake = Lakehouse()
    pipeline = GoldRewritesStatusOnly(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, status_and_country_only(fresh(base, tmp_path, lake, 3)))
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


def test_a_gold_that_rewrites_only_status_and_country_fails_naming_the_stale_amount_and_day(
    base: Path, tmp_path: Path
) -> None:
    """Run 2 re-prices run 1's completed order (10.26 -> 42.01) and moves it to run 1's next day (a newer order_ts);
    Silver takes it, Gold keeps the order's old amount and day, and its revenue on the old day. The revenue
    contract sees Gold differ from Silver; the read-back names the order and the stale amount and day. The healthy
    twin is the healthy pipeline's test: the same batches, every run green."""
    lake = Lakehouse()
    pipeline = GoldRewritesStatusOnly(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED
    assert [s.ok for s in samples] == [True, False, False], "run 1 has nothing to update; each later run does"
    said = str(samples[1].error)
    assert (
        "gold.orders_enriched order 195970590011 of run 1's batch (updated by run 2's batch) is {'order_id': "
        "195970590011, 'user_id': 19597059001, 'order_date': '2025-12-30', 'country': 'ZY-A1B2C3', 'amount': "
        "'10.26', 'status': 'completed'}, fed {'order_id': 195970590011, 'user_id': 19597059001, 'order_date': "
        "'2025-12-31', 'country': 'ZY-A1B2C3', 'amount': '42.01', 'status': 'completed'} (stale: order_date "
        "'2025-12-30' where run 2's batch made it '2025-12-31', amount '10.26' where run 2's batch made it '42.01')"
    ) in said, said
    assert "gold.daily_revenue has no row 2025-12-31/ZY-A1B2C3 of run 1's batch" in said, said
    assert (
        "gold.daily_revenue keeps row 2025-12-30/ZY-A1B2C3 of run 1's batch (updated by run 2's batch): "
        "{'order_date': '2025-12-30', 'country': 'ZY-A1B2C3', 'orders': 1, 'revenue': '10.26'} (stale: run 2's "
        "batch left it no counted order, its orders moved to another day or cancelled)"
    ) in said, said
    assert "status 'shipped'" not in said and "gold.users row" not in said, "status, country and users are right"


def changed_once_per_key(proof: FreshBatches) -> FreshBatches:
    """The KPI before the fix: no key changed in two consecutive runs (the batches without the lines that change the
    batch two before again: the last user update and the last two order updates of a batch from run 3 on)."""
    return replace(
        proof,
        batches=[replace(b, user_updates=b.user_updates[:3], order_updates=b.order_updates[:3]) for b in proof.batches],
    )


SECOND_CHANGE_LOST = {
    "silver-changes-a-key-once": ChangesOnce,
    "gold-lifetime-takes-back-the-first-amount": LifetimeTakesBackFirstAmount,
    "silver-reads-new-lines-unguarded": ReadsNewLinesUnguarded,
}


@pytest.mark.parametrize("broken", sorted(SECOND_CHANGE_LOST))
def test_before_the_fix_a_pipeline_that_loses_a_key_s_second_change_passed(
    base: Path, tmp_path: Path, broken: str
) -> None:
    """The hole: a key changed in run N was never changed again in run N + 1, and a late line always came in the run
    of the version it loses to; so a Silver that merges only a key's first change, a Gold that takes back an order's
    first amount, and a Silver reading only new lines without the cross-run guard showed every row as fed."""
    lake = Lakehouse()
    pipeline = SECOND_CHANGE_LOST[broken](lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, changed_once_per_key(fresh(base, tmp_path, lake, 3)))
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


@pytest.mark.parametrize("broken", sorted(SECOND_CHANGE_LOST))
def test_a_pipeline_that_loses_a_key_s_second_change_fails_in_the_run_after_the_first(
    base: Path, tmp_path: Path, broken: str
) -> None:
    """Run 2 changes run 1's user and orders; run 3 changes them again (the user moves on to ZV, the re-priced order is
    re-priced again, the cancelled one gets a late line alone). The healthy twins: the next test."""
    lake = Lakehouse()
    pipeline = SECOND_CHANGE_LOST[broken](lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED
    assert [s.ok for s in samples] == [True, True, False], [s.error for s in samples]
    said = str(samples[2].error)
    assert "gold.users row 19597059001 of run 1's batch (updated by run 2's batch and run 3's batch) is {" in said
    assert "of run 2's batch" not in said, "run 2's batch is changed once, by run 3: right"


@pytest.mark.parametrize("healthy", [Healthy, LifetimeIncremental, ReadsNewLines])
def test_a_pipeline_that_takes_every_change_of_a_key_passes_runs_that_change_it_twice(
    base: Path, tmp_path: Path, healthy: type[Healthy]
) -> None:
    lake = Lakehouse()
    pipeline = healthy(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    assert [s.error for s in samples] == [None] * 3
    held = (samples[2].read or {})["gold"]
    assert {u["user_id"]: (u["country"], u["lifetime_value"]) for u in held["gold.users"]}[19597059001] == (
        "ZV-A1B2C3",
        "64.01",
    )


def test_a_silver_that_merges_a_key_s_first_change_only_names_the_values_run_2_left(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = ChangesOnce(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    said = str(samples[2].error)
    assert (
        "gold.users row 19597059001 of run 1's batch (updated by run 2's batch and run 3's batch) is {'user_id': "
        "19597059001, 'order_count': 1, 'lifetime_value': '42.01', 'country': 'ZY-A1B2C3'}, the batches make it "
        "{'user_id': 19597059001, 'order_count': 1, 'lifetime_value': '64.01', 'country': 'ZV-A1B2C3'} (stale as "
        "run 2's batch left it, the key's second change in a row lost: lifetime_value '42.01' where run 3's batch "
        "made it '64.01', country 'ZY-A1B2C3' where run 3's batch made it 'ZV-A1B2C3')"
    ) in said, said
    assert (
        "gold.daily_revenue keeps row 2025-12-31/ZY-A1B2C3 of run 1's batch (updated by run 2's batch and run 3's "
        "batch): {'order_date': '2025-12-31', 'country': 'ZY-A1B2C3', 'orders': 1, 'revenue': '42.01'} (stale as "
        "run 2's batch left it: run 3's batch moved it to 2025-12-31/ZV-A1B2C3)"
    ) in said, said
    assert (
        "gold.orders_enriched order 195970590011 of run 1's batch (updated by run 2's batch and run 3's batch) is "
        "{'order_id': 195970590011, 'user_id': 19597059001, 'order_date': '2025-12-31', 'country': 'ZY-A1B2C3', "
        "'amount': '42.01', 'status': 'completed'}"
    ) in said, "re-priced by run 2 (10.26 -> 42.01) and again by run 3 (-> 64.01): run 2's amount kept"
    assert (samples[2].read or {}).get("contracts") == "every data contract met", "the contracts alone saw nothing"


def test_a_gold_lifetime_that_takes_back_the_first_amount_names_the_user(base: Path, tmp_path: Path) -> None:
    """Run 2 re-prices run 1's completed order 10.26 -> 42.01 (lifetime 30.77 - 10.26 - 20.51 + 42.01, the shipped
    one cancelled: right); run 3 re-prices it 42.01 -> 64.01 and takes back 10.26 again."""
    lake = Lakehouse()
    pipeline = LifetimeTakesBackFirstAmount(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    said = str(samples[2].error).removeprefix("the pipeline said ok, its tables read back say otherwise: ")
    (problem,) = said.split("; ")
    assert problem == (
        "gold.users row 19597059001 of run 1's batch (updated by run 2's batch and run 3's batch) is {'user_id': "
        "19597059001, 'order_count': 1, 'lifetime_value': '95.76', 'country': 'ZV-A1B2C3'}, the batches make it "
        "{'user_id': 19597059001, 'order_count': 1, 'lifetime_value': '64.01', 'country': 'ZV-A1B2C3'}"
    )


def test_a_silver_reading_new_lines_without_the_cross_run_guard_names_the_late_line(base: Path, tmp_path: Path) -> None:
    """Run 3 sends a line of run 1's cancelled order placed before it shipped, alone: the cancellation came in run 2.
    Ranking every Bronze line, the real pipeline's staging refuses it as superseded; ranking only the new lines, only
    the guard ('older than the row silver holds') does."""
    lake = Lakehouse()
    pipeline = ReadsNewLinesUnguarded(lake)
    _session(lake, pipeline, base)
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))
    said = str(samples[2].error)
    assert (
        "gold.orders_enriched order 195970590012 of run 1's batch (updated by run 2's batch and run 3's batch) is "
        "{'order_id': 195970590012, 'user_id': 19597059001, 'order_date': '2025-12-30', 'country': 'ZV-A1B2C3', "
        "'amount': '20.51', 'status': 'placed'}, fed {'order_id': 195970590012, 'user_id': 19597059001, 'order_date': "
        "'2025-12-30', 'country': 'ZV-A1B2C3', 'amount': '20.51', 'status': 'cancelled'} (a later line with an older "
        "version won: status 'placed' where run 2's batch and run 3's batch's newest line made it 'cancelled')"
    ) in said, said
    late = (samples[2].fed or {})["lines_that_must_not_win"][-1]
    assert (late["order_id"], late["order_ts"], late["status"]) == ("195970590012", "2025-12-30 12:45:00", "placed")


def test_from_run_3_a_batch_changes_again_the_keys_the_batch_before_it_changed() -> None:
    """Batch 3's lines for batch 1: newer versions than batch 2's changes of the same keys (so they win), and a late
    line of the cancelled order, older than the cancellation and the only line of its key in batch 3."""
    first, second, third = make_batches(3, "ABCDEF")
    assert third.updates(first) and third.updates(second) and not second.updates(third)
    moved, again = second.user_updates[1], third.user_updates[-1]
    assert (moved["user_id"], moved["country"]) == (again["user_id"], "ZY-ABCDEF") and again["country"] == "ZV-ABCDEF"
    assert again["updated_at"] > moved["updated_at"]
    repriced, repriced_again, late_again = second.order_updates[2], *third.order_updates[-2:]
    assert repriced_again["order_id"] == repriced["order_id"] == first.orders[0]["order_id"]
    assert (repriced_again["order_ts"], repriced_again["amount"]) == ("2025-12-31 16:45:00", "64.01")
    assert repriced_again["order_ts"] > repriced["order_ts"] and repriced_again["amount"] != repriced["amount"]
    cancelled = second.order_updates[0]
    assert late_again["order_id"] == cancelled["order_id"] and late_again["order_ts"] < cancelled["order_ts"]
    assert [o["order_id"] for o in third.order_lines()].count(late_again["order_id"]) == 1, "alone in its run"
    assert late_again not in third.losing_lines(), "alone, nothing in its own batch beats it"
    assert third.losing_lines([first, second])[-1] is late_again, "the row run 2 made beats it"
