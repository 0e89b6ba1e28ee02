"""The emulator's Athena applies Lake Formation grants the way Athena does.

Set up like the stack (tests/emulator/lf_stack.py): the deployer is the data lake admin, default
IAMAllowedPrincipals permissions are cleared before the database and the Iceberg table exist, and
an analyst role has DESCRIBE on its database and on ``default`` and SELECT on every column but
``ssn``. The analyst queries through pyathena with keys from the emulator's STS, as a person would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.lf_stack import Lake, build_lake, principal

REGION = "eu-west-3"
DB = "lf_gold"
DENIED = re.compile(
    r"^COLUMN_NOT_FOUND: line (\d+):(\d+): Column '(?:\w+\.)?ssn' cannot be resolved or requester is not "
    r"authorized to access requested resources$"
)


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    return build_lake(emulator, REGION, DB)


@pytest.fixture
def analyst(lake: Lake) -> Iterator[Any]:
    with lake.cursor("analyst") as cursor:
        yield cursor


@pytest.fixture
def admin(lake: Lake) -> Iterator[Any]:
    with lake.cursor() as cursor:
        yield cursor


def _denied(cursor: Any, sql: str) -> str:
    with pytest.raises(OperationalError) as err:
        cursor.execute(sql)
    return str(err.value)


def test_glue_open_table_format_input_creates_a_readable_iceberg_table(lake: Lake) -> None:
    params = lake.client("glue").get_table(DatabaseName=DB, Name="users")["Table"]["Parameters"]
    assert params["table_type"] == "ICEBERG"
    assert params["metadata_location"].startswith(f"s3://{lake.bucket}/users/metadata/")


def test_select_star_leaves_the_excluded_column_out(analyst: Any) -> None:
    analyst.execute("SELECT * FROM users WHERE user_id < 3 ORDER BY user_id")
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


def test_information_schema_shows_the_analyst_only_its_columns(analyst: Any, admin: Any) -> None:
    sql = f"SELECT column_name FROM information_schema.columns WHERE table_schema = '{DB}' ORDER BY ordinal_position"
    analyst.execute(sql)
    assert [r[0] for r in analyst.fetchall()] == ["user_id", "email", "country"]
    admin.execute(sql)
    assert [r[0] for r in admin.fetchall()] == ["user_id", "email", "ssn", "country"]


def test_the_data_lake_admin_sees_every_column(admin: Any) -> None:
    admin.execute("SELECT ssn FROM users WHERE user_id < 3 ORDER BY user_id")
    assert admin.fetchall() == [("123-45-6789",), ("987-65-4321",)]


def test_writes_need_their_own_permission(analyst: Any) -> None:
    reason = _denied(analyst, "INSERT INTO users (user_id) VALUES (3)")
    assert "Insufficient Lake Formation permission(s)" in reason and f"{DB}.users" in reason


def test_a_table_without_any_grant_is_refused(lake: Lake, admin: Any, analyst: Any) -> None:
    admin.execute(
        f"CREATE TABLE secrets (k string) LOCATION 's3://{lake.bucket}/secrets/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    reason = _denied(analyst, "SELECT * FROM secrets")
    assert reason.startswith("Insufficient permissions to execute the query. Insufficient Lake Formation permission")
    analyst.execute("SHOW TABLES")
    assert [r[0] for r in analyst.fetchall()] == ["users"]


def test_iam_allowed_principals_on_the_table_opens_every_column(lake: Lake, analyst: Any) -> None:
    lake.grant("IAM_ALLOWED_PRINCIPALS", lake.users_resource(), ["ALL"])
    try:
        analyst.execute("SELECT ssn FROM users WHERE user_id < 3 ORDER BY user_id")
        assert analyst.fetchall() == [("123-45-6789",), ("987-65-4321",)]
    finally:
        lake.revoke("IAM_ALLOWED_PRINCIPALS", lake.users_resource(), ["ALL"])
    assert DENIED.match(_denied(analyst, "SELECT ssn FROM users"))


def test_an_analyst_made_admin_sees_every_column(lake: Lake, analyst: Any) -> None:
    lf = lake.client("lakeformation")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    admins = settings["DataLakeAdmins"]
    lf.put_data_lake_settings(
        DataLakeSettings={**settings, "DataLakeAdmins": [*admins, principal(lake.roles["analyst"])]}
    )
    try:
        analyst.execute("SELECT ssn FROM users WHERE user_id = 1")
        assert analyst.fetchall() == [("123-45-6789",)]
    finally:
        lf.put_data_lake_settings(DataLakeSettings=settings)


def test_without_describe_on_default_athena_refuses(lake: Lake, analyst: Any) -> None:
    default = {"Database": {"Name": "default"}}
    lake.revoke("analyst", default, ["DESCRIBE"])
    try:
        assert "Required Describe on default" in _denied(analyst, "SELECT email FROM users")
    finally:
        lake.grant("analyst", default, ["DESCRIBE"])


def _iap_grants(lake: Lake, database: str, table: str) -> list[list[str]]:
    resource = {"Table": {"DatabaseName": database, "Name": table}}
    answer = lake.client("lakeformation").list_permissions(
        Principal=principal("IAM_ALLOWED_PRINCIPALS"), Resource=resource
    )
    return [g["Permissions"] for g in answer["PrincipalResourcePermissions"]]


def test_new_tables_get_the_default_permissions_their_database_was_born_with(lake: Lake) -> None:
    """On AWS the settings' CreateTableDefaultPermissions are for tables in *new* databases: a database born while
    they name IAMAllowedPrincipals keeps giving its new tables ALL after the settings are cleared (the hole the
    stack's depends_on on the settings closes), and one born after gives them nothing."""
    lf, glue = lake.client("lakeformation"), lake.client("glue")
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    iap = [{"Principal": principal("IAM_ALLOWED_PRINCIPALS"), "Permissions": ["ALL"]}]
    lf.put_data_lake_settings(DataLakeSettings={**settings, "CreateTableDefaultPermissions": iap})
    try:
        glue.create_database(DatabaseInput={"Name": "born_open"})
        glue.create_table(DatabaseName=DB, TableInput={"Name": "in_a_closed_database"})
    finally:
        lf.put_data_lake_settings(DataLakeSettings=settings)
    try:
        assert glue.get_database(Name="born_open")["Database"]["CreateTableDefaultPermissions"] == iap
        assert glue.get_database(Name=DB)["Database"]["CreateTableDefaultPermissions"] == []
        glue.update_database(Name="born_open", DatabaseInput={"Name": "born_open", "Description": "renamed"})
        glue.create_table(DatabaseName="born_open", TableInput={"Name": "users_copy"})
        assert _iap_grants(lake, "born_open", "users_copy") == [["ALL"]]
        assert _iap_grants(lake, DB, "in_a_closed_database") == []
        glue.delete_table(DatabaseName="born_open", Name="users_copy")
        assert _iap_grants(lake, "born_open", "users_copy") == []
    finally:
        glue.delete_table(DatabaseName=DB, Name="in_a_closed_database")
        glue.delete_database(Name="born_open")


def test_a_database_naming_its_own_table_defaults_opens_its_new_tables(lake: Lake) -> None:
    """A database created with CreateTableDefaultPermissions naming IAMAllowedPrincipals (Terraform's
    ``create_table_default_permission``) opens every new table in it, whatever the settings say."""
    glue = lake.client("glue")
    iap = [{"Principal": principal("IAM_ALLOWED_PRINCIPALS"), "Permissions": ["ALL"]}]
    glue.create_database(DatabaseInput={"Name": "own_defaults", "CreateTableDefaultPermissions": iap})
    try:
        glue.create_table(DatabaseName="own_defaults", TableInput={"Name": "users_copy"})
        assert _iap_grants(lake, "own_defaults", "users_copy") == [["ALL"]]
    finally:
        glue.delete_table(DatabaseName="own_defaults", Name="users_copy")
        glue.delete_database(Name="own_defaults")


def _filter(lake: Lake, name: str, **spec: Any) -> dict[str, str]:
    account = lake.client("sts").get_caller_identity()["Account"]
    where = {"TableCatalogId": account, "DatabaseName": DB, "TableName": "users", "Name": name}
    lake.client("lakeformation").create_data_cells_filter(TableData={**where, **spec})
    return where


@pytest.fixture(scope="module")
def filtered(lake: Lake) -> str:
    """A role reading users only through data cells filters: JP rows with some columns, every row's country."""
    lake.add_role("filtered")
    for database in (DB, "default"):
        lake.grant("filtered", {"Database": {"Name": database}}, ["DESCRIBE"])
    jp = _filter(lake, "jp", ColumnNames=["user_id", "email"], RowFilter={"FilterExpression": "country = 'JP'"})
    countries = _filter(lake, "countries", ColumnNames=["user_id", "country"], RowFilter={"AllRowsWildcard": {}})
    for where in (jp, countries):
        lake.grant("filtered", {"DataCellsFilter": where}, ["SELECT"])
    return "filtered"


def test_data_cells_filters_give_the_union_of_their_cells(lake: Lake, filtered: str) -> None:
    """A cell shows when one filter opens both its column and its row; else it is NULL (cell-level security)."""
    with lake.cursor(filtered) as cursor:
        cursor.execute("SELECT * FROM users ORDER BY user_id")
        assert [d[0] for d in cursor.description] == ["user_id", "email", "country"]
        rows = cursor.fetchall()
    assert rows[:3] == [(1, "a@example.com", "JP"), (2, None, "US"), (3, "c@example.com", "JP")]


def test_a_row_filter_alone_hides_rows(lake: Lake) -> None:
    lake.add_role("jp_only")
    for database in (DB, "default"):
        lake.grant("jp_only", {"Database": {"Name": database}}, ["DESCRIBE"])
    where = _filter(
        lake,
        "jp_rows",
        ColumnWildcard={"ExcludedColumnNames": ["ssn"]},
        RowFilter={"FilterExpression": "country = 'JP'"},
    )
    lake.grant("jp_only", {"DataCellsFilter": where}, ["SELECT"])
    with lake.cursor("jp_only") as cursor:
        cursor.execute("SELECT user_id, country FROM users ORDER BY user_id")
        assert cursor.fetchall() == [(1, "JP"), (3, "JP")]
        assert DENIED.match(_denied(cursor, "SELECT count(*) FROM users WHERE ssn IS NOT NULL"))


def test_a_filter_column_list_hides_the_others(lake: Lake, filtered: str) -> None:
    with lake.cursor(filtered) as cursor:
        assert DENIED.match(_denied(cursor, "SELECT ssn FROM users"))


def test_a_row_filter_on_a_double_hides_nan_rows(lake: Lake) -> None:
    """``score > 1`` on a double column: Athena (Trino) compares NaN as IEEE 754 does, false, and drops the row;
    DuckDB orders NaN above every number. The same filter's twin on the bigint column lets its rows through."""
    with lake.cursor() as admin:
        admin.execute(
            f"CREATE TABLE scores (id bigint, score double) LOCATION 's3://{lake.bucket}/scores/' "
            "TBLPROPERTIES ('table_type'='ICEBERG')"
        )
        admin.execute("INSERT INTO scores VALUES (1, CAST('NaN' AS double)), (2, 2E0), (3, NULL)")
    lake.add_role("scored")
    for database in (DB, "default"):
        lake.grant("scored", {"Database": {"Name": database}}, ["DESCRIBE"])
    account = lake.client("sts").get_caller_identity()["Account"]
    for name, expression in (("high", "score > 1"), ("later", "id > 2")):
        where = {"TableCatalogId": account, "DatabaseName": DB, "TableName": "scores", "Name": name}
        spec = {
            "ColumnNames": ["id", "score"] if name == "high" else ["id"],
            "RowFilter": {"FilterExpression": expression},
        }
        lake.client("lakeformation").create_data_cells_filter(TableData={**where, **spec})
        lake.grant("scored", {"DataCellsFilter": where}, ["SELECT"])
    with lake.cursor("scored") as cursor:
        cursor.execute("SELECT id, score FROM scores ORDER BY id")
        assert cursor.fetchall() == [(2, 2.0), (3, None)]


def test_a_row_filter_comparing_a_column_with_a_constant_of_another_type_fails_the_query(lake: Lake) -> None:
    """``user_id > '1' OR user_id <= '1'`` on the bigint ``user_id``: Trino refuses bigint against varchar(1)
    (TYPE_MISMATCH) where DuckDB casts ``'1'`` and answers every row. The twin with integer constants reads them."""
    account = lake.client("sts").get_caller_identity()["Account"]
    for role, expression in (("mistyped", "user_id > '1' OR user_id <= '1'"), ("typed", "user_id > 1 OR user_id <= 1")):
        lake.add_role(role)
        for database in (DB, "default"):
            lake.grant(role, {"Database": {"Name": database}}, ["DESCRIBE"])
        where = {"TableCatalogId": account, "DatabaseName": DB, "TableName": "users", "Name": f"{role}_rows"}
        spec = {"ColumnNames": ["user_id", "country"], "RowFilter": {"FilterExpression": expression}}
        lake.client("lakeformation").create_data_cells_filter(TableData={**where, **spec})
        lake.grant(role, {"DataCellsFilter": where}, ["SELECT"])
    with lake.cursor("mistyped") as cursor:
        error = _denied(cursor, "SELECT user_id FROM users")
    assert error.startswith("TYPE_MISMATCH: "), error
    assert "Cannot apply operator: bigint > varchar(1)" in error, error
    with lake.cursor("typed") as cursor:
        cursor.execute("SELECT user_id FROM users ORDER BY user_id")
        assert cursor.fetchall() == [(1,), (2,), (3,)]
