"""The commands ``tox`` / ``tox -e X`` run, read from the tree's tox configuration.

``tox -e unit`` is only as strict as the ``[testenv:unit]`` it runs: a command ``- pytest`` (tox ignores its exit
code), ``ignore_outcome = true`` (a failing env is a warning) or commands that only ``echo`` make failing tests a
green tox. ``lakehouse.shellscripts`` judges each command this module lists (``tox_call``: which envs a command
runs; ``read_tox``: the configuration; ``ToxConfig.env``: an env's commands with their lines), as tox runs them:
each its own process (no shell: ``pytest || true`` passes ``||`` to pytest), the first failure ending the env.

Read as tox 4 reads its INI format (``configparser``, no interpolation): ``tox.ini``, else ``setup.cfg`` with a
``[tox:tox]`` section, else ``pyproject.toml``'s ``[tool.tox] legacy_tox_ini``, in the folder tox runs in (``-c``
names another file or folder); ``tox.toml`` and ``pyproject.toml``'s native ``[tool.tox]`` tables are not read
(``UNREAD_CONFIGS``: the caller says so). An env's setting is its ``[testenv:name]``'s, else its ``base``
sections', else ``[testenv]``'s; ``commands_pre``, ``commands``, ``commands_post`` are judged, a line's factor
condition (``py311: pytest``, ``!lint: x``) kept when it matches the env's name, ``{[section]key}`` replaced with that
value's lines, ``{posargs:default}`` with its default, ``{envpython}`` with ``python``, ``{envbindir}`` with the
env's ``.tox`` folder (what is installed there is no file of the repository). No ``-e``: ``TOXENV``, else the
``envlist``/``env_list`` (brace-expanded: ``py{311,312}``), else ``py``. ``ignore_errors = true`` is no lost
failure: tox runs the remaining commands but still fails (its documentation: the exit code is kept).

An env that asks for an interpreter (``basepython``, else a ``py311``/``py3.12`` factor of its name: ``ToxEnv.python``)
is skipped, tox exiting 0, when that interpreter is missing and ``skip_missing_interpreters`` is on
(``ToxConfig.skip_missing_interpreters``: ``[tox]``'s setting, else tox 4's default, true;
``--skip-missing-interpreters`` on the command line wins): ``lakehouse.shellscripts`` counts its tests only where the
job sets that Python up.
nox's ``noxfile.py`` is read by ``lakehouse.noxconfig``.
"""

from __future__ import annotations

import configparser
import posixpath
import re
import shlex
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass

from lakehouse.shellglob import braces
from lakehouse.testcommands import program_args

