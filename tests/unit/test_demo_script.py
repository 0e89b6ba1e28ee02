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
    run_script,
    with_script,
)
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.demo import demo_queries

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


@pytest.fixture
def athena(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from moto import mock_aws

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        import boto3

        client = boto3.client("athena", region_name="us-east-1")
        for group in (WORK_GROUP, "other"):
            client.create_work_group(
                Name=group, Configuration={"ResultConfiguration": {"OutputLocation": "s3://results/"}}
            )
        yield client


def started(athena: Any, sql: str = DEMO_SQL, work_group: str = WORK_GROUP, database: str = GOLD_DB) -> str:
    """A query as the script would have started it (the demo connection: the workgroup, Gold as database)."""
    found = athena.start_query_execution(
        QueryString=sql, WorkGroup=work_group, QueryExecutionContext={"Database": database}
    )
    return str(found["QueryExecutionId"])


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
    run = run_script(root, ["daily_revenue"], {"QUERY_ID": query_id}, timeout_s=30)
    return check_demo_script(run, "daily_revenue", EXPECTED, DEMO_SQL, athena, WORK_GROUP, GOLD_DB, harness or set())


def test_the_script_running_the_demo_query_passes(athena: Any, tmp_path: Path) -> None:
    """Healthy twin: the real script's output, its query id the demo SQL, SUCCEEDED, in the stack's workgroup."""
    query_id = started(athena)
    outcome = judged(athena, checkout(tmp_path), query_id)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.measured == EXPECTED
    assert outcome.details["query_execution"]["Query"] == DEMO_SQL.strip()
    assert outcome.details["query_execution_id"] == query_id


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
