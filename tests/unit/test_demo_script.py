"""Exit check 2's verifier, ``run_demo_queries.sh``, is run and judged: an edited script that prints the row
without running the demo query on the stack fails, naming why.

Before, the check ran the demo SQL itself and never the script: every edited script below passed. Each test
runs a script as a subprocess (``run_script``) and reads the query id it printed back from Athena (moto's, in
process: the script's own queries are started here, as the script would have).
"""

from __future__ import annotations

import datetime as dt
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.demo_script import (
    SCRIPT,
    SCRIPT_CLI,
    check_demo_script,
    parse_output,
    query_ids,
    query_problems,
    returned_rows,
    rows_difference,
    run_script,
    with_script,
)
from lakehouse.config import ROOT_ENV, project_root
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries, format_rows
from lakehouse.stack import RECORD_FILE, StackRecord
from lakehouse.stacklock import StackLock, child_env

EXPECTED = {"order_date": "2026-03-01", "country": "US", "orders": "1", "revenue": "444.15"}
GOLD_DB = "lakehouse_lh_x_gold"
WORK_GROUP = "wg"
OUTPUTS = {
    "athena_workgroup_name": WORK_GROUP,
    "glue_database_names": {layer: f"lakehouse_lh_x_{layer}" for layer in ("bronze", "silver", "gold")},
    "bucket_names": {layer: f"lakehouse-lh-x-{layer}" for layer in ("bronze", "silver", "gold")},
}
DEMO_SQL = demo_queries(OUTPUTS)["daily_revenue"]
#: What ``lakehouse demo daily_revenue`` prints (``format_rows``), the query id left to the script's caller.
TABLE = (
    "order_date | country | orders | revenue\n"
    "-----------+---------+--------+--------\n"
    "2026-02-28 | DE      | 2      | 80.00  \n"
    "2026-03-01 | US      | 1      | 444.15 \n"
)
PRINTS = f"cat <<OUT\n-- daily_revenue (query $QUERY_ID, 0 bytes scanned, 3 ms)\n{TABLE}\nOUT\n"
#: The demo query's result columns as Athena types them (GetQueryResults' ColumnInfo).
COLUMNS = [("order_date", "date"), ("country", "varchar"), ("orders", "bigint"), ("revenue", "decimal")]
#: What GetQueryResults returns for the query whose rows TABLE shows (Athena's raw text).
RETURNED = [["2026-02-28", "DE", "2", "80.00"], ["2026-03-01", "US", "1", "444.15"]]
#: How long a test waits for the script to exit: a deadline against a hang, not a measure of speed. ``run_script``
#: returns as soon as the script exits, so a loaded machine (the real CLI's start-up alone takes seconds) only makes
#: the test slower, never red.
EXIT_DEADLINE_S = 600.0


@pytest.fixture
def athena(moto_aws: None) -> Iterator[Any]:
    import boto3

    client = boto3.client("athena", region_name="us-east-1")
    for group in (WORK_GROUP, "other"):
        client.create_work_group(Name=group, Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}})
    yield client


