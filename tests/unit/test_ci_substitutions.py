"""Exit check 3 judges the tests a guard step runs inside ``$(...)``, as bash runs them.

``echo "$(pytest)"``, ``export OUT=$(pytest)``, ``local out=$(pytest)``: the step's status is the builtin's, and a
failing test run is a green step. ``out=$(pytest)`` alone keeps pytest's status (bash gives an assignment the
status of its last command substitution, and ``-e`` stops on it) unless that status is lost in turn (``&&`` under
-e, a next line without -e). Each fixture is run by real bash too (GitHub's ``bash -e {0}`` for a step with no
``shell:``), with a ``pytest``, ``make`` and ``npm`` that fail: the check's verdict must be bash's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lakehouse.outcome import Status
from lakehouse.shellstatus import Shell, lost_failures
from tests.fake_github import GUARD_PATH, FakeGitHub, github, run, sha
from tests.unit.test_ci_github import NEXT, _not_passing_naming, ask, with_test_step

__all__ = ["github"]  # the fixture, imported for this module's tests

#: Broken: the step succeeds though the tests failed. (step, the command whose failure is lost, why).
LOST = [
    ('echo "$(pytest tests)"', "pytest tests", "`echo`'s status is the command's"),
    ('export OUT="$(pytest tests)"', "pytest tests", "`export`'s status is the command's"),
    ("readonly OUT=$(python -m pytest tests)", "python -m pytest tests", "`readonly`'s status is the command's"),
    (
        f'run_tests() {{{NEXT}  local out=$(pytest tests){NEXT}  echo "$out"{NEXT}}}{NEXT}run_tests',
        "pytest tests",
        "`local`'s status is the command's",
    ),
    (f"out=$(pytest tests) && echo passed{NEXT}echo done", "pytest tests", "-e ignores a failure left of `&&`"),
    (f'set +e{NEXT}out=$(pytest tests){NEXT}echo "$out"', "pytest tests", "`set +e` on line 1 turns -e off"),
    ('[ -n "$(pytest tests)" ]', "pytest tests", "`[`'s status is the command's"),
    ('echo "`pytest tests`"', "pytest tests", "`echo`'s status is the command's"),
    (f'out=$(pytest tests | tee test.log){NEXT}echo "$out"', "pytest tests", "piped into `tee test.log`"),
    (f'a=$(pytest tests) b=$(date){NEXT}echo "$a"', "pytest tests", "the last substitution's status"),
    ('echo "$(uv run pytest tests)"', "uv run pytest tests", "`echo`'s status is the command's"),
    ('echo "tests: $(npm test)"', "npm test", "`echo`'s status is the command's"),
    (f"out=$(make test) && echo passed{NEXT}echo done", "make test", "-e ignores a failure left of `&&`"),
]
LOST_IDS = [
    "echo",
    "export",
    "readonly",
    "local",
    "and",
    "set+e",
    "test",
    "backquotes",
    "pipe",
    "not-last",
    "uv-run",
    "npm",
    "make-and",
]
#: Healthy twins: the step fails when the tests fail.
KEPT = [
    "out=$(pytest tests)",
    f'out=$(pytest tests){NEXT}echo "$out"',
    f'if ! out=$(pytest tests); then echo "$out"; exit 1; fi{NEXT}echo done',
    f'out=$(pytest tests) || {{ echo "$out"; exit 1; }}{NEXT}echo done',
    f'run_tests() {{{NEXT}  local out{NEXT}  out=$(pytest tests){NEXT}  echo "$out"{NEXT}}}{NEXT}run_tests',
    f'set -o pipefail{NEXT}out=$(pytest tests | tee test.log){NEXT}echo "$out"',
    f'out="$(cd tests && pytest)"{NEXT}echo "$out"',
    f'echo "$(pytest --version)"{NEXT}pytest tests',  # asks for a version: runs no test
    f"out=$(make test) || exit 1{NEXT}echo done",
]
KEPT_IDS = ["assignment", "next-line", "if", "or-exit", "local-apart", "pipefail", "cd", "version", "make-or-exit"]


def _bash_result(step: str, tmp_path: Path) -> int:
    """The exit status of ``step`` as GitHub runs a ``run:`` with no ``shell:`` (``bash -e {0}``), in a checkout with
    a ``tests`` folder, where ``pytest``, ``make``, ``npm``, ``uv`` and ``python`` all fail."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("pytest", "make", "npm", "uv", "python"):
        (bin_ / tool).write_text('#!/bin/sh\necho "$0 $*: 1 failed"\nexit 1\n', encoding="utf-8")
        (bin_ / tool).chmod(0o755)
    (tmp_path / "tests").mkdir()
    script = tmp_path / "step.sh"
    script.write_text(step.replace(NEXT, "\n") + "\n", encoding="utf-8")
    env = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-e", str(script)], cwd=tmp_path, env=env, capture_output=True, timeout=30)
    return done.returncode


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")


@needs_bash
@pytest.mark.parametrize(("step", "command", "why"), LOST, ids=LOST_IDS)
def test_bash_loses_the_failure_of_each_broken_fixture(step: str, command: str, why: str, tmp_path: Path) -> None:
    assert _bash_result(step, tmp_path) == 0


@needs_bash
@pytest.mark.parametrize("step", KEPT, ids=KEPT_IDS)
def test_bash_keeps_the_failure_of_each_healthy_twin(step: str, tmp_path: Path) -> None:
    assert _bash_result(step, tmp_path) != 0


GITHUB_DEFAULT = Shell(errexit=True, pipefail=False, label="bash -e", bash=True)


@pytest.mark.parametrize("step", KEPT, ids=KEPT_IDS)
def test_the_reader_finds_nothing_lost_in_a_healthy_twin(step: str) -> None:
    assert lost_failures(step.replace(NEXT, "\n"), GITHUB_DEFAULT) == []


@pytest.mark.parametrize(("step", "command", "why"), LOST, ids=LOST_IDS)
def test_tests_whose_status_a_substitution_loses_make_the_run_red(
    github: FakeGitHub, step: str, command: str, why: str
) -> None:
    """Run #8's guard runs its tests inside ``$(...)`` where the step's status is not theirs: red, the reason naming
    the workflow at the run's commit, the step, the line, the command and why."""
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    commit = with_test_step(github, 8, step, {})
    outcome = ask(github, sha(9))
    _not_passing_naming(
        outcome,
        "1 of the newest 3 counted guard runs",
        "run #8 (",
        f"{GUARD_PATH} at {commit[:12]}: jobs/test/steps/2/run: step 'Run make test', line ",
        f"`{command}` fails unseen: ",
        why,
        "(in the command substitution `$(",
    )
    assert outcome.status is Status.FAILED


@pytest.mark.parametrize("step", KEPT, ids=KEPT_IDS)
def test_tests_whose_status_the_step_keeps_stay_green(github: FakeGitHub, step: str) -> None:
    github.runs = [run(9, "success"), run(8, "success"), run(7, "success")]
    with_test_step(github, 8, step, {})
    outcome = ask(github, sha(9))
    assert outcome.status is Status.PASSED, outcome.reason
