"""Exit check 2: CSV -> Iceberg -> Athena returns a row (the expected one, not just any).

Judged on what Athena answered: the demo query's rows must contain a row with the values
the scenario states, that row must be in an Iceberg table of Gold the demo reads, searched by the
harness's own query (the demo is the stack's text: literals return any row), and the demo
must stop returning it when the harness takes that row out of Gold (the answer is Gold's, not
the query's own). Data contracts are checked on every table the pipeline builds.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Collection
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify_tables import qualify_tables

from lakehouse.athena import QueryRecord, run, scan
from lakehouse.checks.iac import PipelineTablesError, created_tables
from lakehouse.contracts import Contract, ContractResult, Matcher, PartUnreadable, check_contract, unjudged
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import CONTRACTED, SQL_DIR, PipelineResult, physical, stack_values
from lakehouse.pipeline.sqlfiles import render
from lakehouse.reconcile import RowDiff, diff_sql
from lakehouse.vacuity import matches_reads_itself


def _same(actual: Any, expected: str) -> bool:
    """Compare a converted Athena value with the text a feature file states."""
    if actual is None:
        return expected.strip().upper() in ("", "NULL")
    if isinstance(actual, decimal.Decimal | float | int) and not isinstance(actual, bool):
        try:
            return decimal.Decimal(str(actual)) == decimal.Decimal(expected)
        except decimal.InvalidOperation:
            return False
    if isinstance(actual, dt.datetime):
        return actual.isoformat(sep=" ").startswith(expected)
    if isinstance(actual, dt.date):
        return actual.isoformat() == expected
    return str(actual) == expected


def check_expected_row(record: QueryRecord, rows: list[tuple[Any, ...]], expected: dict[str, str]) -> Outcome:
    """Pass when the query succeeded and one of its rows has every expected column value."""
    details = {"queries": [record.to_dict()], "expected_row": expected}
    if not record.ok:
        return Outcome.judged(False, None, expected, f"the Athena query failed: {record.error}", details)
    missing = [c for c in expected if c not in record.columns]
    if missing:
        return Outcome.judged(
            False, record.columns, expected, f"the query has no column(s) {', '.join(missing)}", details
        )
    if not rows:
        return Outcome.judged(False, 0, expected, "the Athena query on Gold returned no rows", details)
    index = {c: i for i, c in enumerate(record.columns)}
    for row in rows:
        if all(_same(row[index[c]], v) for c, v in expected.items()):
            found = {c: row[index[c]] for c in record.columns}
            details["matched_row"] = found
            return Outcome.judged(True, found, expected, None, details)
    key, value = next(iter(expected.items()))
    near = [dict(zip(record.columns, r, strict=True)) for r in rows if _same(r[index[key]], value)]
    shown = f"; rows with {key}={value}: {near[:3]}" if near else f"; no row has {key}={value}"
    return Outcome.judged(
        False, len(rows), expected, f"no row of {len(rows)} matches the expected values{shown}", details
    )


#: Rows of a Gold table searched for the demo's row; past it the check cannot vouch (daily revenue is day x country).
MAX_GOLD_ROWS = 1_000_000


#: Athena's name for the account's Glue Data Catalog, the one the stack's databases are in (and the default).
DEFAULT_CATALOG = "awsdatacatalog"


def in_session(tree: Any, database: str) -> Any:
    """``tree`` (changed in place) with each table named without a database given ``database``, the session's, as
    Athena resolves it; a CTE's name is no table (sqlglot's ``qualify_tables`` decides, on a copy: it also aliases
    every table, which would change how the query reads, ``x.t.c`` no longer naming ``x.t AS t``'s column)."""
    qualified = qualify_tables(tree.copy(), db=database, dialect="trino")
    tables, twins = list(tree.find_all(exp.Table)), list(qualified.find_all(exp.Table))
    if len(tables) != len(twins):  # not seen: qualify_tables only names and aliases the tables there are
        raise sqlglot.errors.OptimizeError(f"cannot tell which tables the query names in database {database}")
    for table, twin in zip(tables, twins, strict=True):
        if not table.args.get("db") and twin.args.get("db"):
            table.set("db", twin.args["db"].copy())
    return tree


