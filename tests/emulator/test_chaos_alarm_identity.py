"""KPI-mttr's detection through the emulator's CloudWatch, SNS and SQS: only this fault's alarm counts.

The chaos loop (``run_chaos``) runs for real against the emulator: DescribeAlarms, the harness's SQS
subscriber of the alerts topic, alarms evaluated on PutMetricData. The pipeline runs are stood in for
by what they publish (``metrics.metric_data``, the pipeline's own datapoints); the runbook and exit
checks by fakes that pass. The broken stacks: the fault's alarm on another stack's ``StackId``, which
the other stack's empty input sets off; and one whose threshold the faulty run does not reach, set to
ALARM by an operator testing the alert path. Either used to be the fault's "detection".
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import Target, local_target
from tests.emulator.chaos_inbox import subscribe_inbox
from tests.emulator.conftest import REGION

FAULT = "bronze-truncated"
HEALTHY = {metrics.RUNS: 1.0, metrics.FAILURES: 0.0, metrics.ROWS_REFUSED: 3.0, metrics.EMPTY_INPUTS: 0.0}
FAULTY = {**HEALTHY, metrics.EMPTY_INPUTS: 1.0}


def _publish(target: Target, stack_id: str, values: dict[str, float], at: float | None = None) -> None:
    data = metrics.metric_data(values, stack_id, time.time() if at is None else at)
    target.client("cloudwatch").put_metric_data(Namespace=metrics.NAMESPACE, MetricData=data)


def _run(target: Target, stack_id: str, values: dict[str, float]) -> ScheduledRun:
    """A pipeline run of ``stack_id`` as CloudWatch sees it: its datapoints, and what it says it put."""
    _publish(target, stack_id, values)
    result = PipelineResult()
    result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values}
    return ScheduledRun(result, EmissionStats(None, f"lakehouse-{stack_id}"), Path("."))


@pytest.fixture
def stack(emulator: EmulatorHandle) -> Iterator[ChaosContext]:
    """A stack of its own: an alerts topic (its alarm is the test's), ids unique in the shared emulator."""
    target = local_target(emulator.endpoint, REGION)
    ctx = ChaosContext(target, {}, f"mt{uuid.uuid4().hex[:8]}")
    topic = target.client("sns").create_topic(
        Name=f"{ctx.prefix}-alerts", Tags=[{"Key": "stack_id", "Value": ctx.stack_id}]
    )["TopicArn"]
    ctx.outputs["topic"] = topic
    remove_inbox = subscribe_inbox(target, topic, f"{ctx.prefix}-alerts-inbox")
    yield ctx
    remove_inbox()
    target.client("cloudwatch").delete_alarms(AlarmNames=[ctx.alarm_name("input-empty")])
    target.client("sns").delete_topic(TopicArn=topic)


def _alarm(ctx: ChaosContext, watched_stack: str, threshold: float = 1.0, m_of_n: tuple[int, int] = (1, 1)) -> str:
    """infra/alarms.tf's input-empty alarm, on ``watched_stack``'s metric with ``threshold``, M of N periods."""
    name = ctx.alarm_name("input-empty")
    ctx.target.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace=metrics.NAMESPACE,
        MetricName=metrics.EMPTY_INPUTS,
        Dimensions=[{"Name": metrics.DIMENSION, "Value": watched_stack}],
        Statistic="Maximum",
        Period=10,
        EvaluationPeriods=m_of_n[1],
        DatapointsToAlarm=m_of_n[0],
        Threshold=threshold,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[ctx.outputs["topic"]],
        OKActions=[ctx.outputs["topic"]],
    )
    return name


