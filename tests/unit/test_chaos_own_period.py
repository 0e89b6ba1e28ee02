"""Before a fault the harness waits until no datapoint that could sway the fault's alarm period shares it.

The world here has one clock (the datapoints' ``Timestamp`` and the harness's waits) that only the fake stack
moves: each pipeline run takes 1.3 s and stamps its datapoints at its end; the harness's queue returns at the
moment it is asked to wait until. Alarm periods are 10 s, aligned on multiples (CloudWatch's grid).

The broken cases, each where the fault was injected at once after the last run, its faulty run in that run's
period: a ``Minimum`` freshness alarm held down by the settle run's fresh 30 s (or by the previous fault's
recovery run) never sees the fault, so the KPI failed on a stack whose alarm does see it; a ``Sum`` alarm on
refused rows crossed only by the settle run's 3 and the faulty run's 5 together counted as the detection of a
fault whose own datapoint does not cross it (on the stack's schedule, one run a period, it never fires); and a
settle run that recorded no ``Timestamp`` made the KPI an error although it ended before the period the harness
could have waited for. The healthy twins: alarms no healthy datapoint can sway (the shipped ones) cost no wait.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.alerts import AlarmMessage
from lakehouse.chaos.detection import AlarmBefore, shown
from lakehouse.chaos.faults import CATALOGUE, ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Published, Timeline, UnknownPeriod, judge_mttr, not_breached_by_the_fault, rule_of
from lakehouse.chaos.own_period import overlaps, sways, wait_until
from lakehouse.chaos.runbook import Criteria, ScheduledRun
from lakehouse.chaos.settle import Pace, Settled
from lakehouse.emulator import alarms as cloudwatch_eval
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline import metrics
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.tfsource import document
from tests.unit.test_chaos_detection import ALARM, HEALTHY_ALARM, HEALTHY_VALUES

ROOT = Path(__file__).resolve().parents[2]
PERIOD = 10
#: A user's freshness alarm: the period's Minimum over 600 s (every datapoint of the period stale).
STALE = {**HEALTHY_ALARM, "MetricName": metrics.GOLD_FRESHNESS, "Statistic": "Minimum", "Threshold": 600.0}
STALE.update(ComparisonOperator="GreaterThanThreshold")
#: A user's Sum alarm on rows refused: a healthy run refuses 3, the fault 5; only both together reach 8.
REFUSED_SUM = {**HEALTHY_ALARM, "MetricName": metrics.ROWS_REFUSED, "Statistic": "Sum", "Threshold": 8.0}
FRESH = {**HEALTHY_VALUES, metrics.GOLD_FRESHNESS: 30.0}
FAULTY = {**FRESH, metrics.GOLD_FRESHNESS: 5000.0, metrics.ROWS_REFUSED: 5.0, metrics.EMPTY_INPUTS: 1.0}
#: 1 s into a 10 s period.
START = 1_796_000_001.0


@dataclass
class World:
    """The one clock and what the fake stack did by it."""

    now: float = START
    run_s: float = 1.3
    waits: list[float] = field(default_factory=list)
    published: list[float] = field(default_factory=list)
    listened: list[set[str]] = field(default_factory=list)
    own: frozenset[str] = frozenset()  # the harness's SenderIds (``AlertQueue.own``)

    def time(self) -> float:
        return self.now

    def run(self, values: dict[str, float] | None, stamped: bool = True) -> ScheduledRun:
        """A pipeline run from Bronze: its datapoints are stamped at its end (``published_at``, when ``stamped``)."""
        self.now += self.run_s
        self.published.append(self.now)
        result = PipelineResult()
        if values is not None:
            result.metrics = {"sent": len(values), "failed": 0, "errors": [], "values": values}
            if stamped:
                result.metrics["published_at"] = self.now
        return ScheduledRun(result, EmissionStats(None, "lakehouse-lh-1"), Path("."))

    # The harness's queue: nothing arrives while it waits for a moment; the fault's ALARM if listened to.
    def drain(self) -> None:
        pass

    def next_message(self, until: float) -> None:
        self.waits.append(until - self.now)
        self.now = max(self.now, until)

    def wait_for(
        self, alarms: set[str], deadline: float, why_not: Callable[[AlarmMessage], str | None]
    ) -> AlarmMessage | None:
        self.listened.append(alarms)
        if ALARM not in alarms:
            return None
        changed = datetime.fromtimestamp(self.now + 0.2, UTC).isoformat(timespec="milliseconds")
        message = AlarmMessage(
            ALARM, "ALARM", "Threshold Crossed: 1 datapoint", "arn:topic", self.now + 0.5, changed, "OK"
        )
        return message if why_not(message) is None else None

    def alarms_before(self, _target: Any, names: list[str]) -> dict[str, AlarmBefore]:
        return {n: AlarmBefore("OK", datetime.fromtimestamp(self.now - 60, UTC)) for n in names}


#: The settle run settling starts: (its values, whether it stamped them); values None: it recorded no metrics.
SettleRun = tuple[dict[str, float] | None, bool]


def run_fault(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    alarm: dict[str, Any],
    settle: SettleRun | None = (FRESH, True),
    pace: Pace | None = None,
) -> tuple[Timeline, World]:
    """``run_fault`` in the world: settling runs once (``settle``; None: the alarms were quiet), then the fault."""
    world = World()
    script: Iterator[SettleRun] = iter([*([settle] if settle else []), (FAULTY, True), (FRESH, True), (FRESH, True)])

    def settling(*args: Any) -> Settled:
        if settle is None:
            return Settled([])
        args[-1]()  # the scheduled run settling starts, recorded as the loop's runs are
        return Settled([], runs=1)

    monkeypatch.setattr(chaos_run, "time", SimpleNamespace(time=world.time, monotonic=world.time))
    monkeypatch.setattr(chaos_run, "wait_quiet", settling)
    monkeypatch.setattr(chaos_run, "source_files", lambda _ctx: {})
    monkeypatch.setattr(chaos_run, "alarms_before", world.alarms_before)
    monkeypatch.setattr(chaos_run, "unconfirmed", lambda *_a, **_k: None)  # CloudWatch recorded each change
    monkeypatch.setattr(chaos_run, "resent", lambda *_a: None)  # SNS delivered each message
    monkeypatch.setattr(chaos_run, "run_from_bronze", lambda *_a: world.run(*next(script)))
    monkeypatch.setattr(chaos_run, "exit_checks", lambda *_a: {"EXIT-2": Outcome.judged(True, 1, 1)})
    monkeypatch.setitem(chaos_run.STEPS, Runbook.RESTORE_BRONZE_OBJECT, lambda _ctx, _inj: "restored")
    fault = Fault("gold-stale", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection("cut"))
    ctx = ChaosContext(target=None, outputs={}, stack_id="lh-1")  # type: ignore[arg-type]
    timeline = chaos_run.run_fault(
        ctx,
        fault,
        world,  # type: ignore[arg-type]
        Criteria(expected_row={}),
        1800.0,
        tmp_path,
        {ALARM: alarm},
        pace,
    )
    return timeline, world


def faulty_at(timeline: Timeline) -> float:
    return float(timeline.pipeline["after_fault"]["metrics"]["published_at"])


def test_a_minimum_alarm_sees_the_fault_in_a_period_the_settle_runs_healthy_datapoint_does_not_share(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, world = run_fault(monkeypatch, tmp_path, STALE)
    settle_at = world.published[0]  # 1 796 000 002.3, in the period ending ...010
    assert math.floor(faulty_at(timeline) / PERIOD) > math.floor(settle_at / PERIOD), (
        f"the faulty run published at {faulty_at(timeline)} in the settle run's period (at {settle_at}): "
        f"its Minimum is the healthy 30, the alarm cannot see the fault: {timeline.ignored}"
    )
    assert world.listened == [{ALARM}] and timeline.alarm_fired == ALARM and timeline.problem is None
    assert judge_mttr([timeline], 1800.0).status is Status.PASSED
    # The recovery run lands in the fault's period after the ALARM message (run_fault waits for it first): its
    # fresh 30 s holds the period's Minimum down from then on (the alarm goes back to OK), which un-detects nothing.
    recovery_at = float(timeline.pipeline["recovery_1"]["metrics"]["published_at"])
    assert math.floor(recovery_at / PERIOD) == math.floor(faulty_at(timeline) / PERIOD)
    # The wait ended at the settle run's period end, read from its Timestamp: less than one period.
    assert timeline.injected_at == pytest.approx(1_796_000_010.0)
    assert timeline.spent["own_period"] == pytest.approx(7.7) and sum(world.waits) == pytest.approx(7.7)
    own = timeline.settle["own_period"]
    assert own["until"] == shown(1_796_000_010.0)
    assert "run gold-stale/settle_1 published GoldFreshnessSeconds 30 at " in own["because"][0]


def test_the_previous_faults_recovery_run_in_the_period_is_waited_out_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The previous fault's faulty run (stale) and its recovery (fresh, which cleared the Minimum) 3 s and 1 s ago.
    pace = Pace(
        START - 1.0,
        [Published("prev/after_fault", START - 3.0, FAULTY), Published("prev/recovery_1", START - 1.0, FRESH)],
    )
    timeline, world = run_fault(monkeypatch, tmp_path, STALE, settle=None, pace=pace)
    assert math.floor(faulty_at(timeline) / PERIOD) == math.floor(START / PERIOD) + 1, timeline.ignored
    assert world.listened == [{ALARM}] and timeline.problem is None
    assert timeline.injected_at == pytest.approx(START - 1.0 + 10.0)
    # The previous fault's stale datapoint cannot hold a Minimum > 600 down: only its recovery is waited for.
    assert [w.split(" published")[0] for w in timeline.settle["own_period"]["because"]] == [
        f"alarm {ALARM} (GoldFreshnessSeconds Minimum of each 10 s period): run prev/recovery_1"
    ]


def test_a_sum_alarm_the_fault_alone_does_not_cross_is_no_detection_wherever_the_settle_run_fell(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timeline, world = run_fault(monkeypatch, tmp_path, REFUSED_SUM)
    assert world.listened == [], f"the settle run's 3 refused rows raised the alarm with the fault's 5: {timeline}"
    assert "the faulty run's RowsRefused Sum = 5 does not breach alarm" in timeline.ignored[ALARM]
    assert judge_mttr([timeline], 1800.0).status is Status.FAILED


@pytest.mark.parametrize("settle", [(FRESH, False), (None, False)], ids=["values-no-time", "no-metrics"])
def test_a_settle_run_that_recorded_no_time_is_placed_by_its_end_and_waited_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settle: SettleRun
) -> None:
    timeline, _world = run_fault(monkeypatch, tmp_path, STALE, settle=settle)
    assert timeline.undecided is None and timeline.problem is None, timeline.undecided or timeline.problem
    assert timeline.injected_at == pytest.approx(1_796_000_010.0)
    assert judge_mttr([timeline], 1800.0).status is Status.PASSED


@pytest.mark.parametrize("alarm", [HEALTHY_ALARM, {**HEALTHY_ALARM, "Statistic": "Sum"}], ids=["Maximum", "Sum"])
def test_an_alarm_no_healthy_datapoint_can_sway_costs_no_wait(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarm: dict[str, Any]
) -> None:
    timeline, world = run_fault(monkeypatch, tmp_path, alarm)
    assert world.waits == [] and "own_period" not in timeline.spent and "own_period" not in timeline.settle
    assert timeline.injected_at == pytest.approx(world.published[0])  # at once, in the settle run's period
    assert world.listened == [{ALARM}] and timeline.alarm_fired == ALARM and timeline.problem is None


def test_a_period_already_over_costs_no_wait(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pace = Pace(START - 2.0, [Published("prev/recovery_1", START - 2.0, FRESH)])  # the period before
    timeline, world = run_fault(monkeypatch, tmp_path, STALE, settle=None, pace=pace)
    assert world.waits == [] and timeline.injected_at == START and timeline.problem is None


def _tf_threshold(value: Any, defaults: dict[str, Any]) -> float:
    text = str(value)
    return float(defaults[text[len("${var.") : -1]] if text.startswith("${var.") else text)


def test_no_healthy_datapoint_sways_the_shipped_alarms_of_any_fault_so_the_catalogue_waits_for_nothing() -> None:
    """infra/alarms.tf's alarms at variables.tf's defaults, on what a healthy run publishes."""
    shipped = document(ROOT / "infra/alarms.tf")["locals"][0]["pipeline_alarms"]
    defaults = {
        name: body["default"]
        for block in document(ROOT / "infra/variables.tf")["variable"]
        for name, body in block.items()
        if "default" in body
    }
    healthy = {**HEALTHY_VALUES, metrics.GOLD_FRESHNESS: 30.0}
    swayed = []
    for fault in CATALOGUE:
        for suffix in fault.alarms:
            spec = shipped[suffix]
            alarm = {
                "MetricName": spec["metric"],
                "Statistic": spec["statistic"],
                "ComparisonOperator": spec["comparison"],
                "Threshold": _tf_threshold(spec["threshold"], defaults),
                "Period": PERIOD,
            }
            rule = rule_of(alarm)
            assert isinstance(rule, cloudwatch_eval.AlarmRule), rule
            if sways(rule, healthy[spec["metric"]]):
                swayed.append(f"{fault.name}: {suffix}")
    assert swayed == [], f"a healthy run's datapoint sways these shipped alarms (each fault waits a period): {swayed}"


STATISTICS = ("Maximum", "Minimum", "Sum", "Average", "SampleCount", "p90")
COMPARISONS = tuple(cloudwatch_eval.COMPARISONS)
GRID = (-2.0, 0.0, 0.5, 1.0, 1.5, 3.0, 600.0)


@pytest.mark.parametrize(("statistic", "comparison"), list(itertools.product(STATISTICS, COMPARISONS)))
def test_sways_is_exactly_whether_a_datapoint_can_change_the_periods_verdict(statistic: str, comparison: str) -> None:
    """Against the evaluator's own aggregate: a datapoint that does not sway leaves every faulty value's verdict.

    Maximum, Minimum and Sum are told exactly (one that sways changes some verdict); Average, SampleCount and
    percentiles are always waited for (their sway depends on how many datapoints share the period).
    """
    alarm = {"Statistic": statistic, "ComparisonOperator": comparison, "Threshold": 1.0, "Period": PERIOD}
    rule = rule_of(alarm)
    assert isinstance(rule, cloudwatch_eval.AlarmRule), rule
    for other in GRID:

        def verdict(values: list[float]) -> bool:
            value = cloudwatch_eval.aggregate(rule, [cloudwatch_eval.Sample.value(START, v) for v in values])
            return value is not None and rule.breaches(value)

        changed = [v for v in GRID if verdict([other, v]) != verdict([v])]
        if statistic in ("Maximum", "Minimum", "Sum"):
            assert sways(rule, other) is bool(changed), (statistic, comparison, other, changed)
        else:
            assert sways(rule, other), (statistic, comparison, other)


def test_overlaps_wait_at_most_one_period_of_the_longest_alarm() -> None:
    short = rule_of({**STALE, "Period": 10})
    long = rule_of({**STALE, "Period": 60})
    assert isinstance(short, cloudwatch_eval.AlarmRule) and isinstance(long, cloudwatch_eval.AlarmRule)
    now = 1_796_000_045.0
    runs = [Published("settle_1", now - 1.0, FRESH)]
    found = overlaps({"short": (metrics.GOLD_FRESHNESS, short), "long": (metrics.GOLD_FRESHNESS, long)}, runs, now)
    assert {o.alarm: o.until for o in found} == {"short": 1_796_000_050.0, "long": 1_796_000_100.0}
    assert max(o.until for o in found) - now <= 60.0


def test_waiting_until_a_moment_is_a_condition_read_again_after_every_wake_up() -> None:
    clock = [100.0]
    woken: list[float] = []

    def wait(until: float) -> None:  # a notification wakes it after 2 s, whatever it asked for
        woken.append(until)
        clock[0] += 2.0

    assert wait_until(105.0, wait, deadline=1_000.0, clock=lambda: clock[0], monotonic=lambda: clock[0])
    assert clock[0] >= 105.0 and len(woken) == 3
    clock[0] = 100.0
    assert not wait_until(105.0, wait, deadline=103.0, clock=lambda: clock[0], monotonic=lambda: clock[0])


def test_a_run_placed_neither_by_its_time_nor_by_its_end_still_cannot_be_guessed() -> None:
    with pytest.raises(UnknownPeriod, match="recorded no publication time"):
        not_breached_by_the_fault(ALARM, STALE, FAULTY, START + 3.0, [Published("settle_1", None, FRESH)])
    # Ended before the faulty run's period began: not in it.
    ended = Published("settle_1", None, FRESH, ended=START - 2.0)
    assert not_breached_by_the_fault(ALARM, STALE, FAULTY, START + 3.0, [ended]) is None
    # The faulty run recorded no time, but it published after the injection, a period after that run.
    assert not_breached_by_the_fault(ALARM, STALE, FAULTY, None, [ended], since=START) is None
