"""KPI-mttr: an alarm that treats missing data as breaching tells of a fault by the absence CloudWatch evaluated.

CloudWatch raises such an alarm when no datapoint came ("Threshold Crossed: no datapoints were received for 1 period
and 1 missing datapoint was treated as [Breaching]."), and its history's ``stateReasonData`` lists the periods it
found empty by their ``timestamp`` alone, with no ``value`` (describe-alarm-history of such a change). Main refused
every such change, so a stack whose alarm CloudWatch really raised on the absence after the fault failed the KPI
(the healthy twin). Now it counts when the alarm's ``TreatMissingData`` is ``breaching`` (DescribeAlarms), each
period it lists ends after the injection and was over at the change, and the metric has no datapoint there (read
back with GetMetricStatistics). The forged twins stay refused: a SetAlarmState whose StateReasonData lists as empty
a period the metric has a datapoint in, one before the injection, or one not over at the change.

moto in process: SQS, SNS, CloudWatch with the emulator's alarm history and actions (``cloudwatch_history``) and its
evaluation (``alarm_evaluation``), as ``test_chaos_alarm_provenance`` does.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import provenance
from lakehouse.chaos.alerts import AlarmMessage, AlertQueue
from lakehouse.chaos.detection import AlarmBefore, not_this_faults
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.target import Target
from tests.unit.alarm_evaluation import evaluate, until_period_over
from tests.unit.test_chaos_alarm_provenance import _iso, refused, state_reason_data, told
from tests.unit.test_chaos_alarm_reconfigured import PARAMS

ALARM = str(PARAMS["AlarmName"])
PERIOD = int(PARAMS["Period"])
#: The fault's alarm as a stack may configure it: no datapoint in a period is itself an incident.
ABSENCE_BREACHES: dict[str, Any] = {**PARAMS, "TreatMissingData": "breaching"}
#: CloudWatch's reason when missing data treated as breaching raised a 1-period alarm.
NO_DATA = (
    "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [Breaching]."
)


def absent(start: float) -> str:
    """StateReasonData in CloudWatch's shape for a period from ``start`` (epoch seconds) found empty."""
    return state_reason_data(start, [{"timestamp": _iso(start)}], [])