def _named_gold(tree: Any, gold_db: str, database: str | None = None) -> list[exp.Table]:
    """The table references of ``tree`` (each caller's own parse: it is changed in place) that name a database
    called ``gold_db``, in whatever catalog; with ``database`` (the session's), a table named without a database is in
    that one (a CTE's name is no table)."""
    if database:
        tree = in_session(tree, database)
    return [t for t in tree.find_all(exp.Table) if t.db and t.db.lower() == gold_db.lower()]


def gold_tables_read(sql: str, gold_db: str, database: str | None = None) -> list[str]:
    """The tables of ``gold_db`` a query reads (sqlglot, Trino's dialect as Athena engine v3's), sorted.

    Only in the account's Glue catalog (no catalog named, or ``awsdatacatalog``): ``othercat.<gold_db>.t``
    is a table of another data catalog (another account's Glue, a federated source) that shares the name.
    ``database``: the session's database the query runs in, where a table named without one is (none: such a
    table is nobody's).
    """
    tree = sqlglot.parse_one(sql, read="trino")
    return sorted(
        {
            f"{t.db}.{t.name}".lower()
            for t in _named_gold(tree, gold_db, database)
            if not t.catalog or t.catalog.lower() == DEFAULT_CATALOG
        }
    )


def gold_read_elsewhere(sql: str, gold_db: str, database: str | None = None) -> list[str]:
    """The demo's reads of a ``gold_db`` table that are not the table the pipeline left: through another data
    catalog (a namesake the harness's own search would not see) or as of a past version (time travel).
    ``database`` as in ``gold_tables_read``."""
    found = []
    for t in _named_gold(sqlglot.parse_one(sql, read="trino"), gold_db, database):
        if t.catalog and t.catalog.lower() != DEFAULT_CATALOG:
            found.append(f"{t.sql(dialect='trino')} (catalog {t.catalog}, not {DEFAULT_CATALOG})")
        elif t.args.get("version") is not None:
            found.append(f"{t.sql(dialect='trino')} (time travel, not the table as the pipeline left it)")
    return found


def _find_row(conn: Any, table: str, expected: dict[str, str]) -> tuple[QueryRecord, dict[str, Any] | None]:
    """The harness's own ``SELECT`` of the expected columns of ``table``, streamed; the first row matching."""
    matched: list[dict[str, Any]] = []

    def visit(row: Any) -> None:
        if not matched and all(_same(v, want) for v, want in zip(row, expected.values(), strict=True)):
            matched.append(dict(zip(expected, row, strict=True)))

    cols = ", ".join(f'"{c}"' for c in expected)
    record = scan(conn, f"SELECT {cols} FROM {table}", visit, label=f"demo row in {table}", max_rows=MAX_GOLD_ROWS)
    return record, (matched[0] if matched else None)


def table_format(glue: Any, table: str) -> str:
    """``ICEBERG``, or what else the Glue catalog says ``db.table`` is (``VIRTUAL_VIEW``, ``EXTERNAL_TABLE``
    with its ``table_type`` or ``classification``), read with GetTable."""
    db, name = table.split(".", 1)
    found = glue.get_table(DatabaseName=db, Name=name)["Table"]
    params = found.get("Parameters") or {}
    if str(params.get("table_type", "")).upper() == "ICEBERG":
        return "ICEBERG"
    kind = params.get("table_type") or params.get("classification") or "no table_type"
    return f"{found.get('TableType', 'no TableType')} ({kind})"


