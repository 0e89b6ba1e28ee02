"""KPI-mttr: an ALARM message CloudWatch did not send is no detection, however right its words.

The KPI reads the alarm's notification from the harness's own queue, subscribed to the alarm's topic. The broken
cases: the fault's alarm never changes to ALARM, but a principal with ``sqs:SendMessage`` on that queue (or
``sns:Publish`` on the topic) puts a message with the alarm's name and ``AlarmArn``, ``NewStateValue`` ALARM from
OK, a "Threshold Crossed" reason and a ``StateChangeTime`` after the fault; or a SetAlarmState drill changes it to
ALARM and a forged message dresses the change as CloudWatch's evaluation. Main counted each as the detection. Now
each accepted message must match a change to ALARM in the alarm's history (DescribeAlarmHistory, StateUpdate) at
its StateChangeTime, computed by CloudWatch (``provenance``). The healthy twin: CloudWatch's own change and message.

moto in process (SQS, SNS delivering to the queue, CloudWatch with the emulator's alarm history and actions:
``cloudwatch_history``); the genuine case evaluates the alarm on the faulty datapoint as CloudWatch does
(``alarm_evaluation``), as ``test_chaos_alert_purged`` does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import provenance
from lakehouse.chaos.alerts import AlarmMessage, AlertQueue
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.provenance import ActionRun, History, StateUpdate, not_cloudwatchs
from lakehouse.outcome import Status
from lakehouse.target import Target
from tests.unit.test_chaos_alarm_reconfigured import PARAMS
from tests.unit.test_chaos_alert_purged import _notify, fault_told

ALARM = str(PARAMS["AlarmName"])
CROSSED = "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0)"


def stamp(moment: datetime) -> str:
    """CloudWatch's StateChangeTime format (2026-12-03T11:21:05.123+0000)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def forged(target: Target, changed: datetime) -> str:
    """CloudWatch's ALARM notification of ``ALARM`` as anyone can write it: right name, ARN, states, reason."""
    alarm = target.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    return json.dumps(
        {
            "AlarmName": ALARM,
            "AlarmArn": alarm["AlarmArn"],
            "NewStateValue": "ALARM",
            "OldStateValue": "OK",
            "NewStateReason": CROSSED,
            "StateChangeTime": stamp(changed),
        }
    )


def send_to_queue(target: Target, topic: str, queue: AlertQueue) -> None:
    """sqs:SendMessage on the harness's queue: an SNS envelope from the alarm's topic, written by hand."""
    body = {"Type": "Notification", "TopicArn": topic, "Message": forged(target, datetime.now(UTC))}
    target.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(body))


def publish_to_topic(target: Target, topic: str, _queue: AlertQueue) -> None:
    """sns:Publish on the alarm's topic: SNS's own envelope around a message CloudWatch never sent."""
    target.client("sns").publish(TopicArn=topic, Message=forged(target, datetime.now(UTC)))


def drill_dressed_up(target: Target, topic: str, _queue: AlertQueue) -> None:
    """A SetAlarmState drill changes the alarm to ALARM; a message at that instant calls it Threshold Crossed."""
    cloudwatch = target.client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="Alarm drill: paging the on-call")
    changed = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]["StateUpdatedTimestamp"]
    target.client("sns").publish(TopicArn=topic, Message=forged(target, changed))


def genuine(target: Target, topic: str, _queue: AlertQueue) -> None:
    """CloudWatch's own: the alarm evaluated on the faulty datapoint changes to ALARM and its action publishes."""
    _notify(target, topic)


def _fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tell: Any) -> Timeline:
    """``fault_told``: moto's queue, topic and alarm, the faulty run followed by ``tell``. moto in process records the
    history before anything is read: no lag to wait out (``provenance.HISTORY_LAG_S``)."""
    monkeypatch.setattr(provenance, "HISTORY_LAG_S", 0.0)
    return fault_told(monkeypatch, tmp_path, tell)


@pytest.mark.parametrize("forge", [send_to_queue, publish_to_topic], ids=["sqs-send-message", "sns-publish"])
def test_a_forged_alarm_message_with_no_change_in_the_alarms_history_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, forge: Any
) -> None:
    timeline = _fault(monkeypatch, tmp_path, forge)
    assert timeline.detected_at is None and timeline.alarm_fired is None, timeline.to_dict()
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(f"fault bronze-truncated: no ALARM message of {ALARM} arrived within 3 s"), reason
    assert f"alarm {ALARM}'s ALARM message (StateChangeTime " in reason, reason
    assert (
        "is not CloudWatch's: the alarm's history (DescribeAlarmHistory, StateUpdate) has no change to ALARM at "
    ) in reason, reason
    assert "so another principal put it on the alert topic or the harness's queue" in reason, reason
    assert len(timeline.refused) == 1, timeline.refused


