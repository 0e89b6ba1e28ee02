"""A line refused as superseded by a line that Silver did not take either: the key is lost, the reason false.

``false_refusals_sql`` runs in bare DuckDB, translated as the emulator translates it, on Silver users' tables as
the pipeline leaves them: user 7 has two valid-looking lines, 5 (older) and 6 (newer). Healthy, line 6 wins and
is in Silver, line 5 refused as superseded by it. Broken (a Silver that ranks a key's lines before judging them),
line 6 is refused for a malformed e-mail and line 5 still refused as superseded by line 6: every line ends in one
place with a reason true of it taken alone, Gold is built right from what Silver kept, and user 7 is gone.
"""

from __future__ import annotations

from typing import Any

import duckdb

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.refusals import false_refusals

#: Users' raw columns as the staging and rejected tables keep them (every one a string, as Bronze reads it).
RAW = "user_id VARCHAR, email VARCHAR, full_name VARCHAR, ssn VARCHAR, country VARCHAR, signup_ts VARCHAR, " + (
    "updated_at VARCHAR"
)
OLDER = ["7", "ana@example.com", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-01-01 00:00:00"]
NEWER_OK = ["7", "ana@example.org", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-02-01 00:00:00"]
NEWER_BAD = ["7", "ana at example", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-02-01 00:00:00"]
SUPERSEDED = "duplicate key, superseded by line 6"


#: Silver as the run found it: nothing (the line Silver holds was taken by this run), or the rows it holds (an
#: earlier batch's row, the run wrote none).
EMPTY_BEFORE = "SELECT * FROM {} WHERE false".format
SAME_BEFORE = "SELECT * FROM {}".format


def _query(con: duckdb.DuckDBPyConnection) -> Any:
    return lambda sql: con.execute(dialect.to_duckdb(dialect.parse(sql).tree)).fetchall()  # type: ignore[arg-type]


def _silver(newer: list[str], newer_reason: str | None) -> duckdb.DuckDBPyConnection:
    """Lines 5 (``OLDER``, refused as superseded by line 6) and 6 (``newer``, refused as ``newer_reason`` or in
    Silver when None)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA silver")
    for table in ("users_staged", "users_rejected"):
        con.execute(f"CREATE TABLE silver.{table} (source_line BIGINT, {RAW}, reject_reason VARCHAR)")
    con.execute(
        "CREATE TABLE silver.users (user_id BIGINT, email VARCHAR, full_name VARCHAR, ssn VARCHAR, country VARCHAR, "
        "signup_ts TIMESTAMP, updated_at TIMESTAMP)"
    )
    staged = [[5, *OLDER, SUPERSEDED], [6, *newer, newer_reason]]
    con.executemany("INSERT INTO silver.users_staged VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", staged)
    con.executemany(
        "INSERT INTO silver.users_rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r for r in staged if r[-1]]
    )
    if newer_reason is None:
        con.execute("INSERT INTO silver.users VALUES (7, ?, 'Ana', '123-45-6789', 'US', ?, ?)", [newer[1], *newer[5:]])
    return con


def test_a_line_superseded_by_the_line_silver_took_is_truly_refused() -> None:
    """Healthy twin: line 6 is valid and in Silver; line 5's refusal is true."""
    assert false_refusals(_query(_silver(NEWER_OK, None)), lambda t: t, "users.csv", EMPTY_BEFORE) == []


def test_a_line_superseded_by_a_winner_refused_as_older_than_silver_s_row_is_truly_refused() -> None:
    """Healthy twin: Silver holds a newer row of user 7 (an earlier batch's), so line 6 is refused as older than it,
    and line 5, older still, was never Silver's to keep either."""
    outdated = "older than the row silver holds (a newer updated_at)"
    con = _silver(NEWER_OK, outdated)
    con.execute(
        "INSERT INTO silver.users VALUES (7, 'ana@example.net', 'Ana', '123-45-6789', 'US', ?, ?)",
        [
            "2026-01-01 00:00:00",
            "2026-03-01 00:00:00",
        ],
    )
    assert false_refusals(_query(con), lambda t: t, "users.csv", SAME_BEFORE) == []


def test_a_line_superseded_by_a_line_refused_as_invalid_is_a_false_refusal() -> None:
    """Broken: line 6 wins the key though its e-mail is malformed, then is refused for it; line 5 is lost."""
    (said,) = false_refusals(_query(_silver(NEWER_BAD, "email malformed")), lambda t: t, "users.csv", EMPTY_BEFORE)
    assert said.startswith(
        "users.csv:5: refused as 'duplicate key, superseded by line 6' in silver.users_rejected, which is not true "
        "of it: the line it names is refused itself, as 'email malformed', so the key is lost (user_id '7', "
    ), said