def answers(
    query_id: str,
    rows: list[list[str | None]],
    columns: list[tuple[str, str]] = COLUMNS,
    labels: bool = True,
) -> None:
    """Make moto's GetQueryResults for ``query_id`` return ``rows`` (``None``: NULL), after a row of the column
    labels as Athena starts a SELECT's result (``labels``); moto runs no SQL of its own."""
    from moto.athena.models import QueryResults, athena_backends
    from moto.core.models import DEFAULT_ACCOUNT_ID

    header = [[name for name, _ in columns]] if labels else []
    athena_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].query_results[query_id] = QueryResults(
        rows=[{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in header + rows],
        column_info=[{"Name": name, "Type": kind} for name, kind in columns],
    )


def started(
    athena: Any,
    sql: str = DEMO_SQL,
    work_group: str = WORK_GROUP,
    database: str = GOLD_DB,
    rows: list[list[str | None]] | None = None,
) -> str:
    """A query as the script would have started it (the demo connection: the workgroup, Gold as database),
    returning ``rows`` (default ``RETURNED``, the rows ``TABLE`` prints)."""
    found = athena.start_query_execution(
        QueryString=sql, WorkGroup=work_group, QueryExecutionContext={"Database": database}
    )
    query_id = str(found["QueryExecutionId"])
    answers(query_id, RETURNED if rows is None else rows)
    return query_id


def checkout(tmp_path: Path, script: str | None = None) -> Path:
    """A checkout with ``run_demo_queries.sh`` (the real one, or ``script`` as edited) and a built CLI that
    prints what ``lakehouse demo`` prints."""
    (tmp_path / SCRIPT_CLI).parent.mkdir(parents=True)
    cli = tmp_path / SCRIPT_CLI
    cli.write_text(f"#!/usr/bin/env bash\n{PRINTS}", encoding="utf-8")
    cli.chmod(cli.stat().st_mode | stat.S_IXUSR)
    path = tmp_path / SCRIPT
    if script is None:
        shutil.copy(project_root() / SCRIPT, path)
    else:
        path.write_text(f"#!/usr/bin/env bash\n{script}", encoding="utf-8")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def judged(athena: Any, root: Path, query_id: str, harness: set[str] | None = None) -> Outcome:
    run = run_script(root, ["daily_revenue"], {"QUERY_ID": query_id}, timeout_s=EXIT_DEADLINE_S)
    return check_demo_script(run, "daily_revenue", EXPECTED, DEMO_SQL, athena, WORK_GROUP, GOLD_DB, harness or set())


def test_the_script_running_the_demo_query_passes(athena: Any, tmp_path: Path) -> None:
    """Healthy twin: the real script's output, its query id the demo SQL, SUCCEEDED, in the stack's workgroup."""
    query_id = started(athena)
    outcome = judged(athena, checkout(tmp_path), query_id)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == EXPECTED
    assert outcome.details["query_execution"]["Query"] == DEMO_SQL.strip()
    assert outcome.details["query_execution_id"] == query_id
    assert outcome.details["rows_printed"] == outcome.details["rows_returned"] == 2


US_LINE = "2026-03-01 | US      | 1      | 444.15 \n"
DE_LINE = "2026-02-28 | DE      | 2      | 80.00  \n"


@pytest.mark.parametrize(
    ("script", "returned", "said"),
    [
        (
            PRINTS.replace("80.00 ", "90.00 "),
            RETURNED,
            "its row 1 (2026-02-28 | DE | 2 | 90.00) is not a row Athena returned",
        ),
        (
            PRINTS.replace(US_LINE, US_LINE + "2026-03-02 | FR      | 3      | 10.00  \n"),
            RETURNED,
            "printed 3 row(s) under query {id}, not the 2 GetQueryResults returned for it: "
            "its row 3 (2026-03-02 | FR | 3 | 10.00) is not a row Athena returned",
        ),
        (
            PRINTS.replace(DE_LINE, ""),
            RETURNED,
            "Athena's row 1 (2026-02-28 | DE | 2 | 80.00) is not among the rows it printed",
        ),
        (
            PRINTS.replace(US_LINE, US_LINE + US_LINE),
            RETURNED,
            "its row 3 (2026-03-01 | US | 1 | 444.15) is printed 2 times; Athena returned it 1 time(s)",
        ),
        (
            PRINTS,
            [*RETURNED, ["2026-03-02", "FR", "3", "10.00"]],
            "Athena's row 3 (2026-03-02 | FR | 3 | 10.00) is not among the rows it printed",
        ),
    ],
    ids=["edited-other-row", "extra-row", "dropped-row", "repeated-row", "rows-left-out"],
)
def test_rows_printed_that_are_not_what_athena_returned_for_the_query_fail(
    athena: Any, tmp_path: Path, script: str, returned: list[list[str | None]], said: str
) -> None:
    """The script ran the real demo query (its id reads back as the demo SQL, SUCCEEDED) and printed the expected
    row, but not the rows GetQueryResults returns for that id. Before, each passed."""
    query_id = started(athena, rows=returned)
    outcome = judged(athena, checkout(tmp_path, script), query_id)
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.measured == EXPECTED  # the expected row was printed: only the comparison catches it
    assert said.format(id=query_id) in (outcome.reason or ""), outcome.reason
    assert (outcome.reason or "").startswith(f"{SCRIPT} daily_revenue printed ")


def test_rows_are_compared_as_a_multiset_of_values_as_the_cli_prints_them(athena: Any, tmp_path: Path) -> None:
    """Healthy twins: rows in another order, a number printed with another scale, and no label row on
    GetQueryResults' first page are the same rows; NULL and Athena's timestamp text as the CLI prints them."""
    reordered = PRINTS.replace(DE_LINE, "").replace(US_LINE, US_LINE + DE_LINE.replace("80.00 ", "80.000"))
    query_id = started(athena)
    answers(query_id, RETURNED, labels=False)
    outcome = judged(athena, checkout(tmp_path, reordered), query_id)
    assert outcome.status is Status.PASSED, outcome.reason
    typed = [("at", "timestamp"), ("flag", "boolean"), ("note", "varchar")]
    answers("q-typed", [["2026-03-01 14:47:00.000", "true", None]], typed)
    returned = returned_rows(athena, "q-typed")
    assert returned.columns == ["at", "flag", "note"] and returned.rows == [["2026-03-01 14:47:00", "True", "NULL"]]
    printed = parse_output(
        "-- q (query q-typed, 0 bytes scanned, 1 ms)\n" + format_rows(["at", "flag", "note"], [(*returned.rows[0],)])
    )["q"]
    assert rows_difference(printed, returned) is None
    printed.rows[0][1] = "False"
    assert rows_difference(printed, returned) == (
        "its row 1 (2026-03-01 14:47:00 | False | NULL) is not a row Athena returned"
    )


def test_a_value_holding_the_column_separator_is_one_cell(athena: Any) -> None:
    """A varchar holding `` | `` is cut at the widths of the table's rule, not at every separator: the same row
    is the same row (it was 'not a row Athena returned'), and the same table with that value edited still fails."""
    columns = [("country", "varchar"), ("note", "varchar"), ("n", "bigint")]
    answers("q-bar", [["DE", "a | b", "2"], ["US", "plain", "1"]], columns)
    returned = returned_rows(athena, "q-bar")
    table = format_rows(["country", "note", "n"], [("DE", "a | b", "2"), ("US", "plain", "1")])
    printed = parse_output("-- q (query q-bar, 0 bytes scanned, 1 ms)\n" + table)["q"]
    assert printed.rows == [["DE", "a | b", "2"], ["US", "plain", "1"]]
    assert rows_difference(printed, returned) is None
    edited = parse_output("-- q (query q-bar, 0 bytes scanned, 1 ms)\n" + table.replace("a | b", "a | c"))["q"]
    assert rows_difference(edited, returned) == "its row 1 (DE | a | c | 2) is not a row Athena returned"
    de_line = table.splitlines()[2]
    unpadded = parse_output("-- q (query q-bar, 0 bytes scanned, 1 ms)\n" + table.replace(de_line, "DE | a | b | 2"))
    assert unpadded["q"].rows[0] == ["DE", "a", "b", "2"]
    assert rows_difference(unpadded["q"], returned) == "its row 1 (DE | a | b | 2) is not a row Athena returned"


@pytest.mark.parametrize(
    ("script", "reason"),
    [
        ("exit 0\n", "printed no '-- daily_revenue (query <QueryExecutionId>, ...)' heading"),
        (f"cat <<OUT\n{TABLE}OUT\n", "printed no '-- daily_revenue (query <QueryExecutionId>, ...)' heading"),
        ("echo 'nothing to see' >&2; exit 3\n", "daily_revenue exited 3: nothing to see"),
        (PRINTS.replace("444.15", "444.16"), "none of the 2 row(s) it printed has the expected values"),
        (PRINTS.replace("revenue\n", "amount\n"), "printed no column(s) revenue"),
    ],
    ids=["exit-0-first", "hard-coded-row-no-query", "exits-non-zero", "other-row", "other-columns"],
)
def test_a_script_that_does_not_print_the_row_of_a_query_fails(
    athena: Any, tmp_path: Path, script: str, reason: str
) -> None:
    outcome = judged(athena, checkout(tmp_path, script), started(athena))
    assert outcome.status is Status.FAILED
    assert reason in (outcome.reason or ""), outcome.reason
    assert outcome.details["script"]["argv"][-1] == "daily_revenue"


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (
            {"sql": "SELECT DATE '2026-03-01' AS order_date, 'US' AS country, 1 AS orders, 444.15 AS revenue"},
            "its statement is not the demo SQL: \"SELECT DATE '2026-03-01'",
        ),
        ({"work_group": "other"}, "it ran in workgroup 'other', not the stack's 'wg'"),
        ({"database": "lakehouse_lh_y_gold"}, "its database is 'lakehouse_lh_y_gold', not Gold's"),
    ],
    ids=["hard-coded-row-query", "other-workgroup", "other-database"],
)
def test_a_row_printed_under_another_query_fails(
    athena: Any, tmp_path: Path, query: dict[str, str], reason: str
) -> None:
    """The script printed the row, and a query id Athena knows, but not one of the demo query on this stack."""
    query_id = started(athena, **query)
    outcome = judged(athena, checkout(tmp_path), query_id)
    assert outcome.status is Status.FAILED
    assert f"printed the row under query {query_id}, but " in (outcome.reason or "")
    assert reason in (outcome.reason or ""), outcome.reason


