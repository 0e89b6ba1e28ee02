"""Exit check 5 finds what is linked to a stack resource whatever its name (``lakehouse.inventory_links``).

Each broken case passed before: the inventory found these kinds by tag or name, or not at all, and a thing
made by hand carries neither. Here each is made untagged under a person's name, linked to the stack: a
Lambda event source mapping draining the alert inbox, an instance profile holding a stack role, a Glue
catalog policy sharing a stack database, an action on the stack's budget, an optimizer on a stack table.
The check must fail naming it and the link; its twin (the same thing in state, or linked to nothing of the
stack) stays green. moto (``moto_aws``) holds the first three (its listings of the kinds they link to, then
theirs: moto lacks operations the whole search makes); it has no Budgets actions nor table optimizers, so
those two, and the whole search's wiring, are answered by the fake account of ``test_inventory``.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import DEFAULT_PROJECT, GLOBAL, Inventory, _Search, stack_inventory
from lakehouse.inventory_links import event_source_mappings, glue_resource_policy, instance_profiles
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

G = P.replace("-", "_")
QUEUE, ROLE, DATABASE = f"{P}-alerts-inbox", f"{P}-pipeline", f"{G}_gold"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{QUEUE}"
DATABASE_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}:database/{DATABASE}"
TABLE_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{DATABASE}/users"
TAGS = {"stack_id": STACK}
#: What Terraform made, as its state records it.
STATE: list[dict[str, Any]] = [
    {"type": "aws_sqs_queue", "values": {"arn": QUEUE_ARN}},
    {"type": "aws_iam_role", "values": {"name": ROLE, "arn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"}},
    {"type": "aws_glue_catalog_database", "values": {"arn": DATABASE_ARN}},
    {"type": "aws_glue_catalog_table", "values": {"arn": TABLE_ARN, "database_name": DATABASE, "name": "users"}},
]


@pytest.fixture
def stack_in_moto(moto_aws: None) -> Target:
    """The stack's inbox queue, pipeline role, Gold database and table (tagged, named like the stack), and a
    function of someone else's that could read a queue."""
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName=QUEUE, tags=TAGS)
    sqs.create_queue(QueueName="someone-elses")
    iam = boto3.client("iam", region_name=REGION)
    for role in (ROLE, "someone-elses"):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}", Tags=[{"Key": "stack_id", "Value": STACK}])
    iam.untag_role(RoleName="someone-elses", TagKeys=["stack_id"])
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": DATABASE}, Tags=TAGS)
    glue.create_table(DatabaseName=DATABASE, TableInput={"Name": "users"})
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("drain.py", "def handler(event, context):\n    return None\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="drain",
        Runtime="python3.12",
        Role=f"arn:aws:iam::{ACCOUNT}:role/someone-elses",
        Handler="drain.handler",
        Code={"ZipFile": package.getvalue()},
    )
    return Target("aws", REGION)


def _linked(target: Target) -> Inventory:
    """What the search finds in moto: the queues, roles and Glue catalog it links to, then the links."""
    search = _Search(target, STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.sqs(REGION)
    search.iam()
    search.glue(REGION, {})
    search.guarded("lambda ListEventSourceMappings", REGION, event_source_mappings, search, REGION)
    search.guarded("iam ListInstanceProfiles", GLOBAL, instance_profiles, search, GLOBAL)
    search.guarded("glue GetResourcePolicy", REGION, glue_resource_policy, search, REGION)
    return search.inv


def _judged(
    inv: Inventory, kind: str, state: list[dict[str, Any]] = STATE, pipeline: frozenset[str] = frozenset()
) -> Any:
    """What the inventory found of ``kind``, and the verdict (``pipeline``: the pipeline's own tables)."""
    assert not inv.unreadable, inv.unreadable
    return [r for r in inv.resources if r.kind == kind], judge_iac(PlanResult(0), state, inv, set(pipeline))


def test_a_hand_made_event_source_mapping_draining_the_alert_inbox_fails_check_5(stack_in_moto: Target) -> None:
    lam = boto3.client("lambda", region_name=REGION)
    mapping = lam.create_event_source_mapping(EventSourceArn=QUEUE_ARN, FunctionName="drain")
    lam.create_event_source_mapping(EventSourceArn=QUEUE_ARN.replace(QUEUE, "someone-elses"), FunctionName="drain")

    [found], result = _judged(_linked(stack_in_moto), "aws_lambda_event_source_mapping")

    assert found.found_by == (f"uses the stack: queue {QUEUE}",)  # the other queue's mapping is not the stack's
    assert result.status is Status.FAILED
    assert f"aws_lambda_event_source_mapping {mapping['UUID']}: {QUEUE} -> drain" in str(result.reason)
    managed = {"arn": mapping["EventSourceMappingArn"], "uuid": mapping["UUID"]}
    assert judge_iac(
        PlanResult(0), [*STATE, {"type": "aws_lambda_event_source_mapping", "values": managed}], *_rest(stack_in_moto)
    ).passed


def _rest(target: Target) -> tuple[Inventory, set[str]]:
    return _linked(target), set()


def test_an_instance_profile_holding_a_stack_role_fails_check_5(stack_in_moto: Target) -> None:
    iam = boto3.client("iam", region_name=REGION)
    for profile, role in (("ops-ec2", ROLE), ("unrelated", "someone-elses")):
        iam.create_instance_profile(InstanceProfileName=profile)
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)

    [found], result = _judged(_linked(stack_in_moto), "aws_iam_instance_profile")

    assert (found.name, found.found_by) == ("ops-ec2", (f"uses the stack: role {ROLE}",))
    assert result.status is Status.FAILED and "aws_iam_instance_profile ops-ec2" in str(result.reason)
    in_state = [*STATE, {"type": "aws_iam_instance_profile", "values": {"name": "ops-ec2", "role": ROLE}}]
    assert judge_iac(PlanResult(0), in_state, *_rest(stack_in_moto)).passed


