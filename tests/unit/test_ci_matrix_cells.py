"""Exit check 3 and a step skipped in one cell of a matrix only the run knows (``fromJSON(needs.plan.outputs.x)``).

GitHub lists each cell as a job (``test (3.12, false)``) and each step with its conclusion. A step under ``if:
matrix.tests`` listed skipped there may be meant to skip (the cell's ``tests`` is false) or be a guard that never ran
its tests: the job's name shows the cell's values without their keys, so only a step named by a matrix value
(``Setup ${{ matrix.os }}``, listed ``Setup windows``) shows what the cell had (``lakehouse.cellreadback``). Shown
false there: meant, green (as a written matrix's cell); shown not false: red; not shown: ``error``, naming the step,
the job and what could not be read, never red for a healthy guard, never green.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.conditions import ANY_GREEN_RUN
from lakehouse.outcome import Outcome, Status
from tests.fake_github import GUARD_PATH, FakeGitHub, github
from tests.unit.test_ci_conditions import HEADER, Steps, ask, serve
from tests.unit.test_ci_job_conditions import green_counting
from tests.unit.test_ci_matrix_json import FROM_OUTPUTS, PLAN, matrix_job, pytest_step

__all__ = ["github"]  # the fixture, imported for this module's tests

SETUP = "      - name: Setup ${{ matrix.os }}\n        run: echo setup\n"
PLAN_FILES = {"ci/cells.sh": "echo matrix={}\n"}


def guard(condition: str, named: bool = True) -> str:
    """guard.yml: ``plan`` builds the matrix; ``test`` (``needs: plan``) runs pytest in a step named ``Test`` under
    ``if: condition``, after a step named by ``matrix.os`` (``named``) that shows the cell's ``os``."""
    return HEADER + PLAN + matrix_job(FROM_OUTPUTS, (SETUP if named else "") + pytest_step("Test", condition), True)


def outcome_of(github: FakeGitHub, workflow: str, jobs: dict[str, Steps]) -> Outcome:
    serve(github, workflow, {"plan": {"Plan": "success"}, **jobs}, PLAN_FILES)
    return ask(github)


def read_back(outcome: Outcome) -> list[dict[str, Any]]:
    return list(outcome.details["github"]["matrix_cells_read_back"]["run #9"])


# -- healthy: a cell meant to skip the step stays green -----------------------------------------------------------

#: case -> (guard.yml, the cells as GitHub lists them)
MEANT: dict[str, tuple[str, dict[str, Steps]]] = {
    "if: matrix.os == 'linux', the windows cell shows its os in a step's name": (
        guard("matrix.os == 'linux'"),
        {
            "test (linux, 3.11)": {"Setup linux": "success", "Test": "success"},
            "test (windows, 3.11)": {"Setup windows": "success", "Test": "skipped"},
        },
    ),
    "if: matrix.os != 'windows' && matrix.fast, the windows cell shown (fast unread: false either way)": (
        guard("matrix.os != 'windows' && matrix.fast"),
        {
            "test (linux, true)": {"Setup linux": "success", "Test": "success"},
            "test (windows, true)": {"Setup windows": "success", "Test": "skipped"},
        },
    ),
}


@pytest.mark.parametrize("case", list(MEANT))
def test_a_cell_shown_to_make_the_if_false_is_not_a_skipped_guard(github: FakeGitHub, case: str) -> None:
    outcome = outcome_of(github, *MEANT[case])
    green_counting(outcome, case, GUARD_PATH)
    [cell] = read_back(outcome)
    assert str(cell["job"]).startswith("test (windows, "), cell
    assert cell["ran_as_meant"] is False and "matrix.os shown as 'windows'" in cell["why"], cell


# -- not shown: error, never red for a healthy guard, never green ---------------------------------------------------

#: case -> (guard.yml, the cells as GitHub lists them, what the reason names)
UNDECIDED: dict[str, tuple[str, dict[str, Steps], tuple[str, ...]]] = {
    "if: matrix.tests, one cell skips it, no step shows the cell's tests": (
        guard("matrix.tests", named=False),
        {"test (3.11, true)": {"Test": "success"}, "test (3.12, false)": {"Test": "skipped"}},
        ("whether step 'Test' of job 'test (3.12, false)', listed skipped, was meant to skip", "matrix.tests"),
    ),
    "if: matrix.os == 'linux' && matrix.tests, os shown linux, tests not shown": (
        guard("matrix.os == 'linux' && matrix.tests"),
        {
            "test (linux, true)": {"Setup linux": "success", "Test": "success"},
            "test (linux, false)": {"Setup linux": "success", "Test": "skipped"},
        },
        ("job 'test (linux, false)'", "matrix.os shown as 'linux'", "what matrix.tests was, only the run knows"),
    ),
    "if: matrix.os, a step shows it as 'false': the boolean or the string, text keeps no type": (
        guard("matrix.os"),
        {
            "test (true)": {"Setup true": "success", "Test": "success"},
            "test (false)": {"Setup false": "success", "Test": "skipped"},
        },
        ("job 'test (false)'", "matrix.os shown as 'false'"),
    ),
}


