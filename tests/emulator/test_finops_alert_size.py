"""Exit check 7's reader and judge on the emulator: alerts too large for the inbox that should receive them.

The guards of ``test_finops_topic_policy`` (budget and billing alarm alerting an SQS inbox through SNS) are made
through the APIs; then, out of band as a person would, the inbox's MaximumMessageSize is set to 1 KiB: SQS then
rejects every alert SNS wraps in its JSON notification, and SNS drops it. The reader must carry the size as SQS
answers it, and the judge name the queue. (An alarm on ExtendedStatistic tc90, which AWS accepts, is judged in
tests/unit/test_finops_alarm_statistic.py: moto refuses every ExtendedStatistic but a percentile.)
"""

from __future__ import annotations

import uuid

from lakehouse.checks.finops import judge_finops, read_finops
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import local_target
from tests.emulator.conftest import REGION
from tests.emulator.test_finops_topic_policy import _guards


def test_an_inbox_too_small_for_the_alerts_silences_budget_and_alarm(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    prefix = f"lh-size-{uuid.uuid4().hex[:6]}"
    outputs, _, _ = _guards(target, prefix)
    before = judge_finops(read_finops(target, outputs)).details["problems"]
    assert (before["budget"], before["billing_alarm"]) == ([], [])

    sqs = target.client("sqs")
    url = sqs.get_queue_url(QueueName=f"{prefix}-inbox")["QueueUrl"]
    # The policy goes along: moto's SetQueueAttributes clears a Policy it is not given (AWS keeps it).
    policy = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MaximumMessageSize": "1024", "Policy": policy})
    result = judge_finops(read_finops(target, outputs))
    (budget,) = result.details["problems"]["budget"]
    (alarm,) = result.details["problems"]["billing_alarm"]
    for problem in (budget, alarm):
        assert f"queue {prefix}-inbox accepts messages of at most 1024 bytes (MaximumMessageSize)" in problem, problem
        assert "has no policy" not in problem, problem  # the size alone silences it
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.measured["billing_alarm_actions"] == 0
