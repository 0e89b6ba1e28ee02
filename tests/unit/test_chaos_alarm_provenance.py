"""KPI-mttr: an ALARM message counts only as CloudWatch's notification of its own evaluation, sent by CloudWatch.

The broken cases, each counted as the fault's detection before:

- set, not computed: a SetAlarmState whose StateReason imitates CloudWatch's "Threshold Crossed: ..." text; CloudWatch
  runs the alarm's actions on it, so its own message arrives. Its history item has no ``stateReasonData`` (an
  evaluation records the datapoints it evaluated; a SetAlarmState only what its caller passes). With StateReasonData
  written by hand, the datapoints it cites are not in the alarm's metric (GetMetricStatistics), or, copied from an
  earlier real change, lie in a period over before the fault was injected;
- set early: a SetAlarmState whose StateReasonData copies the faulty run's real breaching datapoint while its period
  still fills: CloudWatch evaluates a period only once it is over, and the history item's Timestamp (the call's)
  is before the end of the period it cites; it would shorten the detection by up to one evaluation;
- computed, not sent: CloudWatch's real change to ALARM whose own message was not sent (its actions disabled for the
  moment, or the publish failed), and a copy of that change's time and reason put on the topic or the queue: the
  alarm's history has no successful Action of CloudWatch's for that change on that topic.

The healthy twin: the alarm evaluated on the faulty datapoint, its action publishing CloudWatch's message.

moto in process: SQS, SNS, CloudWatch with the emulator's alarm history and actions (``cloudwatch_history``) and its
evaluation (``alarm_evaluation``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import provenance
from lakehouse.chaos.alerts import AlertQueue
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.emulator.extensions import cloudwatch as extension
from lakehouse.outcome import Status
from lakehouse.target import Target
from tests.unit.alarm_evaluation import breach, until_period_over
from tests.unit.test_chaos_alarm_reconfigured import PARAMS
from tests.unit.test_chaos_alert_purged import fault_told

ALARM = str(PARAMS["AlarmName"])
PERIOD = int(PARAMS["Period"])
#: CloudWatch's reason for the faulty run's datapoint, as anyone can write it.
IMITATED = (
    "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (07/12/26 07:28:20)] was greater than or equal to the "
    "threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(moment * 1000) % 1000:03d}+0000"


def state_reason_data(start: float, evaluated: list[dict[str, Any]], recent: list[float]) -> str:
    """StateReasonData in CloudWatch's shape for the alarm's period from ``start`` (epoch seconds)."""
    return json.dumps(
        {
            "version": "1.0",
            "queryDate": _iso(time.time()),
            "startDate": _iso(start),
            "statistic": PARAMS["Statistic"],
            "period": PERIOD,
            "recentDatapoints": recent,
            "threshold": PARAMS["Threshold"],
            "evaluatedDatapoints": evaluated,
        }
    )


def reason_data(at: float) -> str:
    """StateReasonData in CloudWatch's shape, citing a breaching 1.0 in the period of ``at`` (epoch seconds)."""
    start = math.floor(at / PERIOD) * PERIOD
    return state_reason_data(start, [{"timestamp": _iso(start), "sampleCount": 1.0, "value": 1.0}], [1.0])


def set_state_imitating(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """SetAlarmState to ALARM with CloudWatch's words: CloudWatch runs the alarm's action and its message goes out."""
    target.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason=IMITATED)


def set_state_with_written_data(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """The same with StateReasonData written in CloudWatch's shape, citing a datapoint the metric does not have (in
    the period of the injection, once it is over)."""
    written = reason_data(until_period_over(PERIOD))
    target.client("cloudwatch").set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason=IMITATED, StateReasonData=written
    )


