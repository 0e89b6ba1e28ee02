"""Exit check 5's judge on collected facts: every kind of stray is named, the pipeline's own tables are not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import PipelineTablesError, declared_location, judge_iac, pipeline_tables
from lakehouse.config import project_root
from lakehouse.ignored_drift import Unignored
from lakehouse.inventory import (
    DATABASE_CONTENTS,
    GLOBAL,
    LF_LISTING,
    NAME_PREFIX,
    TAG,
    CloudResource,
    Inventory,
    LakeSettings,
    TableLocation,
    name_prefixes,
    stack_inventory,
)
from lakehouse.lf_grants import LfGrant, describe_resource, grants_from_listing, grants_from_state
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlannedChange, PlanResult

ACCOUNT = "123456789012"
REGION = "ap-northeast-1"
STACK = "lh-1"
P, G = name_prefixes(STACK)  # lakehouse-lh-1, lakehouse_lh_1
GOLD = f"{G}_gold"
ANALYST = f"arn:aws:iam::{ACCOUNT}:role/{P}-analyst"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/{P}-pipeline"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/deployer"
ALERTS = f"arn:aws:sns:{REGION}:{ACCOUNT}:{P}-alerts"
GLUE_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}"
EXPECTED = {f"{GOLD}.daily_revenue", f"{G}_silver.users"}


def _res(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "address": f"{kind}.x", "mode": "managed", "values": values}


def _perm(principal: str, permissions: list[str], **block: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {"principal": principal, "permissions": permissions, "catalog_resource": False}
    for name in ("database", "table", "table_with_columns", "data_location", "data_cells_filter"):
        values[name] = block.get(name, [])
    return _res("aws_lakeformation_permissions", values)


STATE = [
    _res("aws_s3_bucket", {"bucket": f"{P}-gold-{ACCOUNT}"}),
    _res("aws_iam_role", {"name": f"{P}-analyst"}),
    _res("aws_iam_role_policy", {"role": f"{P}-analyst", "name": "lakehouse-analyst"}),
    _res("aws_sns_topic", {"arn": ALERTS, "name": f"{P}-alerts"}),
    _res("aws_glue_catalog_database", {"arn": f"{GLUE_ARN}:database/{GOLD}", "name": GOLD}),
    _res("aws_glue_catalog_table", {"arn": f"{GLUE_ARN}:table/{GOLD}/users", "name": "users", "database_name": GOLD}),
    _res("aws_cloudwatch_dashboard", {"dashboard_name": f"{P}-finops"}),
    _res("aws_lakeformation_data_lake_settings", {"admins": [ADMIN], "create_database_default_permissions": []}),
    _perm(ANALYST, ["DESCRIBE"], database=[{"catalog_id": "", "name": GOLD}]),
    _perm(
        ANALYST,
        ["SELECT"],
        table_with_columns=[
            {
                "database_name": GOLD,
                "name": "users",
                "wildcard": True,
                "excluded_column_names": ["ssn"],
                "column_names": None,
            }
        ],
    ),
    _perm(PIPELINE, ["ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"], database=[{"catalog_id": "", "name": GOLD}]),
]


def _found(kind: str, key: str, name: str | None = None, region: str = REGION, how: str = NAME_PREFIX) -> CloudResource:
    return CloudResource(kind, key, name or key, region, (how,))


def _grant(principal: str, resource: str, *permissions: str) -> list[LfGrant]:
    return [LfGrant(principal, resource, p, REGION) for p in permissions]


def healthy() -> Inventory:
    """What the account holds for the stack in STATE, after the pipeline ran."""
    return Inventory(
        stack_id=STACK,
        name_prefix=P,
        glue_prefix=G,
        account=ACCOUNT,
        regions=[REGION, "us-east-1"],
        resources=[
            _found("aws_s3_bucket", f"{P}-gold-{ACCOUNT}", how=TAG),
            _found("aws_iam_role", f"{P}-analyst", region=GLOBAL),
            _found(
                "aws_iam_role_policy", f"{P}-analyst:lakehouse-analyst", region=GLOBAL, how="policies of a stack role"
            ),
            _found("aws_sns_topic", ALERTS, f"{P}-alerts"),
            _found("aws_glue_catalog_database", f"{GLUE_ARN}:database/{GOLD}", GOLD),
            _found("aws_glue_catalog_table", f"{GLUE_ARN}:table/{GOLD}/users", f"{GOLD}.users", how=DATABASE_CONTENTS),
            _found(
                "aws_glue_catalog_table",
                f"{GLUE_ARN}:table/{GOLD}/daily_revenue",
                f"{GOLD}.daily_revenue",
                how=DATABASE_CONTENTS,
            ),
            _found("aws_cloudwatch_dashboard", f"{P}-finops", region=GLOBAL),
        ],
        grants=sorted(
            _grant(ANALYST, f"database {GOLD}", "DESCRIBE")
            + _grant(ANALYST, f"columns {GOLD}.users (all but ssn)", "SELECT")
            + _grant(PIPELINE, f"database {GOLD}", "ALTER", "CREATE_TABLE", "DESCRIBE", "DROP")
        ),
        lake_settings=LakeSettings([ADMIN], [], []),
    )


def _with(*extra: CloudResource, grants: list[LfGrant] | None = None, **changes: Any) -> Inventory:
    inv = healthy()
    inv.resources = sorted([*inv.resources, *extra])
    inv.grants = sorted(inv.grants + (grants or []))
    return replace(inv, **changes)


def _judge(inv: Inventory, plan: PlanResult | None = None) -> Any:
    return judge_iac(plan or PlanResult(0), STATE, inv, EXPECTED)


def test_healthy_stack_after_the_pipeline_passes() -> None:
    result = _judge(healthy())
    assert result.passed, result.reason
    assert result.measured == {
        "plan_changes": 0,
        "drift_the_plan_keeps": 0,
        "ignored_attributes_differ": 0,
        "unmanaged_resources": 0,
    }
    assert result.details["pipeline_tables_found"] == [f"{GOLD}.daily_revenue"]
    assert result.details["problems"] == {"plan": [], "unmanaged": []}


@pytest.mark.parametrize(
    ("stray", "label"),
    [
        (_found("aws_s3_bucket", f"{P}-scratch"), f"aws_s3_bucket {P}-scratch ({REGION}, found by name prefix)"),
        (_found("aws_s3_bucket", "made-by-hand", how=TAG), "aws_s3_bucket made-by-hand"),
        (
            _found("aws_iam_role", f"{P}-console", region=GLOBAL),
            f"aws_iam_role {P}-console (global, found by name prefix)",
        ),
        (_found("aws_iam_user", f"{P}-ci", region=GLOBAL), f"aws_iam_user {P}-ci"),
        (
            _found("aws_iam_policy", f"arn:aws:iam::{ACCOUNT}:policy/{P}-extra", f"{P}-extra", GLOBAL),
            f"aws_iam_policy {P}-extra",
        ),
        (
            _found(
                "aws_iam_role_policy_attachment",
                f"{P}-analyst/arn:aws:iam::aws:policy/AmazonS3FullAccess",
                f"{P}-analyst <- arn:aws:iam::aws:policy/AmazonS3FullAccess",
                GLOBAL,
                "policies of a stack role",
            ),
            f"aws_iam_role_policy_attachment {P}-analyst <- arn:aws:iam::aws:policy/AmazonS3FullAccess",
        ),
        (
            _found("aws_iam_role_policy", f"{P}-analyst:open-bucket", region=GLOBAL, how="policies of a stack role"),
            f"aws_iam_role_policy {P}-analyst:open-bucket",
        ),
        (
            _found(
                "aws_sns_topic_subscription",
                f"{ALERTS} email someone@example.com",
                f"email:someone@example.com on {P}-alerts",
                how="subscriptions of a stack topic",
            ),
            f"aws_sns_topic_subscription email:someone@example.com on {P}-alerts",
        ),
        (
            _found("aws_sns_topic", f"arn:aws:sns:us-east-1:{ACCOUNT}:{P}-other", f"{P}-other", "us-east-1"),
            f"aws_sns_topic {P}-other (us-east-1",
        ),
        (
            _found("aws_athena_workgroup", f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/{P}-adhoc", f"{P}-adhoc"),
            f"aws_athena_workgroup {P}-adhoc",
        ),
        (_found("aws_budgets_budget", f"{P}-b", region=GLOBAL, how=TAG), f"aws_budgets_budget {P}-b"),
        (
            _found("aws_cloudwatch_metric_alarm", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{P}-a", f"{P}-a"),
            f"aws_cloudwatch_metric_alarm {P}-a",
        ),
        (
            _found("aws_cloudwatch_composite_alarm", f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{P}-c", f"{P}-c"),
            f"aws_cloudwatch_composite_alarm {P}-c",
        ),
        (_found("aws_cloudwatch_dashboard", f"{P}-ops", region=GLOBAL), f"aws_cloudwatch_dashboard {P}-ops"),
        (
            _found("aws_glue_catalog_database", f"{GLUE_ARN}:database/{G}_scratch", f"{G}_scratch"),
            f"aws_glue_catalog_database {G}_scratch",
        ),
        (
            _found("aws_glue_catalog_table", f"{GLUE_ARN}:table/{GOLD}/stray", f"{GOLD}.stray", how=DATABASE_CONTENTS),
            f"aws_glue_catalog_table {GOLD}.stray ({REGION}, found by database contents)",
        ),
        (
            _found("aws_lakeformation_data_cells_filter", f"{GOLD}.users.all", how=LF_LISTING),
            f"aws_lakeformation_data_cells_filter {GOLD}.users.all",
        ),
        (
            _found("aws_lakeformation_resource", f"arn:aws:s3:::{P}-silver-{ACCOUNT}", how=LF_LISTING),
            f"aws_lakeformation_resource arn:aws:s3:::{P}-silver-{ACCOUNT}",
        ),
    ],
)
def test_each_stray_kind_fails_naming_it(stray: CloudResource, label: str) -> None:
    result = _judge(_with(stray))
    assert result.status is Status.FAILED
    assert label in str(result.reason)
    assert result.details["unmanaged"] == [f"{stray.kind} {stray.name}"]
    assert result.details["unmanaged_found"] == [stray.to_dict()]
    assert result.details["problems"]["plan"] == []
    assert result.measured["unmanaged_resources"] == 1


def test_a_pipeline_table_in_another_database_is_a_stray() -> None:
    """Expected tables are the pipeline's (database, table) pairs, not just its table names."""
    misplaced = _found(
        "aws_glue_catalog_table", f"{GLUE_ARN}:table/{G}_bronze/daily_revenue", f"{G}_bronze.daily_revenue"
    )
    result = _judge(_with(misplaced))
    assert not result.passed and f"{G}_bronze.daily_revenue" in str(result.reason)


