"""Which commands run tests or checks (lakehouse.testcommands): those judged inside ``$(...)``."""

from __future__ import annotations

import shlex

import pytest

from lakehouse.noxconfig import nox_call
from lakehouse.testcommands import program_args, runs_tests
from lakehouse.toxconfig import tox_call


@pytest.mark.parametrize(
    "command",
    [
        "pytest",
        "pytest tests/unit -q",
        ".venv/bin/pytest tests",
        "$(BIN)/pytest tests/ -n 2",
        "python -m pytest",
        "python3.11 -X dev -m pytest tests",
        "python -m unittest discover",
        "tox -e py311",
        "ruff check .",
        "mypy lakehouse",
        "go test ./...",
        "cargo test",
        "npm test",
        "npm run test:unit",
        "yarn test",
        "npx jest --ci",
        "terraform validate",
    ],
)
def test_test_runners_and_checkers_are_recognised(command: str) -> None:
    assert runs_tests(command.split())


@pytest.mark.parametrize(
    "command",
    [
        "",
        "date",
        "git describe --tags",
        "pytest --version",
        "ruff -V",
        "python -c 'print(1)'",
        "python -m pip install .",
        "python",
        "npm ci",
        "npm run build",
        "go build ./...",
        "terraform plan",
        "npx prettier --check .",
    ],
)
def test_other_commands_are_not(command: str) -> None:
    assert not runs_tests(command.split())


@pytest.mark.parametrize(
    ("command", "tool", "args"),
    [
        ("tox -e py311", "tox", ["-e", "py311"]),
        (".venv/bin/nox -s tests", "nox", ["-s", "tests"]),
        ("python -m tox -e lint", "tox", ["-e", "lint"]),
        ("python3.12 -X dev -u -m nox -s tests", "nox", ["-s", "tests"]),
        ("python -m pytest", "tox", None),
        ("python -c 'import tox' -m tox", "tox", None),
        ("toxic -e x", "tox", None),
        ("pythonista -m nox", "nox", None),
        ("", "tox", None),
    ],
)
def test_program_args_reads_a_tool_run_directly_or_as_python_m(command: str, tool: str, args: list[str] | None) -> None:
    """One reading of ``tool ...`` / ``python -m tool ...`` serves tox and nox alike."""
    assert program_args(shlex.split(command), tool) == args
    call = (tox_call if tool == "tox" else nox_call)(shlex.split(command))
    assert (call is not None) == (args is not None), (command, call)
