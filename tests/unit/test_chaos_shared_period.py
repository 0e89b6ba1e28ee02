"""KPI-mttr judges the fault's alarm period as CloudWatch aggregates it: every run of the round in it counts.

The settle run before a fault publishes a few seconds before the faulty run, often in the same period
(settle.py), and CloudWatch aggregates both datapoints with the alarm's statistic. The broken cases: a
``Minimum`` freshness alarm whose period holds the settle run's fresh 30 s beside the faulty run's stale
5000 s (the period's Minimum, 30, does not breach: an ALARM of it is for another reason, yet it counted as
the fault's detection), and a ``Sum`` alarm whose threshold only the settle run and the faulty run together
cross (CloudWatch raises it on the fault's period, yet it was ignored and the fault judged undetected). When
a run of the round may share the period but recorded no time or values, the KPI is an error, not a guess.
(``run_fault`` now waits before the injection until no datapoint that could sway the fault's period shares
it: test_chaos_own_period. These fakes stamp their runs in the past, so the periods are judged as given.)
The healthy twins: the settle run in the period before, where the faulty run's value is the period's alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Published, Timeline, UnknownPeriod, judge_mttr, not_breached_by_the_fault
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.chaos.settle import Settled
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from tests.unit.test_chaos_alarm_identity import ListeningQueue
from tests.unit.test_chaos_detection import ALARM, HEALTHY_ALARM, HEALTHY_VALUES, quiet_before

#: infra/alarms.tf's freshness alarm: the period's Minimum over the threshold (every run in it stale).
STALE = {**HEALTHY_ALARM, "MetricName": metrics.GOLD_FRESHNESS, "Statistic": "Minimum", "Threshold": 600.0}
STALE.update(ComparisonOperator="GreaterThanThreshold")
#: A Sum alarm on rows refused that a healthy run (3) and the faulty run (5) cross only together.
REFUSED_SUM = {**HEALTHY_ALARM, "MetricName": metrics.ROWS_REFUSED, "Statistic": "Sum", "Threshold": 8.0}
FRESH = {**HEALTHY_VALUES, metrics.GOLD_FRESHNESS: 30.0}
FAULTY = {**FRESH, metrics.GOLD_FRESHNESS: 5000.0, metrics.ROWS_REFUSED: 5.0}
#: The faulty run publishes at FAULT_AT; the settle run 3 s before (same 10 s period) or 6 s before (the one before).
FAULT_AT = 1_796_000_004.0
SAME, BEFORE = FAULT_AT - 3.0, FAULT_AT - 6.0


def _scheduled(values: dict[str, float] | None, at: float | None) -> ScheduledRun:
    result = PipelineResult()
    if values is not None:
        result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values, "published_at": at}
    return ScheduledRun(result, EmissionStats(None, "lakehouse-lh-1"), Path("."))


def _run_fault(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarm: dict[str, Any], settle: ScheduledRun
) -> tuple[Timeline, ListeningQueue]:
    """run_fault with fakes for the stack: settling runs the pipeline once (``settle``), then the fault."""
    runs: Iterator[ScheduledRun] = iter([settle, _scheduled(FAULTY, FAULT_AT), _scheduled(FRESH, FAULT_AT + 20)])

    def wait_quiet(*args: Any) -> Settled:
        args[-1]()  # the scheduled run settling starts, which records it as the loop's runs do
        return Settled([], runs=1)

    monkeypatch.setattr(chaos_run, "wait_quiet", wait_quiet)
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "alarms_before", quiet_before)
    monkeypatch.setattr(chaos_run, "unconfirmed", lambda *_a, **_k: None)  # CloudWatch recorded each change
    monkeypatch.setattr(chaos_run, "resent", lambda *_a: None)  # SNS delivered each message
    monkeypatch.setattr(chaos_run, "run_from_bronze", lambda *_a: next(runs))
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault("gold-stale", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection("cut"))
    ctx = ChaosContext(target=None, outputs={}, stack_id="lh-1")  # type: ignore[arg-type]
    queue = ListeningQueue()
    timeline = chaos_run.run_fault(ctx, fault, queue, Criteria(expected_row={}), 1800.0, tmp_path, {ALARM: alarm})  # type: ignore[arg-type]
    return timeline, queue


def test_a_minimum_alarm_a_healthy_run_in_the_faults_period_holds_down_is_not_its_detection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, STALE, _scheduled(FRESH, SAME))
    assert queue.listened == [], "an alarm the fault's period does not breach was listened to"
    assert timeline.alarm_fired is None and timeline.problem is not None
    assert (
        "the fault's period's GoldFreshnessSeconds Minimum = 30 (CloudWatch aggregates the faulty run's 5000 with "
        "gold-stale/settle_1's 30, published in the same 10 s period) does not breach alarm"
    ) in timeline.ignored[ALARM]
    assert judge_mttr([timeline], 1800.0).status is Status.FAILED


def test_a_sum_alarm_the_faults_period_crosses_only_with_a_healthy_run_is_its_detection(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, REFUSED_SUM, _scheduled(FRESH, SAME))
    assert queue.listened == [{ALARM}], f"an alarm CloudWatch raises on the fault's period was ignored: {timeline}"
    assert timeline.alarm_fired == ALARM and timeline.ignored == {} and timeline.problem is None
    assert judge_mttr([timeline], 1800.0).status is Status.PASSED


def test_with_the_settle_run_in_the_period_before_the_faulty_runs_value_is_the_periods(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, queue = _run_fault(monkeypatch, tmp_path, STALE, _scheduled(FRESH, BEFORE))
    assert queue.listened == [{ALARM}] and timeline.alarm_fired == ALARM and timeline.problem is None
    timeline, queue = _run_fault(monkeypatch, tmp_path, REFUSED_SUM, _scheduled(FRESH, BEFORE))
    assert queue.listened == []
    assert "the faulty run's RowsRefused Sum = 5 does not breach alarm" in timeline.ignored[ALARM]


@pytest.mark.parametrize(
    ("run", "shown"),
    [
        (Published("settle_1", None, FRESH), "run settle_1 published GoldFreshnessSeconds and recorded no "),
        (Published("settle_1", None, None), "run settle_1 may have published GoldFreshnessSeconds and recorded no "),
    ],
)
def test_a_run_of_the_round_with_no_time_or_values_makes_the_kpi_an_error_not_a_guess(
    run: Published, shown: str
) -> None:
    """Placed neither by its time nor by its end (``run_fault`` records the end and waits it out:
    test_chaos_own_period), a run that may share the period leaves the fault undecided, the KPI an error."""
    with pytest.raises(UnknownPeriod) as raised:
        not_breached_by_the_fault(ALARM, STALE, FAULTY, FAULT_AT, [run])
    assert shown in str(raised.value)
    timeline = Timeline("gold-stale", "what", [ALARM], "restore", injected_at=FAULT_AT, recovered_at=FAULT_AT + 20)
    timeline.problem, timeline.undecided = f"fault gold-stale: {raised.value}", str(raised.value)
    outcome = judge_mttr([timeline], 1800.0)
    assert outcome.status is Status.ERROR and outcome.reason is not None and shown in outcome.reason


def test_a_run_in_the_faults_period_whose_values_are_unknown_cannot_be_aggregated() -> None:
    with pytest.raises(UnknownPeriod, match="published into the faulty run's 10 s period, but what it published"):
        not_breached_by_the_fault(ALARM, STALE, FAULTY, FAULT_AT, [Published("settle_1", SAME, None)])
    assert not_breached_by_the_fault(ALARM, STALE, FAULTY, FAULT_AT, [Published("settle_1", BEFORE, None)]) is None


@pytest.mark.parametrize(
    ("statistic", "threshold", "breaches"),
    [("Maximum", 4999.0, True), ("Average", 2600.0, False), ("SampleCount", 1.0, True), ("Sum", 5030.0, False)],
)
def test_each_statistic_aggregates_the_periods_datapoints(statistic: str, threshold: float, breaches: bool) -> None:
    alarm = {**STALE, "Statistic": statistic, "Threshold": threshold}
    why = not_breached_by_the_fault(ALARM, alarm, FAULTY, FAULT_AT, [Published("settle_1", SAME, FRESH)])
    assert (why is None) is breaches, why
