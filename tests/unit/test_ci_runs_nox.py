"""Exit check 3: ``nox`` and ``nox -s NAME`` count for what the commit's ``noxfile.py`` sessions run
(``lakehouse.noxconfig``: read with ``ast``, never run), not by the name ``nox``.

A session that only installs, runs ``echo``, ``session.skip()``s before its tests, or runs pytest with
``success_codes=[0, 1]`` (nox takes "tests failed" as success) is a green nox over failing tests: red, the reason naming
the noxfile (and the line, for a lost failure). A noxfile that is not Python, or what only the run decides (a
conditional skip, the session handed to another module's code, ``-k``), is ``error`` naming file and line. The healthy
twins stay green with the command the session runs among the ``tests`` evidence.
"""

from __future__ import annotations

import pytest

from lakehouse.noxconfig import nox_call, read_noxfile
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
from tests.unit.test_ci_runs_tox_interpreters import setup_python, workflow

__all__ = ["github"]  # the fixture, imported for this module's tests

HEAD = "import nox\n\n\n"


def noxfile(*sessions: str, head: str = HEAD) -> dict[str, str]:
    return {"noxfile.py": head + "\n\n".join(sessions)}


TESTS_SESSION = '@nox.session\ndef tests(session):\n    session.install("pytest")\n    session.run("pytest", "-q")\n'

#: case -> (the step's command, the tree's files, parts of the reason)
NO_TEST: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "a session that only installs": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.install("-e", ".")\n'),
        ("`nox -s tests`",),
    ),
    "a session that only echoes": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.run("echo", "pytest", external=True)\n'),
        ("`echo pytest`",),
    ),
    "a session running true, external": (
        "nox --session tests",
        noxfile('@nox.session(python=False)\ndef tests(session):\n    session.run("true", external=True)\n'),
        ("`true`",),
    ),
    "session.skip() before the tests": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.skip("later")\n    session.run("pytest")\n'),
        ("noxfile.py:6 `session.skip()` ends the session: what follows runs no test",),
    ),
    "nox without -s runs nox.options.sessions, which lint only": (
        "nox",
        noxfile(
            TESTS_SESSION,
            '@nox.session\ndef lint(session):\n    session.run("echo", "lint")\n',
            head='import nox\n\nnox.options.sessions = ["lint"]\n\n',
        ),
        ("`echo lint`",),
    ),
    "nox without -s: the pytest session is default=False": (
        "nox",
        noxfile(
            '@nox.session(default=False)\ndef tests(session):\n    session.run("pytest")\n',
            '@nox.session\ndef docs(session):\n    session.run("python", "-V")\n',
        ),
        ("`python -V`",),
    ),
    "nox -s naming a session the noxfile lacks": (
        "nox -s test",
        noxfile(TESTS_SESSION),
        ("no session `test`",),
    ),
    "no noxfile in the tree": ("nox -s tests", {}, ("no noxfile.py in the tree",)),
    "the pytest run sits in a function no session calls": (
        "nox -s tests",
        noxfile(
            'def _unused(session):\n    session.run("pytest")\n',
            '@nox.session\ndef tests(session):\n    session.install(".")\n',
        ),
        ("`nox -s tests`",),
    ),
    "name= renames the session running tests; -s names the function": (
        "nox -s unit",
        noxfile(
            '@nox.session(name="tests")\ndef unit(session):\n    session.run("pytest")\n',
            '@nox.session(name="unit")\ndef smoke(session):\n    session.run("echo", "ok")\n',
        ),
        ("`echo ok`",),
    ),
    "nox --install-only runs no session.run": ("nox -s tests --install-only", noxfile(TESTS_SESSION), ()),
}


@pytest.mark.parametrize("case", list(NO_TEST))
def test_a_noxfile_that_runs_no_test_is_red(github: FakeGitHub, case: str) -> None:
    command, files, shown = NO_TEST[case]
    serve(github, guard(run_step(command)), files)
    assert_runs_no_test(ask(github), case, shown)


MASKED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "success_codes=[0, 1]": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.run("pytest", success_codes=[0, 1])\n'),
        ("noxfile.py:6", "`pytest`", "success_codes=[0, 1]"),
    ),
    "success_codes=range(0, 6) in a helper the session calls": (
        "nox",
        noxfile(
            'def _pytest(s):\n    s.run("pytest", "tests", success_codes=range(0, 6))\n',
            "@nox.session\ndef tests(session):\n    _pytest(session)\n",
        ),
        ("noxfile.py:5", "exit 1, 2, 3, 4, 5"),
    ),
    "a shell string that masks": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.run("bash", "-c", "pytest || true", external=True)\n'),
        ("noxfile.py:6", "`pytest || true`"),
    ),
}