def test_extra_lake_formation_grant_names_principal_resource_and_permission() -> None:
    someone = f"arn:aws:iam::{ACCOUNT}:role/someone"
    result = _judge(_with(grants=_grant(someone, f"database {GOLD}", "DESCRIBE", "CREATE_TABLE")))
    assert not result.passed
    assert f"aws_lakeformation_permissions {someone} on database {GOLD}: CREATE_TABLE, DESCRIBE" in str(result.reason)
    assert result.details["unmanaged_found"][0]["found_by"] == [LF_LISTING]


def test_a_managed_grant_widened_by_one_permission_names_that_permission() -> None:
    result = _judge(_with(grants=_grant(ANALYST, f"database {GOLD}", "ALTER")))
    assert not result.passed
    assert result.details["unmanaged"] == [f"aws_lakeformation_permissions {ANALYST} on database {GOLD}: ALTER"]


def test_column_grant_with_other_exclusions_is_not_the_managed_one() -> None:
    result = _judge(_with(grants=_grant(ANALYST, f"columns {GOLD}.users (all but email)", "SELECT")))
    assert not result.passed and f"columns {GOLD}.users (all but email): SELECT" in str(result.reason)


def test_iam_allowed_principals_left_on_a_stack_database_is_unmanaged() -> None:
    result = _judge(_with(grants=_grant("IAM_ALLOWED_PRINCIPALS", f"table {GOLD}.users", "ALL")))
    assert not result.passed and f"IAM_ALLOWED_PRINCIPALS on table {GOLD}.users: ALL" in str(result.reason)


