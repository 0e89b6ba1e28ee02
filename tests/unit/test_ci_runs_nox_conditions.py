"""Exit check 3: a nox session's test command counts only where it runs whatever the run decides.

``lakehouse.noxconfig`` reads the noxfile with ``ast``, never runs it, so a ``session.run("pytest")`` under an ``if``
(``os.environ.get``, ``sys.platform``), in a ``for``/``while`` body, an ``except`` handler or a ``try``'s ``else``
might never run: such a session is red when it is the only test run, the reason naming the noxfile's line that holds
the condition. A ``with`` or ``try`` body, a ``finally`` block, and an ``if``/``else`` whose every branch runs tests do
run them: the healthy twins stay green.
"""

from __future__ import annotations

import pytest

from lakehouse.noxconfig import read_noxfile
from tests.fake_github import FakeGitHub, github
from tests.unit.test_ci_runs_nox import noxfile
from tests.unit.test_ci_runs_tests import ask, assert_counts_test, assert_runs_no_test, guard, run_step, serve

__all__ = ["github"]  # the fixture, imported for this module's tests

IMPORTS = "import os\nimport sys\n\nimport nox\n\n\n"


def session(body: str) -> dict[str, str]:
    """A noxfile whose session ``tests`` (its ``def`` on line 8) has ``body`` (lines from 9, indented 4)."""
    return noxfile("@nox.session\ndef tests(session):\n" + body, head=IMPORTS)


#: case -> (the tree's files, the line holding the condition, as the reason names it)
CONDITIONAL: dict[str, tuple[dict[str, str], str]] = {
    "if os.environ.get('NEVER')": (
        session('    if os.environ.get("NEVER"):\n        session.run("pytest")\n'),
        "noxfile.py:9",
    ),
    "if sys.platform, after an unconditional install": (
        session(
            '    session.install("pytest")\n    if sys.platform == "win32":\n        session.run("pytest", "-q")\n'
        ),
        "noxfile.py:10",
    ),
    "a for loop over what may be empty": (
        session('    for path in os.environ.get("SUITES", "").split():\n        session.run("pytest", path)\n'),
        "noxfile.py:9",
    ),
    "a for loop over a written list, cut short by a continue": (
        session(
            '    for path in ["a", "b"]:\n        if os.environ.get("SKIP"):\n            continue\n'
            '        session.run("pytest", path)\n'
        ),
        "noxfile.py:9",
    ),
    "a for loop over an empty list": (
        session('    for path in []:\n        session.run("pytest", path)\n'),
        "noxfile.py:9",
    ),
    "a while loop": (session('    while os.environ.get("AGAIN"):\n        session.run("pytest")\n'), "noxfile.py:9"),
    "an except handler": (
        session('    try:\n        session.install(".")\n    except Exception:\n        session.run("pytest")\n'),
        "noxfile.py:11",
    ),
    "if with elif, no else": (
        session(
            '    if os.environ.get("A"):\n        session.run("pytest", "a")\n'
            '    elif os.environ.get("B"):\n        session.run("pytest", "b")\n'
        ),
        "noxfile.py:9 `if os.environ.get('A')`, noxfile.py:11 `if os.environ.get('B')`",
    ),
    "a helper whose pytest sits under an if": (
        noxfile(
            'def _pytest(s):\n    if os.environ.get("NEVER"):\n        s.run("pytest")\n',
            "@nox.session\ndef tests(session):\n    _pytest(session)\n",
            head=IMPORTS,
        ),
        "noxfile.py:8",
    ),
    "a match without a case every value takes": (
        session('    match sys.platform:\n        case "linux":\n            session.run("pytest")\n'),
        "noxfile.py:9",
    ),
    "a with block inside an if": (
        session(
            '    if os.environ.get("CI_TESTS"):\n        with session.chdir("."):\n            session.run("pytest")\n'
        ),
        "noxfile.py:9",
    ),
}


@pytest.mark.parametrize("case", list(CONDITIONAL))
def test_a_session_whose_only_test_run_is_conditional_is_red_naming_the_condition(
    github: FakeGitHub, case: str
) -> None:
    files, line = CONDITIONAL[case]
    serve(github, guard(run_step("nox -s tests")), files)
    assert_runs_no_test(ask(github), case, (line, "only the run decides", "`pytest"))


#: case -> (the tree's files, a test command the evidence lists)
UNCONDITIONAL: dict[str, tuple[dict[str, str], str]] = {
    "a try body": (
        session('    try:\n        session.run("pytest", "-x")\n    except Exception:\n        session.error("x")\n'),
        "`pytest -x`",
    ),
    "a finally block": (
        session('    try:\n        session.install(".")\n    finally:\n        session.run("pytest", "-x")\n'),
        "`pytest -x`",
    ),
    "a with block": (session('    with session.chdir("."):\n        session.run("pytest", "-x")\n'), "`pytest -x`"),
    "if/elif/else, each branch running tests": (
        session(
            '    if sys.platform == "win32":\n        session.run("pytest", "-p", "no:xdist")\n'
            '    elif os.environ.get("FAST"):\n        session.run("pytest", "-x")\n'
            '    else:\n        session.run("pytest", "-n", "2")\n'
        ),
        "`pytest -x`",
    ),
    "a match ending in case _, each case running tests": (
        session(
            '    match sys.platform:\n        case "win32":\n            session.run("pytest", "-p", "no:xdist")\n'
            '        case _:\n            session.run("pytest", "-x")\n'
        ),
        "`pytest -x`",
    ),
    "a for loop over a written tuple": (
        session('    for path in ("tests/unit", "tests/e2e"):\n        session.run("pytest", "-x", path)\n'),
        "`pytest -x {path}`",
    ),
    "a for loop over a module-level list": (
        noxfile(
            'SUITES = ["tests/unit"]\n\n\n@nox.session\ndef tests(session):\n    for suite in SUITES:\n'
            '        session.run("pytest", "-x", suite)\n',
            head=IMPORTS,
        ),
        "`pytest -x {suite}`",
    ),
    "an unconditional run beside a conditional coverage report": (
        session(
            '    session.run("pytest", "-x")\n    if os.environ.get("COVERAGE"):\n'
            '        session.run("coverage", "report")\n'
        ),
        "`pytest -x`",
    ),
}


@pytest.mark.parametrize("case", list(UNCONDITIONAL))
def test_a_test_run_every_path_reaches_stays_green(github: FakeGitHub, case: str) -> None:
    files, test = UNCONDITIONAL[case]
    serve(github, guard(run_step("nox -s tests")), files)
    assert_counts_test(ask(github), case, test)


def test_a_conditional_run_keeps_the_line_of_each_condition() -> None:
    text = (
        IMPORTS
        + '@nox.session\ndef tests(session):\n    for p in P:\n        if p:\n            session.run("pytest")\n'
    )
    (parsed,) = read_noxfile(text).sessions
    (run,) = [s for s in parsed.steps if s.kind == "run"]
    assert [g.line for g in run.guards] == [9, 10]
    assert run.conditional
