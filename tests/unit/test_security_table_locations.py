"""Exit check 6 judges every catalog table whose location or metadata lies over files holding ssn.

The broken stack: a table the analyst reads in full (``lh_gold.orders_enriched``, or one in a sandbox database)
is repointed at the Silver users files: ``ALTER TABLE ... SET LOCATION 's3://<silver>/users/'``, Glue UpdateTable
with that StorageDescriptor.Location, or ``SET TBLPROPERTIES ('metadata_location'=...)`` naming the users
metadata. The catalog still lists the table without ssn, the analyst's ``SELECT *`` finds no Gold value in the
columns Glue lists, and main passed: it judged table locations only through DATA_LOCATION and CREATE_TABLE grants
(``hidden_files``). Yet an Iceberg table reads the schema of the metadata it points at, and a grant on every column
covers a column added to a Hive table later: the analyst's grant on such a table reads ssn.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_grants import granted_reads
from lakehouse.checks.security_model import CatalogTable, SecurityReadback
from lakehouse.checks.security_read import read_data_paths, read_grants
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, DB, SILVER, grant, healthy

SILVER_USERS = f"s3://{BUCKETS['silver']}/users/"
SILVER_METADATA = f"{SILVER_USERS}metadata/00003-9a1b.metadata.json"
PARQUET = f"{SILVER_USERS}data/00000.parquet"
ORDERS = "orders_enriched"


def _repointed(location: str | None, metadata: str | None = None, database: str = DB) -> SecurityReadback:
    """The healthy readback plus ``<database>.orders_enriched`` (no ssn column) at ``location``/``metadata``."""
    rb = healthy()
    rb.probes[1].table.metadata_location = SILVER_METADATA  # Silver users is an Iceberg table
    rb.lake_objects[BUCKETS["silver"]].append(SILVER_METADATA.split("/", 3)[3])
    rb.others = [CatalogTable(database, ORDERS, ["order_id", "user_id", "amount"], location, metadata)]
    return rb


def _grants(rb: SecurityReadback) -> list[str]:
    outcome = judge_security(rb)
    assert not outcome.passed, "a table over the ssn files, readable by the analyst, passed"
    return list(outcome.details["problems"]["grants"])


ON_ORDERS = {"Table": {"DatabaseName": DB, "Name": ORDERS}}


def test_a_table_repointed_at_the_silver_users_folder_fails_naming_table_and_ssn_file() -> None:
    rb = _repointed(SILVER_USERS)
    rb.grants.append(grant(ANALYST, ON_ORDERS, "SELECT"))
    assert _grants(rb) == [
        f"the analyst holds ['SELECT'] on {DB}.{ORDERS} through a table-level grant (every column), and its "
        f"location {SILVER_USERS} lies over the files of {SILVER}.users ({SILVER_USERS}, e.g. {PARQUET}): "
        f"a query of {DB}.{ORDERS} reads ssn from them"
    ]


def test_an_iceberg_table_whose_metadata_location_is_the_users_metadata_fails() -> None:
    rb = _repointed(f"s3://{BUCKETS['gold']}/orders_enriched/", SILVER_METADATA)
    rb.grants.append(grant(ANALYST, ON_ORDERS, "SELECT"))
    (reason,) = _grants(rb)
    assert f"its location {SILVER_METADATA} lies over the files of {SILVER}.users" in reason, reason
    assert f"e.g. {SILVER_METADATA}" in reason, reason


@pytest.mark.parametrize(
    ("where", "grantee", "resource", "how"),
    [
        ("data/", ANALYST, {"Table": {"DatabaseName": "sandbox", "TableWildcard": {}}}, "a database-wide grant"),
        ("", "IAM_ALLOWED_PRINCIPALS", ON_ORDERS, "IAMAllowedPrincipals (IAM alone decides"),
        (
            "",
            ANALYST,
            {"TableWithColumns": {"DatabaseName": DB, "Name": ORDERS, "ColumnWildcard": {"ExcludedColumnNames": []}}},
            "a column wildcard",
        ),
        ("", f"{ACCOUNT}:IAMPrincipals", ON_ORDERS, "a table-level grant"),
    ],
    ids=["table-wildcard-under-the-folder", "iam-allowed-principals", "column-wildcard", "every-iam-principal"],
)
def test_every_way_of_reading_the_table_in_full_fails(
    where: str, grantee: str, resource: dict[str, Any], how: str
) -> None:
    database = str(next(iter(resource.values()))["DatabaseName"])
    rb = _repointed(SILVER_USERS + where, database=database)
    rb.grants.append(grant(grantee, resource, "SELECT"))
    (reason,) = _grants(rb)
    assert f"on {database}.{ORDERS} through {how}" in reason and f"the files of {SILVER}.users" in reason, reason


def test_super_on_a_sandbox_database_holding_a_table_over_the_bronze_csv_fails() -> None:
    rb = _repointed(f"s3://{BUCKETS['bronze']}/raw/", database="sandbox")
    rb.grants.append(grant(ANALYST, {"Database": {"Name": "sandbox"}}, "ALL"))
    (reason,) = _grants(rb)
    assert reason.startswith("the analyst holds ['ALL'] on sandbox.orders_enriched through ['ALL'] on database "), (
        reason
    )
    assert f"s3://{BUCKETS['bronze']}/raw/users/raw/users.csv" not in reason
    assert f"e.g. s3://{BUCKETS['bronze']}/raw/users/users.csv" in reason, reason


def test_a_role_the_analyst_can_act_as_reading_the_table_fails() -> None:
    hop = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "sts:AssumeRole"}],
    }
    rb = _repointed(SILVER_USERS)
    rb.roles = {hop: RoleInfo(hop, trust, [])}
    rb.grants.append(grant(hop, ON_ORDERS, "SELECT"))
    outcome = judge_security(rb)
    assert not outcome.passed
    (reason,) = outcome.details["problems"]["role_paths"]
    assert f"role {hop} holds ['SELECT'] on {DB}.{ORDERS}" in reason, reason


@pytest.mark.parametrize(
    ("location", "grantee", "resource"),
    [
        (f"s3://{BUCKETS['silver']}/users_v2/", ANALYST, ON_ORDERS),  # a sibling folder, no ssn file in it
        (SILVER_USERS, ANALYST, {"TableWithColumns": {"DatabaseName": DB, "Name": ORDERS, "ColumnNames": ["user_id"]}}),
        (SILVER_USERS, f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline", ON_ORDERS),  # not the analyst
        (SILVER_USERS, ANALYST, {"Table": {"DatabaseName": DB, "Name": "orders"}}),  # another table
    ],
    ids=["sibling-folder", "named-columns-only", "pipeline-grant", "grant-on-another-table"],
)
def test_healthy_twins_pass(location: str, grantee: str, resource: dict[str, Any]) -> None:
    rb = _repointed(location)
    rb.grants.append(grant(grantee, resource, "SELECT"))
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


def test_a_view_over_the_users_table_is_no_table_over_its_files() -> None:
    rb = _repointed(None)
    rb.others[0].view = True
    rb.others[0].location = SILVER_USERS  # Glue may keep a location on a view; Athena reads no files through it
    rb.grants.append(grant(ANALYST, ON_ORDERS, "SELECT"))
    assert judge_security(rb).passed, judge_security(rb).reason


@mock_aws
def test_a_copy_of_the_users_metadata_elsewhere_is_followed_to_the_users_files() -> None:
    """``metadata_location`` naming a copy of the users metadata in a bucket of its own: the copy's ``location``
    and snapshots still name the users files, and the reader follows them for a table some grant reads."""
    region = "ap-northeast-1"
    s3 = boto3.client("s3", region_name=region)
    s3.create_bucket(Bucket="team-share-1", CreateBucketConfiguration={"LocationConstraint": region})
    copied = {"format-version": 2, "location": SILVER_USERS.rstrip("/"), "properties": {}, "snapshots": []}
    s3.put_object(Bucket="team-share-1", Key="orders/metadata/0.metadata.json", Body=json.dumps(copied).encode())
    rb = _repointed("s3://team-share-1/orders/", "s3://team-share-1/orders/metadata/0.metadata.json")
    rb.grants.append(grant(ANALYST, ON_ORDERS, "SELECT"))
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=region))
    errors: list[str] = []
    read_data_paths(target, rb.others, errors)
    assert errors == [] and rb.others[0].data_locations == [SILVER_USERS.rstrip("/")]
    (reason,) = _grants(rb)
    assert f"its location {SILVER_USERS.rstrip('/')} lies over the files of {SILVER}.users" in reason, reason


# LF-Tag policy grants: the same table read in full through its LF-Tags. Main judged an LF-Tag grant only against
# the tables listing ssn, so a repointed table the analyst reads through tags passed.

TEAM = [{"TagKey": "team", "TagValues": ["analytics"]}]
UNTAGGED: dict[str, Any] = {"LFTagOnDatabase": [], "LFTagsOnTable": [], "LFTagsOnColumns": []}


def _tagged(rb: SecurityReadback, orders: dict[str, Any], expression: Any = TEAM, **policy: Any) -> SecurityReadback:
    """The analyst's SELECT through an LF-Tag expression; ``orders``: GetResourceLFTags of orders_enriched."""
    rb.grants.append(
        grant(ANALYST, {"LFTagPolicy": {"ResourceType": "TABLE", "Expression": expression, **policy}}, "SELECT")
    )
    rb.lf_tags = {p.table.qualified: UNTAGGED for p in rb.probes}  # no ssn table carries the tag
    rb.lf_tags[f"{DB}.{ORDERS}"] = orders
    return rb