def test_the_harness_s_own_query_id_is_not_the_script_s(athena: Any, tmp_path: Path) -> None:
    query_id = started(athena)
    outcome = judged(athena, checkout(tmp_path), query_id, harness={query_id})
    assert outcome.status is Status.FAILED
    assert (
        outcome.reason
        == f"{SCRIPT} daily_revenue printed query {query_id}, which the harness ran itself, not the script"
    )


def execution(**changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "Query": DEMO_SQL,
        "WorkGroup": WORK_GROUP,
        "QueryExecutionContext": {"Database": GOLD_DB},
        "Status": {"State": "SUCCEEDED", "SubmissionDateTime": dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)},
    }
    return found | changes


def test_a_query_submitted_before_the_script_ran_is_an_earlier_one() -> None:
    """A printed id of yesterday's demo query: the statement and state are right, the time is not."""
    script_started = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC).timestamp()
    assert query_problems(execution(), DEMO_SQL, WORK_GROUP, GOLD_DB, script_started) == []
    old = execution(Status={"State": "SUCCEEDED", "SubmissionDateTime": dt.datetime(2026, 12, 5, tzinfo=dt.UTC)})
    (said,) = query_problems(old, DEMO_SQL, WORK_GROUP, GOLD_DB, script_started)
    assert said == "it was submitted at 2026-12-05T00:00:00+00:00, before the script started: an earlier query's id"
    failed = execution(Status={"State": "FAILED", "StateChangeReason": "boom", "SubmissionDateTime": 1.8e9})
    assert query_problems(failed, DEMO_SQL, WORK_GROUP, GOLD_DB, script_started) == [
        "its state is FAILED, not SUCCEEDED (boom)"
    ]


