"""Exit check 5: a view made by hand in a stack database is a stray, as a table made by hand is.

Athena's ``CREATE VIEW`` leaves a Glue table of type VIRTUAL_VIEW; Glue GetTables lists it with the
database's tables, so the inventory must name it unless the pipeline's SQL creates it (a
``CREATE VIEW`` target of ``pipeline/sql``). Made here through the emulator's Athena, as a learner would.
"""

from __future__ import annotations

import uuid
from typing import Any

from lakehouse.athena import connect, run
from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import DATABASE_CONTENTS, name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult


def test_a_hand_made_view_in_a_stack_database_is_a_stray_until_the_pipeline_creates_it(
    emulator: EmulatorHandle,
) -> None:
    stack = f"views-{uuid.uuid4().hex[:6]}"
    prefix, glue_prefix = name_prefixes(stack)
    target = local_target(emulator.endpoint)
    region = target.region
    account = target.client("sts").get_caller_identity()["Account"]
    glue, athena, s3 = target.client("glue"), target.client("athena"), target.client("s3")
    bucket = f"{prefix}-gold-{account}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    database = f"{glue_prefix}_gold"
    glue.create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack})
    workgroup = f"{prefix}-views"
    athena.create_work_group(
        Name=workgroup,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{bucket}/results/"}},
        Tags=[{"Key": "stack_id", "Value": stack}],
    )
    with connect(target, workgroup, schema=database) as conn:
        made = run(
            conn,
            f"CREATE EXTERNAL TABLE {database}.users (user_id bigint, ssn string) "
            f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/users/'",
        )[0]
        assert made.ok, made.error
        view = run(conn, f"CREATE VIEW {database}.users_v AS SELECT user_id, ssn AS tax_id FROM {database}.users")[0]
        assert view.ok, view.error
    assert glue.get_table(DatabaseName=database, Name="users_v")["Table"]["TableType"] == "VIRTUAL_VIEW"
    lf = target.client("lakeformation")  # as the root leaves a stack database: no IAMAllowedPrincipals grants
    for resource in (
        {"Database": {"Name": database}},
        {"Table": {"DatabaseName": database, "Name": "users"}},
        {"Table": {"DatabaseName": database, "Name": "users_v"}},
    ):
        iam_allowed = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
        lf.revoke_permissions(Principal=iam_allowed, Resource=resource, Permissions=["ALL"])
    state: list[dict[str, Any]] = [
        {
            "type": "aws_glue_catalog_database",
            "values": {"arn": f"arn:aws:glue:{region}:{account}:database/{database}"},
        },
        {"type": "aws_s3_bucket", "values": {"bucket": bucket}},
        {"type": "aws_athena_workgroup", "values": {"arn": f"arn:aws:athena:{region}:{account}:workgroup/{workgroup}"}},
    ]
    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable

    result = judge_iac(PlanResult(0), state, inv, {f"{database}.users"})
    assert result.status is Status.FAILED
    stray = f"aws_glue_catalog_table {database}.users_v ({region}, found by {DATABASE_CONTENTS})"
    assert stray in str(result.reason), result.reason
    assert f"aws_glue_catalog_table {database}.users " not in str(result.reason)

    # The pipeline's own CREATE VIEW target is expected (and a view has no location to judge).
    passed = judge_iac(PlanResult(0), state, inv, {f"{database}.users", f"{database}.users_v"})
    assert passed.status is Status.PASSED, passed.reason
