"""Exit check 2's verifier as the plan names it: ``run_demo_queries.sh``, run, its output and its queries judged.

The in-process checks (``data_loop``) run the demo SQL themselves; they say nothing of the script a user runs.
A script that prints the expected row without querying (or queries another table, or exits 0 first) would pass
them. So the script runs as a subprocess against the deployed stack, and it passes only when it exits 0, prints
the expected row under the demo query's heading, and the Athena query id it printed there is, as
GetQueryExecution reads it back, a query that SUCCEEDED, whose statement is the demo SQL of ``pipeline/demo/``,
run in the stack's workgroup with Gold as its database in the account's Glue catalog (another data catalog's
namesake of Gold is not the stack's), submitted while the script ran, and not one the harness ran itself; and
the rows it printed there are, as a multiset, the rows GetQueryResults returns for that id (every page): a
script that runs the real query but prints edited rows next to the expected one fails.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pyathena.cursor import Cursor

from lakehouse.checks.data_loop import DEFAULT_CATALOG
from lakehouse.config import ROOT_ENV
from lakehouse.outcome import Outcome
from lakehouse.pipeline.demo import cell_text, demo_queries
from lakehouse.stacklock import child_env
from lakehouse.target import Target

SCRIPT = "run_demo_queries.sh"
#: The CLI the script runs; without it the script first builds ``.venv`` (``make venv``, minutes).
SCRIPT_CLI = Path(".venv") / "bin" / "lakehouse"
#: Bound on one run of the script (a few queries; the local engine answers in tens of milliseconds).
SCRIPT_TIMEOUT_S = 300.0
#: How far Athena's clock may be behind this machine's when telling a query was submitted during the script.
CLOCK_SKEW_S = 60.0
#: ``-- <name> (query <id>, ...)``: the heading ``lakehouse demo`` prints above each query's rows.
HEADING = re.compile(r"^-- (?P<name>\S+) \(query (?P<id>[^,\s)]+)")
#: GetQueryResults' page size: Athena's largest.
RESULTS_PAGE = 1000


@dataclass
class ScriptRun:
    """One run of the script: what it was given and what it did."""

    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    #: Epoch seconds when the script was started, and how long it ran.
    started: float
    seconds: float
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "argv": self.argv,
            "returncode": self.returncode,
            "stdout": self.stdout[-4000:],
            "stderr": self.stderr[-2000:],
            "seconds": round(self.seconds, 3),
            "timed_out": self.timed_out,
        }


@dataclass
class PrintedQuery:
    """One query's part of the script's output: its heading's id, then its table (or a failure line)."""

    name: str
    query_id: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    failed: str | None = None


class ScriptMissing(RuntimeError):
    """The script or the CLI it runs is not there: no verdict (the check says what to build)."""


