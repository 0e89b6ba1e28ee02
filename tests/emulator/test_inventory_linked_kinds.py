"""Exit check 5's links to the stack (``lakehouse.inventory_links``) in the real emulator.

An event source mapping on the stack's inbox, an instance profile holding a stack role and a Glue
catalog policy sharing a stack database, all made by hand and untagged, fail the check naming each;
the listings moto lacks (Glue ``GetTableOptimizer``, Budgets ``DescribeBudgetActionsForAccount`` and
``...ForBudget``) answer as AWS does for a table, an account and a budget that have none, so the healthy
part reads clean.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.inventory_kinds import USES_STACK
from lakehouse.outcome import Status
from lakehouse.target import local_target
from lakehouse.terraform import PlanResult


def _package() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("drain.py", "def handler(event, context):\n    return None\n")
    return data.getvalue()


def test_hand_made_links_to_the_stack_fail_check_5_and_the_rest_reads_clean(emulator: EmulatorHandle) -> None:
    stack = f"links-{uuid.uuid4().hex[:6]}"
    prefix, glue_prefix = name_prefixes(stack)
    tags = [{"Key": "stack_id", "Value": stack}]
    target = local_target(emulator.endpoint)
    region = target.region
    account = target.client("sts").get_caller_identity()["Account"]

    # What Terraform made: the inbox, a role, the budget, a database with a table.
    sqs, iam, glue = target.client("sqs"), target.client("iam"), target.client("glue")
    url = sqs.create_queue(QueueName=f"{prefix}-alerts-inbox", tags={"stack_id": stack})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    role = f"{prefix}-pipeline"
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}", Tags=tags)["Role"]["Arn"]
    budget = f"{prefix}-monthly"
    target.client("budgets").create_budget(
        AccountId=account,
        Budget={
            "BudgetName": budget,
            "BudgetLimit": {"Amount": "20", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
        },
        ResourceTags=tags,
    )
    database = f"{glue_prefix}_gold"
    glue.create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack})
    glue.create_table(DatabaseName=database, TableInput={"Name": "users"})
    database_arn = f"arn:aws:glue:{region}:{account}:database/{database}"
    state: list[dict[str, Any]] = [
        {"type": "aws_sqs_queue", "values": {"arn": queue_arn}},
        {"type": "aws_iam_role", "values": {"name": role, "arn": role_arn}},
        {"type": "aws_budgets_budget", "values": {"name": budget}},
        {"type": "aws_glue_catalog_database", "values": {"arn": database_arn}},
        {
            "type": "aws_glue_catalog_table",
            "values": {
                "arn": f"{database_arn.replace(':database/', ':table/')}/users",
                "database_name": database,
                "name": "users",
            },
        },
    ]

    # Made by hand, untagged, named by a person.
    function = target.client("lambda").create_function(
        FunctionName=f"drain-{stack}",
        Runtime="python3.12",
        Role=role_arn,
        Handler="drain.handler",
        Code={"ZipFile": _package()},
    )["FunctionArn"]
    mapping = target.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=function)
    profile = f"ops-ec2-{stack}"
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                "Action": "glue:GetTable*",
                "Resource": [f"arn:aws:glue:{region}:{account}:catalog", database_arn],
            }
        ],
    }
    glue.put_resource_policy(PolicyInJson=json.dumps(policy))
    try:
        inv = stack_inventory(target, stack)
    finally:
        glue.delete_resource_policy()  # one per catalog: leave the emulator's as other tests expect it

    assert not inv.unreadable, inv.unreadable  # GetTableOptimizer and DescribeBudgetActionsForAccount answered
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    reason = str(result.reason)
    expected = [
        f"aws_lambda_event_source_mapping {mapping['UUID']}: {prefix}-alerts-inbox -> drain-{stack} ({region}, "
        f"found by {USES_STACK}: queue {prefix}-alerts-inbox)",
        f"aws_iam_instance_profile {profile} (global, found by {USES_STACK}: role {role})",
        f"aws_glue_resource_policy Data Catalog policy of {region} ({region}, found by {USES_STACK}: database "
        f"{database})",
    ]
    assert not [e for e in expected if e not in reason], reason
    assert "aws_budgets_budget_action" not in reason and "aws_glue_catalog_table_optimizer" not in reason


def test_the_emulator_answers_optimizer_and_budget_action_reads_as_aws_does_for_none(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint)
    account = target.client("sts").get_caller_identity()["Account"]
    with pytest.raises(ClientError) as missing:
        target.client("glue").get_table_optimizer(
            CatalogId=account, DatabaseName="any", TableName="t", Type="compaction"
        )
    assert missing.value.response["Error"]["Code"] == "EntityNotFoundException"
    with pytest.raises(ClientError) as no_budget:
        target.client("budgets").describe_budget_actions_for_budget(AccountId=account, BudgetName="no-such-budget")
    assert no_budget.value.response["Error"]["Code"] == "NotFoundException"
    assert target.client("budgets").describe_budget_actions_for_account(AccountId=account)["Actions"] == []
