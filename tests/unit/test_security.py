"""Exit check 6's judging, and the Lake Formation rules the emulator's Athena applies, without a stack."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.checks.security import SecurityReadback, column_denied, judge_security
from lakehouse.config import project_root
from lakehouse.emulator.sql.access import Access, RowFilterNotEmulated

DB, TABLE = "gold", "users"
ANALYST = "arn:aws:iam::123456789012:role/lh-analyst"
ADMIN = "arn:aws:iam::123456789012:user/deployer"
DENIED = (
    "COLUMN_NOT_FOUND: line 1:8: Column 'ssn' cannot be resolved or requester is not authorized to access "
    "requested resources"
)
COLUMNS = ["user_id", "email", "ssn", "country"]


def grant(principal: str, resource: dict[str, Any], *permissions: str) -> dict[str, Any]:
    return {
        "Principal": {"DataLakePrincipalIdentifier": principal},
        "Resource": resource,
        "Permissions": list(permissions),
        "PermissionsWithGrantOption": [],
    }


EXCLUDING_SSN = grant(
    ANALYST,
    {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}},
    "SELECT",
)


def healthy() -> SecurityReadback:
    return SecurityReadback(
        database=DB,
        table=TABLE,
        hidden=["ssn"],
        analyst_role_arn=ANALYST,
        analyst_caller_arn="arn:aws:sts::123456789012:assumed-role/lh-analyst/lakehouse-exit6",
        privileged_arn=ADMIN,
        select_all=QueryRecord(
            sql="SELECT * FROM gold.users", columns=["user_id", "email"], rows=[[1, "a"]], row_count=1
        ),
        denied={"ssn": QueryRecord(sql='SELECT "ssn" FROM gold.users LIMIT 1', error=DENIED)},
        privileged=QueryRecord(sql="SELECT count(*) ...", columns=["row_count", "ssn_values"], rows=[[20, 20]]),
        settings={"DataLakeAdmins": [{"DataLakePrincipalIdentifier": ADMIN}]},
        grants=[EXCLUDING_SSN],
    )


def test_a_healthy_readback_passes_with_its_evidence() -> None:
    result = judge_security(healthy())
    assert result.passed, result.reason
    assert result.measured["hidden_denied"] == ["ssn"]
    assert [q["principal"] for q in result.details["queries"]] == [
        ADMIN,
        healthy().analyst_caller_arn,
        healthy().analyst_caller_arn,
    ]
    assert result.details["grants"] == [EXCLUDING_SSN]


@pytest.mark.parametrize(
    ("change", "kind", "reason"),
    [
        (
            {"select_all": QueryRecord(sql="SELECT *", columns=["user_id", "SSN"], rows=[[1, "x"]], row_count=1)},
            "select_all",
            "the analyst's SELECT * on gold.users returns SSN",
        ),
        (
            {"select_all": QueryRecord(sql="SELECT *", columns=["user_id"], rows=[], row_count=0)},
            "select_all",
            "returned no rows",
        ),
        (
            {"select_all": QueryRecord(sql="SELECT *", error="boom")},
            "select_all",
            "SELECT * on gold.users failed: boom",
        ),
        ({"analyst_caller_arn": ADMIN}, "select_all", "the role was not assumed"),
        (
            {"denied": {"ssn": QueryRecord(sql="SELECT ssn", columns=["ssn"], rows=[["1"]])}},
            "denied",
            "the analyst read ssn",
        ),
        (
            {"denied": {"ssn": QueryRecord(sql="SELECT ssn", error="Insufficient Lake Formation permission(s)")}},
            "denied",
            "not with COLUMN_NOT_FOUND",
        ),
        (
            {"privileged": QueryRecord(sql="SELECT count", columns=["row_count", "ssn_values"], rows=[[20, 0]])},
            "privileged",
            "ssn holds no values for the privileged principal",
        ),
        (
            {"privileged": QueryRecord(sql="SELECT count", error="COLUMN_NOT_FOUND: ssn")},
            "privileged",
            "could not read ssn",
        ),
    ],
)
def test_what_the_queries_show_fails_the_check(change: dict[str, Any], kind: str, reason: str) -> None:
    result = judge_security(replace(healthy(), **change))
    assert not result.passed
    assert any(reason in p for p in result.details["problems"][kind]), result.details["problems"]
    assert result.reason and result.reason.startswith(result.details["problems"][kind][0][:20])


@pytest.mark.parametrize(
    ("extra", "settings", "reason"),
    [
        (
            [grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": DB, "Name": TABLE}}, "ALL")],
            {},
            "IAMAllowedPrincipals holds ['ALL'] on gold.users",
        ),
        (
            [grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": DB, "TableWildcard": {}}}, "ALL")],
            {},
            "IAMAllowedPrincipals holds",
        ),
        ([], {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": ANALYST}]}, "is a data lake admin"),
        ([], {"ReadOnlyAdmins": [{"DataLakePrincipalIdentifier": ANALYST}]}, "is a read-only data lake admin"),
        (
            [grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": "USERS"}}, "SELECT")],
            {},
            "the analyst holds SELECT on ssn of gold.users through a table-level grant",
        ),
        (
            [
                grant(
                    ANALYST,
                    {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["email", "SSN"]}},
                    "SELECT",
                )
            ],
            {},
            "through a grant naming it",
        ),
        (
            [grant(ANALYST, {"DataCellsFilter": {"DatabaseName": DB, "TableName": TABLE, "Name": "f"}}, "SELECT")],
            {},
            "through data cells filter f",
        ),
        (
            [],
            {
                "CreateTableDefaultPermissions": [
                    {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}}
                ]
            },
            "CreateTableDefaultPermissions still give IAMAllowedPrincipals",
        ),
    ],
)
def test_grants_that_open_ssn_fail_the_check(
    extra: list[dict[str, Any]], settings: dict[str, Any], reason: str
) -> None:
    rb = healthy()
    rb.grants = [*rb.grants, *extra]
    rb.settings = {**rb.settings, **settings}
    rb.filters = [{"Name": "f", "DatabaseName": DB, "TableName": TABLE, "ColumnWildcard": {}}]
    result = judge_security(rb)
    assert not result.passed
    assert any(reason in p for p in result.details["problems"]["grants"]), result.details["problems"]["grants"]


def test_grants_that_keep_ssn_hidden_pass() -> None:
    rb = healthy()
    rb.grants = [
        *rb.grants,
        grant(ANALYST, {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["email"]}}, "SELECT"),
        grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": "orders"}}, "SELECT"),
        grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": TABLE}}, "DESCRIBE"),
        grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": "silver", "Name": TABLE}}, "ALL"),
    ]
    assert judge_security(rb).passed


def test_column_denied_matches_athena_and_qualified_names_only() -> None:
    assert column_denied("ssn").search(DENIED)
    assert column_denied("ssn").search(DENIED.replace("'ssn'", "'u.ssn'").replace("1:8", "3:14"))
    assert not column_denied("ssn").search(DENIED.replace("'ssn'", "'ssn_hash'"))
    assert not column_denied("ssn").search("Insufficient Lake Formation permission(s) on gold.users")


# -- the rules the emulator's Athena applies ---------------------------------------------------------


def access(*grants: dict[str, Any], **kwargs: Any) -> Access:
    return Access(principal=ANALYST, grants=list(grants), **kwargs)


def test_a_column_wildcard_with_exclusion_leaves_the_column_out_case_insensitively() -> None:
    excluding = grant(
        ANALYST,
        {
            "TableWithColumns": {
                "DatabaseName": "GOLD",
                "Name": TABLE,
                "ColumnWildcard": {"ExcludedColumnNames": ["SSN"]},
            }
        },
        "SELECT",
    )
    assert access(excluding).readable_columns(DB, TABLE, COLUMNS) == ["user_id", "email", "country"]


def test_grants_add_up_and_iam_allowed_principals_opens_everything() -> None:
    named = grant(ANALYST, {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["ssn"]}}, "SELECT")
    assert access(EXCLUDING_SSN, named).readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    iap = grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": DB, "Name": TABLE}}, "ALL")
    assert access(EXCLUDING_SSN, iap).readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert not access(EXCLUDING_SSN, iap).governed(DB, TABLE)


def test_admins_see_everything_and_strangers_nothing() -> None:
    assert access(admin=True).readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert access(read_only_admin=True).readable_columns(DB, TABLE, COLUMNS) == COLUMNS
    assert access(read_only_admin=True).table_permissions(DB, TABLE) == {"SELECT", "DESCRIBE"}
    assert access().readable_columns(DB, TABLE, COLUMNS) is None
    other = grant("arn:aws:iam::123456789012:role/other", {"Table": {"DatabaseName": DB, "Name": TABLE}}, "ALL")
    assert access(other).readable_columns(DB, TABLE, COLUMNS) is None


def test_describe_alone_reads_nothing_and_all_means_every_permission() -> None:
    describe = grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": TABLE}}, "DESCRIBE")
    assert access(describe).readable_columns(DB, TABLE, COLUMNS) is None
    wildcard = grant(ANALYST, {"Table": {"DatabaseName": DB, "TableWildcard": {}}}, "ALL")
    assert {"SELECT", "INSERT", "DELETE"} <= access(wildcard).table_permissions(DB, TABLE)


def test_data_cells_filter_columns_apply_and_row_filters_are_refused() -> None:
    on_filter = grant(ANALYST, {"DataCellsFilter": {"DatabaseName": DB, "TableName": TABLE, "Name": "f"}}, "SELECT")
    columns_only = {"ColumnNames": ["email"], "RowFilter": {"AllRowsWildcard": {}}}
    assert access(on_filter, filters={(DB, TABLE, "f"): columns_only}).readable_columns(DB, TABLE, COLUMNS) == ["email"]
    rows = {"ColumnNames": ["email"], "RowFilter": {"FilterExpression": "country = 'JP'"}}
    with pytest.raises(RowFilterNotEmulated):
        access(on_filter, filters={(DB, TABLE, "f"): rows}).readable_columns(DB, TABLE, COLUMNS)


# -- Terraform and the pipeline agree on Gold users ----------------------------------------------------


def test_terraform_gold_users_columns_match_the_pipeline_ddl() -> None:
    """governance.tf creates the table the pipeline's CREATE TABLE IF NOT EXISTS would have created."""
    hcl = (project_root() / "infra" / "governance.tf").read_text()
    terraform = re.findall(r'\{ name = "(\w+)", type = "([^"]+)" \}', hcl)
    sql = (project_root() / "pipeline" / "sql" / "30_gold.sql").read_text()
    ddl = re.search(r"CREATE TABLE IF NOT EXISTS \$\{gold_db\}\.users \((.*?)\)\s*LOCATION", sql, re.S)
    assert ddl
    pipeline = [
        (name, kind.replace(" ", "")) for name, kind in re.findall(r"(\w+) ([a-z]+(?:\(\d+,\s*\d+\))?)", ddl.group(1))
    ]
    assert terraform == pipeline