def test_creators_grants_on_expected_tables_are_expected_but_not_on_strays() -> None:
    creators = (
        _grant(ADMIN, f"table {GOLD}.daily_revenue", "ALL")  # admin ran the pipeline
        + _grant(ADMIN, f"table {GOLD}.users", "ALL")  # admin ran Terraform
        + _grant(ADMIN, f"database {GOLD}", "ALL")
        + _grant(PIPELINE, f"table {GOLD}.daily_revenue", "ALL")  # CREATE_TABLE on gold in state
    )
    assert _judge(_with(grants=creators)).passed
    stray_table = _found("aws_glue_catalog_table", f"{GLUE_ARN}:table/{GOLD}/x", f"{GOLD}.x", how=DATABASE_CONTENTS)
    result = _judge(_with(stray_table, grants=_grant(ADMIN, f"table {GOLD}.x", "ALL")))
    assert not result.passed
    assert f"aws_lakeformation_permissions {ADMIN} on table {GOLD}.x: ALL" in result.details["unmanaged"]
    # The pipeline role created nothing in silver's name: it holds CREATE_TABLE on gold only.
    result = _judge(_with(grants=_grant(PIPELINE, f"table {G}_silver.users", "ALL")))
    assert not result.passed and f"{PIPELINE} on table {G}_silver.users: ALL" in str(result.reason)


