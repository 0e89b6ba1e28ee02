"""Exit check 7's judge, its metric counting and its reader, fed healthy and broken read-backs.

Every broken input the issue lists (budget filtered to one service, a notification at
100000 %, a billing alarm outside us-east-1, LessThanThreshold, extra dimensions, 1000
evaluation periods, an action on a deleted topic, one metric drawn with three statistics)
has a test here whose reason names the culprit.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from lakehouse.checks.alert_delivery import QueueReadback
from lakehouse.checks.billing_alarm import BILLING_ALARM_RULE
from lakehouse.checks.billing_freshness import NewestCharge
from lakehouse.checks.finops import (
    FinopsReadback,
    FinopsReadError,
    NotificationReadback,
    check_finops,
    confirmed,
    count_metric_series,
    judge_finops,
    read_finops,
)
from lakehouse.outcome import Status
from lakehouse.target import Target, local_target

ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-alerts"
BILLING_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:lakehouse-lh-1-billing-alerts"
GONE_TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:deleted-yesterday"
WG = "lakehouse-lh-1"
ALARM_NAME = "lakehouse-lh-1-estimated-charges"
BUDGET_NAME = "lakehouse-lh-1-monthly-cost"


def metric_widget(*rows: list[Any], **props: Any) -> dict[str, Any]:
    return {"type": "metric", "properties": {"region": "ap-northeast-1", "metrics": list(rows), **props}}


HEALTHY_BODY = {
    "widgets": [
        {"type": "text", "properties": {"markdown": "# costs"}},
        metric_widget(
            ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG],
            ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG],
        ),
        metric_widget(["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage"]),
        metric_widget(["AWS/Billing", "EstimatedCharges", "Currency", "USD", {"stat": "Maximum"}], region="us-east-1"),
    ]
}
ACTUAL_80 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0}
FORECAST_100 = {"NotificationType": "FORECASTED", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0}
SNS = {"SubscriptionType": "SNS", "Address": TOPIC}
EMAIL = {"SubscriptionType": "EMAIL", "Address": "finops@example.com"}
#: When the healthy read-back was read: inside BUDGET's TimePeriod.
READ_AT = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
#: The account's estimated charges as a healthy account has them: published at 06:00, read five hours later.
FRESH_CHARGE = NewestCharge(READ_AT, READ_AT - timedelta(days=14), READ_AT - timedelta(hours=5), 0.0)
THIS_MONTH = {"Start": datetime(2026, 12, 1, tzinfo=UTC), "End": datetime(2087, 6, 15, tzinfo=UTC)}
BUDGET: dict[str, Any] = {
    "BudgetType": "COST",
    "TimeUnit": "MONTHLY",
    "BudgetLimit": {"Amount": "20.0", "Unit": "USD"},
    "TimePeriod": THIS_MONTH,
    # As DescribeBudget answers once AWS forecasts the budget (about five weeks of usage data).
    "CalculatedSpend": {
        "ActualSpend": {"Amount": "3.12", "Unit": "USD"},
        "ForecastedSpend": {"Amount": "14.8", "Unit": "USD"},
    },
}
ALARM: dict[str, Any] = {
    "AlarmName": ALARM_NAME,
    "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{ALARM_NAME}",
    "Namespace": "AWS/Billing",
    "MetricName": "EstimatedCharges",
    "Dimensions": [{"Name": "Currency", "Value": "USD"}],
    "Statistic": "Maximum",
    "Period": 21600,
    "EvaluationPeriods": 1,
    "ComparisonOperator": "GreaterThanThreshold",
    "Threshold": 20.0,
    "TreatMissingData": "notBreaching",
    "ActionsEnabled": True,
    "AlarmActions": [BILLING_TOPIC],
}


#: The account's total estimated charges, as ListMetrics in us-east-1 lists it once billing alerts are enabled.
BILLING_TOTAL: dict[str, Any] = {
    "Namespace": "AWS/Billing",
    "MetricName": "EstimatedCharges",
    "Dimensions": [{"Name": "Currency", "Value": "USD"}],
}


def subscription(topic: str, confirmed: bool = True, protocol: str = "sqs") -> dict[str, Any]:
    """One entry of ListSubscriptionsByTopic (an unconfirmed one shows PendingConfirmation)."""
    return {
        "SubscriptionArn": f"{topic}:5f2c1f8e-0000-4000-8000-000000000001" if confirmed else "PendingConfirmation",
        "Owner": ACCOUNT,
        "Protocol": protocol,
        "Endpoint": f"arn:aws:sqs:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-alerts-inbox"
        if protocol == "sqs"
        else "finops@example.com",
        "TopicArn": topic,
    }


def topic_policy(topic: str, *services: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    """A topic policy like infra/alerts.tf's: the owner account, and each service allowed to publish."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnerManagesTopic",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["SNS:Publish", "SNS:Subscribe"],
            "Resource": topic,
        }
    ]
    statements += [
        {
            "Sid": f"{service.split('.')[0]}Publish",
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "SNS:Publish",
            "Resource": topic,
            "Condition": condition if condition is not None else {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
        }
        for service in services
    ]
    return {"Version": "2008-10-17", "Statement": statements}


INBOX = f"arn:aws:sqs:ap-northeast-1:{ACCOUNT}:lakehouse-lh-1-alerts-inbox"


def inbox_policy(*topics: str, **statement: Any) -> dict[str, Any]:
    """The alerts inbox's queue policy as infra/alert_inbox.tf writes it: SNS may send from ``topics``."""
    allow = {
        "Sid": "AlertTopicsDeliver",
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": INBOX,
        "Condition": {"ArnEquals": {"aws:SourceArn": list(topics)}},
    }
    return {"Version": "2012-10-17", "Statement": [{**allow, **statement}]}


def inbox(policy: dict[str, Any] | None = None, **attributes: str) -> QueueReadback:
    """The alerts inbox as GetQueueAttributes shows it (SSE-SQS, the policy of ``inbox_policy``)."""
    document = policy if policy is not None else inbox_policy(TOPIC, BILLING_TOPIC)
    return QueueReadback(INBOX, {"Policy": json.dumps(document), "SqsManagedSseEnabled": "true", **attributes})


def healthy(**changes: Any) -> FinopsReadback:
    data = FinopsReadback(
        account_id=ACCOUNT,
        budget_name=BUDGET_NAME,
        budget=dict(BUDGET),
        notifications=[NotificationReadback(ACTUAL_80, [SNS]), NotificationReadback(FORECAST_100, [SNS])],
        dashboard_name="lakehouse-lh-1-finops",
        dashboard_body=json.dumps(HEALTHY_BODY),
        alarm_name=ALARM_NAME,
        alarm_region="us-east-1",
        alarm=dict(ALARM),
        billing_alarms=[dict(ALARM)],
        billing_metrics=[dict(BILLING_TOTAL)],
        billing_newest=FRESH_CHARGE,
        topics={TOPIC: True, BILLING_TOPIC: True, GONE_TOPIC: False},
        subscriptions={TOPIC: [subscription(TOPIC)], BILLING_TOPIC: [subscription(BILLING_TOPIC)]},
        topic_policies={
            TOPIC: topic_policy(TOPIC, "budgets.amazonaws.com", "cloudwatch.amazonaws.com"),
            BILLING_TOPIC: topic_policy(BILLING_TOPIC, "cloudwatch.amazonaws.com"),
        },
        alerts_topic_arn=TOPIC,
        read_at=READ_AT,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    if "subscription_attributes" not in changes:  # every confirmed subscription read, no filter policy
        data.subscription_attributes = {
            str(s["SubscriptionArn"]): {} for subs in data.subscriptions.values() for s in confirmed(subs)
        }
    if "queues" not in changes:
        data.queues = {INBOX: inbox()}
    if "published_series" not in changes and data.dashboard_body:  # ListMetrics lists every series drawn
        try:
            body = json.loads(data.dashboard_body)
        except json.JSONDecodeError:
            body = {}
        data.published_series = {label: True for label in count_metric_series(body).series}
    return data


def test_healthy_guards_pass_with_the_evidence_the_issue_asks_for() -> None:
    result = judge_finops(healthy(), cap_usd=20)
    assert result.passed, result.reason
    assert result.measured == {
        "budget_limit_usd": "20.0",
        "budget_notifications_that_can_fire": 2,
        "dashboard_metric_series": 4,
        "billing_alarm_actions": 1,
    }
    assert result.threshold["dashboard_metric_series"] == ">= 3"
    details = result.details
    assert details["budget"]["BudgetLimit"]["Amount"] == "20.0"
    assert details["budget_notifications"][0]["subscribers"] == [SNS]
    assert details["budget_notifications"][0]["can_fire"] is True
    assert details["dashboard_body"] == HEALTHY_BODY  # parsed, not a string
    assert len(details["metric_series"]) == 4
    assert "a second statistic" in details["metric_counting_rule"]
    assert details["billing_alarm"]["MetricName"] == "EstimatedCharges"
    assert details["billing_alarm_rule"] == BILLING_ALARM_RULE
    assert "TreatMissingData is recorded but not judged" in BILLING_ALARM_RULE
    assert details["billing_alarms_in_us_east_1"] == [
        {"name": ALARM_NAME, "arn": ALARM["AlarmArn"], "can_fire": True, "problems": []}
    ]
    assert details["sns_topics_exist"][BILLING_TOPIC] is True


# -- budget ----------------------------------------------------------------------------------------


def test_budget_limit_above_the_cap_fails() -> None:
    budget = {**BUDGET, "BudgetLimit": {"Amount": "20.01", "Unit": "USD"}}
    result = judge_finops(healthy(budget=budget), cap_usd=20)
    assert not result.passed
    assert f"budget {BUDGET_NAME} limit 20.01 USD is above the 20 USD monthly cap" in str(result.reason)
    assert result.details["problems"]["budget"] and not result.details["problems"]["dashboard"]


def test_limit_is_compared_as_a_number_not_as_text() -> None:
    # "9.5" > "20" as strings; as amounts it is well within the cap.
    assert judge_finops(healthy(budget={**BUDGET, "BudgetLimit": {"Amount": "9.5", "Unit": "USD"}}), 20).passed


def test_missing_budget_fails() -> None:
    result = judge_finops(healthy(budget=None, notifications=[]))
    assert not result.passed and f"budget {BUDGET_NAME} does not exist" in str(result.reason)


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (
            {"Start": datetime(2026, 1, 1, tzinfo=UTC), "End": datetime(2026, 11, 30, tzinfo=UTC)},
            f"budget {BUDGET_NAME} ended on 2026-11-30T00:00:00+00:00 (TimePeriod 2026-01-01 00:00:00+00:00 to "
            "2026-11-30 00:00:00+00:00): it does not guard 2026-12",
        ),
        (
            {"Start": datetime(2027, 1, 1, tzinfo=UTC), "End": datetime(2087, 6, 15, tzinfo=UTC)},
            f"budget {BUDGET_NAME} starts only on 2027-01-01T00:00:00+00:00",
        ),
        ({"Start": 1764547200, "End": 1764547200.0}, f"budget {BUDGET_NAME} ended on 2025-12-01T00:00:00+00:00"),
        ({"Start": "garbage", "End": None}, f"budget {BUDGET_NAME} has a TimePeriod that cannot be read"),
        (None, f"budget {BUDGET_NAME} has no TimePeriod (None)"),
    ],
)
def test_budget_whose_period_does_not_hold_the_reading_fails(period: Any, expected: str) -> None:
    result = judge_finops(healthy(budget={**BUDGET, "TimePeriod": period}))
    assert not result.passed
    assert expected in str(result.reason)
    assert result.details["problems"]["budget"] and result.details["budget_read_at"] == READ_AT.isoformat()