def _on_columns(*columns: str) -> list[dict[str, Any]]:
    """LF-Tags put on columns (``AddLFTagsToResource`` with ``ColumnWildcard`` puts them on every column)."""
    return [{"Name": c, "LFTags": TEAM} for c in columns]


INHERITED = {"LFTagOnDatabase": TEAM, "LFTagsOnTable": TEAM, "LFTagsOnColumns": []}


def test_a_table_read_through_an_lf_tag_grant_repointed_at_the_users_folder_fails() -> None:
    rb = _tagged(_repointed(SILVER_USERS), INHERITED)
    assert _grants(rb) == [
        f"the analyst holds ['SELECT'] on {DB}.{ORDERS} through LF-Tag expression {TEAM} (TABLE), matching its "
        f"LF-Tags {{team=analytics}}, and its location {SILVER_USERS} lies over the files of {SILVER}.users "
        f"({SILVER_USERS}, e.g. {PARQUET}): a query of {DB}.{ORDERS} reads ssn from them"
    ]


@pytest.mark.parametrize(
    ("orders", "policy", "how"),
    [
        ({"LFTagOnDatabase": TEAM}, {}, "matching its LF-Tags {team=analytics}"),  # the database's, inherited
        ({"LFTagsOnTable": [{"TagKey": "team", "TagValues": ["analytics", "ops"]}]}, {}, "{team=analytics,ops}"),
        (
            {"LFTagsOnColumns": _on_columns("order_id", "user_id", "amount")},
            {},
            "matching the LF-Tags of every column it lists",
        ),
        (INHERITED, {"Expression": [{"TagKey": "team", "TagValues": ["*"]}]}, "'TagValues': ['*']"),
        (INHERITED, {"Expression": None, "ExpressionName": "analysts"}, f"LF-Tag expression analysts {TEAM}"),
    ],
    ids=["database-tag", "table-tag", "column-wildcard", "any-value", "saved-expression"],
)
def test_every_way_an_lf_tag_grant_reads_the_repointed_iceberg_table_fails(
    orders: dict[str, Any], policy: dict[str, Any], how: str
) -> None:
    rb = _repointed(f"s3://{BUCKETS['gold']}/orders_enriched/", SILVER_METADATA)
    rb.tag_expressions = {"analysts": TEAM}
    rb = _tagged(rb, orders, **({"expression": TEAM} | policy))
    (reason,) = _grants(rb)
    assert f"on {DB}.{ORDERS} through LF-Tag expression" in reason and how in reason, reason
    assert f"its location {SILVER_METADATA} lies over the files of {SILVER}.users" in reason, reason


