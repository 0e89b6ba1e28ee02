"""The data loop on real files, against one shared emulator: the reported repro and a property test.

Property (hypothesis): random batches of users and orders with duplicates (identical and
conflicting), nulls, bad numbers and dates, extra and missing fields, loaded in random order and
re-loaded: every run's accounting adds up, Silver keys are unique, a re-load changes nothing, and
Gold equals a plain Python computation of the same rules (``Model`` below) on the same input.
Each example gets its own databases and buckets on the one emulator (no deploy per example).
``make test`` runs a few examples (a pipeline run takes seconds); ``HYPOTHESIS_PROFILE=fuzz`` more.
"""

from __future__ import annotations

import csv
import decimal
import io
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakehouse.athena import connect, run
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.pipeline.runner import DATA_DIR, PipelineResult, physical, run_pipeline
from lakehouse.target import Target
from tests.emulator.pipeline_stack import pipeline_stack

REGION = "eu-west-3"
settings.register_profile(
    "bounded",
    max_examples=3,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile("fuzz", parent=settings.get_profile("bounded"), max_examples=60)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "bounded"))
_names = itertools.count(1)

USERS = ["user_id", "email", "full_name", "ssn", "country", "signup_ts", "updated_at"]
ORDERS = ["order_id", "user_id", "order_ts", "amount", "status"]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
SSN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
TS = re.compile(r"^[-+]?\d{4,}-\d{1,2}-\d{1,2}( (\d{1,2}):(\d{1,2})(:(\d{1,2})(\.\d+)?)?)?\s*(.+)?$")
STATUSES = ("placed", "shipped", "completed", "cancelled")


# -- Trino's casts, in Python (the model's) ----------------------------------------------------


def to_bigint(v: str) -> int | None:
    s = v.strip()
    return int(s) if re.fullmatch(r"[+-]?\d+", s) and -(2**63) <= int(s) < 2**63 else None


def to_decimal(v: str) -> decimal.Decimal | None:
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", v):
        return None
    d = decimal.Decimal(v).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    return d if abs(d) < decimal.Decimal("100000000") else None


def to_ts(v: str) -> str | None:
    m = TS.match(v.strip())
    if not m:
        return None
    y, mo, d = (int(x) for x in v.strip().split(" ")[0].split("-"))
    import datetime as dt

    try:
        t = dt.datetime(y, mo, d, int(m.group(2) or 0), int(m.group(3) or 0), int(m.group(5) or 0))
    except ValueError:
        return None
    return t.isoformat(sep=" ")


# -- what goes into a batch --------------------------------------------------------------------

user_ids = st.sampled_from(["1", "2", "3", "4", " 2 ", "x", ""])
timestamps = st.sampled_from(
    ["2026-01-01 10:00:00", "2026-01-02 10:00", "2026-01-03", "2026/01/04 10:00", "", "NULL", "2026-02-30 00:00:00"]
)
user_line = st.tuples(
    user_ids,
    st.sampled_from(["a@example.com", "B@Example.com", "bad", ""]),
    st.sampled_from(["Ann", " Ben ", ""]),
    st.sampled_from(["900-11-1111", "900-22-2222", "123"]),
    st.sampled_from(["JP", "us", "", " DE "]),
    timestamps,
    timestamps,
).map(list)
order_line = st.tuples(
    st.sampled_from(["10", "11", "12", "13", "x", ""]),
    user_ids,
    timestamps,
    st.sampled_from(["10.00", "12.345", "-1", "abc", "", "1e2", " 5 "]),
    st.sampled_from([*STATUSES, "lost", ""]),
).map(list)


def shaped(lines: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[list[str]]]:
    """Lines, some repeated (identical duplicates), some with a field too many or too few."""

    def bend(line: list[str], how: int) -> list[str]:
        return line + ["extra"] if how == 1 else line[:-1] if how == 2 else line

    one = st.tuples(lines, st.sampled_from([0, 0, 0, 0, 1, 2]), st.integers(1, 2))
    return st.lists(one, max_size=8).map(lambda xs: [bend(line, how) for line, how, n in xs for _ in range(n)])