def test_extra_data_lake_admin_and_default_permissions_are_unmanaged() -> None:
    opened = {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
    settings = LakeSettings([ADMIN, "arn:aws:iam::123456789012:user/bob"], [], [opened])
    result = _judge(_with(lake_settings=settings))
    assert not result.passed
    assert result.details["unmanaged"] == [
        "aws_lakeformation_data_lake_settings data lake admin arn:aws:iam::123456789012:user/bob",
        "aws_lakeformation_data_lake_settings default permission for new tables: IAM_ALLOWED_PRINCIPALS: ALL",
    ]


def test_an_unreadable_listing_is_an_error_naming_it() -> None:
    result = _judge(_with(unreadable=["iam ListRoles/ListUsers/ListPolicies (global): AccessDenied"]))
    assert result.status is Status.ERROR
    assert "iam ListRoles/ListUsers/ListPolicies (global): AccessDenied" in str(result.reason)


def test_a_stray_found_despite_an_unreadable_listing_fails() -> None:
    result = _judge(_with(_found("aws_s3_bucket", f"{P}-x"), unreadable=["sns ListTopics (us-east-1): boom"]))
    assert result.status is Status.FAILED
    assert f"aws_s3_bucket {P}-x" in str(result.reason) and "sns ListTopics (us-east-1): boom" in str(result.reason)


def test_drift_is_named() -> None:
    plan = PlanResult(
        2,
        [
            PlannedChange('aws_s3_bucket.this["gold"]', "update", drift=True),
            PlannedChange('aws_s3_bucket.this["gold"]', "update"),
        ],
    )
    result = _judge(healthy(), plan)
    assert not result.passed
    assert 'terraform plan is not empty (1 resource(s) to change: aws_s3_bucket.this["gold"])' in str(result.reason)
    assert result.details["problems"]["unmanaged"] == []


# -- the pipeline's tables -------------------------------------------------------------------------


def test_pipeline_tables_are_the_create_targets_of_its_sql() -> None:
    tables = pipeline_tables(STACK, ACCOUNT, REGION)
    assert {
        f"{G}_bronze.users_csv",
        f"{G}_silver.users_rejected",
        f"{G}_silver.orders_staged",
        f"{GOLD}.daily_revenue",
    } <= tables
    assert all(t.startswith(f"{G}_") for t in tables)


def test_pipeline_tables_follow_new_sql(tmp_path: Path) -> None:
    (tmp_path / "10.sql").write_text(
        "CREATE TABLE ${gold_db}.fresh AS SELECT 1 AS x;\nINSERT INTO ${gold_db}.other SELECT 1;\n", encoding="utf-8"
    )
    assert pipeline_tables(STACK, ACCOUNT, REGION, sql_dir=tmp_path) == {f"{GOLD}.fresh"}


def test_unreadable_pipeline_sql_is_an_error_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "10.sql").write_text("CREATE TABLE ${nowhere}.t (a int);", encoding="utf-8")
    with pytest.raises(PipelineTablesError, match=r"10\.sql:1: unknown placeholder \$\{nowhere\}"):
        pipeline_tables(STACK, ACCOUNT, REGION, sql_dir=tmp_path)


# -- Lake Formation grants in one shape ------------------------------------------------------------


