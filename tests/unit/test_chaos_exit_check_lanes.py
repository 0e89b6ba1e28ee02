"""A recovery's exit checks run in lanes side by side (issue 16): same outcomes, in the same order, in less time.

The checks only read. Those on Athena (2, then 6, which reads the query history) keep one lane in their old
order; 4 (Marquez, the browser) and 7 (SNS, Budgets) wait beside them. Overlap is shown by a barrier the lanes
must all reach (a deadline of minutes, never a timing): checks run one after the other never meet at it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from lakehouse.chaos import runbook
from lakehouse.chaos.faults import ChaosContext
from lakehouse.chaos.runbook import EXIT_CHECKS, LANES, Criteria, ScheduledRun, exit_checks
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import Target

#: Generous: the barrier only fails when the lanes never meet (checks run one after the other).
MEET_S = 120.0


def _ctx() -> ChaosContext:
    return ChaosContext(Target("local", "us-east-1", "http://127.0.0.1:1"), {}, "lh-test01")


def _scheduled(tmp_path: Path) -> ScheduledRun:
    return ScheduledRun(PipelineResult(ok=True), EmissionStats(None, "test"), tmp_path)


def _criteria() -> Criteria:
    return Criteria(expected_row={})


def test_every_exit_check_is_in_exactly_one_lane() -> None:
    laned = [name for lane in LANES for name in lane]
    assert sorted(laned) == sorted(EXIT_CHECKS)
    assert len(laned) == len(set(laned))


def test_the_lanes_run_side_by_side_and_the_athena_checks_keep_their_order(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each lane's first check waits for every other lane's first check: sequential checks break the barrier."""
    meet = threading.Barrier(len(LANES), timeout=MEET_S)
    firsts = {lane[0] for lane in LANES}
    order: list[str] = []

    def fake(name: str) -> Any:
        def check(*_args: Any) -> Outcome:
            if name in firsts:
                meet.wait()  # BrokenBarrierError after MEET_S when the checks do not overlap
            order.append(name)
            return Outcome.judged(True, name, name)

        return check

    monkeypatch.setattr(runbook, "EXIT_CHECKS", {name: fake(name) for name in EXIT_CHECKS})
    seconds: dict[str, float] = {}
    found = exit_checks(_ctx(), _criteria(), _scheduled(tmp_path), None, seconds)
    assert list(found) == list(EXIT_CHECKS)  # the evidence's order, whatever finished first
    assert all(o.status is Status.PASSED for o in found.values()), {n: o.reason for n, o in found.items()}
    assert order.index("EXIT-2") < order.index("EXIT-6")
    assert set(seconds) == set(EXIT_CHECKS)


def test_a_check_that_raises_is_an_error_naming_it_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def broken(*_args: Any) -> Outcome:
        raise RuntimeError("Marquez unreachable")

    checks = {name: (lambda *_a, n=name: Outcome.judged(True, n, n)) for name in EXIT_CHECKS}
    monkeypatch.setattr(runbook, "EXIT_CHECKS", {**checks, "EXIT-4": broken})
    found = exit_checks(_ctx(), _criteria(), _scheduled(tmp_path))
    assert found["EXIT-4"].status is Status.ERROR
    assert found["EXIT-4"].reason == "RuntimeError: Marquez unreachable"
    assert [n for n, o in found.items() if o.status is Status.PASSED] == ["EXIT-2", "EXIT-6", "EXIT-7"]


def test_a_failed_check_in_one_lane_is_kept_beside_the_others(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    checks = {name: (lambda *_a, n=name: Outcome.judged(True, n, n)) for name in EXIT_CHECKS}
    failed = Outcome.judged(False, "ssn readable", "ssn hidden", "analyst reads ssn")
    monkeypatch.setattr(runbook, "EXIT_CHECKS", {**checks, "EXIT-6": lambda *_a: failed})
    found = exit_checks(_ctx(), _criteria(), _scheduled(tmp_path))
    assert runbook.not_green(found) == ["EXIT-6 (failed): analyst reads ssn"]
