"""Which commands run a test suite or a check: the commands whose failure is the guard's failure wherever they run.

``lakehouse.shellstatus`` judges every command of a script, but a command inside ``$(...)`` usually computes a
value (``x=$(git describe --tags || echo dev)``), whose failure is no check's: there it judges only make, the
tree's scripts and the commands named here. ``echo "$(pytest)"`` runs the tests and throws their status away
(the step's status is ``echo``'s); ``out=$(pytest)`` alone keeps it.

A command is recognised by the program it runs (a path's last part: ``.venv/bin/pytest``, ``$(BIN)/pytest``),
after the wrappers ``lakehouse.shellstatus.command_words`` sees through (``poetry run``, ``uv run``, ``timeout``):

- test runners and checkers (``pytest``, ``tox``, ``nox``, ``behave``, ``ruff``, ``mypy``, ``checkov``...);
- ``python -m`` one of them (``python3 -m pytest``, ``python -m unittest``);
- a test subcommand of a build tool (``go test``, ``cargo test``, ``npm test``, ``npm run test:unit``,
  ``terraform validate``), and ``npx``/``bunx`` running a runner (``npx jest``).

Asking a runner for its version or help (``pytest --version``, ``ruff -h``) runs no test: not recognised.

Where the tree can be read (``lakehouse.shellscripts``, exit check 3), a package manager's script (``npm test``,
``npm run test:unit``: ``lakehouse.packagescripts``), ``tox`` (``lakehouse.toxconfig``) and ``nox``
(``lakehouse.noxconfig``) count for what their ``package.json`` script, tox env or nox session runs, not by their
name: npm's default ``test`` script echoes and exits 0, a nox session may only ``session.install``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

#: Programs that run tests or checks; their failure is a red guard.
TEST_PROGRAMS = frozenset(
    {
        *("pytest", "py.test", "tox", "nox", "behave", "coverage"),
        *("ruff", "mypy", "pyright", "flake8", "pylint", "black", "isort", "bandit", "pre-commit"),
        *("checkov", "tflint", "tfsec", "trivy", "zizmor", "actionlint", "shellcheck", "hadolint", "yamllint"),
        *("bats", "jest", "vitest", "mocha", "playwright", "cypress", "rspec", "phpunit", "ctest", "eslint", "tsc"),
    }
)
#: ``python -m <module>`` modules that run tests or checks.
TEST_MODULES = frozenset({"pytest", "unittest", "tox", "nox", "behave", "coverage", "mypy", "ruff", "pylint", "flake8"})
#: Build tools and the subcommands of theirs that run tests or checks (``npm run test:unit`` too: see ``runs_tests``).
TEST_SUBCOMMANDS: dict[str, frozenset[str]] = {
    "go": frozenset({"test", "vet"}),
    "cargo": frozenset({"test", "clippy", "nextest"}),
    "npm": frozenset({"test", "t", "tst"}),
    "yarn": frozenset({"test"}),
    "pnpm": frozenset({"test", "t"}),
    "bun": frozenset({"test"}),
    "deno": frozenset({"test", "lint", "check"}),
    "dotnet": frozenset({"test"}),
    "mvn": frozenset({"test", "verify"}),
    "gradle": frozenset({"test", "check"}),
    "terraform": frozenset({"validate", "test"}),
    "tofu": frozenset({"validate", "test"}),
}
#: Tools that run a package's program (``npx jest``).
_PACKAGE_RUNNERS = frozenset({"npx", "bunx", "pnpx"})
_PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)?)?$")
#: ``python`` options that take the next word (``-X dev``, ``-W error``).
_PYTHON_VALUED = frozenset({"-X", "-W", "--check-hash-based-pycs"})
#: Arguments that make a runner print something instead of running (``pytest --version``).
_NO_RUN = frozenset({"--version", "-V", "--help", "-h"})


def program_args(words: Sequence[str], tool: str) -> list[str] | None:
    """The arguments ``words`` (a command's, unquoted, past its wrappers) give ``tool`` when they run it, as
    ``tool ...`` (``.venv/bin/tool`` too) or ``python -m tool ...`` (``python3.12 -X dev -m tool``); None when they
    run another program (``toxic``, ``python -m pytest``, ``python -c ...``). One reading for ``lakehouse.toxconfig``
    and ``lakehouse.noxconfig``."""
    if not words:
        return None
    name = posixpath.basename(words[0])
    args = list(words[1:])
    if name == tool:
        return args
    if not _PYTHON.match(name):
        return None
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "-m":
        index += 2 if args[index] in _PYTHON_VALUED else 1  # python -X dev -u -m tox
    return args[index + 2 :] if args[index : index + 2] == ["-m", tool] else None


def runs_tests(words: Sequence[str]) -> bool:
    """``words`` (a command's, unquoted, past its wrappers) run a test suite or a check (see the module doc)."""
    if not words:
        return False
    name = posixpath.basename(words[0])
    args = list(words[1:])
    if any(arg in _NO_RUN for arg in args):
        return False
    if name in _PACKAGE_RUNNERS:
        rest = [a for a in args if not a.startswith("-")]
        return bool(rest) and runs_tests(rest)
    if name in TEST_PROGRAMS:
        return True
    if _PYTHON.match(name):
        module = next((args[i + 1] for i, a in enumerate(args[:-1]) if a == "-m"), None)
        return module is not None and module.split(".")[0] in TEST_MODULES
    subcommands = TEST_SUBCOMMANDS.get(name)
    if subcommands is None:
        return False
    operands = [a for a in args if not a.startswith("-")]
    if not operands:
        return False
    if operands[0] == "run" and name in ("npm", "yarn", "pnpm", "bun") and len(operands) > 1:
        return re.match(r"^(?:test|lint|check)\b", operands[1]) is not None  # npm run test:unit
    return operands[0] in subcommands
