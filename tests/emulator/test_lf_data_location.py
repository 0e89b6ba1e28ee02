"""Lake Formation's data location permission: a table may point into a registered S3 location only for its holders.

On AWS, once an S3 location is registered with Lake Formation (RegisterResource), creating a table whose
LOCATION lies in it (Athena CREATE [EXTERNAL] TABLE, CTAS; Glue CreateTable) or moving a table there (ALTER
TABLE ... SET LOCATION) needs ``DATA_LOCATION_ACCESS`` on that location or on a location above it; data lake
admins hold it implicitly ("Lake Formation data location permissions control the ability to create or alter
Data Catalog resources that point to particular Amazon S3 locations", LF developer guide, Underlying data access
control). Without it Glue answers ``AccessDeniedException: Insufficient Lake Formation permission(s) on
s3://...`` (AWS Glue's "Crawler errors when the crawler is using Lake Formation permissions" page names the
message), which Athena passes on. Locations outside every registered one are IAM's business.

The lake is tests/emulator/lf_stack.py's, with ``s3://<bucket>/gold`` registered (a prefix, as a bucket's
registration would be) and the Hive table ``events`` outside it.
"""

from __future__ import annotations

from typing import Any

import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.emulator.sql.access import Access
from tests.emulator.lf_stack import Lake, build_lake, principal

REGION = "us-west-1"  # a region of its own: build_lake names buckets and roles by region
DB = "loc_gold"
BUCKET = f"lf-data-{REGION}"
GOLD = f"s3://{BUCKET}/gold"
REGISTERED = f"arn:aws:s3:::{BUCKET}/gold"
ICEBERG = "TBLPROPERTIES ('table_type'='ICEBERG')"
OK = "OK"


def refused(location: str) -> str:
    return f"Insufficient Lake Formation permission(s) on {location}"


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    """Roles holding CREATE_TABLE on the database and ALTER on a Hive table each, and different location grants.

    - ``builder``: no location permission;
    - ``located``: DATA_LOCATION_ACCESS on the registered location itself (so on everything under it);
    - ``narrow``: DATA_LOCATION_ACCESS on ``gold/mine`` only.
    """
    lake = build_lake(emulator, REGION, DB)
    lake.client("lakeformation").register_resource(ResourceArn=REGISTERED, UseServiceLinkedRole=True)
    lake.client("s3").put_object(Bucket=BUCKET, Key="events/part-0.csv", Body=b"1,open\n")
    for role in ("builder", "located", "narrow"):
        lake.add_role(role)
        lake.grant(role, {"Database": {"Name": "default"}}, ["DESCRIBE"])
        lake.grant(role, {"Database": {"Name": DB}}, ["CREATE_TABLE", "DESCRIBE"])
        with lake.cursor() as admin:
            admin.execute(
                f"CREATE EXTERNAL TABLE events_{role} (id bigint, kind string) "
                f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/events/'"
            )
        lake.grant(role, {"Table": {"DatabaseName": DB, "Name": f"events_{role}"}}, ["ALTER", "SELECT"])
    lake.grant("located", {"DataLocation": {"ResourceArn": REGISTERED}}, ["DATA_LOCATION_ACCESS"])
    lake.grant("narrow", {"DataLocation": {"ResourceArn": f"{REGISTERED}/mine"}}, ["DATA_LOCATION_ACCESS"])
    return lake


def _external(name: str, location: str) -> str:
    return f"CREATE EXTERNAL TABLE {name} (id bigint) LOCATION '{location}'"


def _iceberg(name: str, location: str) -> str:
    return f"CREATE TABLE {name} (id bigint) LOCATION '{location}' {ICEBERG}"


def _ctas(name: str, location: str) -> str:
    return f"CREATE TABLE {name} WITH (table_type='ICEBERG', location='{location}') AS SELECT 1 AS id"


# (principal, statement, the table it creates or moves, AWS's answer); None is the data lake admin.
ROWS: list[tuple[str | None, str, str, str]] = [
    ("builder", _external("b_ext", f"{GOLD}/b_ext/"), "b_ext", refused(f"{GOLD}/b_ext/")),
    ("builder", _iceberg("b_ice", f"{GOLD}/b_ice/"), "b_ice", refused(f"{GOLD}/b_ice/")),
    ("builder", _ctas("b_ctas", f"{GOLD}/b_ctas/"), "b_ctas", refused(f"{GOLD}/b_ctas/")),
    ("builder", _external("b_root", GOLD), "b_root", refused(GOLD)),  # the registered location itself
    (
        "builder",
        f"ALTER TABLE events_builder SET LOCATION '{GOLD}/events/'",
        "events_builder",
        refused(f"{GOLD}/events/"),
    ),
    # Outside the registered location: IAM's business, Lake Formation asks nothing.
    ("builder", _external("b_outside", f"s3://{BUCKET}/silver/b/"), "b_outside", OK),
    ("builder", _iceberg("b_golden", f"s3://{BUCKET}/golden/b/"), "b_golden", OK),  # a name sharing the prefix
    # DATA_LOCATION_ACCESS on the registered location covers everything under it.
    ("located", _external("l_ext", f"{GOLD}/l_ext/"), "l_ext", OK),
    ("located", _iceberg("l_ice", f"{GOLD}/l_ice/"), "l_ice", OK),
    ("located", _ctas("l_ctas", f"{GOLD}/l_ctas/"), "l_ctas", OK),
    ("located", f"ALTER TABLE events_located SET LOCATION '{GOLD}/events/'", "events_located", OK),
    # A grant on a sub-location covers that sub-location only.
    ("narrow", _external("n_mine", f"{GOLD}/mine/n/"), "n_mine", OK),
    ("narrow", _external("n_other", f"{GOLD}/other/n/"), "n_other", refused(f"{GOLD}/other/n/")),
    ("narrow", _ctas("n_mine_ctas", f"{GOLD}/mine/ctas/"), "n_mine_ctas", OK),
    ("narrow", f"ALTER TABLE events_narrow SET LOCATION '{GOLD}/events/'", "events_narrow", refused(f"{GOLD}/events/")),
    # The data lake admin needs no grant.
    (None, _iceberg("a_ice", f"{GOLD}/a_ice/"), "a_ice", OK),
    (None, _external("a_ext", f"{GOLD}/a_ext/"), "a_ext", OK),
]


