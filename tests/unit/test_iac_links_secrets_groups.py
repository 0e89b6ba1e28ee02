"""Exit check 5 and links to the stack that name no source, function or role of it: a secret, an IAM group.

A Lambda event source mapping of self-managed Kafka has no source ARN; its ``SourceAccessConfigurations`` name the
Secrets Manager secret it reads the cluster with (a DocumentDB or MQ source's too). One made by hand with the stack's
secret, feeding someone else's function, is the stack's all the same. A budget action of someone else's budget that
attaches a policy to an IAM group named for the stack, or to a group holding a stack user, binds the stack when the
budget is crossed (IAM groups carry no tags). Each must be in state; the twin that names nothing of the stack stays
out. A mapping of a DocumentDB source (``DocumentDBEventSourceConfig``) or of Kafka with a secret only, feeding a
stack function, was found already, by its function: kept here as the healthy and broken pair it is.

moto (``moto_aws``) makes neither a DocumentDB nor a self-managed Kafka mapping (its CreateEventSourceMapping asks for
a queue, table stream or Kinesis stream) nor budget actions: the fake account of ``test_inventory`` answers them.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lakehouse.inventory import stack_inventory
from lakehouse.outcome import Status
from tests.unit.test_iac_links_any_source import (
    DENY,
    FUNCTION,
    KAFKA,
    POLICY,
    _action,
    _esm,
    _in_state,
    _judged,
)
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

OTHER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:finance-consumer"
DOCDB = f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:orders-docdb"
TAGGED_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:kafka-creds-AbCdEf"  # the stack's by its tag
NAMED_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{P}-docdb"  # by its name, without the suffix
THEIR_SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:finance-kafka-XyZ123"
DOCUMENTDB = {"DatabaseName": "orders", "FullDocument": "UpdateLookup"}


def _auth(secret: str) -> list[dict[str, str]]:
    return [{"Type": "BASIC_AUTH", "URI": secret}, {"Type": "VPC_SUBNET", "URI": "subnet:subnet-0abc"}]


def _mappings(mappings: list[dict[str, Any]]) -> Any:
    pages = {
        ("lambda", "list_event_source_mappings"): [{"EventSourceMappings": mappings}],
        ("resourcegroupstaggingapi", "get_resources"): [
            {"ResourceTagMappingList": [{"ResourceARN": TAGGED_SECRET, "Tags": [{"Key": "stack_id", "Value": STACK}]}]}
        ],
    }
    return stack_inventory(account(pages, {}), STACK)


def _managed(*mappings: dict[str, Any]) -> list[dict[str, Any]]:
    secret = [{"type": "aws_secretsmanager_secret", "values": {"arn": TAGGED_SECRET}}]
    return secret + [
        {"type": "aws_lambda_event_source_mapping", "values": {"arn": m["EventSourceMappingArn"]}} for m in mappings
    ]


def test_a_kafka_or_documentdb_mapping_reading_with_a_stack_secret_fails_check_5() -> None:
    kafka = _esm(
        "u-kafka", FunctionArn=OTHER, SelfManagedEventSource=KAFKA, SourceAccessConfigurations=_auth(TAGGED_SECRET)
    )
    docdb = _esm(
        "u-docdb",
        FunctionArn=OTHER,
        EventSourceArn=DOCDB,
        DocumentDBEventSourceConfig=DOCUMENTDB,
        SourceAccessConfigurations=_auth(NAMED_SECRET),
    )
    theirs = _esm(
        "u-theirs", FunctionArn=OTHER, SelfManagedEventSource=KAFKA, SourceAccessConfigurations=_auth(THEIR_SECRET)
    )
    inv = _mappings([kafka, docdb, theirs])
    found, result = _judged(inv, "aws_lambda_event_source_mapping", _managed())

    assert {r.name: r.found_by for r in found} == {
        "u-kafka: Kafka kafka.example.com:9092 -> finance-consumer": (
            f"uses the stack: BASIC_AUTH secret {TAGGED_SECRET}",
        ),
        "u-docdb: cluster:orders-docdb -> finance-consumer": (f"uses the stack: BASIC_AUTH secret {NAMED_SECRET}",),
    }
    assert result.status is Status.FAILED
    assert "aws_lambda_event_source_mapping u-kafka: Kafka kafka.example.com:9092 -> finance-consumer" in str(
        result.reason
    )
    assert "u-docdb: cluster:orders-docdb" in str(result.reason)
    assert _in_state(inv, _managed(kafka, docdb))


def test_a_documentdb_or_secret_only_kafka_mapping_into_a_stack_function_is_found_by_its_function() -> None:
    docdb = _esm("u-docdb", FunctionArn=FUNCTION, EventSourceArn=DOCDB, DocumentDBEventSourceConfig=DOCUMENTDB)
    kafka = _esm("u-kafka", FunctionArn=FUNCTION, SourceAccessConfigurations=_auth(THEIR_SECRET))  # no endpoints
    inv = _mappings([docdb, kafka])
    found, result = _judged(inv, "aws_lambda_event_source_mapping", _managed())

    assert {r.name: r.found_by for r in found} == {
        f"u-docdb: cluster:orders-docdb -> {P}-ingest": (f"uses the stack: function {P}-ingest",),
        f"u-kafka: Kafka ? -> {P}-ingest": (f"uses the stack: function {P}-ingest",),
    }
    assert result.status is Status.FAILED and "u-docdb" in str(result.reason) and "u-kafka" in str(result.reason)
    assert _in_state(inv, _managed(docdb, kafka))


# -- budget actions applying a policy to an IAM group ------------------------------------------------------

USER = f"{P}-loader"


def _groups(members: dict[str, list[str]]) -> Any:
    """GetGroup as IAM answers it: the group's users, NoSuchEntity for a group that does not exist."""

    def get_group(GroupName: str, Marker: str | None = None) -> Any:  # noqa: N803 - boto3's names
        if GroupName not in members:
            raise ClientError({"Error": {"Code": "NoSuchEntity", "Message": "no group"}}, "GetGroup")
        users = [{"UserName": u} for u in members[GroupName]]
        half = len(users) // 2  # two pages, as IAM pages a long group
        if Marker is None and half:
            return {"Group": {"GroupName": GroupName}, "Users": users[:half], "IsTruncated": True, "Marker": "m"}
        return {"Group": {"GroupName": GroupName}, "Users": users[half:] if Marker else users, "IsTruncated": False}

    return get_group


