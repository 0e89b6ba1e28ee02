"""AWS Budgets operations that moto 5.2.5 lacks and ``aws_budgets_budget`` needs.

Terraform's AWS provider (5.100) reads a budget back with DescribeBudget,
DescribeNotificationsForBudget, DescribeSubscribersForNotification (per
notification) and ListTagsForResource; it updates with UpdateBudget,
DeleteNotification/CreateNotification and TagResource/UntagResource. Against
moto 5.2.5 (the version this module was written against):

- DescribeSubscribersForNotification, UpdateBudget, ListTagsForResource,
  TagResource and UntagResource are not implemented (500; the provider
  retries them for minutes);
- CreateBudget ignores ``ResourceTags``;
- DescribeNotificationsForBudget on an unknown budget answers 500 instead of
  NotFoundException;
- DeleteNotification compares notifications as whole dicts, so it silently
  keeps a notification the request names without ``ThresholdType`` (AWS
  treats a missing ThresholdType as PERCENTAGE) and never reports an unknown
  notification.

- UpdateNotification, CreateSubscriber, UpdateSubscriber and DeleteSubscriber
  are not implemented (an HTML 500 page); the provider calls them when a
  notification's threshold or subscribers change in place.
- CreateBudget fills a missing ``TimePeriod`` but keeps one without ``Start``
  (the provider sends only ``End`` when ``time_period_start`` is unset). AWS
  sets a missing Start to the start of the chosen period (today for DAILY, the
  first of the month, quarter or year) and a missing End to 2087-06-15, as its
  ``TimePeriod`` documentation says; so does the emulator (:func:`with_period`).

- DescribeBudget and DescribeBudgets answer a ForecastedSpend of 0 USD for every budget. AWS forecasts a budget
  only after about five weeks of the account's usage data and shows no ForecastedSpend before (nor sends a
  FORECASTED notification); the emulator is a new account, so it shows ActualSpend only (:func:`as_aws_shows`).
  Exit check 7 counts a FORECASTED notification only once the forecast shows.

- DescribeBudgetActionsForBudget is not implemented (500); exit check 5 reads the actions of the stack's
  budget. CreateBudgetAction is not emulated either, so no budget has an action: the answer is an empty
  ``Actions`` list for a budget that exists, NotFoundException for one that does not.
- DescribeBudgetActionsForAccount is not implemented either (500); exit check 5 reads every action of the
  account, on any budget, for those acting on a stack role or policy. With no action emulated, AWS's answer
  for an account without actions: an empty ``Actions`` list (the API's output shape, no ``NextToken``).

Shape: the extension classes below subclass moto's classes for typing only;
``install()`` copies their methods onto moto's ``BudgetsBackend`` (state and
logic) and ``BudgetsResponse`` (wire format), so moto dispatches the new
actions like its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from moto.budgets.exceptions import DuplicateRecordException, NotFoundException
from moto.budgets.models import Budget, BudgetsBackend, Notification
from moto.budgets.responses import BudgetsResponse

from lakehouse.emulator.extensions._graft import graft

# AWS reads a notification without ThresholdType as a percentage threshold.
_DEFAULT_THRESHOLD_TYPE = "PERCENTAGE"
_INSTALLED_MARK = "_lakehouse_budgets_extension"
#: Where AWS ends a budget that was given no end date (2087-06-15T00:00:00Z).
DEFAULT_END = 3706473600


def period_start(time_unit: str | None, now: datetime) -> datetime:
    """The start of the current period of a budget's TimeUnit (UTC), AWS's default Start."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if time_unit == "DAILY":
        return day
    if time_unit == "QUARTERLY":
        return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
    if time_unit == "ANNUALLY":
        return day.replace(month=1, day=1)
    return day.replace(day=1)  # MONTHLY (and anything else)


