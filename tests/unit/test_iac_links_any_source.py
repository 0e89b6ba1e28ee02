"""Exit check 5 follows links to the stack past a stack queue, a stack budget and a stack database.

Each broken case passed before: event source mappings were asked for by stack queue only, budget actions by
stack budget only, table optimizers for the tables of stack databases only. Here, made by hand and untagged, a
mapping reads a stack DynamoDB table's stream, a stream named like the stack, or feeds a stack function (MSK,
self-managed Kafka, MQ); an action on someone else's budget attaches a policy to a stack role (or applies a stack
policy, or runs as a stack role); an optimizer works on a stack-tagged Iceberg table in someone else's database.
The check must fail naming it and its link; the twin (in state, or linked to nothing of the stack) stays green.
moto (``moto_aws``) holds the DynamoDB and Kinesis mappings; it has no MSK, Kafka or MQ mappings, Budgets actions
nor table optimizers, so those are answered by the fake account of ``test_inventory``.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search, stack_inventory
from lakehouse.inventory_links import event_source_mappings
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

G = P.replace("-", "_")
ROLE, BUDGET = f"{P}-pipeline", f"{P}-monthly"
ROLE_STATE = {"type": "aws_iam_role", "values": {"name": ROLE, "arn": f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"}}
TAGS = [{"Key": "stack_id", "Value": STACK}]


def _judged(inv: Inventory, kind: str, state: list[dict[str, Any]]) -> Any:
    assert not inv.unreadable, inv.unreadable
    return [r for r in inv.resources if r.kind == kind], judge_iac(PlanResult(0), state, inv, set())


def _in_state(inv: Inventory, state: list[dict[str, Any]]) -> bool:
    return judge_iac(PlanResult(0), state, inv, set()).passed


# -- event source mappings of any source: moto -------------------------------------------------------------


def _function(name: str) -> str:
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("f.py", "def handler(event, context):\n    return None\n")
    iam = boto3.client("iam", region_name=REGION)
    role = f"{name}-role"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument="{}")
    return str(
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=f"arn:aws:iam::{ACCOUNT}:role/{role}",
            Handler="f.handler",
            Code={"ZipFile": package.getvalue()},
        )["FunctionArn"]
    )


def _table_stream(name: str, tags: list[dict[str, str]]) -> tuple[str, str]:
    """(table ARN, stream ARN) of a new DynamoDB table with a stream."""
    table = boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        **({"Tags": tags} if tags else {}),
    )["TableDescription"]
    return str(table["TableArn"]), str(table["LatestStreamArn"])


def _stream(name: str) -> str:
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=name, ShardCount=1, StreamModeDetails={"StreamMode": "PROVISIONED"})
    return str(kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"])


def _mappings_in_moto() -> Inventory:
    """The tagging sweep (what knows a stack DynamoDB table by its tag), then the mappings."""
    search = _Search(Target("aws", REGION), STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.tagged(REGION, set())
    search.guarded("lambda ListEventSourceMappings", REGION, event_source_mappings, search, REGION)
    return search.inv


def _map(source: str, function: str) -> dict[str, Any]:
    return dict(
        boto3.client("lambda", region_name=REGION).create_event_source_mapping(
            EventSourceArn=source, FunctionName=function, StartingPosition="LATEST"
        )
    )


def test_a_mapping_reading_a_stack_tables_stream_fails_check_5(moto_aws: None) -> None:
    table, stream = _table_stream("orders", TAGS)  # the stack's (tagged), under a person's name
    _, other = _table_stream("someone-elses", [])
    _function("drain")
    mapping = _map(stream, "drain")
    _map(other, "drain")

    inv = _mappings_in_moto()
    [found], result = _judged(inv, "aws_lambda_event_source_mapping", [])

    assert found.found_by == (f"uses the stack: source {stream}",)  # someone else's table's mapping is not ours
    assert result.status is Status.FAILED
    assert f"aws_lambda_event_source_mapping {mapping['UUID']}: orders/stream/" in str(result.reason)
    state = [
        {"type": "aws_dynamodb_table", "values": {"arn": table}},
        {"type": "aws_lambda_event_source_mapping", "values": {"arn": mapping["EventSourceMappingArn"]}},
    ]
    assert _in_state(inv, state)


def test_a_mapping_on_a_stream_named_like_the_stack_or_feeding_a_stack_function_fails_check_5(
    moto_aws: None,
) -> None:
    ours, theirs = _stream(f"{P}-clicks"), _stream("someone-elses")
    _function("drain")
    _function(f"{P}-enrich")  # the stack's by its name
    from_ours = _map(ours, "drain")
    into_ours = _map(theirs, f"{P}-enrich")
    _map(theirs, "drain")  # nothing of the stack

    inv = _mappings_in_moto()
    found, result = _judged(inv, "aws_lambda_event_source_mapping", [])

    assert {r.key: r.found_by for r in found} == {
        from_ours["EventSourceMappingArn"]: (f"uses the stack: source {ours}",),
        into_ours["EventSourceMappingArn"]: (f"uses the stack: function {P}-enrich",),
    }
    assert result.status is Status.FAILED
    assert f"{into_ours['UUID']}: someone-elses -> {P}-enrich" in str(result.reason)
    managed = [
        {"type": "aws_lambda_event_source_mapping", "values": {"arn": m["EventSourceMappingArn"]}}
        for m in (from_ours, into_ours)
    ]
    assert _in_state(inv, managed)


# -- MSK, self-managed Kafka, MQ: the fake account ---------------------------------------------------------

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{P}-ingest"
MSK = f"arn:aws:kafka:{REGION}:{ACCOUNT}:cluster/orders/0f1e2d3c-1"
BROKER = f"arn:aws:mq:{REGION}:{ACCOUNT}:broker:events:b-1234"


def _esm(uuid: str, **fields: Any) -> dict[str, Any]:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:{uuid}"
    return {"UUID": uuid, "EventSourceMappingArn": arn, **fields}


KAFKA = {"Endpoints": {"KAFKA_BOOTSTRAP_SERVERS": ["kafka.example.com:9092"]}}


def test_msk_kafka_and_mq_mappings_into_a_stack_function_or_from_a_tagged_cluster_fail_check_5() -> None:
    mappings = [
        _esm("u-kafka", FunctionArn=f"{FUNCTION}:live", SelfManagedEventSource=KAFKA),  # an alias of it
        _esm("u-mq", FunctionArn=FUNCTION, EventSourceArn=BROKER),
        _esm("u-msk", FunctionArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other", EventSourceArn=MSK),
        _esm("u-none", FunctionArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:other", SelfManagedEventSource=KAFKA),
    ]
    tagged = [{"ResourceARN": MSK, "Tags": TAGS}]  # the cluster is the stack's by its tag only
    pages = {
        ("lambda", "list_event_source_mappings"): [{"EventSourceMappings": mappings}],
        ("resourcegroupstaggingapi", "get_resources"): [{"ResourceTagMappingList": tagged}],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    found, result = _judged(inv, "aws_lambda_event_source_mapping", [])

    assert {r.name: r.found_by for r in found} == {
        f"u-kafka: Kafka kafka.example.com:9092 -> {P}-ingest:live": (f"uses the stack: function {P}-ingest",),
        f"u-mq: broker:events:b-1234 -> {P}-ingest": (f"uses the stack: function {P}-ingest",),
        "u-msk: orders/0f1e2d3c-1 -> other": (f"uses the stack: source {MSK}",),
    }
    assert result.status is Status.FAILED and "u-kafka" in str(result.reason)
    managed = [{"type": "aws_msk_cluster", "values": {"arn": MSK}}] + [
        {"type": "aws_lambda_event_source_mapping", "values": {"arn": m["EventSourceMappingArn"]}} for m in mappings[:3]
    ]
    assert _in_state(inv, managed)


# -- budget actions on any budget: the fake account --------------------------------------------------------


def _action(action_id: str, budget: str, **definition: Any) -> dict[str, Any]:
    runs_as = definition.pop("ExecutionRoleArn", f"arn:aws:iam::{ACCOUNT}:role/budgets-ops")
    return {
        "ActionId": action_id,
        "BudgetName": budget,
        "ActionType": "APPLY_IAM_POLICY",
        "Definition": {"IamActionDefinition": definition},
        "ExecutionRoleArn": runs_as,
    }


DENY = "arn:aws:iam::aws:policy/AWSDenyAll"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy/{P}-reader"


@pytest.mark.parametrize(
    ("action", "link"),
    [
        (_action("a-role", "finance-monthly", PolicyArn=DENY, Roles=[f"ops/{ROLE}"]), f"role {ROLE}"),  # with a path
        (_action("a-policy", "finance-monthly", PolicyArn=POLICY, Roles=["finance-ops"]), f"policy {POLICY}"),
        (
            _action(
                "a-runs-as", "finance-monthly", PolicyArn=DENY, ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
            ),
            f"execution role {ROLE}",
        ),
    ],
    ids=["denies-a-stack-role", "applies-a-stack-policy", "runs-as-a-stack-role"],
)
def test_an_action_on_another_budget_acting_on_a_stack_role_or_policy_fails_check_5(
    action: dict[str, Any], link: str
) -> None:
    unrelated = _action("a-else", "finance-monthly", PolicyArn=DENY, Roles=["finance-ops"])
    pages = {
        ("iam", "list_roles"): [{"Roles": [{"RoleName": ROLE, "Path": "/"}, {"RoleName": "finance-ops", "Path": "/"}]}],
        ("iam", "list_policies"): [{"Policies": [{"Arn": POLICY, "PolicyName": f"{P}-reader"}]}],
        ("budgets", "describe_budgets"): [{"Budgets": [{"BudgetName": "finance-monthly"}]}],
        ("budgets", "describe_budget_actions_for_account"): [{"Actions": [action, unrelated]}],
    }
    tags = {("iam", "list_role_tags"): {"Tags": []}, ("iam", "list_policy_tags"): {"Tags": []}}
    inv = stack_inventory(account(pages, tags), STACK)
    state = [ROLE_STATE, {"type": "aws_iam_policy", "values": {"arn": POLICY}}]
    [found], result = _judged(inv, "aws_budgets_budget_action", state)

    assert found.found_by == (f"uses the stack: {link}",)  # the action on finance-ops is not the stack's
    assert result.status is Status.FAILED
    assert f"aws_budgets_budget_action APPLY_IAM_POLICY action {action['ActionId']} on budget finance-monthly" in str(
        result.reason
    )
    managed = {"budget_name": "finance-monthly", "action_id": action["ActionId"]}
    assert _in_state(inv, [*state, {"type": "aws_budgets_budget_action", "values": managed}])


def test_an_action_of_the_stack_budget_is_still_found_from_the_account_listing() -> None:
    pages = {
        ("budgets", "describe_budgets"): [{"Budgets": [{"BudgetName": BUDGET}]}],
        ("budgets", "describe_budget_actions_for_account"): [
            {"Actions": [_action("a-1", BUDGET, PolicyArn=DENY, Roles=["finance-ops"])]}
        ],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    state = [{"type": "aws_budgets_budget", "values": {"name": BUDGET}}]
    [found], result = _judged(inv, "aws_budgets_budget_action", state)
    assert found.found_by == (f"uses the stack: budget {BUDGET}",) and result.status is Status.FAILED


# -- optimizers of a stack-tagged table in someone else's database: the fake account -----------------------

OTHER_DB = "finance_raw"


def _tagged_table_account(optimizers: dict[str, set[str]]) -> Any:
    """A database of someone else's holding a stack-tagged Iceberg table (``events``), an untagged Iceberg table
    (``ledger``) and a stack-tagged Hive table (``csv``); ``optimizers``: table -> its optimizer types."""
    iceberg = {"table_type": "ICEBERG", "metadata_location": "s3://elsewhere/m/00001.metadata.json"}
    tables = [
        {"Name": "events", "Parameters": iceberg},
        {"Name": "ledger", "Parameters": iceberg},
        {"Name": "csv", "Parameters": {"classification": "csv"}},
    ]
    pages = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": OTHER_DB}]}],
        ("glue", "get_tables"): [{"TableList": tables}],
    }
    tagged = {f"table/{OTHER_DB}/events", f"table/{OTHER_DB}/csv"}

    def get_tags(ResourceArn: str) -> Any:  # noqa: N803 - boto3's name
        return {"Tags": {"stack_id": STACK} if ResourceArn.split(":", 5)[-1] in tagged else {}}

    def get_table_optimizer(CatalogId: str, DatabaseName: str, TableName: str, Type: str) -> Any:  # noqa: N803
        assert TableName == "events", TableName  # neither the untagged table nor a Hive table is asked
        if Type not in optimizers.get(TableName, set()):
            raise ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "none"}}, "GetTableOptimizer")
        return {"CatalogId": CatalogId, "TableOptimizer": {"type": Type}}

    return account(pages, {("glue", "get_tags"): get_tags, ("glue", "get_table_optimizer"): get_table_optimizer})


def test_an_optimizer_on_a_stack_tagged_table_outside_the_stack_databases_fails_check_5() -> None:
    inv = stack_inventory(_tagged_table_account({"events": {"compaction"}}), STACK)
    tables = [
        {
            "type": "aws_glue_catalog_table",
            "values": {
                "arn": f"arn:aws:glue:{REGION}:{ACCOUNT}:table/{OTHER_DB}/{t}",
                "database_name": OTHER_DB,
                "name": t,
            },
        }
        for t in ("events", "csv")
    ]
    [found], result = _judged(inv, "aws_glue_catalog_table_optimizer", tables)

    assert found.found_by == (f"uses the stack: table {OTHER_DB}.events",)
    assert result.status is Status.FAILED and f"compaction optimizer of {OTHER_DB}.events" in str(result.reason)
    managed = {"catalog_id": ACCOUNT, "database_name": OTHER_DB, "table_name": "events", "type": "compaction"}
    assert _in_state(inv, [*tables, {"type": "aws_glue_catalog_table_optimizer", "values": managed}])

    none = stack_inventory(_tagged_table_account({}), STACK)
    assert _judged(none, "aws_glue_catalog_table_optimizer", tables)[0] == []
