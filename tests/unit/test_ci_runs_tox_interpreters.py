"""Exit check 3: a tox env that asks for an interpreter (``py312``, ``basepython = python3.13``) counts only where
the job sets that Python up, unless missing interpreters fail tox.

With ``skip_missing_interpreters`` on (``[tox]``, ``--skip-missing-interpreters``, or tox 4's default, true) tox skips
an env whose interpreter it cannot find and exits 0: ``tox -e py312`` in a job whose ``actions/setup-python`` installs
3.11 runs no test. Such an env is red, the reason naming the env, what it asks for, what the job sets up and the
setting. Where only the run knows the job's Pythons (an expression, ``python-version-file``), ``error``. Healthy
twins: the job sets the interpreter up (a list, a matrix), missing interpreters fail tox, or the env asks for none
(this repository's own ``tox.ini``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config import project_root
from lakehouse.outcome import Status
from lakehouse.toxconfig import interpreter_version
from lakehouse.workflows import job_pythons, load_yaml
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_tests import HEADER, ask, assert_counts_test, assert_runs_no_test, run_step, serve

__all__ = ["github"]  # the fixture, imported for this module's tests

SKIP = "[tox]\nskip_missing_interpreters = true\n\n"
PYTEST = "[testenv]\ncommands = pytest tests\n"


def setup_python(version: str) -> str:
    return f"      - uses: actions/setup-python@v5\n        with:\n          python-version: {version}\n"


def workflow(*steps: str, matrix: str = "") -> str:
    """guard.yml whose one job (with ``matrix`` as its strategy's, when given) runs ``steps`` after checkout."""
    head = HEADER
    if matrix:
        head = head.replace("    runs-on:", f"    strategy:\n      matrix:\n        {matrix}\n    runs-on:")
    return head + "".join(steps)


#: case -> (the workflow, the tree's files, parts of the reason)
SKIPPED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "py312 where the job sets up 3.11, skip_missing_interpreters = true": (
        workflow(setup_python('"3.11"'), run_step("tox -e py312")),
        {"tox.ini": SKIP + PYTEST},
        ("asks for py312", "sets up only 3.11", "skip_missing_interpreters = true (line 2)", "runs no test"),
    ),
    "--skip-missing-interpreters, no setup-python": (
        workflow(run_step("tox -e py311 --skip-missing-interpreters")),
        {"tox.ini": PYTEST},
        ("sets up no Python", "`--skip-missing-interpreters true`"),
    ),
    "tox 4's default, no setup-python": (
        workflow(run_step("tox -e py310")),
        {"tox.ini": PYTEST},
        ("asks for py310", "tox 4's default skip_missing_interpreters = true"),
    ),
    "basepython = python3.13 where the job sets up 3.12": (
        workflow(setup_python("3.12"), run_step("tox -e unit")),
        {"tox.ini": SKIP + "[testenv:unit]\nbasepython = python3.13\ncommands = pytest\n"},
        ("asks for python3.13 (basepython, line 5)",),
    ),
    "a matrix of 3.11 and 3.12, tox -e py313": (
        workflow(setup_python("${{ matrix.python }}"), run_step("tox -e py313"), matrix='python: ["3.11", "3.12"]'),
        {"tox.ini": SKIP + PYTEST},
        ("sets up only 3.11, 3.12",),
    ),
    "the envlist's envs, none set up": (
        workflow(setup_python("'3.10'"), run_step("tox")),
        {"tox.ini": "[tox]\nenvlist = py{311,312}\n\n" + PYTEST},
        ("env py311", "env py312"),
    ),
}


@pytest.mark.parametrize("case", list(SKIPPED))
def test_an_env_tox_may_skip_runs_no_test(github: FakeGitHub, case: str) -> None:
    document, files, shown = SKIPPED[case]
    serve(github, document, files)
    assert_runs_no_test(ask(github), case, shown)


@pytest.mark.parametrize(
    "setup",
    [
        setup_python("${{ inputs.python }}"),
        "      - uses: actions/setup-python@v5\n        with:\n          python-version-file: .python-version\n",
    ],
    ids=["an expression", "python-version-file"],
)
def test_a_job_whose_pythons_only_the_run_knows_is_an_error(github: FakeGitHub, setup: str) -> None:
    serve(github, workflow(setup, run_step("tox -e py312")), {"tox.ini": SKIP + PYTEST})
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (outcome.status, outcome.reason)
    assert "runs env py312, which asks for py312" in str(outcome.reason), outcome.reason


def _own(name: str) -> str:
    return (Path(project_root()) / name).read_text(encoding="utf-8")


#: case -> (the workflow, the tree's files, a test command the evidence lists)
HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "py312 where the job sets up 3.12.4": (
        workflow(setup_python("3.12.4"), run_step("tox -e py312")),
        {"tox.ini": SKIP + PYTEST},
        "`pytest tests`",
    ),
    "a matrix cell sets the env's Python up": (
        workflow(setup_python("${{ matrix.py }}"), run_step("tox -e py312"), matrix='py: ["3.11", "3.12"]'),
        {"tox.ini": SKIP + PYTEST},
        "`pytest tests`",
    ),
    "--skip-missing-interpreters false: a missing Python fails tox": (
        workflow(run_step("tox -e py311 --skip-missing-interpreters false")),
        {"tox.ini": SKIP + PYTEST},
        "`pytest tests`",
    ),
    "skip_missing_interpreters = false": (
        workflow(run_step("tox -e py311")),
        {"tox.ini": "[tox]\nskip_missing_interpreters = false\n\n" + PYTEST},
        "`pytest tests`",
    ),
    "this repository's own tox.ini: tox -e test asks for no interpreter": (
        workflow(run_step("tox -e test")),
        {"tox.ini": _own("tox.ini"), "scripts/ensure-chromium": _own("scripts/ensure-chromium")},
        "`pytest tests/ -n 2 --dist loadgroup`",
    ),
    "this repository's own tox.ini: its envlist": (
        workflow(setup_python('"3.11"'), run_step("tox")),
        {"tox.ini": _own("tox.ini"), "scripts/ensure-chromium": _own("scripts/ensure-chromium")},
        "`pytest tests/ -n 2 --dist loadgroup`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_an_env_whose_python_is_there_counts(github: FakeGitHub, case: str) -> None:
    document, files, test = HEALTHY[case]
    serve(github, document, files)
    assert_counts_test(ask(github), case, test)


def test_the_job_pythons_and_the_env_interpreters_are_read() -> None:
    document = load_yaml(
        workflow(setup_python("|\n            3.11\n            pypy3.10"), run_step("tox"), matrix='x: ["a"]')
    )
    assert job_pythons(document, "jobs/test/steps/2") == ("3.11", "pypy3.10")
    assert job_pythons(document, "jobs/test/steps/1") == ()  # before setup-python: none yet
    local = load_yaml(workflow("      - uses: ./.github/actions/common\n", run_step("tox")))
    assert job_pythons(local, "jobs/test/steps/2") is None  # a local action may set one up
    assert [interpreter_version(s) for s in ("py311", "py3.12", "python3.13", "pypy310", "py", "py3", "lint")] == [
        "3.11",
        "3.12",
        "3.13",
        "pypy3.10",
        "",
        "",
        "",
    ]