batches = st.lists(st.tuples(shaped(user_line), shaped(order_line)), min_size=1, max_size=2)


def write(directory: Path, users: list[list[str]], orders: list[list[str]]) -> None:
    for name, header, rows in (("users.csv", USERS, users), ("orders.csv", ORDERS, orders)):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        (directory / name).write_text(out.getvalue(), encoding="utf-8")


# -- the same rules, in plain Python -----------------------------------------------------------


@dataclass
class Model:
    users: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # key -> (email, name, ssn, country, signup, upd)
    orders: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # key -> (user_id, order_ts, amount, status)

    @staticmethod
    def _merge(held: dict[int, tuple[Any, ...]], valid: list[tuple[int, int, str, tuple[Any, ...]]]) -> None:
        """valid: (line, key, version, values). Newest version, then later line; older than held loses."""
        best: dict[int, tuple[str, int, tuple[Any, ...]]] = {}
        for line, key, version, values in valid:
            if key not in best or (version, line) > best[key][:2]:
                best[key] = (version, line, values)
        for key, (version, _, values) in best.items():
            if key not in held or held[key][-1] <= version:
                held[key] = values

    def load(self, users: list[list[str]], orders: list[list[str]]) -> None:
        valid: list[tuple[int, int, str, tuple[Any, ...]]] = []
        for line, f in enumerate(users, start=2):
            if len(f) != len(USERS):
                continue
            key, signup, upd = to_bigint(f[0]), to_ts(f[5]), to_ts(f[6])
            if key is None or not EMAIL.match(f[1]) or not SSN.match(f[3]) or signup is None or upd is None:
                continue
            country = f[4].strip().upper() or None
            valid.append((line, key, upd, (f[1].strip().lower(), f[2].strip(), f[3], country, signup, upd)))
        self._merge(self.users, valid)
        valid = []
        for line, f in enumerate(orders, start=2):
            if len(f) != len(ORDERS):
                continue
            key, amount, ts, user = to_bigint(f[0]), to_decimal(f[3]), to_ts(f[2]), to_bigint(f[1])
            if key is None or amount is None or amount < 0 or ts is None or f[4] not in STATUSES:
                continue
            if user not in self.users:
                continue
            valid.append((line, key, ts, (user, ts, amount, f[4], ts)))
        self._merge(self.orders, valid)

    def gold_users(self) -> set[tuple[Any, ...]]:
        out = set()
        for uid in self.users:
            mine = [o for o in self.orders.values() if o[0] == uid and o[3] != "cancelled"]
            out.add((uid, len(mine), str(sum((o[2] for o in mine), decimal.Decimal("0.00")))))
        return out

    def daily_revenue(self) -> set[tuple[Any, ...]]:
        groups: dict[tuple[str, str], list[decimal.Decimal]] = {}
        for user, ts, amount, status, _ in self.orders.values():
            if status != "cancelled":
                groups.setdefault((ts[:10], self.users[user][3] or "unknown"), []).append(amount)
        return {(d, c, len(a), str(sum(a))) for (d, c), a in groups.items()}


# -- the stack --------------------------------------------------------------------------------


@dataclass
class Lake:
    target: Target
    outputs: dict[str, Any]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        conn = connect(self.target, self.outputs["athena_workgroup_name"])
        try:
            record, rows = run(conn, sql, keep_rows=0)
        finally:
            conn.close()
        assert record.ok, record.error
        return [tuple(r) for r in rows]

    def load(self, data_dir: Path) -> PipelineResult:
        return run_pipeline(self.target, self.outputs, data_dir=data_dir)

    def snapshot(self) -> dict[str, set[tuple[Any, ...]]]:
        return {
            t: {tuple(str(v) for v in r) for r in self.rows(f"SELECT * FROM {physical(t, self.outputs)}")}
            for t in ("silver.users", "silver.orders", "gold.users", "gold.orders_enriched", "gold.daily_revenue")
        }


