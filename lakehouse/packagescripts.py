"""The ``package.json`` scripts ``npm test``, ``npm run test:unit``, ``yarn test``, ``pnpm lint`` run.

``npm test`` is only as strict as the ``test`` script of the ``package.json`` where npm runs: npm's default
``echo "Error: no test specified"`` exits 0 and runs no test, ``jest || true`` loses the tests' failure.
``lakehouse.shellscripts`` reads that file from the same tree as the workflow and judges the script's body as the
shell npm hands it to (``sh -c``, without ``-e``); this module says which script a command runs (``script_call``)
and where each script is in the file (``read_scripts``):

- npm: ``test``/``t``/``tst`` (and ``install-test``, ``clean-install-test``...) run ``test``;
  ``run``/``run-script`` run the script named; ``pre<name>`` and ``post<name>`` around it where the tool runs them
  (``runs_hooks``: npm unless ``ignore-scripts``, yarn 1 but not yarn 2+, pnpm with ``enable-pre-post-scripts``,
  ``bun run``);
- yarn, pnpm: ``test``, ``run <name>``, and ``<name>`` alone when it is no command of theirs and the file has a
  script of that name (``yarn test:unit``); bun: ``run <name>`` and ``<name>`` alone (``bun test`` is bun's own
  runner, not a script: its built-in commands win over a script's name, bun's docs/cli/run.md), with ``pre``/``post``
  as ``runs_hooks`` says;
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
    (as written; None: where the command runs), whether the tool may run ``pre``/``post`` scripts around it
    (``runs_hooks`` says whether it does), whether
    the name was given alone (``yarn lint``: a script only if the file has one), ``--if-present``, and the option
    naming workspaces (None: none)."""

    tool: str
    name: str
    folder: str | None = None
    hooks: bool = False
    implicit: bool = False
    if_present: bool = False
    workspaces: str | None = None
    #: The hook settings given on the command line (``--ignore-scripts``, ``--enable-pre-post-scripts=false``):
    #: (setting, ``true``/``false``), read by ``runs_hooks``.
    settings: tuple[tuple[str, str], ...] = ()


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
    settings: list[tuple[str, str]] = []
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
        elif name.removeprefix("--") in HOOK_SETTINGS:
            settings.append((name.removeprefix("--"), value.lower() if eq else "true"))
    if not operands:
        return None
    first = operands[0]
    hooks = True  # whether the tool runs them: runs_hooks
    if tool == "yarn" and first in ("workspace", "workspaces"):
        return ScriptCall(tool, " ".join(operands[1:]), folder, workspaces=f"yarn {first}")
    if first in _TEST[tool]:
        return ScriptCall(tool, "test", folder, hooks, False, if_present, workspaces, tuple(settings))
    if first in _RUN[tool]:
        if len(operands) < 2:
            return None  # `npm run` lists the scripts
        return ScriptCall(tool, operands[1], folder, hooks, False, if_present, workspaces, tuple(settings))
    if tool != "npm" and first not in _OWN_COMMANDS and "/" not in first and "." not in first.rsplit(":", 1)[-1]:
        return ScriptCall(tool, first, folder, hooks, True, if_present, workspaces, tuple(settings))
    return None


#: The settings that decide whether npm and pnpm run ``pre<name>``/``post<name>`` around a script.
HOOK_SETTINGS = frozenset({"ignore-scripts", "enable-pre-post-scripts"})


