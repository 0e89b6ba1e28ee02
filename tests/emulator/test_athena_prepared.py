"""Prepared statements per (workgroup, name), as Athena keys them, and EXECUTE run in the query's workgroup.

Athena's CreatePreparedStatement, GetPreparedStatement, UpdatePreparedStatement, DeletePreparedStatement and
ListPreparedStatements all take ``WorkGroup``: the same name in two workgroups is two statements, and Get/Update/
Delete of a name the workgroup does not hold is ResourceNotFoundException (botocore's Athena model lists it for
those three). ``EXECUTE name [USING v, ...]`` runs the statement of the query's own workgroup, its ``?`` bound to the
values (docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements-execute.html). moto kept them by
name alone: creating ``by_ssn`` in a second workgroup replaced the first's, and EXECUTE was refused.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from lakehouse.emulator.process import EmulatorHandle

REGION = "eu-central-1"  # a region of its own: workgroups, statements and executions are per region
BUCKET = f"prepared-results-{REGION}"


@pytest.fixture(scope="module")
def athena(emulator: EmulatorHandle) -> Any:
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    config = Config(retries={"max_attempts": 1})
    s3 = session.client("s3", endpoint_url=emulator.endpoint, config=config)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return session.client("athena", endpoint_url=emulator.endpoint, config=config)


def _work_group(athena: Any) -> str:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    location = f"s3://{BUCKET}/{name}/"
    athena.create_work_group(Name=name, Configuration={"ResultConfiguration": {"OutputLocation": location}})
    return name


def _error(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def _run(athena: Any, work_group: str, sql: str, **extra: Any) -> dict[str, Any]:
    """The finished execution of ``sql`` in ``work_group`` (waits on its state, with a deadline)."""
    query_id = athena.start_query_execution(QueryString=sql, WorkGroup=work_group, **extra)["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] not in ("QUEUED", "RUNNING"):
            return execution
    raise AssertionError(f"{sql} did not finish within 60 s")


def _rows(athena: Any, execution: dict[str, Any]) -> list[list[str | None]]:
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"][1:]
    return [[cell.get("VarCharValue") for cell in row["Data"]] for row in rows]


def test_the_same_name_in_two_workgroups_is_two_statements(athena: Any) -> None:
    first, second = _work_group(athena), _work_group(athena)
    athena.create_prepared_statement(StatementName="by_ssn", WorkGroup=first, QueryStatement="SELECT '123-45-6789'")
    athena.create_prepared_statement(StatementName="by_ssn", WorkGroup=second, QueryStatement="SELECT 'benign'")
    got = athena.get_prepared_statement(StatementName="by_ssn", WorkGroup=first)["PreparedStatement"]
    assert (got["QueryStatement"], got["WorkGroupName"]) == ("SELECT '123-45-6789'", first)  # not replaced
    assert "LastModifiedTime" in got
    for work_group in (first, second):
        listed = athena.list_prepared_statements(WorkGroup=work_group)["PreparedStatements"]
        assert [s["StatementName"] for s in listed] == ["by_ssn"], work_group
    athena.update_prepared_statement(StatementName="by_ssn", WorkGroup=second, QueryStatement="SELECT 'changed'")
    athena.delete_prepared_statement(StatementName="by_ssn", WorkGroup=second)
    kept = athena.get_prepared_statement(StatementName="by_ssn", WorkGroup=first)["PreparedStatement"]
    assert kept["QueryStatement"] == "SELECT '123-45-6789'"  # the other workgroup's update and delete left it
    assert athena.list_prepared_statements(WorkGroup=second)["PreparedStatements"] == []


def test_a_statement_of_another_workgroup_is_not_found(athena: Any) -> None:
    first, second = _work_group(athena), _work_group(athena)
    athena.create_prepared_statement(StatementName="only_here", WorkGroup=first, QueryStatement="SELECT 1")
    for call in (athena.get_prepared_statement, athena.delete_prepared_statement):
        with pytest.raises(ClientError) as info:
            call(StatementName="only_here", WorkGroup=second)
        assert _error(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        athena.update_prepared_statement(StatementName="only_here", WorkGroup=second, QueryStatement="SELECT 2")
    assert _error(info) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:  # a name is unique within its workgroup
        athena.create_prepared_statement(StatementName="only_here", WorkGroup=first, QueryStatement="SELECT 3")
    assert _error(info) == "InvalidRequestException"


def test_execute_runs_the_statement_of_the_querys_workgroup(athena: Any) -> None:
    first, second = _work_group(athena), _work_group(athena)
    athena.create_prepared_statement(StatementName="pick", WorkGroup=first, QueryStatement="SELECT 'first', ? + 1")
    athena.create_prepared_statement(StatementName="pick", WorkGroup=second, QueryStatement="SELECT 'second', ?")
    assert _rows(athena, _run(athena, first, "EXECUTE pick USING 41")) == [["first", "42"]]
    assert _rows(athena, _run(athena, second, "EXECUTE pick USING 'x'")) == [["second", "x"]]
    bound = _run(athena, second, "EXECUTE pick", ExecutionParameters=["'from parameters'"])
    assert _rows(athena, bound) == [["second", "from parameters"]]
    third = _work_group(athena)
    missing = _run(athena, third, "EXECUTE pick USING 1")  # neither workgroup's statement is the third's
    assert missing["Status"]["State"] == "FAILED"
    assert missing["Status"]["StateChangeReason"] == "NOT_FOUND: Prepared statement not found: pick"
    short = _run(athena, first, "EXECUTE pick")
    assert short["Status"]["StateChangeReason"].endswith("Incorrect number of parameters: expected 1 but found 0")


def test_statements_are_listed_fifty_a_page(athena: Any) -> None:
    work_group = _work_group(athena)
    for n in range(51):
        athena.create_prepared_statement(StatementName=f"s{n:02d}", WorkGroup=work_group, QueryStatement="SELECT 1")
    page = athena.list_prepared_statements(WorkGroup=work_group)
    assert len(page["PreparedStatements"]) == 50 and page.get("NextToken")
    rest = athena.list_prepared_statements(WorkGroup=work_group, NextToken=page["NextToken"])
    assert [s["StatementName"] for s in rest["PreparedStatements"]] == ["s50"] and "NextToken" not in rest


def test_a_deleted_workgroup_takes_its_statements(athena: Any) -> None:
    work_group = _work_group(athena)
    athena.create_prepared_statement(StatementName="gone", WorkGroup=work_group, QueryStatement="SELECT 1")
    athena.delete_work_group(WorkGroup=work_group, RecursiveDeleteOption=True)
    athena.create_work_group(Name=work_group)
    assert athena.list_prepared_statements(WorkGroup=work_group)["PreparedStatements"] == []