#: The files tox reads its configuration from, in the order it looks for them; those this reader does not read.
CONFIG_FILES = ("tox.ini", "setup.cfg", "pyproject.toml", "tox.toml")
UNREAD_CONFIGS = frozenset({"tox.toml"})
#: tox's subcommands that run a command of the caller's, and those that run none (``tox list``, ``tox config``).
_EXEC = frozenset({"exec", "e"})
_NO_COMMANDS = frozenset({"list", "l", "config", "c", "depends", "de", "devenv", "d", "quickstart", "q"})
_VALUED = frozenset(
    {"-e", "--env", "-c", "--conf", "--root", "--workdir", "-m", "-f", "-x", "--override", "--installpkg"}
    | {"--result-json", "--hashseed", "--skip-env", "--discover", "--runner", "--exit-and-dump-after"}
)
_LIST_ONLY = frozenset({"-l", "--listenvs", "-a", "--listenvs-all", "--showconfig", "--notest", "--help-ini"})
_TRUE = frozenset({"true", "yes", "1", "on"})
_FACTOR_LINE = re.compile(r"^([!A-Za-z0-9_.]+(?:[,-][!A-Za-z0-9_.]+)*):\s+(.*)$")
_REFERENCE = re.compile(r"\{\[([^\]]*)\]([A-Za-z0-9_-]+)\}")
_POSARGS = re.compile(r"\{posargs(?::([^}]*))?\}|\[\]")
_ENV_VAR = re.compile(r"\{env:([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


@dataclass(frozen=True)
class ToxCall:
    """What one ``tox`` runs: its ``envs`` (``-e``; None: the configuration's), the ``-c`` file or folder, whether
    it runs any env's commands (not ``tox -l``, ``tox config``, ``--notest``), the option this reader cannot
    follow (``-m label``, ``-f factor``: None when none), and the command ``tox exec ... -- cmd`` runs instead of
    the env's (None: the env's), and ``--skip-missing-interpreters``."""

    envs: tuple[str, ...] | None
    config: str | None
    runs_commands: bool
    unread_option: str | None = None
    command: tuple[str, ...] | None = None
    #: ``--skip-missing-interpreters [true|false|config]`` as given (``true`` without a value); None: not given.
    skip_missing: str | None = None


def tox_call(words: Sequence[str]) -> ToxCall | None:
    """The call ``words`` make (unquoted, past wrappers): ``tox ...``, ``python -m tox ...``; None for any other."""
    args = program_args(words, "tox")
    if args is None:
        return None
    envs: list[str] = []
    config: str | None = None
    runs = True
    unread: str | None = None
    skip: str | None = None
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if not arg.startswith("-"):
            operands.append(arg)
            continue
        option, eq, value = arg.partition("=")
        if option in ("--skip-missing-interpreters", "-s"):  # an optional value: true without one
            if not eq and index < len(args) and args[index].lower() in ("true", "false", "config"):
                value, index = args[index], index + 1
            skip = value.lower() if value else "true"
            continue
        if not eq and option.startswith("-e") and len(option) > 2 and not option.startswith("--"):
            option, value, eq = "-e", option[2:], "="
        if not eq and option in _VALUED and index < len(args):
            value, index = args[index], index + 1
        if option in ("-e", "--env"):
            envs += [e.strip() for e in _split_list(value) if e.strip()]
        elif option in ("-c", "--conf"):
            config = value
        elif option in ("-m", "-f"):
            unread = f"{option} {value}"
        elif option in _LIST_ONLY:
            runs = False
    if operands and operands[0] in _NO_COMMANDS:
        runs = False
    if operands and operands[0] in _EXEC:  # `tox exec -e py -- pytest`: that command, not the env's
        return ToxCall(tuple(envs) or None, config, runs, unread, tuple(args[index:]), skip)
    return ToxCall(tuple(envs) or None, config, runs, unread, skip_missing=skip)


class ToxConfigError(ValueError):
    """A tox configuration tox would not read: the message names the line."""


@dataclass(frozen=True)
class ToxCommand:
    """A command an env runs: its words (after tox's substitutions), the line it is written on, and whether tox
    ignores its exit code (a leading ``-``)."""

    words: tuple[str, ...]
    line: int
    ignored: bool


@dataclass(frozen=True)
class ToxEnv:
    """One env as tox runs it: its section (as named in messages), its commands (pre, main, post), the folder they
    run in (relative to the configuration's), the line of ``ignore_outcome = true`` (0: not set), the interpreter
    it asks for."""

    name: str
    section: str
    commands: tuple[ToxCommand, ...]
    changedir: str
    ignore_outcome_line: int
    #: The interpreter the env asks for (``basepython``, else a ``py311``/``py3.12`` factor of its name): (as
    #: written, the version: ``3.11``, ``3``, ``pypy3.10``; where: ``basepython``'s line or the factor); None: tox's.
    python: tuple[str, str, str] | None = None


class ToxConfig:
    """A parsed tox configuration (INI), with each setting's line."""

    def __init__(self, text: str, first_line: int = 1, section_prefix: str = "") -> None:
        parser = configparser.ConfigParser(interpolation=None, strict=True, delimiters=("=",))
        parser.optionxform = lambda option: option.replace("-", "_")  # type: ignore[assignment,method-assign]
        try:
            parser.read_string(text)
        except configparser.MissingSectionHeaderError as err:
            line = (err.lineno or 1) + first_line - 1
            raise ToxConfigError(f"line {line}: a setting before any [section]") from None
        except configparser.ParsingError as err:
            number = err.errors[0][0]
            written = text.split("\n")[number - 1].strip() if 0 < number <= text.count("\n") + 1 else ""
            raise ToxConfigError(f"line {number + first_line - 1}: not an INI setting (`{written}`)") from None
        except configparser.DuplicateSectionError as err:
            raise ToxConfigError(f"line {(err.lineno or 1) + first_line - 1}: [{err.section}] a second time") from None
        except configparser.DuplicateOptionError as err:
            line = (err.lineno or 1) + first_line - 1
            raise ToxConfigError(f"line {line}, field {err.option}: set twice in [{err.section}]") from None
        except configparser.Error as err:
            raise ToxConfigError(f"line {first_line}: not INI ({err})") from None
        self.parser = parser
        self.first_line = first_line
        if section_prefix:  # setup.cfg: [tox:tox] is [tox]
            for section in list(parser.sections()):
                if section == f"{section_prefix}:tox":
                    parser[section_prefix] = dict(parser[section])
        self.lines, self.raw = _setting_lines(text, first_line)

    def value(self, sections: Sequence[str], key: str) -> tuple[str, str, int] | None:
        """The value of ``key`` in the first of ``sections`` that sets it: (value, section, line of the key)."""
        for section in sections:
            if self.parser.has_section(section) and self.parser.has_option(section, key):
                return self.parser.get(section, key), section, self.lines.get((section, key), self.first_line)
        return None

    def envlist(self) -> list[str]:
        """The envs ``tox`` without ``-e`` runs: ``envlist``/``env_list``, brace-expanded; none set: ``py``."""
        found = self.value(["tox"], "envlist") or self.value(["tox"], "env_list")
        if found is None:
            return ["py"]
        return [env for part in _split_list(found[0]) for env in braces(part.strip()) if env]

    def all_envs(self) -> list[str]:
        """Every env the configuration names (``-e ALL``): the envlist's and each ``[testenv:x]``'s."""
        named = [s.split(":", 1)[1] for s in self.parser.sections() if s.startswith("testenv:")]
        return list(dict.fromkeys([*self.envlist(), *(e for n in named for e in braces(n))]))

    def sections(self, env: str) -> list[str]:
        """Where ``env``'s settings come from, first to last: its section, its ``base``, ``[testenv]``."""
        own = next(
            (s for s in self.parser.sections() if s.startswith("testenv:") and env in braces(s.split(":", 1)[1])),
            None,
        )
        found = [own] if own else []
        base = self.value(found, "base") if own else None
        found += [s if s.startswith("testenv") else f"testenv:{s}" for s in _split_list(base[0])] if base else []
        return [*found, "testenv"]

    def env(self, name: str, environment: dict[str, str | None]) -> ToxEnv:
        """``name``'s commands (``commands_pre``, ``commands``, ``commands_post``) with tox's substitutions made,
        its ``changedir`` and ``ignore_outcome``; raises ``ToxConfigError`` for a command tox cannot split."""
        sections = self.sections(name)
        factors = set(name.split("-"))
        changedir = self.value(sections, "changedir") or self.value(sections, "change_dir")
        folder = _substituted(changedir[0], name, environment, ".").strip() if changedir else "."
        folder = posixpath.normpath(folder)
        toxinidir = posixpath.relpath(".", folder) if folder != "." else "."
        commands: list[ToxCommand] = []
        for key in ("commands_pre", "commands", "commands_post"):
            found = self.value(sections, key)
            if found is None:
                continue
            value, section, line = found
            for number, text in self._command_lines(value, section, key, line, factors, 0):
                commands += self._command(_substituted(text, name, environment, toxinidir), number)
        outcome = self.value(sections, "ignore_outcome")
        ignored = outcome is not None and _factored(outcome[0], factors).strip().lower() in _TRUE
        line = outcome[2] if outcome and ignored else 0
        return ToxEnv(name, sections[0], tuple(commands), folder, line, self._python(name, sections, factors))

    def _python(self, name: str, sections: list[str], factors: set[str]) -> tuple[str, str, str] | None:
        """The interpreter env ``name`` asks for (see ``ToxEnv.python``), None when it asks for none in particular
        (``python``, ``python3``... found on PATH as tox's own is, or none set: tox's own interpreter)."""
        base = self.value(sections, "basepython") or self.value(sections, "base_python")
        if base is not None:
            written = _factored(base[0], factors).strip().split("\n")[0].strip()
            version = interpreter_version(posixpath.basename(written))
            return (written, version, f"basepython, line {base[2]}") if version else None
        for factor in name.split("-"):
            version = interpreter_version(factor)
            if version:
                return factor, version, f"the factor {factor} of the env's name"
        return None

    def skip_missing_interpreters(self) -> tuple[bool, str]:
        """Whether tox skips (exit 0) an env whose interpreter is missing, by the configuration, and why: ``[tox]
        skip_missing_interpreters``, else tox 4's default, true (tox's ``tox_env/python/runner.py``:
        ``core.add_config(keys=["skip_missing_interpreters"], default=True, ...)``)."""
        found = self.value(["tox"], "skip_missing_interpreters")
        if found is None:
            return True, "tox 4's default skip_missing_interpreters = true"
        on = found[0].strip().lower() in _TRUE
        return on, f"skip_missing_interpreters = {found[0].strip()} (line {found[2]})"

    def _command_lines(
        self, value: str, section: str, key: str, line: int, factors: set[str], depth: int
    ) -> list[tuple[int, str]]:
        """The lines of a commands value with their line numbers: continued lines (``\\`` at the end) joined,
        comments and lines for other factors left out, ``{[section]key}`` replaced with that value's lines."""
        numbered = self.raw.get((section, key)) or [(line, part) for part in value.split("\n") if part.strip()]
        joined: list[tuple[int, str]] = []
        for number, text in numbered:
            if joined and joined[-1][1].endswith("\\"):
                joined[-1] = (joined[-1][0], joined[-1][1][:-1] + " " + text)
            else:
                joined.append((number, text))
        out: list[tuple[int, str]] = []
        for number, text in joined:
            text = _factored(text, factors)
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            reference = _REFERENCE.fullmatch(text.strip())
            if reference and depth < 4:
                key = reference.group(2).replace("-", "_")
                other = self.value([reference.group(1) or "testenv"], key)
                if other is not None:
                    out += self._command_lines(other[0], other[1], key, other[2], factors, depth + 1)
                continue
            out.append((number, text))
        return out

    @staticmethod
    def _command(text: str, line: int) -> list[ToxCommand]:
        """The command a line runs: its words as tox splits them, a leading ``-`` read."""
        try:
            words = shlex.split(text, comments=True, posix=True)
        except ValueError as err:
            raise ToxConfigError(f"line {line}: a command tox cannot split ({err}: {text.strip()})") from None
        if not words:
            return []
        ignored = words[0].startswith("-")
        if ignored:
            words = words[1:] if words[0] == "-" else [words[0][1:], *words[1:]]
        return [ToxCommand(tuple(words), line, ignored)] if words else []


_INTERPRETER = re.compile(r"^(?:py|python|cpython)(\d)(?:\.?(\d+))?$|^(pypy)(\d)(?:\.?(\d+))?$")


def interpreter_version(spec: str) -> str:
    """The version an interpreter spec or factor names (``py311``, ``py3.12``, ``python3.11``: ``3.11``; ``py3``:
    ``pypy310``: ``pypy3.10``); ``""`` for one naming none in particular (``py``, ``py3``, ``python3``, ``lint``)."""
    match = _INTERPRETER.match(spec)
    if match is None:
        return ""
    major, minor = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(5))
    prefix = "pypy" if match.group(3) else ""
    if minor is None and not prefix:  # py3, python3: any 3.x, as tox's own interpreter is
        return ""
    return f"{prefix}{major}.{minor}" if minor else f"{prefix}{major}"