@pytest.mark.parametrize("case", list(MASKED))
def test_a_session_that_loses_the_tests_failure_is_red_naming_file_and_line(github: FakeGitHub, case: str) -> None:
    command, files, shown = MASKED[case]
    serve(github, guard(run_step(command)), files)
    assert_red_naming(ask(github), case, shown)


#: case -> (the step's command, the tree's files, a part of the reason)
CANNOT_TELL: dict[str, tuple[str, dict[str, str], str]] = {
    "a noxfile that is not Python": (
        "nox -s tests",
        {"noxfile.py": "import nox\n\n@nox.session\ndef tests(session)\n    session.run('pytest')\n"},
        "noxfile.py, line 4",
    ),
    "a skip under a condition the run decides": (
        "nox -s tests",
        noxfile(
            '@nox.session\ndef tests(session):\n    if sys.platform == "linux":\n'
            '        session.skip("not here")\n    session.run("pytest")\n',
            head="import sys\n\nimport nox\n\n",
        ),
        "noxfile.py:8 `session.skip()` under a condition",
    ),
    "the session handed to another module's code": (
        "nox -s tests",
        noxfile(
            "@nox.session\ndef tests(session):\n    helpers.run_tests(session)\n", head="import helpers\nimport nox\n"
        ),
        "noxfile.py:5 `helpers.run_tests(session)`",
    ),
    "nox -k": ("nox -k 'not lint'", noxfile(TESTS_SESSION), "`-k not lint`"),
    "a program only the run names": (
        "nox -s tests",
        noxfile("@nox.session\ndef tests(session):\n    session.run(*session.posargs)\n"),
        "noxfile.py:6 `session.run(*session.posargs)`: a program only the run names",
    ),
}


