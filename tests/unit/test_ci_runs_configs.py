"""Exit check 3: ``npm test``, ``yarn test``, ``npm run test:unit``, ``tox``, ``tox -e X`` run what the repository's
``package.json`` / ``tox.ini`` say, read at the run's commit (``lakehouse.packagescripts``, ``lakehouse.toxconfig``).

npm's default ``"test": "echo \\"Error: no test specified\\""`` exits 0 and runs no test; ``"test": "jest || true"``
loses the tests' failure; a tox env whose command is ``- pytest`` (tox ignores its exit code) or that has
``ignore_outcome = true`` turns failing tests into a green tox. Each is red, the reason naming the file and line; a
config that cannot be parsed is ``error`` naming its file and line; the healthy twins stay green with the command the
config runs among the ``tests`` evidence.
"""

from __future__ import annotations

import json
import re

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


def package(**scripts: str) -> str:
    """A package.json with these scripts, one key a line (as npm writes it)."""
    return json.dumps({"name": "app", "version": "1.0.0", "scripts": scripts}, indent=2) + "\n"


NO_TEST_SPECIFIED = 'echo "Error: no test specified"'
#: The job's Pythons: a tox env named for an interpreter (py311) counts only where the job sets it up (tox 4 skips
#: an env whose interpreter is missing by default: tests/unit/test_ci_runs_tox_interpreters.py).
SETUP_PYTHONS = (
    "      - uses: actions/setup-python@v5\n        with:\n"
    "          python-version: |\n            3.11\n            3.12\n"
)
TOX_HEADER = "[tox]\nenvlist = py\n\n"

#: case -> (the step's command, the tree's files, parts of the reason)
NO_TEST: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "npm test: npm's default test script, which exits 0": (
        "npm ci && npm test",
        {"package.json": package(test=NO_TEST_SPECIFIED)},
        ("`npm test`", "`echo Error: no test specified`"),
    ),
    "npm test: no test script at all": ("npm test", {"package.json": package(build="tsc")}, ("`npm test`",)),
    "npm test: no package.json in the tree": ("npm test", {}, ("`npm test`",)),
    "npm run test:unit whose script is `exit 0`": (
        "npm run test:unit",
        {"package.json": package(**{"test:unit": "exit 0", "test": "jest"})},
        ("`npm run test:unit`", "`exit 0`"),
    ),
    "yarn test echoing": ("yarn test", {"package.json": package(test="echo skipped")}, ("`yarn test`",)),
    "tox: commands only echo and print the version": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\ncommands =\n    python --version\n    echo done\n"},
        ("`tox`", "`python --version`", "`echo done`"),
    ),
    "tox -e lint naming an env that runs no test": (
        "tox -e lint",
        {"tox.ini": TOX_HEADER + "[testenv]\ncommands = pytest\n\n[testenv:lint]\ncommands = echo linting\n"},
        ("`tox -e lint`", "`echo linting`"),
    ),
    "tox: the envlist's env runs no test": (
        "tox",
        {"tox.ini": "[tox]\nenvlist = docs\n\n[testenv]\ncommands = pytest\n\n[testenv:docs]\ncommands = true\n"},
        ("`tox`", "`true`"),
    ),
    "tox: no tox.ini in the tree": ("tox -e py", {}, ("`tox -e py`",)),
    "tox -e py311: the pytest line is for another factor": (
        "tox -e py311",
        {"tox.ini": "[testenv]\ncommands =\n    py312: pytest\n    !py311: pytest\n    python -V\n"},
        ("`tox -e py311`", "`python -V`"),
    ),
    "TOXENV naming an env that runs no test": (
        "TOXENV=docs tox",
        {"tox.ini": TOX_HEADER + "[testenv]\ncommands = pytest\n\n[testenv:docs]\ncommands = echo docs\n"},
        ("`tox`", "`echo docs`"),
    ),
    "npm test whose test script only runs another that echoes": (
        "npm test",
        {"package.json": package(test="npm run unit", unit="echo no tests yet")},
        ("`npm run unit`", "`echo no tests yet`"),
    ),
    "npm test whose script runs itself": ("npm test", {"package.json": package(test="npm test")}, ("`npm test`",)),
    "tox exec running a version": (
        "tox exec -e py -- python -V",
        {"tox.ini": "[testenv]\ncommands = pytest\n"},
        ("`python -V`",),
    ),
    "npm test --if-present without a test script": (
        "npm test --if-present",
        {"package.json": package(build="tsc")},
        ("`npm test --if-present`",),
    ),
}


@pytest.mark.parametrize("case", list(NO_TEST))
def test_a_config_that_runs_no_test_is_red(github: FakeGitHub, case: str) -> None:
    command, files, shown = NO_TEST[case]
    serve(github, guard(SETUP_PYTHONS, run_step(command)), files)
    assert_runs_no_test(ask(github), case, shown)


