"""Exit check 6 follows hidden columns copied by past queries (``lakehouse.checks.history_copies``).

The broken stack: a deployer's ``CREATE TABLE scratch.users_export AS SELECT user_id, ssn AS tax_id
FROM users`` put every ssn in a bucket whose policy lets the analyst read it, and a ``SELECT * FROM
scratch.users_export`` in a workgroup that does not enforce its settings wrote its results to a
folder the analyst may read. The analyst cannot query the copy through Lake Formation (its value
search is refused, which is fine), and the catalog lists it without ``ssn``: before, neither bucket
was a lake bucket and the check passed. A CTAS of ``user_id, country`` in another readable bucket
is no copy and stays out.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_security
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target
from tests.emulator.lf_stack import WORK_GROUP, Lake, analyst_statements, build_lake

REGION = "ap-east-1"  # a region of its own: build_lake names buckets and roles by region
DB = "copies_gold"
SHARE = f"lf-share-{REGION}"  # the copy's files, readable by the analyst
TEAM = f"lf-teamshare-{REGION}"  # where the team's query of the copy wrote its results, readable too
#: The analyst of infra/ (lf_stack's broad Lake Formation and Glue rights would fail the check on their own).
ANALYST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        *analyst_statements(REGION),
    ],
}
OPEN = f"lf-open-{REGION}"  # a CTAS without ssn, readable too: no lake bucket
RESULTS = f"lf-teamresults-{REGION}"  # the team workgroup's own results: the analyst may not read them


def _readable_by(bucket: str, role_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TeamShare",
                    "Effect": "Allow",
                    "Principal": {"AWS": role_arn},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def _finished(athena: Any, query_id: str) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
        if status["State"] not in ("QUEUED", "RUNNING"):
            assert status["State"] == "SUCCEEDED", status
            return query_id
        time.sleep(0.05)
    raise AssertionError(f"query {query_id} did not finish in 30 s")


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    lake.client("iam").put_role_policy(
        RoleName=f"analyst-{REGION}", PolicyName="broad", PolicyDocument=json.dumps(ANALYST_POLICY)
    )
    lake.client("s3").create_bucket(Bucket=RESULTS, CreateBucketConfiguration={"LocationConstraint": REGION})
    lake.client("athena").create_work_group(
        Name="team",
        Configuration={
            "ResultConfiguration": {"OutputLocation": f"s3://{RESULTS}/team/"},
            "EnforceWorkGroupConfiguration": False,
        },
    )
    return lake


@pytest.fixture(scope="module")
def broken(lake: Lake) -> dict[str, str]:
    """The copy, its healthy twin, and a team's query of the copy; the ids of the queries that made them."""
    s3, athena = lake.client("s3"), lake.client("athena")
    for bucket in (SHARE, TEAM, OPEN):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_policy(Bucket=bucket, Policy=_readable_by(bucket, lake.roles["analyst"]))
    lake.client("glue").create_database(DatabaseInput={"Name": "scratch"})
    ids: dict[str, str] = {}
    with lake.cursor() as deployer:  # the data lake admin, in the analyst's workgroup
        deployer.execute(
            f"CREATE TABLE scratch.users_export WITH (table_type = 'ICEBERG', location = 's3://{SHARE}/users_export/')"
            " AS SELECT user_id, ssn AS tax_id FROM users"
        )
        ids["copy"] = deployer.query_id
        deployer.execute(
            f"CREATE TABLE scratch.users_geo WITH (table_type = 'ICEBERG', location = 's3://{OPEN}/users_geo/')"
            " AS SELECT user_id, country FROM users WHERE ssn IS NOT NULL"
        )
    ids["export"] = _finished(
        athena,
        athena.start_query_execution(
            QueryString="SELECT * FROM scratch.users_export",
            WorkGroup="team",
            ResultConfiguration={"OutputLocation": f"s3://{TEAM}/exports/"},
        )["QueryExecutionId"],
    )
    return ids


def _outputs(lake: Lake) -> dict[str, Any]:
    return {
        "analyst_role_arn": lake.roles["analyst"],
        "analyst_workgroup_name": WORK_GROUP,
        "athena_workgroup_name": "team",
        "glue_database_names": {"gold": DB},
    }


def _target(lake: Lake) -> Target:
    return Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint)


def test_the_lake_before_the_copy_passes(lake: Lake) -> None:
    """The healthy twin (run first: ``broken`` is not built yet). The same lake with the copy passed on main."""
    outcome = judge_security(read_security(_target(lake), _outputs(lake)))
    assert outcome.status.value == "passed", outcome.reason


def test_a_ctas_copy_and_a_query_of_it_in_readable_buckets_fail_the_check(lake: Lake, broken: dict[str, str]) -> None:
    rb = read_security(_target(lake), _outputs(lake))
    outcome = judge_security(rb)

    policies = outcome.details["problems"]["bucket_policies"]
    assert any(
        f"bucket {SHARE} holds scratch.users_export (tax_id from copies_gold.users.ssn)" in p and broken["copy"] in p
        for p in policies
    ), "\n".join(policies)
    assert any(f"{TEAM}/exports/" in p for p in policies), policies
    assert f"query {broken['export']}" in " ".join(rb.lake_buckets[TEAM])
    assert OPEN not in rb.lake_buckets  # user_id and country only: no copy
    assert [c.qualified for c in rb.copies] == ["scratch.users_export"]
    assert outcome.status.value == "failed", outcome.reason
