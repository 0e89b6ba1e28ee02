"""KPI-mttr's detection judges M-of-N alarms as CloudWatch evaluates them.

The chaos loop runs the pipeline once after the fault: the fault puts one datapoint per metric, in one
period. The broken stacks: a fault's alarm edited to ``DatapointsToAlarm`` 3 of ``EvaluationPeriods`` 5 (or
``EvaluationPeriods`` 2 with no ``DatapointsToAlarm``: 2 of 2). CloudWatch never raises it on the fault's one
breaching period; when it goes to ALARM it counts other periods (an earlier fault's run, missing data treated
as breaching), yet its message used to count as the fault's detection, because only the one value was
compared with the threshold. And a 1-of-3 alarm treating missing data as breaching: CloudWatch raises it on a
healthy run's datapoint alone (the two empty periods breach), so its ALARM after a fault proves nothing, yet
only the healthy value was compared with the threshold. The healthy twins: the stack's own shape (1 of N,
missing data not breaching) and a 1-of-1 alarm are still this fault's detection.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos.mttr import fires_without_the_fault, judge_mttr, not_breached_by_the_fault
from lakehouse.outcome import Status
from tests.unit.test_chaos_alarm_identity import FAULTY_VALUES, _run_fault
from tests.unit.test_chaos_detection import ALARM, HEALTHY_ALARM, HEALTHY_VALUES

#: infra/alarms.tf's shape: one breaching datapoint among N periods raises it, empty periods do not breach.
ONE_OF_FIVE = {**HEALTHY_ALARM, "EvaluationPeriods": 5, "DatapointsToAlarm": 1, "TreatMissingData": "notBreaching"}
THREE_OF_FIVE = {**ONE_OF_FIVE, "DatapointsToAlarm": 3, "TreatMissingData": "breaching"}
TWO_OF_TWO = {**HEALTHY_ALARM, "EvaluationPeriods": 2}  # DatapointsToAlarm absent: M = N
GAPS_BREACH = {**ONE_OF_FIVE, "EvaluationPeriods": 3, "TreatMissingData": "breaching"}
#: A published_at in the middle of a 10 s period, and one on its boundary.
AT = (1_796_000_005.5, 1_796_000_010.0)


@pytest.mark.parametrize("at", AT)
@pytest.mark.parametrize(
    "alarm",
    [
        ONE_OF_FIVE,
        {**ONE_OF_FIVE, "TreatMissingData": "missing"},
        {**ONE_OF_FIVE, "TreatMissingData": "ignore"},
        {**HEALTHY_ALARM, "EvaluationPeriods": 1},
        HEALTHY_ALARM,  # no EvaluationPeriods, no DatapointsToAlarm: 1 of 1
    ],
)
def test_an_alarm_one_breaching_period_raises_is_the_faults_and_quiet_on_a_healthy_run(
    alarm: dict[str, Any], at: float
) -> None:
    assert not_breached_by_the_fault(ALARM, alarm, FAULTY_VALUES, at) is None
    assert fires_without_the_fault(ALARM, alarm, HEALTHY_VALUES, at) is None


def test_one_of_one_treating_missing_data_as_breaching_is_decided_by_the_runs_own_datapoint() -> None:
    alarm = {**HEALTHY_ALARM, "EvaluationPeriods": 1, "TreatMissingData": "breaching"}
    assert not_breached_by_the_fault(ALARM, alarm, FAULTY_VALUES) is None
    assert fires_without_the_fault(ALARM, alarm, HEALTHY_VALUES) is None


@pytest.mark.parametrize("at", AT)
@pytest.mark.parametrize(
    ("alarm", "m_of_n", "state"),
    [
        (THREE_OF_FIVE, "DatapointsToAlarm 3 of EvaluationPeriods 5", "OK"),
        ({**THREE_OF_FIVE, "TreatMissingData": "missing"}, "DatapointsToAlarm 3 of EvaluationPeriods 5", "OK"),
        (TWO_OF_TWO, "DatapointsToAlarm 2 of EvaluationPeriods 2", "OK"),
    ],
)
def test_an_m_of_n_alarm_the_faults_one_period_cannot_raise_is_not_its_detection(
    alarm: dict[str, Any], m_of_n: str, state: str, at: float
) -> None:
    why = not_breached_by_the_fault(ALARM, alarm, FAULTY_VALUES, at)
    assert why is not None, "an alarm CloudWatch does not raise on the fault's one datapoint was listened to"
    assert why.startswith(
        f"the faulty run's EmptyInputFiles Maximum = 1 breaches alarm {ALARM} (EmptyInputFiles Maximum >= 1) in one "
        f"period, but the alarm has {m_of_n}"
    )
    assert f"CloudWatch stays {state} on it alone" in why


def test_an_alarm_missing_data_raises_around_a_healthy_run_fires_without_the_fault() -> None:
    why = fires_without_the_fault(ALARM, GAPS_BREACH, HEALTHY_VALUES, AT[0])
    assert why is not None, "an alarm CloudWatch raises on a healthy run's datapoint alone passed"
    assert why.startswith(
        f"alarm {ALARM} (EmptyInputFiles Maximum >= 1) goes to ALARM on the healthy recovery run's EmptyInputFiles "
        "Maximum = 0 alone: with DatapointsToAlarm 1 of EvaluationPeriods 3"
    )
    assert "TreatMissingData breaching" in why


def test_an_m_of_n_alarm_no_cloudwatch_accepts_is_not_listened_to() -> None:
    why = not_breached_by_the_fault(ALARM, {**ONE_OF_FIVE, "DatapointsToAlarm": 6}, FAULTY_VALUES)
    assert why is not None and "DatapointsToAlarm 6 is not within 1..5" in why


# -- run_fault: the fault's timeline with each alarm (the queue delivers the alarm's ALARM message if listened) ------


def test_the_stacks_one_of_n_alarm_detects_the_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, ONE_OF_FIVE)
    assert queue.listened == [{ALARM}] and timeline.ignored == {}
    assert timeline.alarm_fired == ALARM and timeline.problem is None
    assert judge_mttr([timeline], 1800.0).passed


def test_a_three_of_five_alarm_is_not_listened_to_and_the_kpi_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, THREE_OF_FIVE)
    assert queue.listened == [], "the ALARM message of a 3-of-5 alarm counted as the fault's detection"
    assert timeline.alarm_fired is None and timeline.recovered_at is not None
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED
    assert "none of its alarms can tell of it" in str(outcome.reason)
    assert "DatapointsToAlarm 3 of EvaluationPeriods 5" in str(outcome.reason)


def test_a_one_of_three_alarm_breaching_on_empty_periods_fails_the_kpi_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, _queue = _run_fault(monkeypatch, tmp_path, GAPS_BREACH)
    assert timeline.alarm_fired == ALARM  # the faulty datapoint alone does raise it ...
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED, "an alarm raised by empty periods around any run counted as detection"
    assert str(outcome.reason).startswith(f"fault bronze-truncated: alarm {ALARM} (EmptyInputFiles Maximum >= 1) goes")
    assert "TreatMissingData breaching" in str(outcome.reason)
