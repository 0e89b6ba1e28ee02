"""KPI-cost prices the catalog's idle hours the plan's pause schedule leaves, not a fixed 20 h.

The broken stacks: infra/catalog_service.tf's pause schedule removed (or disabled, or pausing another
service, or firing once a day): App Runner then keeps the catalog running, billing its memory all
month or for a day after each resume, while the usage file said 20 idle hours regardless. At the
committed size that is ~3 USD more; on a catalog grown to 2 vCPU / 4 GB it is over the 20 USD cap.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.cost import estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from lakehouse.kpi.pause import running_hours, window_hours
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, PAUSE, REGION, SERVICE, pause_values, plan

NO_PAUSE = (
    f"no schedule in the plan calls apprunner:PauseService on {SERVICE}: the service runs all month, "
    "730 h - 20 h in use = 710 h idle"
)


def _estimate(doc: dict[str, Any]) -> Any:
    return estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage())


def _idle(doc: dict[str, Any]) -> Any:
    return running_hours(planned_resources(doc, REGION), load_usage()["apprunner"])[SERVICE]


def _catalog_line(estimate: Any) -> Any:
    [line] = [line for line in estimate.lines if line.address == SERVICE]
    return line


@pytest.mark.parametrize(
    ("expression", "timezone", "hours"),
    [
        ("rate(1 hour)", None, 1.0),
        ("rate(6 hours)", "Europe/London", 6.0),  # a rate is elapsed time: DST does not move it
        ("rate(30 minutes)", None, 0.5),
        ("rate(1 day)", None, 24.0),
        ("cron(0 * * * ? *)", None, 1.0),
        ("cron(*/30 * * * ? *)", "UTC", 0.5),
        ("cron(15 */3 * * ? *)", None, 3.0),
        ("cron(0 9 * * ? *)", None, 24.0),  # once a day at 9
        ("cron(0 * ? * MON-FRI *)", None, 49.0),  # weekdays only: Friday 23:00 to Monday 00:00
        ("cron(0 * * * ? *)", "Europe/London", 2.0),  # the autumn shift fires 01:00 once: 01:00 BST to 02:00 GMT
        ("cron(30 2 * * ? *)", "America/New_York", 47.0),  # the spring shift skips 02:30 once
        ("cron(0 * * * ? 2020)", None, None),  # its year field is over: it never fires again
        ("cron(0 * * * * *)", None, None),  # invalid: day-of-month and day-of-week both set
        ("cron(0 * * * ? *)", "Nowhere/Nothing", None),
        ("at(2026-12-24T00:00:00)", None, None),
    ],
)
def test_the_pause_window_is_read_from_the_schedule_expression(
    expression: str, timezone: str | None, hours: float | None
) -> None:
    assert window_hours(expression, timezone) == hours


def test_the_healthy_plan_pauses_the_catalog_an_hour_after_each_resume() -> None:
    hours = _idle(plan(pause_values()))
    assert (hours.active, hours.idle, hours.paused_by, hours.window_h) == (20.0, 20.0, PAUSE, 1.0)
    estimate = _estimate(plan(pause_values()))
    line = _catalog_line(estimate)
    assert line.note == f"paused by {PAUSE} (rate(1 hour)): at most 1 h running after each of 20 resumes = 20 h idle"
    assert estimate.inputs["apprunner_hours_from_plan"][SERVICE]["idle"] == 20.0
    assert judge_cost(estimate, 20.0, BUDGET).passed


def test_a_known_service_arn_in_the_schedule_ties_it_to_the_service_too() -> None:
    arn = "arn:aws:apprunner:ap-northeast-1:123456789012:service/lakehouse-lh-x-catalog/abc"
    doc = plan(pause_values(target=[{"arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService",
                                     "input": f'{{"ServiceArn":"{arn}"}}'}]))  # fmt: skip
    doc["configuration"]["root_module"]["resources"] = []  # an applied plan: the ARNs known, no reference needed
    for res in doc["planned_values"]["root_module"]["resources"]:
        if res["address"] == SERVICE:
            res["values"]["arn"] = arn
    assert _idle(doc).paused_by == PAUSE
    other = doc["planned_values"]["root_module"]["resources"]
    next(r for r in other if r["address"] == SERVICE)["values"]["arn"] = arn.replace("/abc", "/def")
    assert _idle(doc).paused_by is None


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        (plan(None), NO_PAUSE),
        (
            plan(pause_values(state="DISABLED")),
            f"{PAUSE} is DISABLED: the service runs all month, 730 h - 20 h in use = 710 h idle",
        ),
        (plan(pause_values(), pause_refers_to="aws_apprunner_service.other"), NO_PAUSE),
        (
            plan(pause_values("at(2026-12-24T00:00:00)")),
            f"{PAUSE}'s 'at(2026-12-24T00:00:00)' has no window the estimate can tell ('at(2026-12-24T00:00:00)' is a "
            "one-time schedule: it fires once, not again): the service runs all month",
        ),
        (
            plan(pause_values("cron(0 * * * ? 2020)")),
            f"{PAUSE}'s 'cron(0 * * * ? 2020)' has no window the estimate can tell (cron(0 * * * ? 2020) in UTC stops "
            "firing after 2020-12-31T23:00:00 (its year field): after that nothing fires): the service runs all month",
        ),
        (
            plan(pause_values(end_date="2026-12-31T00:00:00Z")),
            f"{PAUSE} ends at 2026-12-31T00:00:00Z: after it nothing pauses the service",
        ),
    ],
)
def test_a_catalog_nothing_pauses_is_priced_running_all_month_saying_why(doc: dict[str, Any], why: str) -> None:
    healthy = _catalog_line(_estimate(plan(pause_values())))
    line = _catalog_line(_estimate(doc))
    idle = {c.name: c.quantity for c in line.components}["provisioned memory while running idle"]
    assert idle == 710 * 0.5  # GB-hours: 0.5 GB for 710 h, not 20 h
    assert line.note.startswith(why)
    gb_hour = load_prices().prices(REGION)["apprunner_usd_per_gb_hour"]
    assert line.monthly_usd == pytest.approx(healthy.monthly_usd + 690 * 0.5 * gb_hour)


def test_a_daily_pause_bills_up_to_a_day_after_each_resume() -> None:
    hours = _idle(plan(pause_values("rate(1 day)")))
    assert hours.idle == 20 * 24 and hours.window_h == 24.0  # 20 resumes x 24 h, under 710 h
    assert _idle(plan(pause_values("rate(2 days)"))).idle == 710.0  # capped at the month's running hours


@pytest.mark.parametrize(
    ("expression", "timezone", "window", "idle"),
    [
        ("cron(0 * * * ? *)", "UTC", 1.0, 20.0),  # hourly, as healthy as rate(1 hour)
        ("cron(*/30 * * * ? *)", "UTC", 0.5, 10.0),
        ("cron(0 9 * * ? *)", "UTC", 24.0, 480.0),  # daily: up to a day after each of 20 resumes
        ("cron(0 * ? * MON-FRI *)", "UTC", 49.0, 710.0),  # a weekend resume runs to Monday: capped at the month
        ("cron(0 * * * ? *)", "Europe/London", 2.0, 40.0),  # the autumn shift's 2 h gap
    ],
)
def test_a_cron_pause_is_priced_by_its_longest_gap(expression: str, timezone: str, window: float, idle: float) -> None:
    hours = _idle(plan(pause_values(expression, schedule_expression_timezone=timezone)))
    assert (hours.paused_by, hours.window_h, hours.idle) == (PAUSE, window, idle)


def test_removing_the_pause_from_a_grown_catalog_fails_the_kpi_naming_the_missing_schedule() -> None:
    """2 vCPU / 4 GB: paused hourly ~8 USD (passes); never paused, its 4 GB idle 710 h tip it over 20 USD."""
    paused = judge_cost(_estimate(plan(pause_values(), cpu="2048", memory="4096")), 20.0, BUDGET)
    assert paused.passed, paused.reason
    broken = judge_cost(_estimate(plan(None, cpu="2048", memory="4096")), 20.0, BUDGET)
    assert broken.status is Status.FAILED
    assert "over the 20 USD cap" in str(broken.reason)
    assert f"{SERVICE} " in str(broken.reason) and f"[{NO_PAUSE}]" in str(broken.reason)
    hours = broken.details["estimate"]["inputs"]["apprunner_hours_from_plan"][SERVICE]
    assert hours["idle"] == 710.0 and hours["paused_by"] is None


def test_a_flexible_time_window_lets_the_pause_fire_that_much_later() -> None:
    flexible = pause_values(flexible_time_window=[{"maximum_window_in_minutes": 60, "mode": "FLEXIBLE"}])
    hours = _idle(plan(flexible))
    assert (hours.window_h, hours.idle) == (2.0, 40.0)  # 1 h rate + up to 60 min late, after each of 20 resumes