def test_listing_and_state_spell_a_column_grant_the_same() -> None:
    listed = {
        "Principal": {"DataLakePrincipalIdentifier": ANALYST},
        "Resource": {
            "TableWithColumns": {
                "DatabaseName": GOLD,
                "Name": "users",
                "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]},
            }
        },
        "Permissions": ["SELECT"],
        "PermissionsWithGrantOption": ["SELECT"],
    }
    state = {
        "principal": ANALYST,
        "permissions": ["SELECT"],
        "permissions_with_grant_option": ["SELECT"],
        "table_with_columns": [
            {"database_name": GOLD, "name": "users", "wildcard": True, "excluded_column_names": ["ssn"]}
        ],
    }
    assert [g.comparable for g in grants_from_listing(listed)] == [g.comparable for g in grants_from_state(state)]
    assert grants_from_state(state)[1].permission == "SELECT (grantable)"


def test_a_wildcard_excluding_nothing_is_the_table_grant() -> None:
    all_columns = {"TableWithColumns": {"DatabaseName": "d", "Name": "t", "ColumnWildcard": {}}}
    assert (
        describe_resource(all_columns)
        == describe_resource({"Table": {"DatabaseName": "d", "Name": "t"}})
        == "table d.t"
    )
    assert describe_resource({"Table": {"DatabaseName": "d", "TableWildcard": {}}}) == "table d.*"
    assert describe_resource({"DataCellsFilter": {"DatabaseName": "d", "TableName": "t", "Name": "f"}}) == (
        "data cells filter d.t.f"
    )


# -- reading: a listing that fails is named, never skipped -----------------------------------------


class _Refusing(Target):
    """A target whose services all answer AccessDenied, except STS and those in ``working``."""

    working: tuple[str, ...] = ("sts",)

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        fake = MagicMock()
        fake.get_caller_identity.return_value = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/me"}
        if service not in self.working:
            denied = ClientError({"Error": {"Code": "AccessDenied", "Message": f"no {service}"}}, "List")
            fake.get_paginator.return_value.paginate.side_effect = denied
            ops = (
                "list_work_groups",
                "get_data_lake_settings",
                "list_permissions",
                "list_resources",
                "list_access_points",
                "list_services",
                "list_auto_scaling_configurations",
                "describe_regions",
            )
            for op in ops:
                getattr(fake, op).side_effect = denied
        return fake


def test_every_unreadable_service_is_named_in_the_inventory() -> None:
    inv = stack_inventory(_Refusing("aws", REGION), STACK)
    assert not inv.resources
    for what in (
        f"s3 ListBuckets ({GLOBAL})",
        f"iam ListRoles/ListUsers/ListPolicies ({GLOBAL})",
        f"budgets DescribeBudgets ({GLOBAL})",
        f"s3control ListAccessPoints ({REGION})",
        f"sqs ListQueues ({REGION})",
        "sqs ListQueues (us-east-1)",
        f"sns ListTopics ({REGION})",
        "sns ListTopics (us-east-1)",
        f"athena ListWorkGroups ({REGION})",
        f"cloudwatch DescribeAlarms ({REGION})",
        f"cloudwatch ListDashboards ({REGION})",
        f"glue GetDatabases ({REGION})",
        f"apprunner ListServices/ListAutoScalingConfigurations ({REGION})",
        f"sagemaker ListModels/ListEndpointConfigs/ListEndpoints ({REGION})",
        f"scheduler ListScheduleGroups/ListSchedules ({REGION})",
        "scheduler ListScheduleGroups/ListSchedules (us-east-1)",
        f"ec2 DescribeRegions ({GLOBAL})",
        f"tagging GetResources ({REGION})",
        "tagging GetResources (us-east-1)",
        f"lakeformation GetDataLakeSettings ({REGION})",
        f"lakeformation ListPermissions ({REGION})",
        f"lakeformation ListDataCellsFilter ({REGION})",
        f"lakeformation ListResources ({REGION})",
        f"lakeformation ListLFTags ({REGION})",
    ):
        assert any(u.startswith(what) for u in inv.unreadable), (what, inv.unreadable)
    result = judge_iac(PlanResult(0), STATE, inv, EXPECTED)
    assert result.status is Status.ERROR and "AccessDenied" in str(result.reason)