def test_budget_ending_at_the_moment_of_reading_no_longer_guards() -> None:
    at_end = {"Start": datetime(2026, 12, 1, tzinfo=UTC), "End": READ_AT}
    assert not judge_finops(healthy(budget={**BUDGET, "TimePeriod": at_end})).passed
    starting_now = {"Start": READ_AT, "End": datetime(2026, 12, 31, tzinfo=UTC)}
    assert judge_finops(healthy(budget={**BUDGET, "TimePeriod": starting_now})).passed


def test_usage_budget_is_not_a_cost_guard() -> None:
    result = judge_finops(healthy(budget={**BUDGET, "BudgetType": "USAGE"}))
    assert not result.passed and "not a MONTHLY COST budget" in str(result.reason)


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("CostFilters", {"Service": ["Amazon Athena"]}, 'CostFilters {"Service": ["Amazon Athena"]}'),
        (
            "FilterExpression",
            {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Athena"]}},
            'FilterExpression {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Athena"]}}',
        ),
    ],
)
def test_budget_filtered_to_one_service_fails(key: str, value: dict[str, Any], shown: str) -> None:
    result = judge_finops(healthy(budget={**BUDGET, key: value}))
    assert not result.passed
    assert f"budget {BUDGET_NAME} counts only part of the account's cost ({shown})" in str(result.reason)


def test_empty_filters_as_aws_returns_them_cover_all_cost() -> None:
    assert judge_finops(healthy(budget={**BUDGET, "CostFilters": {}, "FilterExpression": {}})).passed


