"""Whether an alarm message on the harness's queue was delivered there by SNS, not sent there by the harness's own
credentials: a real notification put back on the queue is no delivery of the topic.

SNS delivers to an SQS subscriber as the SNS service, and ReceiveMessage's ``SenderId`` of that message is SNS's.
A principal that sends a message to the queue itself is recorded as its sender: SenderId is "for a user, the user
ID; for an IAM role, the IAM role ID" (``AROA...:session``, SQS's ReceiveMessage), the ``UserId`` GetCallerIdentity
answers for its credentials (the account's id for the root user). A copy of CloudWatch's message re-sent from the
harness's queue keeps the whole body (SNS's envelope: its MessageId, Timestamp and signature) and gets a new SQS
MessageId and SentTimestamp; only SenderId tells it from SNS's delivery. Provenance (``provenance.unconfirmed``)
shows the change is CloudWatch's; this shows the topic delivered the message that tells of it.
"""

from __future__ import annotations

from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import shown


def resent(message: AlarmMessage, own: frozenset[str]) -> str | None:
    """Why ``message`` was not delivered to the harness's queue by SNS (None: it was not sent by the harness's own
    principal). ``own``: ``alerts.own_ids``. A message whose SenderId SQS did not show cannot be shown to be SNS's."""
    said = (
        f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at or 'absent'}; "
        f"SQS MessageId {message.queue_message_id or '?'}, SentTimestamp {shown(message.sent_at) or '?'})"
    )
    if not message.sender:
        return (
            f"{said} on the harness's queue shows no SenderId (ReceiveMessage): it cannot be shown that SNS delivered "
            f"it from {message.topic or '(no TopicArn)'} rather than a principal sending it to the queue"
        )
    if message.sender not in own and message.sender.split(":", 1)[0] not in own:
        return None
    return (
        f"{said} on the harness's queue was sent by SenderId {message.sender}, the harness's own principal "
        "(GetCallerIdentity), not by SNS delivering it from "
        f"{message.topic or '(no TopicArn)'}: a copy of a notification put back on the queue (its SNS MessageId "
        f"{message.sns_message_id or '?'}) is no delivery of the topic"
    )
