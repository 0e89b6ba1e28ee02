"""A threshold set looser than the plan's: the check is judged at it, but never ``passed``.

The hole: ``--kpi-p95-ms 5000`` (or LAKEHOUSE_KPI_CO2_KG, LAKEHOUSE_KPI_QUICKSTART_S, --deploy-threshold,
--cost-cap) was only checked to be positive, so a p95 of 900 ms, a 40 min deploy or a 25 USD budget passed
and the run said ``passed``. Now ``lakehouse.thresholds.at_plan`` makes such a pass ``skipped`` (the run
``incomplete``) saying at what it was judged; a stricter setting is judged as set; a failure stays failed.
The steps are called here as pytest calls them (each parameter from the fixture of that name).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from lakehouse.checks.deploy_time import check_deploy_time
from lakehouse.checks.stack_parts import PARTS
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.kpi.settings import kpi_settings
from lakehouse.outcome import Outcome, Status
from lakehouse.stack import Stopwatch
from lakehouse.thresholds import PLAN, at_plan
from steps import deploy_steps, finops_steps, kpi_steps
from tests.unit.test_exit1_attacks import BUCKET, JOB, _created, _state
from tests.unit.test_finops import ALARM, BUDGET, healthy

ROOT = Path(__file__).resolve().parents[2]
UNITS = {"min": ("s", 60.0), "ms": ("ms", 1.0), "USD": ("USD", 1.0), "kg": ("kg", 1.0), "%": ("%", 1.0)}
STATED = re.compile(r"(<=|<|>=|within the) (\d+(?:\.\d+)?) (min|ms|USD|kg|%)")


def call_step(step: Callable[..., Any], **fixtures: Any) -> Any:
    """Call a step function as pytest-bdd does: each parameter from the fixture of its name."""
    return step(**{name: fixtures[name] for name in inspect.signature(step).parameters})


def scenario_texts() -> dict[str, str]:
    """Each check's scenario as the feature files state it: title, description and steps, by check id."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "features").glob("*.feature")):
        doc: Any = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
        for child in doc["feature"]["children"]:
            if scenario := child.get("scenario"):
                text = "\n".join(
                    [scenario["name"], scenario.get("description", ""), *(s["text"] for s in scenario["steps"])]
                )
                for tag in scenario["tags"]:
                    found[tag["name"].removeprefix("@")] = text
    return found


@pytest.mark.parametrize("check_id", sorted(PLAN))
def test_the_table_holds_the_plans_numbers_as_the_features_state_them(check_id: str) -> None:
    """``PLAN`` is the floor (or ceiling) a setting may not cross unseen: its numbers are the feature files'."""
    plan = PLAN[check_id]
    text = scenario_texts()[check_id]
    assert plan.stated in text, f"{check_id}: {plan.stated!r} is not in its scenario:\n{text}"
    m = STATED.search(plan.stated)
    assert m is not None, plan.stated
    unit, factor = UNITS[m.group(3)]
    assert (float(m.group(2)) * factor, unit) == (plan.value, plan.unit), check_id
    assert plan.bound == ("min" if m.group(1) == ">=" else "max"), check_id


# -- KPIs: "Then the KPI meets its threshold" ------------------------------------------------------------

#: Per KPI: the setting that loosens it, a measurement the plan fails but the loose setting passes, and the
#: words the evidence must say. KPI-mttr's runbook judges exit check 7 back within the same cost cap.
LOOSENED: list[tuple[str, dict[str, str], float | None, float, str]] = [
    (
        "KPI-p95-latency",
        {"LAKEHOUSE_KPI_P95_MS": "5000"},
        None,
        900.0,
        "judged at 5000 ms, looser than the plan's 200 ms",
    ),
    (
        "KPI-quickstart",
        {"LAKEHOUSE_KPI_QUICKSTART_S": "3600"},
        None,
        2400.0,
        "at 3600 s, looser than the plan's 1800 s",
    ),
    ("KPI-co2", {"LAKEHOUSE_KPI_CO2_KG": "80"}, None, 70.0, "judged at 80 kg, looser than the plan's 50 kg"),
    (
        "KPI-success-rate",
        {"LAKEHOUSE_KPI_SUCCESS_PCT": "50"},
        None,
        50.0,
        "judged at 50 %, looser than the plan's 95 %",
    ),
    ("KPI-cost", {}, 30.0, 25.0, "judged at 30 USD, looser than the plan's 20 USD"),
    ("KPI-mttr", {}, 30.0, 600.0, "monthly cost cap judged at 30 USD, looser than the plan's 20 USD"),
]


def _kpi_then(check_id: str, outcome: Outcome, env: dict[str, str], cap: float | None) -> CheckEvidence:
    evidence = CheckEvidence(check_id, check_id, "local")
    options = RunOptions() if cap is None else RunOptions(monthly_cost_cap_usd=cap)
    call_step(
        kpi_steps.kpi_meets_threshold,
        kpi_outcome=outcome,
        evidence=evidence,
        kpi=kpi_settings(env),
        run_options=options,
    )
    return evidence


