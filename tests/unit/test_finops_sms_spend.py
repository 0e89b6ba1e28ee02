"""Exit check 7: an SMS receiver hears nothing once the month's SMS spend reached the account's limit.

SNS stops sending SMS once a message would exceed the account's monthly spend limit (GetSMSAttributes
MonthlySpendLimit; an account that never set it has the 1 USD it started with), and what it spent since the month
began is AWS/SNS SMSMonthToDateSpentUSD. A billing topic whose one subscriber is a phone number out of the sandbox
and not opted out still texts nobody then. The readback goes through ``read_topic`` (Stubbers answering as SNS and
CloudWatch do) and the limit and metric through moto.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from lakehouse.checks import sms_receiver
from lakehouse.checks.finops import judge_finops, read_topic
from lakehouse.outcome import Status
from tests.unit.test_finops import ACCOUNT, ALARM_NAME, BILLING_TOPIC, READ_AT, StubbedTarget, healthy, topic_policy
from tests.unit.test_finops_sms_receiver import NUMBER, sms_subscription


def read_texted(limit: str | None, spent: float | None) -> tuple[Any, list[Stubber]]:
    """The healthy stack whose billing topic's only subscriber is ``NUMBER`` (out of the sandbox, not opted out),
    read by ``read_topic`` from an account whose SMS spend limit is ``limit`` and that spent ``spent`` this month;
    and the Stubbers, to show every answer was asked for."""
    target = StubbedTarget(name="aws", region="ap-northeast-1")
    sns, cloudwatch = target.stub("sns", "us-east-1"), target.stub("cloudwatch", "us-east-1")
    sub = sms_subscription(BILLING_TOPIC)
    shown = {"Owner": ACCOUNT, "Policy": json.dumps(topic_policy(BILLING_TOPIC, "cloudwatch.amazonaws.com"))}
    sns.add_response("get_topic_attributes", {"Attributes": shown}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("list_subscriptions_by_topic", {"Subscriptions": [sub]}, {"TopicArn": BILLING_TOPIC})
    sns.add_response("get_subscription_attributes", {"Attributes": {}}, {"SubscriptionArn": sub["SubscriptionArn"]})
    sns.add_response("get_sms_sandbox_account_status", {"IsInSandbox": False}, {})
    sns.add_response("check_if_phone_number_is_opted_out", {"isOptedOut": False}, {"phoneNumber": NUMBER})
    attributes = {"MonthlySpendLimit": limit} if limit is not None else {}
    sns.add_response("get_sms_attributes", {"attributes": attributes}, {"attributes": ["MonthlySpendLimit"]})
    points = [{"Timestamp": READ_AT - timedelta(hours=1), "Maximum": spent}] if spent is not None else []
    asked = {
        "Namespace": "AWS/SNS",
        "MetricName": "SMSMonthToDateSpentUSD",
        "StartTime": READ_AT.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        "EndTime": READ_AT,
        "Period": 3600,
        "Statistics": ["Maximum"],
    }
    cloudwatch.add_response("get_metric_statistics", {"Datapoints": points}, asked)
    data = healthy(subscriptions={**healthy().subscriptions, BILLING_TOPIC: []}, phones={})
    read_topic(target, data, BILLING_TOPIC)
    return data, [sns, cloudwatch]


@pytest.mark.parametrize(
    ("limit", "spent", "expected"),
    [
        (
            "1",
            1.0,
            "spent 1.0 USD on SMS in us-east-1 this month (SMSMonthToDateSpentUSD), which reaches its monthly "
            "SMS spend limit of 1 USD (MonthlySpendLimit)",
        ),
        ("5", 5.21, "spent 5.21 USD on SMS in us-east-1 this month"),
        (
            None,
            1.04,
            "spent 1.04 USD on SMS in us-east-1 this month (SMSMonthToDateSpentUSD), which reaches its "
            "monthly SMS spend limit of 1 USD (MonthlySpendLimit unset: taken as SNS's default, the 1 USD quota an "
            "account starts with)",
        ),
        (
            "0",
            None,
            "spent 0 USD on SMS in us-east-1 this month (SMSMonthToDateSpentUSD), which reaches its monthly "
            "SMS spend limit of 0 USD",
        ),
    ],
    ids=["default-limit-reached", "raised-limit-reached", "unset-limit-reached", "zero-limit"],
)
def test_an_sms_receiver_whose_month_reached_the_spend_limit_leaves_the_billing_alarm_unheard(
    limit: str | None, spent: float | None, expected: str
) -> None:
    data, stubs = read_texted(limit, spent)
    result = judge_finops(data, cap_usd=20)
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"billing alarm {ALARM_NAME} notifies nobody" in reason and f"sms {NUMBER}: the account has {expected}" in (
        reason
    ), reason
    assert "SNS stops sending SMS once a message would exceed it" in reason
    for stub in stubs:
        stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("limit", "spent"),
    [("1", 0.42), ("50", 12.5), (None, None), (None, 0.99)],
    ids=["under", "raised", "none", "unset"],
)
def test_an_sms_receiver_under_the_spend_limit_hears_the_alarm(limit: str | None, spent: float | None) -> None:
    data, stubs = read_texted(limit, spent)
    result = judge_finops(data, cap_usd=20)
    assert result.passed, result.reason
    for stub in stubs:
        stub.assert_no_pending_responses()
    assert result.details["sms_phones"][NUMBER]["spend"] == {"limit_usd": limit, "spent_usd": spent}


def test_the_spend_limit_and_the_month_to_date_spend_are_read_back_from_sns_and_cloudwatch(moto_aws: None) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    now = READ_AT
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": "2"})
    nothing_texted = sms_receiver.read_spend(sns, cloudwatch, now)
    assert nothing_texted.spent_usd is None and sms_receiver.spend_problems(nothing_texted, "us-east-1") == []
    for hours_ago, value in ((30, 0.8), (2, 2.03)):
        cloudwatch.put_metric_data(
            Namespace="AWS/SNS",
            MetricData=[
                {"MetricName": "SMSMonthToDateSpentUSD", "Value": value, "Timestamp": now - timedelta(hours=hours_ago)}
            ],
        )
    spend = sms_receiver.read_spend(sns, cloudwatch, now)
    assert (spend.limit_usd, spend.spent_usd) == ("2", 2.03)
    (problem,) = sms_receiver.spend_problems(spend, "us-east-1")
    assert "spent 2.03 USD on SMS in us-east-1 this month" in problem and "limit of 2 USD" in problem
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": "10"})
    assert sms_receiver.spend_problems(sms_receiver.read_spend(sns, cloudwatch, now), "us-east-1") == []


def test_last_months_spend_does_not_count(moto_aws: None) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    last_month = sms_receiver.month_start(READ_AT) - timedelta(hours=3)
    cloudwatch.put_metric_data(
        Namespace="AWS/SNS",
        MetricData=[{"MetricName": "SMSMonthToDateSpentUSD", "Value": 1.5, "Timestamp": last_month}],
    )
    spend = sms_receiver.read_spend(sns, cloudwatch, READ_AT)
    assert spend.spent_usd is None and sms_receiver.spend_problems(spend, "us-east-1") == []


@pytest.mark.parametrize("limit", ["5 USD", "NaN", "Infinity", "-"], ids=["unit", "nan", "infinity", "dash"])
def test_a_spend_limit_that_is_not_a_number_is_named_not_compared(limit: str) -> None:
    data, stubs = read_texted(limit, 0.42)
    result = judge_finops(data, cap_usd=20)
    assert result.status is Status.FAILED  # not an error: the stack's own attribute is what is wrong
    assert f"sms {NUMBER}: the account's SMS MonthlySpendLimit in us-east-1 is not a number of USD ({limit!r})" in str(
        result.reason
    ), result.reason
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_an_account_that_never_set_the_limit_is_read_as_unset_and_judged_on_the_default(moto_aws: None) -> None:
    sns = boto3.client("sns", region_name="us-east-1")
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    cloudwatch.put_metric_data(
        Namespace="AWS/SNS",
        MetricData=[{"MetricName": "SMSMonthToDateSpentUSD", "Value": 1.0, "Timestamp": READ_AT - timedelta(hours=1)}],
    )
    spend = sms_receiver.read_spend(sns, cloudwatch, READ_AT)
    assert spend.limit_usd is None
    (problem,) = sms_receiver.spend_problems(spend, "us-east-1")
    assert "limit of 1 USD (MonthlySpendLimit unset: taken as SNS's default, the 1 USD quota" in problem
