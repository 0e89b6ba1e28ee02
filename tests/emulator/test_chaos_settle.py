"""Two faults on one alarm through the emulator's CloudWatch: the second waits for the stack's next run, not the clock.

The first fault's recovery run publishes in the period that holds its faulty run's breaching datapoint, as it
mostly does (a few seconds apart, 10 s periods): the period's Maximum still breaches, so the alarm stays in
ALARM, as on AWS. Before the second fault is injected its alarm must be out of ALARM (only a state change is
notified). Waiting for that period to drop out of the evaluation range took 20-30 s, by where the period
boundary fell; the chaos loop now runs the pipeline again once that period is over (what the stack's
schedule does) and the alarm leaves ALARM on that run's healthy datapoint. The pipeline runs are stood in for
by what they publish; the runbook and exit checks by fakes that pass.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import local_target
from tests.emulator.chaos_inbox import subscribe_inbox
from tests.emulator.conftest import REGION

PERIOD = 10
HEALTHY = {metrics.RUNS: 1.0, metrics.FAILURES: 0.0, metrics.ROWS_REFUSED: 3.0, metrics.EMPTY_INPUTS: 0.0}
FAULTY = {**HEALTHY, metrics.EMPTY_INPUTS: 1.0}


@pytest.fixture
def stack(emulator: EmulatorHandle) -> Iterator[ChaosContext]:
    """infra/alarms.tf's input-empty alarm (10 s period, as the local harness deploys it) on a stack of its own."""
    target = local_target(emulator.endpoint, REGION)
    ctx = ChaosContext(target, {}, f"ms{uuid.uuid4().hex[:8]}")
    topic = target.client("sns").create_topic(
        Name=f"{ctx.prefix}-alerts", Tags=[{"Key": "stack_id", "Value": ctx.stack_id}]
    )["TopicArn"]
    target.client("cloudwatch").put_metric_alarm(
        AlarmName=ctx.alarm_name("input-empty"),
        Namespace=metrics.NAMESPACE,
        MetricName=metrics.EMPTY_INPUTS,
        Dimensions=[{"Name": metrics.DIMENSION, "Value": ctx.stack_id}],
        Statistic="Maximum",
        Period=PERIOD,
        EvaluationPeriods=1,
        DatapointsToAlarm=1,
        Threshold=1.0,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[topic],
        OKActions=[topic],
    )
    remove_inbox = subscribe_inbox(target, topic, f"{ctx.prefix}-alerts-inbox")
    yield ctx
    remove_inbox()
    target.client("cloudwatch").delete_alarms(AlarmNames=[ctx.alarm_name("input-empty")])
    target.client("sns").delete_topic(TopicArn=topic)


class Pipeline:
    """Runs as CloudWatch sees them. A recovery run publishes at its faulty run's moment: the same period."""

    def __init__(self, ctx: ChaosContext) -> None:
        self.ctx = ctx
        self.faulty_at = 0.0
        self.runs: list[str] = []
        self.injected = False

    def inject(self, _ctx: ChaosContext) -> Injection:
        self.injected = True
        return Injection("orders.csv cut after its header")

    def run(self, *_args: Any) -> ScheduledRun:
        if self.injected:
            kind, values, self.faulty_at, self.injected = "faulty", FAULTY, time.time(), False
            stamp = self.faulty_at
        elif self.runs and self.runs[-1] == "faulty":
            kind, values, stamp = "recovery", HEALTHY, self.faulty_at
        else:
            kind, values, stamp = "scheduled", HEALTHY, time.time()
        self.runs.append(kind)
        data = metrics.metric_data(values, self.ctx.stack_id, stamp)
        self.ctx.target.client("cloudwatch").put_metric_data(Namespace=metrics.NAMESPACE, MetricData=data)
        result = PipelineResult()
        result.metrics = {"sent": len(data), "failed": 0, "errors": [], "values": values, "published_at": stamp}
        return ScheduledRun(result, EmissionStats(None, self.ctx.prefix), Path("."))


def test_the_second_fault_on_an_alarm_is_settled_by_the_stacks_next_run(
    stack: ChaosContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pipeline = Pipeline(stack)
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "run_from_bronze", pipeline.run)
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    faults = [
        Fault(name, "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, pipeline.inject)
        for name in ("bronze-truncated", "bronze-truncated-again")
    ]
    chaos = chaos_run.run_chaos(stack, faults, Criteria(expected_row={}), 120.0, tmp_path)

    assert judge_mttr(chaos.timelines, 120.0).passed
    first, second = chaos.timelines
    name = stack.alarm_name("input-empty")
    # The first recovery left the alarm in ALARM (its healthy datapoint shares the breaching period).
    assert first.settle["found_in_alarm"] == [] and second.settle["found_in_alarm"] == [name]
    # One run of the stack, in a later period, took it out: no waiting for the period to drop out.
    assert second.settle["scheduled_runs"] == 1 and second.settle["still_in_alarm"] == []
    assert pipeline.runs == ["faulty", "recovery", "scheduled", "faulty", "recovery"]
    assert "settle_1" in second.pipeline and second.detected_at is not None
    history = stack.target.client("cloudwatch").describe_alarm_history(
        AlarmName=name, HistoryItemType="StateUpdate", ScanBy="TimestampAscending"
    )["AlarmHistoryItems"]
    back_to_ok = [json.loads(h["HistoryData"])["newState"]["stateReason"] for h in history][2]
    assert "was not greater than or equal to the threshold" in back_to_ok, back_to_ok  # a datapoint, not missing data
