"""Exit check 6's judging, the IAM evaluator, and the Lake Formation rules the emulator's Athena applies."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from lakehouse.athena import QueryRecord
from lakehouse.checks.cloudfront_routes import LISTING, CloudFrontReadback, Distribution
from lakehouse.checks.iam_access import Policy, decide
from lakehouse.checks.s3_routes import ALL_USERS, AUTHENTICATED_USERS, AccessPoint, BucketAcls
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import (
    PROBE_MARK,
    CatalogTable,
    SecurityReadback,
    TableProbe,
    column_denied,
    location_bucket,
)
from lakehouse.checks.security_read import read_bucket_policy, read_catalog, read_grants, read_table_defaults
from lakehouse.config import project_root
from lakehouse.emulator.sql.access import Access
from lakehouse.outcome import Status

ACCOUNT = "123456789012"
DB, TABLE = "lh_gold", "users"
BRONZE, SILVER = "lh_bronze", "lh_silver"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/lh-analyst"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/lh-analyst/lakehouse-exit6"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/deployer"
BUCKETS = {"bronze": "lh-bronze-1", "silver": "lh-silver-1", "gold": "lh-gold-1", "results": "lh-athena-results-1"}
DENIED = (
    "COLUMN_NOT_FOUND: line 1:8: Column 'ssn' cannot be resolved or requester is not authorized to access "
    "requested resources"
)
NO_ACCESS = "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on {t}"
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

#: The analyst's inline policy as infra/iam.tf writes it: no S3 read on the data buckets.
ANALYST_POLICY = Policy.parse(
    "inline policy lakehouse-analyst",
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "RunQueriesInWorkgroup", "Effect": "Allow", "Action": ["athena:*"], "Resource": "arn:aws:athena:*"},
            {
                "Sid": "ListResultsBucket",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{BUCKETS['results']}",
            },
            {
                "Sid": "ReadWriteQueryResults",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{BUCKETS['results']}/analyst/*",
            },
            {
                "Sid": "LakeFormationCredentialVending",
                "Effect": "Allow",
                "Action": "lakeformation:GetDataAccess",
                "Resource": "*",
            },
        ],
    },
)


def ok(sql: str, columns: list[str], rows: list[list[Any]]) -> QueryRecord:
    return QueryRecord(sql=sql, columns=columns, rows=rows, row_count=len(rows))


def probe(database: str, name: str, analyst: str, location: str) -> TableProbe:
    """A table holding ssn; ``analyst`` is what the analyst got: "hidden", "no access" or "reads"."""
    table = CatalogTable(database, name, ["user_id", "email", "ssn", "country"], location)
    q = table.qualified
    if analyst == "hidden":
        select_all, denied = ok(f"SELECT * FROM {q}", ["user_id", "email", "country"], [[1, "a", "JP"]]), DENIED
    elif analyst == "no access":
        select_all = QueryRecord(sql=f"SELECT * FROM {q}", error=NO_ACCESS.format(t=q))
        denied = NO_ACCESS.format(t=q)
    else:
        select_all, denied = ok(f"SELECT * FROM {q}", COLUMNS, [[1, "a", "123-45-6789", "JP"]]), ""
    ssn = (
        ok(f'SELECT "ssn" FROM {q} LIMIT 1', ["ssn"], [["123-45-6789"]])
        if analyst == "reads"
        else QueryRecord(sql=f'SELECT "ssn" FROM {q} LIMIT 1', error=denied)
    )
    privileged = ok(f"SELECT count(*) ... FROM {q}", ["row_count", "ssn_values"], [[20, 20]])
    return TableProbe(table, ["ssn"], select_all, {"ssn": ssn}, privileged)


def healthy() -> SecurityReadback:
    return SecurityReadback(
        hidden=["ssn"],
        gold_database=DB,
        analyst_role_arn=ANALYST,
        analyst_caller_arn=SESSION,
        privileged_arn=ADMIN,
        account_id=ACCOUNT,
        probes=[
            probe(BRONZE, "users_csv", "no access", f"s3://{BUCKETS['bronze']}/raw/users/"),
            probe(SILVER, "users", "no access", f"s3://{BUCKETS['silver']}/users/"),
            probe(SILVER, "users_rejected", "no access", f"s3://{BUCKETS['silver']}/users_rejected/"),
            probe(DB, TABLE, "hidden", f"s3://{BUCKETS['gold']}/users/"),
        ],
        databases=[BRONZE, SILVER, DB, "default"],
        settings={"DataLakeAdmins": [{"DataLakePrincipalIdentifier": ADMIN}]},
        grants=[
            EXCLUDING_SSN,
            grant(ANALYST, {"Database": {"Name": DB}}, "DESCRIBE"),
            grant(f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline", {"Table": {"DatabaseName": DB, "Name": TABLE}}, "ALL"),
        ],
        identity_policies=[ANALYST_POLICY],
        lake_objects={
            BUCKETS["bronze"]: ["raw/users/lakehouse-exit6-probe", "raw/users/users.csv"],
            BUCKETS["silver"]: ["users/data/00000.parquet", "users/lakehouse-exit6-probe"],
            BUCKETS["gold"]: ["users/lakehouse-exit6-probe", "users/metadata/00001.metadata.json"],
            BUCKETS["results"]: ["results/lakehouse-exit6-probe", "results/3f1c.csv"],
        },
        bucket_policies={b: tls_only(b) for b in BUCKETS.values()},
    )


def tls_only(bucket: str) -> dict[str, Any]:
    """The bucket policy infra/storage.tf puts on every bucket."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def problems(rb: SecurityReadback, kind: str) -> list[str]:
    return list(judge_security(rb).details["problems"][kind])


def test_a_healthy_readback_passes_with_its_evidence() -> None:
    result = judge_security(healthy())
    assert result.passed, result.reason
    assert result.measured["analyst_column_hidden"] == [f"{DB}.{TABLE}"]
    assert result.measured["analyst_no_access"] == [
        f"{BRONZE}.users_csv",
        f"{SILVER}.users",
        f"{SILVER}.users_rejected",
    ]
    assert result.measured["analyst_reads_hidden"] == []
    gold = [q for q in result.details["queries"] if q["table"] == f"{DB}.{TABLE}"]
    assert [q["principal"] for q in gold] == [ADMIN, SESSION, SESSION]
    assert result.details["grants"][0] == EXCLUDING_SSN


# -- what the analyst's queries show ---------------------------------------------------------------------


def _gold(rb: SecurityReadback, **change: Any) -> SecurityReadback:
    rb.probes[-1] = replace(rb.probes[-1], **change)
    return rb


@pytest.mark.parametrize(
    ("change", "kind", "reason"),
    [
        (
            {"select_all": ok("SELECT *", ["user_id", "SSN"], [[1, "x"]])},
            "select_all",
            f"the analyst's SELECT * on {DB}.users returns SSN",
        ),
        ({"select_all": ok("SELECT *", ["user_id"], [])}, "select_all", "returned no rows"),
        (
            {"select_all": QueryRecord(sql="SELECT *", error="boom")},
            "select_all",
            f"SELECT * on {DB}.users failed: boom",
        ),
        (
            {"denied": {"ssn": ok("SELECT ssn", ["ssn"], [["1"]])}},
            "denied",
            f"the analyst read ssn of {DB}.users",
        ),
        (
            {"denied": {"ssn": QueryRecord(sql="SELECT ssn", error="Insufficient Lake Formation permission(s)")}},
            "denied",
            "not with COLUMN_NOT_FOUND",
        ),
        (
            {"privileged": ok("SELECT count", ["row_count", "ssn_values"], [[20, 0]])},
            "privileged",
            f"ssn holds no values in {DB}.users for the privileged principal",
        ),
        (
            {"privileged": QueryRecord(sql="SELECT count", error="COLUMN_NOT_FOUND: ssn")},
            "privileged",
            "could not read ssn",
        ),
    ],
)
def test_what_the_gold_queries_show_fails_the_check(change: dict[str, Any], kind: str, reason: str) -> None:
    result = judge_security(_gold(healthy(), **change))
    assert result.status is Status.FAILED
    assert any(reason in p for p in result.details["problems"][kind]), result.details["problems"]
    assert result.reason and result.reason.startswith(result.details["problems"][kind][0][:20])


def test_the_role_not_assumed_fails_the_check() -> None:
    assert "the role was not assumed" in problems(replace(healthy(), analyst_caller_arn=ADMIN), "select_all")[0]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["bronze-csv", "silver-users", "silver-rejected"])