def set_state_citing_the_real_datapoint_early(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """The faulty run's real breaching datapoint is in the metric, and at once (its period still filling, before
    CloudWatch's evaluation of it) SetAlarmState copies it into StateReasonData in CloudWatch's shape: CloudWatch
    runs the alarm's action, and the message would tell of the fault up to one evaluation early."""
    now = time.time()
    datum = {"MetricName": PARAMS["MetricName"], "Dimensions": PARAMS["Dimensions"], "Value": 1.0, "Timestamp": now}
    target.client("cloudwatch").put_metric_data(
        Namespace=PARAMS["Namespace"], MetricData=[{**datum, "StorageResolution": 1}]
    )
    target.client("cloudwatch").set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason=IMITATED, StateReasonData=reason_data(now)
    )


def set_state_with_copied_data(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """StateReasonData of an earlier real change (a breaching datapoint the metric has, 2 min before the fault)."""
    earlier = time.time() - 120
    target.client("cloudwatch").put_metric_data(
        Namespace=PARAMS["Namespace"],
        MetricData=[
            {
                "MetricName": PARAMS["MetricName"],
                "Dimensions": PARAMS["Dimensions"],
                "Value": 1.0,
                "Timestamp": earlier,
                "StorageResolution": 1,
            }
        ],
    )
    target.client("cloudwatch").set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason=IMITATED, StateReasonData=reason_data(earlier)
    )


def genuine(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """CloudWatch's own: the alarm evaluated on the faulty datapoint goes to ALARM and its action publishes."""
    breach(target, PARAMS, 1.0)


def _copy(target: Target) -> dict[str, Any]:
    """CloudWatch's notification of the alarm's last change, written from what DescribeAlarms shows of it."""
    alarm = target.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    return {
        "AlarmName": ALARM,
        "AlarmArn": alarm["AlarmArn"],
        "NewStateValue": alarm["StateValue"],
        "OldStateValue": "OK",
        "NewStateReason": alarm["StateReason"],
        "StateChangeTime": _iso(alarm["StateUpdatedTimestamp"].timestamp()),
    }


def unsent_then_published(target: Target, topic: str, _queue: AlertQueue) -> None:
    """CloudWatch's real change while the alarm's actions are disabled (no message), actions enabled again, and a
    copy of the change published to the alarm's topic (sns:Publish)."""
    cloudwatch = target.client("cloudwatch")
    cloudwatch.disable_alarm_actions(AlarmNames=[ALARM])
    breach(target, PARAMS, 1.0)
    cloudwatch.enable_alarm_actions(AlarmNames=[ALARM])
    target.client("sns").publish(TopicArn=topic, Message=json.dumps(_copy(target)))


def failed_then_sent(target: Target, topic: str, queue: AlertQueue) -> None:
    """CloudWatch's real change whose publish to the topic failed (the topic's key refused CloudWatch), and a copy in
    SNS's envelope sent to the harness's queue (sqs:SendMessage)."""

    def refused(*_a: Any) -> None:
        raise RuntimeError("AccessDeniedException (Service: AWSKMS)")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(extension, "_publish", refused)
        breach(target, PARAMS, 1.0)
    body = {"Type": "Notification", "TopicArn": topic, "Message": json.dumps(_copy(target))}
    target.client("sqs").send_message(QueueUrl=queue.url, MessageBody=json.dumps(body))


def told(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tell: Any,
    alarm: Mapping[str, Any] = PARAMS,
    deadline_s: float = 3.0,
) -> Timeline:
    """``fault_told`` with no lag to wait out (moto in process records the history before anything is read)."""
    monkeypatch.setattr(provenance, "HISTORY_LAG_S", 0.0)
    return fault_told(monkeypatch, tmp_path, tell, alarm, deadline_s)


def refused(timeline: Timeline, deadline_s: float = 3.0) -> str:
    """The fault's failed verdict, which must be that no message of the alarm told of it (within ``deadline_s``)."""
    assert timeline.alarm_fired is None and timeline.detected_at is None, timeline.to_dict()
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    within = f"fault bronze-truncated: no ALARM message of {ALARM} arrived within {deadline_s:.0f} s"
    assert reason.startswith(within), reason
    return reason


def test_a_set_alarm_state_in_cloudwatchs_words_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, set_state_imitating))
    assert (
        "the alarm's history records that change with no stateReasonData: CloudWatch's evaluation records the "
        "datapoints it evaluated there, a SetAlarmState only what its caller wrote, so the state was set, not "
        "computed from what the faulty run published (however its reason reads)"
    ) in reason, reason
    assert "the detection is lost" not in reason, reason  # the set change's message arrived, and was refused