def run_script(
    root: Path,
    args: list[str],
    env: dict[str, str],
    pass_fds: tuple[int, ...] = (),
    timeout_s: float = SCRIPT_TIMEOUT_S,
) -> ScriptRun:
    """Run ``root/run_demo_queries.sh args`` with ``env`` added to this process's environment, bounded.

    The CLI must be built already: the script would otherwise run ``make venv`` first, which is not the
    check's to do (and takes minutes).
    """
    script = root / SCRIPT
    if not script.is_file():
        raise ScriptMissing(f"{script} does not exist")
    if not os.access(root / SCRIPT_CLI, os.X_OK):
        raise ScriptMissing(f"{root / SCRIPT_CLI} does not exist (run `make venv`): the script would build it first")
    argv = [str(script), *args]
    started, clock = time.time(), time.monotonic()
    try:
        proc = subprocess.run(
            argv,
            cwd=root,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            pass_fds=pass_fds,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as err:
        out, errs = (
            x.decode(errors="replace") if isinstance(x, bytes) else (x or "") for x in (err.stdout, err.stderr)
        )
        return ScriptRun(argv, None, out, errs, started, time.monotonic() - clock, timed_out=True)
    return ScriptRun(argv, proc.returncode, proc.stdout, proc.stderr, started, time.monotonic() - clock)


def parse_output(stdout: str) -> dict[str, PrintedQuery]:
    """Each query's heading, columns and rows as ``lakehouse demo`` prints them (``format_rows``' table)."""
    found: dict[str, PrintedQuery] = {}
    current: PrintedQuery | None = None
    body: list[str] = []

    def close() -> None:
        if current is None:
            return
        lines = [line for line in body if line.strip()]
        if lines and lines[0].startswith("FAILED:"):
            current.failed = lines[0][len("FAILED:") :].strip()
        elif len(lines) >= 2 and set(lines[1].replace("-+-", "")) <= {"-"}:
            widths = [len(rule) for rule in lines[1].split("-+-")]
            current.columns = table_cells(lines[0], widths)
            current.rows = [table_cells(line, widths) for line in lines[2:]]
        found.setdefault(current.name, current)

    for line in stdout.splitlines():
        if match := HEADING.match(line):
            close()
            current, body = PrintedQuery(match["name"], match["id"]), []
        elif current is not None:
            body.append(line)
    close()
    return found


def table_cells(line: str, widths: list[int]) -> list[str]:
    """One printed table line's cells, cut at the column widths its ``-+-`` rule gives (``format_rows`` pads
    every cell to its width), so a value holding `` | `` stays one cell. A line whose separators are not where
    the rule puts them (an edited table) is split at every `` | `` instead: it then fails as printed."""
    cells: list[str] = []
    start = 0
    for number, width in enumerate(widths):
        cells.append(line[start : start + width])
        start += width
        if number < len(widths) - 1:
            if line[start : start + 3] != " | ":
                return [c.strip() for c in line.split(" | ")]
            start += 3
    if line[start:].strip():
        return [c.strip() for c in line.split(" | ")]
    return [c.strip() for c in cells]


def same_text(printed: str, expected: str) -> bool:
    """A printed cell against the value a feature file states: numbers by value, ``NULL`` as empty, else text."""
    if printed == "NULL":
        return expected.strip().upper() in ("", "NULL")
    try:
        return decimal.Decimal(printed) == decimal.Decimal(expected)
    except decimal.InvalidOperation:
        return printed == expected


def printed_row(query: PrintedQuery, expected: dict[str, str]) -> tuple[dict[str, str] | None, str | None]:
    """The first printed row with every expected value, or why there is none."""
    if query.failed is not None:
        return None, f"the script printed that the query failed: {query.failed}"
    if missing := [c for c in expected if c not in query.columns]:
        return None, f"the script printed no column(s) {', '.join(missing)} (printed: {', '.join(query.columns)})"
    index = {c: i for i, c in enumerate(query.columns)}
    for row in query.rows:
        if len(row) == len(query.columns) and all(same_text(row[index[c]], v) for c, v in expected.items()):
            return dict(zip(query.columns, row, strict=True)), None
    return None, f"none of the {len(query.rows)} row(s) it printed has the expected values"


@dataclass
class ReturnedRows:
    """What GetQueryResults returned for one query, each cell as ``lakehouse demo`` prints it."""

    columns: list[str]
    rows: list[list[str]]


def returned_rows(athena: Any, query_id: str, page_size: int = RESULTS_PAGE) -> ReturnedRows:
    """Every page of GetQueryResults for ``query_id``, each value converted as the CLI's cursor converts it
    (pyathena's default converter, by the column's type) and shown as its table shows it (``cell_text``).

    Athena starts a SELECT's first page with a row of the column labels; like pyathena, that row is dropped
    when it equals the column names.
    """
    converter = Cursor.get_default_converter()
    columns: list[str] = []
    types: list[str] = []
    rows: list[list[str]] = []
    pages = athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=query_id, PaginationConfig={"PageSize": page_size}
    )
    for number, page in enumerate(pages):
        result = page.get("ResultSet") or {}
        values = [[d.get("VarCharValue") for d in r.get("Data", [])] for r in result.get("Rows", [])]
        if number == 0:
            info = (result.get("ResultSetMetadata") or {}).get("ColumnInfo") or []
            columns, types = [str(c.get("Name")) for c in info], [str(c.get("Type")) for c in info]
            if values and values[0] == columns:
                values = values[1:]
        for row in values:
            rows.append([cell_text(converter.convert(t, v)) for t, v in zip(types, row, strict=False)])
    return ReturnedRows(columns, rows)


def _cell_key(text: str) -> Hashable:
    """A cell as compared: ``NULL``, a number by its value (``444.150`` is ``444.15``), else its text."""
    text = text.strip()
    if text == "NULL":
        return None
    try:
        number = decimal.Decimal(text)
        return ("number", number) if number.is_finite() else ("text", text)
    except decimal.InvalidOperation:
        return ("text", text)


def _row_key(row: list[str]) -> tuple[Hashable, ...]:
    return tuple(_cell_key(c) for c in row)


def _shown(row: list[str]) -> str:
    return " | ".join(c.strip() for c in row)


