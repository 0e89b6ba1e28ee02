"""Each counted pipeline run of KPI-success-rate gets input of its own and must show it in Gold.

Run N times on the inputs the session's first run already processed, a pipeline proves nothing: one
that skips inputs it has seen (the Bronze objects keep their keys from run to run, so a ledger of
processed keys skips every re-run), or whose re-runs are no-ops for any other reason, says ok N
times without running a transform; one that breaks on a new day or doubles fresh rows is never fed
any. So run ``i`` is fed a batch of its own, written into Bronze as new data arrives: the base files
(the sample, or ``--data-dir``) with every batch so far appended, a source file that grows, so Bronze
always holds what Silver holds. A batch is one new user and three orders on a day of its own (a new
month partition too), one of them cancelled, and owns the day after it too, left free for an update.
Batches that only add rows pass a pipeline that ignores updates (an insert-only MERGE, a Silver that
keeps the first row of a key), so from run 2 on a batch also updates the batch before it, as a source
re-sends a changed row: a later line with the same key. Its user moved country (a newer
``updated_at``), its shipped order is cancelled (same ``order_ts``: on a tie the later line wins; the
user's move is preceded by a line of the same ``updated_at`` it corrects), and its completed order is
re-priced and moved to the batch's next day (a newer ``order_ts``): a Gold that rewrites only an
order's status and country, or keeps its revenue on the old day or at the old amount, differs from the
plan. Versions sent in order pass a Silver that keeps each key's last line whatever its version, so
the move and the cancellation are followed by a line that arrives late with an older version of the
same key (the user in another country, the order still placed): it must not win. Keys changed once pass a
pipeline that takes only a key's first change (a ledger of changed keys, a Gold that takes back an order's first
amount when re-priced), so from run 3 a batch changes again the keys the batch before it changed, in the run after:
the user moves on, the re-priced order is re-priced again, and the cancelled order gets a late line alone in its run,
older than the row Silver holds (a pipeline ranking only new lines keeps it out with its cross-run guard). The
expectation is the pipeline's plan (README, pipeline SQL): per key the newest version wins, on a tie the later
line, computed from the lines written, never read from the stack. The run counts only when, read back
through Athena, Gold holds exactly that: the batch's orders once each with their values (day and
amount too), the user's order count, lifetime value and country, the revenue row of each of its days;
the earlier batches still once each, as their updates made them (a row left with the old value is
named, with the stale value, one a late line made with the late line's); and every Gold table has an
Iceberg snapshot the run committed (its snapshot log, read through the Glue catalog).

The batches' days are before the sample's first order and their countries are the KPI's own, so even
before they are taken out the demo's newest rows are the sample's. After the runs they are taken out
(:func:`restore`): deleted from Silver and Gold, then the pipeline is run once on the base files so
Bronze and the staging tables are the base's again; what is left of them is read back, so later checks
(exit check 2's demo row, the latency KPI's answers, MTTR, the model trained on Gold) see the stack as
it was.
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from lakehouse.pipeline.landing import LANDING
from lakehouse.pipeline.runner import PipelineResult, physical

#: The day of the first run's batch; run ``i``'s is ``2 * (i - 1)`` days earlier, each batch owning the day after its
#: own too (where a later batch moves one of its orders). The sample starts 2026-01-01.
FIRST_DAY = date(2025, 12, 30)
USER_COLUMNS = ("user_id", "email", "full_name", "ssn", "country", "signup_ts", "updated_at")
ORDER_COLUMNS = ("order_id", "user_id", "order_ts", "amount", "status")
#: The Gold tables a batch must reach, each with an Iceberg snapshot of the run.
GOLD_TABLES = ("users", "orders_enriched", "daily_revenue")
#: The batch's orders: (time of day, amount before the run's own cents, status); the cancelled one earns nothing.
ORDER_SHAPES = (("09:00:00", "10.25", "completed"), ("13:30:00", "20.50", "shipped"), ("18:15:00", "5.75", "cancelled"))
#: Which of the earlier batch's orders a later batch cancels (the shipped one), and when the user's move is dated.
CANCELLED_LATER = 1
MOVED_AT = "12:00:00"
#: The late lines after the updates: the user's older than ``MOVED_AT``, the order's older than its ``order_ts``.
#: (The line before the move, which it corrects, has the move's ``updated_at``: on a tie the later line wins.)
LATE_MOVED_AT = "06:00:00"
LATE_ORDER = ("13:00:00", "placed")
#: Which of the earlier batch's orders a later batch re-prices and moves to the earlier batch's next day (the
#: completed one, still counted), at what time and for what amount before the run's own cents (within the
#: contract's 0..100000): a newer ``order_ts``, so it wins.
MOVED_LATER = 0
MOVED_ORDER = ("10:30:00", "42.00")
#: From run 3 a batch changes the batch two before it again, the keys the batch before it changed: the user moves
#: once more (dated ``MOVED_AGAIN_AT``, newer than the move), the re-priced order is re-priced again on the day it
#: was moved to (``REPRICED_AGAIN``, a newer ``order_ts``), and the cancelled order gets a late line older than the
#: cancellation Silver holds since the run before (``LATE_AGAIN``), the only line of its key in the batch: a pipeline
#: that reads only the new lines keeps it out with its cross-run guard alone ('older than the row silver holds').
MOVED_AGAIN_AT = "18:00:00"
#: The first run whose batch changes again keys the batch before it changed (``make_batches``): fewer runs never
#: exercise that rule, so a pass on them says nothing of a pipeline that takes only a key's first change.
REPEATED_CHANGE_RUN = 3
REPRICED_AGAIN = ("16:45:00", "64.00")
LATE_AGAIN = ("12:45:00", "placed")
#: Ids far above any sample id: 9e9 + token * 1000 + run (users); that * 10 + k (orders).
ID_BASE = 9_000_000_000

#: Runs one statement through Athena; the rows (a failed statement raises).
Query = Callable[[str], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class Batch:
    """What one run is fed: a user and its orders, on a day and in a country no other input has.

    From run 2 on, the batch also updates the batch before it, in the lines the landing reads (a
    later line with the same key, as a source re-sends a changed row): that user moved to another
    country (``updated_at`` newer than the row's), and one of its counted orders is cancelled (its
    ``order_ts`` unchanged: on a tie the later line wins; the move follows a line of the same
    ``updated_at``, which it corrects), and its other counted order gets a new amount and moves to the day
    after the batch's (``next_day``, a newer ``order_ts``). The user's and the cancellation's updates are
    followed by a late line of the same key with an older version, which must lose (``losing_lines``). From run 3
    it also changes the keys the batch before it changed, in the run after (``make_batches``): the same key
    updated in two consecutive runs.
    """

    run: int
    marker: str
    user: dict[str, str]
    orders: tuple[dict[str, str], ...]
    #: Lines that change rows an earlier batch created, in line order: same key, newer values (from
    #: ``make_batches``: a line, then its correction with the same version), then a late line with an older one.
    user_updates: tuple[dict[str, str], ...] = ()
    order_updates: tuple[dict[str, str], ...] = ()

    @property
    def user_id(self) -> int:
        return int(self.user["user_id"])

    @property
    def order_ids(self) -> list[int]:
        return [int(o["order_id"]) for o in self.orders]

    @property
    def day(self) -> str:
        return self.orders[0]["order_ts"][:10]

    @property
    def next_day(self) -> str:
        """The day after the batch's, no other batch's: where a later batch moves one of its orders."""
        return (date.fromisoformat(self.day) + timedelta(days=1)).isoformat()

    @property
    def days(self) -> tuple[str, str]:
        return (self.day, self.next_day)

    @property
    def country(self) -> str:
        return self.user["country"]

    def user_lines(self) -> tuple[dict[str, str], ...]:
        """The lines this batch appends to users.csv, in order: its user, then its updates."""
        return (self.user, *self.user_updates)

    def order_lines(self) -> tuple[dict[str, str], ...]:
        """The lines this batch appends to orders.csv, in order: its orders, then its updates."""
        return (*self.orders, *self.order_updates)

    def losing_lines(self, earlier: Sequence[Batch] = ()) -> list[dict[str, str]]:
        """The update lines another line of the same key beats, among this batch's and ``earlier``'s (evidence:
        they must not win; a late line alone in its batch loses to the row an earlier batch made)."""
        losing = []
        for lines, before, key, version in (
            (self.user_updates, [u for b in earlier for u in b.user_lines()], "user_id", "updated_at"),
            (self.order_updates, [o for b in earlier for o in b.order_lines()], "order_id", "order_ts"),
        ):
            won = newest([*before, *lines], key, version)
            losing += [line for line in lines if won[int(line[key])] is not line]
        return losing

    def updates(self, other: Batch) -> bool:
        """Whether this batch's update lines change rows ``other`` created."""
        users = {int(u["user_id"]) for u in self.user_updates}
        orders = {int(o["order_id"]) for o in self.order_updates}
        return other.user_id in users or bool(orders & set(other.order_ids))

    def expected(self) -> dict[str, Any]:
        """What Gold must hold of this batch right after its own run (no later batch has changed it yet)."""
        return expected_gold([self])[self.run]


