"""Exit check 3 and a file the guard runs from a folder only the run knows, and make's own expansion of recipes.

``"$DIR/test.sh"``, ``bash "$DIR/test.sh"``, ``source "$X/env.sh"``: with DIR a value of the run, the reader cannot
tell which file runs, so whether it loses a failure: the run is an ``error`` (as after ``cd "$DIR"``), never green.
A folder the reader can name (``DIR=ci``, the step's ``env:``, a Makefile variable make knows) is followed, and a
program found there (``"$VENV/bin/pytest"``) is a program, not a script of the tree.

A Makefile's recipe is what make hands the shell: ``$(BIN)`` replaced by its value and ``$$`` by ``$``, so
``echo "$$(pytest)"`` throws pytest's status away (red) while ``out=$$(pytest)`` keeps it (green); real GNU make
with a failing ``pytest`` agrees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.outcome import Status
from tests.fake_github import COMMON_ACTION, GUARD_PATH, FakeGitHub, github, run, sha
from tests.unit.test_ci_action_path import ACTION, with_action_step
from tests.unit.test_ci_github import CARRIES, NEXT, OR_TRUE, SWALLOWS, _not_passing_naming, ask, with_test_step

__all__ = ["github"]  # the fixture, imported for this module's tests

FOLDER_UNKNOWN = "a file in a folder only the run knows"
#: Each broken case: (the step, its env:, the tree's files, the culprit the reason names). The file run swallows
#: its tests' failure; before, the reader did not follow it and the run was green.
UNKNOWN = [
    (
        '"$DIR/test.sh"',
        "DIR: ${{ inputs.dir }}",
        {"ci/test.sh": SWALLOWS},
        f"line 1: `$DIR/test.sh` runs {FOLDER_UNKNOWN}",
    ),
    (
        'bash "$DIR/test.sh"',
        "DIR: ${{ inputs.dir }}",
        {"ci/test.sh": SWALLOWS},
        f"line 1: `bash $DIR/test.sh` runs `$DIR/test.sh`, {FOLDER_UNKNOWN}",
    ),
    (
        f'source "$X/env.sh"{NEXT}pytest tests',
        "",
        {"ci/env.sh": "set +e\n"},
        f"line 1: `source $X/env.sh` runs `$X/env.sh`, {FOLDER_UNKNOWN}",
    ),
    (
        "./ci/run suites",
        "",
        {"ci/run": '#!/bin/sh -e\n"$1/test.sh"\n', "suites/test.sh": SWALLOWS},
        f"-> ci/run, line 2: `$1/test.sh` runs {FOLDER_UNKNOWN}",
    ),
    (
        f'DIR="$(cat ci/dir)"{NEXT}"$DIR/test.sh"',
        "",
        {"ci/dir": "ci\n", "ci/test.sh": SWALLOWS},
        f"line 2: `$DIR/test.sh` runs {FOLDER_UNKNOWN}",
    ),
    (  # make knows no value of TESTS: $(shell ...) is the run's
        "make test",
        "",
        {"Makefile": "TESTS := $(shell cat ci/dir)\ntest:\n\t$(TESTS)/test.sh\n", "ci/test.sh": SWALLOWS},
        f"-> Makefile, line 3: `${{shell}}/test.sh` runs {FOLDER_UNKNOWN}",
    ),
    (  # make's $$: the shell reads $DIR, which only the run knows
        "make test",
        "",
        {"Makefile": 'test:\n\techo start\n\t"$$DIR/test.sh"\n', "ci/test.sh": SWALLOWS},
        f"-> Makefile, line 3: `$DIR/test.sh` runs {FOLDER_UNKNOWN}",
    ),
    (
        "make test",
        "",
        {"Makefile": "test:\n\tcd $$SUITE && ./test.sh\n", "ci/test.sh": SWALLOWS},
        "-> Makefile, line 2: `./test.sh` runs after `cd $SUITE`, a folder only the run knows",
    ),
    (  # a bin/ of the tree after such a cd: not a toolchain's program
        'cd "$DIR" && ./bin/test',
        "DIR: ${{ inputs.dir }}",
        {"ci/bin/test": SWALLOWS},
        "line 1: `./bin/test` runs after `cd $DIR`, a folder only the run knows",
    ),
]
UNKNOWN_IDS = [
    "direct",
    "bash",
    "source",
    "script-argument",
    "substitution",
    "make-shell",
    "make-dollar",
    "make-cd",
    "cd-bin",
]

#: Healthy twins: the folder is one the reader names, or what runs there is a program, not a script of the tree.
NAMED = [
    ('DIR=ci; "$DIR/test.sh"', "", {"ci/test.sh": CARRIES, "test.sh": SWALLOWS}),
    ('"$DIR/test.sh"', "DIR: ci", {"ci/test.sh": CARRIES}),
    ('bash "${DIR:-ci}/test.sh"', "", {"ci/test.sh": CARRIES}),
    ('"$VENV/bin/pytest" tests', "VENV: ${{ inputs.venv }}", {}),
    ('"$VENV/bin/python" -m pytest tests', "VENV: ${{ inputs.venv }}", {}),
    (f'source "$VENV/bin/activate"{NEXT}pytest tests', "VENV: ${{ inputs.venv }}", {}),
    ('cd "$DIR" && .venv/bin/pytest tests', "DIR: ${{ inputs.dir }}", {}),  # installed there, not the tree's
    ('cd "$DIR" && python -m pytest tests', "DIR: ${{ inputs.dir }}", {}),
    ('"$RUNNER_TEMP/setup.sh"', "", {}),
    ("${{ runner.temp }}/setup.sh", "", {}),
    ('"${{ github.workspace }}/ci/test.sh"', "", {"ci/test.sh": CARRIES}),  # the checkout's root: followed
    (
        '"$(go env GOPATH)/bin/golangci-lint" run',
        "",
        {},
    ),  # a toolchain's program  # the runner's folder, outside the checkout: no file of the tree
    ("make test", "", {"Makefile": "TESTS := ci\ntest:\n\t$(TESTS)/test.sh\n", "ci/test.sh": CARRIES}),
    ("make test", "", {"Makefile": "BIN = $(VENV)/bin\nVENV := .venv\ntest:\n\t$(BIN)/pytest tests\n"}),
    ("make test", "", {"Makefile": 'test:\n\tDIR=ci; "$$DIR/test.sh"\n', "ci/test.sh": CARRIES}),
    ("make test", "", {"Makefile": "define RULE\n$(1):\n\tpytest tests\nendef\n$(eval $(call RULE,test))\n"}),
]
NAMED_IDS = [
    "assigned",
    "step-env",
    "default",
    "venv-pytest",
    "venv-python",
    "activate",
    "cd-venv-pytest",
    "cd-python",
    "runner-temp",
    "runner-temp-expression",
    "workspace-expression",
    "toolchain-bin",
    "make-variable",
    "make-recursive-venv",
    "make-dollar-assigned",
    "make-eval-known",
]


@pytest.mark.parametrize(("run_", "env", "files", "culprit"), UNKNOWN, ids=UNKNOWN_IDS)
def test_a_file_run_from_a_folder_only_the_run_knows_is_an_error_never_green(
    github: FakeGitHub, run_: str, env: str, files: dict[str, str], culprit: str
) -> None:
    """Not proven red (the file may be healthy), not green: ``error``, naming the run, the step, the file and line
    the command is on, and the command."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, run_, files, env=env)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(
        outcome,
        "cannot tell whether the guard's tests could fail 1 judged run(s)",
        f"run #8: {GUARD_PATH}: jobs/test/steps/2/run: step 'Run make test'",
        culprit,
        f"(at {commit[:12]})",
    )


