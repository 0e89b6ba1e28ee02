"""KPI-mttr's detection must be a change to ALARM after the injection, not a message that merely arrives after it.

The broken stacks: the fault's alarm never fires (its ALARM notification is lost, or it cannot see the
fault), but an ALARM message of it arrives after the injection all the same: the previous fault's, delivered
late by SNS, or one CloudWatch sent before the fault while the alarm was already in ALARM. The harness counted
any ALARM message of the alarm as the detection. ``run_fault`` runs here with the stack stood in for; the
messages are the JSON bodies SQS hands over, as ``AlertQueue`` parses them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import AlarmMessage, parse_message
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.chaos.settle import Settled
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from tests.unit.test_chaos_detection import ALARM, HEALTHY_ALARM, HEALTHY_VALUES

FAULTY_VALUES = {**HEALTHY_VALUES, metrics.EMPTY_INPUTS: 1.0}
CROSSED = "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (06/12/26 10:00:00)] was greater than or equal to"


def stamp(moment: datetime) -> str:
    """CloudWatch's StateChangeTime format (2026-12-03T11:21:05.123+0000)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def body(changed: datetime, old: str = "OK", reason: str = CROSSED) -> str:
    """An SNS envelope carrying CloudWatch's ALARM notification of ``ALARM``, as the harness's queue receives it."""
    message = {
        "AlarmName": ALARM,
        "NewStateValue": "ALARM",
        "OldStateValue": old,
        "NewStateReason": reason,
        "StateChangeTime": stamp(changed),
    }
    return json.dumps(
        {"Type": "Notification", "TopicArn": "arn:aws:sns:us-east-1:1:alerts", "Message": json.dumps(message)}
    )


class Stack:
    """The alarm as CloudWatch has it: its state before the fault, and the messages the queue then receives.

    ``messages``: each made when the harness waits (after the injection) from the moment the alarm last
    changed state before the fault (``since``), so the test's times do not depend on how fast it runs.
    """

    def __init__(self, state: str, messages: list[Callable[[datetime], str]]) -> None:
        self.state = state
        self.since = datetime.now(UTC) - timedelta(seconds=1)
        self.messages = messages
        self.read_before = False
        self.own: frozenset[str] = frozenset()  # the harness's SenderIds (``AlertQueue.own``)

    def alarms_before(self, _target: Any, names: list[str]) -> dict[str, Any]:
        from lakehouse.chaos.detection import AlarmBefore

        self.read_before = True
        return {n: AlarmBefore(self.state, self.since) for n in names}

    def drain(self) -> None:
        pass

    def wait_for(
        self, alarms: set[str], deadline: float, why_not: Callable[[AlarmMessage], str | None] | None = None
    ) -> AlarmMessage | None:
        for make in self.messages:
            message = parse_message(make(self.since), time.time())
            assert message is not None
            if message.alarm in alarms and message.state == "ALARM" and (why_not is None or why_not(message) is None):
                return message
        return None


def _scheduled(values: dict[str, float]) -> ScheduledRun:
    result = PipelineResult()
    result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values}
    return ScheduledRun(result, EmissionStats(None, "lakehouse-lh-1"), Path("."))


def run_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack) -> Timeline:
    runs = iter([FAULTY_VALUES, HEALTHY_VALUES])  # after the fault, then recovery
    monkeypatch.setattr(chaos_run, "wait_quiet", lambda *_a: Settled([]))
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "alarms_before", stack.alarms_before, raising=False)
    monkeypatch.setattr(chaos_run, "unconfirmed", lambda *_a, **_k: None)  # CloudWatch recorded each change
    monkeypatch.setattr(chaos_run, "resent", lambda *_a: None)  # SNS delivered each message
    monkeypatch.setattr(chaos_run, "run_from_bronze", lambda *_a: _scheduled(next(runs)))
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault(
        "bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection("cut")
    )
    ctx = ChaosContext(target=None, outputs={}, stack_id="lh-1")  # type: ignore[arg-type]
    return chaos_run.run_fault(
        ctx,
        fault,
        stack,  # type: ignore[arg-type]
        Criteria(expected_row={}),
        1800.0,
        tmp_path,
        {ALARM: HEALTHY_ALARM},
    )


def previous_faults(since: datetime) -> str:
    """The previous fault's ALARM message, delivered late: the alarm changed to ALARM a minute before the fault."""
    return body(since - timedelta(seconds=60))