def check_row_from_gold(
    conn: Any,
    sql: str,
    gold_db: str,
    expected: dict[str, str],
    glue: Any,
    pipeline_gold: Collection[str],
    database: str | None = None,
) -> Outcome:
    """The demo's row is in an Iceberg table of Gold the pipeline builds and the demo reads, searched by the
    harness's own query of it.

    The demo query is the stack's own text: ``SELECT DATE '2026-03-01', 'US', 1, 444.15`` (or such a row
    UNION-ed onto Gold's) returns the expected row whatever Gold holds. Columns are those the scenario names.
    Every Gold table the demo reads is searched: ``details["holding"]`` maps each Iceberg table that holds the
    row to it (``check_row_answered_from_gold`` takes it out of all of them). A view or a plain CSV table in
    Gold's database holding the row is not the loop the plan states (CSV -> Iceberg -> Athena): ``glue``
    (a Glue client) tells the tables' formats (``table_format``). Nor is an Iceberg table of Gold's database the
    pipeline does not build (``pipeline_gold``, ``built_gold``: ``db.table``): a table made and filled by hand
    (``gold.daily_revenue_frozen``) answers the demo whatever the pipeline made of the CSVs, and no contract or
    file check looks at it (they judge the tables the pipeline builds). ``database``: the session's database the
    demo ran in (``demo_connection``'s, Gold), where a table it names without a database is.
    """
    details: dict[str, Any] = {"expected_row": expected, "gold_database": gold_db, "session_database": database}
    try:
        tables = gold_tables_read(sql, gold_db, database)
    except sqlglot.errors.ParseError as err:
        return Outcome.error(f"cannot tell which Gold tables the demo query reads: {err}", expected, details)
    details["gold_tables_read"] = tables
    if elsewhere := gold_read_elsewhere(sql, gold_db, database):
        details["gold_read_elsewhere"] = elsewhere
        reason = f"the demo query reads Gold's name, not the Gold the pipeline left: {'; '.join(elsewhere)}"
        return Outcome.judged(False, None, expected, reason, details)
    if not tables:
        reason = f"the demo query reads no table of Gold ({gold_db}): its rows are its own word"
        return Outcome.judged(False, [], expected, reason, details)
    searched: list[dict[str, Any]] = []
    holding: dict[str, dict[str, Any]] = {}
    details["queries"] = searched
    for table in tables:
        record, found = _find_row(conn, table, expected)
        searched.append(record.to_dict())
        if found is not None:
            holding[table] = found
        elif record.ok and (record.row_count or 0) > MAX_GOLD_ROWS:
            reason = f"{table} has more than {MAX_GOLD_ROWS:,} rows: cannot vouch the row is in it"
            return Outcome.judged(False, None, expected, reason, details)
    if holding:
        try:
            formats = {table: table_format(glue, table) for table in holding}
        except Exception as err:  # botocore's ClientError or an endpoint error: no verdict
            return Outcome.error(f"cannot read the Glue table(s) holding the row: {err}", expected, details)
        details["formats"] = formats
        if not (holding := {t: row for t, row in holding.items() if formats[t] == "ICEBERG"}):
            named = ", ".join(f"{t} ({f})" for t, f in formats.items())
            reason = f"the expected row is only in Gold table(s) that are not Iceberg: {named}"
            return Outcome.judged(False, None, expected, reason, details)
        built = {t.lower() for t in pipeline_gold}
        details["pipeline_gold"] = sorted(built)
        if not (holding := {t: row for t, row in holding.items() if t in built}):
            named = ", ".join(sorted(t for t, f in formats.items() if f == "ICEBERG"))
            reason = (
                f"the expected row is only in Gold table(s) the pipeline does not build: {named} (it builds "
                f"{', '.join(sorted(built)) or 'none'}): the row is not the pipeline's"
            )
            return Outcome.judged(False, None, expected, reason, details)
        details["found_in"] = next(iter(holding))
        details["holding"] = holding
        return Outcome.judged(True, next(iter(holding.values())), expected, None, details)
    if all(q.get("error") for q in searched):
        errors = "; ".join(f"{t}: {q.get('error')}" for t, q in zip(tables, searched, strict=True))
        return Outcome.error(f"the Gold tables the demo query reads could not be searched: {errors}", expected, details)
    return Outcome.judged(
        False,
        None,
        expected,
        f"the demo query returned the expected row, but no Gold table it reads holds it ({', '.join(tables)} "
        "searched by the harness's own SELECT): the row is the query's, not Gold's",
        details,
    )