def _actions(*actions: dict[str, Any]) -> Any:
    members = {"finance-ops": ["alice", "bob", USER], "finance-readers": ["alice"], f"{P}-analysts": []}
    pages = {
        ("iam", "list_users"): [{"Users": [{"UserName": USER}, {"UserName": "alice"}, {"UserName": "bob"}]}],
        ("iam", "list_policies"): [{"Policies": [{"Arn": POLICY, "PolicyName": f"{P}-reader"}]}],
        ("budgets", "describe_budgets"): [{"Budgets": [{"BudgetName": "finance-monthly"}]}],
        ("budgets", "describe_budget_actions_for_account"): [{"Actions": list(actions)}],
    }
    answers = {
        ("iam", "list_user_tags"): {"Tags": []},
        ("iam", "list_policy_tags"): {"Tags": []},
        ("iam", "get_group"): _groups(members),
    }
    return stack_inventory(account(pages, answers), STACK)


USER_STATE = {"type": "aws_iam_user", "values": {"name": USER}}
POLICY_STATE = {"type": "aws_iam_policy", "values": {"arn": POLICY}}


def test_an_action_on_another_budget_acting_on_a_stack_group_fails_check_5() -> None:
    holding = _action("a-holding", "finance-monthly", PolicyArn=DENY, Groups=["/finance/finance-ops"])
    named = _action("a-named", "finance-monthly", PolicyArn=DENY, Groups=[f"{P}-analysts"])
    neither = _action("a-else", "finance-monthly", PolicyArn=DENY, Groups=["finance-readers", "gone"])
    inv = _actions(holding, named, neither)
    found, result = _judged(inv, "aws_budgets_budget_action", [USER_STATE, POLICY_STATE])

    assert {r.key: r.found_by for r in found} == {
        "finance-monthly:a-holding": (f"uses the stack: group finance-ops (holding stack user {USER})",),
        "finance-monthly:a-named": (f"uses the stack: group {P}-analysts",),
    }
    assert result.status is Status.FAILED
    assert "APPLY_IAM_POLICY action a-holding on budget finance-monthly" in str(result.reason)
    assert "APPLY_IAM_POLICY action a-named on budget finance-monthly" in str(result.reason)
    managed = [
        {"type": "aws_budgets_budget_action", "values": {"budget_name": "finance-monthly", "action_id": a}}
        for a in ("a-holding", "a-named")
    ]
    assert _in_state(inv, [USER_STATE, POLICY_STATE, *managed])


def test_an_action_applying_a_stack_policy_to_someone_else_s_group_is_found_by_its_policy() -> None:
    action = _action("a-policy", "finance-monthly", PolicyArn=POLICY, Groups=["finance-readers"])
    inv = _actions(action)
    [found], result = _judged(inv, "aws_budgets_budget_action", [USER_STATE, POLICY_STATE])
    assert found.found_by == (f"uses the stack: policy {POLICY}",) and result.status is Status.FAILED
    managed = {"budget_name": "finance-monthly", "action_id": "a-policy"}
    assert _in_state(inv, [USER_STATE, POLICY_STATE, {"type": "aws_budgets_budget_action", "values": managed}])
