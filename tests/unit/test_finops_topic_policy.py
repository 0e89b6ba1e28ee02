"""Exit check 7: a topic policy whose explicit Deny keeps Budgets or CloudWatch from publishing hears nothing.

SNS evaluates a topic policy as IAM does: an explicit Deny wins over every Allow. A policy that keeps the
``budgets.amazonaws.com`` Allow but adds a Deny of ``sns:Publish`` to everyone (or to the service) drops
every alert, while the subscriptions, the queue and the key all look fine. The budget also needs an Allow;
CloudWatch is judged on Denies only (no AWS page requires an Allow for a same-account alarm).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.finops import FinopsReadback, judge_finops
from tests.unit.test_finops import ACCOUNT, ALARM, ALARM_NAME, BILLING_TOPIC, BUDGET_NAME, TOPIC, healthy, topic_policy

BUDGET_ARN = f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET_NAME}"
OTHER_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:someone-elses-topic"


def deny(sid: str | None = "NoPublish", **statement: Any) -> dict[str, Any]:
    """A Deny of sns:Publish to everyone on ``TOPIC`` and ``BILLING_TOPIC``, changed by ``statement``."""
    found = {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": [TOPIC, BILLING_TOPIC]}
    found = {**found, **statement}
    found = {k: v for k, v in found.items() if v is not None}
    return {**found, "Sid": sid} if sid else found


def with_deny(statement: dict[str, Any], *, alerts: bool = True, billing: bool = True) -> FinopsReadback:
    """The healthy read-back (infra/'s Allows kept) with ``statement`` added to the chosen topics' policies."""
    data = healthy()
    for topic, chosen in ((TOPIC, alerts), (BILLING_TOPIC, billing)):
        if chosen:
            policy = data.topic_policies[topic] or {}
            data.topic_policies[topic] = {**policy, "Statement": [*policy["Statement"], statement]}
    return data


def budget_reason(statement: str, publisher: str = "budgets.amazonaws.com") -> str:
    return (
        f"reaches nobody: topic {TOPIC} has a policy that does not let budgets.amazonaws.com publish: "
        f"{statement} denies {publisher} sns:Publish (budgets cannot publish to it)"
    )


def alarm_reason(statement: str) -> str:
    return (
        f"topic {BILLING_TOPIC} has a policy that does not let cloudwatch.amazonaws.com publish: {statement} denies "
        "cloudwatch.amazonaws.com sns:Publish (cloudwatch cannot publish to it)"
    )


def test_the_healthy_policies_let_both_publishers_publish() -> None:
    """infra/alerts.tf and infra/finops.tf's shape: the owner, and each service allowed for the own account."""
    result = judge_finops(healthy())
    assert result.passed, result.reason


def test_a_deny_to_everyone_silences_the_budget_and_the_billing_alarm_naming_topic_and_statement() -> None:
    result = judge_finops(with_deny(deny()))
    assert not result.passed
    (budget,) = result.details["problems"]["budget"]
    assert budget_reason("statement NoPublish") in budget, budget
    (alarm,) = result.details["problems"]["billing_alarm"]
    assert alarm.startswith(f"billing alarm {ALARM_NAME} notifies nobody")
    assert alarm_reason("statement NoPublish") in alarm, alarm
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.measured["billing_alarm_actions"] == 0


@pytest.mark.parametrize(
    "principal", [{"AWS": "*"}, {"AWS": ["arn:aws:iam::111122223333:root", "*"]}], ids=["aws-star", "aws-list"]
)
def test_a_deny_to_every_aws_principal_covers_the_services(principal: dict[str, Any]) -> None:
    result = judge_finops(with_deny(deny(Principal=principal)))
    assert budget_reason("statement NoPublish") in str(result.reason)
    assert alarm_reason("statement NoPublish") in str(result.reason)


def test_a_deny_to_budgets_silences_only_the_budget() -> None:
    result = judge_finops(with_deny(deny("NoBudgets", Principal={"Service": "budgets.amazonaws.com"})))
    assert not result.passed
    (problem,) = result.details["problems"]["budget"]
    assert budget_reason("statement NoBudgets") in problem, problem
    assert result.details["problems"]["billing_alarm"] == []
    assert result.measured["billing_alarm_actions"] == 1


def test_a_deny_to_cloudwatch_silences_only_the_billing_alarm() -> None:
    statement = deny("NoAlarms", Principal={"Service": ["cloudwatch.amazonaws.com"]})
    result = judge_finops(with_deny(statement))
    assert not result.passed
    assert result.details["problems"]["budget"] == []
    (problem,) = result.details["problems"]["billing_alarm"]
    assert alarm_reason("statement NoAlarms") in problem, problem
    assert result.measured["billing_alarm_actions"] == 0


def test_a_statement_without_a_sid_is_named_by_its_index() -> None:
    result = judge_finops(with_deny(deny(None), alerts=False))
    assert alarm_reason("statement #2") in str(result.reason)  # OwnerManagesTopic #0, CloudWatch's Allow #1


@pytest.mark.parametrize(
    "action",
    [{"Action": "SNS:*"}, {"Action": ["sns:Subscribe", "sns:Pub*"]}, {"Action": "*"}, {"NotAction": "sns:Subscribe"}],
    ids=["service-wildcard", "prefix-wildcard", "everything", "not-action-subscribe"],
)
def test_a_deny_whose_actions_cover_publish_applies(action: dict[str, Any]) -> None:
    result = judge_finops(with_deny(deny(**{"Action": None, **action})))
    assert budget_reason("statement NoPublish") in str(result.reason)
    assert alarm_reason("statement NoPublish") in str(result.reason)


@pytest.mark.parametrize(
    "statement",
    [
        deny(Action=None, NotAction=["sns:Publish", "sns:Subscribe"]),
        deny(Action="sns:Subscribe"),
        deny(Resource=OTHER_TOPIC),
        deny(Resource=None, NotResource=[TOPIC, BILLING_TOPIC]),
        deny(Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}),
        deny(Principal={"Service": "s3.amazonaws.com"}),
        deny(Condition={"StringEquals": {"aws:SourceAccount": "444455556666"}}),
        deny(Condition={"StringNotEquals": {"AWS:SourceAccount": ACCOUNT}}),
        deny(Condition={"ArnNotLike": {"aws:SourceArn": [f"arn:aws:*:*:{ACCOUNT}:*"]}}),
        deny(Effect="Allow"),
    ],
    ids=[
        "not-action-publish",
        "other-action",
        "other-topic",
        "not-resource-these-topics",
        "account-root-only",
        "other-service",
        "condition-other-account",
        "condition-not-this-account",
        "condition-not-our-sources",
        "an-allow",
    ],
)
def test_a_deny_that_does_not_apply_to_the_publishers_passes(statement: dict[str, Any]) -> None:
    result = judge_finops(with_deny(statement))
    assert result.passed, result.reason