def with_period(budget: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    """The budget with AWS's defaults for a missing TimePeriod Start/End (on update: the current ones)."""
    period = dict(budget.get("TimePeriod") or (current or {}).get("TimePeriod") or {})
    kept = (current or {}).get("TimePeriod") or {}
    if period.get("Start") is None:
        start = kept.get("Start")
        period["Start"] = (
            start if start is not None else period_start(budget.get("TimeUnit"), datetime.now(UTC)).timestamp()
        )
    if period.get("End") is None:
        period["End"] = kept.get("End", DEFAULT_END)
    return {**budget, "TimePeriod": period}


def as_aws_shows(budget: dict[str, Any]) -> dict[str, Any]:
    """A budget as DescribeBudget shows it in a new account: CalculatedSpend without ForecastedSpend."""
    calculated = {k: v for k, v in (budget.get("CalculatedSpend") or {}).items() if k != "ForecastedSpend"}
    calculated.setdefault("ActualSpend", {"Amount": "0", "Unit": "USD"})
    return {**budget, "CalculatedSpend": calculated}


def notification_key(details: dict[str, Any]) -> tuple[str, str, float, str]:
    """What identifies a notification within a budget, as AWS compares it."""
    return (
        details["NotificationType"],
        details["ComparisonOperator"],
        float(details["Threshold"]),
        details.get("ThresholdType") or _DEFAULT_THRESHOLD_TYPE,
    )


def budget_arn(partition: str, account_id: str, budget_name: str) -> str:
    """The ARN AWS gives a budget (the resource the tagging API takes)."""
    return f"arn:{partition}:budgets::{account_id}:budget/{budget_name}"


def parse_budget_arn(arn: str) -> tuple[str, str]:
    """(account id, budget name) of a budget ARN; NotFoundException for anything else."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "budgets" or not parts[5].startswith("budget/"):
        raise NotFoundException(f"Unable to find resource: {arn}")
    name = parts[5][len("budget/") :]
    if not name or "/" in name:  # budget actions have ARNs too; they are not supported here
        raise NotFoundException(f"Unable to find resource: {arn}")
    return parts[4], name


def _resource_tags(budget: Budget) -> dict[str, str]:
    """The tags of one budget, kept on moto's Budget object so they die with it."""
    return cast(dict[str, str], budget.__dict__.setdefault("lakehouse_resource_tags", {}))


class BudgetsBackendExtension(BudgetsBackend):
    """State and logic grafted onto moto's BudgetsBackend by ``install()``."""

    def get_budget(self, account_id: str, budget_name: str, action: str) -> Budget:
        """The stored budget, or NotFoundException worded the way moto words it."""
        budget = self.budgets[account_id].get(budget_name)
        if budget is None:
            raise NotFoundException(f"Unable to {action} - the budget doesn't exist.")
        return budget

    def get_notification(self, account_id: str, budget_name: str, details: dict[str, Any]) -> Notification:
        budget = self.get_budget(account_id, budget_name, "get notification")
        wanted = notification_key(details)
        for notification in budget.notifications:
            if notification_key(notification.details) == wanted:
                return notification
        raise NotFoundException(
            f"Unable to get notification for budget: {budget_name} - the notification doesn't exist."
        )

    def describe_budget(self, account_id: str, budget_name: str) -> dict[str, Any]:
        """The budget as AWS shows it in a new account (no forecast yet); NotFoundException worded as moto's."""
        budget = self.budgets[account_id].get(budget_name)
        if budget is None:
            raise NotFoundException(f"Unable to get budget: {budget_name} - the budget doesn't exist.")
        return as_aws_shows(budget.to_dict())

    def describe_budgets(self, account_id: str) -> list[dict[str, Any]]:
        """Every budget of the account as DescribeBudget shows it (pagination is not implemented)."""
        return [as_aws_shows(budget.to_dict()) for budget in self.budgets[account_id].values()]

    def describe_budget_actions_for_budget(self, account_id: str, budget_name: str) -> list[dict[str, Any]]:
        """A budget's actions: none (CreateBudgetAction is not emulated); NotFoundException for no such budget."""
        self.get_budget(account_id, budget_name, "describe budget actions")
        return []

    def describe_budget_actions_for_account(self, account_id: str) -> list[dict[str, Any]]:
        """Every action of the account: none (CreateBudgetAction is not emulated)."""
        return []

    def describe_subscribers_for_notification(
        self, account_id: str, budget_name: str, notification: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Pagination is not implemented: every subscriber comes in one page."""
        found = self.get_notification(account_id, budget_name, notification)
        # moto annotates Notification.subscribers as a dict; it holds the request's list of Subscriber.
        return list(cast(list[dict[str, Any]], found.subscribers))

    def describe_notifications_for_budget(self, account_id: str, budget_name: str) -> list[dict[str, Any]]:
        budget = self.get_budget(account_id, budget_name, "get notifications")
        return [n.details for n in budget.notifications]

    def delete_notification(self, account_id: str, budget_name: str, notification: dict[str, Any]) -> None:
        budget = self.get_budget(account_id, budget_name, "delete notification")
        found = self.get_notification(account_id, budget_name, notification)
        budget.notifications = [n for n in budget.notifications if n is not found]

    def update_notification(self, account_id: str, budget_name: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Replace a notification's details; its subscribers stay."""
        found = self.get_notification(account_id, budget_name, old)
        budget = self.get_budget(account_id, budget_name, "update notification")
        if notification_key(new) != notification_key(old) and any(
            notification_key(n.details) == notification_key(new) for n in budget.notifications
        ):
            raise DuplicateRecordException("notification", str(new))
        found.details = new

    def subscribers(self, account_id: str, budget_name: str, notification: dict[str, Any]) -> list[dict[str, Any]]:
        found = self.get_notification(account_id, budget_name, notification)
        return cast(list[dict[str, Any]], found.subscribers)

    def create_subscriber(
        self, account_id: str, budget_name: str, notification: dict[str, Any], subscriber: dict[str, Any]
    ) -> None:
        subscribers = self.subscribers(account_id, budget_name, notification)
        if subscriber in subscribers:
            raise DuplicateRecordException("subscriber", subscriber.get("Address", ""))
        subscribers.append(subscriber)

    def update_subscriber(
        self,
        account_id: str,
        budget_name: str,
        notification: dict[str, Any],
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> None:
        subscribers = self.subscribers(account_id, budget_name, notification)
        if old not in subscribers:
            raise NotFoundException(
                f"Unable to update subscriber for budget: {budget_name} - the subscriber doesn't exist."
            )
        subscribers[subscribers.index(old)] = new

    def delete_subscriber(
        self, account_id: str, budget_name: str, notification: dict[str, Any], subscriber: dict[str, Any]
    ) -> None:
        subscribers = self.subscribers(account_id, budget_name, notification)
        if subscriber not in subscribers:
            raise NotFoundException(
                f"Unable to delete subscriber for budget: {budget_name} - the subscriber doesn't exist."
            )
        subscribers.remove(subscriber)

    def update_budget(self, account_id: str, new_budget: dict[str, Any]) -> None:
        """Replace every field of the budget; its notifications, subscribers and tags stay.

        AWS ignores CalculatedSpend on update. A NewBudget without TimePeriod (or
        without its Start or End) keeps the current one (moto's Budget would
        otherwise reset it to this month).
        """
        current = self.get_budget(account_id, new_budget["BudgetName"], "update budget")
        fields = with_period({k: v for k, v in new_budget.items() if k != "CalculatedSpend"}, current.budget)
        current.budget = Budget(fields, notifications=[]).budget  # validates the limit like create

    def tag_budget(self, arn: str, tags: list[dict[str, str]]) -> None:
        account_id, name = parse_budget_arn(arn)
        budget = self.get_budget(account_id, name, "tag resource")
        _resource_tags(budget).update({t["Key"]: t["Value"] for t in tags})

    def untag_budget(self, arn: str, keys: list[str]) -> None:
        account_id, name = parse_budget_arn(arn)
        tags = _resource_tags(self.get_budget(account_id, name, "untag resource"))
        for key in keys:
            tags.pop(key, None)

    def list_budget_tags(self, arn: str) -> list[dict[str, str]]:
        account_id, name = parse_budget_arn(arn)
        tags = _resource_tags(self.get_budget(account_id, name, "list tags"))
        return [{"Key": k, "Value": v} for k, v in tags.items()]


class BudgetsResponseExtension(BudgetsResponse):
    """Wire format grafted onto moto's BudgetsResponse; method names are the actions in snake_case."""

    @property
    def ext_backend(self) -> BudgetsBackendExtension:
        return cast(BudgetsBackendExtension, self.backend)

    def create_budget(self) -> str:
        """moto's CreateBudget plus ``ResourceTags`` and AWS's default TimePeriod Start/End."""
        account_id = self._get_param("AccountId")
        budget = with_period(self._get_param("Budget"))
        self.ext_backend.create_budget(
            account_id=account_id,
            budget=budget,
            notifications=self._get_param("NotificationsWithSubscribers", []),
        )
        tags = self._get_param("ResourceTags")
        if tags:
            arn = budget_arn(self.partition, account_id, budget["BudgetName"])
            self.ext_backend.tag_budget(arn, tags)
        return "{}"

    def describe_budget_actions_for_budget(self) -> str:
        actions = self.ext_backend.describe_budget_actions_for_budget(
            self._get_param("AccountId"), self._get_param("BudgetName")
        )
        return json.dumps({"Actions": actions})

    def describe_budget_actions_for_account(self) -> str:
        actions = self.ext_backend.describe_budget_actions_for_account(self._get_param("AccountId"))
        return json.dumps({"Actions": actions})

    def describe_subscribers_for_notification(self) -> str:
        subscribers = self.ext_backend.describe_subscribers_for_notification(
            account_id=self._get_param("AccountId"),
            budget_name=self._get_param("BudgetName"),
            notification=self._get_param("Notification"),
        )
        return json.dumps({"Subscribers": subscribers})

    def update_budget(self) -> str:
        self.ext_backend.update_budget(account_id=self._get_param("AccountId"), new_budget=self._get_param("NewBudget"))
        return "{}"

    def update_notification(self) -> str:
        self.ext_backend.update_notification(
            self._get_param("AccountId"),
            self._get_param("BudgetName"),
            self._get_param("OldNotification"),
            self._get_param("NewNotification"),
        )
        return "{}"

    def create_subscriber(self) -> str:
        self.ext_backend.create_subscriber(
            self._get_param("AccountId"),
            self._get_param("BudgetName"),
            self._get_param("Notification"),
            self._get_param("Subscriber"),
        )
        return "{}"

    def update_subscriber(self) -> str:
        self.ext_backend.update_subscriber(
            self._get_param("AccountId"),
            self._get_param("BudgetName"),
            self._get_param("Notification"),
            self._get_param("OldSubscriber"),
            self._get_param("NewSubscriber"),
        )
        return "{}"

    def delete_subscriber(self) -> str:
        self.ext_backend.delete_subscriber(
            self._get_param("AccountId"),
            self._get_param("BudgetName"),
            self._get_param("Notification"),
            self._get_param("Subscriber"),
        )
        return "{}"

    def list_tags_for_resource(self) -> str:
        tags = self.ext_backend.list_budget_tags(self._get_param("ResourceARN"))
        return json.dumps({"ResourceTags": tags})

    def tag_resource(self) -> str:
        self.ext_backend.tag_budget(self._get_param("ResourceARN"), self._get_param("ResourceTags"))
        return "{}"

    def untag_resource(self) -> str:
        self.ext_backend.untag_budget(self._get_param("ResourceARN"), self._get_param("ResourceTagKeys"))
        return "{}"


def install() -> None:
    """Patch moto's Budgets backend and responses in place; calling it again does nothing."""
    if getattr(BudgetsBackend, _INSTALLED_MARK, False):
        return
    graft(BudgetsBackendExtension, BudgetsBackend)
    graft(BudgetsResponseExtension, BudgetsResponse)
    setattr(BudgetsBackend, _INSTALLED_MARK, True)
