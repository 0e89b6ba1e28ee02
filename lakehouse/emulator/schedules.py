"""When an EventBridge Scheduler schedule fires, as a pure function of (schedule, last evaluation, now).

moto stores schedules and never fires one; the emulator's Scheduler extension (``extensions.scheduler``)
asks :func:`fires_between` every second which fire times fell in ``(last, now]`` and invokes the target
for each. Kept free of moto and of the clock so each rule is unit-tested with a chosen ``now``.

Semantics (Scheduler user guide, "Schedule types"):

- ``cron(...)`` fires at wall-clock times in ``ScheduleExpressionTimezone`` (UTC when unset), evaluated by
  :mod:`lakehouse.schedule_gap`'s aws_croniter reading (a wall time the spring DST shift skips does not fire,
  one the autumn shift repeats fires once);
- ``rate(N unit)`` fires every N minutes/hours/days of elapsed time from its StartDate, or from its creation
  when it has none; the first fire is one interval after that anchor (local choice: AWS does not document
  whether the anchor itself fires);
- ``at(yyyy-mm-ddThh:mm:ss)`` fires once at that wall time in the schedule's zone; StartDate/EndDate do not
  apply to it (AWS reads them for recurring schedules only);
- recurring fires before StartDate or after EndDate do not happen; a DISABLED schedule never fires;
- a FlexibleTimeWindow (``FLEXIBLE``, N minutes) lets AWS fire anywhere in [time, time + N min]: here it
  fires at the window's start, the scheduled time itself (local choice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lakehouse.schedule_gap import _CRON, _RATE, Unjudged, _cron, _instant, _wall

ENABLED = "ENABLED"
DISABLED = "DISABLED"
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_SECONDS_PER_UNIT = {"minute": 60, "hour": 3600, "day": 86400}
#: Wall-clock slack around (last, now] when reading cron times, so a DST shift inside it loses none.
_DST_SLACK = timedelta(hours=3)

__all__ = ["DISABLED", "ENABLED", "Schedule", "Unjudged", "fires_between", "is_one_time"]


@dataclass(frozen=True)
class Schedule:
    """What of a schedule decides when it fires (datetimes are aware)."""

    expression: str
    created: datetime
    timezone: str = "UTC"
    state: str = ENABLED
    start: datetime | None = None
    end: datetime | None = None


def is_one_time(expression: str) -> bool:
    return expression.strip().startswith("at(")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise Unjudged(f"{name!r} is no time zone") from err


def fires_between(schedule: Schedule, last: datetime, now: datetime) -> list[datetime]:
    """The fire times (UTC, ascending) of ``schedule`` in ``(last, now]``; raises :class:`Unjudged` for an
    expression it cannot read."""
    if schedule.state != ENABLED or now <= last:
        return []
    expression = schedule.expression.strip()
    zone = _zone(schedule.timezone)
    if match := _AT.match(expression):
        when = datetime.fromisoformat(match.group(1)).replace(tzinfo=zone).astimezone(UTC)
        return [when] if last < when <= now else []
    lower, upper = last, now
    if schedule.start is not None:
        lower = max(lower, schedule.start - timedelta(microseconds=1))
    if schedule.end is not None:
        upper = min(upper, schedule.end)
    if upper <= lower:
        return []
    if match := _RATE.match(expression):
        step = int(match.group(1)) * _SECONDS_PER_UNIT[match.group(2).rstrip("s")]
        if step <= 0:
            raise Unjudged(f"{expression!r} is no positive rate")
        anchor = schedule.start or schedule.created
        first = int((lower - anchor).total_seconds() // step) + 1
        fires = []
        k = max(first, 1)
        while (moment := anchor + timedelta(seconds=k * step)) <= upper:
            if moment > lower:
                fires.append(moment.astimezone(UTC))
            k += 1
        return fires
    if match := _CRON.match(expression):
        cron = _cron(match.group(1).strip())
        walls = cron.get_all_schedule_bw_dates(_wall(lower, zone) - _DST_SLACK, _wall(upper, zone) + _DST_SLACK)
        instants = {i for w in walls if w is not None and (i := _instant(w, zone)) is not None}
        return sorted(i for i in instants if lower < i <= upper)
    raise Unjudged(f"{expression!r} is neither at(...), rate(...) nor cron(...)")
