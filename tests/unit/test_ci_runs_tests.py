"""Exit check 3: a guard run is green only if its workflow runs a test (``lakehouse.testcommands``).

A guard whose only step is ``echo ok``, or whose ``make test`` echoes, loses no failure: it has none to lose. Each
judged run's workflow (with the local actions, reusable workflows, scripts and Makefile recipes the follower reaches,
as make reads them) must reach a test command; a run that reaches none is red, the reason naming the workflow file and
what its steps run. A third-party action is not read: it does not count. What only the run knows stays ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lakehouse.checks.ci import check_github
from lakehouse.outcome import Outcome, Status
from tests.fake_github import GUARD_PATH, REPO, TOKEN, FakeGitHub, github, github_jobs, job, run, sha

__all__ = ["github"]  # the fixture, imported for this module's tests

HEADER = """name: guard
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v4
        with:
          persist-credentials: false
"""


def guard(*steps: str) -> str:
    """guard.yml with one job: checkout, then ``steps`` (YAML step items, indented for the job's steps)."""
    return HEADER + "".join(steps)


def run_step(command: str, shell: str = "") -> str:
    shell_line = f"        shell: {shell}\n" if shell else ""
    return f"      - name: Test\n{shell_line}        run: {command}\n"


MAKE_TEST = run_step("make test")
RUNS_PYTEST = "BIN := .venv/bin\n\ntest:\n\t$(BIN)/pytest tests -q\n"


def serve(github: FakeGitHub, workflow: str, files: dict[str, str] | None = None) -> None:
    """Three green runs (9, 8, 7) whose commits hold ``workflow`` as guard.yml and ``files``; their jobs are the
    workflow's, every step concluded success (as GitHub shows them), so only what the workflow runs is judged."""
    github.runs = [run(n, "success") for n in (9, 8, 7)]
    for r in github.runs:
        github.commits[sha(r["run_number"])] = {GUARD_PATH: workflow, **(files or {})}
        jobs = []
        for index, (name, steps) in enumerate(github_jobs(workflow, files).items()):
            shown = job(r, name, "success", index)
            shown["steps"] = [
                {"name": s, "status": "completed", "conclusion": "success", "number": i + 1}
                for i, s in enumerate(["Set up job", *steps, "Complete job"])
            ]
            jobs.append(shown)
        github.jobs[int(r["id"])] = jobs


def ask(github: FakeGitHub) -> Outcome:
    return check_github(REPO, TOKEN, github.url, commit=(sha(9), "test"))


def assert_runs_no_test(outcome: Outcome, case: str, shown: Sequence[str]) -> None:
    """Red because the guard run's steps reach no test command, the reason naming what they ran instead."""
    assert outcome.status is Status.FAILED, (case, outcome.status, outcome.reason)
    reason = str(outcome.reason)
    assert f"{GUARD_PATH} at {sha(9)[:12]}: no step runs a test" in reason, reason
    for part in shown:
        assert part in reason, (part, reason)
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == []


def assert_counts_test(outcome: Outcome, case: str, test: str) -> None:
    """Green, the run's evidence listing ``test`` among the test commands its steps reach."""
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(test in t for t in tests), tests


def assert_red_naming(outcome: Outcome, case: str, shown: Sequence[str]) -> None:
    """Red, the reason naming each of ``shown`` (where the failure is lost: file, line, command)."""
    assert outcome.status is Status.FAILED, (case, outcome.status, outcome.reason)
    reason = str(outcome.reason)
    for part in shown:
        assert part in reason, (part, reason)


BROKEN: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "the only step echoes": (guard(run_step("echo ok")), {}, ("`echo ok`",)),
    "make test's recipe echoes": (guard(MAKE_TEST), {"Makefile": "test:\n\t@echo skipped\n"}, ("`make test`",)),
    "make test's pytest sits in an ifeq branch not taken": (
        guard(MAKE_TEST),
        {"Makefile": "RUN_TESTS :=\n\ntest:\nifeq ($(RUN_TESTS),yes)\n\tpytest tests\nendif\n\t@echo done\n"},
        ("`make test`", "`echo done`"),
    ),
    "make test's PYTEST is `true` for the target": (
        guard(MAKE_TEST),
        {"Makefile": "PYTEST := .venv/bin/pytest\n\ntest: PYTEST = true\ntest:\n\t$(PYTEST) tests\n"},
        ("`make test`", "`true tests`"),
    ),
    "the only step is a third-party action": (
        guard("      - uses: acme/run-the-tests@v1\n"),
        {},
        ("acme/run-the-tests@v1", "not read, so not counted"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_guard_that_runs_no_test_is_red_naming_the_workflow_and_what_it_runs(github: FakeGitHub, case: str) -> None:
    workflow, files, shown = BROKEN[case]
    serve(github, workflow, files)
    assert_runs_no_test(ask(github), case, shown)


HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "run: pytest": (guard(run_step("pytest tests")), {}, "`pytest tests`"),
    "run: python -m pytest": (guard(run_step("python -m pytest -q")), {}, "`python -m pytest -q`"),
    "run: tox -e py": (
        guard(run_step("tox -e py")),
        {"tox.ini": "[testenv]\ncommands = pytest {posargs}\n"},
        "`pytest`",
    ),
    "run: npm test": (
        guard(run_step("npm ci && npm test", shell="bash")),
        {"package.json": '{"scripts": {"test": "jest"}}\n'},
        "`jest`",
    ),
    "make test running $(BIN)/pytest": (guard(MAKE_TEST), {"Makefile": RUNS_PYTEST}, "`.venv/bin/pytest tests -q`"),
    "make test's PYTEST true only for another target": (
        guard(MAKE_TEST),
        {"Makefile": "PYTEST := .venv/bin/pytest\n\nfast: PYTEST = true\ntest:\n\t$(PYTEST) tests\n"},
        "`.venv/bin/pytest tests`",
    ),
    "a local composite action whose step runs the tests": (
        guard("      - uses: ./.github/actions/tests\n"),
        {
            ".github/actions/tests/action.yml": "name: tests\ndescription: the tests\nruns:\n  using: composite\n"
            "  steps:\n    - run: pytest tests\n      shell: bash\n"
        },
        "`pytest tests`",
    ),
    "a third-party action beside a step that runs the tests": (
        guard("      - uses: acme/setup-things@v1\n", run_step("make test")),
        {"Makefile": RUNS_PYTEST},
        "`.venv/bin/pytest tests -q`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_guard_that_runs_its_tests_stays_green(github: FakeGitHub, case: str) -> None:
    workflow, files, test = HEALTHY[case]
    serve(github, workflow, files)
    assert_counts_test(ask(github), case, test)


REUSABLE = """name: tests
on:
  workflow_call:
permissions:
  contents: read
jobs:
  unit:
    runs-on: ubuntu-24.04
    steps:
      - run: .venv/bin/pytest tests
"""
CALLER = """name: guard
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  call:
    uses: ./.github/workflows/tests.yml
"""


def test_a_reusable_workflow_of_the_same_commit_that_runs_the_tests_stays_green(github: FakeGitHub) -> None:
    serve(github, CALLER, {".github/workflows/tests.yml": REUSABLE})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any(".github/workflows/tests.yml" in t and "`.venv/bin/pytest tests`" in t for t in tests), tests


def test_a_reusable_workflow_that_runs_no_test_is_red(github: FakeGitHub) -> None:
    serve(github, CALLER, {".github/workflows/tests.yml": REUSABLE.replace(".venv/bin/pytest tests", "echo ok")})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "no step runs a test" in str(outcome.reason) and "`echo ok`" in str(outcome.reason)


def test_make_where_only_the_run_knows_before_any_test_stays_an_error(github: FakeGitHub) -> None:
    """What only the run knows may run the tests: not proven red, not green (the existing ``error``)."""
    step = '      - name: Test\n        env:\n          DIR: ${{ vars.SUITE_DIR }}\n        run: make -C "$DIR" test\n'
    serve(github, guard(step), {"Makefile": "test:\n\t@echo skipped\n"})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "no step runs a test" not in str(outcome.reason)


def test_tests_only_inside_a_substitution_whose_status_is_lost_are_red(github: FakeGitHub) -> None:
    """``echo "$(pytest)"`` runs the tests and keeps echo's status: red however the tests are counted."""
    serve(github, guard(run_step('echo "$(pytest tests)"')))
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "in the command substitution `$(pytest tests)`" in str(outcome.reason), outcome.reason


#: A Makefile whose ``test`` recipe is on its rule's line (``targets : prerequisites ; recipe``): make runs it as the
#: first recipe line, so it both masks (``|| true``) and counts as the guard's test command.
INLINE_MASKED = "test: lint ; pytest tests || true\n\nlint:\n\truff check .\n"
INLINE_STRICT = "test: ; pytest tests\n"


def test_a_recipe_on_the_rules_line_that_masks_the_tests_is_red_naming_its_line(github: FakeGitHub) -> None:
    """``test: lint ; pytest tests || true``: lint's ruff is a test command, but test's own pytest cannot fail."""
    serve(github, guard(MAKE_TEST), {"Makefile": INLINE_MASKED})
    outcome = ask(github)
    assert outcome.status is Status.FAILED, outcome.reason
    assert "Makefile, line 1 (target 'test') `pytest tests || true` succeeds whatever" in str(outcome.reason)


def test_a_recipe_on_the_rules_line_that_runs_the_tests_counts_and_stays_green(github: FakeGitHub) -> None:
    serve(github, guard(MAKE_TEST), {"Makefile": INLINE_STRICT})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    tests = outcome.details["github"]["workflow_files"]["run #9"]["tests"]
    assert any("Makefile, line 1" in t and "`pytest tests`" in t for t in tests), tests
