"""Exit check 5 compares Lake Formation grants made by LF-Tag with state, when their tags reach the stack.

Before, the inventory kept only grants naming a stack database, table, filter or bucket, or made to a
stack principal. A grant on an LF-Tag expression (``level=open``) to another account names none of
these, yet opens every stack table tagged so: made by hand, it passed "0 unmanaged". Here it is made
in the real emulator; the check must fail naming the principal, the expression and the stack table it
reaches, while a tag grant whose expression reaches nothing of the stack is not judged. The tags themselves,
assigned by hand here, are named too, and pass once state assigns them.
"""

from __future__ import annotations

import uuid
from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult

REGION = "ap-south-2"  # Lake Formation's settings are per account and region: this test's own
OUTSIDER = "arn:aws:iam::999999999999:root"


def _policy(value: str, kind: str = "TABLE") -> dict[str, Any]:
    return {"LFTagPolicy": {"ResourceType": kind, "Expression": [{"TagKey": "level", "TagValues": [value]}]}}


def test_an_lf_tag_grant_to_an_outsider_reaching_a_stack_table_fails_check_5(emulator: EmulatorHandle) -> None:
    stack = f"lft-{uuid.uuid4().hex[:6]}"
    _, glue_prefix = name_prefixes(stack)
    target = local_target(emulator.endpoint, REGION)
    lf, glue = target.client("lakeformation"), target.client("glue")
    account = target.client("sts").get_caller_identity()["Account"]
    # As the root leaves it: no IAMAllowedPrincipals defaults, so creating the catalog grants nothing.
    lf.put_data_lake_settings(
        DataLakeSettings={
            "DataLakeAdmins": [],
            "CreateDatabaseDefaultPermissions": [],
            "CreateTableDefaultPermissions": [],
        }
    )
    database = f"{glue_prefix}_gold"
    glue.create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack})
    columns = [{"Name": "user_id", "Type": "bigint"}, {"Name": "ssn", "Type": "string"}]
    glue.create_table(DatabaseName=database, TableInput={"Name": "users", "StorageDescriptor": {"Columns": columns}})
    glue.create_table(DatabaseName=database, TableInput={"Name": "orders", "StorageDescriptor": {"Columns": columns}})
    lf.create_lf_tag(TagKey="level", TagValues=["open", "closed", "spare"])
    lf.add_lf_tags_to_resource(
        Resource={"Table": {"DatabaseName": database, "Name": "users"}},
        LFTags=[{"TagKey": "level", "TagValues": ["open"]}],
    )
    lf.add_lf_tags_to_resource(
        Resource={"Database": {"Name": database}}, LFTags=[{"TagKey": "level", "TagValues": ["closed"]}]
    )
    outsider = {"DataLakePrincipalIdentifier": OUTSIDER}
    lf.grant_permissions(Principal=outsider, Resource=_policy("open"), Permissions=["SELECT"])
    lf.grant_permissions(Principal=outsider, Resource=_policy("closed", "DATABASE"), Permissions=["DESCRIBE"])
    lf.grant_permissions(Principal=outsider, Resource=_policy("spare"), Permissions=["SELECT"])  # reaches nothing

    inv = stack_inventory(target, stack)
    assert not inv.unreadable, inv.unreadable
    state: list[dict[str, Any]] = [
        {"type": "aws_glue_catalog_database", "values": {"arn": f"arn:aws:glue:{REGION}:{account}:database/{database}"}}
    ]
    tables = {f"{database}.users", f"{database}.orders"}  # expected: the pipeline's, say
    result = judge_iac(PlanResult(0), state, inv, tables)
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert (
        f"aws_lakeformation_permissions {OUTSIDER} on lf-tag policy table level=open: SELECT ({REGION}, found by "
        f"LF listing: its LF-Tags reach table {database}.users)"
    ) in reason, reason
    # A table inherits its database's tags: a TABLE policy on level=closed would reach orders; this one is on
    # databases, and reaches the database itself.
    assert (
        f"{OUTSIDER} on lf-tag policy database level=closed: DESCRIBE ({REGION}, found by LF listing: its LF-Tags "
        f"reach database {database})"
    ) in reason, reason
    assert "level=spare" not in reason, reason
    # The tags were assigned by hand too (read with ShowAssignedLFTags: orders inherits level=closed, and is not
    # named for it).
    for assigned in (f"level=open on table {database}.users", f"level=closed on database {database}"):
        assert f"aws_lakeformation_resource_lf_tags {assigned} ({REGION}, found by LF-Tags assigned" in reason, reason
    assert f"on table {database}.orders" not in reason, reason

    # The same grants and assignments in state (as aws_lakeformation_permissions with lf_tag_policy and
    # aws_lakeformation_resource_lf_tags keep them) are managed.
    tag = [{"key": "level", "value": "open", "catalog_id": account}]
    state.append(
        {
            "type": "aws_lakeformation_resource_lf_tags",
            "values": {"table": [{"database_name": database, "name": "users", "wildcard": False}], "lf_tag": tag},
        }
    )
    tag = [{"key": "level", "value": "closed", "catalog_id": account}]
    state.append(
        {"type": "aws_lakeformation_resource_lf_tags", "values": {"database": [{"name": database}], "lf_tag": tag}}
    )
    for value, kind, permission in (("open", "TABLE", "SELECT"), ("closed", "DATABASE", "DESCRIBE")):
        policy = {"resource_type": kind, "expression": [{"key": "level", "values": [value]}]}
        state.append(
            {
                "type": "aws_lakeformation_permissions",
                "values": {"principal": OUTSIDER, "permissions": [permission], "lf_tag_policy": [policy]},
            }
        )
    passed = judge_iac(PlanResult(0), state, inv, tables)
    assert passed.status is Status.PASSED, passed.reason