def without_row(sql: str, holding: dict[str, dict[str, Any]], database: str | None = None) -> str:
    """The demo query with its row taken out of Gold: each table of ``holding`` read through a subquery that
    drops the rows equal to the one found there (values as Gold holds them, typed; NULL matched by IS NULL).

    Tables keep their alias (or their own name), so the demo's column references still resolve. ``database``:
    the session's, where a table named without a database is (a CTE's name is no table).
    """

    def unequal(found: dict[str, Any]) -> exp.Expression:
        tests = [
            exp.column(c, quoted=True).is_(exp.null()) if v is None else exp.column(c, quoted=True).eq(exp.convert(v))
            for c, v in found.items()
        ]
        return exp.not_(exp.func("coalesce", exp.and_(*tests), exp.false()))

    def swap(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Table) or not node.db:
            return node
        found = holding.get(f"{node.db}.{node.name}".lower())
        if found is None:
            return node
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
        source = exp.Table(**{k: node.args[k].copy() for k in ("this", "db", "catalog") if node.args.get(k)})
        inner = exp.select("*").from_(source).where(unequal(found))
        return exp.Subquery(this=inner, alias=alias.copy())

    tree = sqlglot.parse_one(sql, read="trino")
    if database:
        tree = in_session(tree, database)
    return tree.transform(swap).sql(dialect="trino")


def check_row_answered_from_gold(
    conn: Any, sql: str, holding: dict[str, dict[str, Any]], expected: dict[str, str], database: str | None = None
) -> Outcome:
    """The demo's row comes from Gold's: with that row taken out of the Gold tables holding it (``without_row``),
    the same demo query no longer returns it.

    Finding the row in Gold is not enough: ``... FROM gold.daily_revenue WHERE false UNION ALL SELECT DATE
    '2026-03-01', 'US', 1, 444.15`` or ``SELECT DATE '2026-03-01', ... FROM gold.daily_revenue LIMIT 1`` name
    Gold, return the row, and Gold holds it, yet the demo would answer the same whatever Gold held.
    """
    details: dict[str, Any] = {"taken_out_of": sorted(holding)}
    try:
        probe = without_row(sql, holding, database)
    except sqlglot.errors.SqlglotError as err:
        return Outcome.error(f"cannot take the row out of the demo query's Gold tables: {err}", expected, details)
    record, rows = run(conn, probe, label="demo query, its row taken out of Gold")
    details["queries"] = [record.to_dict()]
    if not record.ok:
        return Outcome.error(
            f"the demo query with its row taken out of Gold ({', '.join(sorted(holding))}) failed: {record.error}",
            expected,
            details,
        )
    still = check_expected_row(record, rows, expected)
    if still.passed:
        details["still_returned"] = still.details.get("matched_row")
        reason = (
            f"the demo query still returns the expected row when the harness takes it out of "
            f"{', '.join(sorted(holding))}: the row is the query's own, not read from Gold"
        )
        return Outcome.judged(False, still.measured, expected, reason, details)
    return Outcome.judged(True, record.row_count, expected, None, details)


def check_demo_row(
    conn: Any,
    record: QueryRecord,
    rows: list[tuple[Any, ...]],
    gold_db: str,
    expected: dict[str, str],
    glue: Any,
    pipeline_gold: Collection[str],
) -> Outcome:
    """Exit check 2's row: the demo query returns it (``check_expected_row``), it is in a Gold table the pipeline
    builds (``check_row_from_gold``; ``pipeline_gold``: ``built_gold``), and the demo answers it from there
    (``check_row_answered_from_gold``). ``conn`` is the demo's own connection (``demo_connection``: Gold the
    session's database), so a table the demo names without a database is Gold's."""
    returned = check_expected_row(record, rows, expected)
    if not returned.passed:
        return returned
    from_gold = check_row_from_gold(conn, record.sql, gold_db, expected, glue, pipeline_gold, gold_db)
    returned.details["row_from_gold"] = {k: v for k, v in from_gold.details.items() if k != "expected_row"}
    if not from_gold.passed:
        from_gold.details = {**returned.details, "row_from_gold": from_gold.details}
        return from_gold
    answered = check_row_answered_from_gold(conn, record.sql, from_gold.details["holding"], expected, gold_db)
    returned.details["answered_from_gold"] = answered.details
    if answered.passed:
        return returned
    answered.details = {**returned.details, "answered_from_gold": answered.details}
    return answered


