"""A stack queue's redrive settings: drift ``terraform plan`` adopts without a change.

hashicorp/aws marks ``redrive_policy`` and ``redrive_allow_policy`` of ``aws_sqs_queue`` Optional+Computed, and the
root sets neither on the alert inbox. A RedrivePolicy set by hand (SetQueueAttributes) therefore plans "No changes",
yet SQS moves every alert received ``maxReceiveCount`` times without being deleted into a queue of the editor's
choosing, out of the inbox exit check 7 reads; a RedriveAllowPolicy decides which queues may dead-letter into a stack
queue. Each is a Terraform resource of its own as well (``aws_sqs_queue_redrive_policy``,
``aws_sqs_queue_redrive_allow_policy``). So each stack queue's two settings are read (GetQueueAttributes) and must be
what the state records: on the separate resource naming the queue's URL, else on the queue itself.

A queue outside the stack whose RedrivePolicy names a stack queue (ListDeadLetterSourceQueues) puts its messages
into the stack's queue: forged alerts land in the inbox exit check 7 reads. Its redrive is the stack's link, so it
must be in state (``redrive_keys``): an ``aws_sqs_queue_redrive_policy`` of that queue, or the queue's own
``redrive_policy``, naming the same dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: SQS attribute -> the ``aws_sqs_queue`` attribute that holds it.
ATTRIBUTES = {"RedrivePolicy": "redrive_policy", "RedriveAllowPolicy": "redrive_allow_policy"}
#: ``aws_sqs_queue`` attribute -> the resource that sets it apart from the queue.
SEPARATE = {
    "redrive_policy": "aws_sqs_queue_redrive_policy",
    "redrive_allow_policy": "aws_sqs_queue_redrive_allow_policy",
}


@dataclass(frozen=True)
class QueueRedrive:
    """One stack queue's redrive settings as SQS answers them: ``aws_sqs_queue`` attribute -> JSON text ("" unset)."""

    name: str
    url: str
    settings: Mapping[str, str] = field(default_factory=dict)


def read_redrive(sqs: Any, name: str, url: str) -> QueueRedrive:
    """The queue's RedrivePolicy and RedriveAllowPolicy (GetQueueAttributes ``All``: an unset one is absent; moto
    refuses RedriveAllowPolicy by name, AWS answers it in ``All``)."""
    answer = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes")
    attributes = answer if isinstance(answer, Mapping) else {}
    return QueueRedrive(name, url, {tf: str(attributes.get(api) or "") for api, tf in ATTRIBUTES.items()})


#: Kind of an outside queue's redrive into a stack queue (``CloudResource.key``: ``redrive_key``).
REDRIVE_POLICY = SEPARATE["redrive_policy"]


def redrive_key(url: str, target: str) -> str:
    """``<source queue URL> -> <dead-letter queue ARN>``: one queue's redrive as the inventory and the state name it."""
    return f"{url} -> {target or '?'}"


def dead_letter_target(policy: str) -> str:
    """The dead-letter queue a RedrivePolicy names (``deadLetterTargetArn``); "" when it names none."""
    try:
        parsed = json.loads(policy) if policy.strip() else {}
    except ValueError:
        return ""
    return str(parsed.get("deadLetterTargetArn") or "") if isinstance(parsed, dict) else ""


def redrive_keys(state: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(``REDRIVE_POLICY``, ``redrive_key``) of every redrive the state records: on its own resource or a queue's."""
    found = set()
    for res in state:
        values = res.get("values", {})
        url = values.get("queue_url") if res.get("type") == REDRIVE_POLICY else values.get("url")
        policy = str(values.get("redrive_policy") or "")
        if res.get("type") in (REDRIVE_POLICY, "aws_sqs_queue") and url and policy.strip():
            found.add((REDRIVE_POLICY, redrive_key(str(url), dead_letter_target(policy))))
    return found


def _as_text(value: Any) -> Any:
    """A parsed policy with every scalar as text: SQS answers ``maxReceiveCount`` as a number or a string."""
    if isinstance(value, dict):
        return {str(k): _as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v) for v in value]
    return str(value)


def _policy(text: str) -> Any:
    """A setting compared by meaning: parsed JSON (key order, spacing and number quoting aside); None when unset."""
    if not text.strip():
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return text
    return _as_text(parsed) if parsed not in ({}, None) else None


def redrive_drift(state: list[dict[str, Any]], queues: Mapping[str, QueueRedrive]) -> list[str]:
    """``aws_sqs_queue <name>: <attribute> is ... but Terraform state records ...`` for every stack queue in state
    (``queues``: by ARN, as the inventory read them) whose redrive settings differ from the state's."""
    apart = {
        (kind, str(r.get("values", {}).get("queue_url"))): str(r.get("values", {}).get(attribute) or "")
        for attribute, kind in SEPARATE.items()
        for r in state
        if r.get("type") == kind
    }
    found = []
    for values in (r.get("values", {}) for r in state if r.get("type") == "aws_sqs_queue"):
        read = queues.get(str(values.get("arn")))
        if read is None:
            continue
        for attribute, now in sorted(read.settings.items()):
            urls = {read.url, str(values.get("url") or "")}
            kept = [apart[(SEPARATE[attribute], u)] for u in urls if (SEPARATE[attribute], u) in apart]
            if kept:
                then = kept[0]
            elif attribute in values:
                then = str(values[attribute] or "")
            else:
                continue  # real state holds every attribute of the schema; a made-up one may not
            if _policy(now) != _policy(then):
                found.append(
                    f"aws_sqs_queue {read.name}: {attribute} is {now or '(none)'} but Terraform state records "
                    f"{then or '(none)'}"
                )
    return found
