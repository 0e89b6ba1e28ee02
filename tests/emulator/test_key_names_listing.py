"""Exit check 6 on a lake whose analyst may list the data bucket, with and without a table partitioned by ssn.

The broken stack: ``users_by_ssn``, an Iceberg table partitioned by ``ssn`` (its data files under
``users_by_ssn/data/ssn=123-45-6789/``), in the bucket of Gold users, and the analyst's IAM policy allowing
``s3:ListBucket`` on that bucket (and no GetObject). Lake Formation hides the column, every object read is
refused, and main's check passed; ``ListObjectsV2`` as the analyst shows every value. The healthy twins: the same
listing right before the partitioned table exists (keys clean), and, with it, listing only ``orders/`` (the
``s3:prefix`` condition) or no listing at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.hidden_values import MASK
from lakehouse.checks.s3_routes import s3control
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_security
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target
from tests.emulator.lf_stack import SEED_GROUP, SSNS, WORK_GROUP, Lake, analyst_statements, build_lake

REGION = "ap-southeast-2"  # a region of its own: build_lake names buckets and roles by region
DB = "klist_gold"
MRAP_REGION = "us-west-2"  # where AWS answers for Multi-Region Access Points


def _analyst_policy(lake: Lake, listing: dict[str, Any] | None) -> dict[str, Any]:
    """The analyst of infra/ (Athena, Glue reads, its results), plus ``listing`` on the data bucket."""
    statements: list[dict[str, Any]] = [
        *analyst_statements(REGION),
    ]
    if listing is not None:
        statements.append(
            {
                "Sid": "BrowseLake",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{lake.bucket}",
            }
            | listing
        )
    return {"Version": "2012-10-17", "Statement": statements}


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    return build_lake(emulator, REGION, DB)


@pytest.fixture(scope="module")
def partitioned(lake: Lake) -> Lake:
    """``users_by_ssn``, partitioned by ssn, filled by the deployer in a workgroup of its own."""
    with lake.cursor(work_group=SEED_GROUP) as admin:
        admin.execute(
            "CREATE TABLE users_by_ssn (user_id bigint, ssn string) PARTITIONED BY (ssn) "
            f"LOCATION 's3://{lake.bucket}/users_by_ssn/' TBLPROPERTIES ('table_type'='ICEBERG')"
        )
        admin.execute("INSERT INTO users_by_ssn SELECT user_id, ssn FROM users")
    return lake


def _judged(lake: Lake, listing: dict[str, Any] | None) -> Any:
    lake.client("iam").put_role_policy(
        RoleName=f"analyst-{REGION}", PolicyName="broad", PolicyDocument=json.dumps(_analyst_policy(lake, listing))
    )
    outputs = {
        "analyst_role_arn": lake.roles["analyst"],
        "analyst_workgroup_name": WORK_GROUP,
        "athena_workgroup_name": SEED_GROUP,  # the deployer's queries stay out of the analyst's history
        "glue_database_names": {"gold": DB},
    }
    return judge_security(
        read_security(Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint), outputs)
    )


def test_an_analyst_listing_a_bucket_with_clean_keys_passes(lake: Lake) -> None:
    outcome = _judged(lake, {})
    assert outcome.status.value == "passed", outcome.reason
    assert outcome.details["key_names"]["buckets"][lake.bucket]["keys_listed"] > 0
    assert outcome.details["key_names"]["statements_allowing_listing"]


def test_an_analyst_listing_a_bucket_partitioned_by_ssn_fails(partitioned: Lake) -> None:
    keys = partitioned.client("s3").list_objects_v2(Bucket=partitioned.bucket, Prefix="users_by_ssn/data/")
    assert any("ssn=123-45-6789/" in o["Key"] for o in keys.get("Contents") or []), keys  # what the analyst would see
    outcome = _judged(partitioned, {})
    assert outcome.status.value == "failed", outcome.reason
    problems = outcome.details["problems"]["key_names"]
    assert len(problems) == 1 and problems[0].startswith(
        f"the analyst role may list lake bucket {partitioned.bucket}: statement BrowseLake of inline policy broad "
        f"allows s3:ListBucket with no prefix, and the key s3://{partitioned.bucket}/users_by_ssn/data/{MASK}/"
    ), problems
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


@pytest.mark.parametrize(
    "listing", [{"Condition": {"StringLike": {"s3:prefix": ["orders/*"]}}}, None], ids=["orders-only", "no-listing"]
)
def test_a_bucket_partitioned_by_ssn_the_analyst_may_not_list_there_passes(
    partitioned: Lake, listing: dict[str, Any] | None
) -> None:
    outcome = _judged(partitioned, listing)
    assert outcome.status.value == "passed", outcome.reason
    assert outcome.details["key_names"]["buckets"][partitioned.bucket]["keys_showing_hidden_values"] >= len(SSNS)


# -- Multi-Region Access Points ----------------------------------------------------------------------------
#
# The broken stack main passed: the bucket's policy delegates to the account's access points (AWS's documented
# pattern), and a Multi-Region Access Point over it lets the analyst list through the global endpoint. The analyst's
# own policies allow no listing; main read the bucket's regional access points only. Built through S3 Control as
# a person would (its control plane in us-west-2); the healthy twin: the point lets only the pipeline role list.


@pytest.fixture
def global_point(partitioned: Lake) -> Iterator[tuple[Lake, Any, str]]:
    """A Multi-Region Access Point over the partitioned bucket, its bucket policy delegating; removed afterwards."""
    control = s3control(Target(name="local", region=REGION, endpoint_url=partitioned.emulator.endpoint), MRAP_REGION)
    account = partitioned.roles["analyst"].split(":")[4]
    delegation = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DelegateToAccessPoints",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": [f"arn:aws:s3:::{partitioned.bucket}", f"arn:aws:s3:::{partitioned.bucket}/*"],
                "Condition": {"StringEquals": {"s3:DataAccessPointAccount": account}},
            }
        ],
    }
    s3 = partitioned.client("s3")
    s3.put_bucket_policy(Bucket=partitioned.bucket, Policy=json.dumps(delegation))
    details = {"Name": "lake-global", "Regions": [{"Bucket": partitioned.bucket}]}
    control.create_multi_region_access_point(AccountId=account, ClientToken="create", Details=details)
    try:
        yield partitioned, control, account
    finally:
        control.delete_multi_region_access_point(
            AccountId=account, ClientToken="delete", Details={"Name": "lake-global"}
        )
        s3.delete_bucket_policy(Bucket=partitioned.bucket)


@pytest.mark.parametrize("who", ["analyst", "everyone", "pipeline"])
def test_a_multi_region_access_point_letting_the_analyst_list_fails(
    global_point: tuple[Lake, Any, str], who: str
) -> None:
    lake, control, account = global_point
    pipeline = lake.roles.get("pipeline") or lake.add_role("pipeline")
    principal: Any = {"analyst": {"AWS": lake.roles["analyst"]}, "everyone": "*", "pipeline": {"AWS": pipeline}}[who]
    alias = control.get_multi_region_access_point(AccountId=account, Name="lake-global")["AccessPoint"]["Alias"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Browse",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3::{account}:accesspoint/{alias}",
            }
        ],
    }
    details = {"Name": "lake-global", "Policy": json.dumps(policy)}
    control.put_multi_region_access_point_policy(AccountId=account, ClientToken="policy", Details=details)
    outcome = _judged(lake, None)
    if who == "pipeline":
        assert outcome.status.value == "passed", outcome.reason
        return
    assert outcome.status.value == "failed", outcome.reason
    problems = [p for p in outcome.details["problems"]["key_names"] if "outside account" not in p]
    assert len(problems) == 1 and problems[0].startswith(
        f"the analyst role may list lake bucket {lake.bucket} through Multi-Region Access Point lake-global: "
        "statement Browse of the policy of Multi-Region Access Point lake-global"
    ), problems
    assert not any(v in json.dumps(outcome.details, default=str) for v in SSNS)


# -- Object Lambda Access Points with a GetObject transformation -------------------------------------------
#
# The broken stack main passed: the analyst may call s3-object-lambda:GetObject on an Object Lambda Access Point
# whose GetObject function runs as a role that may read the lake's files; the function's code may fetch any of them
# and return the bytes. Main read only points with a listing transformation, and only when keys showed values. The
# healthy twin: the function's role reads a bucket outside the lake only.


@pytest.mark.parametrize("reads", [True, False], ids=["function-reads-lake", "function-reads-elsewhere"])
def test_an_object_lambda_point_whose_function_reads_the_lake_fails(lake: Lake, reads: bool) -> None:
    account = lake.roles["analyst"].split(":")[4]
    role = lake.roles.get("redact") or lake.add_role("redact")
    where = lake.bucket if reads else "lh-images-elsewhere"
    reading = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{where}/*"}
    iam = lake.client("iam")
    iam.put_role_policy(
        RoleName=f"redact-{REGION}",
        PolicyName="broad",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [reading]}),
    )
    function = lake.client("lambda").create_function(
        FunctionName="redact",
        Role=role,
        Runtime="python3.12",
        Handler="x.h",
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
    )["FunctionArn"]
    point = f"arn:aws:s3-object-lambda:{REGION}:{account}:accesspoint/gold-redact"
    control = s3control(Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint))
    transformation = {"Actions": ["GetObject"], "ContentTransformation": {"AwsLambda": {"FunctionArn": function}}}
    control.create_access_point_for_object_lambda(
        AccountId=account,
        Name="gold-redact",
        Configuration={
            "SupportingAccessPoint": f"arn:aws:s3:{REGION}:{account}:accesspoint/gold-share",
            "TransformationConfigurations": [transformation],
        },
    )
    calling = {"Sid": "Redacted", "Effect": "Allow", "Action": "s3-object-lambda:GetObject", "Resource": point}
    iam.put_role_policy(
        RoleName=f"analyst-{REGION}",
        PolicyName="redacted",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [calling]}),
    )
    try:
        outcome = _judged(lake, None)
    finally:
        iam.delete_role_policy(RoleName=f"analyst-{REGION}", PolicyName="redacted")
        control.delete_access_point_for_object_lambda(AccountId=account, Name="gold-redact")
        lake.client("lambda").delete_function(FunctionName="redact")
    if not reads:
        assert outcome.status.value == "passed", outcome.reason
        return
    assert outcome.status.value == "failed", outcome.reason
    problems = [p for p in outcome.details["problems"]["other_routes"] if "Object Lambda" in p]
    assert problems and problems[0].startswith(
        "the analyst role may call s3-object-lambda:GetObject on Object Lambda Access Point gold-redact"
    ), problems
    assert f"its role {role} reads lake bucket {lake.bucket}" in problems[0], problems
