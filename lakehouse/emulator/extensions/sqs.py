"""SQS as AWS keeps it: SetQueueAttributes keeps the queue's policy unless the call names one, and a message
records who sent it.

moto's ``Queue._set_attributes`` sets ``policy`` from every call's attributes, so a SetQueueAttributes that
changes only, say, ``MessageRetentionPeriod`` (Terraform sends just the changed attributes when it updates an
``aws_sqs_queue``) wiped the policy that lets SNS deliver: the alert inbox went silent here while it would
keep receiving on AWS, and exit check 7 read a healthy stack as broken.

moto 5.2.5 stamps every message with one ``SenderId`` (``DEFAULT_SENDER_ID``, the id SNS's deliveries carry),
whoever sent it. AWS records the sender: ReceiveMessage's ``SenderId`` is "for a user, the user ID; for an IAM
role, the IAM role ID" (``AROA...:session``), the ``UserId`` GetCallerIdentity answers for the caller's key,
and the SNS service's own id for a message SNS delivered from a topic, one per Region (``senders.SNS_SENDER_IDS``;
moto's is us-east-1's). So a copy of SNS's message sent to a queue with SendMessage (or SendMessageBatch) carries
its sender's id here too, and one SNS delivers carries SNS's id of the queue's Region where AWS's records show it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from moto.sqs.models import Message, Queue, SQSBackend
from moto.sqs.responses import SQSResponse
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from lakehouse.emulator.senders import SNS_SENDER_IDS

_MARK = "_lakehouse_sqs_policy_kept"
#: The SenderId of the SendMessage or SendMessageBatch request being answered (None: SNS, or no request).
_SENDER: ContextVar[str | None] = ContextVar("lakehouse_sqs_sender", default=None)


def sender_id(response: SQSResponse) -> str:
    """The caller's id as SQS records it: GetCallerIdentity's ``UserId`` for the request's access key."""
    sts = sts_backends[response.current_account][get_partition(response.region)]
    return str(sts.get_caller_identity(response.get_access_key(), response.region)[0])


@contextmanager
def _sending(sender: str) -> Iterator[None]:
    token = _SENDER.set(sender)
    try:
        yield
    finally:
        _SENDER.reset(token)


def as_sender(answer: Callable[[SQSResponse], Any]) -> Callable[[SQSResponse], Any]:
    """A SendMessage / SendMessageBatch answer whose messages record the caller as their sender."""

    def sending(self: SQSResponse) -> Any:
        with _sending(sender_id(self)):
            return answer(self)

    return sending


def recording_sender(send: Callable[..., Message]) -> Callable[..., Message]:
    """``SQSBackend.send_message`` that stamps the message with the sender of the request being answered; a message
    sent outside one (SNS delivering from a topic) carries SNS's id of the Region (moto's where AWS's is not known)."""

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Message:
        message = send(self, *args, **kwargs)
        sender = _SENDER.get()
        message.sender_id = sender if sender is not None else SNS_SENDER_IDS.get(self.region_name, message.sender_id)
        return message

    return send_message


def sender_patches() -> list[tuple[type, str, Callable[..., Any]]]:
    """(class, attribute, replacement) that make messages record their sender (also applied by unit tests)."""
    return [
        (SQSResponse, "send_message", as_sender(SQSResponse.send_message)),
        (SQSResponse, "send_message_batch", as_sender(SQSResponse.send_message_batch)),
        (SQSBackend, "send_message", recording_sender(SQSBackend.send_message)),
    ]


def install() -> None:
    """Patch moto's SQS in place; a second call does nothing."""
    if getattr(Queue, _MARK, False):
        return
    original = Queue._set_attributes

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept

    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]
    for owner, name, replacement in sender_patches():
        setattr(owner, name, replacement)
    setattr(Queue, _MARK, True)