@pytest.mark.parametrize(("run_", "env", "files"), NAMED, ids=NAMED_IDS)
def test_a_file_run_from_a_folder_the_reader_names_is_judged_and_a_healthy_one_stays_green(
    github: FakeGitHub, run_: str, env: str, files: dict[str, str]
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, run_, files, env=env)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["github"]["workflow_files"]["run #8"]["unfollowed"] == []


@pytest.mark.parametrize(
    ("run_", "files", "culprit"),
    [
        (
            'DIR=ci; "$DIR/test.sh"',
            {"ci/test.sh": SWALLOWS},
            f"runs ci/test.sh: ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (
            '"${{ github.workspace }}/ci/test.sh"',
            {"ci/test.sh": SWALLOWS},
            f"runs ci/test.sh: ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (
            "make test",
            {"Makefile": "TESTS := ci\ntest:\n\t$(TESTS)/test.sh\n", "ci/test.sh": SWALLOWS},
            "Makefile, line 3 (target 'test') `ci/test.sh` runs ci/test.sh: ci/test.sh:3 `pytest tests || true`",
        ),
    ],
    ids=["assigned", "workspace-expression", "make-variable"],
)
def test_a_swallowing_file_in_a_folder_the_reader_names_makes_the_run_red(
    github: FakeGitHub, run_: str, files: dict[str, str], culprit: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, run_, files)
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "run #8 (", culprit)
    assert outcome.status is Status.FAILED


