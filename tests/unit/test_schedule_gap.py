"""The longest gap between two firings of an EventBridge Scheduler expression, DST included.

The broken inputs: a pause schedule written as a daily or weekday-only cron, an hourly cron in a zone whose
autumn shift fires 01:00 once (a 2 h gap), a daily cron at a wall time the spring shift skips, a cron whose
year field ends, and expressions that cannot be evaluated (at(...), malformed fields, an unknown zone).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from lakehouse.schedule_gap import Unjudged, longest_gap

START = datetime(2026, 12, 5, 13, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "timezone", "hours"),
    [
        ("rate(1 hour)", None, 1.0),
        ("rate(30 minutes)", "America/New_York", 0.5),
        ("cron(0 * * * ? *)", None, 1.0),
        ("cron(*/30 * * * ? *)", "UTC", 0.5),
        ("cron(5/20 * * * ? *)", None, 20 / 60),  # 05, 25, 45
        ("cron(5,50 * * * ? *)", None, 45 / 60),  # 05 to 50 is the longest
        ("cron(0 0-23/2 * * ? *)", None, 2.0),
        ("cron(0 * * * ? *)", "Asia/Tokyo", 1.0),  # no DST
        ("cron(0 9 * * ? *)", None, 24.0),
        ("cron(0 * ? * MON-FRI *)", None, 49.0),
        ("cron(0 * ? * mon-fri *)", None, 49.0),
        ("cron(0 0 ? * L *)", None, 168.0),  # day-of-week L: the week's last day, each Saturday
        ("cron(0 0 L * ? *)", None, 31 * 24.0),  # the last day of each month
        ("cron(0 0 ? * 6#3 *)", None, 35 * 24.0),  # the third Friday: five weeks apart at most
        ("cron(0 * * * ? *)", "Europe/London", 2.0),  # 01:00 BST, then (01:00 GMT not again) 02:00 GMT
        ("cron(30 2 * * ? *)", "America/New_York", 47.0),  # 02:30 does not exist on the spring shift's day
        ("cron(30 * * * ? *)", "Australia/Lord_Howe", 1.5),  # a half-hour DST shift
    ],
)
def test_the_longest_gap_is_found(expression: str, timezone: str | None, hours: float) -> None:
    assert longest_gap(expression, timezone, START).hours == pytest.approx(hours)


def test_the_evidence_names_where_the_longest_gap_lies() -> None:
    london = longest_gap("cron(0 * * * ? *)", "Europe/London", START).why
    assert london == (
        "cron(0 * * * ? *) in Europe/London goes up to 2 h without firing, between its firings at "
        "2027-10-31T01:00:00+01:00 and 2027-10-31T02:00:00+00:00"
    )
    weekdays = longest_gap("cron(0 * ? * MON-FRI *)", None, START).why
    assert "between its firings at 2026-12-11T23:00:00+00:00 and 2026-12-14T00:00:00+00:00" in weekdays
    assert longest_gap("rate(2 hours)", None, START).why == "rate(2 hours) fires every 2 h"


def test_the_evidence_does_not_depend_on_the_minute_the_check_runs() -> None:
    """Started on a firing's minute, the gap to the next firing ties with the firings' own: theirs is named."""
    for start in (datetime(2026, 12, 5, 14, 0, tzinfo=UTC), datetime(2026, 12, 5, 14, 7, tzinfo=UTC)):
        gap = longest_gap("cron(*/30 * * * ? *)", None, start)
        assert gap.hours == pytest.approx(0.5) and "between its firings at " in gap.why, gap.why


def test_a_cron_whose_year_field_ends_stops_pausing() -> None:
    ended = longest_gap("cron(0 * * * ? 2026)", None, START)
    assert math.isinf(ended.hours)
    assert "stops firing after 2026-12-31T23:00:00 (its year field)" in ended.why
    assert "stops firing after 2020-12-31T23:00:00" in longest_gap("cron(0 * * * ? 2020)", None, START).why
    assert longest_gap("cron(0 * * * ? 2026-2199)", None, START).hours == 1.0


def test_a_cron_that_never_fires_in_the_span_has_the_whole_span_as_its_gap() -> None:
    never = longest_gap("cron(0 0 30 2 ? *)", None, START)  # 30 February
    assert never.hours == 400 * 24 and "(the 400 days read)" in never.why


@pytest.mark.parametrize(
    ("expression", "timezone", "why"),
    [
        ("at(2026-12-24T00:00:00)", None, "is a one-time schedule: it fires once, not again"),
        ("cron(0 * * * * *)", None, "cannot be evaluated: Invalid combination of day-of-month '*' and day-of-week"),
        ("cron(0 * * * ?)", None, "has 5 fields, not the six AWS reads"),
        ("cron(61 * * * ? *)", None, "cannot be evaluated"),
        ("cron(0 0 LW * ? *)", None, "cannot be evaluated"),  # a rule the evaluator does not follow: unjudged
        ("cron(0 * * * ? *)", "Mars/Olympus_Mons", "'Mars/Olympus_Mons' is no time zone the check knows"),
        ("every hour", None, "is neither a rate(...) nor a cron(...) expression"),
        ("rate(0 hours)", None, "is no positive rate"),
    ],
)
def test_what_cannot_be_evaluated_is_unjudged_saying_why(expression: str, timezone: str | None, why: str) -> None:
    with pytest.raises(Unjudged, match=None) as raised:
        longest_gap(expression, timezone, START)
    assert why in str(raised.value)
