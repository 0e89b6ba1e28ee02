"""Exit check 3 follows ``$GITHUB_ACTION_PATH`` / ``${{ github.action_path }}`` of a local composite action.

A step of ``uses: ./.github/actions/common`` that runs ``"$GITHUB_ACTION_PATH/test.sh"`` runs a script of the
action's folder at the run's commit: it is read and judged like ``./scripts/test.sh``. A step of the workflow
itself (or a script it runs) names no action's folder: what runs there only the run knows, so the run is an
``error``, never green.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from tests.fake_github import COMMON_ACTION, GUARD_PATH, FakeGitHub, github, run, sha
from tests.unit.test_ci_github import (
    CARRIES,
    IGNORED,
    OR_TRUE,
    SWALLOWS,
    _not_passing_naming,
    ask,
    with_guard,
    with_test_step,
)

__all__ = ["github"]  # the fixture, imported for this module's tests

ACTION = ".github/actions/common"
#: The composite action's last step, which the fixtures replace.
MAKE_VENV = "      run: make venv\n"
#: The next line of the action step's multi-line ``run:`` (as ``with_action_step`` writes it).
STEP_NEXT = "\n        "
#: Where the action's step is, and how the reason names it.
ACTION_STEP = "runs/steps/4/run: step 'make venv', line "
SWALLOWED = f"{ACTION}/test.sh: {ACTION}/test.sh:3 `pytest tests || true` {OR_TRUE}"


def with_action_step(github: FakeGitHub, number: int, run_: str, files: dict[str, str], folder: str = "") -> str:
    """Commit ``sha(number)``: the composite action's ``make venv`` step runs ``run_`` instead (in ``folder``, its
    ``working-directory``), ``files`` added to or replacing the tree's."""
    directory = f"      working-directory: {folder}\n" if folder else ""
    commit = with_guard(github, number, MAKE_VENV, f"{directory}      run: |\n        {run_}\n", COMMON_ACTION)
    github.commits[commit].update(files)
    return commit


