"""Exit check 7: a policy's ``...IfExists`` conditions are read against the keys a service's request really carries.

CloudWatch and Budgets publish to the alert topic, and SNS delivers to the inbox queue, as AWS service principals:
their requests carry ``aws:SourceArn``, ``aws:SourceAccount``, ``aws:PrincipalIsAWSService`` (true) and
``aws:PrincipalServiceName`` (IAM, "AWS global condition context keys"), and never an organization or VPC endpoint
of the caller. AWS checks an ``...IfExists`` operator's value whenever the request carries the key, so a condition
that pins another account, service or organization keeps the publisher out; only a key the request never carries
lets it hold without a value. A key whose presence is not known (``aws:SourceOrgID``, set only for an account in an
organization; ``aws:SourceOwner`` for Budgets) cannot be evaluated: an Allow under it proves nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.alert_delivery import KmsKey, topic_key_problems
from lakehouse.checks.finops import FinopsReadback, judge_finops, publisher_context
from lakehouse.checks.resource_policy import condition, service_request
from tests.unit.test_finops import (
    ACCOUNT,
    ALARM,
    BILLING_TOPIC,
    INBOX,
    TOPIC,
    healthy,
    inbox,
    inbox_policy,
    topic_policy,
)

OTHER_ACCOUNT = "444455556666"
CLOUDWATCH = "cloudwatch.amazonaws.com"
BUDGETS = "budgets.amazonaws.com"
BUDGET_ARN = f"arn:aws:budgets::{ACCOUNT}:budget/lakehouse-lh-1-monthly-cost"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def alarm_topic_allowing(allow: dict[str, Any]) -> FinopsReadback:
    """The healthy read-back whose billing topic lets CloudWatch publish only under the condition ``allow``."""
    data = healthy()
    data.topic_policies[BILLING_TOPIC] = topic_policy(BILLING_TOPIC, CLOUDWATCH, condition=allow)
    return data


def budget_topic_allowing(allow: dict[str, Any]) -> FinopsReadback:
    """The healthy read-back whose alerts topic lets Budgets publish only under ``allow`` (CloudWatch as before)."""
    data = healthy()
    policy = topic_policy(TOPIC, BUDGETS, condition=allow)
    policy["Statement"].append(topic_policy(TOPIC, CLOUDWATCH)["Statement"][1])
    data.topic_policies[TOPIC] = policy
    return data


def alarm_silenced(result: Any) -> str:
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert f"topic {BILLING_TOPIC} has a policy that does not let {CLOUDWATCH} publish" in problem
    return str(problem)


@pytest.mark.parametrize(
    ("allow", "why"),
    [
        ({"StringEqualsIfExists": {"aws:SourceAccount": OTHER_ACCOUNT}}, "another account"),
        ({"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:cloudwatch:*:{OTHER_ACCOUNT}:alarm:*"}}, "another's alarms"),
        ({"StringEqualsIfExists": {"aws:PrincipalServiceName": "events.amazonaws.com"}}, "another service"),
        ({"BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}, "IAM principals only"),
    ],
    ids=["source-account", "source-arn", "principal-service-name", "principal-is-aws-service"],
)
def test_an_if_exists_allow_that_leaves_cloudwatch_out_silences_the_billing_alarm(
    allow: dict[str, Any], why: str
) -> None:
    problem = alarm_silenced(judge_finops(alarm_topic_allowing(allow)))
    assert f"no statement allows {CLOUDWATCH} sns:Publish for {ALARM['AlarmArn']}" in problem, why
    assert "cannot be evaluated" not in problem  # the request carries the key: the condition is shown false


@pytest.mark.parametrize(
    "allow",
    [
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
        {"ArnLikeIfExists": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:lakehouse-*"}},
        {"StringEqualsIfExists": {"aws:PrincipalServiceName": CLOUDWATCH}},
        {"Bool": {"aws:PrincipalIsAWSService": "true"}},
        {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT, "aws:SourceVpce": "vpce-1a2b3c4d"}},
    ],
    ids=["source-account", "source-arn", "principal-service-name", "principal-is-aws-service", "no-vpc-endpoint"],
)
def test_an_if_exists_allow_that_holds_for_cloudwatch_lets_it_publish(allow: dict[str, Any]) -> None:
    result = judge_finops(alarm_topic_allowing(allow))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    "key",
    ["aws:SourceOrgID", "aws:SourceOwner"],
    ids=["source-org-id", "source-owner"],
)
def test_a_budget_allow_on_a_key_budgets_may_carry_proves_nothing_naming_the_statement(key: str) -> None:
    value = OTHER_ACCOUNT if key == "aws:SourceOwner" else "o-someoneelse"
    result = judge_finops(budget_topic_allowing({"StringEqualsIfExists": {key: value}}))
    assert not result.passed
    org = ", an organization the check does not read" if key == "aws:SourceOrgID" else ""
    assert (
        f"topic {TOPIC} has a policy that does not let {BUDGETS} publish: no statement allows {BUDGETS} sns:Publish "
        f"for {BUDGET_ARN} (statement budgetsPublish (on StringEqualsIfExists {key}{org}) only under a condition "
        "that cannot be evaluated)"
    ) in str(result.reason)


def test_a_data_perimeter_deny_that_spares_aws_services_keeps_both_publishers() -> None:
    """AWS's data-perimeter statement (IAM guide, aws:PrincipalIsAWSService): everyone outside the organization is
    denied, AWS services are not; a service's request carries no aws:PrincipalOrgID and the service flag true."""
    perimeter = {
        "Sid": "OnlyOurOrganization",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": "*",
        "Condition": {
            "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-ours"},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        },
    }
    data = healthy()
    for topic in (TOPIC, BILLING_TOPIC):
        policy = data.topic_policies[topic] or {}
        data.topic_policies[topic] = {**policy, "Statement": [*policy["Statement"], perimeter]}
    result = judge_finops(data)
    assert result.passed, result.reason
    spares_nobody = {**perimeter, "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-ours"}}}
    data.topic_policies[BILLING_TOPIC]["Statement"][-1] = spares_nobody  # no organization: the Deny applies
    assert "statement OnlyOurOrganization denies cloudwatch.amazonaws.com sns:Publish" in alarm_silenced(
        judge_finops(data)
    )


