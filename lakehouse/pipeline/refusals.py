"""Every refused line's reason is true of it: the accounting's other half.

The line accounting (``accounting.py``) proves each line ends in exactly one place, but a rejected
table is one of those places: a Silver that refuses good lines under a made-up reason (``amount
negative`` for 53.80, a country it drops as ``user_id unknown``) adds up, and Gold, built right from
what Silver kept, meets its contracts and still holds the demo's row. Each reason the pipeline may
give is stated here as the condition its line must meet, read from the line's raw values (the
rejected table keeps them) and, for the reasons that depend on other rows, from the staging and
Silver tables. A reason not listed is one nobody can verify, and counts as false.

"Older than the row silver holds" is judged against Silver as it was before the run (``before``: the Iceberg
snapshot current when the run started, read by time travel), as the pipeline's staging saw it: Silver after the
run holds what the run itself wrote, and a made-up newer row written by the run would make the refusal of the
real line it displaced look true.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Lines shown per file at most (the first ones, in line order).
SHOWN = 50

#: The reasons each file's lines may be refused for, as conditions on ``r`` (the rejected row, raw strings;
#: ``r.key``/``r.version`` typed), ``w`` (the staged line a duplicate names as its winner; ``wr``, that line's
#: own refusal, if any: a winner refused itself, but as older than Silver's row, took nothing), ``h`` (the newest
#: version Silver held of the key before the run) and, for orders, ``k`` (a Silver user of the order's user_id).
_TIMESTAMP = "try_cast({} AS timestamp) IS NULL"
_SUPERSEDED = (
    "w.source_line IS NOT NULL AND w.source_line <> r.source_line "
    "AND (w.version > r.version OR (w.version = r.version AND w.source_line > r.source_line)) "
    "AND (wr.source_line IS NULL OR wr.reject_reason = {outdated})"
)
FAMILIES: dict[str, dict[str, Any]] = {
    "users.csv": {
        "rejected": "silver.users_rejected",
        "staged": "silver.users_staged",
        "silver": "silver.users",
        "key": "user_id",
        "version": "updated_at",
        "shown": ("user_id", "email", "ssn", "signup_ts", "updated_at"),
        "known": None,
        "reasons": {
            "user_id missing or not a number": "r.key IS NULL",
            "email malformed": r"r.email IS NULL OR NOT regexp_like(r.email, '^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$')",
            "ssn malformed": r"r.ssn IS NULL OR NOT regexp_like(r.ssn, '^\d{3}-\d{2}-\d{4}$')",
            "signup_ts missing or malformed": _TIMESTAMP.format("r.signup_ts"),
            "updated_at missing or malformed": "r.version IS NULL",
            "older than the row silver holds (a newer updated_at)": "h.version > r.version",  # h: before the run
        },
        "outdated": "older than the row silver holds (a newer updated_at)",
    },
    "orders.csv": {
        "rejected": "silver.orders_rejected",
        "staged": "silver.orders_staged",
        "silver": "silver.orders",
        "key": "order_id",
        "version": "order_ts",
        "shown": ("order_id", "user_id", "order_ts", "amount", "status"),
        "known": "silver.users",
        "reasons": {
            "order_id missing or not a number": "r.key IS NULL",
            "amount missing or not a decimal": "try_cast(r.amount AS decimal(10, 2)) IS NULL",
            "amount negative": "try_cast(r.amount AS decimal(10, 2)) < 0",
            "order_ts missing or malformed": "r.version IS NULL",
            "status unknown": "r.status IS NULL OR r.status NOT IN ('placed', 'shipped', 'completed', 'cancelled')",
            "user_id unknown": "k.user_id IS NULL",
            "older than the row silver holds (a newer order_ts)": "h.version > r.version",
        },
        "outdated": "older than the row silver holds (a newer order_ts)",
    },
}
#: ``duplicate key, superseded by line N``: line N is a staged line of the same key that wins over this one
#: (a newer version, or the same version and a later line) and that Silver took: not refused itself, or refused
#: only as older than the row Silver holds (then so is this line). A winner refused as invalid (an e-mail
#: malformed, an order's user unknown) loses the key: this line, valid, was Silver's to keep, and is lost.
DUPLICATE = r"^duplicate key, superseded by line (\d+)$"

Query = Callable[[str], list[tuple[Any, ...]]]
Names = Callable[[str], str]
#: A Silver table (``silver.users``) -> the query reading it as it was before the run (``silver_rows.as_of``).
Before = Callable[[str], str]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def false_refusals_sql(family: dict[str, Any], name: Names, before: Before) -> str:
    """The refused lines whose reason is not true of them (none when healthy), first ``SHOWN`` in line order;
    ``before`` reads Silver as the run found it (``h``)."""
    key, version, shown = family["key"], family["version"], family["shown"]
    cases = " ".join(
        f"WHEN r.reject_reason = {_quote(reason)} THEN {cond}" for reason, cond in family["reasons"].items()
    )
    known = (
        f"LEFT JOIN (SELECT DISTINCT user_id FROM {name(family['known'])}) k "
        "ON k.user_id = try_cast(r.user_id AS bigint) "
        if family["known"]
        else ""
    )
    values = ", ".join(f"r.{c}" for c in shown)
    superseded = _SUPERSEDED.format(outdated=_quote(family["outdated"]))
    return (
        f"WITH r AS (SELECT *, try_cast({key} AS bigint) AS key, try_cast({version} AS timestamp) AS version, "
        f"try_cast(regexp_extract(reject_reason, '{DUPLICATE}', 1) AS bigint) AS winner "
        f"FROM {name(family['rejected'])}), "
        # Only the staged lines some refusal names as its winner: their key and version are cast, not every line's
        # (a million staged orders: ~1 s of the refusals' 1.2 s). The join below reads no other line.
        f"w AS (SELECT source_line, try_cast({key} AS bigint) AS key, try_cast({version} AS timestamp) AS version "
        f"FROM {name(family['staged'])} WHERE source_line IN (SELECT winner FROM r)), "
        f"h AS (SELECT {key} AS key, max({version}) AS version FROM ({before(family['silver'])}) b GROUP BY {key}) "
        f"SELECT DISTINCT r.source_line, r.reject_reason, wr.reject_reason, {values} FROM r "
        f"LEFT JOIN w ON w.source_line = r.winner AND w.key = r.key "
        f"LEFT JOIN (SELECT source_line, reject_reason FROM {name(family['rejected'])}) wr "
        f"ON wr.source_line = r.winner "
        f"LEFT JOIN h ON h.key = r.key {known}"
        f"WHERE NOT coalesce(CASE WHEN r.winner IS NOT NULL THEN {superseded} {cases} ELSE false END, false) "
        f"ORDER BY 1 LIMIT {SHOWN}"
    )


def false_refusals(query: Query, name: Names, file: str, before: Before) -> list[str]:
    """One problem per line ``file``'s rejected table refuses for a reason that is not true of it (``before``:
    Silver as the run found it)."""
    family = FAMILIES[file]
    problems = []
    for line, reason, winner_reason, *values in query(false_refusals_sql(family, name, before)):
        raw = ", ".join(f"{c} {v!r}" for c, v in zip(family["shown"], values, strict=True))
        verdict = (
            "which is not true of it" if reason in family["reasons"] or _is_duplicate(reason) else "no known reason"
        )
        if _is_duplicate(reason) and winner_reason not in (None, family["outdated"]):
            verdict += f": the line it names is refused itself, as {winner_reason!r}, so the key is lost"
        problems.append(f"{file}:{line}: refused as {reason!r} in {family['rejected']}, {verdict} ({raw})")
    return problems


def _is_duplicate(reason: Any) -> bool:
    return isinstance(reason, str) and reason.startswith("duplicate key, superseded by line ")
