"""KPI-mttr's detection must be this fault's: the alarm watches this stack's metric, and the faulty run breaches it.

The broken stacks: a fault's alarm edited to watch another stack's ``StackId`` (same metric name: it goes
to ALARM when the other stack's pipeline meets an empty input), and one whose threshold the faulty run's
own value does not reach (in ALARM, if at all, for another reason: an operator's SetAlarmState, another
publisher). Either message used to count as the fault's detection.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import judge_mttr, missing_alarms, not_breached_by_the_fault, watches_another_metric
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.chaos.settle import Settled
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from tests.unit.test_chaos_detection import ALARM, HEALTHY_ALARM, HEALTHY_VALUES, fresh_message, quiet_before

STACK = "lh-1"
FAULTY_VALUES = {**HEALTHY_VALUES, metrics.EMPTY_INPUTS: 1.0}  # the bronze-truncated run: one empty input
NOT_REACHED = (
    f"the faulty run's EmptyInputFiles Maximum = 1 does not breach alarm {ALARM} (EmptyInputFiles Maximum >= 2)"
)
OTHER_STACK = {**HEALTHY_ALARM, "Dimensions": [{"Name": metrics.DIMENSION, "Value": "lh-2"}]}


def test_the_stacks_own_alarm_watches_its_metric_and_the_faulty_run_breaches_it() -> None:
    assert watches_another_metric(ALARM, HEALTHY_ALARM, STACK) is None
    assert not_breached_by_the_fault(ALARM, HEALTHY_ALARM, FAULTY_VALUES) is None
    assert missing_alarms({"bronze-truncated": [ALARM]}, {ALARM: HEALTHY_ALARM}, STACK) == {}


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"Dimensions": [{"Name": "StackId", "Value": "lh-2"}]}, "[StackId=lh-2]"),
        ({"Dimensions": []}, "[no dimension]"),
        (
            {"Dimensions": [{"Name": "StackId", "Value": STACK}, {"Name": "Table", "Value": "orders"}]},
            "[StackId=lh-1, Table=orders]",
        ),
        ({"Namespace": "Lakehouse/Other"}, "watches Lakehouse/Other EmptyInputFiles [StackId=lh-1]"),
    ],
)
def test_an_alarm_on_another_metric_is_not_this_stacks(change: dict[str, Any], shown: str) -> None:
    why = watches_another_metric(ALARM, {**HEALTHY_ALARM, **change}, STACK)
    assert why is not None and why.startswith(f"alarm {ALARM} watches ") and shown in why
    assert "not the metric this stack's pipeline publishes (Lakehouse/Pipeline [StackId=lh-1])" in why


def test_a_fault_whose_only_alarm_watches_another_stack_fails_before_injection_naming_it() -> None:
    problems = missing_alarms({"bronze-truncated": [ALARM]}, {ALARM: OTHER_STACK}, STACK)
    assert problems["bronze-truncated"].startswith(f"fault bronze-truncated: alarm {ALARM} watches ")
    assert "[StackId=lh-2]" in problems["bronze-truncated"]


@pytest.mark.parametrize(
    ("alarm", "values", "shown"),
    [
        (
            {**HEALTHY_ALARM, "Threshold": 2.0},
            FAULTY_VALUES,
            NOT_REACHED,
        ),
        (HEALTHY_ALARM, HEALTHY_VALUES, "EmptyInputFiles Maximum = 0 does not breach"),
        (
            HEALTHY_ALARM,
            {metrics.RUNS: 1.0},
            f"the faulty run published no EmptyInputFiles, so alarm {ALARM} (EmptyInputFiles Maximum >= 1)",
        ),
        ({**HEALTHY_ALARM, "ComparisonOperator": "GreaterThanUpperThreshold"}, FAULTY_VALUES, "is not a threshold"),
    ],
)
def test_an_alarm_the_faulty_run_does_not_breach_is_not_its_detection(
    alarm: dict[str, Any], values: dict[str, float], shown: str
) -> None:
    why = not_breached_by_the_fault(ALARM, alarm, values)
    assert why is not None and shown in why


def test_values_whose_put_failed_were_not_published() -> None:
    result = PipelineResult()
    result.metrics = {"sent": 0, "failed": 6, "errors": ["throttled"], "values": FAULTY_VALUES}
    assert chaos_run.published_values(ScheduledRun(result, EmissionStats(None, "x"), Path("."))) == {}


# -- run_fault with fakes for the stack: what is listened to, and the timeline's evidence ----------------------------


class ListeningQueue:
    """The harness's queue: the ALARM message of ``ALARM`` arrives, if it is listened to."""

    def __init__(self) -> None:
        self.listened: list[set[str]] = []
        self.own: frozenset[str] = frozenset()  # the harness's SenderIds (``AlertQueue.own``)

    def drain(self) -> None:
        pass

    def wait_for(
        self, alarms: set[str], deadline: float, why_not: Callable[[AlarmMessage], str | None]
    ) -> AlarmMessage | None:
        self.listened.append(alarms)
        if ALARM not in alarms:
            return None
        message = fresh_message()
        return message if why_not(message) is None else None


