"""The harness's own subscriber to the stack's alerts: an SQS queue it creates, subscribes and removes.

Detection is by the stack's observability, not by the harness looking: a fault counts as detected
when a CloudWatch alarm's notification, published by the alarm's action to its SNS topic, arrives
on this queue. The topics are the alarms' ``AlarmActions`` read back from CloudWatch.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.target import Target

#: What the harness's queues are named from (``AlertQueue.create``): never a subscriber of the stack's own.
QUEUE_PREFIX = "mttr-chaos-"
#: Longest single ReceiveMessage wait SQS allows (a long poll: returns as soon as a message is there).
LONG_POLL_S = 20
#: The SQS system attributes the harness reads of each message: who sent it to the queue (SNS, for a delivery
#: from the topic; the caller's id, for a SendMessage), and when.
SENDER_ID, SENT_TIMESTAMP = "SenderId", "SentTimestamp"


@dataclass(frozen=True)
class AlarmMessage:
    """One alarm notification as it arrived: which alarm, its new state, when and through which topic."""

    alarm: str
    state: str
    reason: str
    topic: str
    received_at: float
    state_changed_at: str = ""
    #: ``OldStateValue``: the state the alarm left (a change to ALARM leaves OK or INSUFFICIENT_DATA).
    old_state: str = ""
    #: ``AlarmArn``: which account's and Region's alarm of that name changed (the name alone does not say).
    alarm_arn: str = ""
    #: SQS's ``SenderId`` of the message: SNS's for a delivery from the topic, the sender's for a SendMessage.
    sender: str = ""
    #: SQS's ``SentTimestamp`` (epoch seconds; None: not shown) and ``MessageId`` of the message on the queue.
    sent_at: float | None = None
    queue_message_id: str = ""
    #: The SNS envelope's ``MessageId`` (the topic's publish it delivers; empty for raw delivery).
    sns_message_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "alarm": self.alarm,
            "state": self.state,
            "reason": self.reason,
            "topic": self.topic,
            "received_at": self.received_at,
            "state_changed_at": self.state_changed_at,
            "old_state": self.old_state,
            "alarm_arn": self.alarm_arn,
            "sender": self.sender,
            "sent_at": self.sent_at,
            "queue_message_id": self.queue_message_id,
            "sns_message_id": self.sns_message_id,
        }


def parse_message(
    body: str, received_at: float, attributes: Mapping[str, str] | None = None, message_id: str = ""
) -> AlarmMessage | None:
    """An SQS body from an SNS subscription (envelope or raw delivery) -> the alarm notification, if it is one.

    ``attributes``: the SQS message's system attributes (``SenderId``, ``SentTimestamp``); ``message_id``: its
    SQS MessageId."""
    try:
        outer = json.loads(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(outer, dict):
        return None
    topic = str(outer.get("TopicArn", ""))
    inner: Any = outer
    if "Message" in outer and outer.get("Type") == "Notification":
        try:
            inner = json.loads(str(outer["Message"]))
        except json.JSONDecodeError:
            return None
    if not isinstance(inner, dict) or "AlarmName" not in inner:
        return None
    return AlarmMessage(
        alarm=str(inner["AlarmName"]),
        state=str(inner.get("NewStateValue", "")),
        reason=str(inner.get("NewStateReason", "")),
        topic=topic,
        received_at=received_at,
        state_changed_at=str(inner.get("StateChangeTime", "")),
        old_state=str(inner.get("OldStateValue", "")),
        alarm_arn=str(inner.get("AlarmArn", "")),
        sender=str((attributes or {}).get(SENDER_ID, "")),
        sent_at=_epoch_ms((attributes or {}).get(SENT_TIMESTAMP)),
        queue_message_id=message_id,
        sns_message_id=str(outer.get("MessageId", "")) if inner is not outer else "",
    )


def _epoch_ms(value: Any) -> float | None:
    """SQS's ``SentTimestamp`` (epoch milliseconds, a string) in epoch seconds; None when absent or not a number."""
    try:
        return int(str(value)) / 1000
    except ValueError:
        return None


def own_ids(target: Target) -> frozenset[str]:
    """The SenderIds SQS records for a message sent with the harness's credentials: its GetCallerIdentity ``UserId``
    (a role session's ``AROA...:session``, and the role's id alone: another session of it), and the account's (its
    root user's)."""
    identity = target.client("sts").get_caller_identity()
    user = str(identity["UserId"])
    return frozenset({user, user.split(":", 1)[0], str(identity["Account"])})