@pytest.mark.parametrize("case", list(CANNOT_TELL))
def test_what_only_the_run_decides_is_an_error_naming_file_and_line(github: FakeGitHub, case: str) -> None:
    command, files, part = CANNOT_TELL[case]
    serve(github, guard(run_step(command)), files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (case, outcome.status, outcome.reason)
    assert part in str(outcome.reason), outcome.reason


#: case -> (the step's command, the tree's files, a test command the evidence lists, as the session runs it)
HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "nox -s tests": ("nox -s tests", noxfile(TESTS_SESSION), "`pytest -q`"),
    "nox: every default session": ("pip install nox && nox", noxfile(TESTS_SESSION), "`pytest -q`"),
    "python -m nox -s tests-3.12, posargs starred": (
        "python -m nox -s tests-3.12",
        noxfile(
            '@nox.session(python=["3.11", "3.12"])\ndef tests(session):\n'
            '    session.install(".[test]")\n    session.run("pytest", *session.posargs)\n'
        ),
        "`pytest`",
    ),
    "nox.options.sessions naming the tests": (
        "nox",
        noxfile(TESTS_SESSION, head='import nox\n\nnox.options.sessions = ["tests"]\n\n'),
        "`pytest -q`",
    ),
    "name= and parametrize": (
        "nox -s \"unit(django='4.2')\"",
        noxfile(
            '@nox.session(name="unit")\n@nox.parametrize("django", ["4.2", "5.0"])\n'
            'def tests(session, django):\n    session.install(f"django=={django}")\n'
            '    session.run("python", "-m", "pytest", "-x")\n'
        ),
        "`python -m pytest -x`",
    ),
    "a helper the session passes itself to, with module-level args": (
        "nox -s tests",
        noxfile(
            'ARGS = ["-n", "2", "tests"]\n\n\ndef _run(s):\n    s.run("pytest", *ARGS)\n',
            "@nox.session\ndef tests(session):\n    _run(session)\n",
        ),
        "`pytest -n 2 tests`",
    ),
    "session.notify queues the session that tests": (
        "nox -s build",
        noxfile(
            TESTS_SESSION,
            '@nox.session\ndef build(session):\n    session.run("python", "-m", "build")\n'
            '    session.notify("tests")\n',
        ),
        "`pytest -q`",
    ),
    "a script of the tree, from the noxfile's folder": (
        "nox -f ci/noxfile.py -s tests",
        {
            "ci/noxfile.py": HEAD
            + '@nox.session\ndef tests(session):\n    session.run("bash", "run.sh", external=True)\n',
            "ci/run.sh": "set -e\npytest tests\n",
        },
        "`pytest tests`",
    ),
    "a conditional branch choosing the arguments": (
        "nox -s tests",
        noxfile(
            "@nox.session\ndef tests(session):\n    if session.posargs:\n"
            '        session.run("pytest", *session.posargs)\n    else:\n        session.run("pytest", "tests")\n'
        ),
        "`pytest tests`",
    ),
    "with session.chdir: a script of that folder": (
        "nox -s tests",
        {
            "noxfile.py": HEAD + '@nox.session\ndef tests(session):\n    with session.chdir("ci"):\n'
            '        session.run("./run.sh", external=True)\n',
            "ci/run.sh": "#!/bin/sh -e\npytest -x\n",
        },
        "`pytest -x`",
    ),
    "success_codes=[0]": (
        "nox -s tests",
        noxfile('@nox.session\ndef tests(session):\n    session.run("pytest", success_codes=[0])\n'),
        "`pytest`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_noxfile_that_runs_its_tests_stays_green(github: FakeGitHub, case: str) -> None:
    command, files, test = HEALTHY[case]
    serve(github, guard(run_step(command)), files)
    assert_counts_test(ask(github), case, test)


def test_the_call_and_the_sessions_are_read_as_nox_reads_them() -> None:
    call = nox_call(["nox", "-s", "lint", "tests", "-f", "ci/noxfile.py", "--", "-x"])
    assert call is not None and call.sessions == ("lint", "tests") and call.noxfile == "ci/noxfile.py"
    assert nox_call(["nox", "--sessions=a,b"]) == nox_call(["nox", "-e", "a", "b"])
    assert nox_call(["noxious"]) is None
    parsed = read_noxfile(HEAD + TESTS_SESSION)
    (session,) = parsed.sessions
    assert (session.name, session.line) == ("tests", 5)
    assert [s.words for s in session.steps if s.kind == "run"] == [("pytest", "-q")]


#: case -> (the workflow, the tree's files, what the evidence or reason says): a session whose Pythons the job does
#: not set up, where missing interpreters are told not to fail nox (its default in CI fails them).
MISSING_PYTHON = noxfile('@nox.session(python=["3.12"])\ndef tests(session):\n    session.run("pytest")\n')


@pytest.mark.parametrize(
    ("document", "files", "said"),
    [
        (
            workflow(setup_python('"3.11"'), run_step("nox -s tests --no-error-on-missing-interpreters")),
            MISSING_PYTHON,
            "session tests runs with Python 3.12, the job sets up only 3.11, and `--no-error-on-missing-interpreters`",
        ),
        (
            workflow(run_step("nox -s tests-3.13")),
            noxfile(
                '@nox.session(python=["3.12", "3.13"])\ndef tests(session):\n    session.run("pytest")\n',
                head="import nox\n\nnox.options.error_on_missing_interpreters = False\n\n",
            ),
            "noxfile.py:3 `nox.options.error_on_missing_interpreters = False`",
        ),
    ],
    ids=["--no-error-on-missing-interpreters", "nox.options.error_on_missing_interpreters = False"],
)
def test_a_session_nox_may_skip_for_a_missing_python_runs_no_test(
    github: FakeGitHub, document: str, files: dict[str, str], said: str
) -> None:
    serve(github, document, files)
    outcome = ask(github)
    assert outcome.status is Status.FAILED, (outcome.status, outcome.reason)
    assert said in str(outcome.reason), outcome.reason
    assert outcome.details["github"]["workflow_files"]["run #9"]["tests"] == []


@pytest.mark.parametrize(
    "document",
    [
        workflow(
            setup_python("${{ matrix.py }}"),
            run_step("nox -s tests-3.12 --no-error-on-missing-interpreters"),
            matrix='py: ["3.11", "3.12"]',
        ),
        workflow(run_step("nox -s tests")),  # missing interpreters fail nox in CI by default
    ],
    ids=["the job sets the session's Python up", "missing interpreters fail nox"],
)
def test_a_session_whose_python_is_there_or_fails_nox_counts(github: FakeGitHub, document: str) -> None:
    serve(github, document, MISSING_PYTHON)
    outcome = ask(github)
    assert outcome.status is Status.PASSED, outcome.reason
    assert any("`pytest`" in t for t in outcome.details["github"]["workflow_files"]["run #9"]["tests"])
