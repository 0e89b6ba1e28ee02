"""What AWS refuses, as one table: (principal, action, resource, AWS's answer), each row a test.

The lake is tests/emulator/lf_stack.py's (Iceberg ``users`` with ``ssn`` hidden from the analyst).
Its principals hold what the row's principal names; their IAM policies allow every Athena, Glue
and Lake Formation action, so each answer below is Lake Formation's (through Athena for SQL):

- ``analyst``: DESCRIBE on the database and ``default``, SELECT on every column but ``ssn``,
  CREATE_TABLE on its own database ``sandbox``;
- ``writer``: the analyst's grants plus INSERT and DELETE on ``users`` (the table, not columns),
  DROP on the database ``doomed`` but not on its table;
- ``reader``: a read-only data lake admin (``ReadOnlyAdmins``);
- ``iam_user``: DESCRIBE only; the table ``open_to_iam`` has an ``IAMAllowedPrincipals`` SELECT grant;
- ``grantor``: SELECT on ``users`` with grant option.

An answer is ``OK`` or a regular expression the error must match from its start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.emulator.sql.access import Access
from tests.emulator.lf_stack import Lake, build_lake, principal

REGION = "eu-north-1"
DB = "lf_auth"
OK = "OK"
NOBODY = "arn:aws:iam::123456789012:role/nobody"
ICEBERG = "TBLPROPERTIES ('table_type'='ICEBERG')"

COLUMN_SSN = r"COLUMN_NOT_FOUND: line \d+:\d+: Column '(?:\w+\.)?ssn' cannot be resolved or requester is not authorized"
NOT_AUTHORISED = (
    r"AccessDeniedException: Resource does not exist or requester is not authorized to access requested permissions\."
)


def on_table(table: str, *missing: str) -> str:
    return (
        r"Insufficient permissions to execute the query\. Insufficient Lake Formation permission\(s\) on "
        rf"{DB if '.' not in table else ''}{'.' if '.' not in table else ''}{re.escape(table)} "
        rf"\(required: {', '.join(missing)}\)"
    )


def required(what: str, where: str) -> str:
    return rf"Insufficient Lake Formation permission\(s\): Required {what} on {where}$"


# (principal, action, resource, AWS's answer); an action is SQL, or "lf:<Operation>" with its arguments
# in the resource column's place filled by _lf_calls.
ROWS: list[tuple[str, str, str, str]] = [
    # DDL
    ("analyst", "CREATE DATABASE mine", "catalog", required("Create Database", "Catalog")),
    ("reader", "CREATE DATABASE mine", "catalog", required("Create Database", "Catalog")),
    ("analyst", f"DROP DATABASE {DB} CASCADE", DB, required("Drop", DB)),
    ("writer", "DROP DATABASE doomed CASCADE", "doomed.t", on_table("doomed.t", "DROP")),
    (
        "analyst",
        f"CREATE TABLE {DB}.mine (k string) LOCATION 's3://lf-data-{REGION}/mine/' {ICEBERG}",
        DB,
        required("Create Table", DB),
    ),
    (
        "analyst",
        f"CREATE TABLE sandbox.copy_ssn WITH (table_type='ICEBERG', location='s3://lf-data-{REGION}/c1/') "
        f"AS SELECT ssn FROM {DB}.users",
        f"{DB}.users (ssn)",
        COLUMN_SSN,
    ),
    (
        "analyst",
        f"CREATE TABLE sandbox.copy_ok WITH (table_type='ICEBERG', location='s3://lf-data-{REGION}/c2/') "
        f"AS SELECT * FROM {DB}.users",
        "sandbox",
        OK,
    ),
    ("analyst", "DROP TABLE users", "users", on_table("users", "DROP")),
    ("reader", "DROP TABLE users", "users", on_table("users", "DROP")),
    ("analyst", "ALTER TABLE users ADD COLUMNS (note string)", "users", on_table("users", "ALTER")),
    # DML
    ("analyst", "INSERT INTO users (user_id) VALUES (9)", "users", on_table("users", "INSERT")),
    ("reader", "INSERT INTO users (user_id) VALUES (9)", "users", on_table("users", "INSERT")),
    ("reader", "DELETE FROM users WHERE user_id = 9", "users", on_table("users", "DELETE")),
    ("reader", "UPDATE users SET email = 'x' WHERE user_id = 9", "users", on_table("users", "DELETE, INSERT")),
    ("writer", "UPDATE users SET email = ssn", "users (ssn)", COLUMN_SSN),
    ("writer", "UPDATE users SET email = 'x' WHERE ssn = '123-45-6789'", "users (ssn)", COLUMN_SSN),
    ("writer", "DELETE FROM users WHERE ssn LIKE '1%'", "users (ssn)", COLUMN_SSN),
    (
        "writer",
        "MERGE INTO users t USING (SELECT 9 AS id) s ON t.user_id = s.id WHEN MATCHED THEN UPDATE SET email = t.ssn",
        "users (ssn)",
        COLUMN_SSN,
    ),
    ("writer", "DELETE FROM users WHERE user_id = 999", "users", OK),
    ("iam_user", "INSERT INTO open_to_iam VALUES ('x')", "open_to_iam", on_table("open_to_iam", "INSERT")),
    ("iam_user", "SELECT * FROM open_to_iam", "open_to_iam", OK),
    ("reader", "SELECT ssn FROM users WHERE user_id = 1", "users", OK),
    # Grant authority
    ("analyst", "lf:GrantPermissions SELECT", "users", NOT_AUTHORISED),
    ("analyst", "lf:BatchGrantPermissions SELECT", "users", NOT_AUTHORISED),
    ("analyst", "lf:RevokePermissions SELECT", "users (its own column grant)", NOT_AUTHORISED),
    ("reader", "lf:GrantPermissions SELECT", "users", NOT_AUTHORISED),
    ("grantor", "lf:GrantPermissions INSERT", "users", NOT_AUTHORISED),
    ("grantor", "lf:GrantPermissions SELECT", "users", OK),
]


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    glue, lf = lake.client("glue"), lake.client("lakeformation")
    glue.create_database(DatabaseInput={"Name": "sandbox"})
    lake.grant("analyst", {"Database": {"Name": "sandbox"}}, ["CREATE_TABLE", "DESCRIBE"])
    users = lake.users_resource()
    columns = {
        "TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}
    }
    for role in ("writer", "reader", "iam_user", "grantor"):
        lake.add_role(role)
        for database in (DB, "default"):
            lake.grant(role, {"Database": {"Name": database}}, ["DESCRIBE"])
    lake.grant("writer", columns, ["SELECT"])
    lake.grant("writer", users, ["INSERT", "DELETE"])
    lake.grant("grantor", users, ["SELECT"], ("SELECT",))
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    lf.put_data_lake_settings(DataLakeSettings={**settings, "ReadOnlyAdmins": [principal(lake.roles["reader"])]})
    with lake.cursor() as admin:
        admin.execute(f"CREATE TABLE open_to_iam (k string) LOCATION 's3://{lake.bucket}/open/' {ICEBERG}")
        admin.execute("INSERT INTO open_to_iam VALUES ('v')")
        admin.execute("CREATE DATABASE doomed")
        admin.execute(f"CREATE TABLE doomed.t (k string) LOCATION 's3://{lake.bucket}/doomed/' {ICEBERG}")
    lake.grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": DB, "Name": "open_to_iam"}}, ["SELECT"])
    lake.grant("writer", {"Database": {"Name": "doomed"}}, ["DROP", "DESCRIBE"])
    return lake


def _lf_call(lake: Lake, who: str, action: str) -> Callable[[], Any]:
    operation, permission = action.removeprefix("lf:").split()
    lf = lake.client("lakeformation", who)
    users = lake.users_resource()
    if operation == "GrantPermissions":
        target = NOBODY if who == "grantor" else lake.roles[who]
        return lambda: lf.grant_permissions(Principal=principal(target), Resource=users, Permissions=[permission])
    if operation == "BatchGrantPermissions":
        entry = {"Id": "1", "Principal": principal(lake.roles[who]), "Resource": users, "Permissions": [permission]}

        def batch() -> None:
            failures = lf.batch_grant_permissions(Entries=[entry])["Failures"]
            if failures:
                error = failures[0]["Error"]
                raise RuntimeError(f"{error['ErrorCode']}: {error['ErrorMessage']}")

        return batch
    columns = {
        "TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}
    }
    return lambda: lf.revoke_permissions(
        Principal=principal(lake.roles[who]), Resource=columns, Permissions=[permission]
    )


def _answer(lake: Lake, who: str, action: str) -> str:
    """``OK`` or the error as the caller sees it (``Code: message`` for API calls, the reason for SQL)."""
    try:
        if action.startswith("lf:"):
            _lf_call(lake, who, action)()
        else:
            with lake.cursor(who) as cursor:
                cursor.execute(action)
    except OperationalError as err:
        return str(err)
    except ClientError as err:
        return f"{err.response['Error']['Code']}: {err.response['Error']['Message']}"
    except RuntimeError as err:
        return str(err)
    return OK


@pytest.mark.parametrize(("who", "action", "resource", "aws"), ROWS, ids=[f"{r[0]}: {r[1][:60]}" for r in ROWS])
def test_the_emulator_answers_as_aws(lake: Lake, who: str, action: str, resource: str, aws: str) -> None:
    answer = _answer(lake, who, action)
    if aws == OK:
        assert answer == OK, f"{who} on {resource}: AWS allows it, the emulator said {answer}"
    else:
        assert re.match(aws, answer), f"{who} on {resource}: AWS answers {aws!r}, the emulator {answer!r}"


def test_a_refused_cascade_drops_nothing(lake: Lake) -> None:
    assert "t" in [t["Name"] for t in lake.client("glue").get_tables(DatabaseName="doomed")["TableList"]]


# ---------------------------------------------------------------- the same rules, pure (no emulator)

ROLE = "arn:aws:iam::123456789012:role/r"
USERS_TABLE = {"Table": {"DatabaseName": DB, "Name": "users"}}


def _grant(
    who: str, resource: dict[str, Any], permissions: list[str], grantable: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "Principal": principal(who),
        "Resource": resource,
        "Permissions": permissions,
        "PermissionsWithGrantOption": list(grantable),
    }


@pytest.mark.parametrize(
    ("grants", "resource", "wanted", "allowed"),
    [
        ([], USERS_TABLE, ["SELECT"], False),
        ([_grant(ROLE, USERS_TABLE, ["SELECT"])], USERS_TABLE, ["SELECT"], False),
        ([_grant(ROLE, USERS_TABLE, ["SELECT"], ("SELECT",))], USERS_TABLE, ["SELECT"], True),
        ([_grant(ROLE, USERS_TABLE, ["SELECT"], ("SELECT",))], USERS_TABLE, ["INSERT"], False),
        ([_grant(ROLE, USERS_TABLE, ["ALL"], ("ALL",))], USERS_TABLE, ["INSERT", "DROP"], True),
        (
            [_grant(ROLE, {"Table": {"DatabaseName": DB, "TableWildcard": {}}}, [], ("SELECT",))],
            USERS_TABLE,
            ["SELECT"],
            True,
        ),
        ([_grant(ROLE, {"Database": {"Name": DB}}, ["ALL"], ("ALL",))], USERS_TABLE, ["SELECT"], False),
        ([_grant("IAM_ALLOWED_PRINCIPALS", USERS_TABLE, ["ALL"], ("ALL",))], USERS_TABLE, ["SELECT"], False),
    ],
)
def test_grant_authority_rules(
    grants: list[dict[str, Any]], resource: dict[str, Any], wanted: list[str], allowed: bool
) -> None:
    assert Access(ROLE, grants=grants).may_grant(resource, wanted) is allowed


def test_read_only_admins_read_everything_and_write_nothing() -> None:
    access = Access(ROLE, read_only_admin=True)
    assert access.table_permissions(DB, "users") == {"SELECT", "DESCRIBE"}
    assert access.readable_columns(DB, "users", ["id", "ssn"]) == ["id", "ssn"]
    assert "CREATE_DATABASE" not in access.catalog_permissions()
    assert not access.may_grant(USERS_TABLE, ["SELECT"])


def test_iam_allowed_principals_gives_what_it_names() -> None:
    access = Access(ROLE, grants=[_grant("IAM_ALLOWED_PRINCIPALS", USERS_TABLE, ["SELECT"])])
    assert access.table_permissions(DB, "users") == {"SELECT"}
    assert access.readable_columns(DB, "users", ["id", "ssn"]) == ["id", "ssn"]


def test_an_account_without_admins_leaves_it_to_iam() -> None:
    access = Access(ROLE, adopted=False)
    assert "CREATE_DATABASE" in access.catalog_permissions()
    assert access.may_grant(USERS_TABLE, ["SELECT"])
