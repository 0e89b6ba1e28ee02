"""Exit check 7's judge and its metric counting, fed healthy and broken read-backs."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lakehouse.checks.finops import (
    FinopsReadback,
    FinopsReadError,
    NotificationReadback,
    count_metric_series,
    judge_finops,
    read_finops,
)
from lakehouse.target import local_target

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:lakehouse-lh-1-alerts"
WG = "lakehouse-lh-1"


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


def healthy(**changes: Any) -> FinopsReadback:
    data = FinopsReadback(
        account_id="123456789012",
        budget_name="lakehouse-lh-1-monthly-cost",
        budget={"BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "20.0", "Unit": "USD"}},
        notifications=[NotificationReadback(ACTUAL_80, [SNS]), NotificationReadback(FORECAST_100, [SNS])],
        dashboard_name="lakehouse-lh-1-finops",
        dashboard_body=json.dumps(HEALTHY_BODY),
        alarm_name="lakehouse-lh-1-estimated-charges",
        alarm_region="us-east-1",
        alarm={
            "Namespace": "AWS/Billing",
            "MetricName": "EstimatedCharges",
            "Dimensions": [{"Name": "Currency", "Value": "USD"}],
            "Threshold": 20.0,
            "ActionsEnabled": True,
            "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:lakehouse-lh-1-billing-alerts"],
        },
        alerts_topic_arn=TOPIC,
    )
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_healthy_guards_pass_with_the_evidence_the_issue_asks_for() -> None:
    result = judge_finops(healthy(), cap_usd=20)
    assert result.passed, result.reason
    assert result.measured == {
        "budget_limit_usd": "20.0",
        "budget_notifications_to_alerts_topic": 2,
        "dashboard_metric_series": 4,
        "billing_alarm_actions": 1,
    }
    details = result.details
    assert details["budget"]["BudgetLimit"]["Amount"] == "20.0"
    assert details["budget_notifications"][0]["subscribers"] == [SNS]
    assert details["dashboard_body"] == HEALTHY_BODY  # parsed, not a string
    assert len(details["metric_series"]) == 4
    assert "Expression-only rows" in details["metric_counting_rule"]
    assert details["billing_alarm"]["MetricName"] == "EstimatedCharges"


def test_budget_limit_above_the_cap_fails() -> None:
    budget = {"BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "20.01", "Unit": "USD"}}
    result = judge_finops(healthy(budget=budget), cap_usd=20)
    assert not result.passed
    assert "limit 20.01 USD is above the 20 USD monthly cap" in str(result.reason)
    assert result.details["problems"]["budget"] and not result.details["problems"]["dashboard"]


def test_limit_is_compared_as_a_number_not_as_text() -> None:
    # "9.5" > "20" as strings; as amounts it is well within the cap.
    budget = {"BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "9.5", "Unit": "USD"}}
    assert judge_finops(healthy(budget=budget), cap_usd=20).passed


def test_missing_budget_fails() -> None:
    result = judge_finops(healthy(budget=None, notifications=[]))
    assert not result.passed and "budget lakehouse-lh-1-monthly-cost does not exist" in str(result.reason)


def test_usage_budget_is_not_a_cost_guard() -> None:
    budget = {"BudgetType": "USAGE", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": "20", "Unit": "USD"}}
    result = judge_finops(healthy(budget=budget))
    assert not result.passed and "not a MONTHLY COST budget" in str(result.reason)


def test_budget_without_notifications_fails() -> None:
    result = judge_finops(healthy(notifications=[]))
    assert not result.passed
    assert "has no notifications, so it alerts nobody" in str(result.reason)
    assert result.measured["budget_notifications_to_alerts_topic"] == 0


def test_notification_without_subscriber_fails() -> None:
    # AWS cannot hold this state (deleting a notification's last subscriber deletes the
    # notification), so it is tested here on the judge alone.
    result = judge_finops(healthy(notifications=[NotificationReadback(ACTUAL_80, [])]))
    assert not result.passed
    assert "ACTUAL GREATER_THAN 80.0: no subscriber" in str(result.reason)


def test_notification_to_someone_else_fails() -> None:
    other_topic = {"SubscriptionType": "SNS", "Address": TOPIC.replace("alerts", "other")}
    result = judge_finops(healthy(notifications=[NotificationReadback(ACTUAL_80, [EMAIL, other_topic])]))
    assert not result.passed
    assert f"SNS subscriber on the alerts topic {TOPIC}" in str(result.reason)
    assert "EMAIL finops@example.com" in str(result.reason)


def test_notification_that_fires_below_a_threshold_does_not_alert_on_cost() -> None:
    below = {**ACTUAL_80, "ComparisonOperator": "LESS_THAN"}
    assert not judge_finops(healthy(notifications=[NotificationReadback(below, [SNS])])).passed


def test_one_good_notification_is_enough() -> None:
    result = judge_finops(
        healthy(notifications=[NotificationReadback(ACTUAL_80, [EMAIL]), NotificationReadback(FORECAST_100, [SNS])])
    )
    assert result.passed and result.measured["budget_notifications_to_alerts_topic"] == 1


def test_dashboard_with_two_metrics_fails() -> None:
    body = copy.deepcopy(HEALTHY_BODY)
    body["widgets"] = body["widgets"][:2]
    result = judge_finops(healthy(dashboard_body=json.dumps(body)))
    assert not result.passed
    assert "has 2 metric series, fewer than 3" in str(result.reason)
    assert result.measured["dashboard_metric_series"] == 2


def test_missing_dashboard_and_unparsable_body_fail() -> None:
    assert "dashboard lakehouse-lh-1-finops does not exist" in str(judge_finops(healthy(dashboard_body=None)).reason)
    assert "not JSON" in str(judge_finops(healthy(dashboard_body="{widgets:")).reason)


@pytest.mark.parametrize(
    ("alarm", "expected"),
    [
        (None, "does not exist in us-east-1"),
        ({"AlarmActions": []}, "has no alarm action"),
        ({"ActionsEnabled": False}, "has its actions disabled"),
        ({"Namespace": "AWS/EC2", "MetricName": "CPUUtilization"}, "not AWS/Billing EstimatedCharges"),
        ({"Dimensions": []}, "no Currency=USD dimension"),
        ({"Threshold": 500.0}, "threshold 500.0 is above the 20 USD cap"),
    ],
)
def test_broken_billing_alarm_fails(alarm: dict[str, Any] | None, expected: str) -> None:
    data = healthy()
    data.alarm = None if alarm is None else {**(data.alarm or {}), **alarm}
    result = judge_finops(data, cap_usd=20)
    assert not result.passed and expected in str(result.reason)
    assert result.details["problems"]["billing_alarm"] and not result.details["problems"]["budget"]


def test_every_problem_is_reported_at_once() -> None:
    result = judge_finops(healthy(notifications=[], dashboard_body=None, alarm=None))
    assert str(result.reason).count(";") == 2


# -- counting ----------------------------------------------------------------------------------------


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
                ["...", {"stat": "p90"}],  # same metric as above, another statistic: another series
            )
        ]
    }
    counted = count_metric_series(body)
    assert counted.count == 4
    assert counted.series[1] == "AWS/EC2 CPUUtilization InstanceId=i-2 [Average ap-northeast-1]"
    assert counted.series[2] == "AWS/EC2 CPUUtilization InstanceId=i-3 [Average ap-northeast-1]"
    assert counted.series[3] == "AWS/EC2 CPUUtilization InstanceId=i-3 [p90 ap-northeast-1]"


def test_the_same_series_twice_counts_once() -> None:
    row = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]
    body = {"widgets": [metric_widget(row, row), metric_widget(row, ["..."], [".", ".", ".", "."])]}
    counted = count_metric_series(body)
    assert counted.count == 1
    assert sum("same series as an earlier row" in r for r in counted.not_counted) == 4


def test_shorthand_without_a_row_above_names_no_metric() -> None:
    counted = count_metric_series({"widgets": [metric_widget(["...", "i-3"], [".", "CPUUtilization"])]})
    assert counted.count == 0 and len(counted.not_counted) == 2


def test_bodies_of_the_wrong_shape_count_nothing() -> None:
    for body in ({}, {"widgets": "x"}, {"widgets": [1, {"type": "metric"}, {"type": "metric", "properties": []}]}):
        assert count_metric_series(body).count == 0


def test_reader_needs_the_stack_outputs_that_name_the_resources() -> None:
    with pytest.raises(FinopsReadError, match="lack budget_name, dashboard_name"):
        read_finops(local_target("http://127.0.0.1:9"), {"billing_alarm_name": "a", "alerts_topic_arn": TOPIC})
