"""Exit check 7: an SQS inbox counts as a receiver only if the alert is still there, and readable, when someone looks.

The check counts a queue subscribed to an alert topic as receiving the alert: the queue is an inbox, the alert
kept where the account's people can read it (infra/alert_inbox.tf keeps it 14 days). A queue that keeps a
message 60 s (SQS's minimum) deletes a budget or billing alert, sent once, before anyone reads it; a queue whose
policy denies everyone sqs:ReceiveMessage keeps it where nobody may read it. SNS delivers to both, so every
delivery rule passes and only the queue's own attributes tell.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.alert_delivery import MIN_RETENTION_S, QueueReadback
from lakehouse.checks.finops import judge_finops
from tests.unit.test_finops import ACCOUNT, ALARM_NAME, BILLING_TOPIC, BUDGET_NAME, INBOX, TOPIC, healthy, inbox

QUEUE = INBOX.rsplit(":", 1)[1]


def inbox_with(*extra: dict[str, Any], **attributes: str) -> QueueReadback:
    """The alerts inbox as infra/alert_inbox.tf makes it, with ``attributes`` and ``extra`` policy statements."""
    queue = inbox(**attributes)
    assert queue.attributes is not None
    policy = json.loads(queue.attributes["Policy"])
    policy["Statement"] += list(extra)
    queue.attributes["Policy"] = json.dumps(policy)
    return queue


def test_an_inbox_that_keeps_an_alert_60_s_fails_the_budget_and_the_alarm_naming_the_queue() -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with(MessageRetentionPeriod="60")}), cap_usd=20)
    assert not result.passed
    kept = f"queue {QUEUE} keeps a message only 60 s (MessageRetentionPeriod), less than the 345600 s"
    (budget,) = result.details["problems"]["budget"]
    assert f"none of budget {BUDGET_NAME}'s 2 notification(s)" in budget and kept in budget
    (alarm,) = result.details["problems"]["billing_alarm"]
    assert alarm.startswith(f"billing alarm {ALARM_NAME} notifies nobody") and kept in alarm
    assert f"topic {BILLING_TOPIC}" in alarm and f"topic {TOPIC}" in budget


@pytest.mark.parametrize("kept", [str(MIN_RETENTION_S - 1), "86400", "3600"])
def test_an_inbox_that_keeps_an_alert_less_than_4_days_fails(kept: str) -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with(MessageRetentionPeriod=kept)}), cap_usd=20)
    assert not result.passed
    assert f"queue {QUEUE} keeps a message only {kept} s" in str(result.reason)


@pytest.mark.parametrize("kept", [None, str(MIN_RETENTION_S), "1209600"], ids=["sqs-default", "4-days", "14-days"])
def test_an_inbox_that_keeps_an_alert_4_days_or_more_passes(kept: str | None) -> None:
    attributes = {} if kept is None else {"MessageRetentionPeriod": kept}
    result = judge_finops(healthy(queues={INBOX: inbox_with(**attributes)}), cap_usd=20)
    assert result.passed, result.reason


def test_a_retention_that_is_no_number_is_named() -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with(MessageRetentionPeriod="forever")}), cap_usd=20)
    assert not result.passed
    assert f"queue {QUEUE} has a MessageRetentionPeriod that is not a number of seconds ('forever')" in str(
        result.reason
    )


DENY_EVERYONE = {"Sid": "NobodyReads", "Effect": "Deny", "Principal": "*", "Action": "sqs:ReceiveMessage"}


@pytest.mark.parametrize(
    "statement",
    [
        DENY_EVERYONE,
        {
            **DENY_EVERYONE,
            "Principal": {"AWS": "*"},
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"],
            "Resource": INBOX,
        },
        {**DENY_EVERYONE, "Principal": {"AWS": ACCOUNT}, "Action": ["sqs:Receive*"]},
        {**DENY_EVERYONE, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "NotAction": "sqs:SendMessage"},
    ],
    ids=["star", "aws-star-read-actions", "account-id-wildcard", "root-notaction"],
)
def test_an_inbox_nobody_in_the_account_may_read_fails_naming_the_statement(statement: dict[str, Any]) -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with(statement)}), cap_usd=20)
    assert not result.passed
    assert (
        f"queue {QUEUE}'s policy: statement NobodyReads denies sqs:ReceiveMessage to every principal of account "
        f"{ACCOUNT}, under no condition: the alert is kept where nobody may read it"
    ) in str(result.reason)


@pytest.mark.parametrize(
    "statement",
    [
        {  # everyone but the reader role: it reads the inbox
            **DENY_EVERYONE,
            "Condition": {"StringNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/alert-reader"}},
        },
        {**DENY_EVERYONE, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/intern"}},  # one role, not the account
        {**DENY_EVERYONE, "Principal": {"AWS": "arn:aws:iam::444455556666:root"}},  # another account
        {**DENY_EVERYONE, "Action": "sqs:DeleteQueue"},
        {**DENY_EVERYONE, "Resource": "arn:aws:sqs:*:*:another-queue"},
    ],
    ids=["all-but-a-reader", "one-role", "other-account", "other-action", "other-queue"],
)
def test_an_inbox_someone_in_the_account_may_still_read_passes(statement: dict[str, Any]) -> None:
    result = judge_finops(healthy(queues={INBOX: inbox_with(statement)}), cap_usd=20)
    assert result.passed, result.reason