def _location(lake: Lake, table: str) -> str | None:
    """The Glue table's location, None when the table does not exist."""
    glue = lake.client("glue")
    try:
        found = glue.get_table(DatabaseName=DB, Name=table)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    return str(found["StorageDescriptor"]["Location"])


@pytest.mark.parametrize(("who", "sql", "table", "aws"), ROWS, ids=[f"{r[0]}: {r[1][:70]}" for r in ROWS])
def test_a_table_points_into_a_registered_location_only_with_data_location_access(
    lake: Lake, who: str | None, sql: str, table: str, aws: str
) -> None:
    before = _location(lake, table)
    with lake.cursor(who) as cursor:
        if aws == OK:
            cursor.execute(sql)
            assert _location(lake, table) is not None
            return
        with pytest.raises(OperationalError):
            cursor.execute(sql)
        query_id = cursor.query_id
    status = lake.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"] == aws, f"{who}: {sql}"
    assert _location(lake, table) == before  # nothing created, nothing moved


def test_the_pipeline_gold_tables_stay_creatable_by_the_admin_and_the_granted_role(lake: Lake) -> None:
    """infra/governance.tf: the operator is a data lake admin; the pipeline role holds DATA_LOCATION_ACCESS on gold.

    The gold DDL of pipeline/sql/30_gold.sql (CREATE TABLE IF NOT EXISTS ... TBLPROPERTIES ('table_type'='ICEBERG',
    'format'='parquet')) runs as both, the second time as a no-op.
    """
    sql = (
        f"CREATE TABLE IF NOT EXISTS {DB}.daily_revenue (order_date date, revenue decimal(12, 2)) "
        f"LOCATION '{GOLD}/daily_revenue/' TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet')"
    )
    with lake.cursor() as admin:
        admin.execute(sql)
    with lake.cursor("located") as pipeline:
        pipeline.execute(sql)
    assert (_location(lake, "daily_revenue") or "").startswith(f"{GOLD}/daily_revenue")


# ---------------------------------------------------------------- the rule, pure (no emulator)

ROLE = "arn:aws:iam::123456789012:role/r"


def _location_grant(who: str, arn: str, permissions: list[str]) -> dict[str, Any]:
    return {"Principal": principal(who), "Resource": {"DataLocation": {"ResourceArn": arn}}, "Permissions": permissions}


#: (Access's fields besides the principal, the LOCATION, whether the principal may point a table there)
RULES: list[tuple[dict[str, Any], str, bool]] = [
    ({"registered": frozenset({REGISTERED})}, f"{GOLD}/t/", False),
    ({"registered": frozenset({REGISTERED})}, f"s3://{BUCKET}/golden/t/", True),
    ({"registered": frozenset({REGISTERED})}, f"s3://other-{BUCKET}/gold/t/", True),
    ({"registered": frozenset({f"arn:aws:s3:::{BUCKET}"})}, f"{GOLD}/t/", False),  # a bucket's ARN
    ({"registered": frozenset({REGISTERED}), "admin": True}, f"{GOLD}/t/", True),
    ({"registered": frozenset({REGISTERED}), "read_only_admin": True}, f"{GOLD}/t/", False),
    (
        {
            "registered": frozenset({REGISTERED}),
            "grants": [_location_grant(ROLE, f"arn:aws:s3:::{BUCKET}", ["DATA_LOCATION_ACCESS"])],
        },
        f"{GOLD}/t/",
        True,
    ),
    (
        {
            "registered": frozenset({REGISTERED}),
            "grants": [_location_grant(ROLE, f"{REGISTERED}/t", ["DATA_LOCATION_ACCESS"])],
        },
        f"{GOLD}/tt/",
        False,
    ),
    (
        {"registered": frozenset({REGISTERED}), "grants": [_location_grant(ROLE, REGISTERED, ["DESCRIBE"])]},
        f"{GOLD}/t/",
        False,
    ),
    (
        {
            "registered": frozenset({REGISTERED}),
            "grants": [_location_grant("arn:aws:iam::123456789012:role/other", REGISTERED, ["DATA_LOCATION_ACCESS"])],
        },
        f"{GOLD}/t/",
        False,
    ),
]


@pytest.mark.parametrize(("fields", "location", "allowed"), RULES)
def test_data_location_rule(fields: dict[str, Any], location: str, allowed: bool) -> None:
    assert Access(ROLE, **fields).may_point_at(location) is allowed