def test_a_script_that_does_not_finish_is_an_error(athena: Any, tmp_path: Path) -> None:
    run = run_script(checkout(tmp_path, "sleep 30\n"), ["daily_revenue"], {}, timeout_s=0.5)
    assert run.timed_out and run.returncode is None
    outcome = check_demo_script(run, "daily_revenue", EXPECTED, DEMO_SQL, athena, WORK_GROUP, GOLD_DB, set())
    assert outcome.status is Status.ERROR and "did not finish within" in (outcome.reason or "")


def test_the_output_of_lakehouse_demo_is_read_per_query() -> None:
    out = (
        "-- daily_revenue (query q-1, 10 bytes scanned, 3 ms)\n" + TABLE + "\n"
        "-- order_status (query q-2, 0 bytes scanned, 1 ms)\nFAILED: TABLE_NOT_FOUND\n\n"
    )
    found = parse_output(out)
    assert found["daily_revenue"].query_id == "q-1" and found["daily_revenue"].rows[1] == [
        "2026-03-01",
        "US",
        "1",
        "444.15",
    ]
    assert found["order_status"].failed == "TABLE_NOT_FOUND" and found["order_status"].query_id == "q-2"


def test_the_verdicts_combine_and_name_the_queries_the_harness_ran() -> None:
    row = Outcome.judged(
        True, EXPECTED, EXPECTED, None, {"queries": [{"query_execution_id": "a"}], "x": {"query_execution_id": "b"}}
    )
    assert query_ids(row.details) == {"a", "b"}
    script = Outcome.judged(False, None, EXPECTED, "the script lied", {"script": {}})
    combined = with_script(row, script)
    assert combined.status is Status.FAILED and combined.reason == "the script lied"
    assert combined.details["queries"] == [{"query_execution_id": "a"}]
    assert with_script(Outcome.judged(True, 1, 1), Outcome.judged(True, 1, 1, None, {"s": 1})).details == {
        "run_demo_queries": {"s": 1}
    }


def test_no_built_cli_is_an_error_not_a_venv_build(tmp_path: Path) -> None:
    from lakehouse.checks.demo_script import ScriptMissing

    shutil.copy(project_root() / SCRIPT, tmp_path / SCRIPT)
    with pytest.raises(ScriptMissing, match=r"\.venv/bin/lakehouse does not exist \(run `make venv`\)"):
        run_script(tmp_path, ["daily_revenue"], {})


HOLD = (
    "import sys; from pathlib import Path; from lakehouse.stacklock import StackLock;"
    "StackLock(Path(sys.argv[1])).acquire(); print('held', flush=True); sys.stdin.read()"
)
BUSY_STACK = "lh-busy01"