def test_a_set_alarm_state_drill_dressed_as_threshold_crossed_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _fault(monkeypatch, tmp_path, drill_dressed_up)
    assert timeline.detected_at is None and timeline.alarm_fired is None, timeline.to_dict()
    reason = str(judge_mttr([timeline], 1800.0).reason)
    assert (
        "the reason its history gives that change 'Alarm drill: paging the on-call' is not CloudWatch's evaluation "
        "of the metric (Threshold Crossed...): the state was set, not computed from what the faulty run published"
    ) in reason, reason


def test_healthy_twin_cloudwatchs_own_change_and_message_is_the_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _fault(monkeypatch, tmp_path, genuine)
    assert timeline.alarm_fired == ALARM and timeline.problem is None, timeline.problem
    assert timeline.refused == []
    assert judge_mttr([timeline], 1800.0).passed


def test_an_unreadable_history_confirms_nothing(
    moto_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """moto alone answers no DescribeAlarmHistory: CloudWatch's own message is refused, naming the unread history."""
    timeline = _fault(monkeypatch, tmp_path, genuine)
    assert timeline.alarm_fired is None
    assert "the alarm's history (DescribeAlarmHistory) could not be read to show it is CloudWatch's" in str(
        timeline.problem
    ), timeline.problem


def _message(changed: datetime) -> AlarmMessage:
    return AlarmMessage(ALARM, "ALARM", CROSSED, "topic", 0.0, stamp(changed), "OK", "arn")


def _evaluated(at: datetime, old: str = "OK", new: str = "ALARM") -> StateUpdate:
    """A change CloudWatch's evaluation recorded at ``at``: its reason and the datapoints it evaluated."""
    return StateUpdate(at, old, new, CROSSED, {"evaluatedDatapoints": [{"timestamp": stamp(at), "value": 1.0}]})


def _sent(at: datetime) -> ActionRun:
    """CloudWatch's successful publish of the change at ``at`` to the message's topic."""
    return ActionRun(at, "topic", "Succeeded", at)


def test_the_change_must_be_to_alarm_at_the_same_millisecond() -> None:
    at = datetime(2026, 12, 7, 4, 40, 1, 123456, tzinfo=UTC)
    assert not_cloudwatchs(_message(at), History([_evaluated(at)], [_sent(at)])) is None
    later = _evaluated(at + timedelta(milliseconds=1))
    to_ok = _evaluated(at, "ALARM", "OK")
    why = not_cloudwatchs(_message(at), History([later, to_ok], [_sent(at)]))
    assert why is not None and "has no change to ALARM at 2026-12-07T04:40:01.123+00:00" in why, why
    assert "2026-12-07T04:40:01.124+00:00 OK -> ALARM, 2026-12-07T04:40:01.123+00:00 ALARM -> OK" in why, why


def test_a_change_the_history_shows_late_is_waited_for_until_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """On AWS the history may record the change after the notification went: it is read again until the deadline
    (a genuine message is not refused for the lag); a change that never shows is refused once the deadline passed."""
    at = datetime(2026, 12, 7, 4, 40, 1, 123456, tzinfo=UTC)
    reads: list[int] = []

    def late(target: Any, name: str, around: datetime) -> History:
        reads.append(1)
        return History([_evaluated(at)], [_sent(at)]) if len(reads) >= 2 else History()

    monkeypatch.setattr(provenance, "read_history", late)
    monkeypatch.setattr(provenance, "described", lambda *_a: None)
    monkeypatch.setattr(provenance, "not_the_metrics", lambda *_a: None)  # the metric is another test's
    monkeypatch.setattr(provenance, "HISTORY_POLL_S", 0.0)
    target: Any = type("AwsTarget", (), {"is_local": False})()
    assert provenance.unconfirmed(target, _message(at), lag_s=30.0) is None and len(reads) == 2
    monkeypatch.setattr(provenance, "read_history", lambda *a: History())
    why = provenance.unconfirmed(target, _message(at), lag_s=0.0)
    assert why is not None and "has no change to ALARM" in why