BUCKET = f"s3://{P}-gold-{ACCOUNT}"
USERS, ORDERS, REVENUE = f"{GOLD}.users", f"{GOLD}.orders_enriched", f"{GOLD}.daily_revenue"


def test_a_table_repointed_outside_the_stacks_buckets_fails_though_the_plan_is_clean() -> None:
    """The root ignores Gold users' storage_descriptor and parameters (Iceberg owns them): plan cannot see it."""
    ours = {f"{GOLD}.users": TableLocation(f"{BUCKET}/users", f"{BUCKET}/users/metadata/00001.metadata.json")}
    assert _judge(_with(table_locations=ours)).passed
    elsewhere = {
        f"{GOLD}.users": TableLocation(
            "s3://someone-elses-bucket/users", f"{BUCKET}/users/metadata/00001.metadata.json"
        ),
        f"{GOLD}.daily_revenue": TableLocation(f"{BUCKET}/daily_revenue", "s3://someone-elses-bucket/m.json"),
    }
    result = _judge(_with(table_locations=elsewhere))
    assert result.status is Status.FAILED
    assert result.details["tables_outside_the_stack"] == [
        f"{GOLD}.daily_revenue s3://someone-elses-bucket/m.json (Glue metadata_location) is unmanaged data: in no "
        "bucket of Terraform state",
        f"{GOLD}.users s3://someone-elses-bucket/users (Glue StorageDescriptor.Location) is unmanaged data: in no "
        "bucket of Terraform state",
    ]
    assert "2 place(s) the stack's tables send files to lie outside their layer's bucket" in str(result.reason)


# -- no two tables share or nest locations; Iceberg metadata is the table's own ------------------------------


def _iceberg(prefix: str, location: str | None = None) -> TableLocation:
    """A table at ``BUCKET/prefix/`` (or ``location``) whose metadata lies where Iceberg writes it."""
    where = location or f"{BUCKET}/{prefix}/"
    return TableLocation(where, f"{BUCKET}/{prefix}/metadata/00003-0b1c.metadata.json")


def _gold(**tables: TableLocation) -> dict[str, TableLocation]:
    """The pipeline's Gold tables where it puts them, with ``tables`` (by short name) changed."""
    healthy_gold = {"users": _iceberg("users"), "orders_enriched": _iceberg("orders_enriched")}
    healthy_gold["daily_revenue"] = _iceberg("daily_revenue")
    return {f"{GOLD}.{name}": where for name, where in {**healthy_gold, **tables}.items()}


def test_the_pipelines_tables_at_their_own_prefixes_pass() -> None:
    """users, users_v2 and users_rejected start alike but are siblings: a shared prefix is no nesting."""
    tables = _gold(users_v2=_iceberg("users_v2"), users_rejected=TableLocation(f"{BUCKET}/users_rejected"))
    result = _judge(_with(table_locations=tables))
    assert result.passed, result.reason
    assert "table_location_clashes" not in result.details


@pytest.mark.parametrize(
    ("users_at", "clash"),
    [
        (
            f"{BUCKET}/orders_enriched/",
            f"{ORDERS} at {BUCKET}/orders_enriched/ and {USERS} at {BUCKET}/orders_enriched/ share one location",
        ),
        (
            f"{BUCKET}/orders_enriched",
            f"{ORDERS} at {BUCKET}/orders_enriched/ and {USERS} at {BUCKET}/orders_enriched share one location",
        ),
        (
            f"s3a://{P}-gold-{ACCOUNT}/orders_enriched/",
            f"and {USERS} at s3a://{P}-gold-{ACCOUNT}/orders_enriched/ share",
        ),
        (
            f"{BUCKET}/orders_enriched/users/",
            f"{USERS} at {BUCKET}/orders_enriched/users/ lies inside {ORDERS}'s location",
        ),
        (f"{BUCKET}/", f"{ORDERS} at {BUCKET}/orders_enriched/ lies inside {USERS}'s location {BUCKET}/"),
    ],
    ids=["equal", "equal-without-slash", "equal-other-scheme", "nested-under-orders", "bucket-root-above-all"],
)
def test_users_repointed_at_another_tables_location_fails_naming_both(users_at: str, clash: str) -> None:
    """Gold users moved onto orders_enriched's prefix (or inside it, or above it) stays in a stack bucket."""
    tables = _gold(users=TableLocation(users_at, f"{users_at.rstrip('/')}/metadata/00004-9f.metadata.json"))
    result = _judge(_with(table_locations=tables))
    assert result.status is Status.FAILED
    assert clash in str(result.reason), result.reason
    assert any(clash in c for c in result.details["table_location_clashes"])
    assert "no two tables may share or nest locations" in str(result.reason)
    assert "tables_outside_the_stack" not in result.details  # every location is in a stack bucket


