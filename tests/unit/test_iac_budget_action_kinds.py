"""Exit check 5 links budget actions of every type to the stack, not only those applying an IAM policy.

Budgets has three action types (DescribeBudgetActionsForAccount's ``ActionType``): ``APPLY_IAM_POLICY``
(``Definition.IamActionDefinition``, linked before), ``APPLY_SCP_POLICY`` (``ScpActionDefinition``: an
Organizations policy ``PolicyId`` attached to ``TargetIds``) and ``RUN_SSM_DOCUMENTS`` (``SsmActionDefinition``:
``ActionSubType`` STOP_EC2_INSTANCES | STOP_RDS_INSTANCES of ``InstanceIds`` in ``Region``). Each broken case passed
before: an action on someone else's budget attaching the stack's SCP (named or tagged for it), or stopping a
stack-tagged EC2 instance or an RDS instance named like the stack, was linked to nothing. The check must fail naming
the action and its link; the twin (in state, or acting on nothing of the stack) stays green. An action of either
type on the stack's own budget was found by its budget already: kept as the pair it is. moto has no budget actions:
the fake account of ``test_inventory`` answers them.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.inventory import Inventory, stack_inventory
from lakehouse.outcome import Status
from tests.unit.test_iac_links_any_source import _in_state, _judged
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

BUDGET = f"{P}-monthly-cost"
RUNS_AS = f"arn:aws:iam::{ACCOUNT}:role/budgets-ops"
STACK_SCP, THEIR_SCP = "p-stack0001", "p-finance01"
INSTANCE, THEIR_INSTANCE = "i-0123456789abcdef0", "i-0fedcba9876543210"
INSTANCE_ARN = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{INSTANCE}"
#: The stack's instance in state (a tagged kind the root does not list: compared by ARN).
INSTANCE_STATE = {"type": "aws_instance", "values": {"arn": INSTANCE_ARN}}


def _scp(action_id: str, budget: str, policy: str) -> dict[str, Any]:
    definition = {"ScpActionDefinition": {"PolicyId": policy, "TargetIds": [ACCOUNT]}}
    return {"ActionId": action_id, "BudgetName": budget, "ActionType": "APPLY_SCP_POLICY", "Definition": definition}


def _ssm(action_id: str, budget: str, subtype: str, *instances: str) -> dict[str, Any]:
    ssm = {"ActionSubType": subtype, "Region": REGION, "InstanceIds": list(instances)}
    return {
        "ActionId": action_id,
        "BudgetName": budget,
        "ActionType": "RUN_SSM_DOCUMENTS",
        "Definition": {"SsmActionDefinition": ssm},
        "ExecutionRoleArn": RUNS_AS,
    }


def _policies(names: dict[str, str], denied: bool = False) -> Any:
    """Organizations DescribePolicy of the policies ``names`` (id -> name); others are not there."""

    def describe_policy(PolicyId: str) -> Any:  # noqa: N803 - boto3's name
        if denied:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribePolicy")
        if PolicyId not in names:
            raise ClientError({"Error": {"Code": "PolicyNotFoundException", "Message": "no"}}, "DescribePolicy")
        summary = {"Id": PolicyId, "Name": names[PolicyId], "Type": "SERVICE_CONTROL_POLICY"}
        return {"Policy": {"PolicySummary": summary}}

    return describe_policy


def _account_with(
    *actions: dict[str, Any], scps: dict[str, str] | None = None, scp_tags: list[dict[str, str]] | None = None
) -> Inventory:
    """The stack's budget, a stack-tagged EC2 instance (the tagging sweep finds it), ``actions`` on any budget, and
    the Organizations policies ``scps`` (id -> name) carrying ``scp_tags``."""
    pages = {
        ("budgets", "describe_budgets"): [{"Budgets": [{"BudgetName": BUDGET}, {"BudgetName": "finance-monthly"}]}],
        ("budgets", "describe_budget_actions_for_account"): [{"Actions": list(actions)}],
        ("resourcegroupstaggingapi", "get_resources"): [{"ResourceTagMappingList": [{"ResourceARN": INSTANCE_ARN}]}],
        ("organizations", "list_tags_for_resource"): [{"Tags": scp_tags or []}],
    }
    answers = {("organizations", "describe_policy"): _policies(scps or {})}
    return stack_inventory(account(pages, answers), STACK)


STATE = [{"type": "aws_budgets_budget", "values": {"name": BUDGET}}, INSTANCE_STATE]


def _managed(*action_ids: str, budget: str = "finance-monthly") -> list[dict[str, Any]]:
    return [
        {"type": "aws_budgets_budget_action", "values": {"budget_name": budget, "action_id": a}} for a in action_ids
    ]


@pytest.mark.parametrize(
    ("scps", "tags", "link"),
    [
        ({STACK_SCP: f"{P}-deny-all", THEIR_SCP: "FinanceGuardrails"}, [], f"SCP {P}-deny-all ({STACK_SCP})"),
        (
            {STACK_SCP: "deny-everything", THEIR_SCP: "FinanceGuardrails"},
            [{"Key": "stack_id", "Value": STACK}],
            f"SCP deny-everything ({STACK_SCP})",
        ),
    ],
    ids=["named-like-the-stack", "tagged-for-the-stack"],
)
def test_an_action_on_another_budget_attaching_the_stacks_scp_fails_check_5(
    scps: dict[str, str], tags: list[dict[str, str]], link: str
) -> None:
    ours, theirs = _scp("a-scp", "finance-monthly", STACK_SCP), _scp("a-else", "finance-monthly", "p-gone00001")
    inv = _account_with(ours, theirs, scps=scps, scp_tags=tags)
    [found], result = _judged(inv, "aws_budgets_budget_action", STATE)

    assert found.found_by == (f"uses the stack: {link}",)  # a policy that is gone is no one's
    assert result.status is Status.FAILED
    assert "aws_budgets_budget_action APPLY_SCP_POLICY action a-scp on budget finance-monthly" in str(result.reason)
    assert _in_state(inv, [*STATE, *_managed("a-scp")])


def test_an_scp_action_of_someone_else_s_policy_is_not_the_stacks() -> None:
    inv = _account_with(_scp("a-else", "finance-monthly", THEIR_SCP), scps={THEIR_SCP: "FinanceGuardrails"})
    found, result = _judged(inv, "aws_budgets_budget_action", STATE)
    assert found == [] and result.passed, result.reason


def test_an_scp_that_cannot_be_read_is_named_and_the_check_cannot_pass() -> None:
    pages = {("budgets", "describe_budget_actions_for_account"): [{"Actions": [_scp("a-1", "finance", STACK_SCP)]}]}
    inv = stack_inventory(account(pages, {("organizations", "describe_policy"): _policies({}, denied=True)}), STACK)
    assert [u for u in inv.unreadable if "organizations" in u] == [
        f"organizations DescribePolicy of {STACK_SCP} (global): An error occurred (AccessDeniedException) when "
        "calling the DescribePolicy operation: no"
    ]


@pytest.mark.parametrize(
    ("action", "link"),
    [
        (
            _ssm("a-ec2", "finance-monthly", "STOP_EC2_INSTANCES", THEIR_INSTANCE, INSTANCE),
            f"EC2 instance {INSTANCE} ({REGION})",
        ),
        (
            _ssm("a-rds", "finance-monthly", "STOP_RDS_INSTANCES", "finance-db", f"{P}-catalog-db"),
            f"RDS instance {P}-catalog-db ({REGION})",
        ),
    ],
    ids=["stops-a-stack-tagged-ec2-instance", "stops-an-rds-instance-named-like-the-stack"],
)
def test_an_action_on_another_budget_stopping_a_stack_instance_fails_check_5(action: dict[str, Any], link: str) -> None:
    inv = _account_with(action, _ssm("a-else", "finance-monthly", "STOP_EC2_INSTANCES", THEIR_INSTANCE))
    [found], result = _judged(inv, "aws_budgets_budget_action", STATE)

    assert found.found_by == (f"uses the stack: {link}",)  # the action stopping their instance only is not ours
    assert result.status is Status.FAILED
    reason = f"aws_budgets_budget_action RUN_SSM_DOCUMENTS action {action['ActionId']} on budget finance-monthly"
    assert reason in str(result.reason)
    assert _in_state(inv, [*STATE, *_managed(action["ActionId"])])


def test_scp_and_ssm_actions_on_the_stack_budget_are_the_stacks() -> None:
    """Found by their budget whatever they act on (both were before; the pair stays)."""
    scp, ssm = _scp("a-scp", BUDGET, THEIR_SCP), _ssm("a-ssm", BUDGET, "STOP_EC2_INSTANCES", THEIR_INSTANCE)
    inv = _account_with(scp, ssm, scps={THEIR_SCP: "FinanceGuardrails"})
    found, result = _judged(inv, "aws_budgets_budget_action", STATE)
    assert {r.key: r.found_by for r in found} == {
        f"{BUDGET}:a-scp": (f"uses the stack: budget {BUDGET}",),
        f"{BUDGET}:a-ssm": (f"uses the stack: budget {BUDGET}",),
    }
    assert result.status is Status.FAILED
    assert _in_state(inv, [*STATE, *_managed("a-scp", "a-ssm", budget=BUDGET)])
