"""Who besides the harness receives the alarms' notifications: a detection only counts if the stack tells someone.

The chaos run subscribes its own SQS queue to the alarms' topics and counts a fault detected when the ALARM
message lands there. That proves CloudWatch published; it proves nothing of the stack's own delivery: an
alarm whose topic has no other subscriber (or only ones that cannot receive the message: pending, a queue
whose policy refuses SNS, a filter policy that drops it) tells nobody, and would still be "detected". So an
alarm counts only when exit check 7's alert delivery rule (``finops.alarm_deaf``: the topic's policy lets
CloudWatch publish, a confirmed subscription receives the message) holds for a subscriber that is not the
harness's. For the same reason exit check 7, run while the harness listens, must not count the harness's queue.

And the topic must be this stack's (its ``stack_id`` tag, read back from SNS as ``lakehouse.ownership`` reads
the outputs' topics): an alarm whose action is another stack's alerts topic (or the account's ops topic) tells
that topic's subscribers, not this stack's operators, though the harness, subscribed to it, hears the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.chaos.alerts import QUEUE_PREFIX
from lakehouse.checks.alert_delivery import alarm_alerts
from lakehouse.checks.finops import (
    CLOUDWATCH_PRINCIPAL,
    FinopsReadback,
    alarm_deaf,
    confirmed,
    delivery_problems,
    read_topic,
    too_large,
    unpublishable,
)
from lakehouse.outcome import Outcome
from lakehouse.ownership import Missing, read_tags
from lakehouse.policies import STACK_TAG
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


def not_the_stacks(tags: Mapping[str, str], stack_id: str) -> str | None:
    """Why the topic whose SNS tags are ``tags`` is not stack ``stack_id``'s own (None: it is)."""
    if tags.get(STACK_TAG) == stack_id:
        return None
    carried = f"its {STACK_TAG} tag is {tags[STACK_TAG]!r}" if STACK_TAG in tags else f"it has no {STACK_TAG} tag"
    return f"is not stack {stack_id}'s topic ({carried}): its subscribers are not this stack's"


def foreign_topics(target: Target, topics: Sequence[str], stack_id: str) -> dict[str, str]:
    """Each of ``topics`` that is not stack ``stack_id``'s own -> why (its tags read back from SNS).

    A topic whose tags cannot be read (another account's, gone) is not shown to be the stack's either.
    """
    identity = target.client("sts").get_caller_identity()
    account, partition = str(identity["Account"]), str(identity["Arn"]).split(":")[1]
    found: dict[str, str] = {}
    for arn in sorted(set(topics)):
        try:
            tags = read_tags(target, "sns-topic", arn, account, partition)
        except (BotoCoreError, ClientError, Missing, ValueError) as err:
            found[arn] = f"cannot be shown to be stack {stack_id}'s topic (its tags cannot be read: {err})"
            continue
        if why := not_the_stacks(tags, stack_id):
            found[arn] = why
    return found


def deaf_alarms(
    data: FinopsReadback,
    alarms: Mapping[str, Mapping[str, Any]],
    region: str,
    foreign: Mapping[str, str],
) -> dict[str, str]:
    """Each alarm (DescribeAlarms' fields, by name) whose ALARM notification reaches nobody of the stack's -> why.

    ``data``: the topics read back (``topics_readback``); the harness's subscriptions do not count. An alarm
    is heard when one of its SNS actions exists, is the stack's own (not in ``foreign``: topic -> why it is not,
    ``foreign_topics``) and delivers to someone; a topic that does not exist is deaf.
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
        deaf.update({t: foreign[t] for t in topics if t in foreign and t not in deaf})
        if len(deaf) == len(set(topics)):
            shown = "; ".join(f"{t} {why}" for t, why in sorted(deaf.items()))
            found[name] = (
                f"alarm {name}'s ALARM notification reaches nobody of this stack's, only the chaos harness's own "
                f"queue ({shown}): a message the harness receives is no detection by the stack"
            )
    return found


#: An alarm's receivers: each SNS topic of its actions -> {SubscriptionArn: "protocol endpoint"} of the stack's
#: subscriptions on it that receive its ALARM notification (empty: nobody of the stack's on that topic).
Receivers = dict[str, dict[str, str]]


#: GetQueueAttributes' "time when the queue was created in seconds (epoch time)": SQS gives a queue deleted and
#: created again under its name (at least 60 s later, CreateQueue's QueueDeletedRecently) the same URL and ARN, and
#: the subscriptions to that ARN stay, but a new CreatedTimestamp.
CREATED = "CreatedTimestamp"
#: GetFunction's Configuration ``LastModified``, "the date and time that the function was last updated": Lambda
#: stamps it anew when the function is created (so also when it is deleted and created again under its name, which
#: keeps its ARN and the subscriptions to it) and when its code or configuration is updated.
MODIFIED = "LastModified"
#: GetFunction's Configuration ``CodeSha256``: what the reason says of a function updated during the run.
CODE = "CodeSha256"


@dataclass
class Delivery:
    """One read of who receives the alarms' notifications: the deaf alarms (-> why), each alarm's receivers, the
    ``CREATED`` stamp of each SQS queue a subscription delivers to (its ARN -> the stamp; absent: none shown), and
    the ``MODIFIED`` and ``CODE`` of each Lambda function one delivers to (its ARN -> those it shows)."""

    deaf: dict[str, str] = field(default_factory=dict)
    receivers: dict[str, Receivers] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    functions: dict[str, dict[str, str]] = field(default_factory=dict)


def sns_actions(alarm: Mapping[str, Any]) -> list[str]:
    """The SNS topics among the alarm's ``AlarmActions``, each once, in order."""
    return sorted({str(a) for a in alarm.get("AlarmActions") or [] if ":sns:" in str(a)})