def rows_difference(printed: PrintedQuery, returned: ReturnedRows) -> str | None:
    """Why the printed table is not what Athena returned (``None`` when it is): its columns, else the first
    printed row Athena did not return (as many times), else the first returned row the script left out."""
    if [c.strip() for c in printed.columns] != returned.columns:
        return f"it printed columns {', '.join(printed.columns)}; Athena returned {', '.join(returned.columns)}"
    athena = Counter(_row_key(r) for r in returned.rows)
    left = athena.copy()
    for number, row in enumerate(printed.rows, start=1):
        key = _row_key(row)
        if left[key] > 0:
            left[key] -= 1
            continue
        if athena[key] == 0:
            return f"its row {number} ({_shown(row)}) is not a row Athena returned"
        shown = sum(1 for r in printed.rows if _row_key(r) == key)
        return f"its row {number} ({_shown(row)}) is printed {shown} times; Athena returned it {athena[key]} time(s)"
    unprinted = Counter(_row_key(r) for r in printed.rows)
    for number, row in enumerate(returned.rows, start=1):
        key = _row_key(row)
        if unprinted[key] > 0:
            unprinted[key] -= 1
            continue
        return f"Athena's row {number} ({_shown(row)}) is not among the rows it printed"
    return None


def _epoch(value: Any) -> float | None:
    """GetQueryExecution's ``SubmissionDateTime`` (a datetime from boto3) as epoch seconds."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return None


def query_problems(execution: dict[str, Any], sql: str, work_group: str, gold_db: str, started: float) -> list[str]:
    """Why a GetQueryExecution answer is not the demo query run by the script (empty when it is)."""
    problems = []
    state = (execution.get("Status") or {}).get("State")
    if state != "SUCCEEDED":
        reason = (execution.get("Status") or {}).get("StateChangeReason")
        problems.append(f"its state is {state}, not SUCCEEDED" + (f" ({reason})" if reason else ""))
    if str(execution.get("Query", "")).strip() != sql.strip():
        problems.append(f"its statement is not the demo SQL: {str(execution.get('Query', '')).strip()[:300]!r}")
    if execution.get("WorkGroup") != work_group:
        problems.append(f"it ran in workgroup {execution.get('WorkGroup')!r}, not the stack's {work_group!r}")
    database = (execution.get("QueryExecutionContext") or {}).get("Database")
    if str(database or "").lower() != gold_db.lower():
        problems.append(f"its database is {database!r}, not Gold's {gold_db!r}")
    # The demo SQL names Gold's database, not a catalog: it resolves in the query's catalog. Run in another data
    # catalog (another account's Glue, a federated source) a namesake of Gold answers, not the stack's Gold.
    catalog = (execution.get("QueryExecutionContext") or {}).get("Catalog")
    if catalog and str(catalog).lower() != DEFAULT_CATALOG:
        problems.append(f"it ran in data catalog {catalog!r}, not the account's Glue catalog ({DEFAULT_CATALOG})")
    submitted = _epoch((execution.get("Status") or {}).get("SubmissionDateTime"))
    if submitted is None:
        problems.append("Athena did not say when it was submitted")
    elif submitted < started - CLOCK_SKEW_S:
        when = dt.datetime.fromtimestamp(submitted, dt.UTC).isoformat()
        problems.append(f"it was submitted at {when}, before the script started: an earlier query's id")
    return problems


def check_demo_script(
    run: ScriptRun,
    name: str,
    expected: dict[str, str],
    sql: str,
    athena: Any,
    work_group: str,
    gold_db: str,
    harness_ids: set[str],
) -> Outcome:
    """Pass when the script exited 0, printed the expected row under ``name``'s heading, the query id there is
    the demo SQL as the script ran it (``query_problems``), not one of the harness's own (``harness_ids``), and
    the rows it printed are the rows Athena returned for that id (``rows_difference``).

    ``athena`` is an Athena client of the stack's target (GetQueryExecution, GetQueryResults).
    """
    details: dict[str, Any] = {"script": run.to_dict(), "expected_row": expected, "query": name}
    where = f"{SCRIPT} {' '.join(run.argv[1:])}".strip()
    if run.timed_out:
        return Outcome.error(f"{where} did not finish within {SCRIPT_TIMEOUT_S:g} s", expected, details)
    if run.returncode != 0:
        tail = (run.stderr.strip().splitlines() or run.stdout.strip().splitlines() or ["no output"])[-1]
        return Outcome.judged(False, run.returncode, expected, f"{where} exited {run.returncode}: {tail}", details)
    printed = parse_output(run.stdout).get(name)
    if printed is None:
        reason = (
            f"{where} printed no '-- {name} (query <QueryExecutionId>, ...)' heading: "
            "no Athena query to read back behind what it printed"
        )
        return Outcome.judged(False, None, expected, reason, details)
    details["query_execution_id"] = printed.query_id
    row, why = printed_row(printed, expected)
    if row is None:
        return Outcome.judged(False, printed.rows[:5], expected, f"{where}: {why}", details)
    details["printed_row"] = row
    if printed.query_id in harness_ids:
        reason = f"{where} printed query {printed.query_id}, which the harness ran itself, not the script"
        return Outcome.judged(False, row, expected, reason, details)
    try:
        execution = athena.get_query_execution(QueryExecutionId=printed.query_id)["QueryExecution"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "InvalidRequestException":  # an id Athena never gave out
            reason = f"{where} printed query {printed.query_id}, which Athena does not know: {err}"
            return Outcome.judged(False, row, expected, reason, details)
        return Outcome.error(
            f"cannot read query {printed.query_id} back with GetQueryExecution: {err}", expected, details
        )
    except BotoCoreError as err:  # the endpoint could not be reached: no verdict
        return Outcome.error(
            f"cannot read query {printed.query_id} back with GetQueryExecution: {err}", expected, details
        )
    details["query_execution"] = {
        k: execution.get(k) for k in ("QueryExecutionId", "Query", "WorkGroup", "QueryExecutionContext")
    } | {"State": (execution.get("Status") or {}).get("State")}
    if problems := query_problems(execution, sql, work_group, gold_db, run.started):
        reason = f"{where} printed the row under query {printed.query_id}, but {'; '.join(problems)}"
        return Outcome.judged(False, row, expected, reason, details)
    try:
        returned = returned_rows(athena, printed.query_id)
    except (ClientError, BotoCoreError) as err:
        return Outcome.error(
            f"cannot read query {printed.query_id}'s rows back with GetQueryResults: {err}", expected, details
        )
    details["rows_printed"], details["rows_returned"] = len(printed.rows), len(returned.rows)
    if difference := rows_difference(printed, returned):
        reason = (
            f"{where} printed {len(printed.rows)} row(s) under query {printed.query_id}, not the "
            f"{len(returned.rows)} GetQueryResults returned for it: {difference}"
        )
        return Outcome.judged(False, row, expected, reason, details)
    return Outcome.judged(True, row, expected, None, details)


def query_ids(details: Any) -> set[str]:
    """Every ``query_execution_id`` in an outcome's details: the queries the harness ran itself."""
    if isinstance(details, dict):
        found = {str(details["query_execution_id"])} if details.get("query_execution_id") else set()
        return found.union(*(query_ids(v) for v in details.values()))
    if isinstance(details, list):
        return set().union(*(query_ids(v) for v in details))
    return set()