@pytest.mark.parametrize(("check_id", "env", "cap", "measured", "says"), LOOSENED)
def test_a_kpi_passing_only_at_a_looser_threshold_than_the_plans_is_not_passed(
    check_id: str, env: dict[str, str], cap: float | None, measured: float, says: str
) -> None:
    """Broken: a measurement the plan fails (p95 900 ms, 25 USD...) passed at the loosened setting."""
    used = float(next(iter(env.values()))) if env else cap
    with pytest.raises(pytest.skip.Exception, match=re.escape(says)):
        _kpi_then(check_id, Outcome.judged(True, measured, used), env, cap)


@pytest.mark.parametrize(("check_id", "env", "cap", "measured", "says"), LOOSENED)
def test_the_loosened_kpis_evidence_says_at_what_it_was_judged(
    check_id: str, env: dict[str, str], cap: float | None, measured: float, says: str
) -> None:
    evidence = CheckEvidence(check_id, check_id, "local")
    options = RunOptions() if cap is None else RunOptions(monthly_cost_cap_usd=cap)
    with pytest.raises(pytest.skip.Exception):
        call_step(
            kpi_steps.kpi_meets_threshold,
            kpi_outcome=Outcome.judged(True, measured, None, details={"samples": 3}),
            evidence=evidence,
            kpi=kpi_settings(env),
            run_options=options,
        )
    assert evidence.status == "skipped" and says in str(evidence.reason)
    assert "not run as stated" in str(evidence.reason) and evidence.measured == measured
    assert evidence.details["samples"] == 3 and evidence.details["plan_threshold"]["looser"] is True


@pytest.mark.parametrize(("check_id", "env", "cap", "measured", "says"), LOOSENED)
def test_a_kpi_failing_at_a_looser_threshold_stays_failed(
    check_id: str, env: dict[str, str], cap: float | None, measured: float, says: str
) -> None:
    with pytest.raises(AssertionError, match="over it"):
        _kpi_then(check_id, Outcome.judged(False, measured, None, "over it"), env, cap)


STRICTER: list[tuple[str, dict[str, str], float | None]] = [
    ("KPI-p95-latency", {"LAKEHOUSE_KPI_P95_MS": "150"}, None),
    ("KPI-quickstart", {"LAKEHOUSE_KPI_QUICKSTART_S": "900"}, None),
    ("KPI-co2", {"LAKEHOUSE_KPI_CO2_KG": "50"}, None),
    ("KPI-success-rate", {"LAKEHOUSE_KPI_SUCCESS_PCT": "99.5"}, None),
    ("KPI-cost", {}, 15.0),
    ("KPI-mttr", {}, 20.0),
]


@pytest.mark.parametrize(("check_id", "env", "cap"), STRICTER)
def test_a_kpi_at_the_plans_threshold_or_stricter_is_judged_as_set(
    check_id: str, env: dict[str, str], cap: float | None
) -> None:
    """Healthy twin: a stricter (or equal) setting passes a healthy measurement and fails a broken one, as set."""
    passed = _kpi_then(check_id, Outcome.judged(True, 1.0, None), env, cap)
    assert (passed.status, passed.reason) == ("passed", None)
    with pytest.raises(AssertionError, match="over it"):
        _kpi_then(check_id, Outcome.judged(False, 1.0, None, "over it"), env, cap)


@pytest.mark.parametrize("check_id", [c for c, *_ in LOOSENED] + ["KPI-sbom"])
def test_default_settings_leave_every_kpi_outcome_as_judged(check_id: str) -> None:
    """Nothing set: the plan's thresholds, a pass stays passed and a skip keeps its own reason."""
    passed = _kpi_then(check_id, Outcome.judged(True, 1.0, None), {}, None)
    assert (passed.status, passed.reason) == ("passed", None)
    with pytest.raises(pytest.skip.Exception, match="^not measured here$"):
        _kpi_then(check_id, Outcome.skipped("not measured here"), {}, None)


# -- exit check 1: --deploy-threshold ------------------------------------------------------------------


def _exit1(
    tmp_path: Path, threshold_s: float, wall_s: float = 2400.0, in_state: tuple[str, ...] = (BUCKET,)
) -> CheckEvidence:
    """Exit check 1's two Then steps in the scenario's order, on a ``wall_s`` deploy that created the bucket and
    every part of the plan's stack (``in_state``: what else its state holds)."""
    whole = tuple(dict.fromkeys(a for part in PARTS for a in part.addresses))
    apply = _created(BUCKET, *whole)
    apply.wall_s = wall_s  # the apply phase is the apply's own time, as Lifecycle.up records it
    watch = Stopwatch(phases={"terraform_apply": wall_s}, apply=apply, wall_s=wall_s)
    options = RunOptions(deploy_threshold_s=threshold_s)
    evidence = CheckEvidence("EXIT-1", "30-min deploy", "local")
    fixtures = {
        "deploy_time": check_deploy_time(watch, options.deploy_threshold_s),
        "evidence": evidence,
        "deployment": SimpleNamespace(stopwatch=watch, stack=SimpleNamespace(dir=tmp_path)),
        "stack": SimpleNamespace(state=lambda: _state(*in_state, *whole)),
        "run_options": options,
    }
    call_step(deploy_steps.deploy_within_threshold, **fixtures)
    call_step(deploy_steps.every_resource_timed, **fixtures)
    return evidence