def test_sns_s_recommended_deny_of_plain_http_keeps_both_publishers() -> None:
    """SNS's "enforce encryption of data in transit" statement (Deny to everyone when ``aws:SecureTransport`` is
    false): a service calls over TLS, and the key is in every request context, so CloudWatch and Budgets still
    publish; its twin denying TLS itself silences them."""
    tls_only = {
        "Sid": "AllowPublishThroughSSLOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sns:Publish",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    data = healthy()
    for topic in (TOPIC, BILLING_TOPIC):
        policy = data.topic_policies[topic] or {}
        data.topic_policies[topic] = {**policy, "Statement": [*policy["Statement"], tls_only]}
    result = judge_finops(data)
    assert result.passed, result.reason
    data.topic_policies[BILLING_TOPIC]["Statement"][-1] = {
        **tls_only,
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }
    assert "statement AllowPublishThroughSSLOnly denies cloudwatch.amazonaws.com sns:Publish" in alarm_silenced(
        judge_finops(data)
    )


def test_an_inbox_that_lets_only_another_service_send_under_if_exists_hears_nothing() -> None:
    wrong = inbox_policy(TOPIC, BILLING_TOPIC, Condition={"StringEqualsIfExists": {"aws:PrincipalServiceName": "x"}})
    result = judge_finops(healthy(queues={INBOX: inbox(wrong)}))
    assert not result.passed
    assert (
        f"queue lakehouse-lh-1-alerts-inbox's policy: no statement allows sns.amazonaws.com sqs:SendMessage for topic "
        f"{TOPIC} (SNS cannot deliver)"
    ) in str(result.reason)
    right = inbox_policy(
        TOPIC,
        BILLING_TOPIC,
        Condition={"StringEqualsIfExists": {"aws:PrincipalServiceName": "sns.amazonaws.com", "aws:SourceVpc": "v"}},
    )
    healthy_result = judge_finops(healthy(queues={INBOX: inbox(right)}))
    assert healthy_result.passed, healthy_result.reason


def test_a_topic_key_allowing_cloudwatch_only_for_another_organization_is_not_shown_usable() -> None:
    owner = {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*"}
    use = {
        "Sid": "CloudWatchUse",
        "Effect": "Allow",
        "Principal": {"Service": CLOUDWATCH},
        "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
        "Resource": "*",
    }
    metadata = {"KeyId": KEY.rsplit("/", 1)[1], "Arn": KEY, "KeyState": "Enabled", "KeyManager": "CUSTOMER"}
    context = publisher_context(CLOUDWATCH, ACCOUNT, str(ALARM["AlarmArn"]))

    def problems(allow: dict[str, Any]) -> list[str]:
        key = KmsKey(metadata, {"Statement": [owner, {**use, "Condition": allow}]})
        return topic_key_problems(BILLING_TOPIC, KEY, key, CLOUDWATCH, context)

    (problem,) = problems({"StringEqualsIfExists": {"aws:SourceOrgID": "o-someoneelse"}})
    assert (
        "statement CloudWatchUse (on StringEqualsIfExists aws:SourceOrgID, an organization the check does not read) "
        "only under a condition that cannot be evaluated"
    ) in problem
    (problem,) = problems({"StringEqualsIfExists": {"aws:SourceAccount": OTHER_ACCOUNT}})
    assert f"no statement allows {CLOUDWATCH} kms:GenerateDataKey for {ALARM['AlarmArn']}" in problem
    assert problems({"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}}) == []


def test_if_exists_holds_without_a_value_only_for_a_key_the_request_is_known_to_lack() -> None:
    request = service_request(CLOUDWATCH, str(ALARM["AlarmArn"]), ACCOUNT)

    def holds(key: str, value: str) -> bool | None:
        return condition({"Condition": {"StringEqualsIfExists": {key: value}}}, request)

    assert holds("aws:SourceVpce", "vpce-1") is True  # never set for a service principal's request
    assert holds("aws:SourceOrgID", "o-1") is None  # set only if the account is in an organization: unknown
    assert holds("aws:PrincipalServiceName", CLOUDWATCH) is True
    assert holds("aws:PrincipalServiceName", "events.amazonaws.com") is False
    assert holds("AWS:SourceAccount", OTHER_ACCOUNT) is False  # key names are not case sensitive
