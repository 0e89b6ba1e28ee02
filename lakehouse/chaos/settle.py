"""Between faults: the next fault's alarms back in OK before it is injected, by the stack's own next run.

CloudWatch tells of a fault only by a state change, so a fault's alarms must be out of ALARM before it
is injected (``run.run_fault``). An alarm the previous fault breached stays in ALARM while the newest
period holding data is the breaching one, and the recovery run, published a few seconds after the
faulty run, usually lands in that same period: the period's Sum or Maximum of the faulty 1 and the
healthy 0 still breaches, as on AWS. Left alone, the alarm leaves ALARM only once that period drops out
of its evaluation range (the emulator retrieves three periods for one evaluated: 20-30 s after the breach at
the local 10 s period; at AWS's 300 s, as many 5-minute periods), so the wait between two faults sharing an
alarm swung by up to half a minute locally with where the period boundary fell.

The stack itself clears it sooner: its next scheduled pipeline run puts a healthy datapoint in a later
period, which then decides. So while one of the fault's alarms is in ALARM, the harness runs the pipeline
from Bronze as the schedule would: the first run once the period of the last run is over, then at most one
run per period, no more runs than the alarm evaluates periods (each adds one healthy period). The state is
read back from CloudWatch every round, woken by the alarm's OK notification on the harness's queue; past
the runs it waits for the period to drop out, as before, until the fault's deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse.chaos.mttr import Published

#: Longest wait between two reads of the alarms' state when no notification wakes the loop (an alarm
#: that leaves ALARM for INSUFFICIENT_DATA notifies no action of this stack).
RECHECK_S = 5.0
#: The period assumed for an alarm DescribeAlarms gave none (CloudWatch's standard resolution).
DEFAULT_PERIOD_S = 60


def period_end(moment: float, period_s: float) -> float:
    """The end (epoch seconds) of the alarm period holding ``moment``: periods are aligned on multiples."""
    return (math.floor(moment / period_s) + 1) * period_s


@dataclass
class Pace:
    """When the chaos loop's last pipeline run published its metrics (epoch seconds; None: not yet known)."""

    last_published_at: float | None = None
    #: What each run of the chaos loop published, oldest first: runs sharing the fault's period count in it.
    runs: list[Published] = field(default_factory=list)


@dataclass
class Settled:
    """What settling found: the alarms still in ALARM at the deadline (none: settled), and what it took."""

    loud: list[str]
    runs: int = 0
    seconds: float = 0.0
    #: The alarms found in ALARM when settling began (evidence: why there was anything to wait for).
    found_loud: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "found_in_alarm": self.found_loud,
            "still_in_alarm": self.loud,
            "scheduled_runs": self.runs,
            "seconds": round(self.seconds, 1),
        }


def needs(described: Mapping[str, Mapping[str, Any]], loud: list[str]) -> tuple[float, int]:
    """(period, runs): the longest period of the loud alarms and the most periods any of them evaluates."""
    periods = [float(described.get(n, {}).get("Period") or DEFAULT_PERIOD_S) for n in loud]
    runs = [int(described.get(n, {}).get("EvaluationPeriods") or 1) for n in loud]
    return max(periods, default=DEFAULT_PERIOD_S), max(runs, default=1)


def settle(
    loud_now: Callable[[], list[str]],
    described: Mapping[str, Mapping[str, Any]],
    pace: Pace,
    run: Callable[[], float],
    wait: Callable[[float], object],
    deadline: float,
    clock: Callable[[], float] = time.time,
    monotonic: Callable[[], float] = time.monotonic,
) -> Settled:
    """Until none of the alarms ``loud_now`` reads is in ALARM, or ``deadline`` (monotonic) passes.

    ``run``: one pipeline run from Bronze, returning when it published (epoch seconds); ``wait(until)``
    returns at ``until`` (monotonic) or at the first notification on the harness's queue. Runs only when an
    alarm is in ALARM, and only in a period after the last run's (``pace``; unknown: after the current one).
    """
    started = monotonic()
    loud = loud_now()
    settled = Settled(loud, found_loud=list(loud))
    period, budget = needs(described, loud)
    if loud and pace.last_published_at is None:
        pace.last_published_at = clock()  # a run the loop does not know of may have published in this period
    while loud and monotonic() < deadline:
        due = period_end(float(pace.last_published_at or 0.0), period)
        now = clock()
        if settled.runs < budget and now >= due:
            pace.last_published_at = run()
            settled.runs += 1
        else:
            until = min(deadline, monotonic() + RECHECK_S)
            if settled.runs < budget:
                until = min(until, monotonic() + max(0.0, due - now))
            wait(until)
        loud = loud_now()
    settled.loud, settled.seconds = loud, monotonic() - started
    return settled