#: CostTypes as Budgets answers them for a budget made without any (every default, moto's answer too).
DEFAULT_COST_TYPES = {
    "IncludeCredit": True,
    "IncludeDiscount": True,
    "IncludeOtherSubscription": True,
    "IncludeRecurring": True,
    "IncludeRefund": True,
    "IncludeSubscription": True,
    "IncludeSupport": True,
    "IncludeTax": True,
    "IncludeUpfront": True,
    "UseAmortized": False,
    "UseBlended": False,
}


def test_budget_leaving_charges_out_by_cost_types_fails() -> None:
    """Broken budget: IncludeTax=false (and support fees out): a 22 USD bill with 10 % tax reads 20 USD, under
    the cap, so neither notification fires; CostFilters and FilterExpression are empty."""
    partial = {**DEFAULT_COST_TYPES, "IncludeTax": False, "IncludeSupport": False}
    result = judge_finops(healthy(budget={**BUDGET, "CostTypes": partial}))
    assert result.status is Status.FAILED
    assert (
        f"budget {BUDGET_NAME} counts only part of the account's cost (CostTypes IncludeTax=false, "
        "IncludeSupport=false: those charges are on the bill, not in the budget)"
    ) in str(result.reason)
    assert "IncludeTax" in result.details["budget_rule"]


@pytest.mark.parametrize(
    "cost_types",
    [
        DEFAULT_COST_TYPES,
        {},
        {"IncludeTax": True},
        {**DEFAULT_COST_TYPES, "IncludeCredit": False, "IncludeRefund": False, "UseAmortized": True},
    ],
    ids=["defaults", "none", "partial-answer", "credits-out-amortized"],
)
def test_cost_types_that_keep_every_charge_pass(cost_types: dict[str, bool]) -> None:
    """No false reds: defaults, a partial answer (an absent flag is its default, true), and choices that only
    lower or restate the bill (credits, refunds, amortized rates) keep every charge in."""
    assert judge_finops(healthy(budget={**BUDGET, "CostTypes": cost_types})).passed


def test_budget_without_notifications_fails() -> None:
    result = judge_finops(healthy(notifications=[]))
    assert not result.passed
    assert f"budget {BUDGET_NAME} has no notifications, so it alerts nobody" in str(result.reason)
    assert result.measured["budget_notifications_that_can_fire"] == 0


def test_notification_at_100000_percent_fails() -> None:
    absurd = {**ACTUAL_80, "Threshold": 100000.0, "ThresholdType": "PERCENTAGE"}
    result = judge_finops(healthy(notifications=[NotificationReadback(absurd, [SNS])]))
    assert not result.passed
    assert (
        f"none of budget {BUDGET_NAME}'s 1 notification(s) can alert before the limit is spent "
        "(ACTUAL GREATER_THAN 100000.0 %: fires only past 100000 % of the limit = 20000 USD, above 100 %)"
    ) in str(result.reason)


def test_threshold_without_a_type_is_a_percentage() -> None:
    absurd = {**ACTUAL_80, "Threshold": 150.0}
    assert "fires only past 150 % of the limit" in str(
        judge_finops(healthy(notifications=[NotificationReadback(absurd, [SNS])])).reason
    )


@pytest.mark.parametrize(("threshold", "ok"), [(16.0, True), (20.0, True), (25.0, False), (80.0, False)])
def test_absolute_thresholds_are_dollars_compared_with_the_limit(threshold: float, ok: bool) -> None:
    # 80 USD is "80" like the healthy percentage, but four times a 20 USD limit.
    note = {**ACTUAL_80, "Threshold": threshold, "ThresholdType": "ABSOLUTE_VALUE"}
    result = judge_finops(healthy(notifications=[NotificationReadback(note, [SNS])]))
    assert result.passed is ok, result.reason
    if not ok:
        assert f"ACTUAL GREATER_THAN {threshold} USD: fires only past {threshold:g} USD, above the 20 USD limit" in str(
            result.reason
        )


def test_notification_without_subscriber_fails() -> None:
    # AWS cannot hold this state (deleting a notification's last subscriber deletes the
    # notification), so it is tested here on the judge alone.
    result = judge_finops(healthy(notifications=[NotificationReadback(ACTUAL_80, [])]))
    assert not result.passed
    assert "ACTUAL GREATER_THAN 80.0 %: has no subscriber" in str(result.reason)


def test_notification_that_only_mails_fails() -> None:
    result = judge_finops(healthy(notifications=[NotificationReadback(ACTUAL_80, [EMAIL])]))
    assert not result.passed
    assert "has no subscriber on an SNS topic that exists (EMAIL finops@example.com)" in str(result.reason)


def test_notification_to_a_deleted_topic_fails() -> None:
    gone = {"SubscriptionType": "SNS", "Address": GONE_TOPIC}
    result = judge_finops(healthy(notifications=[NotificationReadback(ACTUAL_80, [gone])]))
    assert not result.passed
    assert f"SNS {GONE_TOPIC} (topic does not exist)" in str(result.reason)


def test_notification_to_another_topic_that_exists_can_fire() -> None:
    other = f"arn:aws:sns:ap-northeast-1:{ACCOUNT}:finops-team"
    data = healthy(notifications=[NotificationReadback(ACTUAL_80, [{"SubscriptionType": "SNS", "Address": other}])])
    data.topics[other] = True
    data.subscriptions[other] = [subscription(other, protocol="email")]
    data.subscription_attributes[data.subscriptions[other][0]["SubscriptionArn"]] = {}
    data.topic_policies[other] = topic_policy(other, "budgets.amazonaws.com")
    assert judge_finops(data).passed


# -- alerts nobody receives ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subscriptions", "why"),
    [
        ([], "has no subscription"),
        (
            [subscription(TOPIC, confirmed=False, protocol="email")],
            "has no confirmed subscription (1 pending: email finops@example.com)",
        ),
    ],
    ids=["none", "pending-only"],
)
def test_a_budget_topic_nobody_receives_from_fails_naming_it(subscriptions: list[dict[str, Any]], why: str) -> None:
    data = healthy()
    data.subscriptions[TOPIC] = subscriptions
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert f"reaches nobody: topic {TOPIC} {why}" in str(result.reason)
    assert result.measured["budget_notifications_that_can_fire"] == 0


