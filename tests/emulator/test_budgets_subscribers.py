"""Budgets notification and subscriber updates (UpdateNotification, Create/Update/DeleteSubscriber).

Terraform's ``aws_budgets_budget`` calls them when a notification's threshold or its subscribers
change in place; moto 5.2.5 answered each with an HTML 500 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.emulator.test_budgets_ext import ACCOUNT_ID, EMAIL, FORECAST_80, SNS, new_budget

OTHER = {"SubscriptionType": "EMAIL", "Address": "cfo@example.com"}


@pytest.fixture
def budgets(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("budgets")


def _subscribers(budgets: Any, name: str, notification: dict[str, Any]) -> list[dict[str, str]]:
    answer = budgets.describe_subscribers_for_notification(
        AccountId=ACCOUNT_ID, BudgetName=name, Notification=notification
    )
    return list(answer["Subscribers"])


def test_update_notification_keeps_its_subscribers(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL]}])
    new = {**FORECAST_80, "Threshold": 90.0}
    budgets.update_notification(AccountId=ACCOUNT_ID, BudgetName=name, OldNotification=FORECAST_80, NewNotification=new)
    notifications = budgets.describe_notifications_for_budget(AccountId=ACCOUNT_ID, BudgetName=name)["Notifications"]
    assert [n["Threshold"] for n in notifications] == [90.0]
    assert _subscribers(budgets, name, new) == [EMAIL]


def test_subscribers_are_created_updated_and_deleted(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL]}])
    budgets.create_subscriber(AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80, Subscriber=SNS)
    assert _subscribers(budgets, name, FORECAST_80) == [EMAIL, SNS]
    budgets.update_subscriber(
        AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80, OldSubscriber=EMAIL, NewSubscriber=OTHER
    )
    assert _subscribers(budgets, name, FORECAST_80) == [OTHER, SNS]
    budgets.delete_subscriber(AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80, Subscriber=SNS)
    assert _subscribers(budgets, name, FORECAST_80) == [OTHER]


def test_subscriber_errors_are_awss(budgets: Any) -> None:
    name = new_budget(budgets, NotificationsWithSubscribers=[{"Notification": FORECAST_80, "Subscribers": [EMAIL]}])
    with pytest.raises(ClientError) as duplicate:
        budgets.create_subscriber(AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80, Subscriber=EMAIL)
    assert duplicate.value.response["Error"]["Code"] == "DuplicateRecordException"
    with pytest.raises(ClientError) as missing:
        budgets.update_subscriber(
            AccountId=ACCOUNT_ID, BudgetName=name, Notification=FORECAST_80, OldSubscriber=SNS, NewSubscriber=OTHER
        )
    assert missing.value.response["Error"]["Code"] == "NotFoundException"