def test_the_analyst_reading_ssn_in_any_table_fails_the_check(index: int) -> None:
    rb = healthy()
    name = rb.probes[index].table
    rb.probes[index] = probe(name.database, name.name, "reads", name.location or "")
    result = judge_security(rb)
    assert not result.passed
    assert f"the analyst's SELECT * on {name.qualified} returns ssn" in problems(rb, "select_all")
    assert f"the analyst read ssn of {name.qualified}" in problems(rb, "denied")[0]
    assert result.measured["analyst_reads_hidden"] == [name.qualified]


def test_a_reason_quotes_the_probe_without_its_history_mark() -> None:
    """The check's analyst queries end with ``PROBE_MARK`` (so its own history read leaves them out); a reason
    quotes the query as a reader would run it."""
    rb = healthy()
    name = rb.probes[1].table
    rb.probes[1] = probe(name.database, name.name, "reads", name.location or "")
    ssn = rb.probes[1].denied["ssn"]
    rb.probes[1].denied["ssn"] = replace(ssn, sql=ssn.sql + PROBE_MARK)
    said = problems(rb, "denied")[0]
    assert said == f'the analyst read ssn of {name.qualified}: `SELECT "ssn" FROM {name.qualified} LIMIT 1` succeeded'


def test_a_table_failing_for_another_reason_than_access_proves_nothing() -> None:
    rb = healthy()
    rb.probes[1].select_all = QueryRecord(sql="SELECT *", error="HIVE_CURSOR_ERROR: bad file")
    rb.probes[1].denied["ssn"] = QueryRecord(sql="SELECT ssn", error="HIVE_CURSOR_ERROR: bad file")
    assert "failed, but not as access denied" in problems(rb, "select_all")[0]
    assert "not with COLUMN_NOT_FOUND" in problems(rb, "denied")[0]


def test_gold_users_without_ssn_in_the_catalog_fails_the_check() -> None:
    rb = healthy()
    rb.probes.pop()
    assert f"{DB}.users has no ssn column in the Glue catalog" in problems(rb, "privileged")[0]


