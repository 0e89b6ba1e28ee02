"""Which commands run tests or checks (lakehouse.testcommands): those judged inside ``$(...)``."""

from __future__ import annotations

import pytest

from lakehouse.testcommands import runs_tests


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
