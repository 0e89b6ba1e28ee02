"""Who besides the harness receives the alarms' notifications: a detection only counts if the stack tells someone.

The chaos run subscribes its own SQS queue to the alarms' topics and counts a fault detected when the ALARM
message lands there. That proves CloudWatch published; it proves nothing of the stack's own delivery: an
alarm whose topic has no other subscriber (or only ones that cannot receive the message: pending, a queue
whose policy refuses SNS, a filter policy that drops it) tells nobody, and would still be "detected". So an
alarm counts only when exit check 7's alert delivery rule (``finops.alarm_deaf``: the topic's policy lets
CloudWatch publish, a confirmed subscription receives the message) holds for a subscriber that is not the
harness's. For the same reason exit check 7, run while the harness listens, must not count the harness's queue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from lakehouse.chaos.alerts import QUEUE_PREFIX
from lakehouse.checks.finops import FinopsReadback, alarm_deaf, read_topic
from lakehouse.outcome import Outcome
from lakehouse.target import Target


def is_harness_subscription(subscription: Mapping[str, Any]) -> bool:
    """Whether the subscription delivers to a chaos run's own queue (``AlertQueue``), this run's or a crashed one's."""
    endpoint = str(subscription.get("Endpoint") or "")
    return subscription.get("Protocol") == "sqs" and endpoint.rsplit(":", 1)[-1].startswith(QUEUE_PREFIX)


def without_harness(read: FinopsReadback | Outcome) -> FinopsReadback | Outcome:
    """The read-back as the stack has it: the harness's queues are no subscriber of the stack's (a copy)."""
    if isinstance(read, Outcome):
        return read
    kept = {topic: [s for s in subs if not is_harness_subscription(s)] for topic, subs in read.subscriptions.items()}
    return replace(read, subscriptions=kept)


def topics_readback(target: Target, topics: Sequence[str]) -> FinopsReadback:
    """Only the SNS side of exit check 7's read-back, for ``topics`` (no budget, dashboard or billing alarm)."""
    account = str(target.client("sts").get_caller_identity()["Account"])
    data = FinopsReadback(
        account_id=account,
        budget_name="",
        budget=None,
        notifications=[],
        dashboard_name="",
        dashboard_body=None,
        alarm_name="",
        alarm_region=target.region,
        alarm=None,
    )
    clients: dict[str, Any] = {}
    for topic in sorted(set(topics)):
        read_topic(target, data, topic, clients)
    return data


def deaf_alarms(data: FinopsReadback, alarms: Mapping[str, Mapping[str, Any]], region: str) -> dict[str, str]:
    """Each alarm (DescribeAlarms' fields, by name) whose ALARM notification reaches nobody but the harness -> why.

    ``data``: the topics read back (``topics_readback``); the harness's subscriptions do not count. An alarm
    is heard when one of its SNS actions exists and delivers to someone; a topic that does not exist is deaf.
    """
    stack = without_harness(data)
    assert isinstance(stack, FinopsReadback)
    found: dict[str, str] = {}
    for name, alarm in alarms.items():
        topics = [str(a) for a in alarm.get("AlarmActions") or [] if ":sns:" in str(a)]
        if not topics:
            continue  # ``mttr.unusable`` already names an alarm that notifies nobody
        deaf = alarm_deaf(stack, {"AlarmName": name, **alarm}, region)
        deaf.update({t: "does not exist" for t in topics if not stack.topics.get(t)})
        if len(deaf) == len(topics):
            shown = "; ".join(f"{t} {why}" for t, why in sorted(deaf.items()))
            found[name] = (
                f"alarm {name}'s ALARM notification reaches nobody but the chaos harness's own queue ({shown}): "
                "a message the harness receives is no detection by the stack"
            )
    return found


def read_deaf_alarms(target: Target, alarms: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """``deaf_alarms`` of the alarms' topics as SNS, SQS and KMS have them now."""
    topics = [str(a) for alarm in alarms.values() for a in alarm.get("AlarmActions") or [] if ":sns:" in str(a)]
    return deaf_alarms(topics_readback(target, topics), alarms, target.region)