def new_lake(emulator: EmulatorHandle) -> Lake:
    target, outputs = pipeline_stack(emulator, REGION, f"loop{next(_names)}")
    return Lake(target, outputs)


def assert_healthy(lake: Lake, result: PipelineResult) -> None:
    assert result.ok, result.summary()
    assert result.accounting and all(a.ok for a in result.accounting), result.summary()
    for table, key in (("silver.users", "user_id"), ("silver.orders", "order_id")):
        dup = lake.rows(f"SELECT {key} FROM {physical(table, lake.outputs)} GROUP BY {key} HAVING count(*) > 1")
        assert not dup, f"{table} holds {key} {dup} twice"


# -- the tests ---------------------------------------------------------------------------------


def test_a_batch_with_one_order_twice_and_different_amounts_keeps_one_and_the_sample_loads_after(
    emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The reported repro: before, Silver held both rows and every later run failed at a MERGE."""
    lake = new_lake(emulator)
    users = [["1", "a@example.com", "Ann", "900-11-1111", "JP", "2026-01-01 10:00:00", "2026-01-01 10:00:00"]]
    orders = [
        ["5", "1", "2026-03-01 10:00:00", "10.00", "placed"],
        ["5", "1", "2026-03-01 10:00:00", "20.00", "placed"],
    ]
    write(tmp_path, users, orders)
    first = lake.load(tmp_path)
    assert_healthy(lake, first)
    assert first.quarantined["silver.orders_rejected"] == {"duplicate key, superseded by line 3": 1}
    assert lake.rows(f"SELECT amount FROM {physical('silver.orders', lake.outputs)}") == [(decimal.Decimal("20.00"),)]
    assert_healthy(lake, lake.load(DATA_DIR))


def test_duplicate_keys_already_in_silver_are_named_before_the_run(emulator: EmulatorHandle) -> None:
    lake = new_lake(emulator)
    assert_healthy(lake, lake.load(DATA_DIR))
    orders = physical("silver.orders", lake.outputs)
    lake.rows(f"INSERT INTO {orders} SELECT * FROM {orders} WHERE order_id = 7")  # as an older version did
    broken = lake.load(DATA_DIR)
    assert not broken.ok
    assert broken.duplicate_keys == {"silver.orders": ["order_id=7 (2 rows)"]}
    assert "silver.orders: order_id=7 (2 rows)" in (broken.error or "")
    assert not broken.statements, "nothing ran against the broken table"


@PROFILE
@given(batches=batches, data=st.data())
def test_random_batches_in_random_order_account_for_every_line_and_gold_matches_python(
    emulator: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory, batches: Any, data: st.DataObject
) -> None:
    lake, model = new_lake(emulator), Model()
    order = data.draw(st.permutations(range(len(batches))))
    last = None
    for i in order:
        users, orders = batches[i]
        last = tmp_path_factory.mktemp("batch")
        write(last, users, orders)
        assert_healthy(lake, lake.load(last))
        model.load(users, orders)
    assert last is not None
    before = lake.snapshot()
    assert_healthy(lake, lake.load(last))  # the same batch again
    assert lake.snapshot() == before, "a re-load changed Silver or Gold"
    gold_users = {
        (int(r[0]), int(r[1]), str(r[2]))
        for r in lake.rows(f"SELECT user_id, order_count, lifetime_value FROM {physical('gold.users', lake.outputs)}")
    }
    assert gold_users == model.gold_users()
    revenue = {
        (str(r[0]), str(r[1]), int(r[2]), str(r[3]))
        for r in lake.rows(f"SELECT * FROM {physical('gold.daily_revenue', lake.outputs)}")
    }
    assert revenue == model.daily_revenue()