def make_batches(n: int, token: str | None = None) -> list[Batch]:
    """``n`` batches, one per run; ``token`` (6 hex digits, random by default) keeps one KPI's apart from another's.

    Batch ``i > 1`` updates batch ``i - 1``: its user's country becomes ``ZY-<token>`` (dated later
    the same day, newer than the row's ``updated_at``), its shipped order is cancelled and its completed one
    re-priced and moved to batch ``i - 1``'s next day (a newer ``order_ts``). Before the move
    comes a line it corrects, same ``updated_at``, in ``ZW-<token>`` (on a tie the later line wins). After
    each update comes a late line of the same key with an older version: the user in ``ZX-<token>`` dated
    between the row and the move, the order placed before it shipped. The plan keeps the update.

    Batch ``i > 2`` changes batch ``i - 2`` again, the keys batch ``i - 1`` changed the run before: its user moves
    to ``ZV-<token>`` (dated after the move), its re-priced order is re-priced again (a newer ``order_ts``, on the
    day it was moved to), and its cancelled order gets a late line placed before it shipped, alone: the row
    Silver holds is newer. A MERGE or a dedup that takes only a key's first change, or a Gold that takes back an
    order's first amount when it is re-priced, keeps run ``i - 1``'s values.
    """
    token = (token or secrets.token_hex(3)).upper()
    country = f"ZZ-{token}"
    out: list[Batch] = []
    for run in range(1, n + 1):
        day = (FIRST_DAY - timedelta(days=2 * (run - 1))).isoformat()
        user_id = ID_BASE + int(token, 16) * 1000 + run
        user = {
            "user_id": str(user_id),
            "email": f"kpi-{token.lower()}-{run}@example.com",
            "full_name": f"KPI Run {token} {run}",
            "ssn": f"900-00-{run % 10000:04d}",  # area 900: never issued
            "country": country,
            "signup_ts": f"{day} 00:00:00",
            "updated_at": f"{day} 00:00:00",
        }
        orders = tuple(
            {
                "order_id": str(user_id * 10 + k),
                "user_id": str(user_id),
                "order_ts": f"{day} {at}",
                "amount": _priced(amount, run),
                "status": status,
            }
            for k, (at, amount, status) in enumerate(ORDER_SHAPES, start=1)
        )
        user_updates: tuple[dict[str, str], ...] = ()
        order_updates: tuple[dict[str, str], ...] = ()
        if out:
            earlier = out[-1]
            moved = {**earlier.user, "country": moved_country(token), "updated_at": f"{earlier.day} {MOVED_AT}"}
            late = {**earlier.user, "country": late_country(token), "updated_at": f"{earlier.day} {LATE_MOVED_AT}"}
            corrected = {**moved, "country": tied_country(token)}
            user_updates = (corrected, moved, late)
            shipped = earlier.orders[CANCELLED_LATER]
            placed = {**shipped, "order_ts": f"{earlier.day} {LATE_ORDER[0]}", "status": LATE_ORDER[1]}
            kept = earlier.orders[MOVED_LATER]
            repriced = {
                **kept,
                "order_ts": f"{earlier.next_day} {MOVED_ORDER[0]}",
                "amount": _priced(MOVED_ORDER[1], earlier.run),
            }
            order_updates = ({**shipped, "status": "cancelled"}, placed, repriced)
        if len(out) > 1:
            twice = out[-2]
            user_updates += (
                {**twice.user, "country": again_country(token), "updated_at": f"{twice.day} {MOVED_AGAIN_AT}"},
            )
            again = {
                **twice.orders[MOVED_LATER],
                "order_ts": f"{twice.next_day} {REPRICED_AGAIN[0]}",
                "amount": _priced(REPRICED_AGAIN[1], twice.run),
            }
            late_again = {
                **twice.orders[CANCELLED_LATER],
                "order_ts": f"{twice.day} {LATE_AGAIN[0]}",
                "status": LATE_AGAIN[1],
            }
            order_updates += (again, late_again)
        out.append(Batch(run, f"kpi-success-{token}-run-{run}", user, orders, user_updates, order_updates))
    return out


