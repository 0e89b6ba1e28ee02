"""Exit check 2's parts are one list (``data_loop_parts.PARTS``): the scenario's steps, and the MTTR runbook's.

The runbook kept its own copy once, and the part added to the scenario later (Gold's files in the stack's bucket)
never reached it (``tests/emulator/test_runbook_exit_2.py`` shows the behaviour).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lakehouse.checks import data_loop_parts
from lakehouse.checks.data_loop_parts import PARTS, DataLoopRun, check_data_loop
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status


def _exit_2_steps() -> list[str]:
    """The Then/And steps after the first Then of the ``@EXIT-2`` scenario, as the feature file says them."""
    text = (project_root() / "features" / "exit_criteria.feature").read_text(encoding="utf-8")
    scenario = text.split("@EXIT-2", 1)[1].split("\n  @", 1)[0]
    steps = re.findall(r"^\s+(Given|When|Then|And|But) (.+)$", scenario, re.M)
    first_then = next(i for i, (kw, _) in enumerate(steps) if kw == "Then")
    return [text.strip() for _, text in steps[first_then:]]


def test_the_parts_are_the_exit_scenario_s_then_steps_in_order() -> None:
    assert _exit_2_steps() == list(PARTS)


def test_the_runbook_judges_exit_2_with_the_same_parts() -> None:
    from lakehouse.chaos import runbook

    assert runbook.check_data_loop is check_data_loop


def _loop() -> DataLoopRun:
    return DataLoopRun(None, {}, None)  # type: ignore[arg-type]  # the fake parts read nothing


def test_check_data_loop_runs_every_part_and_stops_at_the_first_that_does_not_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []

    def part(name: str, outcome: Outcome) -> Any:
        return lambda _run: ran.append(name) or outcome

    ok = Outcome.judged(True, 1, 1)
    monkeypatch.setattr(data_loop_parts, "PARTS", {s: part(s, ok) for s in PARTS})
    assert check_data_loop(_loop()).passed
    assert ran == list(PARTS)

    ran.clear()
    failed = Outcome.judged(False, 0, 1, "Gold's files lie elsewhere")
    steps = list(PARTS)
    parts = {s: part(s, failed if i == 2 else ok) for i, s in enumerate(steps)}
    monkeypatch.setattr(data_loop_parts, "PARTS", parts)
    outcome = check_data_loop(_loop())
    assert outcome.status is Status.FAILED and outcome.reason == "Gold's files lie elsewhere"
    assert ran == steps[:3]


def test_a_part_that_fails_after_one_that_could_not_be_judged_fails_exit_2_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before the fix the first part that could not be judged ended exit check 2 as ``error``: the recovery run
    whose Gold breaks its contracts went unjudged because its demo query could not run."""
    steps = list(PARTS)

    def broken(_run: DataLoopRun) -> Outcome:
        raise RuntimeError("Glue unreachable")

    parts: dict[str, Any] = {s: lambda _run: Outcome.judged(True, 1, 1) for s in steps}
    parts[steps[0]] = lambda _run: Outcome.error("the demo query was not run: no answer to judge")
    parts[steps[2]] = broken
    parts[steps[3]] = lambda _run: Outcome.judged(False, 90.0, 100.0, "data contract violated: gold.users.ssn")
    monkeypatch.setattr(data_loop_parts, "PARTS", parts)
    outcome = check_data_loop(_loop())
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        f"data contract violated: gold.users.ssn; and {steps[0]!r} could not be judged: the demo query was not run: "
        f"no answer to judge; and {steps[2]!r} could not be judged: RuntimeError: Glue unreachable"
    )
    assert (outcome.measured, outcome.threshold) == (90.0, 100.0)


def test_parts_that_could_not_be_judged_and_none_failed_leave_exit_2_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    steps = list(PARTS)

    def part(name: str, outcome: Outcome) -> Any:
        return lambda _run: ran.append(name) or outcome

    unread = Outcome.error("the demo query was not run: no answer to judge")
    parts = {s: part(s, unread if i in (0, 3) else Outcome.judged(True, 1, 1)) for i, s in enumerate(steps)}
    monkeypatch.setattr(data_loop_parts, "PARTS", parts)
    outcome = check_data_loop(_loop())
    assert outcome.status is Status.ERROR and outcome.reason == unread.reason
    assert ran == steps, "every part ran: a later one could have failed"