class TableUnreadable(PartUnreadable):
    """A table the contracts need could not be read: what needs it is ``error``, naming it."""


def read_frame(conn: Any, table: str) -> tuple[Any, QueryRecord]:
    """All rows of a table as a pandas frame (decimals as floats, so expectations can compare)."""
    import pandas as pd

    record, rows = run(conn, f"SELECT * FROM {table}", keep_rows=0)
    if not record.ok:
        raise TableUnreadable(f"reading {table} failed: {record.error}")
    frame = pd.DataFrame.from_records(rows, columns=record.columns)
    for column in frame.columns:
        present = frame[column].dropna()
        if len(present) and isinstance(present.iloc[0], decimal.Decimal):
            frame[column] = frame[column].astype(float)
    return frame, record


def athena_matcher(conn: Any, outputs: dict[str, Any]) -> Matcher:
    """Compares a table with its contract's ``matches`` query in Athena; a failed query is ``TableUnreadable``."""
    values = stack_values(outputs)
    layers = {str(db).lower(): layer for layer, db in outputs["glue_database_names"].items()}

    def match(contract: Contract, columns: list[str]) -> RowDiff:
        assert contract.matches is not None
        query = render(contract.path, contract.matches, values)
        if matches_reads_itself(contract.table, query, layers):  # the loader sees placeholders, not names
            return RowDiff(columns, vacuous=f"reads {contract.table} itself: compared with itself, it always agrees")
        sql = diff_sql(physical(contract.table, outputs), columns, query)
        record, rows = run(conn, sql, label=f"{contract.table} matches", keep_rows=0)
        if not record.ok:
            raise TableUnreadable(
                f"comparing {contract.table} with its `matches` query ({contract.matches_where}) failed: {record.error}"
            )
        return RowDiff.from_rows(columns, rows, record.query_execution_id)

    return match


def _no_matcher(contract: Contract, columns: list[str]) -> RowDiff:
    raise TableUnreadable(f"no Athena connection to compare {contract.table} with its `matches` query")


#: Region the pipeline's SQL is parsed for: it only names lineage datasets, never a table.
_PARSE_REGION = "us-east-1"


def built_tables(outputs: dict[str, Any], sql_dir: Path = SQL_DIR) -> list[str]:
    """Every table the pipeline builds, ``layer.table``: the contracted ones, then any other its SQL creates.

    Read from the SQL (as exit check 5 reads it), not from the list of contracted tables: a table
    the pipeline's SQL creates without a contract is a table "every table" would otherwise skip.
    """
    layers = {str(db).lower(): layer for layer, db in outputs["glue_database_names"].items()}
    contracted = [f"{layer}.{t}" for layer, tables in CONTRACTED.items() for t in tables]
    created = set()
    for qualified in created_tables(stack_values(outputs), _PARSE_REGION, sql_dir):
        db, table = qualified.split(".", 1)
        created.add(f"{layers.get(db, db)}.{table}")
    return contracted + sorted(created - set(contracted))


def built_gold(outputs: dict[str, Any], sql_dir: Path = SQL_DIR) -> list[str]:
    """The Gold tables the pipeline builds (``built_tables``), as the stack names them: ``<gold db>.<table>``."""
    return [physical(t, outputs) for t in built_tables(outputs, sql_dir) if t.startswith("gold.")]


def check_contracts(conn: Any, outputs: dict[str, Any], contracts: list[Contract], sql_dir: Path = SQL_DIR) -> Outcome:
    """Every pipeline table has a contract and meets it; failures name ``table.column``, expectation, rows.

    Staging and refused tables have contracts too: key uniqueness and one row per input line are
    the accounting's, said as data contracts. The tables are those of ``built_tables`` (``sql_dir``'s).
    """
    try:
        built = built_tables(outputs, sql_dir)
    except PipelineTablesError as err:
        return Outcome.error(f"the tables the pipeline builds cannot be told: {err}", 100.0)
    by_table = {c.table: c for c in contracts}
    covered = [t for t in built if t in by_table]
    uncovered = [t for t in built if t not in by_table]
    coverage = round(100.0 * (len(built) - len(uncovered)) / len(built), 1)
    # Every covered table is read before any contract runs: row-count relations use the sizes. A table that
    # cannot be read is named and the others are judged on (``judge_contracts``).
    frames: dict[str, Any] = {}
    unreadable: dict[str, str] = {}
    for table in covered:
        try:
            frames[table] = read_frame(conn, physical(table, outputs))[0]
        except TableUnreadable as err:
            unreadable[table] = str(err)
    contracts_of = [by_table[t] for t in covered]
    return judge_contracts(built, contracts_of, frames, coverage, uncovered, conn, outputs, unreadable=unreadable)


