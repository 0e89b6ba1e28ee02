"""Exit check 3: ``bun run <script>`` runs its ``pre``/``post`` scripts (bun's docs/cli/run.md: "Bun respects
lifecycle hooks. For instance, ``bun run clean`` will execute ``preclean`` and ``postclean``, if defined. If the
``pre<script>`` fails, Bun will not execute the script itself"), so they are judged as npm's are.

Before, bun's hooks were never read: a ``pretest`` whose ``vitest run || true`` loses the tests' failure passed beside
a ``test`` script that lints (red now, naming the line); a ``pretest`` that runs the tests counted none (a false red).
``bun <script>`` without ``run``: the docs do not say it runs hooks, so a hook is judged but its tests do not count,
and a failure it loses is ``error``. ``bun test`` is bun's own test runner (its built-in commands win over a script's
name), counted as such.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from lakehouse.packagescripts import runs_hooks, script_call
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_package_hooks import package
from tests.unit.test_ci_runs_tests import ask, assert_counts_test, guard, run_step, serve

__all__ = ["github"]  # the fixture, imported for this module's tests


def test_bun_run_runs_a_pretest_that_loses_the_tests_failure_is_red(github: FakeGitHub) -> None:
    files = {"package.json": package(pretest="vitest run || true", test="eslint .")}
    serve(github, guard(run_step("bun run test")), files)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (outcome.status, outcome.reason)
    assert "package.json:5 `vitest run || true`" in str(outcome.reason), outcome.reason


def test_bun_without_run_may_run_a_hook_that_loses_a_failure_is_an_error(github: FakeGitHub) -> None:
    files = {"package.json": package(**{"pretest:unit": "vitest run || true", "test:unit": "eslint ."})}
    serve(github, guard(run_step("bun test:unit")), files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (outcome.status, outcome.reason)
    assert "of `bun <script>` without `run` they say nothing" in str(outcome.reason), outcome.reason


#: case -> (the step's command, the tree's files, a test command the evidence lists)
HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "bun run test runs pretest's tests": (
        "bun run test",
        {"package.json": package(pretest="vitest run", test="echo done")},
        "`vitest run`",
    ),
    "bun run check runs postcheck's lint": (
        "bun run --silent check",
        {"package.json": package(check="tsc --noEmit", postcheck="eslint .")},
        "`eslint .`",
    ),
    "bun test is bun's own runner, whatever the test script says": (
        "bun test",
        {"package.json": package(test="echo no tests")},
        "`bun test`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_bun_runs_its_hooks_and_counts_their_tests(github: FakeGitHub, case: str) -> None:
    command, files, test = HEALTHY[case]
    serve(github, guard(run_step(command)), files)
    assert_counts_test(ask(github), case, test)


def test_runs_hooks_for_bun_follows_its_docs() -> None:
    run = script_call(["bun", "run", "test"])
    naked = script_call(["bun", "lint"])
    assert run is not None and naked is not None and script_call(["bun", "test"]) is None
    assert runs_hooks(run, None, [], {})[0] is True
    assert runs_hooks(naked, None, [], {})[0] is None