def _catalog_policy(resource: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
                    "Action": "glue:Get*",
                    "Resource": [f"arn:aws:glue:{REGION}:{ACCOUNT}:catalog", resource],
                }
            ],
        }
    )


@pytest.mark.parametrize("resource", [f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{DATABASE}/*", DATABASE_ARN])
def test_a_catalog_policy_sharing_a_stack_database_fails_check_5(stack_in_moto: Target, resource: str) -> None:
    boto3.client("glue", region_name=REGION).put_resource_policy(PolicyInJson=_catalog_policy(resource))

    [found], result = _judged(_linked(stack_in_moto), "aws_glue_resource_policy")

    assert any(u.startswith("uses the stack: ") and DATABASE in u for u in found.found_by), found.found_by
    assert result.status is Status.FAILED and f"aws_glue_resource_policy Data Catalog policy of {REGION}" in str(
        result.reason
    )
    in_state = [*STATE, {"type": "aws_glue_resource_policy", "values": {"id": REGION}}]
    assert judge_iac(PlanResult(0), in_state, *_rest(stack_in_moto)).passed


@pytest.mark.parametrize(
    "other",
    [
        f"arn:aws:glue:{REGION}:{ACCOUNT}:database/finance_raw",
        f"arn:aws:glue:{REGION}:{ACCOUNT}:database/*",  # a shared account's policy over every database
        f"arn:aws:glue:{REGION}:{ACCOUNT}:table/*/*",
        "*",
    ],
)
def test_a_catalog_policy_naming_nothing_of_the_stack_is_not_its_own(stack_in_moto: Target, other: str) -> None:
    boto3.client("glue", region_name=REGION).put_resource_policy(PolicyInJson=_catalog_policy(other))
    found, result = _judged(_linked(stack_in_moto), "aws_glue_resource_policy")
    assert found == [] and result.passed, result.reason


def test_the_healthy_stack_has_nothing_linked_outside_state(stack_in_moto: Target) -> None:
    inv = _linked(stack_in_moto)
    assert not inv.unreadable, inv.unreadable
    result = judge_iac(PlanResult(0), STATE, inv, set())
    assert result.passed, result.reason


# -- what moto cannot hold: the fake account ---------------------------------------------------------------

BUDGET = f"{P}-monthly"
LAKE = f"{P}-gold-{ACCOUNT}"
VIEW = frozenset({f"{DATABASE}.users_view"})  # the pipeline's view
METADATA = f"s3://{LAKE}/users/metadata/00001.metadata.json"