def test_a_repointed_table_whose_lf_tags_could_not_be_read_fails_under_a_tag_grant() -> None:
    rb = _tagged(_repointed(SILVER_USERS), {})
    rb.lf_tags[f"{DB}.{ORDERS}"] = "AccessDeniedException: no"
    (reason,) = _grants(rb)
    assert "which may match it: its LF-Tags could not be read (AccessDeniedException: no)" in reason, reason
    assert f"its location {SILVER_USERS} lies over the files of {SILVER}.users" in reason, reason


def test_a_role_the_analyst_can_act_as_reading_the_table_through_lf_tags_fails() -> None:
    hop = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "sts:AssumeRole"}],
    }
    rb = _tagged(_repointed(SILVER_USERS), INHERITED)
    rb.grants[-1]["Principal"] = {"DataLakePrincipalIdentifier": hop}
    rb.roles = {hop: RoleInfo(hop, trust, [])}
    outcome = judge_security(rb)
    assert not outcome.passed
    (reason,) = outcome.details["problems"]["role_paths"]
    assert f"role {hop} holds ['SELECT'] on {DB}.{ORDERS} through LF-Tag expression" in reason, reason


@pytest.mark.parametrize(
    ("location", "orders"),
    [
        (f"s3://{BUCKETS['silver']}/users_v2/", INHERITED),  # the tags match, the files are not the users'
        (SILVER_USERS, {"LFTagOnDatabase": [{"TagKey": "team", "TagValues": ["finance"]}]}),  # tags do not match
        (SILVER_USERS, {"LFTagsOnColumns": _on_columns("order_id", "user_id")}),  # not every column: no ssn either
    ],
    ids=["tagged-table-elsewhere", "other-team", "some-columns-only"],
)
def test_lf_tag_healthy_twins_pass(location: str, orders: dict[str, Any]) -> None:
    rb = _tagged(_repointed(location), orders)
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("grantee", [ANALYST, f"arn:aws:iam::{ACCOUNT}:role/lh-hop"], ids=["analyst", "a-role"])
def test_lf_tags_are_read_for_the_tables_that_may_lie_over_ssn_files_and_followed_when_a_tag_grant_reads_them(
    grantee: str,
) -> None:
    """Only when an LF-Tag grant exists (anyone's: a role the analyst can act as is judged too): each ssn table, each
    Iceberg table (its metadata may point anywhere) and each table whose location lies over ssn files; not a Hive
    table elsewhere, not a view. The Iceberg table a tag grant matches has its metadata followed (``granted_reads``)."""
    tag_grant = grant(grantee, {"LFTagPolicy": {"ResourceType": "TABLE", "Expression": TEAM}}, "SELECT")
    asked: list[str] = []

    def get_resource_lf_tags(Resource: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 (boto3's spelling)
        name = Resource["Table"]["Name"]
        asked.append(name)
        return {"LFTagOnDatabase": TEAM if name == ORDERS else [], "ResponseMetadata": {}}

    lf = SimpleNamespace(
        get_data_lake_settings=lambda: {"DataLakeSettings": {}},
        list_permissions=lambda **params: {"PrincipalResourcePermissions": [] if params else [tag_grant]},
        list_data_cells_filter=lambda **params: {"DataCellsFilters": []},
        get_resource_lf_tags=get_resource_lf_tags,
    )
    rb = _repointed(f"s3://{BUCKETS['gold']}/orders_enriched/", "s3://team-share-1/orders/metadata/0.metadata.json")
    rb.others += [
        CatalogTable(DB, "orders_csv", ["order_id"], f"s3://{BUCKETS['gold']}/orders_csv/"),
        CatalogTable(DB, "orders_v", ["order_id"], SILVER_USERS, view=True),
        CatalogTable(DB, "users_csv", ["user_id"], SILVER_USERS),
        CatalogTable(DB, "audit", ["id"], f"s3://{BUCKETS['gold']}/audit/", "s3://b/audit/metadata/0.metadata.json"),
    ]
    read_grants(SimpleNamespace(client=lambda service: lf), [p.table for p in rb.probes], rb)  # type: ignore[arg-type]
    assert asked == [*(p.table.name for p in rb.probes), ORDERS, "users_csv", "audit"]
    assert rb.lf_tags[f"{DB}.{ORDERS}"] == {"LFTagOnDatabase": TEAM}
    assert [t.name for t in rb.others if t.metadata_location and granted_reads(rb, t)] == [ORDERS]  # not audit
