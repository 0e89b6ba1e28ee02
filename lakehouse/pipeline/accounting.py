"""The accounting invariant: every data line of every input file ends in exactly one place.

The places are the landing report (file, line, reason), a rejected table (with its reason) and a
Silver table (the row Silver holds has the line's values; identical duplicates of one key share
it). Staging and rejected rows are the pipeline's copies of a line: one counts only with the values
Bronze holds for that line (a staging that shifts ``order_ts``, or a rejected copy made negative,
would otherwise place a line Silver or the refusals never saw as it came). Counts come from the
tables themselves, read back through Athena after the run; the lines that went missing or were
counted twice are asked for by number, only the problem ones, so a healthy run of a million lines
reads a handful of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from lakehouse.pipeline.refusals import false_refusals
from lakehouse.pipeline.silver_rows import Before, unsourced_problems, unsourced_rows_sql

#: How a Silver row (``t``) holds a staged line's values (``s``), per file: (Silver column, comparison, the value
#: the line gives that column). ``FAMILIES``' ``holds`` is their conjunction.
HOLDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "users.csv": (
        ("user_id", "=", "try_cast(s.user_id AS bigint)"),
        ("email", "=", "lower(trim(s.email))"),
        ("full_name", "IS NOT DISTINCT FROM", "trim(s.full_name)"),
        ("ssn", "=", "s.ssn"),
        ("country", "IS NOT DISTINCT FROM", "nullif(upper(trim(s.country)), '')"),
        ("signup_ts", "=", "try_cast(s.signup_ts AS timestamp)"),
        ("updated_at", "=", "try_cast(s.updated_at AS timestamp)"),
    ),
    "orders.csv": (
        ("order_id", "=", "try_cast(s.order_id AS bigint)"),
        ("user_id", "=", "try_cast(s.user_id AS bigint)"),
        ("order_ts", "=", "try_cast(s.order_ts AS timestamp)"),
        ("amount", "=", "try_cast(s.amount AS decimal(10, 2))"),
        ("status", "=", "s.status"),
    ),
}


def _holds(file: str, value: Callable[[str, str], str] = lambda _column, given: given) -> str:
    """``HOLDS[file]`` as one condition on ``t`` and ``s``; ``value(column, given)`` spells each value of ``s``."""
    return " AND ".join(f"t.{column} {op} {value(column, given)}" for column, op, given in HOLDS[file])


#: One input file's path through the pipeline: its Bronze, staging, rejected and Silver tables, the raw
#: columns staging and rejected rows copy from Bronze, and the condition under which a staged line's
#: values are what the Silver row holds.
FAMILIES: dict[str, dict[str, str]] = {
    "users.csv": {
        "bronze": "bronze.users_csv",
        "staged": "silver.users_staged",
        "rejected": "silver.users_rejected",
        "silver": "silver.users",
        "raw": "user_id email full_name ssn country signup_ts updated_at",
        "holds": _holds("users.csv"),
    },
    "orders.csv": {
        "bronze": "bronze.orders_csv",
        "staged": "silver.orders_staged",
        "rejected": "silver.orders_rejected",
        "silver": "silver.orders",
        "raw": "order_id user_id order_ts amount status",
        "holds": _holds("orders.csv"),
    },
}
#: Problem lines named per file at most (the counts say how many there are in all).
SHOWN = 50
#: Marks a placement whose staging or rejected copy of the line is not the line as Bronze holds it.
NOT_AS_LANDED = " (values not as Bronze holds the line)"

Query = Callable[[str], list[tuple[Any, ...]]]
Names = Callable[[str], str]


def _landed_join(family: dict[str, str], name: Names, alias: str) -> str:
    """A LEFT JOIN finding, for each row of ``alias`` (staging or rejected), its Bronze line with the same values."""
    same = " AND ".join(f"{alias}.{c} IS NOT DISTINCT FROM bz.{c}" for c in family["raw"].split())
    bronze = name(family["bronze"])
    return f"LEFT JOIN {bronze} bz ON try_cast(bz.source_line AS bigint) = {alias}.source_line AND {same}"


def _dest(place: str) -> str:
    """A placement's destination: ``place``, marked ``NOT_AS_LANDED`` when its copy is not Bronze's line."""
    return f"CASE WHEN bz.source_line IS NULL THEN '{place}{NOT_AS_LANDED}' ELSE '{place}' END"


def placements_sql(family: dict[str, str], name: Names) -> str:
    """Every (line, destination, reason) the tables hold for one file (landing's lines aside). A staging or
    rejected row whose values are not its line's as Bronze holds it is placed as ``NOT_AS_LANDED``."""
    return (
        f"SELECT s.source_line AS line, {_dest('silver')} AS dest, CAST(NULL AS varchar) AS reason "
        f"FROM {name(family['staged'])} s {_landed_join(family, name, 's')} "
        f"JOIN {name(family['silver'])} t ON {family['holds']} "
        f"WHERE s.reject_reason IS NULL "
        f"UNION ALL SELECT r.source_line, {_dest('rejected')}, r.reject_reason FROM {name(family['rejected'])} r "
        f"{_landed_join(family, name, 'r')}"
    )


#: Lines placed from a copy whose values are not Bronze's, counted per line (a problem whenever not 0).
_ALTERED = f"sum(CASE WHEN dest LIKE '%{NOT_AS_LANDED}' THEN 1 ELSE 0 END)"


def counts_sql(family: dict[str, str], name: Names) -> str:
    """Lines per destination and reason, and the Bronze rows landing's lines became."""
    return (
        f"SELECT dest, reason, count(*) FROM ({placements_sql(family, name)}) GROUP BY dest, reason "
        f"UNION ALL SELECT 'bronze', CAST(NULL AS varchar), count(*) FROM {name(family['bronze'])}"
    )


def problems_sql(family: dict[str, str], name: Names) -> str:
    """Only the lines not placed exactly once, or placed without being a Bronze row (none when healthy)."""
    return (
        f"WITH b AS (SELECT try_cast(source_line AS bigint) AS line, count(*) AS n FROM {name(family['bronze'])} "
        f"GROUP BY 1), p AS (SELECT line, count(*) AS n, array_join(array_sort(array_agg(dest)), ', ') AS dests, "
        f"{_ALTERED} AS altered FROM ({placements_sql(family, name)}) GROUP BY line) "
        f"SELECT coalesce(b.line, p.line), coalesce(b.n, 0), coalesce(p.n, 0), p.dests "
        f"FROM b FULL OUTER JOIN p ON b.line = p.line "
        f"WHERE b.line IS NULL OR p.line IS NULL OR b.n <> 1 OR p.n <> 1 OR p.altered > 0 ORDER BY 1 LIMIT {SHOWN}"
    )


def _took_sql(file: str, name: Names) -> str:
    """The staged lines Silver took (no reason), their raw values, and each value ``HOLDS`` compares with Silver
    as ``typed_<column>``, computed once: the accounting's placements and its search for rows from no line both
    join on them (the casts of a million staged orders, done twice, were half the accounting's time)."""
    family = FAMILIES[file]
    raw = ", ".join(f"s.{c}" for c in family["raw"].split())
    typed = ", ".join(f"{given} AS typed_{column}" for column, _, given in HOLDS[file])
    return f"SELECT s.source_line, {raw}, {typed} FROM {name(family['staged'])} s WHERE s.reject_reason IS NULL"


def _typed_holds(file: str) -> str:
    """``FAMILIES[file]['holds']`` on ``_took_sql``'s rows (``s``): the values it computed instead of the casts."""
    return _holds(file, lambda column, _given: f"s.typed_{column}")


def _landed(family: dict[str, str], alias: str) -> str:
    """``_landed_join`` on ``bz``, Bronze's rows with their line cast once (``account_sql``)."""
    same = " AND ".join(f"{alias}.{c} IS NOT DISTINCT FROM bz.{c}" for c in family["raw"].split())
    return f"LEFT JOIN bz ON bz.line = {alias}.source_line AND {same}"


def _landed_dest(place: str) -> str:
    """``_dest`` on ``bz``: a row joined to no Bronze line has no ``line``."""
    return f"CASE WHEN bz.line IS NULL THEN '{place}{NOT_AS_LANDED}' ELSE '{place}' END"


def account_sql(file: str, name: Names, before: Before) -> str:
    """``counts_sql``, ``problems_sql`` and ``silver_rows.unsourced_rows_sql`` in one statement.

    Rows are ``(kind, dest, reason, lines, line, bronze rows, destinations)``: ``count`` rows per
    destination and reason (``bronze``: the Bronze table's rows), ``problem`` rows as
    ``problems_sql``'s, and ``unsourced`` rows (key in ``line``, version in ``dest``) as
    ``unsourced_rows_sql``'s (``before``: Silver as the run found it, ``silver_rows.as_of``).

    Each costly part is computed once, in a CTE the others read: the placements (the join of staging
    and Silver is most of the accounting's cost), Bronze's line numbers cast (``bz``: read by both
    placements and the Bronze counts) and the staged lines' typed values (``took``: joined with Silver
    for the placements, and against the rows the run wrote for those from no line). The casts are
    Trino's, so in the local engine each is a few regular expressions a value: done once instead of
    three times (Bronze's lines) and twice (staging's values), the accounting of a million orders
    takes about half the time. Same rows as the separate statements (``tests/unit/test_accounting_one_query.py``).

    A problem line's destinations (``dests``) are listed for the problem lines only (``named``: the
    placements of at most ``SHOWN`` lines), not built and sorted for every line of the file first
    (a million lists, of which a healthy run shows none: ~0.4 s of the orders' accounting). A
    placed line is matched by ``IS NOT DISTINCT FROM``, so a NULL line gets its group's
    destinations as ``GROUP BY`` gave them, and a line only in Bronze gets none.
    """
    family = FAMILIES[file]
    raw = ", ".join(family["raw"].split())
    unsourced = unsourced_rows_sql(file, _typed_holds(file), name, before, took="SELECT * FROM took")
    return (
        f"WITH bz AS (SELECT try_cast(source_line AS bigint) AS line, {raw} FROM {name(family['bronze'])}), "
        f"took AS ({_took_sql(file, name)}), "
        f"placed AS (SELECT s.source_line AS line, {_landed_dest('silver')} AS dest, CAST(NULL AS varchar) AS reason "
        f"FROM took s {_landed(family, 's')} JOIN {name(family['silver'])} t ON {_typed_holds(file)} "
        f"UNION ALL SELECT r.source_line, {_landed_dest('rejected')}, r.reject_reason "
        f"FROM {name(family['rejected'])} r {_landed(family, 'r')}), "
        f"b AS (SELECT line, count(*) AS n FROM bz GROUP BY 1), "
        f"p AS (SELECT line, count(*) AS n, {_ALTERED} AS altered FROM placed GROUP BY line), "
        f"problems AS (SELECT coalesce(b.line, p.line) AS line, coalesce(b.n, 0) AS in_bronze, "
        f"coalesce(p.n, 0) AS n, p.line AS placed_line, p.n IS NOT NULL AS is_placed "
        f"FROM b FULL OUTER JOIN p ON b.line = p.line "
        f"WHERE b.line IS NULL OR p.line IS NULL OR b.n <> 1 OR p.n <> 1 OR p.altered > 0 ORDER BY 1 LIMIT {SHOWN}), "
        f"named AS (SELECT x.line, array_join(array_sort(array_agg(x.dest)), ', ') AS dests FROM placed x "
        f"JOIN (SELECT DISTINCT placed_line FROM problems WHERE is_placed) k ON x.line IS NOT DISTINCT FROM "
        f"k.placed_line GROUP BY x.line), "
        f"unsourced (key, version) AS ({unsourced}) "
        f"SELECT 'count' AS kind, dest, reason, count(*) AS n, CAST(NULL AS bigint) AS line, "
        f"CAST(NULL AS bigint) AS in_bronze, CAST(NULL AS varchar) AS dests FROM placed GROUP BY dest, reason "
        f"UNION ALL SELECT 'count', 'bronze', CAST(NULL AS varchar), coalesce(sum(n), 0), NULL, NULL, NULL FROM b "
        f"UNION ALL SELECT 'problem', NULL, NULL, q.n, q.line, q.in_bronze, named.dests FROM problems q "
        f"LEFT JOIN named ON q.is_placed AND named.line IS NOT DISTINCT FROM q.placed_line "
        f"UNION ALL SELECT 'unsourced', version, NULL, NULL, key, NULL, NULL FROM unsourced"
    )


def _by_line(row: tuple[Any, ...]) -> tuple[bool, int]:
    """``ORDER BY 1`` on a bigint (NULLs last), for rows handed back out of ``account_sql``'s union."""
    return row[0] is None, int(row[0] or 0)


def split_account(
    rows: list[tuple[Any, ...]],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``account_sql``'s rows as ``counts_sql``'s, ``problems_sql``'s and ``unsourced_rows_sql``'s (problem
    lines in line order, rows from no line in key order)."""
    counts = [(dest, reason, n) for kind, dest, reason, n, *_ in rows if kind == "count"]
    problems = sorted(
        ((line, in_bronze, n, dests) for kind, _, _, n, line, in_bronze, dests in rows if kind == "problem"),
        key=_by_line,
    )
    unsourced = sorted(((line, dest) for kind, dest, _, _, line, _, _ in rows if kind == "unsourced"), key=_by_line)
    return counts, problems, unsourced


@dataclass
class FileAccount:
    """One file's row of the accounting table: lines in, per destination, out."""

    file: str
    lines_in: int
    landing: int
    rejected: dict[str, int] = field(default_factory=dict)
    silver: int = 0
    silver_table: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def lines_out(self) -> int:
        return self.landing + sum(self.rejected.values()) + self.silver

    @property
    def ok(self) -> bool:
        return not self.problems and self.lines_out == self.lines_in

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "lines_out": self.lines_out, "ok": self.ok}

    def row(self) -> str:
        rejected = sum(self.rejected.values())
        return (
            f"{self.file}: {self.lines_in} in = {self.landing} landing report + {rejected} rejected + "
            f"{self.silver} in {self.silver_table} = {self.lines_out} out" + ("" if self.ok else "  <- does not add up")
        )


def judge(
    file: str,
    lines_in: list[int],
    landing_lines: list[int],
    bronze_rows: int,
    counts: list[tuple[Any, ...]],
    problem_lines: list[tuple[Any, ...]],
    silver_table: str,
) -> FileAccount:
    """The file's account from what the tables hold; every line missing or counted twice is named.

    ``counts``: (destination, reason, lines) rows; ``problem_lines``: (line, bronze rows, placements,
    destinations) for every line not placed exactly once.
    """
    account = FileAccount(file, len(lines_in), len(landing_lines), silver_table=silver_table)
    for dest, reason, n in counts:
        if dest == "silver":
            account.silver += int(n)
        elif dest == "rejected":
            account.rejected[str(reason)] = account.rejected.get(str(reason), 0) + int(n)
    expected_bronze = len(lines_in) - len(landing_lines)
    if bronze_rows != expected_bronze:
        account.problems.append(
            f"{file}: landing put {expected_bronze} line(s) in Bronze but the Bronze table reads {bronze_rows} row(s)"
        )
    known, quarantined = set(lines_in), set(landing_lines)
    for line, in_bronze, placed, dests in problem_lines:
        where = f"{file}:{line}"
        if int(line) in quarantined:
            account.problems.append(f"{where}: quarantined at landing and also in {dests}")
        elif int(line) not in known:
            account.problems.append(f"{where}: is no data line of the file, yet in {dests or 'Bronze'}")
        elif NOT_AS_LANDED in str(dests or ""):
            account.problems.append(f"{where}: in {dests}: the pipeline's copy of the line is not the line it read")
        elif int(placed) == 0:
            account.problems.append(f"{where}: missing (in Bronze {int(in_bronze)} time(s), in no table after it)")
        elif int(placed) > 1 or int(in_bronze) > 1:
            account.problems.append(f"{where}: counted {int(placed)} times ({dests})")
    if account.lines_out != account.lines_in and not account.problems:
        account.problems.append(
            f"{file}: {account.lines_in} line(s) in, {account.lines_out} accounted for (no single line to blame)"
        )
    return account


def account_lines(
    query: Query, name: Names, landed: list[tuple[str, list[int]]], landing: dict[str, list[int]], before: Before
) -> list[FileAccount]:
    """Read back every file's destinations and judge them, every refused line's reason
    (``refusals.false_refusals``) and every row the run wrote to Silver (``silver_rows.unsourced_rows``).
    ``landed``: (file, every data line number); ``before``: Silver as the run found it (``silver_rows.as_of``)."""
    accounts = []
    for file, lines in landed:
        family = FAMILIES[file]
        counts, problems, unsourced = split_account(query(account_sql(file, name, before)))
        bronze = sum(int(n) for dest, _, n in counts if dest == "bronze")
        account = judge(file, lines, landing.get(file, []), bronze, counts, problems, family["silver"])
        account.problems += false_refusals(query, name, file, before)  # a line refused for no true reason is lost
        account.problems += unsourced_problems(file, unsourced)  # a row from no line
        accounts.append(account)
    return accounts
