"""Athena views in the emulator: Presto views in Glue, run with the invoker's Lake Formation rights.

A plain Athena view is a Glue table of type VIRTUAL_VIEW whose ``ViewOriginalText`` carries the
query. Lake Formation has no definer rights for it: querying it needs SELECT on the view and on
every underlying column the view reads ("users with rights on the view but not on the underlying
table or columns are not able to use the VIEW to query data").
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pyathena.error import OperationalError

from lakehouse.checks.security_model import SecurityReadback
from lakehouse.checks.security_queries import copied_value_problems, invoker_refused, select_all_problems
from lakehouse.checks.security_read import probe_tables, read_catalog
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target
from tests.emulator.lf_stack import WORK_GROUP, Lake, build_lake

REGION = "me-central-1"  # a region of its own: build_lake names buckets and roles by region
DB = "view_gold"
COUNTRIES = [("JP", 2), ("US", 1)]
PRESTO = re.compile(r"^/\* Presto View: ([A-Za-z0-9+/=]+) \*/$")


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


def _view(lake: Lake, admin: Any, name: str, query: str) -> None:
    admin.execute(f"CREATE OR REPLACE VIEW {DB}.{name} AS {query}")


def test_create_view_leaves_a_presto_view_in_glue(lake: Lake, admin: Any) -> None:
    _view(lake, admin, "emails", "SELECT user_id, email AS mail FROM users WHERE user_id < 3")
    table = lake.client("glue").get_table(DatabaseName=DB, Name="emails")["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW"
    assert table["ViewExpandedText"] == "/* Presto View */"
    found = PRESTO.match(table["ViewOriginalText"])
    assert found, table["ViewOriginalText"]
    body = json.loads(base64.b64decode(found.group(1)))
    assert body["originalSql"] == "SELECT user_id, email AS mail FROM users WHERE user_id < 3"
    assert (body["catalog"], body["schema"]) == ("awsdatacatalog", DB)
    assert body["columns"] == [{"name": "user_id", "type": "bigint"}, {"name": "mail", "type": "varchar"}]
    columns = table["StorageDescriptor"]["Columns"]
    assert [(c["Name"], c["Type"]) for c in columns] == [("user_id", "bigint"), ("mail", "string")]
    assert table["Parameters"]["presto_view"] == "true"


def test_a_view_is_queried_like_a_table_and_shows_its_create_statement(admin: Any) -> None:
    admin.execute(f"CREATE OR REPLACE VIEW {DB}.countries AS SELECT country, count(*) AS n FROM users GROUP BY 1")
    admin.execute("SELECT country, n FROM countries ORDER BY country")
    assert admin.fetchall() == COUNTRIES
    admin.execute(f"SHOW CREATE VIEW {DB}.countries")
    text = "\n".join(r[0] for r in admin.fetchall())
    assert text.startswith(f'CREATE VIEW "awsdatacatalog"."{DB}"."countries"'), text
    assert "SELECT country, count(*) AS n FROM users GROUP BY 1" in text


def test_create_view_without_replace_refuses_an_existing_name_and_drop_view_removes_it(lake: Lake, admin: Any) -> None:
    _view(lake, admin, "once", "SELECT user_id FROM users")
    assert "already exists" in _denied(admin, f"CREATE VIEW {DB}.once AS SELECT email FROM users")
    admin.execute(f"DROP VIEW {DB}.once")
    assert "once" not in [t["Name"] for t in lake.client("glue").get_tables(DatabaseName=DB)["TableList"]]
    admin.execute(f"DROP VIEW IF EXISTS {DB}.once")
    assert "does not exist" in _denied(admin, f"DROP VIEW {DB}.once")
    assert "does not exist" in _denied(admin, f"SELECT * FROM {DB}.once")


def test_drop_view_does_not_drop_a_table_nor_drop_table_a_view(lake: Lake, admin: Any) -> None:
    _view(lake, admin, "kept", "SELECT user_id FROM users")
    assert "not a view" in _denied(admin, f"DROP VIEW {DB}.users")
    assert "Cannot drop a view with DROP TABLE" in _denied(admin, f"DROP TABLE {DB}.kept")
    assert {"users", "kept"} <= {t["Name"] for t in lake.client("glue").get_tables(DatabaseName=DB)["TableList"]}


def test_the_analyst_needs_select_on_the_view(lake: Lake, admin: Any, analyst: Any) -> None:
    _view(lake, admin, "no_grant", "SELECT user_id, email FROM users")
    reason = _denied(analyst, "SELECT * FROM no_grant")
    assert "Insufficient Lake Formation permission" in reason and f"{DB}.no_grant" in reason


def test_a_view_reading_a_column_the_invoker_lacks_is_refused_with_a_grant_on_the_view(
    lake: Lake, admin: Any, analyst: Any
) -> None:
    _view(lake, admin, "users_v", "SELECT user_id, ssn AS tax_id FROM users")
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "users_v"}}, ["SELECT"])
    reason = _denied(analyst, "SELECT * FROM users_v")
    assert re.match(r"^COLUMN_NOT_FOUND: .*Column '(?:\w+\.)?ssn' cannot be resolved or requester is not", reason)
    admin.execute("SELECT tax_id FROM users_v ORDER BY user_id")  # the view itself is sound
    assert admin.fetchall()[0] == ("123-45-6789",)


def test_with_rights_on_the_view_and_its_columns_the_invoker_reads_rows(lake: Lake, admin: Any, analyst: Any) -> None:
    _view(lake, admin, "mails", "SELECT user_id, upper(email) AS mail FROM users")
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "mails"}}, ["SELECT"])
    analyst.execute("SELECT * FROM mails WHERE user_id < 3 ORDER BY user_id")
    assert analyst.fetchall() == [(1, "A@EXAMPLE.COM"), (2, "B@EXAMPLE.COM")]


def test_a_grant_of_the_base_column_opens_the_view(lake: Lake, admin: Any, analyst: Any) -> None:
    _view(lake, admin, "tax", "SELECT user_id, ssn AS tax_id FROM users")
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "tax"}}, ["SELECT"])
    ssn = {"TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnNames": ["ssn"]}}
    lake.grant("analyst", ssn, ["SELECT"])
    try:
        analyst.execute("SELECT tax_id FROM tax WHERE user_id = 1")
        assert analyst.fetchall() == [("123-45-6789",)]
    finally:
        lake.revoke("analyst", ssn, ["SELECT"])
    assert "COLUMN_NOT_FOUND" in _denied(analyst, "SELECT tax_id FROM tax")


def test_a_column_grant_on_a_view_opens_nothing(lake: Lake, admin: Any, analyst: Any) -> None:
    _view(lake, admin, "partial", "SELECT user_id, email FROM users")
    lake.grant(
        "analyst", {"TableWithColumns": {"DatabaseName": DB, "Name": "partial", "ColumnNames": ["user_id"]}}, ["SELECT"]
    )
    assert "Column-level permissions are not available for a VIEW" in _denied(analyst, "SELECT user_id FROM partial")


def test_a_view_over_a_table_read_through_a_row_filter_is_refused(lake: Lake, admin: Any) -> None:
    """Cell filters defined on a table do not apply to views of it: the emulator refuses rather than guess."""
    lake.add_role("jp_view")
    for database in (DB, "default"):
        lake.grant("jp_view", {"Database": {"Name": database}}, ["DESCRIBE"])
    account = lake.client("sts").get_caller_identity()["Account"]
    where = {"TableCatalogId": account, "DatabaseName": DB, "TableName": "users", "Name": "jp_for_views"}
    spec = {"ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}, "RowFilter": {"FilterExpression": "country = 'JP'"}}
    lake.client("lakeformation").create_data_cells_filter(TableData={**where, **spec})
    lake.grant("jp_view", {"DataCellsFilter": where}, ["SELECT"])
    _view(lake, admin, "jp_mails", "SELECT user_id, email FROM users")
    lake.grant("jp_view", {"Table": {"DatabaseName": DB, "Name": "jp_mails"}}, ["SELECT"])
    with lake.cursor("jp_view") as cursor:
        cursor.execute("SELECT user_id FROM users ORDER BY user_id")  # the filter itself works on the table
        assert cursor.fetchall() == [(1,), (3,)]
        assert "cell filters do not apply to views" in _denied(cursor, "SELECT * FROM jp_mails")


def test_definer_views_are_refused_naming_the_emulator(admin: Any) -> None:
    reason = _denied(
        admin, f"CREATE PROTECTED MULTI DIALECT VIEW {DB}.masked SECURITY DEFINER AS SELECT user_id FROM users"
    )
    assert reason.startswith("NOT_SUPPORTED") and "emulator" in reason, reason


def _exit_6(lake: Lake) -> SecurityReadback:
    """Exit check 6's probes of this lake's database as ``read_security`` makes them (views included)."""
    target = Target("local", REGION, endpoint_url=lake.emulator.endpoint)
    _, catalog = read_catalog(target)
    mine = [t for t in catalog if t.database == DB]
    outputs = {"athena_workgroup_name": WORK_GROUP, "analyst_workgroup_name": WORK_GROUP}
    outputs["glue_database_names"] = {"gold": DB}  # type: ignore[assignment]
    tables = [t for t in mine if t.holding(["ssn"])]
    others = [t for t in mine if not t.holding(["ssn"])]
    caller, probes, value_probes, values = probe_tables(
        target, outputs, tables, ["ssn"], lake.session("analyst"), others
    )
    assert not isinstance(values, str), values
    rb = SecurityReadback(
        hidden=["ssn"],
        gold_database=DB,
        analyst_role_arn=lake.roles["analyst"],
        analyst_caller_arn=caller,
        privileged_arn=lake.admin_arn,
        probes=probes,
        value_probes=value_probes,
    )
    rb.hidden_value_count = len(values)
    return rb


def test_exit_6_reads_views_and_catches_only_the_one_that_hands_ssn_values_over(lake: Lake, admin: Any) -> None:
    _view(lake, admin, "exposed", "SELECT user_id, ssn AS tax_id FROM users")
    _view(lake, admin, "granted_only", "SELECT user_id, email FROM users")
    for name in ("exposed", "granted_only"):
        lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": name}}, ["SELECT"])
    views = {t.name: t for t in read_catalog(Target("local", REGION, endpoint_url=lake.emulator.endpoint))[1]}
    assert views["exposed"].view and views["exposed"].columns == ["user_id", "tax_id"]
    rb = _exit_6(lake)
    # Invoker rights without ssn: the analyst's query of the view fails, which is no leak, and is recorded.
    assert [p for p in copied_value_problems(rb) + select_all_problems(rb) if "exposed" in p] == []
    assert f"{DB}.exposed" in invoker_refused(rb)
    granted = next(v for v in rb.value_probes if v.table.name == "granted_only")
    assert granted.select_all.ok and granted.select_all.row_count == 3 and granted.leaks == {}
    ssn = {"TableWithColumns": {"DatabaseName": DB, "Name": "users", "ColumnNames": ["ssn"]}}
    lake.grant("analyst", ssn, ["SELECT"])
    try:
        rb = _exit_6(lake)
    finally:
        lake.revoke("analyst", ssn, ["SELECT"])
    leaks = [p for p in copied_value_problems(rb) if f"{DB}.exposed " in p]
    assert leaks and "in column(s) tax_id (3 of 3 rows)" in leaks[0], copied_value_problems(rb)
    assert not [p for p in copied_value_problems(rb) if "granted_only" in p]