@pytest.mark.parametrize(
    ("policy", "ok"),
    [
        (None, False),  # SNS's default policy: only the account's own principals publish
        (topic_policy(TOPIC, "cloudwatch.amazonaws.com"), False),
        (topic_policy(TOPIC, "budgets.amazonaws.com", condition={"StringEquals": {"aws:SourceAccount": "999"}}), False),
        (topic_policy(TOPIC, "budgets.amazonaws.com", condition={}), True),
        (
            {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "sns:*", "Resource": "*"}},
            True,
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "*"},
                        "Action": "SNS:Publish",
                        "Resource": TOPIC,
                        "Condition": {"StringEquals": {"AWS:SourceOwner": ACCOUNT}},
                    }
                ]
            },
            False,
        ),
    ],
    ids=["no-policy", "cloudwatch-only", "other-account", "unconditioned", "everyone", "default-shape"],
)
def test_budgets_must_be_allowed_to_publish_to_the_topic(policy: dict[str, Any] | None, ok: bool) -> None:
    data = healthy()
    data.topic_policies[TOPIC] = policy
    result = judge_finops(data)
    assert result.passed is ok, result.reason
    if not ok:
        assert f"topic {TOPIC} has a policy that does not let budgets.amazonaws.com publish" in str(result.reason)


@pytest.mark.parametrize(
    "subscriptions",
    [[], [subscription(BILLING_TOPIC, confirmed=False, protocol="email")]],
    ids=["none", "pending-only"],
)
def test_a_billing_alarm_whose_topic_nobody_receives_from_fails(subscriptions: list[dict[str, Any]]) -> None:
    data = healthy()
    data.subscriptions[BILLING_TOPIC] = subscriptions
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert (
        f"billing alarm {ALARM_NAME} notifies nobody: no action topic has a subscription that receives its alert "
        f"(topic {BILLING_TOPIC} has no" in str(result.reason)
    )
    assert result.measured["billing_alarm_actions"] == 0


def test_notification_that_fires_below_a_threshold_does_not_alert_on_cost() -> None:
    below = {**ACTUAL_80, "ComparisonOperator": "LESS_THAN"}
    result = judge_finops(healthy(notifications=[NotificationReadback(below, [SNS])]))
    assert not result.passed and "ACTUAL LESS_THAN 80.0 %: compares LESS_THAN, not GREATER_THAN" in str(result.reason)


def test_one_good_notification_is_enough() -> None:
    absurd = {**ACTUAL_80, "Threshold": 100000.0}
    result = judge_finops(
        healthy(notifications=[NotificationReadback(absurd, [SNS]), NotificationReadback(FORECAST_100, [SNS])])
    )
    assert result.passed and result.measured["budget_notifications_that_can_fire"] == 1
    assert result.details["budget_notifications"][0]["can_fire"] is False  # still in the evidence


# -- billing alarm ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"AlarmActions": []}, "has no alarm action"),
        ({"ActionsEnabled": False}, "has its actions disabled (ActionsEnabled false)"),
        ({"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}, "not AWS/Billing EstimatedCharges"),
        ({"Dimensions": []}, "has dimensions none, not exactly Currency=USD"),
        (
            {"Dimensions": [{"Name": "Currency", "Value": "USD"}, {"Name": "ServiceName", "Value": "AmazonS3"}]},
            "has dimensions Currency=USD, ServiceName=AmazonS3, not exactly Currency=USD",
        ),
        ({"Dimensions": [{"Name": "Currency", "Value": "EUR"}]}, "has dimensions Currency=EUR"),
        ({"Threshold": 500.0}, "threshold 500.0 is above the 20 USD cap"),
        ({"Threshold": None}, "has no threshold (None)"),
        ({"ComparisonOperator": "LessThanThreshold"}, "compares with LessThanThreshold, not GreaterThanThreshold"),
        ({"ComparisonOperator": "LessThanOrEqualToThreshold"}, "compares with LessThanOrEqualToThreshold"),
        ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "compares with GreaterThanUpperThreshold"),
        ({"EvaluationPeriods": 1000}, "evaluates 1000 periods of 21600 s = 6000 h, longer than 24 h"),
        ({"Period": 10}, "period 10 s is outside 60-86400 s"),
        ({"Period": 604800}, "period 604800 s is outside 60-86400 s"),
        ({"Period": None}, "has no usable period (None s x 1 evaluation periods)"),
        (
            {"Period": 3600, "EvaluationPeriods": 6},
            "needs 6 breaching datapoints in a 6 h window, but billing data arrive about every 6 h (at most 1",
        ),
        ({"AlarmActions": [GONE_TOPIC]}, f"has an action on SNS topic {GONE_TOPIC}, which does not exist"),
        ({"AlarmActions": [BILLING_TOPIC, GONE_TOPIC]}, f"SNS topic {GONE_TOPIC}, which does not exist"),
        (
            {"AlarmActions": ["arn:aws:lambda:us-east-1:123456789012:function:f"]},
            "has no action on an SNS topic that exists (actions: arn:aws:lambda:",
        ),
        ({"Statistic": "SampleCount"}, "uses the statistic SampleCount"),
        (  # "to see that it works": in ALARM from its first datapoint, silent when the cap is crossed
            {"Threshold": 0.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold"},
            "breaches at 0 USD (GreaterThanOrEqualToThreshold 0.0; EstimatedCharges is never below 0): it is in "
            "ALARM whatever the spend, so it never changes state when the cap is crossed",
        ),
        ({"Threshold": -1.0}, "breaches at 0 USD (GreaterThanThreshold -1.0; EstimatedCharges is never below 0)"),
        ({"Unit": "Bytes"}, "names the unit Bytes"),
        (
            {"AlarmArn": f"arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:{ALARM_NAME}"},
            "is in eu-west-1, but AWS/Billing metrics exist only in us-east-1",
        ),
    ],
)
def test_broken_billing_alarm_fails(change: dict[str, Any], expected: str) -> None:
    data = healthy(alarm={**ALARM, **change})
    result = judge_finops(data, cap_usd=20)
    assert not result.passed
    assert f"billing alarm {ALARM_NAME} " in str(result.reason) and expected in str(result.reason)
    assert result.details["problems"]["billing_alarm"] and not result.details["problems"]["budget"]


def test_missing_billing_alarm_fails() -> None:
    result = judge_finops(healthy(alarm=None))
    assert f"billing alarm {ALARM_NAME} does not exist in us-east-1" in str(result.reason)


def test_billing_alarm_in_another_region_fails() -> None:
    alarm = {**ALARM, "AlarmArn": ALARM["AlarmArn"].replace("us-east-1", "ap-northeast-1")}
    result = judge_finops(healthy(alarm=alarm, alarm_region="ap-northeast-1", billing_alarms=[]))
    assert not result.passed
    assert f"billing alarm {ALARM_NAME} is in ap-northeast-1, but AWS/Billing metrics exist only in us-east-1" in str(
        result.reason
    )
    not_there = judge_finops(healthy(alarm=None, alarm_region="ap-northeast-1"))
    assert "does not exist in ap-northeast-1 (billing metrics exist only in us-east-1)" in str(not_there.reason)