def test_state_reason_data_citing_a_datapoint_the_metric_does_not_have_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, set_state_with_written_data, deadline_s=3.0 + PERIOD), 3.0 + PERIOD)
    assert "where the metric has no datapoint (read back with GetMetricStatistics: Lakehouse/Pipeline" in reason, reason
    assert (
        "it is not CloudWatch's evaluation of its own datapoints but StateReasonData written by whoever set the state"
    ) in reason, reason


def test_state_reason_data_copied_from_an_earlier_change_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, set_state_with_copied_data))
    assert "the datapoints its change cites (1 (" in reason, reason
    assert (
        "hold none that breaches the alarm (Maximum GreaterThanOrEqualToThreshold 1) in a period that ends after "
        "the fault was injected at "
    ) in reason, reason


def test_a_set_alarm_state_citing_the_faulty_runs_real_datapoint_before_its_period_is_over_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, set_state_citing_the_real_datapoint_early))
    assert f"(DescribeAlarmHistory) cites the {PERIOD} s period from " in reason, reason
    assert (
        "not over at the change: CloudWatch evaluates only periods that are over (each one its evaluation lists ends "
        "by the evaluation's queryDate, which the change follows), so it is StateReasonData written by whoever set "
        "the state, before CloudWatch's evaluation would have changed it"
    ) in reason, reason


def test_a_copy_of_a_change_cloudwatch_did_not_send_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, unsent_then_published))
    assert (
        "but the alarm's history (DescribeAlarmHistory, Action) has no successful action of CloudWatch's sending that "
        "change there (actions recorded for the change at "
    ) in reason, reason
    assert ": none): CloudWatch did not send this message, another principal copied the change's time and reason" in (
        reason
    )
    assert "the detection is lost" not in reason, reason  # its change was heard, in a copy: refused, not lost


def test_a_copy_of_a_change_whose_publish_failed_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(told(monkeypatch, tmp_path, failed_then_sent))
    assert "Failed (AccessDeniedException (Service: AWSKMS))): CloudWatch did not send this message" in reason, reason


def test_healthy_twin_cloudwatchs_evaluation_and_its_own_message_is_the_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = told(monkeypatch, tmp_path, genuine)
    assert timeline.alarm_fired == ALARM and timeline.problem is None, timeline.problem
    assert timeline.refused == [], timeline.refused
    assert judge_mttr([timeline], 1800.0).passed


def test_an_action_items_history_data_cut_at_its_length_limit_still_ties_the_message() -> None:
    """HistoryData is at most 4,095 characters and an Action item carries the whole message it published: cut there
    it is no JSON, yet the fields before the message (topic, outcome, the change's instant) still tie it; a genuine
    message is not refused for CloudWatch's cut."""
    whole = json.dumps(
        {
            "error": None,
            "actionState": "Succeeded",
            "notificationResource": "arn:aws:sns:us-east-1:123456789012:alerts",
            "stateUpdateTimestamp": 1534368002381,
            "publishedMessage": json.dumps({"default": json.dumps({"AlarmName": "a" * 5000})}),
        }
    )
    assert provenance.history_data(whole[:4095]) == {
        "actionState": "Succeeded",
        "notificationResource": "arn:aws:sns:us-east-1:123456789012:alerts",
        "stateUpdateTimestamp": 1534368002381,
    }
    assert provenance.history_data(whole)["error"] is None