def test_an_action_on_the_stack_budget_fails_check_5() -> None:
    pages = {
        ("budgets", "describe_budgets"): [{"Budgets": [{"BudgetName": BUDGET}]}],
        ("budgets", "describe_budget_actions_for_account"): [
            {"Actions": [{"ActionId": "a-1", "BudgetName": BUDGET, "ActionType": "APPLY_IAM_POLICY"}]}
        ],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    [found], result = _judged(
        inv, "aws_budgets_budget_action", [{"type": "aws_budgets_budget", "values": {"name": BUDGET}}]
    )
    assert found.found_by == (f"uses the stack: budget {BUDGET}",)
    assert result.status is Status.FAILED
    assert f"aws_budgets_budget_action APPLY_IAM_POLICY action a-1 on budget {BUDGET}" in str(result.reason)
    managed = [
        {"type": "aws_budgets_budget", "values": {"name": BUDGET}},
        {"type": "aws_budgets_budget_action", "values": {"budget_name": BUDGET, "action_id": "a-1"}},
    ]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed


def _optimizer_account(types: dict[str, str]) -> Any:
    """A stack table whose optimizers are ``types`` (type -> what GetTableOptimizer answers: ``found`` or an
    error code; a type not named has none)."""
    pages = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": DATABASE}]}],
        ("glue", "get_tables"): [
            {
                "TableList": [
                    {
                        "Name": "users",
                        "StorageDescriptor": {"Location": f"s3://{LAKE}/users"},
                        "Parameters": {"table_type": "ICEBERG", "metadata_location": METADATA},
                    },
                    {"Name": "users_view", "TableType": "VIRTUAL_VIEW"},  # no optimizer to ask for
                ]
            }
        ],
    }

    def get_table_optimizer(CatalogId: str, DatabaseName: str, TableName: str, Type: str) -> Any:  # noqa: N803
        assert TableName == "users", TableName
        answer = types.get(Type, "EntityNotFoundException")
        if answer != "found":
            raise ClientError({"Error": {"Code": answer, "Message": "no"}}, "GetTableOptimizer")
        return {"CatalogId": CatalogId, "TableOptimizer": {"type": Type, "configuration": {"enabled": True}}}

    def get_object(Bucket: str, Key: str) -> Any:  # noqa: N803 - the table's current Iceberg metadata
        assert f"s3://{Bucket}/{Key}" == METADATA
        return {"Body": io.BytesIO(json.dumps({"location": f"s3://{LAKE}/users", "properties": {}}).encode())}

    answers = {
        ("glue", "get_tags"): {"Tags": TAGS},
        ("glue", "get_table_optimizer"): get_table_optimizer,
        ("s3", "get_object"): get_object,
    }
    return account(pages, answers)


def test_an_optimizer_on_a_stack_table_fails_check_5_and_none_is_green() -> None:
    inv = stack_inventory(_optimizer_account({"orphan_file_deletion": "found"}), STACK)
    [found], result = _judged(inv, "aws_glue_catalog_table_optimizer", STATE, VIEW)
    assert found.found_by == (f"uses the stack: table {DATABASE}.users",)
    assert result.status is Status.FAILED
    assert f"orphan_file_deletion optimizer of {DATABASE}.users" in str(result.reason)
    managed = {"catalog_id": ACCOUNT, "database_name": DATABASE, "table_name": "users", "type": "orphan_file_deletion"}
    in_state = [
        *STATE,
        {"type": "aws_s3_bucket", "values": {"bucket": LAKE}},
        {"type": "aws_glue_catalog_table_optimizer", "values": managed},
    ]
    assert judge_iac(PlanResult(0), in_state, inv, set(VIEW)).passed

    none = stack_inventory(_optimizer_account({}), STACK)
    assert _judged(none, "aws_glue_catalog_table_optimizer")[0] == []
    denied = stack_inventory(_optimizer_account({"retention": "AccessDeniedException"}), STACK)
    assert any("GetTableOptimizer" in u for u in denied.unreadable), denied.unreadable


def test_the_whole_search_finds_each_link() -> None:
    """``stack_inventory`` runs the three listings moto answered above (fake account: moto lacks others)."""
    mapping = f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:u-1"
    pages = {
        ("sqs", "list_queues"): [{"QueueUrls": [f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{QUEUE}"]}],
        ("lambda", "list_event_source_mappings"): [
            {
                "EventSourceMappings": [
                    {"UUID": "u-1", "EventSourceMappingArn": mapping, "FunctionArn": "f", "EventSourceArn": QUEUE_ARN}
                ]
            }
        ],
        ("iam", "list_roles"): [{"Roles": [{"RoleName": ROLE, "Path": "/"}]}],
        ("iam", "list_instance_profiles"): [
            {"InstanceProfiles": [{"InstanceProfileName": "ops-ec2", "Roles": [{"RoleName": ROLE}]}]}
        ],
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": DATABASE}]}],
    }
    answers = {
        ("iam", "list_role_tags"): {"Tags": []},
        ("iam", "get_instance_profile"): {"InstanceProfile": {"Tags": []}},
        ("glue", "get_tags"): {"Tags": TAGS},
        ("glue", "get_resource_policy"): {"PolicyInJson": _catalog_policy(DATABASE_ARN)},
    }
    inv = stack_inventory(account(pages, answers), STACK)
    assert not inv.unreadable, inv.unreadable
    found = {(r.kind, r.name) for r in inv.resources}
    assert {
        ("aws_lambda_event_source_mapping", f"u-1: {QUEUE} -> f"),
        ("aws_iam_instance_profile", "ops-ec2"),
        ("aws_glue_resource_policy", f"Data Catalog policy of {REGION}"),
    } <= found, found
