"""Whether an alarm message on the harness's queue was delivered there by SNS, not sent there by a principal of the
account: a real notification put back on the queue is no delivery of the topic.

SNS delivers to an SQS subscriber as the SNS service, and ReceiveMessage's ``SenderId`` of that message is SNS's.
A principal that sends a message to the queue itself is recorded as its sender (``emulator.senders``): an IAM
user's id, a role session's ``AROA...:session`` (a stack Lambda's role), a federated user's ``account:name``, the
account's id for its root user. A copy of CloudWatch's message re-sent to the harness's queue keeps the whole body
(SNS's envelope: its MessageId, Timestamp and signature) and gets a new SQS MessageId and SentTimestamp; only
SenderId tells it from SNS's delivery. So a message counts only when its SenderId is SNS's: in a Region where AWS's
records show SNS's id, that id and no other; elsewhere an IAM user id (SNS's shape) of no user of the account.
Provenance (``provenance.unconfirmed``) shows the change is CloudWatch's; this shows the topic delivered the message
that tells of it.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import shown
from lakehouse.emulator.senders import ACCOUNT_ID, ROLE_ID_PREFIX, SNS_SENDER_IDS, USER_ID
from lakehouse.target import Target


def resent(message: AlarmMessage, own: frozenset[str], target: Target) -> str | None:
    """Why ``message`` was not delivered to the harness's queue by SNS (None: its SenderId is SNS's). ``own``:
    ``alerts.own_ids``; ``target``: the account whose principals (ListUsers, ListRoles) are no SNS. A message whose
    SenderId SQS did not show cannot be shown to be SNS's."""
    said = (
        f"alarm {message.alarm}'s {message.state} message (StateChangeTime {message.state_changed_at or 'absent'}; "
        f"SQS MessageId {message.queue_message_id or '?'}, SentTimestamp {shown(message.sent_at) or '?'})"
    )
    topic = message.topic or "(no TopicArn)"
    if not message.sender:
        return (
            f"{said} on the harness's queue shows no SenderId (ReceiveMessage): it cannot be shown that SNS delivered "
            f"it from {topic} rather than a principal sending it to the queue"
        )
    who = sender_is_not_sns(message.sender, own, target)
    if who is None:
        return None
    return (
        f"{said} on the harness's queue was sent by SenderId {message.sender}, {who}, not by SNS delivering it from "
        f"{topic}: a copy of a notification put back on the queue (its SNS MessageId "
        f"{message.sns_message_id or '?'}) is no delivery of the topic"
    )


def sender_is_not_sns(sender: str, own: frozenset[str], target: Target) -> str | None:
    """Who ``sender`` (a SenderId) is when it is not SNS (None: it is SNS's), the account's principals named first.
    Where AWS's records show SNS's id for the Region, only that id is SNS's; elsewhere an IAM user id of none of the
    account's users (ListUsers: when they cannot be read, it cannot be shown to be none of them)."""
    if sender in own or sender.split(":", 1)[0] in own:
        return "the harness's own principal (GetCallerIdentity)"
    if sender.startswith(ROLE_ID_PREFIX):
        role_id, _, session = sender.partition(":")
        try:
            name = _names(target, "list_roles", "Roles", "RoleId", "RoleName").get(role_id)
        except (ClientError, BotoCoreError):
            name = None  # only to name it: a role's session is no SNS whatever the role
        role = f"IAM role {name} of this account" if name else "an IAM role"
        return f"a session ({session or 'unnamed'}) of {role} (RoleId {role_id}): a role's session, never SNS"
    account, session_part, _ = sender.partition(":")
    if ACCOUNT_ID.fullmatch(account):
        if session_part:
            return f"a federated user {sender} (GetFederationToken's account:name), never SNS"
        return f"the root user of account {sender}"
    known = SNS_SENDER_IDS.get(target.region)
    if sender == known:
        return None
    try:
        users = _names(target, "list_users", "Users", "UserId", "UserName")
    except (ClientError, BotoCoreError) as err:
        return f"an id the account's IAM users could not be told from (ListUsers: {err})"
    if sender in users:
        return f"IAM user {users[sender]} of this account (ListUsers' UserId)"
    if known is not None:
        return f"not SNS's SenderId in {target.region} ({known}, what every SNS delivery to SQS there carries)"
    if not USER_ID.fullmatch(sender):
        return "no id SNS delivers with (SNS's SenderId is an IAM user id: AIDA and 17 letters or digits, no session)"
    return None


def _names(target: Target, listing: str, key: str, id_field: str, name_field: str) -> dict[str, str]:
    """IAM's principals of one kind (ListUsers, ListRoles): id -> name."""
    pages = target.client("iam").get_paginator(listing).paginate()
    return {str(p[id_field]): str(p[name_field]) for page in pages for p in page[key]}
