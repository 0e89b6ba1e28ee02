"""The plan's threshold of each check a setting can move, and what a looser setting makes of its outcome.

The plan states its numbers in features/ (``p95 query latency < 200 ms``, ``make up`` in ``<= 30 min``...);
``PLAN`` holds them once, in the harness's units (a unit test reads them back from the feature files).
A setting may make a check stricter than the plan: it is judged as set. A looser one (a busy machine's
5000 ms p95) is judged as set too, but the plan's check was not run as stated, so ``at_plan`` turns a
``passed`` into ``skipped`` (the run is ``incomplete``) saying at what it was judged; any other status
stands (a check that fails at a looser threshold fails at the plan's too).

Bottom-level (imports only ``lakehouse.outcome``), so settings and options can take their defaults here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lakehouse.outcome import Outcome, Status


@dataclass(frozen=True)
class PlanThreshold:
    """One check's threshold as the plan states it, and the setting that can move it."""

    #: What is bounded, for the reason ("p95 query latency").
    what: str
    #: The plan's number, in the harness's unit (``unit``).
    value: float
    unit: str
    #: ``max``: the measure must stay at or under it (a higher setting is looser); ``min``: at or over it.
    bound: Literal["max", "min"]
    #: The feature files' words for it (``< 200 ms``); the unit test finds them in the check's scenario.
    stated: str
    #: The flag and/or environment variable that sets it.
    setting: str

    def looser(self, used: float) -> bool:
        """Whether ``used`` lets through what the plan's value would not."""
        return used > self.value if self.bound == "max" else used < self.value


#: Each check whose threshold a setting can move, by check id.
PLAN: dict[str, PlanThreshold] = {
    "EXIT-1": PlanThreshold(
        "deploy time", 30 * 60, "s", "max", "<= 30 min", "--deploy-threshold / LAKEHOUSE_DEPLOY_THRESHOLD_S"
    ),
    "EXIT-7": PlanThreshold(
        "monthly cost cap",
        20.0,
        "USD",
        "max",
        "within the 20 USD monthly cap",
        "--cost-cap / LAKEHOUSE_MONTHLY_COST_CAP_USD",
    ),
    "KPI-quickstart": PlanThreshold(
        "quick-start runtime", 30 * 60, "s", "max", "Quick-start runtime <= 30 min", "LAKEHOUSE_KPI_QUICKSTART_S"
    ),
    "KPI-success-rate": PlanThreshold(
        "pipeline success rate", 95.0, "%", "min", "Pipeline success rate >= 95 %", "LAKEHOUSE_KPI_SUCCESS_PCT"
    ),
    "KPI-p95-latency": PlanThreshold(
        "p95 query latency", 200.0, "ms", "max", "p95 query latency < 200 ms", "--kpi-p95-ms / LAKEHOUSE_KPI_P95_MS"
    ),
    "KPI-cost": PlanThreshold(
        "monthly cost", 20.0, "USD", "max", "Monthly cost <= 20 USD", "--cost-cap / LAKEHOUSE_MONTHLY_COST_CAP_USD"
    ),
    "KPI-co2": PlanThreshold("monthly CO2", 50.0, "kg", "max", "CO2 <= 50 kg / month", "LAKEHOUSE_KPI_CO2_KG"),
}


def plan_value(check_id: str) -> float:
    """The plan's threshold of ``check_id`` (the default of the setting that moves it)."""
    return PLAN[check_id].value


def at_plan(outcome: Outcome, check_id: str, used: float) -> Outcome:
    """``outcome``, judged at ``used``, as the plan's check: a pass at a looser threshold is ``skipped``.

    The evidence keeps both numbers (``details["plan_threshold"]``); the outcome is returned as it is
    when ``used`` is the plan's or stricter.
    """
    plan = PLAN[check_id]
    if not plan.looser(used):
        return outcome
    note = (
        f"{plan.what} judged at {used:g} {plan.unit}, looser than the plan's {plan.value:g} {plan.unit} "
        f"(set by {plan.setting})"
    )
    details = {
        **outcome.details,
        "plan_threshold": {"plan": plan.value, "judged_at": used, "unit": plan.unit, "looser": True},
    }
    if outcome.status is Status.PASSED:
        return Outcome.skipped(
            f"{note}: passed there, so the plan's check was not run as stated",
            outcome.threshold,
            details,
            outcome.measured,
        )
    return Outcome(outcome.status, outcome.measured, outcome.threshold, f"{outcome.reason}; {note}", details)