def just_before(since: datetime) -> str:
    """A late message of a change to ALARM just before the alarm's last change (to OK) before the fault.

    Within the clock tolerance of the injection: only CloudWatch's own order of the two changes shows it stale.
    """
    return body(since - timedelta(milliseconds=500))


def this_faults(_since: datetime) -> str:
    """The fault's own: the alarm changed from OK to ALARM now, after the injection."""
    return body(datetime.now(UTC))


@pytest.mark.parametrize("late", [previous_faults, just_before], ids=["previous-fault", "just-before"])
def test_a_late_alarm_message_of_an_earlier_change_is_no_detection_and_the_kpi_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, late: Callable[[datetime], str]
) -> None:
    stack = Stack("OK", [late])
    timeline = run_fault(monkeypatch, tmp_path, stack)
    assert timeline.detected_at is None and timeline.alarm_fired is None, timeline.to_dict()
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    changed = json.loads(json.loads(late(stack.since))["Message"])["StateChangeTime"]
    assert reason.startswith(f"fault bronze-truncated: no ALARM message of {ALARM} arrived within 1800 s")
    assert f"alarm {ALARM}'s ALARM message (StateChangeTime {changed})" in reason
    assert "not this fault's" in reason
    assert timeline.to_dict()["messages_refused"] == timeline.refused and len(timeline.refused) == 1


def test_the_faults_own_change_to_alarm_is_its_detection_after_a_late_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stack = Stack("OK", [previous_faults, this_faults])
    timeline = run_fault(monkeypatch, tmp_path, stack)
    assert timeline.problem is None and timeline.alarm_fired == ALARM
    assert timeline.injected_at is not None
    assert datetime.fromisoformat(timeline.message["state_changed_at"]).timestamp() >= timeline.injected_at - 1  # type: ignore[index]
    assert len(timeline.refused) == 1  # the late one, kept as evidence
    assert timeline.before == {
        ALARM: {
            "state": "OK",
            "since": stack.since.isoformat(timespec="milliseconds"),
            "arn": None,
            "treat_missing_data": None,
        }
    }
    assert judge_mttr([timeline], 1800.0).passed


def test_an_alarm_already_in_alarm_before_the_fault_is_not_injected_and_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Settled, then the alarm went to ALARM before the injection: a message of it cannot be this fault's."""
    stack = Stack("ALARM", [this_faults])
    timeline = run_fault(monkeypatch, tmp_path, stack)
    assert stack.read_before and timeline.injected_at is None and timeline.detected_at is None
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(
        f"fault bronze-truncated: alarm {ALARM} (since {stack.since.isoformat(timespec='milliseconds')}) is in ALARM "
        "just before the fault"
    )


def test_the_faults_own_change_to_alarm_is_its_detection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stack = Stack("INSUFFICIENT_DATA", [this_faults])
    timeline = run_fault(monkeypatch, tmp_path, stack)
    assert timeline.problem is None and timeline.alarm_fired == ALARM
    assert judge_mttr([timeline], 1800.0).passed


def forced(_since: datetime) -> str:
    """An ALARM set by SetAlarmState after the injection (an alert drill), not computed from the faulty run's data."""
    return body(datetime.now(UTC), reason="Alarm drill: paging the on-call rotation")


def missing_data(_since: datetime) -> str:
    """An ALARM after the injection that missing data raised (TreatMissingData breaching), not the faulty datapoint."""
    reason = (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as "
        "[Breaching]."
    )
    return body(datetime.now(UTC), reason=reason)


@pytest.mark.parametrize(
    ("other", "shown"),
    [
        (forced, "is not CloudWatch's evaluation of the metric (Threshold Crossed...)"),
        (missing_data, "says missing data raised it, not the faulty run's datapoint"),
    ],
    ids=["set-alarm-state", "missing-data"],
)
def test_an_alarm_not_raised_by_the_faulty_runs_datapoint_is_no_detection_and_the_kpi_fails_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, other: Callable[[datetime], str], shown: str
) -> None:
    timeline = run_fault(monkeypatch, tmp_path, Stack("OK", [other]))
    assert timeline.detected_at is None, timeline.to_dict()
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED and shown in str(outcome.reason) and ALARM in str(outcome.reason)