@pytest.mark.parametrize(
    "change",
    [
        {"ComparisonOperator": "GreaterThanOrEqualToThreshold"},
        {"Period": 21600, "EvaluationPeriods": 4},
        {"Period": 3600, "EvaluationPeriods": 24, "DatapointsToAlarm": 1},
        {"Period": 60},
        {"Threshold": 15.5},
        {"Threshold": 10.0},  # half the cap: the lowest it may be (test_finops_alarm_floor.py)
        {"Unit": "None"},
        {"ExtendedStatistic": "p99", "Statistic": None},
        {"TreatMissingData": "breaching"},
        {"TreatMissingData": "ignore"},
        {"TreatMissingData": "missing"},
        {"ActionsEnabled": None},  # not reported: AWS's default is enabled
    ],
)
def test_alarms_that_can_fire_pass(change: dict[str, Any]) -> None:
    result = judge_finops(healthy(alarm={**ALARM, **change}))
    assert result.passed, result.reason


def test_named_alarm_is_judged_even_when_another_alarm_is_fine() -> None:
    broken = {**ALARM, "ComparisonOperator": "LessThanThreshold"}
    fine = {**ALARM, "AlarmName": "console-billing-alarm", "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:c"}
    result = judge_finops(healthy(alarm=broken, billing_alarms=[broken, fine]))
    assert not result.passed and "compares with LessThanThreshold" in str(result.reason)
    listed = {a["name"]: a["can_fire"] for a in result.details["billing_alarms_in_us_east_1"]}
    assert listed == {ALARM_NAME: False, "console-billing-alarm": True}


def test_other_broken_alarms_do_not_fail_the_check_but_are_listed() -> None:
    stray = {**ALARM, "AlarmName": "stray", "AlarmActions": [GONE_TOPIC]}
    result = judge_finops(healthy(billing_alarms=[ALARM, stray]))
    assert result.passed, result.reason
    listed = result.details["billing_alarms_in_us_east_1"][1]
    assert listed["name"] == "stray" and listed["can_fire"] is False
    assert listed["problems"] == [f"has an action on SNS topic {GONE_TOPIC}, which does not exist"]


def test_every_problem_is_reported_at_once() -> None:
    result = judge_finops(healthy(notifications=[], dashboard_body=None, alarm=None))
    assert str(result.reason).count(";") == 2


# -- dashboard -------------------------------------------------------------------------------------


def test_dashboard_with_two_metrics_fails() -> None:
    body = copy.deepcopy(HEALTHY_BODY)
    body["widgets"] = body["widgets"][:2]
    result = judge_finops(healthy(dashboard_body=json.dumps(body)))
    assert not result.passed
    assert "dashboard lakehouse-lh-1-finops has 2 published metric series" in str(result.reason)
    assert result.measured["dashboard_metric_series"] == 2


def test_the_minimum_comes_from_the_caller() -> None:
    result = judge_finops(healthy(), min_series=5)
    assert not result.passed and "has 4 published metric series" in str(result.reason)
    assert result.threshold["dashboard_metric_series"] == ">= 5"


