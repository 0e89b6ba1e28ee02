"""Exit check 3 and the steps' ``if:``: what a green run ran, as GitHub names and skips it.

Healthy guards GitHub runs green must stay green: a step under ``if: failure()`` or ``if: cancelled()`` is listed
``skipped`` in a green run; a matrix job is listed once per cell (``test (3.11)``), a job calling a reusable
workflow as ``call / unit``. And a test inside a local composite action, which the jobs API shows as one step,
counts only when its own ``if:`` is absent or shown true for the run (``lakehouse.conditions``): ``if: false``,
``if: ${{ false }}``, ``if: github.event_name == 'schedule'`` in a push run never ran it, and ``if: inputs.x``
only the run knows; a guard whose only tests sit there runs no test that counts, so it is red.

The jobs are written here as GitHub lists them (names, steps and conclusions), so the check's own naming is tested.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.ci import check_github
from lakehouse.conditions import RunFacts, step_condition
from lakehouse.outcome import Outcome, Status
from tests.fake_github import GUARD_PATH, REPO, TOKEN, FakeGitHub, github, job, run, sha

__all__ = ["github"]  # the fixture, imported for this module's tests

HEADER = """name: guard
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
"""
CHECKOUT = "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n"
PYTEST = "      - name: Test\n        run: .venv/bin/pytest tests\n"
Steps = dict[str, str]  # step name as GitHub shows it -> its conclusion


def serve(github: FakeGitHub, workflow: str, jobs: dict[str, Steps], files: dict[str, str] | None = None) -> None:
    """Three green runs (9, 8, 7) of ``workflow`` (with ``files``), each job of ``jobs`` concluded success with
    its steps (between GitHub's set-up and end steps) concluded as given."""
    github.runs = [run(n, "success") for n in (9, 8, 7)]
    for r in github.runs:
        github.commits[sha(r["run_number"])] = {GUARD_PATH: workflow, **(files or {})}
        shown: list[dict[str, Any]] = []
        for index, (name, steps) in enumerate(jobs.items()):
            listed = {"Set up job": "success", "Run actions/checkout@v4": "success", **steps, "Complete job": "success"}
            each = job(r, name, "success", index)
            each["steps"] = [
                {"name": step, "status": "completed", "conclusion": conclusion, "number": i + 1}
                for i, (step, conclusion) in enumerate(listed.items())
            ]
            shown.append(each)
        github.jobs[int(r["id"])] = shown


def ask(github: FakeGitHub) -> Outcome:
    return check_github(REPO, TOKEN, github.url, commit=(sha(9), "test"))


# -- 1. healthy guards that were judged red --------------------------------------------------------------------

ON_FAILURE = (
    "      - name: Logs\n        if: failure()\n        run: docker logs db || true\n"
    "      - name: Cancelled\n        if: ${{ cancelled() }}\n        run: echo cancelled\n"
    "      - name: Report\n        if: always()\n        run: echo done\n"
)
MATRIX = "    strategy:\n      matrix:\n        python: ['3.11', '3.12']\n"
REUSABLE = HEADER.replace("  push:\n    branches: [main]\n", "  workflow_call:\n") + (
    "  unit:\n    runs-on: ubuntu-24.04\n" + MATRIX + "    steps:\n" + CHECKOUT + PYTEST
)
CALLER = HEADER + "  call:\n    uses: ./.github/workflows/tests.yml\n"

#: case -> (guard.yml, the jobs GitHub lists for a green run of it, other files of the commit)
HEALTHY: dict[str, tuple[str, dict[str, Steps], dict[str, str]]] = {
    "steps under failure() and cancelled() are skipped, always() ran": (
        HEADER + "  test:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + PYTEST + ON_FAILURE,
        {"test": {"Test": "success", "Logs": "skipped", "Cancelled": "skipped", "Report": "success"}},
        {},
    ),
    "a matrix job is listed once per cell": (
        HEADER + "  test:\n    runs-on: ubuntu-24.04\n" + MATRIX + "    steps:\n" + CHECKOUT + PYTEST,
        {"test (3.11)": {"Test": "success"}, "test (3.12)": {"Test": "success"}},
        {},
    ),
    "a named matrix job is listed once per cell": (
        HEADER + "  test:\n    name: tests\n    runs-on: ubuntu-24.04\n" + MATRIX + "    steps:\n" + CHECKOUT + PYTEST,
        {"tests (3.11)": {"Test": "success"}, "tests (3.12)": {"Test": "success"}},
        {},
    ),
    "a reusable workflow's matrix job is listed as caller / job (cell)": (
        CALLER,
        {"call / unit (3.11)": {"Test": "success"}, "call / unit (3.12)": {"Test": "success"}},
        {".github/workflows/tests.yml": REUSABLE},
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_healthy_guard_as_github_lists_its_jobs_and_skipped_steps_stays_green(github: FakeGitHub, case: str) -> None:
    workflow, jobs, files = HEALTHY[case]
    serve(github, workflow, jobs, files)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any("`.venv/bin/pytest tests`" in t for t in tests), tests


#: case -> (guard.yml, jobs, files, what the reason names)
SKIPPED: dict[str, tuple[str, dict[str, Steps], dict[str, str], str]] = {
    "a step under always() skipped": (
        HEALTHY["steps under failure() and cancelled() are skipped, always() ran"][0],
        {"test": {"Test": "success", "Logs": "skipped", "Cancelled": "skipped", "Report": "skipped"}},
        {},
        "step 'Report' of job 'test' concluded skipped: the guard did not run it",
    ),
    "one matrix cell's tests skipped": (
        HEALTHY["a matrix job is listed once per cell"][0],
        {"test (3.11)": {"Test": "success"}, "test (3.12)": {"Test": "skipped"}},
        {},
        "step 'Test' of job 'test (3.12)' concluded skipped: the guard did not run it",
    ),
    "a matrix job not listed at all": (
        HEALTHY["a matrix job is listed once per cell"][0] + "  other:\n    runs-on: x\n    steps:\n" + PYTEST,
        {"other": {"Test": "success"}},
        {},
        "job 'test (3.11)' of the workflow is not among the run's jobs",
    ),
    "the called workflow's tests skipped": (
        CALLER,
        {"call / unit (3.11)": {"Test": "skipped"}, "call / unit (3.12)": {"Test": "success"}},
        {".github/workflows/tests.yml": REUSABLE},
        "step 'Test' of job 'call / unit (3.11)' concluded skipped: the guard did not run it",
    ),
}


@pytest.mark.parametrize("case", list(SKIPPED))
def test_a_step_that_should_have_run_but_was_skipped_stays_red(github: FakeGitHub, case: str) -> None:
    workflow, jobs, files, named = SKIPPED[case]
    serve(github, workflow, jobs, files)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    assert named in str(outcome.reason), (case, outcome.reason)


# -- 2. a test inside a local composite action, under an if: that never runs -----------------------------------

USES_ACTION = "      - uses: ./.github/actions/test\n"
GUARD = HEADER + "  test:\n    runs-on: ubuntu-24.04\n    steps:\n" + CHECKOUT + USES_ACTION
ACTION_STEPS = "name: tests\ndescription: the tests\nruns:\n  using: composite\n  steps:\n"


def action(condition: str | None) -> str:
    """A composite action whose one step runs the tests, under ``if: condition`` (None: none)."""
    line = f"      if: {condition}\n" if condition is not None else ""
    return ACTION_STEPS + f"    - name: pytest\n{line}      shell: bash\n      run: .venv/bin/pytest tests\n"


def serve_action(github: FakeGitHub, text: str, extra: dict[str, str] | None = None) -> None:
    """Green runs of GUARD, whose test job's one step uses the local action ``text`` (listed success, as GitHub
    lists a composite action whatever its steps' ``if:`` decided)."""
    files = {".github/actions/test/action.yml": text, **(extra or {})}
    serve(github, GUARD, {"test": {"Run ./.github/actions/test": "success"}}, files)


NEVER_RUNS = {
    "if: false": "false",
    "if: ${{ false }}": "${{ false }}",
    "if: 'false'": "'false'",
    "if: github.event_name == 'schedule'": "github.event_name == 'schedule'",
    "if: github.ref != 'refs/heads/main'": "${{ github.ref != 'refs/heads/main' }}",
    "if: failure()": "failure()",
    "if: success() && github.event_name == 'pull_request'": "success() && github.event_name == 'pull_request'",
}
ONLY_THE_RUN_KNOWS = {
    "if: inputs.tests == 'true'": "inputs.tests == 'true'",
    "if: contains(github.event.head_commit.message, 'test')": "contains(github.event.head_commit.message, 'test')",
    "text around an expression": "${{ true }} && true",
}


@pytest.mark.parametrize("case", [*NEVER_RUNS, *ONLY_THE_RUN_KNOWS])
def test_a_test_in_a_local_action_under_an_if_not_shown_true_does_not_count(github: FakeGitHub, case: str) -> None:
    condition = {**NEVER_RUNS, **ONLY_THE_RUN_KNOWS}[case]
    serve_action(github, action(condition))
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (case, outcome.reason)
    reason = str(outcome.reason)
    assert f"{GUARD_PATH} at {sha(9)[:12]}: no step runs a test" in reason, reason
    fate = "did not run" if case in NEVER_RUNS else "may not have run: its tests not counted"
    assert f".github/actions/test/action.yml: runs/steps/0: step 'pytest' {fate}" in reason, reason
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == []


def test_a_test_in_an_action_used_by_a_step_that_never_runs_does_not_count(github: FakeGitHub) -> None:
    """The outer action's step that uses the inner one is under ``if: false``: nothing inside it ran."""
    outer = ACTION_STEPS + "    - if: ${{ false }}\n      uses: ./.github/actions/inner\n"
    serve_action(github, outer, {".github/actions/inner/action.yml": action(None)})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert ".github/actions/inner/action.yml: only steps that may not have run use it" in str(outcome.reason)


SHOWN_TRUE = {
    "no if:": None,
    "if: true": "true",
    "if: ${{ true }}": "${{ true }}",
    "if: success()": "success()",
    "if: always()": "${{ always() }}",
    "if: github.event_name == 'push'": "github.event_name == 'push'",
    "if: github.ref == 'refs/heads/main' (case ignored)": "github.ref == 'REFS/heads/main'",
    "if: github.ref_name == 'main' || inputs.x": "github.ref_name == 'main' || inputs.x",
    "if: !cancelled() && (github.event_name != 'schedule')": "${{ !cancelled() && (github.event_name != 'schedule') }}",
}


@pytest.mark.parametrize("case", list(SHOWN_TRUE))
def test_a_test_in_a_local_action_under_an_if_shown_true_counts(github: FakeGitHub, case: str) -> None:
    serve_action(github, action(SHOWN_TRUE[case]))
    outcome = ask(github)
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(".github/actions/test/action.yml" in t and "`.venv/bin/pytest tests`" in t for t in tests), tests


# -- the evaluator itself ----------------------------------------------------------------------------------------

PUSH_TO_MAIN = RunFacts.of_run(run(9, "success"))


@pytest.mark.parametrize(
    ("condition", "value"),
    [
        (False, False),
        ("false", False),
        ("${{ 0 }}", False),
        ("${{ '' }}", False),
        ("null", False),
        ("${{ 'false' }}", True),  # a non-empty string is truthy
        ("github.event_name == 'push' && github.ref == 'refs/heads/main'", True),
        ("github.event_name != 'push'", False),
        ("inputs.x && false", False),
        ("inputs.x || true", True),
        ("inputs.x", None),
        ("inputs.x == 'a'", None),
        ("github.event_name == true", None),  # GitHub coerces to numbers: not judged
        ("startsWith(github.ref, 'refs/tags/')", None),
        ("github.event_name ==", None),  # not an expression
        ("env.X == 'y' && failure()", False),
    ],
)
def test_the_evaluator_proves_only_what_it_can(condition: Any, value: bool | None) -> None:
    verdict = step_condition({"if": condition}, PUSH_TO_MAIN)
    assert verdict.value is value, (condition, verdict)
    assert verdict.why


def test_an_event_or_ref_that_is_not_a_push_to_main_is_unknown() -> None:
    facts = RunFacts.of_run(run(9, "success", event="workflow_dispatch"))
    assert step_condition({"if": "github.ref == 'refs/heads/main'"}, facts).value is None
    assert step_condition({"if": "github.event_name == 'workflow_dispatch'"}, facts).value is True
