"""Which ``package.json`` script a package manager runs (``lakehouse.packagescripts``) and which tox envs and
commands ``tox`` runs (``lakehouse.toxconfig``), with the lines exit check 3 names."""

from __future__ import annotations

import pytest

from lakehouse.packagescripts import PackageJsonError, ScriptCall, read_scripts, script_call
from lakehouse.toxconfig import ToxCommand, ToxConfigError, read_tox, tox_call

CALLS: list[tuple[str, ScriptCall | None]] = [
    ("npm test", ScriptCall("npm", "test", hooks=True)),
    ("npm t -- --ci", ScriptCall("npm", "test", hooks=True)),
    ("npm run test:unit -- -x", ScriptCall("npm", "test:unit", hooks=True)),
    ("npm --prefix web test", ScriptCall("npm", "test", "web", hooks=True)),
    ("npm test --if-present", ScriptCall("npm", "test", hooks=True, if_present=True)),
    ("npm test --workspaces", ScriptCall("npm", "test", hooks=True, workspaces="--workspaces")),
    ("yarn --cwd web test", ScriptCall("yarn", "test", "web", hooks=True)),
    ("yarn test:unit --ci", ScriptCall("yarn", "test:unit", hooks=True, implicit=True)),
    ("pnpm -r test", ScriptCall("pnpm", "test", hooks=True, workspaces="-r")),
    ("npm test --ignore-scripts", ScriptCall("npm", "test", hooks=True, settings=(("ignore-scripts", "true"),))),
    ("bun run test", ScriptCall("bun", "test", hooks=True)),  # bun run runs pretest/posttest: runs_hooks
    ("bun lint", ScriptCall("bun", "lint", hooks=True, implicit=True)),
    ("bun test", None),  # bun's own test runner
    ("npm ci", None),
    ("npm run", None),  # lists the scripts
    ("yarn install", None),
    ("npx jest", None),
]


@pytest.mark.parametrize(("command", "expected"), CALLS, ids=[c for c, _ in CALLS])
def test_the_script_a_package_manager_runs(command: str, expected: ScriptCall | None) -> None:
    assert script_call(command.split()) == expected


def test_scripts_are_read_with_the_line_of_their_key() -> None:
    text = '{\n  "name": "x",\n  "scripts": {\n    "build": "tsc",\n    "test": "jest || true"\n  }\n}\n'
    assert read_scripts(text) == {"build": ("tsc", 4), "test": ("jest || true", 5)}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{\n  "scripts": {\n    "test": "jest",\n  }\n}\n', "line 4, column 3: not valid JSON"),
        ('{\n  "scripts": ["jest"]\n}\n', "line 2, field scripts: not an object"),
        ('{\n  "scripts": {\n    "test": 1\n  }\n}\n', "line 3, field scripts.test: not a string"),
    ],
)
def test_a_package_json_npm_cannot_read_names_the_line(text: str, said: str) -> None:
    with pytest.raises(PackageJsonError, match=said):
        read_scripts(text)


def test_tox_calls() -> None:
    assert tox_call(["tox"]) is not None and tox_call(["tox"]).envs is None  # type: ignore[union-attr]
    assert tox_call(["tox", "-e", "py311,lint"]).envs == ("py311", "lint")  # type: ignore[union-attr]
    assert tox_call(["tox", "-epy"]).envs == ("py",)  # type: ignore[union-attr]
    assert tox_call(["python3", "-m", "tox", "--env=unit"]).envs == ("unit",)  # type: ignore[union-attr]
    assert tox_call(["tox", "-c", "ci/tox.ini"]).config == "ci/tox.ini"  # type: ignore[union-attr]
    assert not tox_call(["tox", "-l"]).runs_commands  # type: ignore[union-attr]
    assert not tox_call(["tox", "config"]).runs_commands  # type: ignore[union-attr]
    assert tox_call(["tox", "exec", "-e", "py", "--", "pytest"]).command == ("pytest",)  # type: ignore[union-attr]
    assert tox_call(["pytest"]) is None


TOX_INI = """[tox]
envlist = py{311,312}, lint

[testenv]
commands =
    py311: - coverage erase
    pytest {posargs:tests} \\
        -q
    !py311: echo not 3.11

[testenv:lint]
changedir = src
commands = {toxinidir}/scripts/lint.sh
ignore_outcome = true
"""


def test_an_env_s_commands_with_factors_continuations_and_lines() -> None:
    config = read_tox("tox.ini", TOX_INI)
    assert config is not None
    assert config.envlist() == ["py311", "py312", "lint"]
    env = config.env("py311", {})
    assert env.commands == (
        ToxCommand(("coverage", "erase"), 6, True),
        ToxCommand(("pytest", "tests", "-q"), 7, False),
    )
    assert config.env("py312", {}).commands[-1] == ToxCommand(("echo", "not", "3.11"), 9, False)
    lint = config.env("lint", {})
    assert (lint.section, lint.changedir, lint.ignore_outcome_line) == ("testenv:lint", "src", 14)
    assert lint.commands == (ToxCommand(("../scripts/lint.sh",), 13, False),)


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("tox.ini", "[testenv]\ncommands = pytest\noops\n", "line 3: not an INI setting"),
        ("tox.ini", "commands = pytest\n", "line 1: a setting before any"),
        ("tox.ini", "[testenv]\ncommands = a\ncommands = b\n", "line 3, field commands: set twice"),
        ("pyproject.toml", "[tool.tox\n", "not valid TOML"),
    ],
)
def test_a_tox_configuration_tox_cannot_read_names_the_line(name: str, text: str, said: str) -> None:
    with pytest.raises(ToxConfigError, match=said):
        read_tox(name, text)


def test_setup_cfg_and_pyproject_hold_a_configuration_only_with_their_tox_section() -> None:
    assert read_tox("setup.cfg", "[metadata]\nname = x\n") is None
    assert read_tox("pyproject.toml", "[project]\nname = 'x'\n") is None
    legacy = read_tox("pyproject.toml", '[tool.tox]\nlegacy_tox_ini = """\n[testenv]\ncommands = pytest\n"""\n')
    assert legacy is not None and legacy.env("py", {}).commands == (ToxCommand(("pytest",), 4, False),)