def test_one_metric_with_three_statistics_is_one_series() -> None:
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    body = {
        "widgets": [
            metric_widget([*row, {"stat": "Maximum"}], [*row, {"stat": "Average"}], ["...", {"stat": "p90"}]),
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 1
    assert any("statistic p90" in r and "same series as widget 0 (metric) row 0" in r for r in counted.not_counted)
    result = judge_finops(healthy(dashboard_body=json.dumps(body)))
    assert (
        "has 1 published metric series (AWS/Billing EstimatedCharges Currency=USD [ap-northeast-1]), fewer than 3"
        in str(result.reason)
    )


def test_missing_dashboard_and_unparsable_body_fail() -> None:
    assert "dashboard lakehouse-lh-1-finops does not exist" in str(judge_finops(healthy(dashboard_body=None)).reason)
    assert "not JSON" in str(judge_finops(healthy(dashboard_body="{widgets:")).reason)


def test_expression_rows_and_other_widgets_do_not_count() -> None:
    body = {
        "widgets": [
            metric_widget(
                ["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage", {"id": "m1"}],
                [{"expression": "m1 / 1024 / 1024", "id": "e1", "label": "MiB"}],
                [{"expression": "SEARCH('{AWS/Athena} ProcessedBytes', 'Sum', 300)", "id": "e2"}],
            ),
            {"type": "alarm", "properties": {"alarms": ["arn:aws:cloudwatch:us-east-1:1:alarm:x"]}},
            {"type": "log", "properties": {"query": "fields @message", "metrics": [["AWS/Logs", "X"]]}},
            {"type": "text", "properties": {"markdown": "hi"}},
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 1
    assert any("expression only (m1 / 1024 / 1024)" in r for r in counted.not_counted)
    assert any("not a metric widget" in r for r in counted.not_counted)


def test_shorthand_rows_count_as_series_resolved_against_the_row_above() -> None:
    body = {
        "widgets": [
            metric_widget(
                ["AWS/EC2", "CPUUtilization", "InstanceId", "i-1"],
                [".", ".", ".", "i-2"],
                ["...", "i-3"],
                ["...", {"stat": "p90"}],  # same metric as above, another statistic: the same series
            )
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 3
    assert counted.series[1] == "AWS/EC2 CPUUtilization InstanceId=i-2 [ap-northeast-1]"
    assert counted.series[2] == "AWS/EC2 CPUUtilization InstanceId=i-3 [ap-northeast-1]"


def test_the_same_series_twice_counts_once_whatever_the_dimension_order() -> None:
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    swapped = ["AWS/S3", "BucketSizeBytes", "StorageType", "StandardStorage", "BucketName", "gold"]
    body = {
        "widgets": [
            metric_widget(row, row),
            metric_widget(row, ["..."], [".", ".", ".", "."]),
            metric_widget(
                ["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage"], swapped
            ),
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 2
    assert sum("same series as" in r for r in counted.not_counted) == 5


def test_other_regions_and_accounts_are_other_series() -> None:
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    body = {"widgets": [metric_widget(row, [*row, {"region": "us-east-1"}], [*row, {"accountId": "210987654321"}])]}
    assert count_metric_series(body).count == 3


def test_a_dimension_without_a_value_names_no_series() -> None:
    counted = count_metric_series({"widgets": [metric_widget(["AWS/EC2", "CPUUtilization", "InstanceId"])]})
    assert counted.count == 0 and counted.not_counted == ["widget 0 (metric) row 0: dimension InstanceId has no value"]


def test_shorthand_without_a_row_above_names_no_metric() -> None:
    counted = count_metric_series({"widgets": [metric_widget(["...", "i-3"], [".", "CPUUtilization"])]})
    assert counted.count == 0 and len(counted.not_counted) == 2


def test_bodies_of_the_wrong_shape_count_nothing() -> None:
    for body in ({}, {"widgets": "x"}, {"widgets": [1, {"type": "metric"}, {"type": "metric", "properties": []}]}):
        assert count_metric_series(body).count == 0


# -- reading ---------------------------------------------------------------------------------------

IDENTITY = {"Account": ACCOUNT, "Arn": f"arn:aws:iam::{ACCOUNT}:user/tester", "UserId": "AIDAEXAMPLEEXAMPLE"}
OUTPUTS = {
    "stack_id": "lh-1",
    "budget_name": BUDGET_NAME,
    "dashboard_name": "lakehouse-lh-1-finops",
    "billing_alarm_name": ALARM_NAME,
    "billing_alarm_region": "us-east-1",
    "alerts_topic_arn": TOPIC,
}


@dataclass(frozen=True)
class StubbedTarget(Target):
    """A target whose clients answer from botocore Stubbers, one per (service, region)."""

    stubs: dict[tuple[str, str], Stubber] = field(default_factory=dict)

    def stub(self, service: str, region: str | None = None) -> Stubber:
        key = (service, region or self.region)
        if key not in self.stubs:
            client = boto3.client(
                service, region_name=key[1], aws_access_key_id="x", aws_secret_access_key="x"
            )  # never sent: the Stubber answers
            self.stubs[key] = Stubber(client)
            self.stubs[key].activate()
        return self.stubs[key]

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        return self.stub(service, region).client


def stubbed_stack(
    sns_error: str | None,
    budget_tags: list[dict[str, str]] | None = None,
    billing_pages: list[dict[str, Any]] | None = None,
    billing_error: str | None = None,
    newest: timedelta | None = timedelta(hours=5),
    stats_error: str | None = None,
) -> StubbedTarget:
    """Every answer of a healthy stack, except GetTopicAttributes on the alarm's topic fails with ``sns_error``
    (and, when given: the budget carries ``budget_tags``; ListMetrics answers the billing alarm's metric with
    ``billing_pages``, each ``{"metrics": [...], "token": asked with, "next": NextToken}``, or fails with
    ``billing_error``; GetMetricStatistics gives one datapoint ``newest`` before now (None: none) or fails with
    ``stats_error``)."""
    billing_pages = [{"metrics": [BILLING_TOTAL]}] if billing_pages is None else billing_pages
    target = StubbedTarget(name="aws", region="ap-northeast-1")
    target.stub("sts").add_response("get_caller_identity", IDENTITY)
    budgets = target.stub("budgets")
    budget = {**BUDGET, "BudgetName": BUDGET_NAME}
    budgets.add_response("describe_budget", {"Budget": budget}, {"AccountId": ACCOUNT, "BudgetName": BUDGET_NAME})
    budgets.add_response("describe_notifications_for_budget", {"Notifications": [ACTUAL_80]})
    budgets.add_response("describe_subscribers_for_notification", {"Subscribers": [SNS]})
    ours = [{"Key": "stack_id", "Value": "lh-1"}]
    budget_arn = f"arn:aws:budgets::{ACCOUNT}:budget/{BUDGET_NAME}"
    tags = ours if budget_tags is None else budget_tags
    budgets.add_response("list_tags_for_resource", {"ResourceTags": tags}, {"ResourceARN": budget_arn})
    target.stub("cloudwatch").add_response(
        "get_dashboard", {"DashboardBody": json.dumps(HEALTHY_BODY)}, {"DashboardName": "lakehouse-lh-1-finops"}
    )
    use1 = target.stub("cloudwatch", "us-east-1")
    use1.add_response("describe_alarms", {"MetricAlarms": [ALARM]}, {"AlarmNames": [ALARM_NAME]})
    use1.add_response("list_tags_for_resource", {"Tags": ours}, {"ResourceARN": ALARM["AlarmArn"]})
    other = {**ALARM, "AlarmName": "cpu", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}
    use1.add_response("describe_alarms", {"MetricAlarms": [ALARM, other]}, {"AlarmTypes": ["MetricAlarm"]})
    asked = {"Namespace": "AWS/Billing", "MetricName": "EstimatedCharges", "Dimensions": BILLING_TOTAL["Dimensions"]}
    if billing_error:
        use1.add_client_error("list_metrics", billing_error, "not authorized to perform: cloudwatch:ListMetrics")
    for page in billing_pages:
        token = {"NextToken": page["token"]} if page.get("token") else {}
        answer = {"Metrics": page["metrics"], **({"NextToken": page["next"]} if page.get("next") else {})}
        use1.add_response("list_metrics", answer, {**asked, **token})
    if stats_error:
        use1.add_client_error("get_metric_statistics", stats_error, "not authorized: cloudwatch:GetMetricStatistics")
    else:
        points = [] if newest is None else [{"Timestamp": datetime.now(UTC) - newest, "Maximum": 0.0, "Unit": "None"}]
        use1.add_response(
            "get_metric_statistics",
            {"Label": "EstimatedCharges", "Datapoints": points},
            {**asked, "StartTime": ANY, "EndTime": ANY, "Period": 3600, "Statistics": ["Maximum"]},
        )
    budgets_may = {"Policy": json.dumps(topic_policy(TOPIC, "budgets.amazonaws.com"))}
    target.stub("sns").add_response("get_topic_attributes", {"Attributes": budgets_may}, {"TopicArn": TOPIC})
    target.stub("sns").add_response(
        "list_subscriptions_by_topic", {"Subscriptions": [subscription(TOPIC)]}, {"TopicArn": TOPIC}
    )
    target.stub("sns").add_response("get_subscription_attributes", {"Attributes": {}}, {"SubscriptionArn": ANY})
    sqs = target.stub("sqs")
    url = "https://sqs.ap-northeast-1.amazonaws.com/123456789012/lakehouse-lh-1-alerts-inbox"
    sqs.add_response(
        "get_queue_url", {"QueueUrl": url}, {"QueueName": INBOX.rsplit(":", 1)[1], "QueueOwnerAWSAccountId": ACCOUNT}
    )
    attributes = inbox().attributes
    sqs.add_response("get_queue_attributes", {"Attributes": attributes}, {"QueueUrl": url, "AttributeNames": ["All"]})
    if sns_error is None:
        use1_sns = target.stub("sns", "us-east-1")
        cloudwatch_may = {"Policy": json.dumps(topic_policy(BILLING_TOPIC, "cloudwatch.amazonaws.com"))}
        use1_sns.add_response("get_topic_attributes", {"Attributes": cloudwatch_may}, {"TopicArn": ANY})
        use1_sns.add_response(
            "list_subscriptions_by_topic", {"Subscriptions": [subscription(BILLING_TOPIC)]}, {"TopicArn": ANY}
        )
        use1_sns.add_response("get_subscription_attributes", {"Attributes": {}}, {"SubscriptionArn": ANY})
    else:
        target.stub("sns", "us-east-1").add_client_error("get_topic_attributes", sns_error, "topic says no")
    for key in count_metric_series(HEALTHY_BODY).keys:  # ListMetrics knows every series, in its own region
        metric = {"Namespace": key.namespace, "MetricName": key.metric}
        dimensions = [{"Name": k, "Value": v} for k, v in key.dimensions]
        target.stub("cloudwatch", key.region).add_response(
            "list_metrics", {"Metrics": [{**metric, "Dimensions": dimensions}]}, {**metric, "Dimensions": dimensions}
        )
    return target


def test_reader_reads_every_billing_alarm_and_each_topic_in_its_region() -> None:
    result = check_finops(stubbed_stack(None), OUTPUTS)
    assert result.passed, result.reason
    assert [a["name"] for a in result.details["billing_alarms_in_us_east_1"]] == [ALARM_NAME]
    assert result.details["sns_topics_exist"] == {BILLING_TOPIC: True, TOPIC: True}


@pytest.mark.parametrize(
    ("tags", "carried"),
    [([{"Key": "stack_id", "Value": "lh-9"}], "its stack_id tag is 'lh-9'"), ([], "it has no stack_id tag")],
    ids=["another-stacks", "untagged"],
)
def test_a_budget_the_outputs_name_but_the_stack_did_not_make_fails(tags: list[dict[str, str]], carried: str) -> None:
    """A root without a budget whose output names the account's (or another stack's): judged as not the stack's."""
    result = check_finops(stubbed_stack(None, tags), OUTPUTS)
    assert result.status is Status.FAILED
    assert result.details["problems"]["budget"] == [
        f"budget {BUDGET_NAME} is not stack lh-1's: {carried} (the outputs name it, the stack did not make it)"
    ]
    judged_as = check_finops(stubbed_stack(None, tags), OUTPUTS, stack_id="lh-9")  # the harness's stack id wins
    assert (judged_as.details["problems"]["budget"] == []) is (carried == "its stack_id tag is 'lh-9'")


def test_a_dashboard_not_named_like_the_stack_is_not_its_own() -> None:
    """Dashboards take no tags: the root names them ``lakehouse-<stack>-...``; one the outputs name otherwise is not."""
    ours = {"stack_id": "lh-1"}
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_name="team-finops")
    assert judge_finops(data).details["problems"]["dashboard"] == [
        "dashboard team-finops is not stack lh-1's: dashboards take no tags, and its name does not start with the "
        "stack's prefix lakehouse-lh-1- (the outputs name it, the stack did not make it)"
    ]
    data.dashboard_name = "lakehouse-lh-10-finops"  # another stack whose id starts like ours
    assert judge_finops(data).status is Status.FAILED
    data.dashboard_name = "lakehouse-lh-1-finops"
    assert judge_finops(data).passed
    acme = {"stack_id": "lh-1", "project": "acme"}  # a root deployed with project = "acme": its names say acme
    body = json.dumps(HEALTHY_BODY).replace(WG, "acme-lh-1")
    data = healthy(stack_id="lh-1", budget_tags=acme, alarm_tags=ours, dashboard_body=body)
    assert judge_finops(data).status is Status.FAILED
    data.dashboard_name = "acme-lh-1-finops"
    assert judge_finops(data).passed


def test_a_billing_alarm_of_another_stack_counts_no_action() -> None:
    data = healthy(stack_id="lh-1", budget_tags={"stack_id": "lh-1"}, alarm_tags={"stack_id": "lh-2"})
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert result.measured["billing_alarm_actions"] == 0
    assert result.details["problems"]["billing_alarm"] == [
        f"billing alarm {ALARM_NAME} is not stack lh-1's: its stack_id tag is 'lh-2' (the outputs name it, "
        "the stack did not make it)"
    ]
    data.alarm_tags = {"stack_id": "lh-1", "Name": "billing"}
    assert judge_finops(data).passed


def test_reader_sees_a_deleted_alarm_topic() -> None:
    result = check_finops(stubbed_stack("NotFound"), OUTPUTS)
    assert not result.passed
    assert f"billing alarm {ALARM_NAME} has an action on SNS topic {BILLING_TOPIC}, which does not exist" in str(
        result.reason
    )


def test_a_read_that_fails_is_an_error_naming_it() -> None:
    result = check_finops(stubbed_stack("AuthorizationError"), OUTPUTS)
    assert result.status is Status.ERROR
    assert f"could not read SNS topic {BILLING_TOPIC} (GetTopicAttributes)" in str(result.reason)
    assert "AuthorizationError" in str(result.reason)

    target = StubbedTarget(name="aws", region="ap-northeast-1")
    target.stub("sts").add_response("get_caller_identity", IDENTITY)
    target.stub("budgets").add_client_error("describe_budget", "AccessDeniedException", "no")
    denied = check_finops(target, OUTPUTS)
    assert denied.status is Status.ERROR
    assert f"could not read budget {BUDGET_NAME} (Budgets DescribeBudget)" in str(denied.reason)


def test_reader_needs_the_stack_outputs_that_name_the_resources() -> None:
    with pytest.raises(FinopsReadError, match="lack budget_name, dashboard_name"):
        read_finops(local_target("http://127.0.0.1:9"), {"billing_alarm_name": "a"})
    result = check_finops(local_target("http://127.0.0.1:9"), {"billing_alarm_name": "a"})
    assert result.status is Status.ERROR and result.details["problems"] == {
        "budget": [],
        "dashboard": [],
        "billing_alarm": [],
    }


def test_series_of_another_stacks_resources_do_not_count() -> None:
    """A root copied from another stack draws that stack's workgroup and pipeline: published, but not ours."""
    other = "lakehouse-lh-10"  # another stack whose id starts like ours
    body = {
        "widgets": [
            metric_widget(
                ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", other],
                ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", other],
                ["Lakehouse/Pipeline", "Failures", "StackId", "lh-10"],
            ),
            metric_widget(["AWS/Billing", "EstimatedCharges", "Currency", "USD"], region="us-east-1"),
        ]
    }
    ours = {"stack_id": "lh-1"}
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_body=json.dumps(body))
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 1
    (problem,) = result.details["problems"]["dashboard"]
    assert "has 1 published metric series" in problem
    assert f"another stack's (WorkGroup={other})" in problem and "another stack's (StackId=lh-10)" in problem
    assert judge_finops(healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours)).passed


def test_a_stack_whose_id_extends_ours_with_a_hyphen_is_not_ours() -> None:
    """``lakehouse-lh-1-`` starts stack ``lh-1-x``'s names too: only the names the outputs give are ours."""
    other = "lakehouse-lh-1-x-analyst"  # stack lh-1-x's analyst workgroup, under our name prefix
    body = {
        "widgets": [
            metric_widget(
                ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", other],
                ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", other],
            ),
            metric_widget(["AWS/Billing", "EstimatedCharges", "Currency", "USD"], region="us-east-1"),
        ]
    }
    ours = {"stack_id": "lh-1"}
    named = frozenset({"lakehouse-lh-1", "lakehouse-lh-1-analyst"})
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_body=json.dumps(body))
    assert judge_finops(replace(data, own_names=None)).measured["dashboard_metric_series"] == 3  # by prefix: ours
    result = judge_finops(replace(data, own_names=named))
    assert result.status is Status.FAILED and result.measured["dashboard_metric_series"] == 1
    assert f"another stack's (WorkGroup={other})" in result.details["problems"]["dashboard"][0]
    analyst = json.dumps(body).replace(other, "lakehouse-lh-1-analyst")  # our own analyst workgroup: counts
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_body=analyst)
    assert judge_finops(replace(data, own_names=named)).passed


def test_hidden_metric_rows_do_not_count() -> None:
    """``visible: false`` hides a row from the graph (it only feeds math): a dashboard of hidden rows shows nothing."""
    wg = ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]
    body = {
        "widgets": [
            metric_widget(
                [*wg, {"id": "m1", "visible": False}],
                ["AWS/S3", "BucketSizeBytes", "BucketName", "gold", {"visible": False}],
                ["AWS/Billing", "EstimatedCharges", "Currency", "USD", {"visible": False}],
                [{"expression": "m1 * 2", "id": "e1"}],
                [*wg, {"stat": "Sum"}],  # the same series shown after all: it counts
            )
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 1
    assert sum("hidden (visible: false)" in r for r in counted.not_counted) == 3
    result = judge_finops(healthy(dashboard_body=json.dumps(body)))
    assert not result.passed and "has 1 published metric series" in str(result.reason)


def test_a_row_naming_the_own_account_is_the_same_series_as_one_naming_none() -> None:
    """``accountId`` omitted means the dashboard's own account: naming it explicitly draws the same series again."""
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    body = {
        "widgets": [
            metric_widget(row, [*row, {"accountId": ACCOUNT}], region="us-east-1"),
            metric_widget(["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage"]),
        ]
    }
    result = judge_finops(healthy(dashboard_body=json.dumps(body)))
    assert result.measured["dashboard_metric_series"] == 2
    assert not result.passed and "has 2 published metric series" in str(result.reason)
    assert any(f"account {ACCOUNT}" in r and "same series as" in r for r in result.details["metric_rows_not_counted"])


def test_a_row_naming_no_region_is_the_same_series_as_one_naming_the_region_it_is_read_in() -> None:
    """A widget without ``region`` is read (ListMetrics) in the target's region: naming it draws the same series.

    The broken dashboard: two series, one of them drawn twice, counted as three.
    """
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    s3 = ["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage"]
    body = {
        "widgets": [
            {"type": "metric", "properties": {"metrics": [row]}},
            metric_widget(row, region="us-east-1"),
            metric_widget(s3, region="us-east-1"),
        ]
    }
    result = judge_finops(healthy(dashboard_body=json.dumps(body), default_region="us-east-1"))
    assert result.measured["dashboard_metric_series"] == 2
    assert not result.passed and "has 2 published metric series" in str(result.reason)
    assert any(
        "USD [us-east-1]: same series as AWS/Billing EstimatedCharges Currency=USD [no region]" in r
        and "no region the one it is read in, us-east-1" in r
        for r in result.details["metric_rows_not_counted"]
    ), result.details["metric_rows_not_counted"]
    # read in another region, the row naming none is another series
    assert judge_finops(healthy(dashboard_body=json.dumps(body), default_region="eu-west-1")).passed


def test_published_series_watching_nothing_of_the_stack_do_not_count() -> None:
    """Broken dashboard: three live tiles on things of no stack (the account's log bucket, every Lambda function
    of the account, an ops topic) and the billing total; ListMetrics lists each, none names a stack resource."""
    body = {
        "widgets": [
            metric_widget(
                ["AWS/S3", "BucketSizeBytes", "BucketName", "company-logs", "StorageType", "StandardStorage"],
                ["AWS/Lambda", "Invocations"],
                ["AWS/SNS", "NumberOfMessagesPublished", "TopicName", "ops-pager"],
            ),
            metric_widget(["AWS/Billing", "EstimatedCharges", "Currency", "USD"], region="us-east-1"),
        ]
    }
    ours = {"stack_id": "lh-1"}
    named = frozenset({WG, "lakehouse-lh-1-gold-7f3a", TOPIC})
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_body=json.dumps(body), own_names=named)
    assert judge_finops(replace(data, stack_id=None)).passed  # ownership not judged: 4 published series
    result = judge_finops(data)
    assert result.status is Status.FAILED and result.measured["dashboard_metric_series"] == 1
    (problem,) = result.details["problems"]["dashboard"]
    assert "has 1 published metric series (AWS/Billing EstimatedCharges Currency=USD [us-east-1])" in problem
    for label in ("BucketName=company-logs", "AWS/Lambda Invocations [", "TopicName=ops-pager"):
        assert f"{label}" in problem
    assert problem.count("watches nothing of stack lh-1 (no dimension names one of its resources)") == 3
    # The same tiles on the stack's own bucket and alerts topic (a name inside an output's ARN) count.
    own = (
        json.dumps(body).replace("company-logs", "lakehouse-lh-1-gold-7f3a").replace("ops-pager", TOPIC.split(":")[-1])
    )
    data = healthy(stack_id="lh-1", budget_tags=ours, alarm_tags=ours, dashboard_body=own, own_names=named)
    result = judge_finops(data)
    assert result.passed and result.measured["dashboard_metric_series"] == 3
    assert any(
        "AWS/Lambda Invocations" in n and "watches nothing" in n for n in result.details["metric_rows_not_counted"]
    )