def test_a_stack_hiding_email_instead_of_ssn_still_has_ssn_tested() -> None:
    """The stack excludes email from its grant; the check's column is the plan's ssn, so it fails."""
    rb = healthy()
    rb.grants[0] = grant(
        ANALYST,
        {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnWildcard": {"ExcludedColumnNames": ["email"]}}},
        "SELECT",
    )
    rb.probes[-1] = probe(DB, TABLE, "reads", f"s3://{BUCKETS['gold']}/users/")
    result = judge_security(rb)
    assert not result.passed
    assert result.threshold.startswith("ssn hidden from the analyst in every catalog table")
    assert any(
        "the analyst holds SELECT on ssn of lh_gold.users through a column wildcard" in p
        for p in problems(rb, "grants")
    )


# -- grants read back ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "settings", "reason"),
    [
        (
            [grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": DB, "Name": TABLE}}, "ALL")],
            {},
            f"IAMAllowedPrincipals holds ['ALL'] on {DB}.users",
        ),
        (
            [grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": SILVER, "TableWildcard": {}}}, "ALL")],
            {},
            f"IAMAllowedPrincipals holds ['ALL'] on {SILVER}.users_rejected",
        ),
        ([], {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": ANALYST}]}, "is a data lake admin"),
        ([], {"ReadOnlyAdmins": [{"DataLakePrincipalIdentifier": ANALYST}]}, "is a read-only data lake admin"),
        (
            [grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": "USERS"}}, "SELECT")],
            {},
            f"the analyst holds SELECT on ssn of {DB}.users through a table-level grant",
        ),
        (
            [grant(ANALYST, {"Table": {"DatabaseName": SILVER, "Name": "users"}}, "SELECT")],
            {},
            f"the analyst holds SELECT on ssn of {SILVER}.users through a table-level grant",
        ),
        (
            [grant(ANALYST, {"Table": {"DatabaseName": SILVER, "Name": "users_rejected"}}, "SELECT")],
            {},
            f"the analyst holds SELECT on ssn of {SILVER}.users_rejected",
        ),
        (
            [
                grant(
                    ANALYST,
                    {"TableWithColumns": {"DatabaseName": BRONZE, "Name": "users_csv", "ColumnNames": ["ssn"]}},
                    "SELECT",
                )
            ],
            {},
            f"the analyst holds SELECT on ssn of {BRONZE}.users_csv through a grant naming it",
        ),
        (
            [grant(ANALYST, {"Table": {"DatabaseName": BRONZE, "TableWildcard": {}}}, "SELECT")],
            {},
            f"the analyst holds SELECT on ssn of {BRONZE}.users_csv through a database-wide grant "
            f"(TableWildcard on {BRONZE})",
        ),
        (
            [grant(ANALYST, {"Database": {"Name": SILVER}}, "ALL")],
            {},
            f"the analyst holds ['ALL'] on database {SILVER}, which holds {SILVER}.users, {SILVER}.users_rejected",
        ),
        (
            [grant(ANALYST, {"Catalog": {}}, "ALL")],
            {},
            "the analyst holds ['ALL'] on the whole catalog",
        ),
        (
            [grant("IAM_ALLOWED_PRINCIPALS", {"Catalog": {"Id": ACCOUNT}}, "SUPER_USER")],
            {},
            "IAMAllowedPrincipals (every IAM principal, the analyst too) holds ['SUPER_USER'] on the whole catalog",
        ),
        (
            [grant(ACCOUNT, {"Table": {"DatabaseName": SILVER, "Name": "users"}}, "SELECT")],
            {},
            f"the whole account {ACCOUNT} holds SELECT on ssn of {SILVER}.users",
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
            [
                grant(
                    ANALYST,
                    {"DataCellsFilter": {"DatabaseName": SILVER, "TableName": "users", "Name": "gone"}},
                    "SELECT",
                )
            ],
            {},
            f"the analyst holds SELECT on ssn of {SILVER}.users through data cells filter gone, which does not "
            "exist or could not be read",
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
    assert result.status is Status.FAILED
    assert any(reason in p for p in result.details["problems"]["grants"]), result.details["problems"]["grants"]


def test_grants_that_keep_ssn_hidden_pass() -> None:
    rb = healthy()
    rb.filters = [{"Name": "no_ssn", "DatabaseName": DB, "TableName": TABLE, "ColumnNames": ["email"]}]
    rb.grants = [
        *rb.grants,
        grant(ANALYST, {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["email"]}}, "SELECT"),
        grant(ANALYST, {"DataCellsFilter": {"DatabaseName": DB, "TableName": TABLE, "Name": "NO_SSN"}}, "SELECT"),
        grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": "orders"}}, "SELECT"),
        grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": TABLE}}, "DESCRIBE"),
        grant(ANALYST, {"Database": {"Name": SILVER}}, "DESCRIBE"),
        grant(ANALYST, {"Catalog": {}}, "DESCRIBE"),
        grant("IAM_ALLOWED_PRINCIPALS", {"Table": {"DatabaseName": "other", "Name": TABLE}}, "ALL"),
        grant(f"arn:aws:iam::{ACCOUNT}:role/other", {"Table": {"DatabaseName": SILVER, "Name": TABLE}}, "ALL"),
    ]
    result = judge_security(rb)
    assert result.passed, result.reason


def _tag_grant(expression: list[dict[str, Any]] | None = None, name: str | None = None) -> dict[str, Any]:
    policy: dict[str, Any] = {"ResourceType": "TABLE"}
    if expression is not None:
        policy["Expression"] = expression
    if name is not None:
        policy["ExpressionName"] = name
    return grant(ANALYST, {"LFTagPolicy": policy}, "SELECT")


PII_TAGS: dict[str, Any] = {
    "LFTagOnDatabase": [{"TagKey": "layer", "TagValues": ["silver"]}],
    "LFTagsOnTable": [{"TagKey": "pii", "TagValues": ["no"]}],
    "LFTagsOnColumns": [{"Name": "ssn", "LFTags": [{"TagKey": "pii", "TagValues": ["yes"]}]}],
}


def test_an_lf_tag_expression_matching_the_ssn_column_fails_the_check() -> None:
    rb = healthy()
    rb.grants.append(_tag_grant([{"TagKey": "layer", "TagValues": ["silver"]}]))
    rb.lf_tags = {p.table.qualified: dict[str, Any]() for p in rb.probes}
    rb.lf_tags[f"{SILVER}.users"] = PII_TAGS
    found = problems(rb, "grants")
    assert found == [
        f"the analyst holds ['SELECT'] on ssn of {SILVER}.users through LF-Tag expression "
        "[{'TagKey': 'layer', 'TagValues': ['silver']}] (TABLE)"
    ]


def test_an_lf_tag_expression_leaving_the_ssn_column_out_passes() -> None:
    rb = healthy()
    rb.grants.append(_tag_grant([{"TagKey": "pii", "TagValues": ["no"]}]))
    rb.lf_tags = {p.table.qualified: dict[str, Any]() for p in rb.probes}
    rb.lf_tags[f"{SILVER}.users"] = PII_TAGS
    assert problems(rb, "grants") == []


@pytest.mark.parametrize(
    ("tags", "expressions", "grant_made", "reason"),
    [
        ({}, {}, _tag_grant([{"TagKey": "pii", "TagValues": ["*"]}]), "could not be read (not read)"),
        (
            {f"{DB}.users": "AccessDeniedException: no"},
            {},
            _tag_grant([{"TagKey": "pii", "TagValues": ["*"]}]),
            "the LF-Tags of lh_gold.users could not be read (AccessDeniedException: no)",
        ),
        (
            {},
            {"saved": "EntityNotFoundException"},
            _tag_grant(name="saved"),
            "LF-Tag expression saved, which could not be resolved",
        ),
    ],
)
def test_an_lf_tag_grant_that_cannot_be_resolved_fails_the_check(
    tags: dict[str, Any], expressions: dict[str, Any], grant_made: dict[str, Any], reason: str
) -> None:
    rb = healthy()
    rb.grants.append(grant_made)
    rb.lf_tags, rb.tag_expressions = tags, expressions
    result = judge_security(rb)
    assert result.status is Status.FAILED
    assert any(reason in p for p in result.details["problems"]["grants"]), result.details["problems"]["grants"]


def test_unreadable_grants_end_the_check_in_error_never_passed() -> None:
    rb = healthy()
    rb.grants, rb.read_errors = [], ["could not read the Lake Formation grants: AccessDeniedException"]
    result = judge_security(rb)
    assert result.status is Status.ERROR
    assert result.reason == "could not read the Lake Formation grants: AccessDeniedException"


def test_a_culprit_found_despite_a_read_error_fails_the_check() -> None:
    rb = healthy()
    rb.read_errors = ["could not read the data cells filters: boom"]
    rb.grants.append(grant(ANALYST, {"Table": {"DatabaseName": SILVER, "Name": "users"}}, "SELECT"))
    result = judge_security(rb)
    assert result.status is Status.FAILED
    assert result.details["read_errors"] == rb.read_errors


# -- the analyst role's IAM policies ------------------------------------------------------------------------


def _policy(source: str, *statements: dict[str, Any]) -> Policy:
    return Policy.parse(source, {"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: Any, resource: Any, sid: str = "Open", effect: str = "Allow", **more: Any) -> dict[str, Any]:
    return {"Sid": sid, "Effect": effect, "Action": action, "Resource": resource, **more}


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (
            _policy("inline policy debug", _allow("s3:GetObject", f"arn:aws:s3:::{BUCKETS['silver']}/*")),
            f"the analyst role reads lake bucket {BUCKETS['silver']} directly from S3, around Lake Formation: "
            f"statement Open of inline policy debug allows s3:GetObject on arn:aws:s3:::{BUCKETS['silver']}/",
        ),
        (
            _policy(
                "attached policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", _allow(["s3:Get*", "s3:List*"], "*")
            ),
            f"lake bucket {BUCKETS['bronze']} directly from S3, around Lake Formation: statement Open of attached "
            "policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess allows s3:GetObject",
        ),
        (_policy("attached policy admin", _allow("*", "*")), f"lake bucket {BUCKETS['gold']}"),
        (_policy("inline policy s3", _allow("S3:*", "arn:aws:s3:::lh-*")), f"lake bucket {BUCKETS['gold']}"),
        (
            _policy(
                "inline policy raw",
                _allow("s3:getobjectversion", f"arn:aws:s3:::{BUCKETS['bronze']}/raw/users/users.csv"),
            ),
            f"allows s3:GetObjectVersion on arn:aws:s3:::{BUCKETS['bronze']}/raw/users/users.csv",
        ),
        (
            _policy("inline policy not", {"Sid": "Broad", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
            "statement Broad of inline policy not (counted as matching: NotAction) allows s3:GetObject",
        ),
        (
            _policy(
                "inline policy cond",
                _allow("s3:GetObject", "*", Condition={"Bool": {"aws:SecureTransport": "true"}}),
            ),
            "(counted as matching: Condition not evaluated)",
        ),
    ],
)
def test_iam_policies_that_read_the_lake_buckets_fail_the_check(policy: Policy, reason: str) -> None:
    rb = healthy()
    rb.identity_policies = [*rb.identity_policies, policy]
    result = judge_security(rb)
    assert result.status is Status.FAILED
    assert any(reason in p for p in result.details["problems"]["iam"]), result.details["problems"]["iam"]


def test_an_iam_policy_read_of_other_buckets_passes() -> None:
    rb = healthy()
    rb.identity_policies.append(
        _policy(
            "inline policy elsewhere",
            _allow("s3:GetObject", "arn:aws:s3:::someone-else/*"),
            _allow("s3:PutObject", f"arn:aws:s3:::{BUCKETS['gold']}/*", sid="WriteOnly"),
            _allow("s3:GetObject", f"arn:aws:s3:::{BUCKETS['silver']}/orders/*", sid="OtherPrefix"),
        )
    )
    assert judge_security(rb).passed


OPEN_SILVER = _policy("inline policy debug", _allow("s3:GetObject", f"arn:aws:s3:::{BUCKETS['silver']}/*"))


@pytest.mark.parametrize(
    ("identity", "boundary", "opened"),
    [
        # a boundary that does not allow S3 reads blocks the identity policy's allow
        ([OPEN_SILVER], _policy("permissions boundary b", _allow("athena:*", "*")), False),
        # a boundary that allows everything lets it through
        ([OPEN_SILVER], _policy("permissions boundary b", _allow("*", "*")), True),
        # a boundary's explicit deny on the lake wins over its own allow
        (
            [OPEN_SILVER],
            _policy(
                "permissions boundary b",
                _allow("*", "*"),
                _allow("s3:GetObject*", "arn:aws:s3:::lh-silver-*", sid="NoLake", effect="Deny"),
            ),
            False,
        ),
        # a boundary deny with a condition might not apply: it does not close anything
        (
            [OPEN_SILVER],
            _policy(
                "permissions boundary b",
                _allow("*", "*"),
                _allow("s3:*", "*", sid="Cond", effect="Deny", Condition={"StringEquals": {"aws:x": "y"}}),
            ),
            True,
        ),
        # a boundary alone grants nothing
        ([ANALYST_POLICY], _policy("permissions boundary b", _allow("*", "*")), False),
        # an identity deny wins over an identity allow
        ([OPEN_SILVER, _policy("inline policy deny", _allow("s3:*", "*", effect="Deny"))], None, False),
    ],
    ids=[
        "boundary-blocks",
        "boundary-allows",
        "boundary-denies",
        "boundary-conditional-deny",
        "boundary-only",
        "identity-deny",
    ],
)
def test_a_permissions_boundary_counts_only_where_it_really_closes_the_read(
    identity: list[Policy], boundary: Policy | None, opened: bool
) -> None:
    rb = replace(healthy(), identity_policies=[ANALYST_POLICY, *identity], boundary=boundary)
    found = problems(rb, "iam")
    assert bool(found) is opened, found
    if opened and boundary is not None:
        assert (
            "and statement Open of permissions boundary b lets it through" in found[0] or "lets it through" in found[0]
        )


def test_the_evaluator_reads_url_encoded_documents_and_single_statements() -> None:
    encoded = (
        "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%2"
        "2s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%7D"
    )
    decision = decide([Policy.parse("inline policy p", encoded)], None, "s3:GetObject", "arn:aws:s3:::b/k")
    assert decision.allowed and decision.allows[0].sid == "#1"
    assert not decide([Policy.parse("p", {"Statement": []})], None, "s3:GetObject", "arn:aws:s3:::b/k").allowed


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
                "DatabaseName": DB.upper(),
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


def test_s3_serving_a_lake_file_to_the_analyst_fails_the_check() -> None:
    """S3's own answer backs the policy reading: a HeadObject that succeeds is a culprit, a 403 is healthy."""
    rb = healthy()
    rb.object_probes = [
        {"table": f"{DB}.users", "object": f"s3://{BUCKETS['gold']}/users/data/1.parquet", "status": "denied"},
        {
            "table": f"{BRONZE}.users_csv",
            "object": f"s3://{BUCKETS['bronze']}/raw/users/users.csv",
            "status": "allowed",
        },
    ]
    assert problems(rb, "iam") == [
        f"the analyst's HeadObject on s3://{BUCKETS['bronze']}/raw/users/users.csv (a file of {BRONZE}.users_csv) "
        "succeeded: S3 serves the lake's files to the analyst directly"
    ]
    rb.object_probes.pop()
    assert judge_security(rb).passed


# -- lake bucket policies and data locations -------------------------------------------------------------


def _with_statements(rb: SecurityReadback, bucket: str, *statements: dict[str, Any]) -> SecurityReadback:
    policy = tls_only(bucket)
    policy["Statement"] = [*policy["Statement"], *statements]
    rb.bucket_policies[bucket] = policy
    return rb


def _grant_to(
    principal: Any, action: Any = "s3:GetObject", bucket: str = BUCKETS["silver"], **more: Any
) -> dict[str, Any]:
    return {
        "Sid": "Share",
        "Effect": "Allow",
        "Principal": principal,
        "Action": action,
        "Resource": f"arn:aws:s3:::{bucket}/*",
        **more,
    }


@pytest.mark.parametrize(
    ("statement", "reason"),
    [
        (
            _grant_to({"AWS": ANALYST}),
            f"the bucket policy of lake bucket {BUCKETS['silver']} lets the analyst role read it directly from S3, "
            f"around Lake Formation: statement Share of the bucket policy of {BUCKETS['silver']} (Principal {ANALYST}) "
            f"allows s3:GetObject on arn:aws:s3:::{BUCKETS['silver']}/",
        ),
        (_grant_to("*", "s3:Get*"), '(Principal "*") allows s3:GetObject'),
        (_grant_to({"AWS": "*"}, "s3:*"), '(Principal "*") allows s3:GetObject'),
        (_grant_to({"AWS": [ADMIN, SESSION]}), f"(Principal {SESSION} (a session of the analyst role))"),
        (
            {**_grant_to(None), "Principal": None, "NotPrincipal": {"AWS": [ADMIN, ANALYST]}},
            "which does not leave out every session of the analyst",
        ),
        (
            _grant_to({"AWS": ANALYST}, Condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}}),
            "(counted as matching: Condition not evaluated: StringEquals aws:SourceVpce) allows s3:GetObject",
        ),
        (
            {**_grant_to({"AWS": ANALYST}), "Action": None, "NotAction": ["s3:PutObject", "s3:DeleteObject"]},
            "allows s3:GetObject",
        ),
        (
            {**_grant_to({"AWS": ANALYST}), "Resource": None, "NotResource": "arn:aws:s3:::elsewhere/*"},
            "allows s3:GetObject",
        ),
        (_grant_to({"AWS": ANALYST}, "s3:GetObjectVersion"), "allows s3:GetObjectVersion"),
        (
            {**_grant_to({"AWS": ANALYST}), "Sid": "Explicit", "Effect": "Deny", "Condition": {"Bool": {"x": "1"}}},
            f"statement Share of the bucket policy of {BUCKETS['silver']}",
        ),
    ],
    ids=[
        "role",
        "star",
        "aws-star",
        "session",
        "not-principal",
        "condition",
        "not-action",
        "not-resource",
        "version",
        "conditional-deny",
    ],
)
def test_a_lake_bucket_policy_letting_the_analyst_read_fails_the_check(statement: dict[str, Any], reason: str) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    # A Deny that does not surely apply must leave the grant it would close open.
    opened = [_grant_to({"AWS": ANALYST})] if statement["Effect"] == "Deny" else []
    rb = _with_statements(healthy(), BUCKETS["silver"], *opened, statement)
    result = judge_security(rb)
    assert result.status is Status.FAILED
    found = result.details["problems"]["bucket_policies"]
    assert any(reason in p for p in found), found
    assert result.measured["bucket_policy_problems"] == len(found)
    assert result.details["bucket_policies"][BUCKETS["silver"]] == rb.bucket_policies[BUCKETS["silver"]]


def test_a_results_bucket_policy_opening_the_pipeline_query_results_fails_the_check() -> None:
    rb = _with_statements(healthy(), BUCKETS["results"], _grant_to({"AWS": ANALYST}, bucket=BUCKETS["results"]))
    result = judge_security(rb)
    assert not result.passed
    assert f"allows s3:GetObject on arn:aws:s3:::{BUCKETS['results']}/results/" in str(result.reason)


def test_a_team_share_an_admin_query_wrote_its_results_to_fails_the_check() -> None:
    """The pipeline's workgroup does not enforce its location; a privileged ``SELECT ssn`` wrote to a team share
    the analyst reads (``query_results`` finds the folder: tests/emulator/test_query_result_locations.py)."""
    share = "lh-team-share-1"
    rb = _with_statements(healthy(), share, _grant_to({"AWS": ANALYST}, bucket=share))
    rb.lake_buckets[share] = [f"query results of workgroup lh, query 3f1c (s3://{share}/exports/)"]
    rb.lake_objects[share] = ["exports/3f1c.csv", "exports/3f1c.csv.metadata", "exports/lakehouse-exit6-probe"]
    result = judge_security(rb)
    assert not result.passed
    reason = str(result.reason)
    assert reason.startswith(f"the bucket policy of lake bucket {share} lets the analyst role read it directly")
    assert f"allows s3:GetObject on arn:aws:s3:::{share}/exports/3f1c.csv" in reason
    assert result.details["lake_buckets"][share] == rb.lake_buckets[share]


def test_the_account_as_principal_opens_only_what_the_identity_policies_allow() -> None:
    root = _grant_to({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "s3:*")
    assert judge_security(_with_statements(healthy(), BUCKETS["silver"], root)).passed
    assert judge_security(
        _with_statements(healthy(), BUCKETS["silver"], {**root, "Principal": {"AWS": ACCOUNT}})
    ).passed
    rb = _with_statements(healthy(), BUCKETS["silver"], root)
    rb.identity_policies.append(
        _policy("inline policy debug", _allow("s3:GetObject", f"arn:aws:s3:::{BUCKETS['silver']}/*"))
    )
    found = judge_security(rb).details["problems"]["bucket_policies"]
    assert any(
        f"(Principal arn:aws:iam::{ACCOUNT}:root (the account: the role's identity policies decide))" in p
        for p in found
    )


@pytest.mark.parametrize(
    "statements",
    [
        [_grant_to({"AWS": ANALYST}), {**_grant_to({"AWS": ANALYST}), "Sid": "No", "Effect": "Deny"}],
        [_grant_to({"AWS": ANALYST}), {**_grant_to("*"), "Sid": "No", "Effect": "Deny"}],
        [_grant_to({"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"})],
        [
            {
                **_grant_to({"Service": "logging.s3.amazonaws.com"}),
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            }
        ],
        [_grant_to({"AWS": ANALYST}, "s3:PutObject")],
        [{**_grant_to({"AWS": ANALYST}), "Resource": f"arn:aws:s3:::{BUCKETS['silver']}/orders/*"}],
        [
            {
                **_grant_to(None),
                "Principal": None,
                "NotPrincipal": {"AWS": [ANALYST, f"arn:aws:sts::{ACCOUNT}:assumed-role/lh-analyst/*"]},
            }
        ],
        [{**_grant_to({"AWS": ANALYST}), "Action": None, "NotAction": "s3:Get*"}],
    ],
    ids=[
        "explicit-deny",
        "deny-everyone",
        "other-role",
        "service-for-this-account",
        "write-only",
        "other-prefix",
        "not-principal-all",
        "not-action-get",
    ],
)
def test_bucket_policies_that_keep_the_analyst_out_pass(statements: list[dict[str, Any]]) -> None:
    statements = [{k: v for k, v in s.items() if v is not None} for s in statements]
    result = judge_security(_with_statements(healthy(), BUCKETS["silver"], *statements))
    assert result.passed, result.reason


def test_an_explicit_deny_in_the_identity_policy_closes_a_bucket_policy_grant() -> None:
    rb = _with_statements(healthy(), BUCKETS["silver"], _grant_to({"AWS": ANALYST}))
    rb.identity_policies.append(_policy("inline policy fence", _allow("s3:*", "*", sid="Fence", effect="Deny")))
    assert judge_security(rb).passed


def _location(principal: str, arn: str, *permissions: str) -> dict[str, Any]:
    return grant(principal, {"DataLocation": {"ResourceArn": arn}}, *permissions)


@pytest.mark.parametrize(
    ("arn", "culprit"),
    [
        (f"arn:aws:s3:::{BUCKETS['gold']}", f"{DB}.{TABLE}"),
        (f"arn:aws:s3:::{BUCKETS['bronze']}/raw", f"{BRONZE}.users_csv"),
        (f"arn:aws:s3:::{BUCKETS['silver']}/users/data", f"{SILVER}.users"),
    ],
)
def test_data_location_access_over_a_table_holding_ssn_fails_the_check(arn: str, culprit: str) -> None:
    rb = healthy()
    rb.grants.append(_location(ANALYST, arn, "DATA_LOCATION_ACCESS"))
    result = judge_security(rb)
    assert not result.passed
    assert any(
        p.startswith(
            f"the analyst holds ['DATA_LOCATION_ACCESS'] on data location {arn}, which holds the files of {culprit}"
        )
        for p in result.details["problems"]["grants"]
    ), result.details["problems"]["grants"]


def test_data_location_access_elsewhere_or_to_others_passes() -> None:
    rb = healthy()
    rb.grants += [
        _location(ANALYST, f"arn:aws:s3:::{BUCKETS['gold']}/scratch", "DATA_LOCATION_ACCESS"),
        _location(ANALYST, "arn:aws:s3:::someone-else", "DATA_LOCATION_ACCESS"),
        _location(
            f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline", f"arn:aws:s3:::{BUCKETS['gold']}", "DATA_LOCATION_ACCESS"
        ),
    ]
    assert judge_security(rb).passed
    rb.grants.append(_location("IAM_ALLOWED_PRINCIPALS", f"arn:aws:s3:::{BUCKETS['gold']}", "DATA_LOCATION_ACCESS"))
    assert "IAMAllowedPrincipals" in str(judge_security(rb).reason)


def test_bucket_policies_are_read_back_and_a_missing_one_opens_nothing() -> None:
    client = boto3.client("s3", region_name="ap-northeast-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("get_bucket_policy", {"Policy": json.dumps(tls_only("b"))}, {"Bucket": "b"})
        stub.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", "none", 404)
        stub.add_client_error("get_bucket_policy", "NoSuchBucket", "gone", 404)
        stub.add_client_error("get_bucket_policy", "AccessDenied", "no", 403)
        assert read_bucket_policy(client, "b") == tls_only("b")
        assert read_bucket_policy(client, "b") is None
        assert read_bucket_policy(client, "b") is None
        with pytest.raises(ClientError):
            read_bucket_policy(client, "b")


def test_locations_are_read_from_arns_and_uris() -> None:
    assert location_bucket("arn:aws:s3:::lh-gold-1") == ("lh-gold-1", "")
    assert location_bucket("arn:aws:s3:::lh-gold-1/users/x") == ("lh-gold-1", "users/x")
    assert location_bucket("s3://lh-results-1/results/") == ("lh-results-1", "results/")
    assert location_bucket("arn:aws:iam::1:role/x") is None


# -- other routes S3 serves the lake's objects by: other accounts, ACLs, access points -------------------

OTHER = "210987654321"
OWNER_ID = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"
OTHER_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
GOLD_FILE = "users/metadata/00001.metadata.json"
POINT_ARN = f"arn:aws:s3:ap-northeast-1:{ACCOUNT}:accesspoint/gold-share"


def routes(problems_of: SecurityReadback) -> list[str]:
    return list(judge_security(problems_of).details["problems"]["other_routes"])


@pytest.mark.parametrize(
    ("principal", "culprit"),
    [
        ({"AWS": f"arn:aws:iam::{OTHER}:root"}, f"lets AWS arn:aws:iam::{OTHER}:root, outside account {ACCOUNT}"),
        ({"AWS": OTHER}, f"lets AWS {OTHER}, outside account {ACCOUNT}"),
        ({"AWS": f"arn:aws:iam::{OTHER}:role/partner"}, f"lets AWS arn:aws:iam::{OTHER}:role/partner"),
        ({"AWS": "arn:aws:iam::*:root"}, "lets AWS arn:aws:iam::*:root (any account)"),
        ({"CanonicalUser": OTHER_ID}, f"lets CanonicalUser {OTHER_ID}"),
    ],
    ids=["account-root", "account-id", "role", "any-account", "canonical"],
)
def test_a_bucket_policy_granting_another_account_fails_naming_it(principal: dict[str, Any], culprit: str) -> None:
    rb = _with_statements(healthy(), BUCKETS["gold"], _grant_to(principal, "s3:GetObject*", bucket=BUCKETS["gold"]))
    result = judge_security(rb)
    assert result.status is Status.FAILED
    found = routes(rb)
    assert any(
        culprit in p and f"statement Share of the bucket policy of lake bucket {BUCKETS['gold']}" in p for p in found
    )
    assert result.measured["other_route_problems"] == len(found)


def test_other_accounts_kept_out_pass() -> None:
    write_only = _grant_to({"AWS": f"arn:aws:iam::{OTHER}:root"}, "s3:PutObject", bucket=BUCKETS["gold"])
    denied = {**_grant_to("*", bucket=BUCKETS["gold"]), "Sid": "No", "Effect": "Deny"}
    read = _grant_to({"AWS": f"arn:aws:iam::{OTHER}:root"}, bucket=BUCKETS["gold"])
    own = _grant_to({"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"}, bucket=BUCKETS["gold"])
    for statements in ([write_only], [read, denied], [own]):
        result = judge_security(_with_statements(healthy(), BUCKETS["gold"], *statements))
        assert result.passed, result.reason


def _acls(ownership: str | None, grants: list[dict[str, Any]], block: dict[str, Any] | None = None) -> BucketAcls:
    owner = {"Grantee": {"Type": "CanonicalUser", "ID": OWNER_ID}, "Permission": "FULL_CONTROL"}
    return BucketAcls(ownership, block, OWNER_ID, [owner], {GOLD_FILE: [owner, *grants]})


ALL_USERS_READ = {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}
AUTH_READ = {"Grantee": {"Type": "Group", "URI": AUTHENTICATED_USERS}, "Permission": "READ"}
OTHER_READ = {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_ID}, "Permission": "READ"}
IGNORE = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


@pytest.mark.parametrize(
    ("acls", "culprit"),
    [
        (_acls("BucketOwnerPreferred", [ALL_USERS_READ]), "grants READ to group AllUsers (anyone)"),
        (_acls(None, [AUTH_READ]), "grants READ to group AuthenticatedUsers (any AWS account)"),
        (_acls("ObjectWriter", [OTHER_READ], IGNORE), f"grants READ to canonical user {OTHER_ID}"),
        (
            _acls(
                "ObjectWriter",
                [{"Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "x@y"}, "Permission": "FULL_CONTROL"}],
            ),
            "grants FULL_CONTROL to e-mail grantee x@y",
        ),
    ],
    ids=["all-users", "authenticated-users", "other-account-despite-ignore-public", "e-mail"],
)
def test_an_object_acl_opening_an_ssn_file_fails_naming_the_object_and_grantee(acls: BucketAcls, culprit: str) -> None:
    rb = healthy()
    rb.routes.acls[BUCKETS["gold"]] = acls
    found = routes(rb)
    assert any(f"the object ACL of s3://{BUCKETS['gold']}/{GOLD_FILE} {culprit}" in p for p in found), found
    assert not judge_security(rb).passed


def test_a_bucket_acl_granting_outsiders_fails() -> None:
    rb = healthy()
    acls = _acls("BucketOwnerPreferred", [])
    acls.bucket_grants.append(ALL_USERS_READ)
    rb.routes.acls[BUCKETS["gold"]] = acls
    assert any(
        f"the bucket ACL of lake bucket {BUCKETS['gold']} grants READ to group AllUsers" in p for p in routes(rb)
    )


@pytest.mark.parametrize(
    ("acls", "account_block"),
    [
        (_acls("BucketOwnerEnforced", [ALL_USERS_READ, OTHER_READ]), None),  # ACLs disabled: S3 applies none
        (_acls("BucketOwnerPreferred", [ALL_USERS_READ, AUTH_READ], IGNORE), None),  # public grants ignored
        (_acls("BucketOwnerPreferred", [ALL_USERS_READ]), {"IgnorePublicAcls": True}),  # ignored account-wide
        (_acls(None, []), None),  # only the owner
    ],
    ids=["owner-enforced", "ignore-public-acls", "account-ignore-public-acls", "owner-only"],
)
def test_acls_s3_does_not_apply_pass(acls: BucketAcls, account_block: dict[str, Any] | None) -> None:
    rb = healthy()
    rb.routes.acls[BUCKETS["gold"]] = acls
    rb.routes.account_public_access_block = account_block
    result = judge_security(rb)
    assert result.passed, result.reason


def _delegating(bucket: str = BUCKETS["gold"], account: str = ACCOUNT) -> dict[str, Any]:
    """AWS's documented statement that lets a bucket's access points decide."""
    return {
        "Sid": "DelegateToAccessPoints",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
    }


def _point(*statements: dict[str, Any]) -> AccessPoint:
    policy = {"Version": "2012-10-17", "Statement": list(statements)} if statements else None
    return AccessPoint("gold-share", BUCKETS["gold"], POINT_ARN, policy)


def _point_grant(principal: Any, resource: str = f"{POINT_ARN}/object/users/*") -> dict[str, Any]:
    return {
        "Sid": "Analysts",
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": resource,
    }


def test_a_delegating_bucket_policy_alone_does_not_open_the_bucket() -> None:
    """The delegation applies only to requests through access points (the key is absent otherwise)."""
    rb = _with_statements(healthy(), BUCKETS["gold"], _delegating())
    assert judge_security(rb).passed, judge_security(rb).reason
    rb.routes.access_points[BUCKETS["gold"]] = [_point()]  # an access point without a policy
    assert judge_security(rb).passed, judge_security(rb).reason


@pytest.mark.parametrize(
    ("statement", "culprit"),
    [
        (
            _point_grant({"AWS": ANALYST}),
            f"statement Analysts of the policy of access point gold-share (Principal {ANALYST})",
        ),
        (_point_grant("*"), 'statement Analysts of the policy of access point gold-share (Principal "*")'),
        (_point_grant({"AWS": f"arn:aws:iam::{OTHER}:root"}), f"lets AWS arn:aws:iam::{OTHER}:root, outside account"),
    ],
    ids=["analyst", "everyone", "other-account"],
)
def test_an_access_point_policy_opening_ssn_files_fails_naming_it(statement: dict[str, Any], culprit: str) -> None:
    rb = _with_statements(healthy(), BUCKETS["gold"], _delegating())
    rb.routes.access_points[BUCKETS["gold"]] = [_point(statement)]
    found = routes(rb)
    assert any(culprit in p and "gold-share" in p for p in found), found
    assert not judge_security(rb).passed


def test_an_access_point_without_delegation_grants_nothing_the_bucket_does_not() -> None:
    rb = healthy()
    rb.routes.access_points[BUCKETS["gold"]] = [_point(_point_grant({"AWS": ANALYST}))]
    assert judge_security(rb).passed


def test_the_analyst_iam_policy_on_a_delegated_access_point_fails() -> None:
    rb = _with_statements(healthy(), BUCKETS["gold"], _delegating())
    rb.routes.access_points[BUCKETS["gold"]] = [_point(_point_grant({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))]
    assert judge_security(rb).passed  # the account: the analyst's own policies decide, and they do not allow it
    rb.identity_policies.append(_policy("inline policy ap", _allow("s3:GetObject", "arn:aws:s3:*:*:accesspoint/*")))
    found = routes(rb)
    assert any("through access point gold-share of lake bucket" in p for p in found), found


def test_delegation_to_another_accounts_access_points_fails() -> None:
    rb = _with_statements(healthy(), BUCKETS["gold"], _delegating(account=OTHER))
    found = routes(rb)
    assert any(f"delegates reads of its objects to access points of another account ({OTHER})" in p for p in found)


def test_unreadable_access_points_or_acls_are_an_error_never_passed() -> None:
    rb = healthy()
    rb.read_errors.append(f"could not read the access points of {BUCKETS['gold']} (S3 Control ListAccessPoints): x")
    assert judge_security(rb).status is Status.ERROR


@pytest.mark.parametrize(
    ("principal", "resource"),
    [
        (OTHER, {"Table": {"DatabaseName": DB, "Name": TABLE}}),
        (
            f"arn:aws:iam::{OTHER}:role/partner",
            {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["ssn"]}},
        ),
        (OTHER, {"Database": {"Name": DB}}),
    ],
    ids=["account-table", "role-column", "account-database"],
)
def test_a_lake_formation_grant_to_another_account_fails_naming_it(principal: str, resource: dict[str, Any]) -> None:
    rb = healthy()
    rb.grants.append(grant(principal, resource, "SELECT" if "Database" not in resource else "ALL"))
    found = problems(rb, "grants")
    assert any(p.startswith(f"{principal}, outside account {ACCOUNT}, holds") for p in found), found
    # A cross-account grant of a table without ssn, or one keeping ssn out, passes.
    rb = healthy()
    rb.grants.append(
        grant(
            OTHER,
            {
                "TableWithColumns": {
                    "DatabaseName": DB,
                    "Name": TABLE,
                    "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
                }
            },
            "SELECT",
        )
    )
    assert judge_security(rb).passed


@pytest.mark.parametrize(
    ("principal", "culprit"),
    [
        (f"{OTHER}:IAMPrincipals", f"{OTHER}:IAMPrincipals, outside account {ACCOUNT}, holds"),
        (
            f"arn:aws:organizations::{OTHER}:organization/o-abcdefghijkl",
            f"arn:aws:organizations::{OTHER}:organization/o-abcdefghijkl, outside account {ACCOUNT}, holds",
        ),
        (
            f"arn:aws:organizations::{OTHER}:ou/o-abcdefghijkl/ou-ab12-cdefgh34",
            f"arn:aws:organizations::{OTHER}:ou/o-abcdefghijkl/ou-ab12-cdefgh34, outside account {ACCOUNT}, holds",
        ),
        (f"{ACCOUNT}:IAMPrincipals", f"every IAM principal of account {ACCOUNT} (the analyst too) holds"),
    ],
    ids=["other-accounts-iam-principals", "organization", "organizational-unit", "own-iam-principals"],
)
def test_a_lake_formation_grant_to_an_organization_or_all_iam_principals_fails(principal: str, culprit: str) -> None:
    """Lake Formation grants to ``<account>:IAMPrincipals``, organizations and OUs (its documented principals)."""
    rb = healthy()
    rb.grants.append(grant(principal, {"Table": {"DatabaseName": DB, "Name": TABLE}}, "SELECT"))
    found = problems(rb, "grants")
    assert any(p.startswith(culprit) and f"ssn of {DB}.{TABLE}" in p for p in found), found


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}], ids=["star", "aws-star"])
def test_a_public_bucket_policy_fails_even_when_it_denies_the_analyst(principal: Any) -> None:
    """Allow ``*`` with a Deny for the analyst alone: every other principal, of any account, reads ssn files."""
    deny_analyst = {**_grant_to({"AWS": ANALYST}, bucket=BUCKETS["gold"]), "Sid": "NotTheAnalyst", "Effect": "Deny"}
    public = _grant_to(principal, bucket=BUCKETS["gold"])
    rb = _with_statements(healthy(), BUCKETS["gold"], public, deny_analyst)
    result = judge_security(rb)
    assert result.status is Status.FAILED
    assert any(
        f"statement Share of the bucket policy of lake bucket {BUCKETS['gold']} lets anyone (Principal *), "
        f"outside account {ACCOUNT}" in p
        for p in routes(rb)
    ), routes(rb)
    # RestrictPublicBuckets keeps a public policy to the account's own principals: nothing outside reads.
    rb.routes.account_public_access_block = {"RestrictPublicBuckets": True}
    assert judge_security(rb).passed, judge_security(rb).reason
    # A conditional "*" may not be public to S3 (so not restricted): it still counts.
    gold_policy = rb.bucket_policies[BUCKETS["gold"]]
    assert gold_policy is not None
    gold_policy["Statement"][1]["Condition"] = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    assert any("lets anyone (Principal *)" in p for p in routes(rb)), routes(rb)


@mock_aws
def test_a_table_holding_ssn_inside_a_struct_column_is_found_and_probed() -> None:
    """Lake Formation cannot filter nested fields: a struct column carrying ssn opens it to whoever reads the column."""
    glue = boto3.client("glue", region_name="ap-northeast-1")
    glue.create_database(DatabaseInput={"Name": SILVER})
    columns = [
        {"Name": "user_id", "Type": "bigint"},
        {"Name": "pii", "Type": "struct<email:string,SSN:string>"},
        {"Name": "contacts", "Type": "array<struct<kind:string,value:string>>"},
    ]
    glue.create_table(
        DatabaseName=SILVER,
        TableInput={"Name": "users_nested", "StorageDescriptor": {"Columns": columns, "Location": "s3://b/n/"}},
    )
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name="ap-northeast-1"))
    _, tables = read_catalog(target)
    assert [t.holding(["ssn"]) for t in tables] == [["pii"]]
    assert CatalogTable(DB, TABLE, COLUMNS).holding(["ssn"]) == ["ssn"]


def test_an_object_acl_letting_another_account_rewrite_it_fails() -> None:
    """WRITE_ACP on an object lets the grantee PutObjectAcl itself READ: the file is theirs to read."""
    rb = healthy()
    write_acp = {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_ID}, "Permission": "WRITE_ACP"}
    rb.routes.acls[BUCKETS["gold"]] = _acls("ObjectWriter", [write_acp])
    found = routes(rb)
    assert any(
        f"the object ACL of s3://{BUCKETS['gold']}/{GOLD_FILE} grants WRITE_ACP to canonical user {OTHER_ID}" in p
        and "they can grant themselves READ" in p
        for p in found
    ), found
    assert not judge_security(rb).passed
    # READ_ACP only shows the ACL, not the file.
    rb.routes.acls[BUCKETS["gold"]] = _acls("ObjectWriter", [{**write_acp, "Permission": "READ_ACP"}])
    assert judge_security(rb).passed


@pytest.mark.parametrize(
    ("principal", "culprit"),
    [
        (ANALYST, "the analyst holds"),
        ("IAM_ALLOWED_PRINCIPALS", "IAMAllowedPrincipals (every IAM principal, the analyst too) holds"),
    ],
    ids=["analyst", "iam-allowed-principals"],
)
def test_create_table_in_a_database_whose_location_holds_ssn_files_fails(principal: str, culprit: str) -> None:
    """Tables within a database's location need no data location permission, and their creator reads them whole."""
    rb = healthy()
    rb.database_locations = {DB: f"s3://{BUCKETS['gold']}/", "scratch": f"s3://{BUCKETS['gold']}/scratch/"}
    assert judge_security(rb).passed
    rb.grants.append(grant(principal, {"Database": {"Name": "scratch"}}, "CREATE_TABLE"))
    assert judge_security(rb).passed  # its location holds no ssn table's files
    rb.grants.append(grant(principal, {"Database": {"Name": DB}}, "CREATE_TABLE", "DESCRIBE"))
    found = problems(rb, "grants")
    where = f"on database {DB}, whose location s3://{BUCKETS['gold']}/ holds the files of {DB}.users"
    assert any(p.startswith(f"{culprit} ['CREATE_TABLE'] {where}") for p in found), found
    # Super on a database holding no ssn table includes CREATE_TABLE: its location is what counts.
    rb = healthy()
    rb.database_locations = {"scratch": f"s3://{BUCKETS['gold']}/users/"}
    rb.grants.append(grant(principal, {"Database": {"Name": "scratch"}}, "ALL"))
    where = f"on database scratch, whose location s3://{BUCKETS['gold']}/users/ holds the files of {DB}.users"
    assert any(p.startswith(f"{culprit} ['ALL'] {where}") for p in problems(rb, "grants")), problems(rb, "grants")


def _database_tag_grant(permission: str, expression: list[dict[str, Any]]) -> dict[str, Any]:
    return grant(ANALYST, {"LFTagPolicy": {"ResourceType": "DATABASE", "Expression": expression}}, permission)


@pytest.mark.parametrize("permission", ["CREATE_TABLE", "ALL"])
def test_create_table_through_lf_tags_on_a_database_whose_location_holds_ssn_files_fails(permission: str) -> None:
    """The database-location hole reached through LF-Tags instead of the database's name."""
    rb = healthy()
    rb.database_locations = {"scratch": f"s3://{BUCKETS['gold']}/", "notes": f"s3://{BUCKETS['gold']}/notes/"}
    rb.database_lf_tags = {"scratch": {"LFTagOnDatabase": [{"TagKey": "team", "TagValues": ["analytics"]}]}}
    rb.grants.append(_database_tag_grant(permission, [{"TagKey": "team", "TagValues": ["analytics"]}]))
    found = problems(rb, "grants")
    assert any(
        p.startswith(
            f"the analyst holds ['{permission}'] through LF-Tag expression [{{'TagKey': 'team', 'TagValues': "
            f"['analytics']}}] on database scratch, whose location s3://{BUCKETS['gold']}/ holds the files of "
            f"{DB}.users"
        )
        for p in found
    ), found
    assert not any("database notes" in p for p in found)  # its location holds no ssn file


def test_database_lf_tags_are_read_where_a_tag_grant_could_create_tables_over_ssn_files() -> None:
    """Only databases whose location holds an ssn table's files, and only when such a grant exists."""
    tag_grant = _database_tag_grant("CREATE_TABLE", [{"TagKey": "team", "TagValues": ["analytics"]}])
    asked: list[dict[str, Any]] = []

    def get_resource_lf_tags(Resource: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 (boto3's spelling)
        asked.append(Resource)
        return {"LFTagOnDatabase": [{"TagKey": "team", "TagValues": ["analytics"]}], "ResponseMetadata": {}}

    lf = SimpleNamespace(
        get_data_lake_settings=lambda: {"DataLakeSettings": {}},
        list_permissions=lambda **params: {"PrincipalResourcePermissions": [] if params else [tag_grant]},
        list_data_cells_filter=lambda **params: {"DataCellsFilters": []},
        get_resource_lf_tags=get_resource_lf_tags,
        get_lf_tag_expression=lambda Name: {"Expression": []},  # noqa: N803
    )
    rb = healthy()
    rb.database_locations = {"scratch": f"s3://{BUCKETS['gold']}/", "notes": "s3://elsewhere/notes/"}
    read_grants(SimpleNamespace(client=lambda service: lf), [], rb)  # type: ignore[arg-type]
    assert asked == [{"Database": {"Name": "scratch"}}]
    assert rb.database_lf_tags == {"scratch": {"LFTagOnDatabase": [{"TagKey": "team", "TagValues": ["analytics"]}]}}
    assert any("on database scratch, whose location" in p for p in problems(rb, "grants"))


def test_create_table_through_lf_tags_not_matching_or_unreadable() -> None:
    rb = healthy()
    rb.database_locations = {"scratch": f"s3://{BUCKETS['gold']}/"}
    rb.database_lf_tags = {"scratch": {"LFTagOnDatabase": [{"TagKey": "team", "TagValues": ["finance"]}]}}
    rb.grants.append(_database_tag_grant("CREATE_TABLE", [{"TagKey": "team", "TagValues": ["analytics"]}]))
    assert problems(rb, "grants") == []
    rb.database_lf_tags = {"scratch": "AccessDeniedException: no"}
    found = problems(rb, "grants")
    assert len(found) == 1 and "could not be resolved: the LF-Tags of scratch: AccessDeniedException" in found[0]


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEquals": {"aws:SourceArn": "arn:aws:cloudfront::444455556666:distribution/E1"}},
        {"StringLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}},
        {"StringEquals": {"aws:SourceAccount": [ACCOUNT, "444455556666"]}},
        {"Bool": {"aws:SecureTransport": "true"}},
    ],
    ids=["unconditioned", "another-accounts-distribution", "any-account", "two-accounts", "unrelated-condition"],
)
def test_a_service_principal_reading_the_lake_for_any_account_fails(condition: dict[str, Any] | None) -> None:
    """A service acts for whoever configured it: CloudFront OAC without a source condition serves the files to any
    account's distribution (AWS's confused deputy)."""
    statement = _grant_to({"Service": "cloudfront.amazonaws.com"})
    if condition:
        statement["Condition"] = condition
    result = judge_security(_with_statements(healthy(), BUCKETS["silver"], statement))
    assert not result.passed
    assert (
        "Service cloudfront.amazonaws.com (no aws:SourceAccount or aws:SourceArn condition keeps it to this account)"
        in str(result.reason)
    )


# -- this account's CloudFront distributions (OAC): public unless every behaviour reaching the lake is signed --

DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"
SIGNED = {"Enabled": True, "Quantity": 1, "Items": ["kg-1"]}
UNSIGNED = {"Enabled": False, "Quantity": 0}


def _oac(condition: dict[str, Any]) -> dict[str, Any]:
    return {**_grant_to({"Service": "cloudfront.amazonaws.com"}, Sid="AllowCloudFront"), "Condition": condition}


def _served_by(arn: str, key_groups: dict[str, Any], bucket: str = BUCKETS["silver"]) -> Distribution:
    ident = arn.rsplit("/", 1)[-1]
    origin = {"Id": "lake", "DomainName": f"{bucket}.s3.ap-northeast-1.amazonaws.com", "OriginPath": ""}
    behaviour = {"TargetOriginId": "lake", "TrustedKeyGroups": key_groups, "TrustedSigners": UNSIGNED}
    config = {"Origins": {"Quantity": 1, "Items": [origin]}, "DefaultCacheBehavior": behaviour}
    return Distribution(ident, arn, f"{ident.lower()}.cloudfront.net", True, config)


def test_this_accounts_distribution_reading_the_lake_passes_only_when_it_requires_signed_urls() -> None:
    """The OAC statement naming the account's own distribution: CloudFront still serves the files to anyone."""
    by_arn = _oac({"StringEquals": {"AWS:SourceArn": DISTRIBUTION}})
    rb = _with_statements(healthy(), BUCKETS["silver"], by_arn)
    rb.cloudfront = CloudFrontReadback({DISTRIBUTION: _served_by(DISTRIBUTION, SIGNED)})
    assert judge_security(rb).passed, judge_security(rb).reason
    rb.cloudfront = CloudFrontReadback({DISTRIBUTION: _served_by(DISTRIBUTION, UNSIGNED)})
    result = judge_security(rb)
    assert result.status is Status.FAILED
    assert str(result.reason).startswith(
        f"statement AllowCloudFront of the bucket policy of lake bucket {BUCKETS['silver']} lets CloudFront "
        f"distribution E1 ({DISTRIBUTION}) read lake objects, and its default cache behaviour (path pattern *), on "
        f"origin lake ({BUCKETS['silver']}.s3.ap-northeast-1.amazonaws.com), requires no signed URL or cookie (no "
        f"trusted key group or trusted signer enabled): it serves s3://{BUCKETS['silver']}/users/data/00000.parquet to "
        "anyone on the internet at https://e1.cloudfront.net/users/data/00000.parquet"
    )
    assert result.measured["other_route_problems"] == len(result.details["problems"]["other_routes"])
    assert result.details["cloudfront"]["grants"][0]["source_arns"] == [DISTRIBUTION]


def test_a_distribution_that_was_not_read_ends_the_check_in_error_naming_it() -> None:
    rb = _with_statements(healthy(), BUCKETS["silver"], _oac({"StringEquals": {"aws:SourceArn": DISTRIBUTION}}))
    rb.cloudfront = CloudFrontReadback(unreadable={DISTRIBUTION: "GetDistribution E1: AccessDenied"})
    result = judge_security(rb)
    assert result.status is Status.ERROR
    assert f"for distribution {DISTRIBUTION}, which could not be read (GetDistribution E1: AccessDenied)" in str(
        result.reason
    )
    # SourceAccount alone: every distribution of the account, which only the listing shows.
    rb = _with_statements(healthy(), BUCKETS["silver"], _oac({"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    rb.cloudfront = CloudFrontReadback(unreadable={LISTING: "ListDistributions: Throttling"})
    result = judge_security(rb)
    assert result.status is Status.ERROR
    assert f"for every distribution of account {ACCOUNT} (aws:SourceAccount), and the account's distributions " in str(
        result.reason
    )


def test_source_account_alone_brings_in_every_distribution_of_the_account_on_the_lake_bucket() -> None:
    other = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E2"
    rb = _with_statements(healthy(), BUCKETS["silver"], _oac({"StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    rb.cloudfront = CloudFrontReadback(
        {DISTRIBUTION: _served_by(DISTRIBUTION, SIGNED), other: _served_by(other, UNSIGNED, bucket="lh-website")},
        listed=True,
    )
    assert judge_security(rb).passed  # the public one fronts another bucket
    rb.cloudfront.distributions[other] = _served_by(other, UNSIGNED)
    found = problems(rb, "other_routes")
    assert len(found) == 1 and f"distribution E2 ({other})" in found[0], found


def _replicating(destination: dict[str, Any], prefix: str = "users/", status: str = "Enabled") -> dict[str, Any]:
    rule = {"ID": "Copy", "Priority": 1, "Status": status, "Filter": {"Prefix": prefix}, "Destination": destination}
    return {"Role": f"arn:aws:iam::{ACCOUNT}:role/replicator", "Rules": [rule]}


@pytest.mark.parametrize(
    ("destination", "where"),
    [
        (
            {"Bucket": "arn:aws:s3:::partner-archive", "Account": "444455556666"},
            "bucket partner-archive of account 444455556666",
        ),
        ({"Bucket": "arn:aws:s3:::lh-scratch"}, "bucket lh-scratch"),  # same account, but no lake bucket
    ],
)
def test_replicating_ssn_files_out_of_the_lake_fails_naming_rule_and_destination(
    destination: dict[str, Any], where: str
) -> None:
    rb = healthy()
    rb.lake_buckets = {b: ["location of a table"] for b in BUCKETS.values()}
    rb.routes.replication = {BUCKETS["silver"]: _replicating(destination)}
    found = routes(rb)
    assert any(
        p.startswith(f"replication rule Copy of lake bucket {BUCKETS['silver']} copies s3://{BUCKETS['silver']}/users/")
        and f"to {where}, outside the lake" in p
        for p in found
    ), found
    assert not judge_security(rb).passed


@pytest.mark.parametrize(
    "config",
    [
        _replicating({"Bucket": f"arn:aws:s3:::{BUCKETS['gold']}"}),  # into another lake bucket of the account
        _replicating({"Bucket": "arn:aws:s3:::partner-archive", "Account": "444455556666"}, status="Disabled"),
        _replicating({"Bucket": "arn:aws:s3:::partner-archive", "Account": "444455556666"}, prefix="logs/"),
    ],
    ids=["lake-to-lake", "disabled", "other-prefix"],
)
def test_replication_that_keeps_ssn_files_in_the_lake_passes(config: dict[str, Any]) -> None:
    rb = healthy()
    rb.lake_buckets = {b: ["location of a table"] for b in BUCKETS.values()}
    rb.routes.replication = {BUCKETS["silver"]: config}
    assert judge_security(rb).passed, judge_security(rb).reason


IAP_ALL = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]


def test_a_database_holding_ssn_born_with_iam_only_table_defaults_fails() -> None:
    """On AWS the settings' CreateTableDefaultPermissions are copied into each database at birth: Silver born before
    the stack cleared them (or made with Terraform's ``create_table_default_permission`` naming IAMAllowedPrincipals)
    opens the next table the pipeline makes there to IAM alone, though the settings now read clean."""
    rb = healthy()
    rb.table_defaults = {BRONZE: [], SILVER: IAP_ALL, DB: [], "default": IAP_ALL}
    result = judge_security(rb)
    assert result.status is Status.FAILED
    found = result.details["problems"]["grants"]
    assert found == [
        f"database {SILVER}'s CreateTableDefaultPermissions give IAMAllowedPrincipals (every IAM principal, the "
        f"analyst too) ['ALL'] on every new table in it: it holds {SILVER}.users, {SILVER}.users_rejected with ssn, "
        "and a table the pipeline (re)creates there is born open to it"
    ], found
    assert result.details["database_table_defaults"][SILVER] == IAP_ALL


def test_iam_only_table_defaults_of_a_database_without_ssn_pass() -> None:
    """Athena's ``default`` database is born with IAMAllowedPrincipals defaults in most accounts: it holds no ssn."""
    rb = healthy()
    rb.table_defaults = {BRONZE: [], SILVER: [], DB: [], "default": IAP_ALL, "other": IAP_ALL}
    result = judge_security(rb)
    assert result.passed, result.reason


@mock_aws
def test_the_databases_table_defaults_are_read_back() -> None:
    glue = boto3.client("glue", region_name="ap-northeast-1")
    glue.create_database(DatabaseInput={"Name": SILVER, "CreateTableDefaultPermissions": IAP_ALL})
    glue.create_database(DatabaseInput={"Name": DB, "CreateTableDefaultPermissions": []})
    glue.create_database(DatabaseInput={"Name": "legacy"})
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name="ap-northeast-1"))
    found = read_table_defaults(target)
    assert found[SILVER] == IAP_ALL and found[DB] == [], found
    # Made without the field: bare moto answers none, the emulator's Glue (when a test in this process
    # installed its extensions) the data lake settings' of that moment; either way it is read back.
    assert set(found) == {SILVER, DB, "legacy"}
