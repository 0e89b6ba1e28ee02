"""Exit check 6 finds ssn values in saved text the analyst reads: named queries, prepared statements, Glue metadata.

The broken stacks, each passing on main (nothing read these sources): a deployer's named query or prepared
statement ``... WHERE ssn = '123-45-6789'`` saved in the analyst's workgroup, which an analyst allowed
``athena:GetNamedQuery``/``GetPreparedStatement`` there reads; a column comment quoting a value, kept in an older
Glue table version after it was "fixed"; a table partitioned by a copy of ssn, whose partition values the analyst's
``glue:GetPartitions`` lists. The analyst here is scoped as infra/'s is: Athena on its own workgroup's ARN
(the emulator judged GetNamedQuery on ``*`` before, refusing what AWS allows), Glue reads on the catalog.
A statement naming a value in the analyst's workgroup, shadowed by a harmless one of the same name saved in another
workgroup, passed too: the emulator kept statements by name alone, so the second replaced the first (Athena keeps
both). The healthy twin: a named query and a comment describing ssn without a value.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_security
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.outcome import Outcome
from lakehouse.target import Target
from tests.emulator.lf_stack import SEED_GROUP, SSNS, WORK_GROUP, Lake, build_lake

# A region of its own: build_lake names buckets and roles by region (me-central-1 is test_athena_views').
REGION = "ap-northeast-2"
DB = "saved_gold"
#: infra/'s analyst, with the saved-query reads a broken stack adds: Athena only on its own workgroup.
ANALYST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "athena:*", "Resource": f"arn:aws:athena:{REGION}:*:workgroup/{WORK_GROUP}"},
        {"Effect": "Allow", "Action": ["glue:Get*", "lakeformation:GetDataAccess"], "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::lf-results-{REGION}/*"]},
    ],
}


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    lake.client("iam").put_role_policy(
        RoleName=f"analyst-{REGION}", PolicyName="broad", PolicyDocument=json.dumps(ANALYST_POLICY)
    )
    lake.client("athena").create_named_query(
        Name="ssn formats",
        Database=DB,
        WorkGroup=WORK_GROUP,
        Description="rows whose ssn is not NNN-NN-NNNN",
        QueryString="SELECT count(*) FROM users WHERE NOT regexp_like(ssn, '^[0-9]{3}-[0-9]{2}-[0-9]{4}$')",
    )
    glue = lake.client("glue")
    table = glue.get_table(DatabaseName=DB, Name="users")["Table"]
    columns = table["StorageDescriptor"]["Columns"]
    for column in columns:
        if column["Name"] == "ssn":
            column["Comment"] = "social security number; hidden from analysts by Lake Formation"
    _update(glue, table, columns)
    return lake


def _update(glue: Any, table: dict[str, Any], columns: list[dict[str, Any]]) -> None:
    keys = ("Name", "TableType", "StorageDescriptor", "Parameters")
    given = {k: json.loads(json.dumps(table[k], default=str)) for k in keys if k in table}
    given["StorageDescriptor"]["Columns"] = columns
    glue.update_table(DatabaseName=DB, TableInput=given)


def _judged(lake: Lake) -> Outcome:
    outputs = {
        "analyst_role_arn": lake.roles["analyst"],
        "analyst_workgroup_name": WORK_GROUP,
        "athena_workgroup_name": SEED_GROUP,  # the check's privileged queries: not in the analyst's history
        "glue_database_names": {"gold": DB},
    }
    return judge_security(
        read_security(Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint), outputs)
    )


def test_a_named_query_and_a_comment_describing_ssn_without_a_value_pass(lake: Lake) -> None:
    outcome = _judged(lake)
    assert outcome.status.value == "passed", outcome.reason
    assert outcome.details["problems"]["saved_texts"] == []
    examined = outcome.measured["saved_texts_examined"]
    # At least this workgroup's one: exit 6 reads every enabled region's named queries, and the session's one
    # emulator holds other modules' regions (their lookups are judged by the broken twins below, not counted here).
    assert examined["named query"] >= 1 and examined["table version"] >= 2, examined


@pytest.fixture
def saved_lookups(lake: Lake) -> Iterator[dict[str, str]]:
    """A named query and a prepared statement naming a value, saved in the analyst's workgroup (deleted after)."""
    athena = lake.client("athena")
    query_id = athena.create_named_query(
        Name="one user", Database=DB, WorkGroup=WORK_GROUP, QueryString="SELECT * FROM users WHERE ssn = '123-45-6789'"
    )["NamedQueryId"]
    athena.create_prepared_statement(
        StatementName="by_ssn", WorkGroup=WORK_GROUP, QueryStatement="SELECT * FROM users WHERE ssn = '987-65-4321'"
    )
    yield {"named": query_id}
    athena.delete_named_query(NamedQueryId=query_id)
    athena.delete_prepared_statement(StatementName="by_ssn", WorkGroup=WORK_GROUP)