def recorded_checkout(root: Path) -> Path:
    """A checkout with the real script and the real CLI behind it, and an aws stack recorded as deployed: the
    CLI attaches to it (its lock) before it reaches for any AWS endpoint."""
    for folder in ("infra", "features"):
        (root / folder).mkdir(parents=True)
    (root / "pipeline").symlink_to(project_root() / "pipeline")
    shutil.copy(project_root() / SCRIPT, root / SCRIPT)
    cli = root / SCRIPT_CLI
    cli.parent.mkdir(parents=True)
    cli.write_text(f'#!/usr/bin/env bash\nexec {sys.executable} -m lakehouse.cli "$@"\n', encoding="utf-8")
    cli.chmod(cli.stat().st_mode | stat.S_IXUSR)
    home = root / ".lakehouse" / "stacks" / BUSY_STACK
    home.mkdir(parents=True)
    record = StackRecord(BUSY_STACK, "aws", "us-east-1", "deployed", "2026-12-06T10:00:00+00:00", outputs=OUTPUTS)
    record.save(home / RECORD_FILE)
    return root


def test_a_stack_a_deploying_session_holds_is_one_line_from_the_cli_and_the_check_names_it(
    athena: Any, tmp_path: Path
) -> None:
    """``lakehouse demo`` on a stack another session holds alone printed StackBusy's traceback (exit 1); now one
    line and exit 3, which the check's reason quotes."""
    root = recorded_checkout(tmp_path)
    env = {"LAKEHOUSE_STACK_ID": BUSY_STACK, ROOT_ENV: str(root)}
    home = root / ".lakehouse" / "stacks" / BUSY_STACK
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(home)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        run = run_script(root, ["daily_revenue"], env, timeout_s=EXIT_DEADLINE_S)
    finally:
        holder.kill()
        holder.wait()
    said = (
        f"error: stack {BUSY_STACK}: it is in use by a running session (pid {holder.pid}), which deployed it and "
        "holds it alone until it ends; run this again when that session has ended"
    )
    assert run.returncode == 3 and run.stderr.strip() == said, run.stderr
    outcome = check_demo_script(run, "daily_revenue", EXPECTED, DEMO_SQL, athena, WORK_GROUP, GOLD_DB, set())
    assert outcome.status is Status.FAILED
    assert outcome.reason == f"{SCRIPT} daily_revenue exited 3: {said}"


def test_inside_the_session_s_own_hold_the_cli_attaches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Healthy twin: the session that holds the stack runs the script inside its hold (as exit check 2 does):
    the CLI attaches and goes on (to name the demo query it does not have; no AWS call before that)."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    root = recorded_checkout(tmp_path)
    session = StackLock(root / ".lakehouse" / "stacks" / BUSY_STACK)
    session.acquire()
    try:
        shared, fds = child_env(session.path.parent)
        env = {"LAKEHOUSE_STACK_ID": BUSY_STACK, ROOT_ENV: str(root), **shared}
        run = run_script(root, ["no_such_query"], env, fds, timeout_s=EXIT_DEADLINE_S)
    finally:
        session.release()
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().startswith("error: no demo query no_such_query (have: daily_revenue"), run.stderr


def test_the_demo_sql_run_in_another_data_catalog_is_not_gold() -> None:
    """The demo SQL names ``gold_db.daily_revenue``, no catalog: run with QueryExecutionContext's Catalog set to
    another data catalog (another account's Glue, a federated source) it reads that catalog's namesake of Gold.
    The statement, workgroup, database and time are all right; only the catalog says it is not the stack's Gold."""
    started = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC).timestamp()
    elsewhere = execution(QueryExecutionContext={"Database": GOLD_DB, "Catalog": "partner_glue"})
    assert query_problems(elsewhere, DEMO_SQL, WORK_GROUP, GOLD_DB, started) == [
        "it ran in data catalog 'partner_glue', not the account's Glue catalog (awsdatacatalog)"
    ]


def test_the_demo_sql_in_the_account_s_glue_catalog_is_gold() -> None:
    """Healthy twin: the catalog named as pyathena names it (``AwsDataCatalog``), or not named at all."""
    started = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC).timestamp()
    for context in ({"Database": GOLD_DB, "Catalog": "AwsDataCatalog"}, {"Database": GOLD_DB}):
        assert query_problems(execution(QueryExecutionContext=context), DEMO_SQL, WORK_GROUP, GOLD_DB, started) == []
