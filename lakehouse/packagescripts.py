"""The ``package.json`` scripts ``npm test``, ``npm run test:unit``, ``yarn test``, ``pnpm lint`` run.

``npm test`` is only as strict as the ``test`` script of the ``package.json`` where npm runs: npm's default
``echo "Error: no test specified"`` exits 0 and runs no test, ``jest || true`` loses the tests' failure.
``lakehouse.shellscripts`` reads that file from the same tree as the workflow and judges the script's body as the
shell npm hands it to (``sh -c``, without ``-e``); this module says which script a command runs (``script_call``)
and where each script is in the file (``read_scripts``):

- npm: ``test``/``t``/``tst`` (and ``install-test``, ``clean-install-test``...) run ``test``;
  ``run``/``run-script`` run the script named; npm runs ``pre<name>`` and ``post<name>`` around it;
- yarn, pnpm: ``test``, ``run <name>``, and ``<name>`` alone when it is no command of theirs and the file has a
  script of that name (``yarn test:unit``); bun: ``run <name>`` and ``<name>`` alone (``bun test`` is bun's own
  runner, not a script);
- the folder: the nearest ``package.json`` up from where the command runs (as npm, yarn and pnpm find it), or
  ``--prefix``/``-C`` (npm), ``--cwd`` (yarn), ``-C``/``--dir`` (pnpm); npm reads its options after the script's
  name too (``npm test --workspaces``), the others pass them to the script.

Workspaces (``npm test -ws``, ``-w pkg``, ``yarn workspace x test``, ``pnpm -r test``, ``--filter``) run other
packages' scripts, which this reader does not follow: ``workspaces`` names the option, and the caller reports it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: The package managers whose commands run ``package.json`` scripts.
PACKAGE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
_TEST = {
    "npm": frozenset({"test", "t", "tst", "install-test", "it", "clean-install-test", "cit", "install-ci-test"}),
    "yarn": frozenset({"test"}),
    "pnpm": frozenset({"test", "t", "tst"}),
    "bun": frozenset(),
}
_RUN = {
    "npm": frozenset({"run", "run-script", "rum", "urn"}),
    "yarn": frozenset({"run"}),
    "pnpm": frozenset({"run", "run-script"}),
    "bun": frozenset({"run"}),
}
#: Commands of yarn, pnpm and bun that are theirs, never a script's name (``yarn install``, ``pnpm exec``).
_OWN_COMMANDS = frozenset(
    {
        *("install", "i", "add", "remove", "rm", "up", "upgrade", "update", "ci", "exec", "dlx", "create", "init"),
        *("publish", "pack", "link", "unlink", "why", "info", "config", "cache", "set", "version", "node", "bin"),
        *("global", "import", "audit", "outdated", "list", "ls", "rebuild", "patch", "store", "env", "setup"),
        *("fetch", "prune", "dedupe", "licenses", "help", "login", "logout", "check", "x", "pm", "build"),
        *("workspace", "workspaces", "test", "run", "run-script"),
    }
)
#: Options taking the next word as their value (``--prefix web``), by tool; ``folder``: those naming the folder.
_VALUED = {
    "npm": frozenset({"--prefix", "-C", "--workspace", "-w", "--loglevel", "--script-shell", "--userconfig"}),
    "yarn": frozenset({"--cwd", "--modules-folder", "--cache-folder", "--mutex"}),
    "pnpm": frozenset({"-C", "--dir", "--filter", "-F", "--filter-prod", "--reporter", "--workspace-concurrency"}),
    "bun": frozenset({"--cwd", "-c", "--config", "--filter", "-F"}),
}
_FOLDER = {
    "npm": frozenset({"--prefix", "-C"}),
    "yarn": frozenset({"--cwd"}),
    "pnpm": frozenset({"-C", "--dir"}),
    "bun": frozenset({"--cwd"}),
}
_WORKSPACES = frozenset(
    {"--workspace", "-w", "--workspaces", "-ws", "--filter", "-F", "--filter-prod", "-r", "--recursive"}
)


@dataclass(frozen=True)
class ScriptCall:
    """The script a package manager's command runs: ``tool``, the script's ``name``, the ``folder`` an option names
    (as written; None: where the command runs), whether the tool runs ``pre``/``post`` scripts around it, whether
    the name was given alone (``yarn lint``: a script only if the file has one), ``--if-present``, and the option
    naming workspaces (None: none)."""

    tool: str
    name: str
    folder: str | None = None
    hooks: bool = False
    implicit: bool = False
    if_present: bool = False
    workspaces: str | None = None


def script_call(words: Sequence[str]) -> ScriptCall | None:
    """The script ``words`` (unquoted, past wrappers) run, None when they run none (``npm ci``, ``bun test``)."""
    if not words:
        return None
    tool = words[0].rsplit("/", 1)[-1]
    if tool not in PACKAGE_MANAGERS:
        return None
    operands: list[str] = []
    folder: str | None = None
    workspaces: str | None = None
    if_present = False
    args = list(words[1:])
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        named = len(operands) == 2 or (bool(operands) and operands[0] not in _RUN[tool] and operands[0] != "workspace")
        if named and tool != "npm":
            break  # what follows the script's name are its arguments (npm reads its own options there too)
        if not arg.startswith("-") or arg == "-":
            if not named:
                operands.append(arg)
            continue
        name, eq, value = arg.partition("=")
        if not eq and name in _VALUED[tool] and index < len(args):
            value, index = args[index], index + 1
        if name in _FOLDER[tool]:
            folder = value
        elif name in _WORKSPACES or (tool == "npm" and name == "-ws"):
            workspaces = arg if eq or name not in _VALUED[tool] else f"{name} {value}"
        elif name == "--if-present":
            if_present = True
    if not operands:
        return None
    first = operands[0]
    if tool == "yarn" and first in ("workspace", "workspaces"):
        return ScriptCall(tool, " ".join(operands[1:]), folder, workspaces=f"yarn {first}")
    if first in _TEST[tool]:
        return ScriptCall(tool, "test", folder, tool == "npm", False, if_present, workspaces)
    if first in _RUN[tool]:
        if len(operands) < 2:
            return None  # `npm run` lists the scripts
        return ScriptCall(tool, operands[1], folder, tool == "npm", False, if_present, workspaces)
    if tool != "npm" and first not in _OWN_COMMANDS and "/" not in first and "." not in first.rsplit(":", 1)[-1]:
        return ScriptCall(tool, first, folder, False, True, if_present, workspaces)
    return None


class PackageJsonError(ValueError):
    """A ``package.json`` that is not what npm reads: not JSON, or its ``scripts`` not an object of strings."""


def read_scripts(text: str) -> dict[str, tuple[str, int]]:
    """The scripts of a ``package.json``: name -> (body, the line its key is on); raises ``PackageJsonError``
    saying the line and what is wrong."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise PackageJsonError(f"line {err.lineno}, column {err.colno}: not valid JSON ({err.msg})") from None
    if not isinstance(document, dict):
        raise PackageJsonError("line 1: not a JSON object")
    scripts = document.get("scripts", {})
    start = _key_line(text, "scripts", 0)
    if not isinstance(scripts, dict):
        raise PackageJsonError(f"line {start[0]}, field scripts: not an object")
    found: dict[str, tuple[str, int]] = {}
    offset = start[1]
    for name, body in scripts.items():
        line, at = _key_line(text, name, offset)
        if not isinstance(body, str):
            raise PackageJsonError(f"line {line}, field scripts.{name}: not a string")
        found[name] = (body, line)
        offset = max(offset, at)
    return found


def _key_line(text: str, key: str, offset: int) -> tuple[int, int]:
    """(1-based line, offset) of the first ``"key":`` at or after ``offset`` (the object's keys come in order)."""
    match = re.compile(re.escape(json.dumps(key)) + r"\s*:").search(text, offset)
    if match is None:  # a key written with escapes (`"t\u0065st"`): the object's own line
        return text.count("\n", 0, offset) + 1, offset
    return text.count("\n", 0, match.start()) + 1, match.end()