def read_tox(name: str, text: str) -> ToxConfig | None:
    """The configuration in ``text`` of the file ``name`` (a ``CONFIG_FILES`` name), None when that file holds none
    (``setup.cfg`` without ``[tox:tox]``, ``pyproject.toml`` without ``[tool.tox]``); raises ``ToxConfigError``."""
    if name == "setup.cfg":
        if not re.search(r"^\[tox:tox\]", text, re.MULTILINE):
            return None
        return ToxConfig(text, section_prefix="tox")
    if name == "pyproject.toml":
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ToxConfigError(f"not valid TOML ({err})") from None
        table = document.get("tool", {}).get("tox") if isinstance(document.get("tool"), dict) else None
        if not isinstance(table, dict):
            return None
        legacy = table.get("legacy_tox_ini")
        if not isinstance(legacy, str):
            raise ToxConfigError("[tool.tox] without legacy_tox_ini: tox's TOML format, not read here")
        key = re.search(r"^\s*legacy_tox_ini\s*=\s*(\"\"\"|''')?(\r?\n)?", text, re.MULTILINE)
        first = text.count("\n", 0, key.end()) + 1 if key else 1
        return ToxConfig(legacy, first_line=first)
    return ToxConfig(text)


def _split_list(value: str) -> list[str]:
    """A list setting's items, split on commas and new lines (not inside braces: ``py{311,312}``)."""
    items, depth, current = [], 0, ""
    for char in value:
        depth += char == "{"
        depth -= char == "}"
        if char in ",\n" and depth <= 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return [i for i in items if i and not i.startswith("#")]