def queue_policy(queue_arn: str, topic_arns: list[str]) -> str:
    """Let SNS deliver from these topics only (what an SQS subscription to a topic needs)."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AlertsTopicsDeliver",
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": topic_arns}},
                }
            ],
        }
    )


@dataclass
class AlertQueue:
    """An SQS queue subscribed to the alarms' topics for the length of a chaos run."""

    target: Target
    name: str
    url: str = ""
    arn: str = ""
    subscriptions: list[str] = field(default_factory=list)
    #: Every message that arrived, alarm or not (evidence).
    seen: list[dict[str, Any]] = field(default_factory=list)
    #: The SenderIds of the harness's own credentials (``own_ids``): a message they sent is no delivery (``resent``).
    own: frozenset[str] = frozenset()

    @classmethod
    def create(cls, target: Target, stack_id: str, topic_arns: list[str]) -> AlertQueue:
        # Not named like the stack's resources: exit check 5 must not count the harness's queue as unmanaged.
        queue = cls(target, f"{QUEUE_PREFIX}{stack_id}-{uuid.uuid4().hex[:8]}", own=own_ids(target))
        sqs = target.client("sqs")
        queue.url = sqs.create_queue(QueueName=queue.name, Attributes={"MessageRetentionPeriod": "3600"})["QueueUrl"]
        queue.arn = sqs.get_queue_attributes(QueueUrl=queue.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sqs.set_queue_attributes(QueueUrl=queue.url, Attributes={"Policy": queue_policy(queue.arn, topic_arns)})
        sns = target.client("sns")
        for topic in topic_arns:
            sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue.arn, ReturnSubscriptionArn=True)
            queue.subscriptions.append(sub["SubscriptionArn"])
        return queue

    def _receive(self, wait_s: int) -> list[AlarmMessage]:
        sqs = self.target.client("sqs")
        answer = sqs.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=wait_s,
            MessageSystemAttributeNames=[SENDER_ID, SENT_TIMESTAMP],
        )
        found: list[AlarmMessage] = []
        for msg in answer.get("Messages", []):
            now = time.time()
            sqs.delete_message(QueueUrl=self.url, ReceiptHandle=msg["ReceiptHandle"])
            parsed = parse_message(msg.get("Body", ""), now, msg.get("Attributes"), str(msg.get("MessageId", "")))
            self.seen.append(parsed.to_dict() if parsed else {"unparsed": msg.get("Body", "")[:500]})
            if parsed is not None:
                found.append(parsed)
        return found

    def drain(self) -> None:
        """Take away whatever is waiting (OK notifications of the last recovery)."""
        while self._receive(0):
            pass

    def wait_for(
        self, alarms: set[str], deadline: float, why_not: Callable[[AlarmMessage], str | None] | None = None
    ) -> AlarmMessage | None:
        """The first ALARM notification of one of ``alarms`` before ``deadline`` (monotonic), else None.

        ``why_not``: why a message of those alarms is not the one waited for (None: it is); such a message
        is passed over (``detection.not_this_faults``: a late message of an earlier state change).
        """
        while (left := deadline - time.monotonic()) > 0:
            for message in self._receive(max(0, min(LONG_POLL_S, int(left)))):
                wanted = message.alarm in alarms and message.state == "ALARM"
                if wanted and (why_not is None or why_not(message) is None):
                    return message
            if left < 1:
                break
        return None

    def next_message(self, deadline: float) -> AlarmMessage | None:
        """The next alarm notification of any alarm and state before ``deadline`` (monotonic), else None.

        Without a message it returns at ``deadline`` or up to a second after (SQS waits whole seconds),
        never before: a caller waiting for a moment (a period's end) does not spin on short polls.
        """
        while (left := deadline - time.monotonic()) > 0:
            found = self._receive(max(1, min(LONG_POLL_S, math.ceil(left))))
            if found:
                return found[0]
        return None

    def close(self) -> None:
        """Unsubscribe and delete the queue (best effort: the stack's destroy does not know it)."""
        sns = self.target.client("sns")
        for sub in self.subscriptions:
            with contextlib.suppress(BotoCoreError, ClientError):
                sns.unsubscribe(SubscriptionArn=sub)
        if self.url:
            with contextlib.suppress(BotoCoreError, ClientError):
                self.target.client("sqs").delete_queue(QueueUrl=self.url)