def test_iceberg_metadata_outside_the_tables_own_location_fails() -> None:
    """users' metadata_location pointing into orders_enriched's folder: users reads orders' snapshots."""
    moved = f"{BUCKET}/orders_enriched/metadata/00007-aa.metadata.json"
    tables = _gold(users=TableLocation(f"{BUCKET}/users/", moved))
    result = _judge(_with(table_locations=tables))
    assert result.status is Status.FAILED
    assert result.details["table_location_clashes"] == [
        f"{USERS}'s Iceberg metadata_location {moved} is not under its own location {BUCKET}/users/, "
        f"but under {ORDERS}'s location {BUCKET}/orders_enriched/"
    ]
    elsewhere = f"{BUCKET}/users_metadata/00007-aa.metadata.json"  # a sibling prefix, no table's
    result = _judge(_with(table_locations=_gold(users=TableLocation(f"{BUCKET}/users", elsewhere))))
    assert result.details["table_location_clashes"] == [
        f"{USERS}'s Iceberg metadata_location {elsewhere} is not under its own location {BUCKET}/users"
    ]
    nowhere = _judge(_with(table_locations=_gold(users=TableLocation(None, f"{BUCKET}/users/metadata/1.json"))))
    assert nowhere.status is Status.FAILED
    assert "is not under a location of its own (it has none)" in str(nowhere.reason)


def test_a_table_of_another_database_nested_in_a_gold_tables_location_fails() -> None:
    """Clashes are across all the stack's databases, not per database."""
    tables = {**_gold(), f"{G}_silver.scratch": TableLocation(f"{BUCKET}/daily_revenue/scratch/")}
    result = _judge(_with(table_locations=tables))
    assert result.details["table_location_clashes"] == [
        f"{G}_silver.scratch at {BUCKET}/daily_revenue/scratch/ lies inside {REVENUE}'s location "
        f"{BUCKET}/daily_revenue/"
    ]


def test_a_table_managed_by_terraform_must_stay_where_the_state_says() -> None:
    """The root ignores users' storage_descriptor, so plan is quiet; the state still has what was applied."""
    declared = f"{BUCKET}/users/"
    state = [
        r
        if r["type"] != "aws_glue_catalog_table"
        else _res("aws_glue_catalog_table", {**r["values"], "storage_descriptor": [{"location": declared}]})
        for r in STATE
    ]
    # After an Iceberg commit the location comes back without its slash: the same place.
    committed = _with(table_locations=_gold(users=_iceberg("users", f"{BUCKET}/users")))
    assert judge_iac(PlanResult(0), state, committed, EXPECTED).passed
    moved = _with(table_locations=_gold(users=_iceberg("users_old")))
    result = judge_iac(PlanResult(0), state, moved, EXPECTED)
    assert result.status is Status.FAILED
    assert result.details["table_location_clashes"] == [
        f"{USERS} is at {BUCKET}/users_old/ but Terraform state records {declared}"
    ]


def test_a_pipeline_table_must_stay_where_its_create_statement_says() -> None:
    """daily_revenue is in no state (the pipeline's SQL makes it): moved whole to its own new prefix it clashes
    with nothing, so only the statement's LOCATION tells; a commit's missing slash is the same place."""
    declared = {f"{GOLD}.daily_revenue": (f"{BUCKET}/daily_revenue/", "pipeline/sql/30_gold.sql:18")}
    committed = _with(table_locations=_gold(daily_revenue=_iceberg("daily_revenue", f"{BUCKET}/daily_revenue")))
    assert judge_iac(PlanResult(0), STATE, committed, EXPECTED, declared).passed
    moved = _with(table_locations=_gold(daily_revenue=_iceberg("daily_revenue_v2")))
    assert judge_iac(PlanResult(0), STATE, moved, EXPECTED).passed  # without the statements: the hole
    result = judge_iac(PlanResult(0), STATE, moved, EXPECTED, declared)
    assert result.status is Status.FAILED
    assert result.details["table_location_clashes"] == [
        f"{REVENUE} is at {BUCKET}/daily_revenue_v2/ but the pipeline's SQL (pipeline/sql/30_gold.sql:18) "
        f"declares {BUCKET}/daily_revenue/"
    ]
    assert "or the pipeline's SQL declares" in str(result.reason)


