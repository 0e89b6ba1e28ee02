"""Exit check 7: ``aws:SourceOrgID`` / ``aws:SourceOrgPaths`` in a topic policy or a Lambda receiver's permission.

A service's request carries them only for an account in an organization, and which accounts that organization
holds is AWS Organizations' to say: the check reads no organization, so a test on them is never evaluated. An
Allow resting on them is any account of an organization the check cannot see: it proves nothing for the stack's
own alarm or budget (red, the key named), as ``aws:SourceAccount``/``aws:SourceArn`` naming another account would.
A Deny under them may apply and counts (red, the key named), unless another test of its Condition is shown not
to hold: conditions are ANDed, so an ``aws:SourceAccount`` test failing for the stack's own account decides (the
false red closed here: the first untestable key decided, whatever followed).
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.alert_delivery import FunctionReadback
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ACCOUNT, TOPIC
from tests.unit.test_finops_delivery import FUNCTION, invoke_policy, lambda_only
from tests.unit.test_finops_topic_policy import alarm_reason, budget_reason, deny, with_deny

ORG = "o-a1b2c3d4e5"
OTHER_ACCOUNT = "444455556666"
ORG_NAMED = "an organization the check does not read"


def _perimeter(account: str) -> dict[str, Any]:
    """Deny every publish from outside the organization unless it comes for ``account``'s resources."""
    return deny("Perimeter", Condition={"StringNotEquals": {"aws:SourceOrgID": ORG, "aws:SourceAccount": account}})


def test_a_perimeter_deny_sparing_the_stacks_own_account_lets_both_publishers_publish() -> None:
    """The healthy twin that was red: the aws:SourceAccount test fails for the stack's alarm and budget."""
    result = judge_finops(with_deny(_perimeter(ACCOUNT)))
    assert result.passed, result.reason


def test_a_perimeter_deny_sparing_another_account_keeps_the_publishers_out_naming_the_org_key() -> None:
    result = judge_finops(with_deny(_perimeter(OTHER_ACCOUNT)))
    named = (
        f"statement Perimeter (a condition it cannot be told not to hold: StringNotEquals aws:SourceOrgID, {ORG_NAMED})"
    )
    assert budget_reason(named) in str(result.reason)
    assert alarm_reason(named) in str(result.reason)


def test_a_lambda_receiver_sns_may_invoke_only_from_an_organization_is_not_shown_to_hear() -> None:
    """Not restricted to the stack's account (any account of an organization), nor shown to let the stack's topic
    in: the receiver does not count, and the reason names the key."""
    for key, condition in (
        ("aws:SourceOrgID", {"StringEquals": {"aws:SourceOrgID": ORG}}),
        ("aws:SourceOrgPaths", {"ForAnyValue:StringLike": {"aws:SourceOrgPaths": f"{ORG}/r-ab12/*"}}),
    ):
        result = judge_finops(lambda_only(FunctionReadback(FUNCTION, True, invoke_policy(condition))))
        (problem,) = result.details["problems"]["budget"]
        operator = next(iter(condition))
        assert (
            f"no statement allows sns.amazonaws.com lambda:InvokeFunction for topic {TOPIC} (statement sns-invoke "
            f"(on {operator} {key}, {ORG_NAMED}) only under a condition that cannot be evaluated)"
        ) in problem
    # The twin pinned to the topic itself hears the budget.
    pinned = invoke_policy({"ArnLike": {"AWS:SourceArn": TOPIC}})
    result = judge_finops(lambda_only(FunctionReadback(FUNCTION, True, pinned)))
    assert result.details["problems"]["budget"] == [], result.reason
