"""Exit check 3: a ``package.json`` script's ``pre``/``post`` scripts count only where the tool runs them
(``lakehouse.packagescripts.runs_hooks``).

npm runs ``pretest``/``posttest`` around ``npm test`` unless ``ignore-scripts`` is set (``--ignore-scripts``,
``.npmrc``, ``npm_config_ignore_scripts``); yarn 1 runs them, yarn 2+ does not; pnpm only with
``enable-pre-post-scripts=true``. A hook's tests counted where the tool does not run it passed a guard that runs no
test (red now); a hook the tool does run, judged as npm's, is red when it loses a failure and counts its tests (red
before: yarn 1's and pnpm's hooks were never read). Where only the run can tell (yarn without ``packageManager``, pnpm
without the setting), a hook is judged but its tests do not count, and a failure it loses makes the run ``error``.
"""

from __future__ import annotations

import json

import pytest

from lakehouse.outcome import Status
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_tests import (
    ask,
    assert_counts_test,
    assert_red_naming,
    assert_runs_no_test,
    guard,
    run_step,
    serve,
)

__all__ = ["github"]  # the fixture, imported for this module's tests


def package(manager: str | None = None, **scripts: str) -> str:
    document: dict[str, object] = {"name": "app", "version": "1.0.0"}
    if manager:
        document["packageManager"] = manager
    return json.dumps({**document, "scripts": scripts}, indent=2) + "\n"


HOOK_TESTS = {"pretest": "jest", "test": "echo done"}

#: case -> (the step's command, the tree's files, parts of the reason)
NO_TEST: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "npm test, ignore-scripts=true in .npmrc: pretest never runs": (
        "npm test",
        {"package.json": package(**HOOK_TESTS), ".npmrc": "ignore-scripts=true\n"},
        ("scripts.pretest: not run by `npm test`", "`ignore-scripts=true` in .npmrc"),
    ),
    "npm test --ignore-scripts": (
        "npm test --ignore-scripts",
        {"package.json": package(**HOOK_TESTS)},
        ("`--ignore-scripts` on the command line",),
    ),
    "npm_config_ignore_scripts=true in the step": (
        "npm_config_ignore_scripts=true npm run test",
        {"package.json": package(**HOOK_TESTS)},
        ("npm_config_ignore_scripts in its environment",),
    ),
    "yarn 4 (berry) runs no pretest": (
        "yarn test",
        {"package.json": package("yarn@4.1.0", **HOOK_TESTS)},
        ("yarn@4.1.0 (package.json's packageManager) runs no `pre`/`post` scripts",),
    ),
    "pnpm with enable-pre-post-scripts=false": (
        "pnpm test",
        {"package.json": package(**HOOK_TESTS), ".npmrc": "enable-pre-post-scripts=false\n"},
        ("pnpm runs no `pre`/`post` scripts",),
    ),
    "yarn without packageManager: the pretest may not run": (
        "yarn test",
        {"package.json": package(**HOOK_TESTS)},
        ("`yarn test`", "`echo done`"),
    ),
}


@pytest.mark.parametrize("case", list(NO_TEST))
def test_a_hook_the_tool_does_not_run_counts_no_test(github: FakeGitHub, case: str) -> None:
    command, files, shown = NO_TEST[case]
    serve(github, guard(run_step(command)), files)
    assert_runs_no_test(ask(github), case, shown)


MASKED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "yarn 1 runs a pretest that loses jest's failure": (
        "yarn test",
        {"package.json": package("yarn@1.22.22", pretest="jest || true", test="tsc")},
        ("package.json:6", "`jest || true`"),
    ),
    "pnpm with enable-pre-post-scripts=true runs a posttest that loses its failure": (
        "pnpm run check",
        {
            "package.json": package(check="tsc", postcheck="vitest run; exit 0"),
            "pnpm-workspace.yaml": "packages: []\n",
            ".npmrc": "# pnpm\nenable-pre-post-scripts = true\n",
        },
        ("package.json:6", "`vitest run`"),
    ),
}


@pytest.mark.parametrize("case", list(MASKED))
def test_a_hook_the_tool_runs_is_judged(github: FakeGitHub, case: str) -> None:
    command, files, shown = MASKED[case]
    serve(github, guard(run_step(command)), files)
    assert_red_naming(ask(github), case, shown)


def test_a_hook_that_may_run_and_loses_a_failure_is_an_error(github: FakeGitHub) -> None:
    files = {"package.json": package(pretest="jest || true", test="tsc")}
    serve(github, guard(run_step("pnpm test")), files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (outcome.status, outcome.reason)
    assert "may run package.json scripts.pretest" in str(outcome.reason), outcome.reason
    assert "package.json:5 `jest || true`" in str(outcome.reason), outcome.reason


#: case -> (the step's command, the tree's files, a test command the evidence lists)
HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "npm test runs pretest": ("npm test", {"package.json": package(**HOOK_TESTS)}, "`jest`"),
    "npm test with ignore-scripts: the test script itself runs": (
        "npm test",
        {"package.json": package(pretest="echo hi", test="jest --ci"), ".npmrc": "ignore-scripts=true\n"},
        "`jest --ci`",
    ),
    "yarn 1 runs pretest": ("yarn test", {"package.json": package("yarn@1.22.22", **HOOK_TESTS)}, "`jest`"),
    "pnpm with enable-pre-post-scripts=true in the workspace's .npmrc": (
        "pnpm --dir web test",
        {"web/package.json": package(**HOOK_TESTS), ".npmrc": "enable-pre-post-scripts=true\n"},
        "`jest`",
    ),
    "yarn 4 runs the test script": (
        "yarn test",
        {"package.json": package("yarn@4.1.0", pretest="echo hi", test="jest")},
        "`jest`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_hook_the_tool_runs_counts_its_tests(github: FakeGitHub, case: str) -> None:
    command, files, test = HEALTHY[case]
    serve(github, guard(run_step(command)), files)
    assert_counts_test(ask(github), case, test)
