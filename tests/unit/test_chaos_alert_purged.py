"""KPI-mttr: the fault's ALARM message taken from the harness's queue before it was read is named, not "no alert".

Detection is the ALARM message on the harness's own SQS queue (``AlertQueue``); it reads the queue only while it
waits, after the faulty run. The broken case: the alarm goes to ALARM and CloudWatch's message lands on the queue,
then the queue is purged (PurgeQueue) before the harness reads it. The fault fails as undetected whatever; main said
only that no message arrived, as if the stack had told nobody. Now the alarms are read again when no message came,
and one CloudWatch has in ALARM since after the read before the fault is named with the evidence lost. The healthy
twin: the same message left on the queue is the fault's detection and the fault passes.

moto in process: SQS, SNS (delivering to the queue) and CloudWatch with the emulator's alarm history
(``cloudwatch_history``: the harness ties each message to its change there) and evaluation (``alarm_evaluation``:
the faulty datapoint raises the alarm, whose action publishes CloudWatch's notification to the alarm's topic).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import AlertQueue
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria
from lakehouse.chaos.settle import Settled
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.target import Target
from tests.unit.alarm_evaluation import breach
from tests.unit.test_chaos_alarm_reconfigured import PARAMS, STACK
from tests.unit.test_chaos_detection import HEALTHY_VALUES, _scheduled

ALARM = str(PARAMS["AlarmName"])


def _notify(target: Target, topic: str) -> None:
    """What CloudWatch does when the faulty run's datapoint breaches: the alarm evaluated on it goes to ALARM and its
    action publishes the notification to the alarm's topic (``topic``: the one ``fault_told`` made the alarm's)."""
    breach(target, PARAMS, 1.0)


def fault_told(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    tell: Any,
    alarm: Mapping[str, Any] = PARAMS,
    deadline_s: float = 3.0,
) -> Timeline:
    """``run_fault`` with moto's queue, topic and alarm; the faulty run is followed by ``tell(target, topic, queue)``
    (what reaches, or leaves, the harness's queue). ``alarm``: its PutMetricAlarm parameters (``PARAMS``'s name);
    ``deadline_s``: the fault's deadline, from before the injection."""
    target = Target(name="aws", region="us-east-1")
    topic = target.client("sns").create_topic(Name=f"lakehouse-{STACK}-alerts")["TopicArn"]
    target.client("cloudwatch").put_metric_alarm(**{**alarm, "AlarmActions": [topic]})
    target.client("cloudwatch").set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="quiet")
    queue = AlertQueue.create(target, STACK, [topic])
    runs = iter([{**HEALTHY_VALUES, metrics.EMPTY_INPUTS: 1.0}, HEALTHY_VALUES])  # after the fault, then recovery

    def run_from_bronze(*_a: Any) -> Any:
        values = next(runs)
        if values[metrics.EMPTY_INPUTS]:
            tell(target, topic, queue)
        return _scheduled(values)

    monkeypatch.setattr(chaos_run, "wait_quiet", lambda *_a: Settled([]))
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "run_from_bronze", run_from_bronze)
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault("bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection(""))
    ctx = ChaosContext(target=target, outputs={}, stack_id=STACK)
    described = chaos_run.describe_alarms(target, [ALARM])
    try:
        return chaos_run.run_fault(ctx, fault, queue, Criteria(expected_row={}), deadline_s, tmp_path, described)
    finally:
        queue.close()


def _fault(moto_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, purge: bool) -> Timeline:
    """The faulty run raises the alarm (``purge``: and then the harness's queue is purged before the harness waits
    on it)."""

    def tell(target: Target, topic: str, queue: AlertQueue) -> None:
        _notify(target, topic)
        if purge:
            target.client("sqs").purge_queue(QueueUrl=queue.url)

    return fault_told(monkeypatch, tmp_path, tell)


def test_an_alarm_message_purged_from_the_harness_queue_is_named_as_lost_evidence(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _fault(cloudwatch_history, monkeypatch, tmp_path, purge=True)
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith(f"fault bronze-truncated: no ALARM message of {ALARM} arrived within 3 s"), reason
    assert f"yet CloudWatch has alarm {ALARM} (ALARM since " in reason, reason
    assert (
        "changed to ALARM after the read before the fault: its message was not sent (its actions), not delivered, or "
        "taken from the harness's queue before the harness read it (PurgeQueue, another consumer's ReceiveMessage "
        "and DeleteMessage): the detection is lost, not shown absent"
    ) in reason, reason


def test_healthy_twin_the_message_left_on_the_queue_is_the_detection(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _fault(cloudwatch_history, monkeypatch, tmp_path, purge=False)
    assert timeline.alarm_fired == ALARM and timeline.problem is None, timeline.problem
    assert judge_mttr([timeline], 1800.0).passed


def test_an_alarm_that_never_fired_is_not_said_to_be_lost(
    cloudwatch_history: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No message and no change to ALARM: plain "no message arrived", nothing said of a purge."""
    monkeypatch.setattr("tests.unit.test_chaos_alert_purged._notify", lambda *_a: None)
    timeline = _fault(cloudwatch_history, monkeypatch, tmp_path, purge=True)
    assert timeline.problem == f"fault bronze-truncated: no ALARM message of {ALARM} arrived within 3 s", (
        timeline.problem
    )