def test_a_40_min_deploy_at_a_60_min_deploy_threshold_is_not_passed(tmp_path: Path) -> None:
    """Broken: --deploy-threshold 3600 passed a 40 min `make up`; the plan's exit check 1 is 30 min."""
    with pytest.raises(pytest.skip.Exception, match="deploy time judged at 3600 s, looser than the plan's 1800 s"):
        _exit1(tmp_path, 3600)


def test_a_loosened_deploy_threshold_still_judges_the_whole_check(tmp_path: Path) -> None:
    """The stopwatch's other Then step still runs first: an untimed resource fails, not skips."""
    with pytest.raises(AssertionError, match=re.escape(JOB)):
        _exit1(tmp_path, 3600, in_state=(BUCKET, JOB))


def test_a_deploy_threshold_at_the_plans_or_stricter_is_judged_as_set(tmp_path: Path) -> None:
    """Healthy twin: the plan's 30 min fails the 40 min deploy; 15 min (stricter) passes a 10 min one."""
    with pytest.raises(AssertionError, match="1800"):
        _exit1(tmp_path, 1800)
    assert _exit1(tmp_path, 900, wall_s=600.0).status == "passed"
    assert _exit1(tmp_path, 1800, wall_s=600.0).status == "passed"


# -- exit check 7: --cost-cap ---------------------------------------------------------------------------


def _exit7(tmp_path: Path, limit: str, cap_given: float | None) -> CheckEvidence:
    """Exit check 7's two Then steps on a healthy read-back whose budget and billing alarm are at ``limit`` USD."""
    read = healthy(
        budget={**BUDGET, "BudgetLimit": {"Amount": limit, "Unit": "USD"}},
        alarm={**ALARM, "Threshold": float(limit)},
        billing_alarms=[{**ALARM, "Threshold": float(limit)}],
    )
    options = (
        RunOptions(reports_dir=tmp_path)
        if cap_given is None
        else RunOptions(reports_dir=tmp_path, monthly_cost_cap_usd=cap_given)
    )
    evidence = CheckEvidence("EXIT-7", "Fin/Obs guards", "local")
    fixtures = {
        "finops_read": read,
        "cap": 20.0,  # the feature's step text
        "series": 3,
        "stack": SimpleNamespace(stack_id="lh-x"),
        "run_options": options,
        "pytestconfig": SimpleNamespace(getoption=lambda name: cap_given if name == "--cost-cap" else None),
        "evidence": evidence,
        "artifacts": ArtifactStore(tmp_path),
    }
    finops = call_step(finops_steps.budget_and_dashboard, **fixtures)
    call_step(finops_steps.billing_alarm_can_fire, **{**fixtures, "finops": finops})
    return evidence


def test_a_25_usd_budget_under_a_30_usd_cost_cap_is_not_passed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken: --cost-cap 30 passed a budget of 25 USD; the plan's cap is 20 USD."""
    monkeypatch.delenv("LAKEHOUSE_MONTHLY_COST_CAP_USD", raising=False)
    with pytest.raises(pytest.skip.Exception, match="monthly cost cap judged at 30 USD, looser than the plan's 20 USD"):
        _exit7(tmp_path, "25.0", 30.0)


def test_the_plans_cost_cap_or_a_stricter_one_is_judged_as_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Healthy twin: the feature's 20 USD passes a 20 USD budget and fails a 25 USD one; 15 USD fails 20 USD."""
    monkeypatch.delenv("LAKEHOUSE_MONTHLY_COST_CAP_USD", raising=False)
    assert _exit7(tmp_path, "20.0", None).status == "passed"
    with pytest.raises(AssertionError, match="25"):
        _exit7(tmp_path, "25.0", None)
    with pytest.raises(AssertionError, match="15"):
        _exit7(tmp_path, "20.0", 15.0)


# -- the mechanism itself --------------------------------------------------------------------------------


def test_at_plan_keeps_an_error_and_a_skip_and_adds_the_note() -> None:
    error = at_plan(Outcome.error("cannot read the budget"), "KPI-cost", 30.0)
    assert error.status is Status.ERROR and str(error.reason).startswith("cannot read the budget; monthly cost")
    skipped = at_plan(Outcome.skipped("locust is not installed"), "KPI-p95-latency", 5000.0)
    assert skipped.status is Status.SKIPPED and "locust is not installed; p95" in str(skipped.reason)
    same = Outcome.judged(True, 1.0, 200.0)
    assert at_plan(same, "KPI-p95-latency", 200.0) is same
    assert at_plan(same, "KPI-success-rate", 95.0) is same and at_plan(same, "KPI-success-rate", 100.0) is same
    assert at_plan(same, "KPI-success-rate", 94.9).status is Status.SKIPPED