def test_the_location_a_create_statement_declares_hive_ddl_or_ctas() -> None:
    assert declared_location("CREATE TABLE d.t (a int) LOCATION 's3://b/t/' TBLPROPERTIES ('x' = 'y')") == "s3://b/t/"
    ctas = "CREATE TABLE d.t WITH (table_type = 'ICEBERG', location = 's3://b/t2/') AS SELECT 1 AS a"
    assert declared_location(ctas) == "s3://b/t2/"
    assert declared_location("CREATE TABLE d.t AS SELECT 1 AS a") is None


# -- the plan under way while the state and the account are read -----------------------------------


class _Stack:
    """A stack whose plan takes a while (or fails) on its own thread: what ``check_iac_coverage`` sees."""

    stack_id = STACK
    target = Target("aws", REGION)
    #: The root's files are read for blocks that run commands (lakehouse.tf_shellouts); ignored_drift, which
    #: read_account replaces, reads nothing else of it.
    tf: Any = SimpleNamespace(workdir=project_root() / "infra")

    def __init__(self, plan: PlanResult | Exception, started: list[str]) -> None:
        self._plan, self.started = plan, started

    def plan(self) -> PlanResult:
        self.started.append("plan")
        if isinstance(self._plan, Exception):
            raise self._plan
        return self._plan

    def state(self) -> dict[str, Any]:
        self.started.append("state")
        return {"values": {"root_module": {"resources": STATE}}}


@pytest.fixture
def read_account(monkeypatch: pytest.MonkeyPatch) -> None:
    import lakehouse.checks.iac as iac

    monkeypatch.setattr(iac, "stack_inventory", lambda _target, _stack_id: healthy())
    monkeypatch.setattr(iac, "pipeline_locations", lambda *_a: {name: (None, "sql") for name in EXPECTED})
    # The plan without the root's ignores is Terraform's (tests/integration/test_iac_ignore_changes.py).
    monkeypatch.setattr(iac, "unignored_drift", lambda _tf: Unignored({}, [], []))


@pytest.mark.usefixtures("read_account")
def test_a_plan_under_way_is_waited_for_and_judged() -> None:
    from lakehouse.checks.iac import check_iac_coverage, plan_in_background

    started: list[str] = []
    healthy_stack = _Stack(PlanResult(0), started)
    assert check_iac_coverage(healthy_stack, plan_in_background(healthy_stack)).passed  # type: ignore[arg-type]
    drifted = _Stack(PlanResult(2, [PlannedChange("aws_athena_workgroup.this", "update")]), [])
    outcome = check_iac_coverage(drifted, plan_in_background(drifted))  # type: ignore[arg-type]
    assert outcome.status is Status.FAILED
    assert "aws_athena_workgroup.this" in str(outcome.reason)


@pytest.mark.usefixtures("read_account")
def test_without_a_plan_the_check_plans_beside_its_reads() -> None:
    from lakehouse.checks.iac import check_iac_coverage

    started: list[str] = []
    drifted = _Stack(PlanResult(2, [PlannedChange("aws_sns_topic.alerts", "delete")]), started)
    assert not check_iac_coverage(drifted).passed  # type: ignore[arg-type]
    assert sorted(started) == ["plan", "state"]


@pytest.mark.usefixtures("read_account")
def test_a_plan_that_failed_in_the_background_is_not_a_verdict() -> None:
    """Terraform's error reaches the step (an error, as when the plan ran in the step itself), never a pass."""
    from lakehouse.checks.iac import check_iac_coverage, plan_in_background
    from lakehouse.terraform import TerraformError

    broken = _Stack(TerraformError("plan", 1, ["Error: reading S3 Bucket"], None), [])
    with pytest.raises(TerraformError, match="reading S3 Bucket"):
        check_iac_coverage(broken, plan_in_background(broken))  # type: ignore[arg-type]
