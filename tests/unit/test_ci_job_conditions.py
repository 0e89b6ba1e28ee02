"""Exit check 3 and what a green run's jobs ran: a job's ``if:``, a reusable workflow's unset inputs, matrix cells.

A job under an ``if:`` shown false for the run, or whose ``strategy.matrix`` ``exclude`` empties, never ran: its
tests (and a reusable workflow it alone calls) do not count, and GitHub lists it skipped (or not at all), which a
green run may show when the ``if:`` is false in every green run (``if: failure()``), as for a step. A reusable
workflow's input that its caller leaves unset and that declares no ``default:`` takes its type's (``false``, ``''``,
``0``), and ``inputs['x']`` reads as ``inputs.x``. A matrix has the cells GitHub builds (``exclude`` removes,
``include`` extends or adds), each listed by its own name.

Broken cases are tests that never ran: red, with no test in the evidence and the reason saying why. Healthy twins,
which GitHub runs green, stay green. The jobs are written as GitHub lists them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.conditions import RunFacts, step_condition
from lakehouse.matrices import matrix_cells
from lakehouse.outcome import Outcome, Status
from lakehouse.workflows import load_yaml, masked_failure_problems
from tests.fake_github import GUARD_PATH, FakeGitHub, github, sha
from tests.unit.test_ci_conditions import ACTION_STEPS, CHECKOUT, HEADER, PYTEST, Steps, ask, serve
from tests.unit.test_ci_runs_tests import serve as serve_as_listed

__all__ = ["github"]  # the fixture, imported for this module's tests

CALLED = ".github/workflows/tests.yml"
LINT = "  lint:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + "      - name: Lint\n        run: echo lint\n"
UNIT = "  unit:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + PYTEST


def reusable(inputs: str = "", steps: str = PYTEST) -> str:
    """A reusable workflow (``on.workflow_call``, declaring ``inputs``) whose job ``unit`` runs ``steps``."""
    on = "  workflow_call:\n" + (f"    inputs:\n{inputs}" if inputs else "")
    return (
        HEADER.replace("  push:\n    branches: [main]\n", on)
        + "  unit:\n    runs-on: ubuntu-24.04\n    steps:\n"
        + (CHECKOUT + steps)
    )


def caller(condition: str | None = None, job: str = "call") -> str:
    """A job calling the reusable workflow, under ``if: condition`` (None: none)."""
    line = f"    if: {condition}\n" if condition is not None else ""
    return f"  {job}:\n{line}    uses: ./{CALLED}\n"


def red_without_tests(outcome: Outcome, case: str, *named: str) -> None:
    """Red: no test counted (none in the evidence), the reason naming ``named``."""
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    reason = str(outcome.reason)
    assert f"{GUARD_PATH} at {sha(9)[:12]}: no step runs a test" in reason, reason
    for part in named:
        assert part in reason, (part, reason)
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == [], case


def green_counting(outcome: Outcome, case: str, where: str) -> None:
    """Green, the evidence counting the pytest of ``where``."""
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(where in t and "`.venv/bin/pytest tests`" in t for t in tests), (case, tests)


# -- 1. a job's `if:`: a caller of a reusable workflow, a job of its own -------------------------------------------

NOT_RUN = "did not run: no job calling it ran"
#: case -> (guard.yml, the jobs GitHub lists, the files of the commit, what the reason names)
JOB_NEVER_RAN: dict[str, tuple[str, dict[str, Steps], dict[str, str], tuple[str, ...]]] = {
    "the caller of the tests runs only on failure": (
        HEADER + LINT + caller("failure()"),
        {"lint": {"Lint": "success"}, "call": {}},
        {CALLED: reusable()},
        (f"{CALLED}: {NOT_RUN}", "`if: failure()` is false"),
    ),
    "the caller of the tests is under if: ${{ false }}": (
        HEADER + LINT + caller("${{ false }}"),
        {"lint": {"Lint": "success"}, "call": {}},
        {CALLED: reusable()},
        (f"{CALLED}: {NOT_RUN}",),
    ),
    "the caller of the tests runs only for pull requests (a push run skipped it)": (
        HEADER + LINT + caller("github.event_name == 'pull_request'"),
        {"lint": {"Lint": "success"}, "call": {}},
        {CALLED: reusable()},
        ("job 'call' concluded skipped", f"{CALLED}: {NOT_RUN}"),
    ),
    "the job running the tests runs only on failure": (
        HEADER + LINT + UNIT.replace("    runs-on:", "    if: failure()\n    runs-on:"),
        {"lint": {"Lint": "success"}, "unit": {}},
        {},
        ("step 'Test' did not run (its job 'unit' did not run: `if: failure()` is false",),
    ),
    "the job using the test action runs only on failure": (
        HEADER
        + LINT
        + "  unit:\n    if: failure()\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: ./.github/actions/test\n",
        {"lint": {"Lint": "success"}, "unit": {}},
        {".github/actions/test/action.yml": ACTION_STEPS + "    - shell: bash\n      run: .venv/bin/pytest tests\n"},
        (".github/actions/test/action.yml: only steps that may not have run use it",),
    ),
}


@pytest.mark.parametrize("case", list(JOB_NEVER_RAN))
def test_tests_of_a_job_whose_if_is_shown_false_do_not_count(github: FakeGitHub, case: str) -> None:
    workflow, jobs, files, named = JOB_NEVER_RAN[case]
    serve(github, workflow, jobs, files)
    for runs in github.jobs.values():  # GitHub lists a job its `if:` skipped as skipped, with no steps
        for listed in runs:
            if not jobs[listed["name"]]:
                listed.update(conclusion="skipped", steps=[])
    red_without_tests(ask(github), case, *named)


NOTIFY = ".github/workflows/notify.yml"
NOTIFY_TEXT = reusable(steps="      - name: Notify\n        run: curl -fsS https://chat.example/hook || true\n")
#: case -> (guard.yml, the jobs GitHub lists (a job listed with no steps: skipped), files, the file of the tests)
JOB_HEALTHY: dict[str, tuple[str, dict[str, Steps], dict[str, str], str]] = {
    "a notifying reusable workflow called only on failure, skipped": (
        HEADER + UNIT + caller("failure()", "notify").replace(CALLED, NOTIFY),
        {"unit": {"Test": "success"}, "notify": {}},
        {NOTIFY: NOTIFY_TEXT},
        GUARD_PATH,
    ),
    "a clean-up job under if: cancelled(), skipped": (
        HEADER + UNIT + "  cleanup:\n    if: cancelled()\n    runs-on: x\n    steps:\n      - run: rm -rf x || true\n",
        {"unit": {"Test": "success"}, "cleanup": {}},
        {},
        GUARD_PATH,
    ),
    "the tests' caller under if: always()": (
        HEADER + caller("always()"),
        {"call / unit": {"Test": "success"}},
        {CALLED: reusable()},
        CALLED,
    ),
    "the tests' caller under if: success() && github.event_name == 'push'": (
        HEADER + caller("${{ success() && github.event_name == 'push' }}"),
        {"call / unit": {"Test": "success"}},
        {CALLED: reusable()},
        CALLED,
    ),
}


@pytest.mark.parametrize("case", list(JOB_HEALTHY))
def test_a_job_skipped_in_every_green_run_may_be_listed_skipped(github: FakeGitHub, case: str) -> None:
    workflow, jobs, files, where = JOB_HEALTHY[case]
    serve(github, workflow, jobs, files)
    for runs in github.jobs.values():
        for listed in runs:
            if not jobs[listed["name"]]:
                listed.update(conclusion="skipped", steps=[])
    green_counting(ask(github), case, where)


def test_a_run_whose_every_job_was_skipped_is_red(github: FakeGitHub) -> None:
    """Even jobs their ``if:`` skips in every green run: a run of nothing ran nothing of the guard."""
    serve(github, HEADER + UNIT.replace("    runs-on:", "    if: failure()\n    runs-on:"), {"unit": {}})
    for runs in github.jobs.values():
        runs[0].update(conclusion="skipped", steps=[])
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "none of its jobs concluded success: nothing of the guard ran" in str(outcome.reason), outcome.reason


# -- 2. a reusable workflow's unset inputs take their type's default; inputs['x'] --------------------------------

BOOLEAN = "      tests:\n        type: boolean\n"
UNDER_TESTS = "      - name: Test\n        if: {condition}\n        run: .venv/bin/pytest tests\n"
COVERAGE = "      - name: Coverage\n        if: {condition}\n        run: upload coverage.xml || true\n"
#: case -> (the reusable workflow, the steps GitHub lists for `call / unit`, what the reason names)
INPUT_NEVER_RAN: dict[str, tuple[str, Steps, tuple[str, ...]]] = {
    "if: inputs.tests, a boolean the caller leaves unset (false)": (
        reusable(BOOLEAN, UNDER_TESTS.format(condition="inputs.tests")),
        {"Test": "skipped"},
        ("step 'Test' did not run (`if: inputs.tests` is false", "inputs tests=False"),
    ),
    "if: inputs['tests'], the same by index": (
        reusable(BOOLEAN, UNDER_TESTS.format(condition="${{ inputs['tests'] }}")),
        {"Test": "skipped"},
        ("step 'Test' did not run", "inputs tests=False"),
    ),
    "if: inputs.suite != '', a string the caller leaves unset ('')": (
        reusable("      suite:\n        type: string\n", UNDER_TESTS.format(condition="inputs.suite != ''")),
        {"Test": "skipped"},
        ("step 'Test' did not run", "inputs suite=''"),
    ),
    "if: inputs.shards != 0, a number the caller leaves unset (0)": (
        reusable("      shards:\n        type: number\n", UNDER_TESTS.format(condition="inputs.shards != 0")),
        {"Test": "skipped"},
        ("step 'Test' did not run", "inputs shards=0"),
    ),
}


@pytest.mark.parametrize("case", list(INPUT_NEVER_RAN))
def test_tests_under_an_unset_input_s_type_default_did_not_run(github: FakeGitHub, case: str) -> None:
    text, steps, named = INPUT_NEVER_RAN[case]
    serve(github, HEADER + caller(), {"call / unit": steps}, {CALLED: text})
    red_without_tests(ask(github), case, *named)


#: case -> (the reusable workflow, the steps GitHub lists for `call / unit`)
INPUT_HEALTHY: dict[str, tuple[str, Steps]] = {
    "coverage's `|| true` step under an unset boolean input was skipped": (
        reusable("      coverage:\n        type: boolean\n", PYTEST + COVERAGE.format(condition="inputs.coverage")),
        {"Test": "success", "Coverage": "skipped"},
    ),
    "if: ${{ !inputs['skip'] }}, an unset boolean": (
        reusable("      skip:\n        type: boolean\n", UNDER_TESTS.format(condition="${{ !inputs['skip'] }}")),
        {"Test": "success"},
    ),
}


@pytest.mark.parametrize("case", list(INPUT_HEALTHY))
def test_a_healthy_reusable_workflow_with_unset_inputs_stays_green(github: FakeGitHub, case: str) -> None:
    text, steps = INPUT_HEALTHY[case]
    serve(github, HEADER + caller(), {"call / unit": steps}, {CALLED: text})
    green_counting(ask(github), case, CALLED)


def test_an_action_s_input_read_by_index_counts_its_tests(github: FakeGitHub) -> None:
    """``inputs['tests'] == 'true'`` in a composite action the workflow calls with ``tests: 'true'``."""
    action = ACTION_STEPS.replace("runs:\n", "inputs:\n  tests:\n    description: run them\nruns:\n")
    action += "    - if: inputs['tests'] == 'true'\n      shell: bash\n      run: .venv/bin/pytest tests\n"
    uses = "      - uses: ./.github/actions/test\n        with:\n          tests: 'true'\n"
    workflow = HEADER + "  test:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + uses
    serve(
        github,
        workflow,
        {"test": {"Run ./.github/actions/test": "success"}},
        {".github/actions/test/action.yml": action},
    )
    green_counting(ask(github), "index", ".github/actions/test/action.yml")


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        ("inputs['tests'] == 'true'", True),
        ("inputs['TESTS']", True),
        ("github['event_name'] == 'push'", True),
        ("inputs['other']", None),  # not shown
        ("inputs[0]", None),  # not an input's name
        ("failure() && inputs['x']", False),
        ("inputs['tests'", None),  # not an expression
    ],
)
def test_the_evaluator_reads_index_syntax(condition: str, value: bool | None) -> None:
    facts = RunFacts("push", "refs/heads/main", (("tests", "true"),))
    verdict = step_condition({"if": condition}, facts)
    assert verdict.value is value, (condition, verdict)


# -- 3. matrix cells as GitHub builds them --------------------------------------------------------------------------


def matrix_job(matrix: str, steps: str = PYTEST) -> str:
    """A job ``test`` with ``strategy.matrix`` ``matrix`` (its lines, indented under ``matrix:``) running ``steps``."""
    return (
        "  test:\n    runs-on: ubuntu-24.04\n    strategy:\n      matrix:\n"
        + matrix
        + "    steps:\n"
        + CHECKOUT
        + steps
    )


EXCLUDED = "        os: [windows-2022]\n        exclude:\n          - os: windows-2022\n"
TWO = "        py: ['3.11', '3.12']\n"


def test_the_tests_of_a_matrix_exclude_empties_did_not_run(github: FakeGitHub) -> None:
    serve(github, HEADER + LINT + matrix_job(EXCLUDED), {"lint": {"Lint": "success"}})
    red_without_tests(ask(github), "all excluded", "its strategy.matrix has no cell")


def test_a_matrix_job_exclude_empties_is_not_expected_among_the_jobs(github: FakeGitHub) -> None:
    serve(github, HEADER + UNIT + matrix_job(EXCLUDED), {"unit": {"Test": "success"}})
    green_counting(ask(github), "all excluded, other tests", GUARD_PATH)


#: case -> (the matrix, the jobs GitHub lists)
CELLS_HEALTHY: dict[str, tuple[str, dict[str, Steps]]] = {
    "include extends a cell (its extra value is not in the name)": (
        TWO + "        include:\n          - py: '3.12'\n            experimental: true\n",
        {"test (3.11)": {"Test": "success"}, "test (3.12)": {"Test": "success"}},
    ),
    "include adds a cell of its own": (
        TWO + "        include:\n          - py: '3.13'\n            experimental: true\n",
        {"test (3.11)": {}, "test (3.12)": {}, "test (3.13, true)": {}},
    ),
    "exclude removes a cell (matching as GitHub compares: a number and its text)": (
        "        py: [3.11, 3.12]\n        exclude:\n          - py: '3.12'\n",
        {"test (3.11)": {"Test": "success"}},
    ),
    "include adds back what exclude removed": (
        TWO + "        exclude:\n          - py: '3.12'\n        include:\n          - py: '3.12'\n",
        {"test (3.11)": {}, "test (3.12)": {}},
    ),
}


@pytest.mark.parametrize("case", list(CELLS_HEALTHY))
def test_each_cell_github_builds_is_found_by_its_name(github: FakeGitHub, case: str) -> None:
    matrix, jobs = CELLS_HEALTHY[case]
    serve(github, HEADER + matrix_job(matrix), {name: steps or {"Test": "success"} for name, steps in jobs.items()})
    green_counting(ask(github), case, GUARD_PATH)


def test_a_cell_the_run_does_not_list_is_red(github: FakeGitHub) -> None:
    serve(github, HEADER + matrix_job(TWO), {"test (3.11)": {"Test": "success"}})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "job 'test (3.12)' of the workflow is not among the run's jobs" in str(outcome.reason), outcome.reason


def test_the_cells_follow_github_s_documented_example() -> None:
    """docs.github.com, "Expanding or adding matrix configurations": include extends matching cells, else adds."""
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    cells = matrix_cells(matrix)
    assert cells is not None
    assert [c.values for c in cells] == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]
    assert [c.name("t") for c in cells] == [
        "t (apple, cat)",
        "t (apple, dog)",
        "t (pear, cat)",
        "t (pear, dog)",
        "t (banana)",
        "t (banana, cat)",
    ]
    assert matrix_cells({"py": ["${{ fromJSON(x) }}"]}) is None
    assert matrix_cells({"os": ["a", "b"], "exclude": [{"os": "A"}, {"os": "b"}]}) == []


def test_tox_s_env_for_a_python_exclude_removed_runs_no_test(github: FakeGitHub) -> None:
    """``tox -e py312`` in a matrix job whose only 3.12 cell ``exclude`` removes: no cell sets 3.12 up, and tox
    skips the env (``skip_missing_interpreters``); the cells that remain set up 3.11 only."""
    setup = "      - uses: actions/setup-python@v5\n        with:\n          python-version: ${{ matrix.py }}\n"
    tox = "      - name: Test\n        run: tox -e py312\n"
    workflow = HEADER + matrix_job(TWO + "        exclude:\n          - py: '3.12'\n", setup + tox)
    files = {"tox.ini": "[tox]\nskip_missing_interpreters = true\n\n[testenv]\ncommands = pytest tests\n"}
    serve_as_listed(github, workflow, files)
    red_without_tests(ask(github), "tox", "asks for py312", "sets up only 3.11")


def test_lint_does_not_judge_the_steps_of_a_job_that_runs_only_on_failure() -> None:
    """``make lint`` (any green run), as the check: a job under ``if: failure()`` runs only once the run is red, so
    its ``|| true`` cannot make a red run green; under ``if: always()`` it is judged."""
    job = "  logs:\n    if: {condition}\n    runs-on: x\n    steps:\n      - run: docker logs db || true\n"
    skipped = load_yaml(HEADER + UNIT + job.format(condition="failure()"))
    assert masked_failure_problems(Path("guard.yml"), skipped) == []
    judged = load_yaml(HEADER + UNIT + job.format(condition="always()"))
    assert [p.where for p in masked_failure_problems(Path("guard.yml"), judged)] == ["jobs/logs/steps/0/run"]