def _priced(amount: str, run: int) -> str:
    """``amount`` plus the run's own cents (and a unit per hundred runs): each batch's totals are its own."""
    return str(Decimal(amount) + Decimal(run % 100) / 100 + (run // 100))


def moved_country(token: str) -> str:
    """The country a later batch moves an earlier batch's user to: the KPI's own too."""
    return f"ZY-{token.upper()}"


def tied_country(token: str) -> str:
    """The country of the line the move corrects (the move's ``updated_at``, an earlier line): it loses the tie."""
    return f"ZW-{token.upper()}"


def again_country(token: str) -> str:
    """The country a batch moves the user of the batch two before it to, the run after its first move."""
    return f"ZV-{token.upper()}"


def late_country(token: str) -> str:
    """The country of the late line after the move (an older ``updated_at``): never what Gold may hold."""
    return f"ZX-{token.upper()}"


# -- what Gold must hold --------------------------------------------------------------------------


def newest(
    lines: Sequence[Mapping[str, str]], key: str, version: str, by_line: bool = False
) -> dict[int, Mapping[str, str]]:
    """Each key's winning line as the pipeline's plan picks it (pipeline/sql/2x_silver_*.sql, README):
    the newest ``version`` (``updated_at``, ``order_ts``), on a tie the later line. ``by_line``: the last
    line, whatever its version (what a dedup by line position keeps, to name it)."""
    out: dict[int, Mapping[str, str]] = {}
    for line in lines:
        k = int(line[key])
        if k not in out or by_line or line[version] >= out[k][version]:  # 'YYYY-MM-DD HH:MM:SS' sorts as time does
            out[k] = line
    return out


def expected_gold(batches: Sequence[Batch], updates: bool = True, by_line: bool = False) -> dict[int, dict[str, Any]]:
    """Per batch (by run): what Gold must hold of its rows once all of ``batches`` are landed, from the lines
    written, never from the stack. ``updates=False``: what a pipeline that ignores updates keeps (each row as
    first fed), which names a stale value; ``by_line``: what one that keeps each key's last line keeps (a late
    line's older version), which names the late line that won."""
    user_lines = [u for b in batches for u in (b.user_lines() if updates else (b.user,))]
    order_lines = [o for b in batches for o in (b.order_lines() if updates else b.orders)]
    users = newest(user_lines, "user_id", "updated_at", by_line)
    orders = newest(order_lines, "order_id", "order_ts", by_line)
    enriched = {
        order_id: {
            "order_id": order_id,
            "user_id": int(o["user_id"]),
            "order_date": o["order_ts"][:10],
            "country": users[int(o["user_id"])]["country"],
            "amount": o["amount"],
            "status": o["status"],
        }
        for order_id, o in orders.items()
    }
    counted = [r for r in enriched.values() if r["status"] != "cancelled"]
    out: dict[int, dict[str, Any]] = {}
    for batch in batches:
        own = [r for r in counted if r["user_id"] == batch.user_id]
        daily = []
        for day in batch.days:
            of_day = [r for r in counted if r["order_date"] == day]
            if of_day:
                (country,) = {r["country"] for r in of_day}  # a batch's days hold only its user's orders
                daily.append({"order_date": day, "country": country, "orders": len(of_day), "revenue": _sum(of_day)})
        out[batch.run] = {
            "gold.orders_enriched": [enriched[i] for i in batch.order_ids],
            "gold.users": {
                "user_id": batch.user_id,
                "order_count": len(own),
                "lifetime_value": _sum(own),
                "country": users[batch.user_id]["country"],
            },
            "gold.daily_revenue": daily,
        }
    return out


def _sum(rows: Sequence[Mapping[str, Any]]) -> str:
    return str(sum((Decimal(r["amount"]) for r in rows), Decimal("0.00")))


def fed_evidence(batches: Sequence[Batch]) -> dict[str, Any]:
    """The evidence of what the last of ``batches`` fed: the lines it appended, what Gold must then hold of it,
    and of each batch it updated what Gold must now hold instead."""
    batch = batches[-1]
    want = expected_gold(batches)
    updated = [{"batch": f"run {b.run}'s batch", **want[b.run]} for b in batches if b is not batch and batch.updates(b)]
    return {
        "marker": batch.marker,
        "users.csv": list(batch.user_lines()),
        "orders.csv": list(batch.order_lines()),
        "lines_that_must_not_win": batch.losing_lines(batches[:-1]),
        **want[batch.run],
        "updates": updated,
    }


def _lines(rows: Sequence[Mapping[str, str]], header: list[str], columns: Sequence[str]) -> bytes:
    """CSV lines of ``rows`` in the base file's column order when it names the same columns, else ``columns``'."""
    order = header if sorted(h.strip().lower() for h in header) == sorted(columns) else list(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row[c.strip().lower()] for c in order])
    return out.getvalue().encode("utf-8")


def write_inputs(base_dir: Path, batches: Sequence[Batch], out_dir: Path) -> Path:
    """The base files with every batch's lines appended: the run's data directory (``out_dir``).

    A base file missing stays missing, and a base header landing refuses stays as it is: the run
    fails as it would on the base files.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = {"users.csv": USER_COLUMNS, "orders.csv": ORDER_COLUMNS}
    for name in LANDING:
        source = base_dir / name
        target = out_dir / name
        target.unlink(missing_ok=True)
        if not source.is_file():
            continue
        body = source.read_bytes()
        first = body.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r")
        header = next(csv.reader([first]), [])
        lines = [r for b in batches for r in (b.user_lines() if name == "users.csv" else b.order_lines())]
        if body and not body.endswith((b"\n", b"\r")):
            body += b"\n"  # the base's last line ends where the new lines start
        target.write_bytes(body + _lines(lines, header, columns[name]))
    return out_dir


# -- reading Gold back ----------------------------------------------------------------------------


def _ids(values: Sequence[int]) -> str:
    return ", ".join(str(v) for v in values)


def _countries(batches: Sequence[Batch]) -> str:
    """Every country the batches' lines name (their own and the one updates move users to), as a SQL list."""
    return ", ".join(f"'{c}'" for c in sorted({u["country"] for b in batches for u in b.user_lines()}))


def gold_queries(outputs: Mapping[str, Any], batches: Sequence[Batch]) -> dict[str, str]:
    """The SELECTs reading back what Gold holds of ``batches`` (one per Gold table)."""
    orders = [i for b in batches for i in b.order_ids]
    return {
        "gold.orders_enriched": (
            "SELECT order_id, user_id, CAST(order_date AS varchar), country, amount, status "
            f"FROM {physical('gold.orders_enriched', dict(outputs))} WHERE order_id IN ({_ids(orders)})"
        ),
        "gold.users": (
            "SELECT user_id, order_count, lifetime_value, country "
            f"FROM {physical('gold.users', dict(outputs))} WHERE user_id IN ({_ids([b.user_id for b in batches])})"
        ),
        "gold.daily_revenue": (
            "SELECT CAST(order_date AS varchar), country, orders, revenue "
            f"FROM {physical('gold.daily_revenue', dict(outputs))} WHERE country IN ({_countries(batches)})"
        ),
    }


def _money(value: Any) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def read_gold(query: Query, outputs: Mapping[str, Any], batches: Sequence[Batch]) -> dict[str, list[dict[str, Any]]]:
    """What Gold holds of ``batches``, table by table, as plain rows (amounts as text with cents)."""
    sql = gold_queries(outputs, batches)
    enriched = [
        {"order_id": int(r[0]), "user_id": int(r[1]), "order_date": str(r[2])[:10], "country": r[3]}
        | {"amount": _money(r[4]), "status": r[5]}
        for r in query(sql["gold.orders_enriched"])
    ]
    users = [
        {"user_id": int(r[0]), "order_count": int(r[1]), "lifetime_value": _money(r[2]), "country": r[3]}
        for r in query(sql["gold.users"])
    ]
    daily = [
        {"order_date": str(r[0])[:10], "country": r[1], "orders": int(r[2]), "revenue": _money(r[3])}
        for r in query(sql["gold.daily_revenue"])
    ]
    return {"gold.orders_enriched": enriched, "gold.users": users, "gold.daily_revenue": daily}


@dataclass(frozen=True)
class Prior:
    """A batch's rows as the batches before the last one that updates it made them (``left_by`` updated them
    last): a row still so lost the update of ``latest``, the second in a row of its key."""

    rows: Mapping[str, Any]
    left_by: str
    latest: str


def prior_state(batches: Sequence[Batch], batch: Batch) -> Prior | None:
    """What Gold held of ``batch`` before the last of ``batches`` that updates it, when an earlier one did too."""
    updaters = [i for i, b in enumerate(batches) if b is not batch and b.updates(batch)]
    if len(updaters) < 2:
        return None
    *_, left_by, latest = updaters
    rows = expected_gold(batches[:latest])[batch.run]
    return Prior(rows, f"run {batches[left_by].run}'s batch", f"run {batches[latest].run}'s batch")


def _stale(
    held: Mapping[str, Any],
    want: Mapping[str, Any],
    kept: Mapping[str, Any] | None,
    by: str,
    late: Mapping[str, Any] | None = None,
    prior: tuple[Mapping[str, Any] | None, Prior] | None = None,
) -> str:
    """The wrong values of ``held``, named by what explains more of them: a late line's older version won
    (``late``: each key's last line won), the row is what it was before ``by`` updated it (``kept``), or what
    the update before the latest made it (``prior``: that row, and who left it so)."""
    if not by:
        return ""

    def explained(other: Mapping[str, Any] | None) -> list[str]:
        return [k for k in want if other is not None and held.get(k) != want[k] and held.get(k) == other.get(k)]

    won, old = explained(late), explained(kept)
    again = explained(prior[0]) if prior is not None else []
    if won and len(won) > max(len(old), len(again)):
        named = ", ".join(f"{k} {held[k]!r} where {by}'s newest line made it {want[k]!r}" for k in won)
        return f" (a later line with an older version won: {named})"
    if prior is not None and again and len(again) > len(old):
        left = prior[1]
        named = ", ".join(f"{k} {held[k]!r} where {left.latest} made it {want[k]!r}" for k in again)
        return f" (stale as {left.left_by} left it, the key's second change in a row lost: {named})"
    if not old:
        return ""
    return " (stale: " + ", ".join(f"{k} {held[k]!r} where {by} made it {want[k]!r}" for k in old) + ")"


def judge_gold(batches: Sequence[Batch], held: Mapping[str, list[dict[str, Any]]]) -> list[str]:
    """What is wrong with Gold's rows of ``batches`` (the last is this run's): each row once, as the newest
    line of its key makes it (a later batch's update wins over the row an earlier batch fed)."""
    want_all, kept_all = expected_gold(batches), expected_gold(batches, updates=False)
    late_all = expected_gold(batches, by_line=True)
    problems: list[str] = []
    for batch in batches:
        which = "this run's batch" if batch is batches[-1] else f"run {batch.run}'s batch"
        by = " and ".join(f"run {b.run}'s batch" for b in batches if b is not batch and b.updates(batch))
        updated = f" (updated by {by})" if by else ""
        want, kept, late = want_all[batch.run], kept_all[batch.run], late_all[batch.run]
        prior = prior_state(batches, batch)
        orders = {int(o["order_id"]): o for o in want["gold.orders_enriched"]}
        first = {int(o["order_id"]): o for o in kept["gold.orders_enriched"]}
        last = {int(o["order_id"]): o for o in late["gold.orders_enriched"]}
        before = {int(o["order_id"]): o for o in prior.rows["gold.orders_enriched"]} if prior else {}
        lacking = [i for i in orders if not any(r["order_id"] == i for r in held["gold.orders_enriched"])]
        if lacking:
            named = ", ".join(map(str, lacking))
            problems.append(
                f"gold.orders_enriched lacks {len(lacking)} of the {len(orders)} orders of {which} ({named})"
            )
        for order_id, expected in orders.items():
            rows = [r for r in held["gold.orders_enriched"] if r["order_id"] == order_id]
            if not rows:
                continue
            if len(rows) > 1:
                problems.append(f"gold.orders_enriched holds order {order_id} of {which} {len(rows)} times")
            elif rows[0] != expected:
                again = (before[order_id], prior) if prior else None
                stale = _stale(rows[0], expected, first[order_id], by, last[order_id], again)
                problems.append(
                    f"gold.orders_enriched order {order_id} of {which}{updated} is {rows[0]}, fed {expected}{stale}"
                )
        expected_user = want["gold.users"]
        rows = [r for r in held["gold.users"] if r["user_id"] == expected_user["user_id"]]
        again = (prior.rows["gold.users"], prior) if prior else None
        problems += _judge_row(
            "gold.users",
            str(batch.user_id),
            which,
            by,
            rows,
            expected_user,
            kept["gold.users"],
            late["gold.users"],
            again,
        )
        problems += _judge_day(batch, which, by, held["gold.daily_revenue"], want, kept, late, prior)
    days = {d for b in batches for d in b.days}
    for row in held["gold.daily_revenue"]:
        if row["order_date"] not in days:
            problems.append(f"gold.daily_revenue has a row no batch fed: {row}")
    return problems


def _judge_row(
    table: str,
    named: str,
    which: str,
    by: str,
    rows: list[dict[str, Any]],
    expected: Mapping[str, Any],
    kept: Mapping[str, Any] | None,
    late: Mapping[str, Any] | None = None,
    prior: tuple[Mapping[str, Any] | None, Prior] | None = None,
) -> list[str]:
    """One keyed row: there, once, as the batches make it (``by``: the batches that updated it, ``kept``: the
    row before they did, ``late``: the row if each key's last line had won, ``prior``: before the latest did)."""
    if not rows:
        return [f"{table} has no row {named} of {which}"]
    if len(rows) > 1:
        return [f"{table} holds row {named} of {which} {len(rows)} times"]
    if rows[0] != expected:
        if not by:
            return [f"{table} row {named} of {which} is {rows[0]}, the batch makes it {dict(expected)}"]
        stale = _stale(rows[0], expected, kept, by, late, prior)
        return [
            f"{table} row {named} of {which} (updated by {by}) is {rows[0]}, the batches make it {dict(expected)}"
            + stale
        ]
    return []


def _judge_day(
    batch: Batch,
    which: str,
    by: str,
    held: list[dict[str, Any]],
    want: Mapping[str, Any],
    kept: Mapping[str, Any],
    late: Mapping[str, Any],
    prior: Prior | None = None,
) -> list[str]:
    """The batch's days in gold.daily_revenue: on each, the row its counted orders make, in their user's country
    now, and no other (a row left in the country the user moved away from, or on a day its orders moved away
    from, is stale; one in the country of a late line with an older ``updated_at`` is the late line's)."""
    problems = []
    for day in batch.days:
        expected, first, last = (_of_day(rows["gold.daily_revenue"], day) for rows in (want, kept, late))
        before = _of_day(prior.rows["gold.daily_revenue"], day) if prior else None
        again = (before, prior) if prior else None
        of_day = [r for r in held if r["order_date"] == day]
        if expected is not None:
            named = f"{day}/{expected['country']}"
            rows = [r for r in of_day if r["country"] == expected["country"]]
            problems += _judge_row("gold.daily_revenue", named, which, by, rows, expected, first, last, again)
        for row in of_day:
            if expected is not None and row["country"] == expected["country"]:
                continue
            now = f"moved it to {day}/{expected['country']}" if expected else "left it no counted order"
            keeps = f"gold.daily_revenue keeps row {day}/{row['country']} of {which} (updated by {by}): {row}"
            if by and last is not None and row["country"] == last["country"]:
                problems.append(f"{keeps} (a later line with an older version won: {by}'s newest line {now})")
            elif by and first is not None and row["country"] == first["country"]:
                problems.append(f"{keeps} (stale: {by} {now})")
            elif prior is not None and before is not None and row["country"] == before["country"]:
                problems.append(f"{keeps} (stale as {prior.left_by} left it: {prior.latest} {now})")
            elif by and expected is None and row["country"] == want["gold.users"]["country"]:
                problems.append(f"{keeps} (stale: {by} {now}, its orders moved to another day or cancelled)")
            else:
                problems.append(f"gold.daily_revenue has a row no batch fed: {row}")
    return problems


def _of_day(rows: Sequence[Mapping[str, Any]], day: str) -> Mapping[str, Any] | None:
    """The row of ``day`` among a batch's expected revenue rows (one per day with a counted order)."""
    return next((r for r in rows if r["order_date"] == day), None)


# -- Iceberg snapshots ----------------------------------------------------------------------------


@dataclass
class SnapshotLog:
    """A table's snapshots as its Iceberg metadata lists them (the catalog's current metadata file)."""

    current: int | None = None
    ids: list[int] = field(default_factory=list)
    metadata_location: str | None = None
    #: The current snapshot's time and operation.
    timestamp_ms: int | None = None
    operation: str | None = None


#: Reads each Gold table's snapshot log (table -> log; a table not created yet has an empty one).
SnapshotReader = Callable[[], dict[str, SnapshotLog]]

#: Reads a run's tables back against their data contracts: why they are not met (``None``: they are), and what
#: of them was read beside the contracts' word (the stored column types: ``{"column_types": ...}``). Raises
#: ``ReadBackError`` when they could not be read: that says nothing of the run.
ReadBack = Callable[[PipelineResult], tuple[str | None, dict[str, Any]]]


class ReadBackError(RuntimeError):
    """What a run built could not be read back (a Glue, S3 or Athena read failed): no word on the run, so the KPI
    cannot count it as failed nor as succeeded. ``read``: what was read before the failure, for the evidence."""

    def __init__(self, why: str, read: dict[str, Any] | None = None) -> None:
        super().__init__(why)
        self.read: dict[str, Any] = dict(read or {})


def iceberg_snapshots(catalog: Any, gold_db: str) -> dict[str, SnapshotLog]:
    """The Gold tables' snapshot logs through a pyiceberg catalog (Glue's pointer, the metadata file in S3)."""
    from pyiceberg.exceptions import NoSuchTableError

    logs: dict[str, SnapshotLog] = {}
    for table in GOLD_TABLES:
        try:
            loaded = catalog.load_table(f"{gold_db}.{table}")
        except NoSuchTableError:
            logs[f"gold.{table}"] = SnapshotLog()
            continue
        current = loaded.current_snapshot()
        logs[f"gold.{table}"] = SnapshotLog(
            current.snapshot_id if current else None,
            [s.snapshot_id for s in loaded.snapshots()],
            loaded.metadata_location,
            current.timestamp_ms if current else None,
            str(current.summary.operation.value) if current and current.summary else None,
        )
    return logs


def judge_snapshots(before: Mapping[str, SnapshotLog], after: Mapping[str, SnapshotLog]) -> list[str]:
    """Each Gold table's current snapshot after the run must be one the run committed (not in the log before)."""
    problems = []
    for table in (f"gold.{t}" for t in GOLD_TABLES):
        was, now = before.get(table, SnapshotLog()), after.get(table, SnapshotLog())
        if now.current is None:
            problems.append(f"{table} has no Iceberg snapshot after the run")
        elif now.current in was.ids:
            problems.append(
                f"{table}: no Iceberg snapshot committed by this run (its current snapshot {now.current} "
                "was there before the run)"
            )
    return problems


def snapshot_evidence(before: Mapping[str, SnapshotLog], after: Mapping[str, SnapshotLog]) -> dict[str, Any]:
    out = {}
    for table, now in after.items():
        was = before.get(table, SnapshotLog())
        out[table] = {
            "before": was.current,
            "after": now.current,
            "committed_by_the_run": [i for i in now.ids if i not in was.ids],
            "operation": now.operation,
            "timestamp_ms": now.timestamp_ms,
            "metadata_location": now.metadata_location,
        }
    return out


# -- the proof each run must give -----------------------------------------------------------------


@dataclass
class Fed:
    """A run's input: the data directory it lands, and what was fed (evidence)."""

    data_dir: Path
    evidence: dict[str, Any]


@dataclass
class FreshBatches:
    """Feeds run ``i`` batch ``i`` (on top of the base files and the batches before) and judges Gold after it.

    ``contracts``: the data-contract read-back (``ReadBack``): its word and what it read are kept beside the batch's.
    """

    base_dir: Path
    work_dir: Path
    batches: list[Batch]
    gold: Callable[[Sequence[Batch]], dict[str, list[dict[str, Any]]]]
    snapshots: SnapshotReader
    contracts: ReadBack | None = None
    #: How many batches were written into Bronze (the ones to take out again).
    landed: int = 0
    _before: dict[str, SnapshotLog] = field(default_factory=dict)

    def feed(self, run: int) -> Fed:
        """Write run ``run``'s inputs and note Gold's snapshots before it."""
        self._before = self.snapshots()
        data_dir = write_inputs(self.base_dir, self.batches[:run], self.work_dir / f"run-{run}")
        self.landed = max(self.landed, run)
        return Fed(data_dir, {"base_files": str(self.base_dir), **fed_evidence(self.batches[:run])})

    def read_back(self, run: int, result: PipelineResult) -> tuple[str | None, dict[str, Any]]:
        """Why Gold does not show run ``run``'s batch (``None``: it does), and what was read.

        Contracts that could not be read (``ReadBackError``) leave the run unjudged, raised on with what was read,
        unless Gold or its snapshots already show the run went wrong."""
        after = self.snapshots()
        held = self.gold(self.batches[:run])
        problems = judge_gold(self.batches[:run], held) + judge_snapshots(self._before, after)
        read: dict[str, Any] = {"gold": held, "snapshots": snapshot_evidence(self._before, after)}
        if self.contracts is not None:
            try:
                wrong, seen = self.contracts(result)
            except ReadBackError as err:
                if not problems:  # nothing else says the run went wrong: no word on it
                    raise ReadBackError(str(err), {**read, **err.read}) from err
                wrong, seen = None, err.read  # the run failed on what was read; the contracts add nothing
                read["contracts"] = f"could not be read: {err}"
            else:
                read["contracts"] = wrong or "every data contract met"
            read.update(seen)
            if wrong:
                problems.append(wrong)
        return ("; ".join(problems) if problems else None), read


# -- taking the batches out again -----------------------------------------------------------------


def take_out_statements(outputs: Mapping[str, Any], batches: Sequence[Batch]) -> list[str]:
    """DELETEs of every row the batches put into Silver and Gold (their ids and country are theirs only)."""
    users = _ids([b.user_id for b in batches])
    orders = _ids([i for b in batches for i in b.order_ids])
    countries = _countries(batches)
    out = dict(outputs)
    return [
        f"DELETE FROM {physical('gold.daily_revenue', out)} WHERE country IN ({countries})",
        f"DELETE FROM {physical('gold.orders_enriched', out)} WHERE order_id IN ({orders})",
        f"DELETE FROM {physical('gold.users', out)} WHERE user_id IN ({users})",
        f"DELETE FROM {physical('silver.orders', out)} WHERE order_id IN ({orders})",
        f"DELETE FROM {physical('silver.users', out)} WHERE user_id IN ({users})",
    ]


def leftover_queries(outputs: Mapping[str, Any], batches: Sequence[Batch]) -> dict[str, str]:
    """Counts of the batches' rows per table, Bronze and staging included (all 0 once restored)."""
    users = _ids([b.user_id for b in batches])
    orders = _ids([i for b in batches for i in b.order_ids])
    countries = _countries(batches)
    by_table = {
        "bronze.users_csv": f"user_id IN ({', '.join(repr(str(b.user_id)) for b in batches)})",
        "bronze.orders_csv": f"order_id IN ({', '.join(repr(str(i)) for b in batches for i in b.order_ids)})",
        "silver.users": f"user_id IN ({users})",
        "silver.orders": f"order_id IN ({orders})",
        "silver.orders_staged": f"order_id IN ({', '.join(repr(str(i)) for b in batches for i in b.order_ids)})",
        "gold.users": f"user_id IN ({users})",
        "gold.orders_enriched": f"order_id IN ({orders})",
        "gold.daily_revenue": f"country IN ({countries})",
    }
    return {t: f"SELECT count(*) FROM {physical(t, dict(outputs))} WHERE {w}" for t, w in by_table.items()}


@dataclass
class Restored:
    """What taking the batches out did, and what of them was read back afterwards."""

    ok: bool
    batches: int
    statements: list[str] = field(default_factory=list)
    pipeline: str | None = None
    left: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def why_not(self) -> str | None:
        if self.ok:
            return None
        if self.error:
            return self.error
        if self.left:
            return f"rows of the KPI's batches are still in the stack: {self.left}"
        return f"the pipeline run on the base files after the batches failed: {self.pipeline}"


def restore(
    query: Query, rerun: Callable[[], PipelineResult], outputs: Mapping[str, Any], batches: Sequence[Batch]
) -> Restored:
    """Delete the batches from Silver and Gold, run the pipeline on the base files, read back that none is left."""
    if not batches:
        return Restored(True, 0)
    done = Restored(False, len(batches))

    def unless_absent(sql: str) -> list[tuple[Any, ...]]:
        """A table no run created holds no batch (runs that failed before it); any other failure raises."""
        try:
            return query(sql)
        except Exception as err:
            if "TABLE_NOT_FOUND" in str(err) or "does not exist" in str(err):
                return [(0,)]
            raise

    try:
        for sql in take_out_statements(outputs, batches):
            unless_absent(sql)
            done.statements.append(sql)
        result = rerun()
        done.pipeline = "ok" if result.ok else f"failed: {result.error}"
        for table, sql in leftover_queries(outputs, batches).items():
            count = int(unless_absent(sql)[0][0])
            if count:
                done.left[table] = count
    except Exception as err:  # noqa: BLE001 - what failed is the evidence; the KPI says the stack is not restored
        done.error = f"taking the KPI's batches out failed: {type(err).__name__}: {err}"
        return done
    done.ok = result.ok and not done.left
    return done