def _factored(text: str, factors: set[str]) -> str:
    """``text`` without its factor condition (``py311,py312: pytest``) when the env's factors meet it, ``""`` when
    they do not; as written without one."""
    match = _FACTOR_LINE.match(text.strip())
    if match is None:
        return text
    for alternative in match.group(1).split(","):
        wanted = alternative.split("-")
        if all((w[1:] not in factors) if w.startswith("!") else (w in factors) for w in wanted):
            return match.group(2)
    return ""


def _substituted(text: str, env: str, environment: dict[str, str | None], toxinidir: str) -> str:
    """tox's substitutions in a command: posargs (their default), the env's interpreter and folders, variables;
    ``toxinidir``: the configuration's folder from where the command runs."""
    text = _POSARGS.sub(lambda m: m.group(1) or "", text)

    def variable(match: re.Match[str]) -> str:
        value = environment.get(match.group(1))
        if value is not None:
            return value
        return match.group(2) if match.group(2) is not None else f"${{{match.group(1)}}}"

    text = _ENV_VAR.sub(variable, text)
    folder = f".tox/{env}"
    for name, value in (
        ("envpython", "python"),
        ("envbindir", f"{folder}/bin"),
        ("envsitepackagesdir", f"{folder}/lib/site-packages"),
        ("envtmpdir", f"{folder}/tmp"),
        ("envlogdir", f"{folder}/log"),
        ("envdir", folder),
        ("env_dir", folder),
        ("env_bin_dir", f"{folder}/bin"),
        ("env_python", "python"),
        ("envname", env),
        ("env_name", env),
        ("toxworkdir", ".tox"),
        ("work_dir", ".tox"),
        ("toxinidir", toxinidir),
        ("tox_root", toxinidir),
        ("/", "/"),
        (":", ":"),
    ):
        text = text.replace("{" + name + "}", value)
    return text


def _setting_lines(
    text: str, first_line: int
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], list[tuple[int, str]]]]:
    """(section, key) -> the line of the key, and -> the value's lines (the key line's rest and each continuation
    line, comments and empty lines left out) with their numbers."""
    lines: dict[tuple[str, str], int] = {}
    values: dict[tuple[str, str], list[tuple[int, str]]] = {}
    section = ""
    current: list[tuple[int, str]] | None = None
    for index, raw in enumerate(text.split("\n")):
        number = index + first_line
        stripped = raw.strip()
        if raw[:1] == "[" and stripped.endswith("]"):
            section, current = stripped[1:-1].strip(), None
            continue
        if not stripped or stripped[0] in "#;":
            continue
        if raw[:1] not in (" ", "\t") and "=" in raw:
            key, rest = raw.split("=", 1)
            name = (section, key.strip().replace("-", "_"))
            lines.setdefault(name, number)
            current = values.setdefault(name, [])
            if rest.strip():
                current.append((number, rest.strip()))
        elif current is not None:
            current.append((number, stripped))
    return lines, values