#: case -> (the step's command, the tree's files, parts of the reason: the file and line, what is lost)
MASKED: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "npm test: `jest || true`": (
        "npm test",
        {"package.json": package(test="jest || true")},
        ("package.json:5", "`jest || true`"),
    ),
    "npm run test:unit: `pytest; exit 0`": (
        "npm run test:unit",
        {"package.json": package(build="tsc", **{"test:unit": "pytest; exit 0"})},
        ("package.json:6", "`pytest`"),
    ),
    "yarn test: `jest | tee log`": ("yarn test", {"package.json": package(test="jest | tee log")}, ("package.json:5",)),
    "tox: `- pytest` (tox ignores its exit code)": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\ndeps = pytest\ncommands =\n    - pytest tests\n"},
        ("tox.ini:7", "`- pytest tests`", "ignores its exit code"),
    ),
    "tox -e unit: ignore_outcome = true": (
        "tox -e unit",
        {"tox.ini": TOX_HEADER + "[testenv:unit]\nignore_outcome = true\ncommands = pytest\n"},
        ("tox.ini:5", "ignore_outcome"),
    ),
    "tox: ignore_outcome inherited from [testenv]": (
        "tox -e unit",
        {"tox.ini": TOX_HEADER + "[testenv]\nignore_outcome = True\n\n[testenv:unit]\ncommands = pytest\n"},
        ("tox.ini:5", "ignore_outcome"),
    ),
    "tox -e py311,lint: the second env masks": (
        "tox -e py311,lint",
        {"tox.ini": "[testenv]\ncommands = pytest\n\n[testenv:lint]\ncommands =\n    -ruff check .\n"},
        ("tox.ini:6", "`- ruff check .`", "[testenv:lint]"),
    ),
    "npm test running npm run unit whose script masks": (
        "npm test",
        {"package.json": package(test="npm run lint && npm run unit", lint="eslint .", unit="jest; true")},
        ("package.json:7", "`jest`"),
    ),
    "tox: a command string that masks": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\nallowlist_externals = bash\ncommands = bash -c 'pytest || true'\n"},
        ("tox.ini:6", "`pytest || true`"),
    ),
}


@pytest.mark.parametrize("case", list(MASKED))
def test_a_config_that_loses_the_tests_failure_is_red_naming_file_and_line(github: FakeGitHub, case: str) -> None:
    command, files, shown = MASKED[case]
    serve(github, guard(run_step(command)), files)
    assert_red_naming(ask(github), case, shown)


