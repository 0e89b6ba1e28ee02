"""Exit check 3: a tox env or nox session tox/nox may skip for a missing Python counts only where the job's
``actions/setup-python`` ``python-version`` surely gives that Python (``lakehouse.setuppython``).

setup-python reads ``python-version`` as a node-semver range and installs the newest match its runner's tool cache
holds: ``3.x``, ``3``, ``>=3.10`` may or may not be the 3.12 an env asks for, which only the run knows (``error``,
the reason naming the range and why; it was red, as if ``3.x`` matched nothing). A range that excludes the version
(``>=3.10`` for py39) is red; one that admits only that minor (``3.12.x``, ``~3.12``) is green. A nox session told
not to fail on a missing interpreter, where the job's Python comes from a ``python-version-file`` setup-python
releases read differently, was counted (a pass of what only the run knows): ``error`` now
(tests/unit/test_ci_setup_python_file.py: the files every release reads the same).
"""

from __future__ import annotations

import pytest

from lakehouse.outcome import Status
from lakehouse.setuppython import setup_gives
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_nox import noxfile
from tests.unit.test_ci_runs_tests import ask, assert_runs_no_test, run_step, serve
from tests.unit.test_ci_runs_tox_interpreters import PYTEST, SKIP, setup_python, workflow

__all__ = ["github"]  # the fixture, imported for this module's tests

TOX = {"tox.ini": SKIP + PYTEST}
NOX = noxfile('@nox.session(python=["3.12"])\ndef tests(session):\n    session.run("pytest")\n')
VERSION_FILE = "      - uses: actions/setup-python@v5\n        with:\n          python-version-file: .python-version\n"

#: case -> (the workflow, the tree's files, a part of the reason)
ONLY_THE_RUN_KNOWS: dict[str, tuple[str, dict[str, str], str]] = {
    "tox -e py312 after 3.x": (
        workflow(setup_python('"3.x"'), run_step("tox -e py312")),
        TOX,
        "`3.x` is a range: setup-python installs the newest version of it the runner's tool cache holds",
    ),
    "tox -e py312 after >=3.10": (
        workflow(setup_python('">=3.10"'), run_step("tox -e py312")),
        TOX,
        "`>=3.10` is a range",
    ),
    "tox -e py312 after 3": (workflow(setup_python("3"), run_step("tox -e py312")), TOX, "`3` is a range"),
    "nox with --no-error-on-missing-interpreters after 3.x": (
        workflow(setup_python('"3.x"'), run_step("nox -s tests --no-error-on-missing-interpreters")),
        NOX,
        "session tests with Python 3.12 and `--no-error-on-missing-interpreters`: `3.x` is a range",
    ),
    "nox with --no-error-on-missing-interpreters after python-version-file": (
        workflow(VERSION_FILE, run_step("nox -s tests --no-error-on-missing-interpreters")),
        {**NOX, ".python-version": "3.11\n3.12\n"},
        "its python-version-file `.python-version` is not one version on one line",
    ),
}


@pytest.mark.parametrize("case", list(ONLY_THE_RUN_KNOWS))
def test_a_python_version_only_the_run_resolves_is_an_error(github: FakeGitHub, case: str) -> None:
    document, files, part = ONLY_THE_RUN_KNOWS[case]
    serve(github, document, files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (case, outcome.status, outcome.reason)
    assert part in str(outcome.reason), outcome.reason


def test_a_range_that_excludes_the_envs_python_runs_no_test() -> None:
    assert setup_gives("3.9", ">=3.10") == (False, "`>=3.10` admits no 3.9")


def test_tox_py39_after_a_range_excluding_it_is_red(github: FakeGitHub) -> None:
    serve(github, workflow(setup_python('">=3.10"'), run_step("tox -e py39")), TOX)
    assert_runs_no_test(ask(github), "py39 after >=3.10", ("asks for py39", "sets up only >=3.10"))


#: case -> the workflow (tox -e py312 after it)
GIVES_IT: dict[str, str] = {
    "3.12.x": workflow(setup_python('"3.12.x"'), run_step("tox -e py312")),
    "~3.12": workflow(setup_python('"~3.12"'), run_step("tox -e py312")),
    ">=3.12 <3.13": workflow(setup_python('">=3.12 <3.13"'), run_step("tox -e py312")),
    "3.12-dev": workflow(setup_python('"3.12-dev"'), run_step("tox -e py312")),
    "a list with 3.x and 3.12": workflow(setup_python('["3.x", "3.12"]'), run_step("tox -e py312")),
}


@pytest.mark.parametrize("case", list(GIVES_IT))
def test_a_python_version_that_surely_gives_the_envs_python_counts(github: FakeGitHub, case: str) -> None:
    serve(github, GIVES_IT[case], TOX)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, (case, outcome.reason)
    assert any("`pytest tests`" in t for t in outcome.details["github"]["workflow_files"]["run #9"]["tests"])


@pytest.mark.parametrize(
    ("version", "spec", "gives"),
    [
        ("3.12", "3.12", True),
        ("3.12", "3.12.4", True),
        ("3.13", "3.13.0-alpha.1", True),
        ("3.12", "3.1", False),  # YAML's 3.10 unquoted is 3.1
        ("3.12", "3.x", None),
        ("3.12", "3", None),
        ("3.12", "^3.10", None),
        ("3.12", ">=3.13", False),
        ("3.12", "<=3.12", None),
        ("3.12", ">3.12", False),
        ("3.11", "3.11 - 3.11", True),
        ("3.12", "3.10 - 3.11", False),
        ("3.12", "<3.12 || 3.12", True),
        ("3.12", "<3.12 || 3.14", False),
        ("pypy3.10", "pypy-3.10-v7.3.x", True),
        ("pypy3.10", "pypy3.9", False),
        ("3.12", "pypy3.12", False),
        ("3.12", "latest", None),
    ],
)
def test_setup_gives_reads_node_semver_as_setup_python_does(version: str, spec: str, gives: bool | None) -> None:
    assert setup_gives(version, spec)[0] is gives
