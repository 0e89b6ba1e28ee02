"""SQS SetQueueAttributes keeps the queue's policy unless the call names one, as AWS does.

moto's ``Queue._set_attributes`` sets ``policy`` from every call's attributes, so a SetQueueAttributes that
changes only, say, ``MessageRetentionPeriod`` (Terraform sends just the changed attributes when it updates an
``aws_sqs_queue``) wiped the policy that lets SNS deliver: the alert inbox went silent here while it would
keep receiving on AWS, and exit check 7 read a healthy stack as broken.
"""

from __future__ import annotations

from typing import Any

from moto.sqs.models import Queue

_MARK = "_lakehouse_sqs_policy_kept"


def install() -> None:
    """Patch moto's SQS queue in place; a second call does nothing."""
    if getattr(Queue, _MARK, False):
        return
    original = Queue._set_attributes

    def _set_attributes(self: Queue, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept

    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]
    setattr(Queue, _MARK, True)
