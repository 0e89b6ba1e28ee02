"""Exit check 3 and a job matrix built by ``fromJSON(...)``: from a literal string, or from another job's outputs.

A literal ``${{ fromJSON('<JSON>') }}`` is known before the run, so its cells are built as if written out
(``lakehouse.matrices``), and a step's ``if: matrix.x`` is read per cell (``lakehouse.workflows.cell_condition``): a
step false in every cell did not run, and its tests do not count, whatever its name (``Test ${{ matrix.py }}``, which
the jobs API lists as ``Test 3.11``). A matrix from ``needs.<job>.outputs`` is the run's: a step whose ``if:`` reads
it and whose name the jobs API cannot be asked by may not have run; when its tests are all the guard has, the check
cannot tell (``error``), never green.

Broken cases are tests that never ran: red (or ``error`` where only the run knows), never green. Healthy twins, which
GitHub runs green, stay green. The jobs are listed as GitHub lists them.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.matrices import matrix_cells
from lakehouse.outcome import Status
from tests.fake_github import GUARD_PATH, FakeGitHub, github
from tests.unit.test_ci_conditions import CHECKOUT, HEADER, Steps, ask, serve
from tests.unit.test_ci_job_conditions import green_counting, red_without_tests

__all__ = ["github"]  # the fixture, imported for this module's tests

PLAN = (
    "  plan:\n    runs-on: ubuntu-24.04\n    outputs:\n      matrix: ${{ steps.cells.outputs.matrix }}\n"
    '    steps:\n      - id: cells\n        name: Plan\n        run: ./ci/cells.sh >> "$GITHUB_OUTPUT"\n'
)
FROM_OUTPUTS = "${{ fromJSON(needs.plan.outputs.matrix) }}"


def literal(matrix: str) -> str:
    """``${{ fromJSON('<matrix>') }}``, the JSON written inside a YAML single-quoted scalar."""
    return "'${{ fromJSON(''" + matrix + "'') }}'"


def matrix_job(matrix: str, steps: str, needs: bool = False) -> str:
    """A job ``test`` whose ``strategy.matrix`` is ``matrix`` (one line), running ``steps``."""
    after = "    needs: plan\n" if needs else ""
    return (
        f"  test:\n{after}    runs-on: ubuntu-24.04\n    strategy:\n      matrix: {matrix}\n    steps:\n"
        + CHECKOUT
        + steps
    )


def pytest_step(name: str = "Test ${{ matrix.py }}", condition: str = "matrix.tests") -> str:
    line = f"        if: {condition}\n" if condition else ""
    return f"      - name: {name}\n{line}        run: .venv/bin/pytest tests\n"


ONE_CELL_OFF = '{"py": ["3.11"], "tests": [false]}'
ONE_CELL_ON = '{"py": ["3.11"], "tests": [true]}'
TWO_CELLS = '{"include": [{"py": "3.11", "tests": true}, {"py": "3.12", "tests": false}]}'
YAML_OFF = "{py: ['3.11'], tests: [false]}"

#: case -> (guard.yml, the jobs GitHub lists, what the reason names)
NEVER_RAN: dict[str, tuple[str, dict[str, Steps], tuple[str, ...]]] = {
    "a literal fromJSON matrix whose one cell makes the step's if: false (its name from the matrix)": (
        HEADER + matrix_job(literal(ONE_CELL_OFF), pytest_step()),
        {"test (3.11, false)": {"Test 3.11": "skipped"}},
        ("step 'Test ${{ matrix.py }}' did not run (`if: matrix.tests` is false", "matrix cell (py='3.11'"),
    ),
    "a written matrix whose one cell makes the step's if: false (its name from the matrix)": (
        HEADER + matrix_job(YAML_OFF, pytest_step()),
        {"test (3.11, false)": {"Test 3.11": "skipped"}},
        ("step 'Test ${{ matrix.py }}' did not run (`if: matrix.tests` is false",),
    ),
    "a literal fromJSON matrix whose every cell makes the step's if: false": (
        HEADER + matrix_job(literal(TWO_CELLS.replace("true", "false")), pytest_step()),
        {"test (3.11, false)": {"Test 3.11": "skipped"}, "test (3.12, false)": {"Test 3.12": "skipped"}},
        ("`if: matrix.tests` is false in every cell",),
    ),
    "a literal fromJSON matrix exclude empties": (
        HEADER + PLAN + matrix_job(literal('{"py": ["3.11"], "exclude": [{"py": "3.11"}]}'), pytest_step(condition="")),
        {"plan": {"Plan": "success"}},
        ("its strategy.matrix has no cell",),
    ),
}


@pytest.mark.parametrize("case", list(NEVER_RAN))
def test_the_tests_a_literal_matrix_keeps_from_running_do_not_count(github: FakeGitHub, case: str) -> None:
    workflow, jobs, named = NEVER_RAN[case]
    serve(github, workflow, jobs, {"ci/cells.sh": "echo matrix={}\n"})
    red_without_tests(ask(github), case, *named)


def test_tests_under_a_matrix_only_the_run_knows_and_a_name_of_the_run_are_not_green(github: FakeGitHub) -> None:
    """``matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}``, ``if: matrix.tests`` on a step named ``Test ${{
    matrix.py }}``: the jobs API lists ``Test 3.11`` skipped, which no name the workflow shows can be matched with.
    The tests may not have run: ``error``, naming the step, never green."""
    workflow = HEADER + PLAN + matrix_job(FROM_OUTPUTS, pytest_step(), needs=True)
    serve(github, workflow, {"plan": {"Plan": "success"}, "test (3.11, false)": {"Test 3.11": "skipped"}})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    reason = str(outcome.reason)
    assert "whether these tests ran only the run shows" in reason, reason
    assert "step 'Test ${{ matrix.py }}', `if: matrix.tests` depends on what only the run knows" in reason, reason
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == []


#: case -> (guard.yml, the jobs GitHub lists)
HEALTHY: dict[str, tuple[str, dict[str, Steps]]] = {
    "a literal fromJSON matrix whose cell runs the tests (its name from the matrix)": (
        HEADER + matrix_job(literal(ONE_CELL_ON), pytest_step()),
        {"test (3.11, true)": {"Test 3.11": "success"}},
    ),
    "a literal fromJSON matrix one cell of which skips the tests": (
        HEADER + matrix_job(literal(TWO_CELLS), pytest_step(name="Test")),
        {"test (3.11, true)": {"Test": "success"}, "test (3.12, false)": {"Test": "skipped"}},
    ),
    "a matrix from outputs, the step under if: matrix.tests listed by its name": (
        HEADER + PLAN + matrix_job(FROM_OUTPUTS, pytest_step(name="Test"), needs=True),
        {"plan": {"Plan": "success"}, "test (3.11, true)": {"Test": "success"}},
    ),
    "a written matrix, the step named by it under an if: only the run knows, listed by that name": (
        HEADER + matrix_job("{py: ['3.11']}", pytest_step(condition="env.FAST != '1'")),
        {"test (3.11)": {"Test 3.11": "success"}},
    ),
    "a matrix from outputs, the step named by the matrix under no if:": (
        HEADER + PLAN + matrix_job(FROM_OUTPUTS, pytest_step(condition=""), needs=True),
        {"plan": {"Plan": "success"}, "test (3.11)": {"Test 3.11": "success"}},
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_healthy_fromjson_matrix_stays_green(github: FakeGitHub, case: str) -> None:
    workflow, jobs = HEALTHY[case]
    serve(github, workflow, jobs, {"ci/cells.sh": "echo matrix={}\n"})
    green_counting(ask(github), case, GUARD_PATH)


@pytest.mark.parametrize(
    ("matrix", "names"),
    [
        ('${{ fromJSON(\'{"py": ["3.11", "3.12"], "exclude": [{"py": "3.12"}]}\') }}', ["t (3.11)"]),
        ({"py": "${{ fromJson('[3.11, \"3.12\"]') }}"}, ["t (3.11)", "t (3.12)"]),  # a vector, the name's case
        ("${{ fromJSON('{''py'': 1}') }}", None),  # not JSON: GitHub fails the run
        (FROM_OUTPUTS, None),  # the run's
        ({"py": [FROM_OUTPUTS]}, None),
    ],
)
def test_a_literal_fromjson_is_read_as_written_out(matrix: Any, names: list[str] | None) -> None:
    cells = matrix_cells(matrix)
    assert (None if cells is None else [c.name("t") for c in cells]) == names


def test_a_test_job_skipped_for_an_empty_matrix_from_outputs_is_red(github: FakeGitHub) -> None:
    """An empty matrix fails the run (GitHub: "matrix must define at least one vector"), so a workflow skips the job
    instead: ``if: needs.plan.outputs.matrix != '[]'``, which only the run knows; GitHub lists it skipped, by its
    own name (no cell was built). Its tests never ran: red, never excused as a job skipped in every green run."""
    job = matrix_job(FROM_OUTPUTS, pytest_step(condition=""), needs=True)
    workflow = (
        HEADER + PLAN + job.replace("    needs: plan\n", "    needs: plan\n    if: needs.plan.outputs.matrix != '[]'\n")
    )
    serve(github, workflow, {"plan": {"Plan": "success"}, "test": {}})
    for runs in github.jobs.values():
        for listed in runs:
            if listed["name"] == "test":
                listed.update(conclusion="skipped", steps=[])
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "job 'test' concluded skipped" in str(outcome.reason), outcome.reason