UNREADABLE: dict[str, tuple[str, dict[str, str], tuple[str, ...]]] = {
    "package.json not JSON": ("npm test", {"package.json": '{\n  "scripts": {\n    "test": "jest",\n  }\n}\n'}, ()),
    "tox.ini not INI": ("tox", {"tox.ini": "[tox]\nenvlist = py\n[testenv]\ncommands = pytest\nnot a setting\n"}, ()),
    "tox.ini with a section twice": ("tox", {"tox.ini": "[testenv]\ncommands = pytest\n[testenv]\ncommands = x\n"}, ()),
    "tox.ini with an unclosed quote": ("tox", {"tox.ini": "[testenv]\ncommands = pytest -k 'slow\n"}, ()),
    "pyproject.toml not TOML": ("tox", {"pyproject.toml": "[tool.tox\nlegacy_tox_ini = 1\n"}, ()),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_config_that_cannot_be_parsed_is_an_error_naming_file_and_line(github: FakeGitHub, case: str) -> None:
    command, files, _ = UNREADABLE[case]
    serve(github, guard(run_step(command)), files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (case, outcome.status, outcome.reason)
    reason = str(outcome.reason)
    (name,) = files
    assert re.search(rf"{re.escape(name)}.*\bline \d+", reason), reason


#: case -> (the step's command, the tree's files, a test command the evidence lists, as the config runs it)
HEALTHY: dict[str, tuple[str, dict[str, str], str]] = {
    "npm test: pytest -q": ("npm test", {"package.json": package(test="pytest -q")}, "`pytest -q`"),
    "npm test: pretest then jest": (
        "npm ci && npm test -- --ci",
        {"package.json": package(pretest="tsc", test="jest --coverage")},
        "`jest --coverage`",
    ),
    "npm run test:unit: jest": ("npm run test:unit", {"package.json": package(**{"test:unit": "jest"})}, "`jest`"),
    "npm run build whose script runs the checks": ("npm run check", {"package.json": package(check="tsc")}, "`tsc`"),
    "npm --prefix web test": (
        "npm --prefix web test",
        {"web/package.json": package(test="vitest run")},
        "`vitest run`",
    ),
    "yarn test:unit (a script by its name)": (
        "yarn test:unit",
        {"package.json": package(**{"test:unit": "jest"})},
        "`jest`",
    ),
    "pnpm test running a script of the tree": (
        "pnpm test",
        {"package.json": package(test="./scripts/test.sh"), "scripts/test.sh": "#!/bin/sh -e\npytest tests\n"},
        "`pytest tests`",
    ),
    "tox: commands = pytest {posargs}": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\ncommands = pytest {posargs}\n"},
        "`pytest`",
    ),
    "tox -e py311: [testenv]'s commands, several lines": (
        "tox -e py311",
        {
            "tox.ini": "[testenv]\ndeps = coverage\ncommands =\n"
            "    coverage run -m pytest {posargs:tests}\n    coverage report\n"
        },
        "`coverage run -m pytest tests`",
    ),
    "tox -e unit: {[testenv]commands}": (
        "python -m tox -e unit",
        {"tox.ini": "[testenv]\ncommands = {envpython} -m pytest\n\n[testenv:unit]\ncommands = {[testenv]commands}\n"},
        "`python -m pytest`",
    ),
    "tox: ignore_errors keeps tox's failure": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\nignore_errors = true\ncommands =\n    pytest\n    ruff check .\n"},
        "`pytest`",
    ),
    "tox: a `-` on a command that cannot fail": (
        "tox",
        {"tox.ini": TOX_HEADER + "[testenv]\ncommands =\n    - echo start\n    pytest\n"},
        "`pytest`",
    ),
    "npm test: a test script that runs the others": (
        "npm test",
        {"package.json": package(test="npm run lint && npm run unit", lint="eslint .", unit="jest")},
        "`jest`",
    ),
    "npm test from a sub-folder: the package.json above": (
        "cd src && npm test",
        {"package.json": package(test="jest")},
        "`jest`",
    ),
    "tox -c naming the file, envlist brace-expanded": (
        "tox -c ci/tox.ini",
        {"ci/tox.ini": "[tox]\nenvlist = py{311,312}-unit\n[testenv]\ncommands =\n    unit: pytest tests/unit\n"},
        "`pytest tests/unit`",
    ),
    "tox exec running pytest": (
        "tox exec -e py -- pytest -x",
        {"tox.ini": "[testenv]\ncommands = true\n"},
        "`pytest -x`",
    ),
    "tox -e ALL": ("tox -e ALL", {"tox.ini": "[testenv:unit]\ncommands = pytest\n"}, "`pytest`"),
    "tox, setup.cfg's [tox:tox]": (
        "tox",
        {"setup.cfg": "[metadata]\nname = x\n[tox:tox]\nenvlist = py\n[testenv]\ncommands = pytest\n"},
        "`pytest`",
    ),
    "tox: changedir and {toxinidir}/scripts": (
        "tox",
        {
            "tox.ini": "[testenv]\nchangedir = tests\ncommands = {toxinidir}/scripts/test.sh\n",
            "scripts/test.sh": "#!/bin/sh -e\npytest -q\n",
        },
        "`pytest -q`",
    ),
    "tox in a folder, with tox.ini in pyproject.toml": (
        "cd py && tox -e py",
        {
            "py/pyproject.toml": '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ncommands = pytest -q\n"""\n',
        },
        "`pytest -q`",
    ),
}


@pytest.mark.parametrize("case", list(HEALTHY))
def test_a_config_that_runs_its_tests_stays_green(github: FakeGitHub, case: str) -> None:
    command, files, test = HEALTHY[case]
    serve(github, guard(SETUP_PYTHONS, run_step(command)), files)
    assert_counts_test(ask(github), case, test)


#: case -> (the step's command, the tree's files, a part of the reason): what this reader does not read is `error`.
NOT_READ: dict[str, tuple[str, dict[str, str], str]] = {
    "tox.toml": ("tox", {"tox.toml": 'env_list = ["py"]\n[env_run_base]\ncommands = [["pytest"]]\n'}, "tox.toml"),
    "npm workspaces": ("npm test --workspaces", {"package.json": package(test="jest")}, "workspaces"),
    "tox -m label": ("tox -m ci", {"tox.ini": "[testenv]\ncommands = pytest\n"}, "`-m ci`"),
    "npm test after cd to a folder only the run knows": (
        'cd "$APP_DIR" && npm test',
        {"package.json": package(test="jest")},
        "a folder only the run knows",
    ),
}


@pytest.mark.parametrize("case", list(NOT_READ))
def test_a_config_this_reader_does_not_read_is_an_error(github: FakeGitHub, case: str) -> None:
    command, files, part = NOT_READ[case]
    serve(github, guard(run_step(command)), files)
    outcome = ask(github)
    assert outcome.status is Status.ERROR, (case, outcome.status, outcome.reason)
    assert part in str(outcome.reason), outcome.reason