def alarm_receivers(
    data: FinopsReadback, name: str, alarm: Mapping[str, Any], region: str, foreign: Mapping[str, str]
) -> Receivers:
    """Which of the stack's subscriptions receive alarm ``name``'s ALARM notification, topic by topic.

    The rule of ``deaf_alarms`` (exit check 7's), kept per subscription: a topic that does not exist, is not the
    stack's (``foreign``), refuses CloudWatch's publish or the message's size has none; on the others, each
    confirmed subscription that is not the harness's and whose receiver takes the message (``delivery_problems``).
    """
    stack = without_harness(data)
    assert isinstance(stack, FinopsReadback)
    described = {"AlarmName": name, **alarm}
    messages = alarm_alerts(described, data.account_id, region)
    found: Receivers = {}
    for topic in sns_actions(alarm):
        found[topic] = {}
        if topic in foreign or not stack.topics.get(topic):
            continue
        if unpublishable(stack, topic, CLOUDWATCH_PRINCIPAL, str(alarm.get("AlarmArn") or "")):
            continue
        if too_large(stack, topic, messages):
            continue
        problems = delivery_problems(stack, topic, messages)
        for sub in confirmed(stack.subscriptions.get(topic, [])):
            label = f"{sub.get('Protocol')} {sub.get('Endpoint')}"
            if not problems.get(label):
                found[topic][str(sub["SubscriptionArn"])] = label
    return found


def read_topics(target: Target, alarms: Mapping[str, Mapping[str, Any]]) -> FinopsReadback:
    """The alarms' SNS topics as SNS, SQS and KMS have them now (``topics_readback``)."""
    return topics_readback(target, [t for alarm in alarms.values() for t in sns_actions(alarm)])


def foreign_read(
    target: Target, data: FinopsReadback, alarms: Mapping[str, Mapping[str, Any]], stack_id: str
) -> dict[str, str]:
    """``foreign_topics`` among the alarms' topics ``data`` found (their tags read now, as their subscriptions were)."""
    existing = sorted({t for alarm in alarms.values() for t in sns_actions(alarm) if data.topics.get(t)})
    return foreign_topics(target, existing, stack_id)


def queues_created(data: FinopsReadback) -> dict[str, str]:
    """Each SQS queue ``data`` read (its ARN) -> its ``CREATED`` stamp, for the queues that exist and show one."""
    return {
        arn: str(q.attributes[CREATED]) for arn, q in data.queues.items() if q.attributes and CREATED in q.attributes
    }


def functions_modified(data: FinopsReadback) -> dict[str, dict[str, str]]:
    """Each Lambda function ``data`` read (its ARN) -> its ``MODIFIED`` and ``CODE``, those it shows."""
    return {
        arn: {k: str(f.configuration[k]) for k in (MODIFIED, CODE) if f.configuration.get(k) is not None}
        for arn, f in data.functions.items()
        if f.exists
    }


def read_delivery(target: Target, alarms: Mapping[str, Mapping[str, Any]], stack_id: str) -> Delivery:
    """``deaf_alarms`` and each alarm's ``alarm_receivers``, from one read of the alarms' topics (with their tags)."""
    data = read_topics(target, alarms)
    foreign = foreign_read(target, data, alarms, stack_id)
    return Delivery(
        deaf=deaf_alarms(data, alarms, target.region, foreign),
        receivers={n: alarm_receivers(data, n, a, target.region, foreign) for n, a in alarms.items()},
        created=queues_created(data),
        functions=functions_modified(data),
    )
