"""Synthetic users and orders CSVs: the committed sample and larger sets for benchmarks.

Deterministic for a seed. Every set carries the same kinds of deliberately dirty rows
(bad ids, malformed e-mail and ssn, unparsable amounts and timestamps, unknown users,
truncated lines, duplicates), so the quarantine path is exercised at every size.
SSNs are synthetic: area numbers 900-999 are never issued.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
from pathlib import Path

USER_COLUMNS = ["user_id", "email", "full_name", "ssn", "country", "signup_ts", "updated_at"]
ORDER_COLUMNS = ["order_id", "user_id", "order_ts", "amount", "status"]
COUNTRIES = ["JP", "US", "DE", "FR", "BR", "IN", ""]  # "" = unknown country (a NULL later)
STATUSES = ["placed", "shipped", "completed", "completed", "completed", "cancelled"]
FIRST = ["Aiko", "Ben", "Chloe", "Dev", "Emi", "Farid", "Gita", "Hugo", "Ines", "Jun", "Kai", "Lena"]
LAST = ["Sato", "Smith", "Muller", "Martin", "Silva", "Patel", "Tanaka", "Garcia", "Kim", "Rossi"]
START = dt.datetime(2026, 1, 1)


def _ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def users(n: int, rng: random.Random) -> list[list[str]]:
    rows = []
    for i in range(1, n + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        signup = START + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        ssn = f"{rng.randrange(900, 1000)}-{rng.randrange(10, 100)}-{rng.randrange(1000, 10000)}"
        rows.append(
            [
                str(i),
                f"{first}.{last}{i}@example.com".lower(),
                f"{first} {last}",
                ssn,
                rng.choice(COUNTRIES),
                _ts(signup),
                _ts(signup),
            ]
        )
    return rows


def dirty_users(n: int) -> list[list[str]]:
    """One of each kind of bad user row, plus an update of user 1 (newer, so it wins)."""
    return [
        ["abc", "bad.id@example.com", "Bad Id", "900-11-1111", "JP", "2026-01-02 10:00:00", "2026-01-02 10:00:00"],
        [str(n + 1), "not-an-email", "No Mail", "900-22-2222", "US", "2026-01-02 11:00:00", "2026-01-02 11:00:00"],
        [str(n + 2), "no.ssn@example.com", "No Ssn", "123456789", "DE", "2026-01-02 12:00:00", "2026-01-02 12:00:00"],
        [str(n + 3), "late@example.com", "Truncated Line"],  # a line cut short
        [
            "1",
            "updated.user1@example.com",
            "Updated User",
            "900-00-0001",
            "JP",
            "2026-01-01 00:00:00",
            "2026-02-01 00:00:00",
        ],
    ]


def orders(n: int, n_users: int, rng: random.Random) -> list[list[str]]:
    rows = []
    for i in range(1, n + 1):
        placed = START + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        amount = f"{rng.randrange(100, 50000) / 100:.2f}"
        rows.append([str(i), str(rng.randrange(1, n_users + 1)), _ts(placed), amount, rng.choice(STATUSES)])
    return rows


def dirty_orders(n: int, first: list[str]) -> list[list[str]]:
    """One of each kind of bad order row, plus ``first`` delivered a second time."""
    return [
        [str(n + 1), "2", "2026-01-05 09:00:00", "12,50", "completed"],  # decimal comma
        [str(n + 2), "2", "2026-01-05 09:30:00", "-5.00", "completed"],  # negative amount
        [str(n + 3), "999999", "2026-01-05 10:00:00", "20.00", "completed"],  # no such user
        [str(n + 4), "3", "2026-13-45 99:00:00", "20.00", "completed"],  # impossible timestamp
        [str(n + 5), "3", "2026-01-05 11:00:00", "20.00", "lost"],  # unknown status
        ["", "3", "2026-01-05 12:00:00", "20.00", "completed"],  # no order id
        [str(n + 6), "4"],  # a line cut short
        list(first),  # the same order delivered twice
    ]


def generate(out: Path, n_orders: int, n_users: int | None = None, seed: int = 7) -> dict[str, int]:
    """Write users.csv and orders.csv into ``out``; returns the row counts written."""
    rng = random.Random(seed)
    n_users = n_users or max(20, n_orders // 10)
    user_rows = users(n_users, rng) + dirty_users(n_users)
    order_rows = orders(n_orders, n_users, rng)
    order_rows += dirty_orders(n_orders, order_rows[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, header, rows in (("users.csv", USER_COLUMNS, user_rows), ("orders.csv", ORDER_COLUMNS, order_rows)):
        with (out / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(header)
            writer.writerows(rows)
    return {"users": len(user_rows), "orders": len(order_rows)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate synthetic users.csv and orders.csv")
    parser.add_argument("--rows", type=int, default=60, help="orders to generate (users: rows/10, at least 20)")
    parser.add_argument("--users", type=int, default=None, help="users to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("fixtures/data"))
    args = parser.parse_args(argv)
    counts = generate(args.out, args.rows, args.users, args.seed)
    print(f"wrote {args.out}/users.csv ({counts['users']} rows) and {args.out}/orders.csv ({counts['orders']} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