def script_env(stack_id: str, root: Path, target: Target) -> dict[str, str]:
    """What the script needs to find the stack as the session sees it: its id, the checkout whose
    ``.lakehouse/`` records it, and on aws the profile (the local target's endpoint is in the record)."""
    env = {"LAKEHOUSE_STACK_ID": stack_id, ROOT_ENV: str(root)}
    if not target.is_local and target.profile:
        env["AWS_PROFILE"] = target.profile
    return env


def verify_script(
    root: Path,
    stack_dir: Path,
    stack_id: str,
    target: Target,
    outputs: dict[str, Any],
    name: str,
    expected: dict[str, str],
    harness_ids: set[str],
) -> Outcome:
    """Run the script for demo query ``name`` on the deployed stack and judge it (``check_demo_script``).

    The script attaches to the stack inside this session's hold on it (``child_env``): a deploying session
    holds the stack exclusively.
    """
    sql = demo_queries(outputs).get(name)
    if sql is None:
        return Outcome.error(f"no demo query {name!r} in pipeline/demo/", expected)
    shared, fds = child_env(stack_dir)
    try:
        run = run_script(root, [name], {**script_env(stack_id, root, target), **shared}, fds)
    except ScriptMissing as err:
        return Outcome.error(f"cannot run the verifier: {err}", expected)
    athena = target.client("athena")
    return check_demo_script(
        run,
        name,
        expected,
        sql,
        athena,
        outputs["athena_workgroup_name"],
        outputs["glue_database_names"]["gold"],
        harness_ids,
    )


def with_script(row: Outcome, script: Outcome) -> Outcome:
    """Exit check 2's row verdict and its verifier's in one: the first that did not pass, both in the details."""
    if not row.passed:
        row.details["run_demo_queries"] = script.details | {"status": str(script.status), "reason": script.reason}
        return row
    if not script.passed:
        script.details = {**row.details, "run_demo_queries": script.details}
        return script
    row.details["run_demo_queries"] = script.details
    return row
