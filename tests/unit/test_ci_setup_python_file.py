"""Exit check 3: an ``actions/setup-python`` step's ``python-version-file`` is read from the run's commit
(``lakehouse.setuppython.version_file_pythons``) where every setup-python release reads it the same.

On main any ``python-version-file`` was "only the run knows": a tox env or nox session that may be skipped for a
missing Python made a green run ``error`` even when ``.python-version`` says ``3.12`` and the env is ``py312``, and
made it ``error`` too when the file says ``3.11`` (nothing runs the env's tests). Now a one-line ``.python-version``
gives its version (green for py312, red for a 3.12 session after 3.11); a file the commit does not hold fails the
setup step, and a file releases read differently (several lines, ``pyproject.toml``, ``.tool-versions``) stays
``error``, each naming the file and why.
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from lakehouse.setuppython import version_file_pythons
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_nox import noxfile
from tests.unit.test_ci_runs_tests import ask, assert_runs_no_test, run_step, serve
from tests.unit.test_ci_runs_tox_interpreters import PYTEST, SKIP, workflow

__all__ = ["github"]  # the fixture, imported for this module's tests

TOX = {"tox.ini": SKIP + PYTEST}
NOX = noxfile('@nox.session(python=["3.12"])\ndef tests(session):\n    session.run("pytest")\n')
NOX_SKIPS = "nox -s tests --no-error-on-missing-interpreters"


def from_file(path: str) -> str:
    return f"      - uses: actions/setup-python@v5\n        with:\n          python-version-file: {path}\n"


def test_a_one_line_python_version_gives_py312_its_python(github: FakeGitHub) -> None:
    """main: error ("whether the job sets up that Python only the run knows")."""
    serve(
        github, workflow(from_file(".python-version"), run_step("tox -e py312")), {**TOX, ".python-version": "3.12\n"}
    )
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert any("`pytest tests`" in t for t in outcome.details["github"]["workflow_files"]["run #9"]["tests"])


def test_a_one_line_python_version_gives_a_nox_session_its_python(github: FakeGitHub) -> None:
    serve(github, workflow(from_file("./.python-version"), run_step(NOX_SKIPS)), {**NOX, ".python-version": "3.12"})
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason


@pytest.mark.parametrize(
    ("run", "files", "shown"),
    [
        ("tox -e py312", TOX, ("asks for py312", "sets up only 3.11")),
        (NOX_SKIPS, NOX, ("session tests runs with Python 3.12", "sets up only 3.11")),
    ],
)
def test_a_python_version_of_another_python_runs_no_test(
    github: FakeGitHub, run: str, files: dict[str, str], shown: tuple[str, ...]
) -> None:
    """main: error; the file says 3.11, so tox and nox skip the 3.12 env and exit 0: nothing tested (red)."""
    serve(github, workflow(from_file(".python-version"), run_step(run)), {**files, ".python-version": "3.11\n"})
    assert_runs_no_test(ask(github), run, shown)


#: case -> (the step's python-version-file, the tree's extra files, a part of the reason)
UNSETTLED: dict[str, tuple[str, dict[str, str], str]] = {
    "a missing file": (
        ".python-version",
        {},
        "python-version-file `.python-version` is not in the commit: setup-python fails there",
    ),
    "several lines": (".python-version", {".python-version": "3.12\n3.11\n"}, "is not one version on one line"),
    "a comment": (".python-version", {".python-version": "# ours\n3.12\n"}, "is not one version on one line"),
    "a pyenv-virtualenv pointer": (".python-version", {".python-version": "3.12/envs/x\n"}, "not one version"),
    "pyproject.toml": (
        "pyproject.toml",
        {"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.12"\n'},
        "`pyproject.toml` is a pyproject.toml: setup-python releases read it differently",
    ),
    ".tool-versions": (".tool-versions", {".tool-versions": "python 3.12.4\n"}, "is a .tool-versions"),
    "an expression": ("${{ env.FILE }}", {".python-version": "3.12\n"}, "a file only the run places"),
}


@pytest.mark.parametrize("case", list(UNSETTLED))
def test_a_version_file_releases_read_differently_is_an_error(github: FakeGitHub, case: str) -> None:
    named, extra, part = UNSETTLED[case]
    serve(github, workflow(from_file(named), run_step("tox -e py312")), {**TOX, **extra})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (case, outcome.status, outcome.reason)
    assert part in str(outcome.reason), outcome.reason
    assert "jobs/test/steps/1 (actions/setup-python@v5): its python-version-file" in str(outcome.reason), outcome.reason


@pytest.mark.parametrize(
    ("text", "versions"),
    [("3.12\n", ("3.12",)), ("  3.12.4  \r\n\n", ("3.12.4",)), ("pypy3.10\n", ("pypy3.10",)), ("3.12\n3.11", None)],
)
def test_version_file_pythons_reads_one_line_only(text: str, versions: tuple[str, ...] | None) -> None:
    assert version_file_pythons(".python-version", text)[0] == versions