@pytest.mark.parametrize(
    ("run_", "files", "folder", "culprit"),
    [
        ('"$GITHUB_ACTION_PATH/test.sh"', {f"{ACTION}/test.sh": SWALLOWS}, "", SWALLOWED),
        ("${{ github.action_path }}/test.sh", {f"{ACTION}/test.sh": SWALLOWS}, "", SWALLOWED),
        ("bash $GITHUB_ACTION_PATH/test.sh", {f"{ACTION}/test.sh": SWALLOWS}, "", SWALLOWED),
        ('source "${GITHUB_ACTION_PATH}/test.sh"', {f"{ACTION}/test.sh": SWALLOWS}, "", SWALLOWED),
        ('"${GITHUB_ACTION_PATH:-.}/test.sh"', {f"{ACTION}/test.sh": SWALLOWS, "test.sh": CARRIES}, "", SWALLOWED),
        (  # the action's test.sh, not the root's healthy one
            "cd $GITHUB_ACTION_PATH && ./test.sh",
            {f"{ACTION}/test.sh": SWALLOWS, "test.sh": CARRIES},
            "",
            f"`./test.sh` runs {SWALLOWED}",
        ),
        ("./test.sh", {f"{ACTION}/test.sh": SWALLOWS, "test.sh": CARRIES}, "${{ github.action_path }}", SWALLOWED),
        (  # the variable names the folder from the checkout's root wherever the script has gone
            'cd ci && "$GITHUB_ACTION_PATH/test.sh"',
            {f"{ACTION}/test.sh": SWALLOWS, f"ci/{ACTION}/test.sh": CARRIES},
            "",
            SWALLOWED,
        ),
        (
            'HERE="${{ github.action_path }}"' + STEP_NEXT + '"$HERE/test.sh"',
            {f"{ACTION}/test.sh": SWALLOWS},
            "",
            SWALLOWED,
        ),
        (
            '"$GITHUB_ACTION_PATH/../../../ci/test.sh"',
            {"ci/test.sh": SWALLOWS},
            "",
            f"ci/test.sh:3 `pytest tests || true` {OR_TRUE}",
        ),
        (
            'make -C "$GITHUB_ACTION_PATH" test',
            {f"{ACTION}/Makefile": "test:\n\t-pytest\n"},
            "",
            f"runs {ACTION}/Makefile: {ACTION}/Makefile, line 2 (target 'test') {IGNORED}",
        ),
        (  # a script of the tree the step runs inherits the variable
            "./ci/run",
            {"ci/run": '#!/bin/sh -e\n"$GITHUB_ACTION_PATH/test.sh"\n', f"{ACTION}/test.sh": SWALLOWS},
            "",
            f'runs ci/run: ci/run:2 `"$GITHUB_ACTION_PATH/test.sh"` runs {SWALLOWED}',
        ),
    ],
    ids=[
        "variable",
        "expression",
        "bash-operand",
        "source",
        "default",
        "cd-then-script",
        "working-directory",
        "cd-elsewhere-first",
        "assigned-folder",
        "leaves-the-action",
        "make-C",
        "script-inherits",
    ],
)
def test_a_script_of_the_actions_folder_that_loses_a_failure_makes_the_run_red(
    github: FakeGitHub, run_: str, files: dict[str, str], folder: str, culprit: str
) -> None:
    """Run #8's composite action runs a file of its own folder that loses the tests' failure: red, the reason naming
    the action at the run's commit, its step and line, the script, its line and the command."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_action_step(github, 8, run_, files, folder)
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome, "1 of the newest 3 counted guard runs", "run #8 (", f"{COMMON_ACTION} at {commit[:12]}: ", culprit
    )
    assert ACTION_STEP in str(outcome.reason)
    assert outcome.status is Status.FAILED
    assert outcome.details["github"]["workflow_files"]["run #8"]["unfollowed"] == []


@pytest.mark.parametrize(
    ("run_", "files"),
    [
        ('"$GITHUB_ACTION_PATH/test.sh"', {f"{ACTION}/test.sh": CARRIES, "test.sh": SWALLOWS}),
        ("${{ github.action_path }}/test.sh", {f"{ACTION}/test.sh": CARRIES, "test.sh": SWALLOWS}),
        ("cd $GITHUB_ACTION_PATH && ./test.sh", {f"{ACTION}/test.sh": CARRIES, "test.sh": SWALLOWS}),
        ('cd ci && "$GITHUB_ACTION_PATH/test.sh"', {f"{ACTION}/test.sh": CARRIES, f"ci/{ACTION}/test.sh": SWALLOWS}),
        ("./ci/run", {"ci/run": '#!/bin/sh -e\n"$GITHUB_ACTION_PATH/test.sh"\n', f"{ACTION}/test.sh": CARRIES}),
        ('make -C "$GITHUB_ACTION_PATH" test', {f"{ACTION}/Makefile": "test:\n\tpytest\n"}),
    ],
    ids=["variable", "expression", "cd-then-script", "cd-elsewhere-first", "script-inherits", "make-C"],
)
def test_a_script_of_the_actions_folder_that_carries_its_failures_stays_green(
    github: FakeGitHub, run_: str, files: dict[str, str]
) -> None:
    """The healthy twins: the action's own script is read (a broken one elsewhere in the tree is not what runs)."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_action_step(github, 8, run_, files)
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    read = outcome.details["github"]["workflow_files"]["run #8"]
    assert read["unfollowed"] == [] and read["problems"] == []
    assert commit == sha(8) and any(path.startswith(f"{ACTION}/") for path in read["files"][2:]), read["files"]


