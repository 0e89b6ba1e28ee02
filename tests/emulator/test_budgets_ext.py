"""Budgets operations the emulator adds to moto (lakehouse.emulator.extensions.budgets).

Each test replays what Terraform's ``aws_budgets_budget`` does against AWS and
asserts on botocore's parsed answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"  # moto's default account, which the emulator's STS reports
EMAIL = {"SubscriptionType": "EMAIL", "Address": "finops@example.com"}
SNS = {"SubscriptionType": "SNS", "Address": "arn:aws:sns:ap-northeast-1:123456789012:alerts"}
FORECAST_80 = {
    "NotificationType": "FORECASTED",
    "ComparisonOperator": "GREATER_THAN",
    "Threshold": 80.0,
    "ThresholdType": "PERCENTAGE",
}
ACTUAL_100 = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 100.0}


@pytest.fixture
def budgets(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("budgets")


def new_budget(budgets: Any, *, tags: list[dict[str, str]] | None = None, **extra: Any) -> str:
    """Create a monthly 20 USD cost budget with a unique name, as our Terraform does."""
    name = f"lakehouse-{uuid.uuid4().hex[:8]}"
    budget = {
        "BudgetName": name,
        "BudgetType": "COST",
        "BudgetLimit": {"Amount": "20", "Unit": "USD"},
        "TimeUnit": "MONTHLY",
    }
    kwargs: dict[str, Any] = {"AccountId": ACCOUNT_ID, "Budget": budget, **extra}
    if tags:
        kwargs["ResourceTags"] = tags
    budgets.create_budget(**kwargs)
    return name


def arn_of(name: str) -> str:
    return f"arn:aws:budgets::{ACCOUNT_ID}:budget/{name}"


def error_code(info: pytest.ExceptionInfo[ClientError]) -> str:
    return str(info.value.response["Error"]["Code"])


def test_subscribers_stored_by_create_budget_are_described(budgets: Any) -> None:
    name = new_budget(
        budgets,
        NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL, SNS]}],
    )

    out = budgets.describe_subscribers_for_notification(AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80)

    assert out["Subscribers"] == [EMAIL, SNS]


def test_notification_is_matched_like_aws_missing_threshold_type_means_percentage(budgets: Any) -> None:
    name = new_budget(budgets)
    budgets.create_notification(AccountId=ACCOUNT_ID, BudgetName=name, Notification=ACTUAL_100, Subscribers=[SNS])
    # Terraform sends back what DescribeNotificationsForBudget gave it, with ThresholdType filled in.
    (described,) = budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Notifications"]
    asked = {**described, "ThresholdType": "PERCENTAGE"}

    out = budgets.describe_subscribers_for_notification(AccountId=ACCOUNT_ID, BudgetName=name, Notification=asked)

    assert out["Subscribers"] == [SNS]


def test_describe_subscribers_of_unknown_budget_or_notification_is_not_found(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL]}])
    other = {**FORECAST_80, "Threshold": 90.0}

    with pytest.raises(ClientError) as unknown_budget:
        budgets.describe_subscribers_for_notification(
            AccountId=ACCOUNT_ID, BudgetName=f"{name}-gone", Notification=FORECAST_80
        )
    with pytest.raises(ClientError) as unknown_notification:
        budgets.describe_subscribers_for_notification(AccountId=ACCOUNT_ID, BudgetName=name, Notification=other)

    assert error_code(unknown_budget) == "NotFoundException"
    assert error_code(unknown_notification) == "NotFoundException"


def test_describe_notifications_of_unknown_budget_is_not_found(budgets: Any) -> None:
    with pytest.raises(ClientError) as info:
        budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName="no-such-budget")

    assert error_code(info) == "NotFoundException"


def test_update_budget_replaces_the_limit_and_keeps_notifications(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL]}])
    before = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Budget"]

    budgets.update_budget(
        AccountId=ACCOUNT_ID,
        NewBudget={
            "BudgetName": name,
            "BudgetType": "COST",
            "BudgetLimit": {"Amount": "15", "Unit": "USD"},
            "TimeUnit": "MONTHLY",
        },
    )

    after = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Budget"]
    assert after["BudgetLimit"] == {"Amount": "15", "Unit": "USD"}
    assert after["TimePeriod"] == before["TimePeriod"]
    notifications = budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName=name)
    assert notifications["Notifications"] == [FORECAST_80]
    subscribers = budgets.describe_subscribers_for_notification(
        AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80
    )
    assert subscribers["Subscribers"] == [EMAIL]


def test_update_of_unknown_budget_is_not_found_and_a_missing_limit_is_rejected(budgets: Any) -> None:
    name = new_budget(budgets)
    no_limit = {"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY"}

    with pytest.raises(ClientError) as unknown:
        budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget={**no_limit, "BudgetName": f"{name}-gone"})
    with pytest.raises(ClientError) as invalid:
        budgets.update_budget(AccountId=ACCOUNT_ID, NewBudget=no_limit)

    assert error_code(unknown) == "NotFoundException"
    assert error_code(invalid) == "InvalidParameterException"
    still = budgets.describe_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Budget"]
    assert still["BudgetLimit"] == {"Amount": "20", "Unit": "USD"}


def test_delete_notification_matches_like_aws_and_reports_unknown_ones(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": ACTUAL_100, "Subscribers": [EMAIL]}])

    budgets.delete_notification(
        AccountId=ACCOUNT_ID, BudgetName=name, Notification={**ACTUAL_100, "ThresholdType": "PERCENTAGE"}
    )
    with pytest.raises(ClientError) as again:
        budgets.delete_notification(AccountId=ACCOUNT_ID, BudgetName=name, Notification=ACTUAL_100)

    assert budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Notifications"] == []
    assert error_code(again) == "NotFoundException"


def test_resource_tags_round_trip(budgets: Any) -> None:
    name = new_budget(budgets, tags=[{"Key": "project", "Value": "lakehouse"}])
    arn = arn_of(name)

    budgets.tag_resource(ResourceARN=arn, ResourceTags=[{"Key": "owner", "Value": "data"}])
    budgets.untag_resource(ResourceARN=arn, ResourceTagKeys=["project"])

    assert budgets.list_tags_for_resource(ResourceARN=arn)["ResourceTags"] == [{"Key": "owner", "Value": "data"}]


def test_tags_of_an_unknown_or_deleted_budget_are_not_found(budgets: Any) -> None:
    name = new_budget(budgets, tags=[{"Key": "project", "Value": "lakehouse"}])
    budgets.delete_budget(AccountId=ACCOUNT_ID, BudgetName=name)

    with pytest.raises(ClientError) as deleted:
        budgets.list_tags_for_resource(ResourceARN=arn_of(name))
    with pytest.raises(ClientError) as not_a_budget:
        budgets.tag_resource(
            ResourceARN="arn:aws:sns:ap-northeast-1:123456789012:alerts",
            ResourceTags=[{"Key": "k", "Value": "v"}],
        )

    assert error_code(deleted) == "NotFoundException"
    assert error_code(not_a_budget) == "NotFoundException"


def test_install_twice_changes_nothing() -> None:
    from moto.budgets.responses import BudgetsResponse

    from lakehouse.emulator.extensions import budgets as extension

    extension.install()
    patched = vars(BudgetsResponse)["describe_subscribers_for_notification"]
    extension.install()

    assert vars(BudgetsResponse)["describe_subscribers_for_notification"] is patched
