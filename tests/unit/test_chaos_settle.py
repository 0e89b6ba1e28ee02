"""Settling between faults: a fault's alarms leave ALARM through the stack's next run, in a later period.

The world here is CloudWatch's rule for a 1-of-N alarm on a per-run metric: it is in ALARM while a breaching
datapoint is among the N newest periods holding data. A healthy run in the period that still holds the faulty
run's datapoint changes nothing (the period's Maximum still breaches); one in a later period clears it (N = 1).
The broken case: an alarm no healthy run clears (its condition holds for healthy values, or it was set by hand)
stays in ALARM; settling runs a bounded number of times, then reports it still in ALARM at the deadline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest

from lakehouse.chaos.settle import Pace, Settled, period_end, settle

ALARM = "lakehouse-lh-1-pipeline-failures"
PERIOD = 10


@dataclass
class World:
    """A clock, the alarm's data per period (True: breaching) and CloudWatch's verdict on it."""

    now: float
    periods_with_data: dict[int, bool] = field(default_factory=dict)
    evaluation_periods: int = 1
    cleared_by_runs: bool = True
    runs_at: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)

    def put(self, breaching: bool) -> float:
        index = math.floor(self.now / PERIOD)
        self.periods_with_data[index] = self.periods_with_data.get(index, False) or breaching
        return self.now

    def loud(self) -> list[str]:
        if not self.cleared_by_runs and self.periods_with_data:
            return [ALARM]
        newest = sorted(self.periods_with_data)[-self.evaluation_periods :]
        return [ALARM] if any(self.periods_with_data[i] for i in newest) else []

    def run(self) -> float:
        self.now += 1.3  # the pipeline publishes at its end
        self.runs_at.append(self.now)
        return self.put(False)

    def wait(self, until: float) -> None:
        self.waits.append(until - self.now)
        self.now = max(self.now, until)

    def clock(self) -> float:
        return self.now

    def described(self) -> dict[str, dict[str, object]]:
        return {ALARM: {"Period": PERIOD, "EvaluationPeriods": self.evaluation_periods}}


def _settle(world: World, pace: Pace, deadline_s: float = 1800.0) -> Settled:
    return settle(
        world.loud,
        world.described(),
        pace,
        world.run,
        world.wait,
        world.now + deadline_s,
        clock=world.clock,
        monotonic=world.clock,
    )


def _breached_then_recovered(world: World, recovery_after_s: float) -> Pace:
    """The faulty run breaches now; the recovery run publishes ``recovery_after_s`` later."""
    world.put(True)
    world.now += recovery_after_s
    return Pace(world.put(False))


def test_quiet_alarms_cost_no_run_and_no_wait() -> None:
    world = World(now=1_000.0)
    world.put(False)
    settled = _settle(world, Pace(1_000.0))
    assert settled.loud == [] and settled.runs == 0 and world.waits == []


def test_a_recovery_in_the_breaching_period_leaves_the_alarm_loud_and_the_next_period_s_run_clears_it() -> None:
    world = World(now=1_001.0)  # breach at :01, recovery at :05, same 10 s period
    pace = _breached_then_recovered(world, 4.0)
    assert world.loud() == [ALARM]
    settled = _settle(world, pace)
    assert settled.loud == [] and settled.runs == 1
    # It waited for the period to end (not longer), then ran once, in the next period.
    assert sum(world.waits) == pytest.approx(5.0)
    assert math.floor(world.runs_at[0] / PERIOD) == math.floor(1_001.0 / PERIOD) + 1
    assert world.now - 1_005.0 < PERIOD + 2  # not the three periods of waiting for it to drop out


def test_a_last_run_in_an_earlier_period_means_running_at_once() -> None:
    world = World(now=1_008.0)
    pace = _breached_then_recovered(world, 1.0)  # breach at :08, recovery at :09
    world.now = 1_013.0  # the checks took until :13: the last run's period is over
    settled = _settle(world, pace)
    assert settled.runs == 1 and world.waits == [] and settled.loud == []


def test_a_last_run_unknown_to_the_loop_is_assumed_in_the_current_period() -> None:
    world = World(now=1_002.0)
    world.put(True)  # someone else's run breached, when the loop does not know
    settled = _settle(world, Pace())
    assert settled.loud == [] and sum(world.waits) == pytest.approx(8.0)  # re-reading the state every 5 s
    assert world.runs_at[0] >= period_end(1_002.0, PERIOD)


def test_runs_come_one_per_period_and_no_more_than_the_alarm_evaluates() -> None:
    world = World(now=1_000.0, evaluation_periods=3)
    pace = _breached_then_recovered(world, 2.0)  # the faulty and the recovery run in one breaching period
    settled = _settle(world, pace)
    # 1 of the 3 newest periods breaching is ALARM: three healthy periods clear it, one run in each.
    assert settled.loud == [] and settled.runs == 3
    assert [math.floor(t / PERIOD) for t in world.runs_at] == [101, 102, 103]


def test_an_alarm_no_healthy_run_clears_is_still_loud_at_the_deadline_after_a_bounded_number_of_runs() -> None:
    world = World(now=1_000.0, cleared_by_runs=False)
    pace = _breached_then_recovered(world, 2.0)
    settled = _settle(world, pace, deadline_s=120.0)
    assert settled.loud == [ALARM] and settled.found_loud == [ALARM]
    assert settled.runs == 1
    assert world.now >= 1_002.0 + 120.0
    assert max(world.waits) <= 5.0 + 1e-9  # past the runs it still reads the state every few seconds
    assert settled.to_dict() == {
        "found_in_alarm": [ALARM],
        "still_in_alarm": [ALARM],
        "scheduled_runs": 1,
        "seconds": pytest.approx(120.0, abs=0.1),
    }


def test_period_end_is_aligned_on_multiples_of_the_period() -> None:
    assert period_end(1_000.0, 10) == 1_010.0
    assert period_end(1_009.99, 10) == 1_010.0
    assert period_end(1_010.0, 10) == 1_020.0
    assert period_end(1_000.0, 300) == 1_200.0