def test_a_value_in_a_saved_query_of_the_analysts_workgroup_fails(lake: Lake, saved_lookups: dict[str, str]) -> None:
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    others = {kind: found for kind, found in outcome.details["problems"].items() if found and kind != "saved_texts"}
    assert others == {}, others  # nothing else is broken: the saved text alone fails the check
    problems = outcome.details["problems"]["saved_texts"]
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        f"workgroup {WORK_GROUP}, named query {saved_lookups['named']} (one user) shows values of ssn in "
        "NamedQuery.QueryString, and the analyst's GetNamedQuery hands it over"
    ), problems
    assert problems[1].startswith(f"workgroup {WORK_GROUP}, prepared statement by_ssn shows values of ssn in ")
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


@pytest.fixture
def glue_with_values(lake: Lake) -> Iterator[None]:
    """A table whose column comment quoted a value, then "fixed" (the old version kept), and a table partitioned by
    a copy of ssn (a key named ``ssn`` would make it an ssn table, which the emulator cannot read as a Hive table);
    both dropped after (their versions with them)."""
    glue = lake.client("glue")
    quoted = [{"Name": "user_id", "Type": "bigint"}, {"Name": "ssn", "Type": "string", "Comment": "e.g. 555-12-3456"}]
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "users_notes",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {"Columns": quoted, "Location": f"s3://{lake.bucket}/users_notes/"},
        },
    )
    notes = glue.get_table(DatabaseName=DB, Name="users_notes")["Table"]
    _update(glue, notes, [{"Name": "user_id", "Type": "bigint"}])
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "by_tax_id",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": [{"Name": "user_id", "Type": "bigint"}],
                "Location": f"s3://{lake.bucket}/by_tax_id/",
            },
            "PartitionKeys": [{"Name": "tax_id", "Type": "string"}],
        },
    )
    glue.create_partition(
        DatabaseName=DB,
        TableName="by_tax_id",
        PartitionInput={
            "Values": ["987-65-4321"],
            "StorageDescriptor": {"Location": f"s3://{lake.bucket}/by_tax_id/x/"},
        },
    )
    yield
    for name in ("users_notes", "by_tax_id"):
        glue.delete_table(DatabaseName=DB, Name=name)


def test_a_value_in_an_old_table_version_or_a_partition_value_fails(lake: Lake, glue_with_values: None) -> None:
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    others = {kind: found for kind, found in outcome.details["problems"].items() if found and kind != "saved_texts"}
    assert others == {}, others  # nothing else is broken: the saved text alone fails the check
    problems = outcome.details["problems"]["saved_texts"]
    assert len(problems) == 2, problems
    assert any(
        p.startswith(f"table {DB}.users_notes, version 1 shows values of ssn in ")
        and "Columns[ssn].Comment" in p
        and "GetTableVersion hands it over" in p
        for p in problems
    ), problems
    assert any(
        p.startswith(f'table {DB}.by_tax_id, partition ["<hidden value>"] shows values of ssn in Partition.Values[0]')
        for p in problems
    ), problems
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


@pytest.fixture
def shadowed_statement(lake: Lake) -> Iterator[None]:
    """A prepared statement naming a value in the analyst's workgroup, and a harmless one of the same name saved in
    another workgroup after it (both deleted after): Athena keeps both, keyed by (workgroup, name)."""
    athena = lake.client("athena")
    leaking = "SELECT * FROM users WHERE ssn = '987-65-4321'"
    athena.create_prepared_statement(StatementName="lookup", WorkGroup=WORK_GROUP, QueryStatement=leaking)
    athena.create_prepared_statement(StatementName="lookup", WorkGroup=SEED_GROUP, QueryStatement="SELECT 1")
    yield
    for work_group in (WORK_GROUP, SEED_GROUP):
        athena.delete_prepared_statement(StatementName="lookup", WorkGroup=work_group)


def test_a_value_in_a_statement_named_as_another_workgroups_fails(lake: Lake, shadowed_statement: None) -> None:
    """The emulator kept statements by name alone: the second workgroup's replaced the analyst's, and exit 6 passed."""
    outcome = _judged(lake)
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["saved_texts"]
    statements = [p for p in problems if "prepared statement" in p]
    assert len(statements) == 1, problems  # the analyst's statement, not the other workgroup's harmless one
    assert statements[0].startswith(f"workgroup {WORK_GROUP}, prepared statement lookup shows values of ssn"), problems
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)