def test_a_deny_for_everything_but_other_topics_applies() -> None:
    result = judge_finops(with_deny(deny(Resource=None, NotResource=OTHER_TOPIC)))
    assert budget_reason("statement NoPublish") in str(result.reason)


@pytest.mark.parametrize(
    ("excluded", "budget_denied", "alarm_denied"),
    [
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, True, True),
        ({"Service": "cloudwatch.amazonaws.com"}, True, False),
        ({"Service": ["budgets.amazonaws.com", "cloudwatch.amazonaws.com"]}, False, False),
    ],
    ids=["all-but-the-owner", "all-but-cloudwatch", "all-but-both"],
)
def test_a_deny_with_not_principal_applies_to_every_publisher_it_leaves_out(
    excluded: dict[str, Any], budget_denied: bool, alarm_denied: bool
) -> None:
    result = judge_finops(with_deny(deny(Principal=None, NotPrincipal=excluded)))
    assert (budget_reason("statement NoPublish") in str(result.reason)) is budget_denied, result.reason
    assert (alarm_reason("statement NoPublish") in str(result.reason)) is alarm_denied, result.reason


def test_a_deny_under_a_condition_holding_for_the_budget_or_alarm_applies() -> None:
    only_ours = {"ArnEquals": {"aws:SourceArn": [BUDGET_ARN, ALARM["AlarmArn"]]}}
    result = judge_finops(with_deny(deny(Condition=only_ours)))
    assert budget_reason("statement NoPublish") in str(result.reason)
    assert alarm_reason("statement NoPublish") in str(result.reason)
    another_budget = {"ArnEquals": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/someone-else"}}
    assert judge_finops(with_deny(deny(Condition=another_budget))).passed


def test_a_deny_on_a_key_the_services_request_lacks_applies_under_a_negated_operator() -> None:
    """AWS's own "publish only from a VPC endpoint" example: a service's publish comes through no endpoint, and a
    negated operator on a key the request lacks is true (IAM User Guide, "Condition operators"): the Deny applies."""
    vpce_only = {"StringNotEquals": {"aws:sourceVpce": "vpce-1ab2c34d"}}
    result = judge_finops(with_deny(deny("VpceOnly", Condition=vpce_only)))
    assert not result.passed
    named = "statement VpceOnly"
    assert "cannot be told not to hold" not in str(result.reason)
    assert budget_reason(named) in str(result.reason)
    assert alarm_reason(named) in str(result.reason)


def test_an_explicit_deny_wins_over_an_unconditioned_allow() -> None:
    data = healthy()
    allow_all = {"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "sns:*", "Resource": "*"}
    data.topic_policies[TOPIC] = {
        "Statement": [allow_all, deny("NoBudgets", Principal={"Service": "budgets.amazonaws.com"})]
    }
    assert budget_reason("statement NoBudgets") in str(judge_finops(data).reason)


def test_budgets_allowed_with_the_conditions_aws_documents_passes() -> None:
    documented = {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:*"},
    }
    data = healthy()
    data.topic_policies[TOPIC] = topic_policy(TOPIC, "budgets.amazonaws.com", condition=documented)
    assert judge_finops(data).passed


def test_budgets_allowed_for_another_budget_only_cannot_publish() -> None:
    data = healthy()
    other = {"ArnEquals": {"aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/someone-else"}}
    data.topic_policies[TOPIC] = topic_policy(TOPIC, "budgets.amazonaws.com", condition=other)
    result = judge_finops(data)
    assert f"no statement allows budgets.amazonaws.com sns:Publish for {BUDGET_ARN}" in str(result.reason)


def test_cloudwatch_needs_an_allow_which_snss_default_statement_gives() -> None:
    """An alarm's action fails "not authorized to perform: SNS:Publish" under a topic policy that allows
    CloudWatch nothing (AWS knowledge center, cloudwatch-receive-sns-for-alarm-trigger); SNS's default
    statement (any principal, for the owner's account: aws:SourceOwner) lets it publish."""
    data = healthy()
    data.topic_policies[BILLING_TOPIC] = topic_policy(BILLING_TOPIC)  # the owner account only
    result = judge_finops(data)
    assert not result.passed
    assert (
        f"no statement allows cloudwatch.amazonaws.com sns:Publish for arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:"
        in str(result.reason)
    ), result.reason
    data.topic_policies[BILLING_TOPIC] = None  # no policy read: nothing allows it either
    assert not judge_finops(data).passed
    default = {
        "Sid": "__default_statement_ID",
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"],
        "Resource": BILLING_TOPIC,
        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
    }
    data.topic_policies[BILLING_TOPIC] = {"Version": "2008-10-17", "Statement": [default]}
    assert judge_finops(data).passed
    other_owner = {**default, "Condition": {"StringEquals": {"AWS:SourceOwner": "999999999999"}}}
    data.topic_policies[BILLING_TOPIC] = {"Version": "2008-10-17", "Statement": [other_owner]}
    assert not judge_finops(data).passed


def test_stray_billing_alarms_are_judged_on_their_topics_policy_too() -> None:
    result = judge_finops(with_deny(deny(), alerts=False))
    (summary,) = result.details["billing_alarms_in_us_east_1"]
    assert summary["can_fire"] is False
    assert any(alarm_reason("statement NoPublish") in p for p in summary["problems"])