@pytest.mark.parametrize("case", list(UNDECIDED))
def test_a_cell_whose_values_the_api_does_not_show_is_an_error_not_red(github: FakeGitHub, case: str) -> None:
    workflow, jobs, named = UNDECIDED[case]
    outcome = outcome_of(github, workflow, jobs)
    assert outcome.status is Status.ERROR, (case, outcome.reason)
    reason = str(outcome.reason)
    assert "cannot tell whether the guard's tests could fail 3 judged run(s)" in reason, reason
    for part in named:
        assert part in reason, (part, reason)
    assert [c["ran_as_meant"] for c in read_back(outcome)] == [None], case


def test_a_red_run_among_the_judged_wins_over_an_undecided_cell(github: FakeGitHub) -> None:
    workflow, jobs, _ = UNDECIDED["if: matrix.tests, one cell skips it, no step shows the cell's tests"]
    serve(github, workflow, {"plan": {"Plan": "success"}, **jobs}, PLAN_FILES)
    github.runs[1]["conclusion"] = "failure"
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "run #8" in str(outcome.reason), outcome.reason


# -- the reverse: a cell whose if: is not false skipped its tests: red ----------------------------------------------

#: case -> (guard.yml, the cells as GitHub lists them, what the reason names)
SHOULD_HAVE_RUN: dict[str, tuple[str, dict[str, Steps], tuple[str, ...]]] = {
    "if: matrix.os == 'linux', the linux cell skipped it": (
        guard("matrix.os == 'linux'"),
        {
            "test (linux, 3.11)": {"Setup linux": "success", "Test": "skipped"},
            "test (windows, 3.11)": {"Setup windows": "success", "Test": "skipped"},
        },
        (
            "step 'Test' of job 'test (linux, 3.11)' concluded skipped though `if: matrix.os == 'linux'` is not false "
            "in this cell (its step names show matrix.os shown as 'linux')",
        ),
    ),
    "if: matrix.os == 'linux' && github.ref != 'refs/heads/main': the linux cell runs no test on main": (
        guard("matrix.os == 'linux' && github.ref != 'refs/heads/main'"),
        {
            "test (linux, 3.11)": {"Setup linux": "success", "Test": "skipped"},
            "test (windows, 3.11)": {"Setup windows": "success", "Test": "skipped"},
        },
        ("step 'Test' of job 'test (linux, 3.11)' concluded skipped though",),
    ),
    "if: github.ref != 'refs/heads/main' reads no matrix: every cell should have run it": (
        guard("github.ref != 'refs/heads/main'", named=False),
        {"test (3.11)": {"Test": "skipped"}},
        ("step 'Test' of job 'test (3.11)' concluded skipped: the guard did not run it",),
    ),
    "if: matrix.os == 'linux' || matrix.tests, os shown linux (tests unread: true either way)": (
        guard("matrix.os == 'linux' || matrix.tests"),
        {"test (linux, false)": {"Setup linux": "success", "Test": "skipped"}},
        ("step 'Test' of job 'test (linux, false)' concluded skipped though",),
    ),
}


@pytest.mark.parametrize("case", list(SHOULD_HAVE_RUN))
def test_a_cell_whose_if_is_not_false_and_skipped_its_tests_stays_red(github: FakeGitHub, case: str) -> None:
    workflow, jobs, named = SHOULD_HAVE_RUN[case]
    outcome = outcome_of(github, workflow, jobs)
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    for part in named:
        assert part in str(outcome.reason), (part, outcome.reason)


# -- the read-back itself -------------------------------------------------------------------------------------------


def test_a_value_two_step_names_show_differently_is_not_read_back() -> None:
    from lakehouse.cellreadback import shown_values  # in the test: the check's cases above run against any code

    job = {"steps": [{"name": "Setup ${{ matrix.os }}"}, {"name": "Set${{ matrix.os }}"}]}
    listed = {"steps": [{"name": "Setup linux"}]}  # "Set" + "up linux" too: two readings of one step name
    assert shown_values(job, listed) == {}
    assert shown_values(job, {"steps": [{"name": "Setup linux"}, {"name": "Setwindows"}]}) == {}
    assert shown_values({"steps": [{"name": "Setup ${{ matrix.os }}"}]}, listed) == {"os": "linux"}


def test_a_name_github_did_not_evaluate_reads_back_nothing() -> None:
    from lakehouse.cellreadback import CellStep, cell_verdict

    job = {"steps": [{"name": "Setup ${{ matrix.os }}"}], "strategy": {"matrix": FROM_OUTPUTS}}
    step = {"name": "Test", "if": "matrix.os == 'linux'", "run": "pytest"}
    verdict = cell_verdict(CellStep("Test", step, job, ANY_GREEN_RUN), {"steps": [{"name": "Setup ${{ matrix.os }}"}]})
    assert verdict.value is None, verdict


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("linux", ["linux"]),
        ("false", ["false", False]),
        ("3.1", ["3.1", 3.1]),
        ("3.10", ["3.10"]),  # a number GitHub writes 3.1: only a string shows 3.10
        ("12", ["12", 12]),
        ("", ["", None]),
    ],
)
def test_a_shown_text_is_read_as_every_value_it_may_have_been(text: str, values: list[Any]) -> None:
    from lakehouse.cellreadback import readings

    assert readings(text) == values
