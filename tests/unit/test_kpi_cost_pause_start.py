"""KPI-cost: a pause schedule that starts firing only later pauses nothing until then.

EventBridge Scheduler fires a schedule only from its StartDate on (@STACK-catalog fails a deployed one whose start is
to come). The KPIs read the plan's schedule and used to count one with a ``start_date`` years ahead as pausing the
catalog: its idle hours were the usage file's resumes times the schedule's window, while the service in fact runs
all month. The healthy twin: a start date already past.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.kpi.pause import running_hours
from tests.unit.plan_docs import PAUSE, REGION, SERVICE, pause_values, plan


def _hours(start_date: str) -> Any:
    doc = plan(pause_values(start_date=start_date))
    return running_hours(planned_resources(doc, REGION), load_usage()["apprunner"])[SERVICE]


def test_a_pause_schedule_starting_years_ahead_pauses_nothing_this_month() -> None:
    hours = _hours("2099-01-01T00:00:00Z")
    assert hours.paused_by is None
    assert hours.idle == 730.0 - hours.active
    assert hours.why.startswith(
        f"{PAUSE} starts firing only at 2099-01-01T00:00:00Z: until then nothing pauses the service: the service runs "
        "all month"
    )


def test_a_pause_schedule_started_already_bounds_the_idle_hours() -> None:
    hours = _hours("2020-01-01T00:00:00Z")
    assert hours.paused_by == PAUSE
    assert hours.window_h == 1.0
    assert hours.idle < 730.0 - hours.active
