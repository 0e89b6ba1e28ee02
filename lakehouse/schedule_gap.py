"""How long an EventBridge Scheduler schedule may go without firing: the longest gap between two firings.

A pause schedule bounds how long a resumed service runs only by its longest gap, not its usual one:

- ``rate(N unit)`` fires every N minutes, hours or days of elapsed time (DST does not move it);
- ``cron(minutes hours day-of-month month day-of-week year)`` fires at wall-clock times in its
  ``ScheduleExpressionTimezone`` (UTC when unset). Its fields (``, - * / ? L W #``, names like ``MON-FRI``)
  are evaluated by ``aws_croniter`` (AWS's six-field dialect); the firings are taken over :data:`SPAN`
  (a whole year and more, so both DST shifts and every month's day rules are in it) and turned into
  instants in the schedule's zone as Scheduler does (user guide, "Daylight savings time"): a wall time the
  spring shift skips does not fire, one the autumn shift repeats fires once (its first instant). So a
  weekday-only cron has a weekend gap, and an hourly cron in a zone with DST has a two-hour gap once a year;
- ``at(...)`` fires once: it is no recurring pause.

An expression this cannot evaluate raises :class:`Unjudged`, saying why: callers judge it as proving no pause.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_croniter import AwsCroniter

#: How far ahead firings are taken: a year plus both DST shifts and a month's slack, whatever the start.
SPAN = timedelta(days=400)
#: The last year a cron's year field may name (1970-2199): a schedule whose firings end before it stops.
LAST_YEAR = 2199
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_HOURS_PER_UNIT = {"minute": 1 / 60, "hour": 1.0, "day": 24.0}
_CRON = re.compile(r"^cron\((.*)\)$")


class Unjudged(ValueError):
    """The expression cannot be evaluated (malformed, one-time, unknown zone, or a rule the evaluator lacks)."""


@dataclass(frozen=True)
class Gap:
    """The longest time between two firings (``math.inf``: it stops firing), and where it lies, for evidence."""

    hours: float
    why: str


def longest_gap(expression: str, timezone: str | None = None, start: datetime | None = None) -> Gap:
    """The longest gap between two consecutive firings of ``expression`` from ``start`` (now) over :data:`SPAN`."""
    expression = expression.strip()
    if match := _RATE.match(expression):
        hours = int(match.group(1)) * _HOURS_PER_UNIT[match.group(2).rstrip("s")]
        if hours <= 0:
            raise Unjudged(f"{expression!r} is no positive rate")
        return Gap(hours, f"{expression} fires every {hours:g} h")
    if expression.startswith("at("):
        raise Unjudged(f"{expression!r} is a one-time schedule: it fires once, not again")
    if not (match := _CRON.match(expression)):
        raise Unjudged(f"{expression!r} is neither a rate(...) nor a cron(...) expression")
    return _cron_gap(match.group(1).strip(), timezone or "UTC", (start or datetime.now(UTC)).astimezone(UTC))


#: The most a schedule can fire in a month of 730 hours: once a minute, the finest rate or cron Scheduler takes.
MAX_FIRINGS_PER_MONTH = 730 * 60


def monthly_firings(expression: str) -> tuple[float, str]:
    """How many times ``expression`` fires in a month of 730 hours (at most), and how that was told.

    ``rate(N unit)``: 730 h over its period; ``at(...)``: once; a cron, or what cannot be read: once a minute, the
    most any schedule fires (an upper bound: the month's bill is never under it).
    """
    expression = expression.strip()
    if match := _RATE.match(expression):
        hours = int(match.group(1)) * _HOURS_PER_UNIT[match.group(2).rstrip("s")]
        if hours > 0:
            return math.ceil(730 / hours), f"{expression}: every {hours:g} h over 730 h"
    if expression.startswith("at("):
        return 1.0, f"{expression} fires once"
    return float(MAX_FIRINGS_PER_MONTH), f"{expression or '(unknown)'}: at most once a minute (an upper bound)"


def _cron(fields: str) -> AwsCroniter:
    """The parsed cron; a day-of-week ``L`` alone is the week's last day, Saturday (``7``), as AWS documents."""
    parts = fields.upper().split()
    if len(parts) != 6:
        raise Unjudged(f"cron({fields}) has {len(parts)} fields, not the six AWS reads")
    if parts[4] == "L":
        parts[4] = "7"
    try:
        return AwsCroniter(" ".join(parts))
    except Exception as err:  # aws_croniter raises several error types (and bare ValueError) for a bad field
        raise Unjudged(f"cron({fields}) cannot be evaluated: {err}") from err


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment``'s wall-clock time in ``zone``, labelled UTC (aws_croniter counts wall time in UTC only)."""
    return moment.astimezone(zone).replace(tzinfo=UTC)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """When a wall-clock firing happens (its first instant if the autumn shift repeats it); None if skipped."""
    local = wall.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None  # the spring shift skips this wall time: Scheduler does not fire
    return local.astimezone(UTC)


def _cron_gap(fields: str, timezone: str, start: datetime) -> Gap:
    shown = f"cron({fields}) in {timezone}"
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise Unjudged(f"{shown}: {timezone!r} is no time zone the check knows") from err
    cron = _cron(fields)
    start = start.replace(second=0, microsecond=0)
    end = start + SPAN
    walls = cron.get_all_schedule_bw_dates(_wall(start, zone), _wall(end, zone))
    if any(w is None for w in walls):
        raise Unjudged(f"{shown} cannot be evaluated: a rule its evaluator does not follow")
    firings = [start, *(i for w in walls if (i := _instant(w, zone)) is not None), end]
    # A tie goes to a gap between two firings, not one ending at the span's edge (the wording would depend on
    # the minute the check runs: started at 14:00, `*/30` has a 0.5 h edge gap equal to its firings' gaps).
    before, after = max(
        zip(firings, firings[1:], strict=False),
        key=lambda pair: (pair[1] - pair[0], pair[0] != start and pair[1] != end),
    )
    hours = (after - before).total_seconds() / 3600
    last = cron.get_final_execution_time(datetime(1970, 1, 1, tzinfo=UTC), datetime(LAST_YEAR + 1, 1, 1, tzinfo=UTC))
    if fields.split()[5] != "*" and (last is None or last.year < LAST_YEAR):
        when = f"after {last.replace(tzinfo=None).isoformat()}" if last else "for good"
        return Gap(math.inf, f"{shown} stops firing {when} (its year field): after that nothing fires")
    if before == start or after == end:
        where = f"from {before.isoformat()} to {after.isoformat()} (the {SPAN.days} days read)"
    else:
        where = f"between its firings at {before.astimezone(zone).isoformat()} and {after.astimezone(zone).isoformat()}"
    return Gap(hours, f"{shown} goes up to {hours:g} h without firing, {where}")