def test_a_working_directory_of_the_actions_folder_stays_green_with_a_healthy_script(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    files = {f"{ACTION}/test.sh": CARRIES, "test.sh": SWALLOWS}
    with_action_step(github, 8, "./test.sh", files, "${{ github.action_path }}")
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
    assert f"{ACTION}/test.sh" in outcome.details["github"]["workflow_files"]["run #8"]["scripts"]


def test_another_local_action_gets_its_own_folder(github: FakeGitHub) -> None:
    """``uses: ./ci/actions/tests``: its ``$GITHUB_ACTION_PATH`` is ``ci/actions/tests``."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    uses = "      - uses: ./.github/actions/common\n      - run: make test\n"
    commit = with_guard(github, 8, uses, uses + "      - uses: ./ci/actions/tests\n")
    action = (
        "name: tests\ndescription: the suite\nruns:\n  using: composite\n  steps:\n"
        '    - name: suite\n      shell: bash\n      run: "$GITHUB_ACTION_PATH/run-tests.sh"\n'
    )
    github.commits[commit].update({"ci/actions/tests/action.yml": action, "ci/actions/tests/run-tests.sh": SWALLOWS})
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"ci/actions/tests/action.yml at {commit[:12]}: runs/steps/0/run: step 'suite', line 1",
        f"runs ci/actions/tests/run-tests.sh: ci/actions/tests/run-tests.sh:3 `pytest tests || true` {OR_TRUE}",
    )
    assert outcome.status is Status.FAILED
    github.commits[commit]["ci/actions/tests/run-tests.sh"] = CARRIES
    assert ask(github, sha(9)).status is Status.PASSED


ONLY_AN_ACTION = "runs a file of the action's folder, which only a composite action's step names (`GITHUB_ACTION_PATH`)"


@pytest.mark.parametrize(
    ("run_", "files", "what"),
    [
        ('"$GITHUB_ACTION_PATH/test.sh"', {}, f"`$GITHUB_ACTION_PATH/test.sh` {ONLY_AN_ACTION}"),
        ("${{ github.action_path }}/test.sh", {}, f"`${{{{ github.action_path }}}}/test.sh` {ONLY_AN_ACTION}"),
        ('bash "$GITHUB_ACTION_PATH/test.sh"', {}, f"`bash $GITHUB_ACTION_PATH/test.sh` {ONLY_AN_ACTION}"),
        ('"${GITHUB_ACTION_PATH:-.}/test.sh"', {}, f"`${{GITHUB_ACTION_PATH:-.}}/test.sh` {ONLY_AN_ACTION}"),
        ("cd $GITHUB_ACTION_PATH && ./test.sh", {}, "`./test.sh` runs after `cd $GITHUB_ACTION_PATH`"),
        (
            "./ci/run",
            {"ci/run": '#!/bin/sh -e\n"$GITHUB_ACTION_PATH/test.sh"\n'},
            f"-> ci/run, line 2: `$GITHUB_ACTION_PATH/test.sh` {ONLY_AN_ACTION}",
        ),
    ],
    ids=["variable", "expression", "bash-operand", "default", "cd", "script"],
)
def test_the_action_path_in_a_workflow_step_is_an_error_never_green(
    github: FakeGitHub, run_: str, files: dict[str, str], what: str
) -> None:
    """A workflow's own step is no composite action's: ``$GITHUB_ACTION_PATH`` names no folder of the tree this
    reader can name (the action's script is healthy: it is still not what is known to run)."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, run_, {f"{ACTION}/test.sh": CARRIES, **files})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(
        outcome,
        "cannot tell whether the guard's tests could fail 1 judged run(s)",
        f"run #8: {GUARD_PATH}: jobs/test/steps/2/run: step 'Run make test'",
        what,
        f"(at {commit[:12]})",
    )


def test_a_file_of_the_actions_folder_named_by_an_input_is_an_error_never_green(github: FakeGitHub) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_action_step(github, 8, '"$GITHUB_ACTION_PATH/${{ inputs.suite }}.sh"', {f"{ACTION}/unit.sh": CARRIES})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.ERROR, outcome.reason
    _not_passing_naming(
        outcome,
        f"run #8: {COMMON_ACTION}: runs/steps/4/run: step 'make venv', line 1: ",
        "runs a file of the action's folder whose name only the run knows",
        f"(at {commit[:12]})",
    )


def test_an_action_at_the_checkouts_root_is_read_there(github: FakeGitHub) -> None:
    """``uses: ./``: the action's file is ``action.yml`` of the root (not ``/action.yml``), its folder the root."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    uses = "      - uses: ./.github/actions/common\n      - run: make test\n"
    commit = with_guard(github, 8, uses, uses + "      - uses: ./\n")
    action = (
        "name: root\ndescription: the suite\nruns:\n  using: composite\n  steps:\n"
        '    - name: suite\n      shell: bash\n      run: "$GITHUB_ACTION_PATH/test.sh"\n'
    )
    github.commits[commit].update({"action.yml": action, "test.sh": SWALLOWS})
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        f"action.yml at {commit[:12]}: runs/steps/0/run: step 'suite', line 1",
        f"runs test.sh: test.sh:3 `pytest tests || true` {OR_TRUE}",
    )
    assert outcome.status is Status.FAILED
    github.commits[commit]["test.sh"] = CARRIES
    assert ask(github, sha(9)).status is Status.PASSED
