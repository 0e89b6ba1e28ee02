"""KPI-mttr's detection must be the fault's: an alarm that breaches on a healthy run detects nothing.

The broken stack: a fault's alarm edited so that its condition holds for what every healthy run
publishes (``EmptyInputFiles >= 0``, a ``SampleCount`` statistic). It goes to ALARM after the faulty run
as after any run, its message arrives, and the fault counted as detected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import AlarmBefore
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import fires_without_the_fault, judge_mttr
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.chaos.settle import Settled
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult

ALARM = "lakehouse-lh-1-input-empty"
#: infra/alarms.tf's input-empty alarm as DescribeAlarms answers it (``describe_alarms``' fields).
HEALTHY_ALARM: dict[str, Any] = {
    "AlarmActions": ["arn:aws:sns:us-east-1:123456789012:lakehouse-lh-1-alerts"],
    "StateValue": "OK",
    "MetricName": metrics.EMPTY_INPUTS,
    "Namespace": metrics.NAMESPACE,
    "Dimensions": [{"Name": metrics.DIMENSION, "Value": "lh-1"}],
    "Statistic": "Maximum",
    "Period": 10,
    "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
}
#: What a healthy run of the sample publishes (``metrics.metric_values``): no empty input, 3 rows refused.
HEALTHY_VALUES = {
    metrics.RUNS: 1.0,
    metrics.FAILURES: 0.0,
    metrics.ROWS_REFUSED: 3.0,
    metrics.EMPTY_INPUTS: 0.0,
    metrics.LINEAGE_UNDELIVERED: 0.0,
    metrics.GOLD_UNREADABLE: 0.0,
}


def test_the_stacks_alarms_do_not_breach_on_a_healthy_run() -> None:
    assert fires_without_the_fault(ALARM, HEALTHY_ALARM, HEALTHY_VALUES) is None
    refused = {**HEALTHY_ALARM, "MetricName": metrics.ROWS_REFUSED, "ComparisonOperator": "GreaterThanThreshold"}
    assert fires_without_the_fault("rows-refused", {**refused, "Threshold": 10.0}, HEALTHY_VALUES) is None


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            {"Threshold": 0.0},
            "EmptyInputFiles Maximum >= 0) breaches on the healthy recovery run's EmptyInputFiles Maximum = 0",
        ),
        ({"ComparisonOperator": "LessThanThreshold"}, "EmptyInputFiles Maximum < 1) breaches"),
        (
            {"Statistic": "SampleCount"},
            "EmptyInputFiles SampleCount >= 1) breaches on the healthy recovery run's EmptyInputFiles SampleCount = 1",
        ),
        ({"MetricName": metrics.RUNS}, "Runs Maximum >= 1) breaches"),
    ],
)
def test_an_alarm_whose_condition_holds_for_a_healthy_run_fires_without_the_fault(
    change: dict[str, Any], shown: str
) -> None:
    why = fires_without_the_fault(ALARM, {**HEALTHY_ALARM, **change}, HEALTHY_VALUES)
    assert why is not None and why.startswith(f"alarm {ALARM} (") and shown in why
    assert why.endswith("it fires after every run, fault or not, so its message detects nothing")


def test_a_refused_rows_threshold_below_what_the_sample_refuses_fires_without_the_fault() -> None:
    refused = {**HEALTHY_ALARM, "MetricName": metrics.ROWS_REFUSED, "ComparisonOperator": "GreaterThanThreshold"}
    why = fires_without_the_fault("rows-refused", {**refused, "Threshold": 2.0}, HEALTHY_VALUES)
    assert why is not None and "RowsRefused Maximum > 2) breaches" in why and "RowsRefused Maximum = 3" in why


@pytest.mark.parametrize(
    "alarm",
    [
        {**HEALTHY_ALARM, "Namespace": "AWS/Lambda", "Threshold": 0.0},  # the pipeline's values say nothing of it
        {**HEALTHY_ALARM, "MetricName": None, "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold"},
        {**HEALTHY_ALARM, "Threshold": None},
    ],
)
def test_alarms_the_healthy_values_say_nothing_of_are_not_judged(alarm: dict[str, Any]) -> None:
    assert fires_without_the_fault(ALARM, alarm, HEALTHY_VALUES) is None


# -- run_fault with fakes for the stack: the wiring from the recovery run to the timeline --------------------------


def fresh_message() -> AlarmMessage:
    """The fault's ALARM message as CloudWatch sends it: a change from OK, now (after the injection)."""
    now = datetime.now(UTC)
    changed = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"
    reason = "Threshold Crossed: 1 out of the last 1 datapoints [1.0] was greater than or equal to the threshold (1.0)"
    return AlarmMessage(ALARM, "ALARM", reason, "arn:aws:sns:us-east-1:1:alerts", now.timestamp(), changed, "OK")


def quiet_before(_target: Any, names: list[str]) -> dict[str, AlarmBefore]:
    """The alarms as CloudWatch has them just before the injection: OK since a minute ago."""
    return {n: AlarmBefore("OK", datetime.now(UTC) - timedelta(minutes=1)) for n in names}


class FakeQueue:
    """The harness's queue: the fault's ALARM message arrives."""

    own: frozenset[str] = frozenset()  # the harness's SenderIds (``AlertQueue.own``)

    def drain(self) -> None:
        pass

    def wait_for(
        self, alarms: set[str], deadline: float, why_not: Callable[[AlarmMessage], str | None]
    ) -> AlarmMessage:
        assert ALARM in alarms
        message = fresh_message()
        assert why_not(message) is None
        return message


def _scheduled(values: dict[str, float]) -> ScheduledRun:
    result = PipelineResult()
    result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values}
    return ScheduledRun(result, EmissionStats(None, "lakehouse-lh-1"), Path("."))


def _run_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarm: dict[str, Any]) -> Any:
    runs = iter([{**HEALTHY_VALUES, metrics.EMPTY_INPUTS: 1.0}, HEALTHY_VALUES])  # after the fault, then recovery
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
    ctx = ChaosContext(target=None, outputs={}, stack_id="lh-1")  # type: ignore[arg-type]
    criteria = Criteria(expected_row={})
    return chaos_run.run_fault(ctx, fault, FakeQueue(), criteria, 1800.0, tmp_path, {ALARM: alarm})  # type: ignore[arg-type]


def test_a_fault_detected_by_an_alarm_that_breaches_on_the_healthy_run_fails_the_kpi_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline = _run_fault(monkeypatch, tmp_path, {**HEALTHY_ALARM, "Threshold": 0.0})
    assert timeline.alarm_fired == ALARM and timeline.recovered_at is not None
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.FAILED
    assert str(outcome.reason).startswith(f"fault bronze-truncated: alarm {ALARM} (EmptyInputFiles Maximum >= 0)")
    assert "its message detects nothing" in str(outcome.reason)


def test_a_fault_detected_by_the_stacks_alarm_passes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    timeline = _run_fault(monkeypatch, tmp_path, HEALTHY_ALARM)
    assert timeline.problem is None
    assert judge_mttr([timeline], 1800.0).passed