def runs_hooks(
    call: ScriptCall,
    package_manager: str | None,
    npmrc: Sequence[tuple[str, str]],
    environment: dict[str, str | None],
) -> tuple[bool | None, str]:
    """Whether ``call``'s tool runs the script's ``pre``/``post`` scripts (None: only the run can tell), and why.

    As the tools document it:

    - npm runs them unless ``ignore-scripts`` is set ("commands explicitly intended to run a particular script, such
      as npm start, npm stop, npm restart, npm test, and npm run-script will still run their intended script if
      ignore-scripts is set, but they will not run any pre- or post-scripts": docs.npmjs.com/cli/v9/commands/npm-test);
    - yarn 1 (classic) runs them; yarn 2 and later (berry) do not ("we intentionally don't support arbitrary pre and
      post hooks for user-defined scripts (such as prestart)": yarnpkg.com/advanced/lifecycle-scripts), so only
      ``package.json``'s ``packageManager`` (``yarn@1.22.22``, ``yarn@4.1.0``: what corepack runs) tells which;
    - pnpm runs them only with ``enable-pre-post-scripts=true`` (pnpm.io/cli/run, pnpm/pnpm#2891: off since pnpm 6);
      its default changed again in later majors, so without the setting only the run can tell;
    - bun: ``bun run <script>`` runs them, a failing ``pre<script>`` stopping the script (bun's docs/cli/run.md:
      "Bun respects lifecycle hooks. For instance, ``bun run clean`` will execute ``preclean`` and ``postclean``, if
      defined. If the ``pre<script>`` fails, Bun will not execute the script itself"); ``bun <script>`` without
      ``run``: the docs do not say, so only the run can tell.

    ``npmrc``: the ``.npmrc`` settings that apply, nearest first (``key``, value); ``environment``: the command's
    variables (``npm_config_ignore_scripts``), a value None when the run's. The command line's settings win, then
    the environment's, then ``.npmrc``'s."""

    def setting(key: str) -> tuple[str | None, str] | None:
        given = dict(call.settings).get(key)
        if given is not None:
            return given, f"`--{key}` on the command line"
        for name, value in environment.items():
            if name.lower() == f"npm_config_{key.replace('-', '_')}":
                return (value.lower() if value is not None else None), f"{name} in its environment"
        for name, value in npmrc:
            if name == key:
                return value.lower(), f"`{key}={value}` in .npmrc"
        return None

    if call.tool == "npm":
        ignore = setting("ignore-scripts")
        if ignore is None or ignore[0] == "false":
            return True, "npm runs `pre`/`post` scripts"
        if ignore[0] is None:
            return None, f"ignore-scripts set to a value only the run knows ({ignore[1]})"
        return False, f"npm runs no `pre`/`post` script with ignore-scripts ({ignore[1]})"
    if call.tool == "pnpm":
        enabled = setting("enable-pre-post-scripts")
        if enabled is None:
            return None, "pnpm runs `pre`/`post` scripts only with enable-pre-post-scripts, set nowhere the tree shows"
        if enabled[0] is None:
            return None, f"enable-pre-post-scripts set to a value only the run knows ({enabled[1]})"
        on = enabled[0] == "true"
        return on, f"pnpm {'runs' if on else 'runs no'} `pre`/`post` scripts ({enabled[1]})"
    if call.tool == "yarn":
        version = re.match(r"^yarn@(\d+)\.", package_manager or "")
        if version is None:
            return None, (
                "yarn 1 runs `pre`/`post` scripts, yarn 2+ does not, and package.json's packageManager does not say "
                "which yarn runs"
            )
        classic = version.group(1) == "1"
        verb = "runs" if classic else "runs no"
        return classic, f"{package_manager} (package.json's packageManager) {verb} `pre`/`post` scripts"
    if call.tool == "bun":
        said = (
            "bun's docs/cli/run.md: \"Bun respects lifecycle hooks. For instance, `bun run clean` will execute "
            '`preclean` and `postclean`, if defined"'
        )
        if call.implicit:  # `bun lint`: the docs say it of `bun run <script>` only
            return None, f"{said}; of `bun <script>` without `run` they say nothing"
        return True, f"bun run runs `pre`/`post` scripts ({said})"
    return False, f"{call.tool}'s `pre`/`post` scripts are not read here"


def package_manager(text: str) -> str | None:
    """``package.json``'s ``packageManager`` (``yarn@4.1.0``), None when unset or the file is not JSON."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return None
    value = document.get("packageManager") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def npmrc_settings(text: str) -> list[tuple[str, str]]:
    """The ``key=value`` settings of an ``.npmrc`` (ini: ``#`` and ``;`` start comments)."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#;" or "=" not in stripped:
            continue
        key, value = stripped.split("=", 1)
        found.append((key.strip(), value.strip().strip("\"'")))
    return found


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
