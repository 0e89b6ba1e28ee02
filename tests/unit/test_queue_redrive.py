"""Exit check 5 compares each stack queue's redrive settings with Terraform state (``lakehouse.queue_redrive``).

The provider adopts a RedrivePolicy or RedriveAllowPolicy set by hand (Optional+Computed, unset in the root), so the
plan is empty while the alert inbox dead-letters into someone's queue. Before, the check passed such a stack: the
inventory read no queue attribute. The twins: the same setting in state (on the queue or its own resource, however
SQS spells the JSON) passes.
"""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search
from lakehouse.outcome import Status
from lakehouse.queue_redrive import QueueRedrive, read_redrive, redrive_drift
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, INBOX, REGION, STACK, URL, P

INBOX_URL = f"{URL}/{P}-alerts-inbox"
ELSEWHERE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:ops-dlq"
BY_HAND = json.dumps({"deadLetterTargetArn": ELSEWHERE, "maxReceiveCount": 1})


def _queue_state(**values: Any) -> dict[str, Any]:
    return {
        "type": "aws_sqs_queue",
        "values": {"arn": INBOX, "url": INBOX_URL, "redrive_policy": "", "redrive_allow_policy": "", **values},
    }


def _read(**settings: str) -> dict[str, QueueRedrive]:
    full = {"redrive_policy": "", "redrive_allow_policy": "", **settings}
    return {INBOX: QueueRedrive(f"{P}-alerts-inbox", INBOX_URL, full)}


def test_a_dead_letter_queue_set_by_hand_on_the_inbox_is_drift() -> None:
    [found] = redrive_drift([_queue_state()], _read(redrive_policy=BY_HAND))
    assert found == (f"aws_sqs_queue {P}-alerts-inbox: redrive_policy is {BY_HAND} but Terraform state records (none)")


def test_a_redrive_the_state_records_elsewhere_or_an_allow_policy_set_by_hand_is_drift() -> None:
    managed = json.dumps({"deadLetterTargetArn": f"{INBOX}-dlq", "maxReceiveCount": 5})
    apart = {"type": "aws_sqs_queue_redrive_policy", "values": {"queue_url": INBOX_URL, "redrive_policy": managed}}
    allow = json.dumps({"redrivePermission": "allowAll"})
    found = redrive_drift([_queue_state(), apart], _read(redrive_policy=BY_HAND, redrive_allow_policy=allow))
    assert found == [
        f"aws_sqs_queue {P}-alerts-inbox: redrive_allow_policy is {allow} but Terraform state records (none)",
        f"aws_sqs_queue {P}-alerts-inbox: redrive_policy is {BY_HAND} but Terraform state records {managed}",
    ]


def test_what_the_state_records_however_spelled_is_no_drift() -> None:
    spelled = '{"maxReceiveCount":"1", "deadLetterTargetArn":"' + ELSEWHERE + '"}'  # SQS quotes the number
    assert redrive_drift([_queue_state(redrive_policy=BY_HAND)], _read(redrive_policy=spelled)) == []
    apart = {"type": "aws_sqs_queue_redrive_policy", "values": {"queue_url": INBOX_URL, "redrive_policy": BY_HAND}}
    assert redrive_drift([_queue_state(), apart], _read(redrive_policy=spelled)) == []
    assert redrive_drift([_queue_state()], _read(redrive_allow_policy="{}")) == []  # "{}" sets nothing
    assert redrive_drift([_queue_state()], _read()) == []
    made_up = {"type": "aws_sqs_queue", "values": {"arn": INBOX}}  # no attribute: says nothing of it
    assert redrive_drift([made_up], _read(redrive_policy=BY_HAND)) == []


def _inventory(attributes: dict[str, str]) -> Inventory:
    search = _Search(MagicMock(), STACK, DEFAULT_PROJECT)
    sqs = MagicMock()
    sqs.get_queue_attributes.return_value = {"Attributes": attributes} if attributes else {}
    search._redrive(sqs, f"{P}-alerts-inbox", INBOX_URL, INBOX)
    search.add("aws_sqs_queue", INBOX, f"{P}-alerts-inbox", REGION, ("tag",))
    sqs.get_queue_attributes.assert_called_once_with(QueueUrl=INBOX_URL, AttributeNames=["All"])
    return search.inv


def test_check_5_fails_naming_the_hand_set_redrive_and_passes_its_twin() -> None:
    inv = _inventory({"RedrivePolicy": BY_HAND})
    result = judge_iac(PlanResult(0), [_queue_state()], inv, set())
    assert result.status is Status.FAILED
    assert f"aws_sqs_queue {P}-alerts-inbox: redrive_policy is {BY_HAND}" in str(result.reason)
    assert result.details["queue_redrive_drift"]
    assert judge_iac(PlanResult(0), [_queue_state(redrive_policy=BY_HAND)], inv, set()).passed
    assert judge_iac(PlanResult(0), [_queue_state()], _inventory({}), set()).passed


def test_a_queue_deleted_while_read_has_no_settings_and_other_failures_are_unreadable() -> None:
    search = _Search(MagicMock(), STACK, DEFAULT_PROJECT)
    sqs = MagicMock()
    sqs.get_queue_attributes.side_effect = ClientError(
        {"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue"}}, "GetQueueAttributes"
    )
    search.guarded("sqs GetQueueAttributes", REGION, search._redrive, sqs, "q", INBOX_URL, INBOX)
    assert not search.inv.unreadable and not search.inv.queue_redrives
    sqs.get_queue_attributes.side_effect = ClientError({"Error": {"Code": "AccessDenied"}}, "GetQueueAttributes")
    search.guarded("sqs GetQueueAttributes", REGION, search._redrive, sqs, "q", INBOX_URL, INBOX)
    assert len(search.inv.unreadable) == 1 and "AccessDenied" in search.inv.unreadable[0]
    assert read_redrive(MagicMock(get_queue_attributes=MagicMock(return_value={})), "q", "u").settings == {
        "redrive_policy": "",
        "redrive_allow_policy": "",
    }
