"""The emulator's Athena applies Lake Formation grants the way Athena does.

Set up like the stack: the caller is the data lake admin and the default IAMAllowedPrincipals
permissions are cleared before the database and the Iceberg table (created through Glue's
OpenTableFormatInput, as Terraform does) exist; an analyst role gets DESCRIBE on its database and
on ``default`` and SELECT on every column but ``ssn``. Then the analyst queries through pyathena
with keys from the emulator's STS, as a person would. Its own region keeps Lake Formation's
account settings away from the other emulator tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pyathena
import pytest
from botocore.config import Config
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle

REGION = "eu-west-3"
DB = "lf_gold"
BUCKET = "lf-gold"
RESULTS = "s3://lf-results/out/"
WORK_GROUP = "lf"
DENIED = re.compile(
    r"^COLUMN_NOT_FOUND: line (\d+):(\d+): Column '(?:\w+\.)?ssn' cannot be resolved or requester is not "
    r"authorized to access requested resources$"
)
COLUMNS = [("user_id", "bigint"), ("email", "string"), ("ssn", "string"), ("country", "string")]


@pytest.fixture(scope="module")
def client(emulator: EmulatorHandle) -> Callable[[str], Any]:
    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    config = Config(retries={"max_attempts": 1})
    return lambda service: session.client(service, endpoint_url=emulator.endpoint, config=config)


def _connect(emulator: EmulatorHandle, session: boto3.Session) -> Any:
    return pyathena.connect(
        work_group=WORK_GROUP,
        region_name=REGION,
        schema_name=DB,
        endpoint_url=emulator.endpoint,
        session=session,
        poll_interval=0.05,
    )


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle, client: Callable[[str], Any]) -> dict[str, str]:
    """Admin settings first, then the database and table, then the analyst and its grants."""
    me = client("sts").get_caller_identity()["Arn"]
    lf = client("lakeformation")
    lf.put_data_lake_settings(DataLakeSettings={"DataLakeAdmins": [{"DataLakePrincipalIdentifier": me}]})
    s3 = client("s3")
    for bucket in (BUCKET, "lf-results"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue = client("glue")
    glue.create_database(DatabaseInput={"Name": DB})
    glue.create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "users",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Location": f"s3://{BUCKET}/users/",
                "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS],
            },
        },
        OpenTableFormatInput={"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}},
    )
    client("athena").create_work_group(
        Name=WORK_GROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}, "EnforceWorkGroupConfiguration": True},
    )
    admin = _connect(emulator, boto3.Session(aws_access_key_id="test", aws_secret_access_key="test"))
    admin.cursor().execute(
        "INSERT INTO users VALUES (1, 'a@example.com', '123-45-6789', 'JP'), (2, 'b@example.com', '987-65-4321', 'US')"
    )
    admin.close()
    role = client("iam").create_role(RoleName="lf-analyst", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    analyst = {"DataLakePrincipalIdentifier": role}
    for database in (DB, "default"):
        lf.grant_permissions(Principal=analyst, Resource={"Database": {"Name": database}}, Permissions=["DESCRIBE"])
    lf.grant_permissions(
        Principal=analyst,
        Resource={
            "TableWithColumns": {
                "DatabaseName": DB,
                "Name": "users",
                "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
            }
        },
        Permissions=["SELECT"],
    )
    return {"role": role, "admin": me}


@pytest.fixture
def analyst(emulator: EmulatorHandle, client: Callable[[str], Any], lake: dict[str, str]) -> Iterator[Any]:
    creds = client("sts").assume_role(RoleArn=lake["role"], RoleSessionName="lf-test")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    conn = _connect(emulator, session)
    yield conn.cursor()
    conn.close()


@pytest.fixture
def admin(emulator: EmulatorHandle, lake: dict[str, str]) -> Iterator[Any]:
    conn = _connect(emulator, boto3.Session(aws_access_key_id="test", aws_secret_access_key="test"))
    yield conn.cursor()
    conn.close()


def _denied(cursor: Any, sql: str) -> str:
    with pytest.raises(OperationalError) as err:
        cursor.execute(sql)
    return str(err.value)


def test_glue_open_table_format_input_creates_a_readable_iceberg_table(client: Callable[[str], Any], lake: Any) -> None:
    params = client("glue").get_table(DatabaseName=DB, Name="users")["Table"]["Parameters"]
    assert params["table_type"] == "ICEBERG"
    assert params["metadata_location"].startswith(f"s3://{BUCKET}/users/metadata/")


def test_select_star_leaves_the_excluded_column_out(analyst: Any) -> None:
    analyst.execute("SELECT * FROM users ORDER BY user_id")
    assert [d[0] for d in analyst.description] == ["user_id", "email", "country"]
    assert analyst.fetchall() == [(1, "a@example.com", "JP"), (2, "b@example.com", "US")]


@pytest.mark.parametrize(
    ("sql", "where"),
    [
        ("SELECT ssn FROM users", "1:8"),
        ('SELECT "SSN" FROM users', "1:8"),
        ("SELECT u.ssn FROM users u", "1:8"),
        ("WITH x AS (SELECT * FROM users) SELECT ssn FROM x", "1:40"),
        ("SELECT count(DISTINCT ssn) FROM users", "1:23"),
        ("SELECT * FROM users WHERE ssn LIKE '1%'", "1:27"),
        ("SELECT country, count(*) FROM users GROUP BY country, ssn", "1:55"),
        ("SELECT a.email FROM users a JOIN users b ON a.ssn = b.ssn", "1:45"),
        ("SELECT email FROM users WHERE user_id IN (SELECT user_id FROM users WHERE ssn IS NOT NULL)", "1:75"),
        ("SELECT email\nFROM users\nORDER BY ssn", "3:10"),
    ],
)
def test_naming_the_excluded_column_anywhere_fails_like_athena(analyst: Any, sql: str, where: str) -> None:
    reason = _denied(analyst, sql)
    match = DENIED.match(reason)
    assert match, reason
    assert f"{match.group(1)}:{match.group(2)}" == where


def test_an_alias_named_ssn_is_not_the_column(analyst: Any) -> None:
    analyst.execute("SELECT email AS ssn FROM users WHERE user_id = 1")
    assert analyst.fetchall() == [("a@example.com",)]


def test_describe_shows_the_analyst_only_its_columns(analyst: Any) -> None:
    analyst.execute("DESCRIBE users")
    assert [r[0] for r in analyst.fetchall()] == ["user_id", "email", "country"]


def test_the_data_lake_admin_sees_every_column(admin: Any) -> None:
    admin.execute("SELECT ssn FROM users ORDER BY user_id")
    assert admin.fetchall() == [("123-45-6789",), ("987-65-4321",)]


def test_writes_need_their_own_permission(analyst: Any) -> None:
    reason = _denied(analyst, "INSERT INTO users (user_id) VALUES (3)")
    assert "Insufficient Lake Formation permission(s)" in reason and f"{DB}.users" in reason


def test_a_table_without_any_grant_is_refused(client: Callable[[str], Any], admin: Any, analyst: Any) -> None:
    admin.execute(
        f"CREATE TABLE secrets (k string) LOCATION 's3://{BUCKET}/secrets/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    reason = _denied(analyst, "SELECT * FROM secrets")
    assert reason.startswith("Insufficient permissions to execute the query. Insufficient Lake Formation permission")


def test_iam_allowed_principals_on_the_table_opens_every_column(
    client: Callable[[str], Any], analyst: Any, lake: Any
) -> None:
    lf = client("lakeformation")
    iap = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
    table = {"Table": {"DatabaseName": DB, "Name": "users"}}
    lf.grant_permissions(Principal=iap, Resource=table, Permissions=["ALL"])
    try:
        analyst.execute("SELECT ssn FROM users ORDER BY user_id")
        assert analyst.fetchall() == [("123-45-6789",), ("987-65-4321",)]
    finally:
        lf.revoke_permissions(Principal=iap, Resource=table, Permissions=["ALL"])
    assert DENIED.match(_denied(analyst, "SELECT ssn FROM users"))


def test_an_analyst_made_admin_sees_every_column(client: Callable[[str], Any], analyst: Any, lake: Any) -> None:
    lf = client("lakeformation")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    admins = settings["DataLakeAdmins"]
    lf.put_data_lake_settings(
        DataLakeSettings={**settings, "DataLakeAdmins": [*admins, {"DataLakePrincipalIdentifier": lake["role"]}]}
    )
    try:
        analyst.execute("SELECT ssn FROM users WHERE user_id = 1")
        assert analyst.fetchall() == [("123-45-6789",)]
    finally:
        lf.put_data_lake_settings(DataLakeSettings=settings)


def test_without_describe_on_default_athena_refuses(client: Callable[[str], Any], analyst: Any, lake: Any) -> None:
    lf = client("lakeformation")
    principal = {"DataLakePrincipalIdentifier": lake["role"]}
    default = {"Database": {"Name": "default"}}
    lf.revoke_permissions(Principal=principal, Resource=default, Permissions=["DESCRIBE"])
    try:
        assert "Required Describe on default" in _denied(analyst, "SELECT email FROM users")
    finally:
        lf.grant_permissions(Principal=principal, Resource=default, Permissions=["DESCRIBE"])


def test_new_tables_get_the_default_permissions_the_settings_name(client: Callable[[str], Any], lake: Any) -> None:
    """On AWS a table created while CreateTableDefaultPermissions names IAMAllowedPrincipals is open."""
    lf, glue = client("lakeformation"), client("glue")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    iap = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
    lf.put_data_lake_settings(
        DataLakeSettings={**settings, "CreateTableDefaultPermissions": [{"Principal": iap, "Permissions": ["ALL"]}]}
    )
    try:
        glue.create_table(DatabaseName=DB, TableInput={"Name": "born_open"})
    finally:
        lf.put_data_lake_settings(DataLakeSettings=settings)
    resource = {"Table": {"DatabaseName": DB, "Name": "born_open"}}
    grants = lf.list_permissions(Principal=iap, Resource=resource)["PrincipalResourcePermissions"]
    assert [g["Permissions"] for g in grants] == [["ALL"]]
    glue.delete_table(DatabaseName=DB, Name="born_open")
    assert lf.list_permissions(Principal=iap, Resource=resource)["PrincipalResourcePermissions"] == []
