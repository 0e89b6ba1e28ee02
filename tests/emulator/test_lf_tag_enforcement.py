"""The emulator's Athena honours LF-Tag policy grants (tag-based access control) as Lake Formation does.

The lake is tests/emulator/lf_stack.py's (Iceberg ``users`` with ``ssn``). Its database carries ``level=open``
and the column ``ssn`` its own ``level=closed`` (a column's LF-Tag replaces the value it inherits). Roles hold
DESCRIBE on ``default`` by name and everything else through LF-Tag expressions only:

- ``tagged``: DESCRIBE on databases ``level=open`` and SELECT on tables ``level=open``: it reads every column but
  ``ssn``, which is refused as a column without a grant is (COLUMN_NOT_FOUND);
- ``closed``: SELECT on tables ``level=closed``: it reads ``ssn`` alone;
- ``secret``: SELECT on tables ``level=secret``, which nothing carries: it reads nothing.

GrantPermissions of a permission a resource kind does not take fails as AWS answers it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.lf_stack import SSNS, Lake, build_lake, principal

REGION = "ap-northeast-3"  # a region of its own: build_lake names buckets and roles by region
DB = "lf_tbac"


def column_denied(column: str) -> re.Pattern[str]:
    return re.compile(
        rf"^COLUMN_NOT_FOUND: line \d+:\d+: Column '(?:\w+\.)?{column}' cannot be resolved or requester is not "
        r"authorized to access requested resources$"
    )


def policy(value: str, kind: str = "TABLE") -> dict[str, Any]:
    return {"LFTagPolicy": {"ResourceType": kind, "Expression": [{"TagKey": "level", "TagValues": [value]}]}}


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    lf = lake.client("lakeformation")
    lf.create_lf_tag(TagKey="level", TagValues=["open", "closed", "secret"])
    lf.add_lf_tags_to_resource(Resource={"Database": {"Name": DB}}, LFTags=[{"TagKey": "level", "TagValues": ["open"]}])
    ssn = {"TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnNames": ["ssn"]}}
    lf.add_lf_tags_to_resource(Resource=ssn, LFTags=[{"TagKey": "level", "TagValues": ["closed"]}])
    for role, value in (("tagged", "open"), ("closed", "closed"), ("secret", "secret")):
        lake.add_role(role)
        lake.grant(role, {"Database": {"Name": "default"}}, ["DESCRIBE"])
        lake.grant(role, policy(value), ["SELECT"])
    lake.grant("tagged", policy("open", "DATABASE"), ["DESCRIBE"])
    for role in ("closed", "secret"):
        lake.grant(role, {"Database": {"Name": DB}}, ["DESCRIBE"])
    return lake


@pytest.fixture
def cursor(lake: Lake, request: pytest.FixtureRequest) -> Iterator[Any]:
    with lake.cursor(request.param) as cursor:
        yield cursor


def _denied(cursor: Any, sql: str) -> str:
    with pytest.raises(OperationalError) as err:
        cursor.execute(sql)
    return str(err.value)


@pytest.mark.parametrize("cursor", ["tagged"], indirect=True)
def test_a_tag_grant_reads_the_columns_whose_lf_tags_match(cursor: Any) -> None:
    cursor.execute("SELECT * FROM users ORDER BY user_id")
    assert [d[0] for d in cursor.description] == ["user_id", "email", "country"]
    assert [row[0] for row in cursor.fetchall()] == [1, 2, 3]


@pytest.mark.parametrize("cursor", ["tagged"], indirect=True)
@pytest.mark.parametrize("sql", ["SELECT ssn FROM users", "SELECT email FROM users WHERE ssn IS NOT NULL"])
def test_a_column_whose_own_lf_tag_does_not_match_is_refused_like_a_missing_column_grant(cursor: Any, sql: str) -> None:
    assert column_denied("ssn").match(_denied(cursor, sql))


@pytest.mark.parametrize("cursor", ["tagged"], indirect=True)
def test_describe_shows_the_matching_columns_only(cursor: Any) -> None:
    cursor.execute("DESCRIBE users")
    assert [r[0] for r in cursor.fetchall()] == ["user_id", "email", "country"]


@pytest.mark.parametrize("cursor", ["closed"], indirect=True)
def test_a_grant_matching_the_columns_own_lf_tag_reads_that_column_alone(cursor: Any) -> None:
    cursor.execute("SELECT * FROM users")
    assert [d[0] for d in cursor.description] == ["ssn"]
    assert {row[0] for row in cursor.fetchall()} == SSNS
    assert column_denied("email").match(_denied(cursor, "SELECT email FROM users"))


@pytest.mark.parametrize("cursor", ["secret"], indirect=True)
def test_a_tag_grant_matching_nothing_reads_nothing(cursor: Any) -> None:
    reason = _denied(cursor, "SELECT user_id FROM users")
    assert reason.startswith(
        f"Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on {DB}.users"
    ), reason


def test_a_permission_the_resource_does_not_take_is_refused(lake: Lake) -> None:
    lf = lake.client("lakeformation")
    who = principal(lake.roles["secret"])
    with pytest.raises(ClientError) as err:
        lf.grant_permissions(Principal=who, Resource={"Database": {"Name": DB}}, Permissions=["SELECT"])
    assert err.value.response["Error"]["Code"] == "InvalidInputException"
    assert err.value.response["Error"]["Message"] == "Permissions modification is invalid."
    table = {"Table": {"DatabaseName": DB, "Name": "users"}}
    answer = lf.batch_grant_permissions(
        Entries=[
            {"Id": "1", "Principal": who, "Resource": table, "Permissions": ["CREATE_TABLE"]},
            {"Id": "2", "Principal": who, "Resource": policy("secret"), "Permissions": ["DESCRIBE"]},
        ]
    )
    assert [(f["RequestEntry"]["Id"], f["Error"]["ErrorCode"]) for f in answer["Failures"]] == [
        ("1", "InvalidInputException")
    ]
    held = lf.list_permissions(Principal=who, Resource=table)["PrincipalResourcePermissions"]
    assert not any("CREATE_TABLE" in g["Permissions"] for g in held)