#: Makefiles whose recipe loses pytest's failure once make has turned ``$$`` into ``$`` (red), and their twins.
LOST_TO_DOLLARS = [
    ('test:\n\techo "$$(pytest tests)"\n', 2, "pytest tests", "`echo`'s status is the command's"),
    ("test:\n\texport OUT=$$(pytest tests)\n", 2, "pytest tests", "`export`'s status is the command's"),
    ("test:\n\tout=$$(pytest tests); echo $$out\n", 2, "pytest tests", "its status is the assignment's"),
    ('PYTEST = pytest\ntest:\n\techo "$$($(PYTEST) tests)"\n', 3, "pytest tests", "`echo`'s status is the command's"),
]
LOST_TO_DOLLARS_IDS = ["echo", "export", "assignment-then-echo", "variable-inside"]
KEPT_DOLLARS = [
    "test:\n\tout=$$(pytest tests)\n",
    'test:\n\tout=$$(pytest tests) || { echo "$$out"; exit 1; }; echo "$$out"\n',
    'test:\n\techo "$$(pytest --version)"; pytest tests\n',
    'test:\n\techo "$$(pytest --version)"\n\tpytest tests\n',
]
KEPT_DOLLARS_IDS = ["assignment", "or-exit", "version-then-tests", "next-line"]


@pytest.mark.parametrize(("makefile", "line", "command", "why"), LOST_TO_DOLLARS, ids=LOST_TO_DOLLARS_IDS)
def test_a_recipe_losing_its_tests_in_a_substitution_after_make_unescapes_dollars_is_red(
    github: FakeGitHub, makefile: str, line: int, command: str, why: str
) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, "make test", {"Makefile": makefile})
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/run: step 'Run make test', line 1 `make test` "
        "runs Makefile: "
        f"Makefile, line {line} (target 'test') `{command}` fails unseen",
        why,
    )
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize("makefile", KEPT_DOLLARS, ids=KEPT_DOLLARS_IDS)
def test_a_recipe_keeping_its_tests_status_through_dollars_stays_green(github: FakeGitHub, makefile: str) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, "make test", {"Makefile": makefile})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason


