"""When a Scheduler schedule fires, judged with a chosen clock (lakehouse.emulator.schedules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lakehouse.emulator.schedules import DISABLED, Schedule, Unjudged, fires_between

T0 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def _at(hour: int, minute: int = 0, second: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=UTC)


def test_hourly_cron_fires_once_across_the_hour_boundary() -> None:
    hourly = Schedule("cron(0 * * * ? *)", created=T0)
    assert fires_between(hourly, _at(9, 59, 59), _at(10, 0, 0)) == [_at(10)]
    assert fires_between(hourly, _at(10, 0, 0), _at(10, 0, 1)) == []  # (last, now]: not twice
    assert fires_between(hourly, _at(9, 0, 1), _at(9, 59, 59)) == []
    assert fires_between(hourly, _at(8, 30), _at(11, 0)) == [_at(9), _at(10), _at(11)]


def test_rate_fires_every_interval_from_creation() -> None:
    every_hour = Schedule("rate(1 hour)", created=T0)
    assert fires_between(every_hour, T0, T0 + timedelta(minutes=59)) == []
    assert fires_between(every_hour, T0, T0 + timedelta(hours=1)) == [T0 + timedelta(hours=1)]
    assert fires_between(every_hour, T0 + timedelta(hours=1), T0 + timedelta(hours=3, seconds=1)) == [
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=3),
    ]
    assert fires_between(Schedule("rate(5 minutes)", created=T0), T0, T0 + timedelta(minutes=11)) == [
        T0 + timedelta(minutes=5),
        T0 + timedelta(minutes=10),
    ]


def test_at_fires_once_at_its_time() -> None:
    once = Schedule("at(2026-12-05T10:15:00)", created=T0)
    assert fires_between(once, _at(10, 14, 59), _at(10, 15)) == [_at(10, 15)]
    assert fires_between(once, _at(10, 15), _at(10, 16)) == []
    assert fires_between(once, _at(10, 0), _at(10, 14, 59)) == []


def test_disabled_never_fires() -> None:
    for expression in ("cron(0 * * * ? *)", "rate(1 minute)", "at(2026-12-05T10:15:00)"):
        assert fires_between(Schedule(expression, created=T0, state=DISABLED), T0, T0 + timedelta(hours=2)) == []


def test_timezone_moves_cron_and_at() -> None:
    daily_nine_tokyo = Schedule("cron(0 9 * * ? *)", created=T0, timezone="Asia/Tokyo")
    assert fires_between(daily_nine_tokyo, _at(23, day=5), _at(1, day=6)) == [_at(0, day=6)]  # 09:00 JST
    assert fires_between(daily_nine_tokyo, _at(8, day=6), _at(10, day=6)) == []  # not 09:00 UTC
    at_tokyo = Schedule("at(2026-12-06T09:00:00)", created=T0, timezone="Asia/Tokyo")
    assert fires_between(at_tokyo, _at(23, day=5), _at(1, day=6)) == [_at(0, day=6)]


def test_dst_spring_shift_skips_the_missing_wall_time() -> None:
    # 2026-03-08 02:30 does not exist in New York (clocks go 02:00 -> 03:00).
    daily = Schedule("cron(30 2 * * ? *)", created=T0, timezone="America/New_York")
    spring_day = datetime(2026, 3, 8, tzinfo=UTC)
    assert fires_between(daily, spring_day, spring_day + timedelta(days=1)) == []


def test_start_and_end_dates_bound_recurring_fires() -> None:
    hourly = Schedule("cron(0 * * * ? *)", created=T0, start=_at(11), end=_at(13))
    assert fires_between(hourly, _at(9, 30), _at(15)) == [_at(11), _at(12), _at(13)]
    rate = Schedule("rate(1 hour)", created=T0, start=_at(12), end=_at(14, 30))
    assert fires_between(rate, _at(9), _at(18)) == [_at(13), _at(14)]
    assert fires_between(Schedule("rate(1 hour)", created=T0, end=_at(10)), _at(10), _at(12)) == []


def test_unreadable_expressions_raise() -> None:
    for expression in ("every hour", "cron(0 * * *)", "at(tomorrow)"):
        with pytest.raises(Unjudged):
            fires_between(Schedule(expression, created=T0), T0, T0 + timedelta(hours=1))
    with pytest.raises(Unjudged):
        fires_between(Schedule("rate(1 hour)", created=T0, timezone="Mars/Olympus"), T0, T0 + timedelta(hours=1))