def _scheduled(values: dict[str, float]) -> ScheduledRun:
    result = PipelineResult()
    result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values}
    return ScheduledRun(result, EmissionStats(None, "lakehouse-lh-1"), Path("."))


def _run_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarm: dict[str, Any]) -> tuple[Any, ListeningQueue]:
    runs = iter([FAULTY_VALUES, HEALTHY_VALUES])  # after the fault, then recovery
    monkeypatch.setattr(chaos_run, "wait_quiet", lambda *_a: Settled([]))
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "alarms_before", quiet_before)
    monkeypatch.setattr(chaos_run, "unconfirmed", lambda *_a, **_k: None)  # CloudWatch recorded each change
    monkeypatch.setattr(chaos_run, "resent", lambda *_a: None)  # SNS delivered each message
    monkeypatch.setattr(chaos_run, "run_from_bronze", lambda *_a: _scheduled(next(runs)))
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault(
        "bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection("cut")
    )
    ctx = ChaosContext(target=None, outputs={}, stack_id=STACK)  # type: ignore[arg-type]
    queue = ListeningQueue()
    timeline = chaos_run.run_fault(ctx, fault, queue, Criteria(expected_row={}), 1800.0, tmp_path, {ALARM: alarm})  # type: ignore[arg-type]
    return timeline, queue


def test_the_healthy_alarm_is_listened_to_and_detects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, HEALTHY_ALARM)
    assert queue.listened == [{ALARM}] and timeline.ignored == {}
    assert timeline.alarm_fired == ALARM and timeline.problem is None
    assert judge_mttr([timeline], 1800.0).passed


@pytest.mark.parametrize(
    ("alarm", "shown"),
    [
        (OTHER_STACK, f"alarm {ALARM} watches Lakehouse/Pipeline EmptyInputFiles [StackId=lh-2], not the metric"),
        (
            {**HEALTHY_ALARM, "Threshold": 2.0},
            NOT_REACHED,
        ),
    ],
)
def test_an_alarm_that_cannot_tell_of_the_fault_is_not_listened_to_and_the_kpi_fails_naming_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarm: dict[str, Any], shown: str
) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, alarm)
    assert queue.listened == []  # its message, were it to come, is not waited for
    assert timeline.alarm_fired is None and timeline.detected_at is None
    assert timeline.recovered_at is not None  # the stack is mended all the same
    assert shown in timeline.ignored[ALARM]
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(
        "fault bronze-truncated: none of its alarms can tell of it, so no message is its detection: "
    )
    assert shown in str(outcome.reason)
    assert outcome.details["faults"][0]["alarms_ignored"] == timeline.ignored