def test_a_recipe_running_the_actions_folder_through_dollars_is_followed_there(github: FakeGitHub) -> None:
    """A composite action's step runs make; its recipe's ``$$GITHUB_ACTION_PATH/test.sh`` reaches the shell as
    ``$GITHUB_ACTION_PATH/test.sh``, the action's folder (the recipe inherits the step's environment)."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    makefile = "suite:\n\t$$GITHUB_ACTION_PATH/test.sh\n"
    files = {f"{ACTION}/Makefile": makefile, f"{ACTION}/test.sh": SWALLOWS, "test.sh": CARRIES}
    commit = with_action_step(github, 8, 'make -f "$GITHUB_ACTION_PATH/Makefile" suite', files)
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"{COMMON_ACTION} at {commit[:12]}",
        f"runs {ACTION}/test.sh: {ACTION}/test.sh:3 `pytest tests || true` {OR_TRUE}",
    )
    assert outcome.status is Status.FAILED
    github.commits[commit][f"{ACTION}/test.sh"] = CARRIES
    assert ask(github, sha(9)).status is Status.PASSED


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def _make_result(makefile: str, tmp_path: Path) -> int:
    """The exit status of ``make test`` with ``makefile``, where ``pytest`` always fails."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    pytest_ = bin_ / "pytest"
    pytest_.write_text('#!/bin/sh\ncase "$*" in *--version*) echo pytest 8; exit 0;; esac\necho failed; exit 1\n')
    pytest_.chmod(0o755)
    (tmp_path / "Makefile").write_text(makefile, encoding="utf-8")
    env = {"PATH": f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}", "HOME": str(tmp_path)}
    done = subprocess.run(["make", "-s", "test"], cwd=tmp_path, env=env, capture_output=True, timeout=30)
    return done.returncode


@needs_make
@pytest.mark.parametrize(("makefile", "line", "command", "why"), LOST_TO_DOLLARS, ids=LOST_TO_DOLLARS_IDS)
def test_gnu_make_loses_the_failure_of_each_broken_recipe(
    makefile: str, line: int, command: str, why: str, tmp_path: Path
) -> None:
    assert _make_result(makefile, tmp_path) == 0


@needs_make
@pytest.mark.parametrize("makefile", KEPT_DOLLARS, ids=KEPT_DOLLARS_IDS)
def test_gnu_make_keeps_the_failure_of_each_healthy_recipe(makefile: str, tmp_path: Path) -> None:
    assert _make_result(makefile, tmp_path) != 0


def test_a_recipe_line_after_a_rule_of_a_branch_not_taken_is_the_guard_targets_and_red(github: FakeGitHub) -> None:
    """GNU make skips ``skipped:`` (``ifeq (a,b)``), so ``pytest tests || true`` is ``test``'s recipe (make is green
    with a failing test: ``tests/unit/test_makefiles.py``); the reader once gave it to ``skipped``."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    makefile = "test:\nifeq (a,b)\nskipped:\nendif\n\tpytest tests || true\n"
    with_test_step(github, 8, "make test", {"Makefile": makefile})
    outcome = ask(github, sha(9))
    _not_passing_naming(outcome, "runs Makefile: Makefile, line 5 (target 'test') `pytest tests || true`", OR_TRUE)
    assert outcome.status is Status.FAILED


def test_rules_only_the_run_makes_with_eval_are_an_error_never_green(github: FakeGitHub) -> None:
    """``$(eval $(shell cat ci/rules.mk))`` may make any rule (here ``test: ; -pytest``): the reader cannot see them,
    so every make of that Makefile is unfollowed: ``error``, naming the Makefile's line."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    makefile = "$(eval $(shell cat ci/rules.mk))\ntest:\n\tpytest tests\n"
    commit = with_test_step(github, 8, "make test", {"Makefile": makefile, "ci/rules.mk": "test:\n\t-pytest\n"})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(
        outcome,
        f"run #8: {GUARD_PATH}: jobs/test/steps/2/run: step 'Run make test', line 1: Makefile, line 1 "
        "`$(eval $(shell cat ci/rules.mk))`: rules made by $(eval) of a value only the run knows, not read",
        f"(at {commit[:12]})",
    )