def genuine_absence(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """No datapoint comes after the fault: once the injection's period is over, CloudWatch's evaluation finds it
    empty and, missing data breaching, raises the alarm; its action publishes CloudWatch's message."""
    until_period_over(PERIOD)  # the injection's period is found empty once it ends
    evaluate(target, [ALARM])


def _set_absent(target: Target, start: float) -> None:
    """SetAlarmState to ALARM in CloudWatch's words and shape, listing the period from ``start`` as empty."""
    target.client("cloudwatch").set_alarm_state(
        AlarmName=ALARM, StateValue="ALARM", StateReason=NO_DATA, StateReasonData=absent(start)
    )


def set_state_citing_a_period_with_data(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """A datapoint (not breaching) comes after the fault; once its period is over, SetAlarmState lists it as empty."""
    now = time.time()
    datum = {"MetricName": PARAMS["MetricName"], "Dimensions": PARAMS["Dimensions"], "Value": 0.0, "Timestamp": now}
    target.client("cloudwatch").put_metric_data(
        Namespace=PARAMS["Namespace"], MetricData=[{**datum, "StorageResolution": 1}]
    )
    _set_absent(target, until_period_over(PERIOD))


def set_state_citing_a_period_before_the_fault(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """SetAlarmState listing as empty a period over before the injection (nothing was published there)."""
    _set_absent(target, math.floor(time.time() / PERIOD) * PERIOD - 2 * PERIOD)


def set_state_citing_a_period_not_over(target: Target, _topic: str, _queue: AlertQueue) -> None:
    """SetAlarmState listing as empty the next period, which nothing has been published in yet."""
    _set_absent(target, math.floor(time.time() / PERIOD) * PERIOD + PERIOD)


def _fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tell: Any, deadline_s: float = 3.0) -> Timeline:
    """``told`` with the alarm treating missing data as breaching."""
    return told(monkeypatch, tmp_path, tell, ABSENCE_BREACHES, deadline_s)


def test_healthy_twin_cloudwatchs_evaluation_of_missing_data_as_breaching_is_the_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _fault(monkeypatch, tmp_path, genuine_absence, 3.0 + PERIOD)  # the injection's period ends first
    assert timeline.refused == [], timeline.refused
    assert timeline.alarm_fired == ALARM and timeline.problem is None, timeline.problem
    assert timeline.message is not None and timeline.message["reason"] == NO_DATA, timeline.message
    assert timeline.before[ALARM]["treat_missing_data"] == "breaching"
    assert judge_mttr([timeline], 1800.0).passed


def test_state_reason_data_listing_as_empty_a_period_the_metric_has_data_in_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(_fault(monkeypatch, tmp_path, set_state_citing_a_period_with_data, 3.0 + PERIOD), 3.0 + PERIOD)
    assert "its change says no datapoint came for the period from " in reason, reason
    assert (
        "where the metric has Maximum 0 (read back with GetMetricStatistics: Lakehouse/Pipeline EmptyInputFiles, "
        f"Maximum per {PERIOD} s): it is not CloudWatch's evaluation of its own metric but StateReasonData written "
        "by whoever set the state"
    ) in reason, reason


def test_state_reason_data_listing_as_empty_a_period_before_the_fault_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(_fault(monkeypatch, tmp_path, set_state_citing_a_period_before_the_fault))
    assert "its change counts missing data as breaching for the periods from " in reason, reason
    assert (
        "which end before the fault was injected at " in reason
        and "an absence before the fault is no evaluation of the faulty run" in reason
    ), reason


def test_state_reason_data_listing_as_empty_a_period_not_over_is_no_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reason = refused(_fault(monkeypatch, tmp_path, set_state_citing_a_period_not_over))
    assert "not over at the change: CloudWatch evaluates only periods that are over" in reason, reason
    assert "so it is StateReasonData written by whoever set the state" in reason, reason


def test_a_missing_data_reason_is_the_evaluation_only_of_an_alarm_that_treats_missing_data_as_breaching() -> None:
    """The message's words alone: "no datapoints were received" is CloudWatch's reason only where missing data
    breaches (its periods are then checked against the metric); for another alarm it is no evaluation of its."""
    injected = datetime(2026, 12, 7, 8, 0, 0, tzinfo=UTC)
    changed = "2026-12-07T08:00:10.120+0000"
    message = AlarmMessage(ALARM, "ALARM", NO_DATA, "topic", 0.0, changed, "OK", "arn")
    since = datetime(2026, 12, 7, 7, 0, 0, tzinfo=UTC)  # the alarm's last change before the fault
    breaching = {ALARM: AlarmBefore("OK", since, "arn", "breaching")}
    assert not_this_faults(message, breaching, injected.timestamp()) is None
    for treatment in ("notBreaching", "missing", None):
        why = not_this_faults(message, {ALARM: AlarmBefore("OK", since, "arn", treatment)}, injected.timestamp())
        assert why is not None and "says missing data raised it, not the faulty run's datapoint" in why, why
        assert f"but the alarm treats missing data as {treatment or 'missing (the default)'}" in why, why


def test_an_empty_period_does_not_vouch_for_a_breaching_value_the_metric_does_not_have(moto_aws: None) -> None:
    """Fixed past periods, no clock: a change listing two periods the metric has no datapoint in, after the
    injection and over at the change, is CloudWatch's evaluation; the same with one of them given a breaching value
    (StateReasonData written by hand) is not, though the other period is really empty."""
    target = Target(name="aws", region="us-east-1")
    target.client("cloudwatch").put_metric_alarm(**ABSENCE_BREACHES)
    alarm = target.client("cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    first = math.floor(time.time() / PERIOD) * PERIOD - 30 * PERIOD
    injected, changed = first - 1.0, datetime.fromtimestamp(first + 2 * PERIOD + 0.5, UTC)
    message = AlarmMessage(ALARM, "ALARM", NO_DATA, "topic", 0.0, _iso(changed.timestamp()), "OK", "arn")
    empty = [{"timestamp": _iso(first + PERIOD)}, {"timestamp": _iso(first)}]
    update = provenance.StateUpdate(changed, "OK", "ALARM", NO_DATA, {"evaluatedDatapoints": empty})
    assert provenance.not_the_metrics(target, message, update, alarm, injected) is None
    written = [{"timestamp": _iso(first + PERIOD), "sampleCount": 1.0, "value": 1.0}, empty[1]]
    update = provenance.StateUpdate(changed, "OK", "ALARM", NO_DATA, {"evaluatedDatapoints": written})
    why = provenance.not_the_metrics(target, message, update, alarm, injected)
    assert why is not None and "where the metric has no datapoint (read back with GetMetricStatistics" in why, why