def judge_contracts(
    built: list[str],
    contracts: list[Contract],
    frames: dict[str, Any],
    coverage: float,
    uncovered: list[str],
    conn: Any = None,
    outputs: dict[str, Any] | None = None,
    matcher: Matcher | None = None,
    unreadable: dict[str, str] | None = None,
) -> Outcome:
    """Run each contract on its table's frame; every violation is named in the reason.

    Tables a row-count relation names but ``frames`` lacks are read through ``conn``, and ``matches``
    queries run there too (unless ``matcher`` is given). ``unreadable``: tables whose rows could not be read
    (table -> why): every part of their contract is ``error``. A part that cannot be judged (a table it needs
    cannot be read) stops neither its contract's other parts nor the other contracts: a violation or a table
    without a contract fails the check, what could not be read named beside; only when nothing failed and
    something could not be read is it ``error``.
    """
    if matcher is None:
        matcher = athena_matcher(conn, outputs) if conn is not None and outputs is not None else _no_matcher
    counts = {table: len(frame) for table, frame in frames.items()}

    def count(name: str) -> int:
        if name not in counts:
            if conn is None or outputs is None:
                raise TableUnreadable(f"no rows of {name} to count")
            counts[name] = len(read_frame(conn, physical(name, outputs))[0])
        return counts[name]

    unread = dict(unreadable or {})
    results: list[ContractResult] = []
    for contract in contracts:
        if contract.table in unread:  # without its rows no part can be judged: each is listed as error
            results.append(unjudged(contract, unread[contract.table]))
            continue
        result = check_contract(contract, frames[contract.table], count, matcher)
        results.append(result)
        if result.errors():  # the parts that could be read are judged (a violation among them fails the check)
            unread[contract.table] = "; ".join(result.errors())
    failures = [line for r in results for line in r.failures()]
    details = {
        "contracts": [r.to_dict() for r in results],
        "tables": built,
        "tables_without_contract": uncovered,
        "coverage_pct": coverage,
        "unreadable": unread,
    }
    problems = ([f"no data contract for {', '.join(uncovered)}"] if uncovered else []) + (
        [f"data contract violated: {'; '.join(failures)}"] if failures else []
    )
    if problems and unread:
        problems.append(f"and could not be judged: {'; '.join(f'{t}: {why}' for t, why in unread.items())}")
    elif unread:
        return Outcome.error("; ".join(unread.values()), 100.0, details, coverage)
    return Outcome.judged(not problems, coverage, 100.0, "; ".join(problems) or None, details)


def check_accounting(result: PipelineResult) -> Outcome:
    """Every data line of every input file in exactly one place; the table of lines is the evidence.

    Judged on what the pipeline read back from the tables after its run (``PipelineResult.accounting``):
    lines in = landing report + rejected + Silver, per file, and no line missing or counted twice.
    """
    table = [a.to_dict() for a in result.accounting]
    lines_in = sum(a.lines_in for a in result.accounting)
    lines_out = sum(a.lines_out for a in result.accounting)
    details = {"accounting": table, "accounting_table": [a.row() for a in result.accounting]}
    if not result.accounting:
        reason = f"the pipeline did not get to its accounting: {result.error}" if result.error else "no accounting"
        return Outcome.error(reason, None, details)
    problems = [p for a in result.accounting for p in a.problems]
    problems += [
        f"{a.file}: {a.lines_in} line(s) in, {a.lines_out} out"
        for a in result.accounting
        if not a.problems and not a.ok
    ]
    return Outcome.judged(
        not problems,
        lines_out,
        lines_in,
        f"input lines do not add up: {'; '.join(problems)}" if problems else None,
        details,
    )