def _chaos(
    ctx: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, after_fault: Callable[[], None]
) -> tuple[Outcome, Any]:
    """The truncated-upload fault through ``run_chaos``: the faulty run, ``after_fault``, then a healthy run."""
    runs = iter([FAULTY, HEALTHY])
    injected: list[str] = []

    def run_from_bronze(*_args: Any) -> ScheduledRun:
        scheduled = _run(ctx.target, ctx.stack_id, next(runs))
        if len(injected) == 1:
            injected.append("after")
            after_fault()
        return scheduled

    def inject(_ctx: ChaosContext) -> Injection:
        injected.append("cut")
        return Injection("orders.csv cut after its header")

    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "run_from_bronze", run_from_bronze)
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault(FAULT, "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, inject)
    chaos = chaos_run.run_chaos(ctx, [fault], Criteria(expected_row={}), 60.0, tmp_path)
    return judge_mttr(chaos.timelines, 60.0), chaos


def test_the_stacks_own_alarm_detects_the_fault(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    name = _alarm(stack, stack.stack_id)
    outcome, chaos = _chaos(stack, monkeypatch, tmp_path, lambda: None)
    assert outcome.passed, outcome.reason
    (timeline,) = chaos.timelines
    assert timeline.alarm_fired == name and timeline.message["state"] == "ALARM"
    assert chaos.alarms[name]["Dimensions"] == [{"Name": "StackId", "Value": stack.stack_id}]


def test_an_alarm_on_another_stacks_metric_is_no_detection_and_the_fault_is_not_injected(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other = f"{stack.stack_id}x"
    name = _alarm(stack, other)
    # The other stack meets an empty input while the fault is on: its alarm would fire on that.
    outcome, chaos = _chaos(stack, monkeypatch, tmp_path, lambda: _publish(stack.target, other, FAULTY))
    assert outcome.status is Status.FAILED
    assert str(outcome.reason) == (
        f"fault {FAULT}: alarm {name} watches Lakehouse/Pipeline EmptyInputFiles [StackId={other}], not the metric "
        f"this stack's pipeline publishes (Lakehouse/Pipeline [StackId={stack.stack_id}]): it changes state on what "
        "something else publishes, so its message says nothing of a fault here"
    )
    assert chaos.timelines[0].injected_at is None
    # What it would have "detected", had the fault been injected: the other stack's empty input sets it off (in a
    # period over already: CloudWatch evaluates it at once).
    _publish(stack.target, other, FAULTY, math.floor(time.time() / 10) * 10 - 5)
    state = stack.target.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]
    assert state == "ALARM"


def test_an_alarm_the_faulty_run_does_not_breach_is_no_detection_though_its_message_arrives(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Threshold 2 empty inputs; the faulty run has 1. An operator tests the alert path meanwhile."""
    name = _alarm(stack, stack.stack_id, threshold=2.0)

    def operator_tests_the_alarm() -> None:
        stack.target.client("cloudwatch").set_alarm_state(
            AlarmName=name, StateValue="ALARM", StateReason="testing the alert path"
        )

    outcome, chaos = _chaos(stack, monkeypatch, tmp_path, operator_tests_the_alarm)
    assert outcome.status is Status.FAILED
    (timeline,) = chaos.timelines
    assert timeline.alarm_fired is None and timeline.recovered_at is not None
    assert str(outcome.reason) == (
        f"fault {FAULT}: none of its alarms can tell of it, so no message is its detection: the faulty run's "
        f"EmptyInputFiles Maximum = 1 does not breach alarm {name} (EmptyInputFiles Maximum >= 2): an ALARM of it "
        "would be for another reason, not this fault"
    )
    # It did go to ALARM during the fault (and told the topic), for the operator's reason.
    history = stack.target.client("cloudwatch").describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")
    assert any(i["HistorySummary"].endswith("to ALARM") for i in history["AlarmHistoryItems"]), history


def test_the_stacks_one_of_three_alarm_detects_the_fault(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Healthy twin of the M-of-N case: one breaching period among three raises it, as alarms.tf's shape."""
    name = _alarm(stack, stack.stack_id, m_of_n=(1, 3))
    outcome, chaos = _chaos(stack, monkeypatch, tmp_path, lambda: None)
    assert outcome.passed, outcome.reason
    assert chaos.timelines[0].alarm_fired == name


def test_a_two_of_three_alarm_raised_with_an_earlier_runs_breach_is_no_detection_though_its_message_arrives(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """2 of 3 periods: an earlier run met an empty input one period before the fault (the alarm stays OK on it).
    The faulty run's breach is the second: CloudWatch raises the alarm on the two, "Threshold Crossed", after the
    injection; the fault's one period alone would not have raised it."""
    name = _alarm(stack, stack.stack_id, m_of_n=(2, 3))
    earlier = metrics.metric_data(FAULTY, stack.stack_id, time.time() - 10)
    stack.target.client("cloudwatch").put_metric_data(Namespace=metrics.NAMESPACE, MetricData=earlier)
    outcome, chaos = _chaos(stack, monkeypatch, tmp_path, lambda: None)
    assert outcome.status is Status.FAILED, "an M-of-N alarm raised by two runs' breaches counted as the detection"
    (timeline,) = chaos.timelines
    assert timeline.alarm_fired is None and timeline.recovered_at is not None
    assert str(outcome.reason).startswith(
        f"fault {FAULT}: none of its alarms can tell of it, so no message is its detection: the faulty run's "
        f"EmptyInputFiles Maximum = 1 breaches alarm {name} (EmptyInputFiles Maximum >= 1) in one period, but the "
        "alarm has DatapointsToAlarm 2 of EvaluationPeriods 3"
    )
    # It goes to ALARM after the fault, once the faulty run's period is over, on the two runs' datapoints: the
    # message the loop used to count.
    deadline = time.monotonic() + 30.0
    while True:
        history = stack.target.client("cloudwatch").describe_alarm_history(
            AlarmName=name, HistoryItemType="StateUpdate"
        )
        if any(i["HistorySummary"].endswith("to ALARM") for i in history["AlarmHistoryItems"]):
            break
        assert time.monotonic() < deadline, history
        time.sleep(0.25)  # poll interval of a condition wait
