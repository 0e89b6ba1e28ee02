"""A fault this target cannot inject is left out of the mean, but its alarm must still be there and tell someone.

On ``aws`` lineage-stopped is not injected (the Marquez is the user's, not the harness's to stop), nor is
workgroup-disabled without a Terraform working copy. The loop skipped such a fault before looking at its
alarm: a stack with no lineage-undelivered alarm at all passed KPI-mttr there, the fault "skipped".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.delivery import Delivery
from lakehouse.chaos.faults import ChaosContext, Fault, Injection, Runbook
from lakehouse.chaos.mttr import Timeline, judge_mttr
from lakehouse.chaos.runbook import Criteria
from lakehouse.outcome import Status
from tests.unit.test_chaos_detection import HEALTHY_ALARM

STACK = "lh-1"
LINEAGE = f"lakehouse-{STACK}-lineage-undelivered"
EMPTY = f"lakehouse-{STACK}-input-empty"
NOT_OURS = "the lineage service is not the harness's to stop on this target (it is the user's Marquez)"


class _Queue:
    seen: list[dict[str, Any]] = []

    def close(self) -> None:
        pass


def _chaos(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, alarms: dict[str, dict[str, Any]]) -> list[Timeline]:
    """``run_chaos`` over two faults: bronze-truncated (detected and recovered) and lineage-stopped (not injectable)."""
    monkeypatch.setattr(chaos_run, "describe_alarms", lambda _t, names: {n: a for n, a in alarms.items() if n in names})
    monkeypatch.setattr(chaos_run, "read_delivery", lambda _t, _a, _s: Delivery())
    monkeypatch.setattr(chaos_run.AlertQueue, "create", lambda *_a: _Queue())

    def run_fault(_ctx: ChaosContext, fault: Fault, *_a: Any) -> Timeline:
        tl = Timeline(fault.name, fault.what, [EMPTY], fault.runbook.value)
        tl.injected_at, tl.detected_at, tl.recovered_at = 100.0, 110.0, 200.0
        return tl

    monkeypatch.setattr(chaos_run, "run_fault", run_fault)
    faults = [
        Fault("bronze-truncated", "what", ("input-empty",), Runbook.RESTORE_BRONZE_OBJECT, lambda _c: Injection("")),
        Fault(
            "lineage-stopped",
            "the lineage service is stopped",
            ("lineage-undelivered",),
            Runbook.RESTART_SERVICE,
            lambda _c: Injection(""),
            lambda _c: NOT_OURS,
        ),
    ]
    ctx = ChaosContext(target=None, outputs={}, stack_id=STACK)  # type: ignore[arg-type]
    return chaos_run.run_chaos(ctx, faults, Criteria(expected_row={}), 1800.0, tmp_path).timelines


def test_a_fault_not_injectable_here_whose_alarm_is_missing_fails_the_kpi_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    timelines = _chaos(monkeypatch, tmp_path, {EMPTY: HEALTHY_ALARM})  # no lineage-undelivered alarm
    outcome = judge_mttr(timelines, 1800.0)
    assert outcome.status is Status.FAILED, "KPI-mttr passed a stack without lineage-undelivered (fault skipped)"
    assert str(outcome.reason) == (
        f"fault lineage-stopped: alarm {LINEAGE} is not in CloudWatch (missing from infra/alarms.tf?) "
        f"(the fault itself is not injected on this target: {NOT_OURS})"
    )


def test_a_fault_not_injectable_here_whose_alarm_is_there_is_named_beside_the_mean(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lineage = {**HEALTHY_ALARM, "MetricName": "LineageEventsUndelivered"}
    outcome = judge_mttr(_chaos(monkeypatch, tmp_path, {EMPTY: HEALTHY_ALARM, LINEAGE: lineage}), 1800.0)
    assert outcome.passed, outcome.reason
    assert outcome.measured["skipped"] == {"lineage-stopped": NOT_OURS}
