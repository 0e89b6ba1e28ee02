"""The shell scripts of the checkout that a guard step or recipe runs, read and judged like the step itself.

``make test`` whose recipe is ``./scripts/test.sh`` is only as strict as ``scripts/test.sh``: a body of
``pytest tests || true``, or ``pytest tests`` then ``exit 0`` without ``-e``, makes a failing test run a
green step. ``ScriptFollower`` is ``lakehouse.shellstatus``'s ``follow`` hook: for a command that runs a
file of the checkout it reads that file (through ``read``, from the same tree as the workflow: the
checkout for ``make lint``, the run's commit for exit check 3) and judges it with ``lost_failures``
under the shell that runs it:

- ``bash x`` / ``sh -e x`` / ``dash x``: that shell with those options (a ``#!`` line is a comment then);
- ``./x``, ``scripts/x`` (a path with ``/``; a bare name is looked up in ``PATH``, not here): its
  ``#!`` line (``#!/usr/bin/env bash``, ``#!/bin/sh -e``, ``#!/usr/bin/env -S bash -eu``); without one,
  the calling shell runs it, with no options;
- ``source x`` / ``. x``: the calling shell as it is at that line (``-e`` and ``pipefail`` carry in);
- ``make [-C dir] [-f file] [targets]`` (``gmake``, a recipe's ``$(MAKE)``), whoever runs it, a step or a
  script (``.ci/run`` running ``make test``): the first of ``GNUmakefile``, ``makefile``, ``Makefile`` in
  the folder make runs in (or the ``-f`` file), its recipes for those targets (none: the default goal)
  judged by ``lakehouse.makefiles`` with the files its ``include`` lines name read in their place, their
  own scripts followed from that folder; ``-i`` is reported.

A ``for`` loop's glob (``for f in tests/*.sh; do bash "$f"; done``, ``for d in */; do make -C "$d"; done``) is
expanded over the tree where the loop runs (``lakehouse.shellglob``, through ``list_dir``: the checkout's folders for
``make lint``, the git tree of the run's commit for exit check 3), as bash does, and each file it names followed as if
written out; one that cannot be (no listing: a tree GitHub cut short; a folder only the run knows) leaves the loop's
variable the run's value.

Followed to ``MAX_DEPTH`` files deep, never into a file already on the way (a cycle). Paths are taken
from where the command runs: the checkout's root (where steps run; a step's ``working-directory`` is
joined), then each ``cd`` of the calling script (``cd ci && ./test.sh`` runs ``ci/test.sh``, not
``test.sh``), and ``$(dirname "$0")/x`` and the like from the calling script's folder,
``$GITHUB_WORKSPACE/x`` and ``$(git rev-parse --show-toplevel)/x`` from the root (also through a variable
set to one of these, ``ROOT="$(cd "$(dirname "$0")/.." && pwd)"``: ``lakehouse.shellstatus``), and in a local
composite action's step (and the scripts it runs) ``"$GITHUB_ACTION_PATH/x"``, ``${{ github.action_path }}/x``,
``cd "$GITHUB_ACTION_PATH"``, ``make -C "$GITHUB_ACTION_PATH"`` from the action's folder (``uses:
./.github/actions/common``: ``.github/actions/common``); a path with any other ``$``, an absolute path or one
leaving the checkout is not followed. Not judged, and said in ``notes``:
a file that is not there (the step itself fails when it runs it, so nothing is masked), a file whose
``#!`` names no sh-like shell (``python``, ``node``: out of this reader's scope), a cycle, the depth
limit, a file or make run outside the tree (``cd /tmp``, ``cd "$RUNNER_TEMP"``), ``make -n``/``-q``/``-t``
(no recipe runs). Neither judged nor passed: a file or make run in a folder only the run knows (``cd "$DIR"`` with DIR
from a value of the run, ``cd "$1"``), a file whose own folder is such a value (``"$DIR/test.sh"``, ``bash
"$DIR/test.sh"``, ``source "$X/env.sh"``; but a program found there, ``"$VENV/bin/pytest"``, a test runner or another
language's interpreter, or a virtualenv's ``bin/activate``, is no script of the tree (after such a ``cd`` too): its
status is its own; nor is anything under ``.venv``, ``node_modules``..., which a run installs, read wherever it is), a
file of ``$GITHUB_ACTION_PATH`` where no action's folder is known (a workflow's own step, a script it runs) or named
by a value of the run (``"$GITHUB_ACTION_PATH/${{ inputs.suite }}.sh"``), or make with ``MAKEFLAGS`` set to such a
value: ``unfollowed`` names each with the step it was met in (and the line of the step, script or Makefile it is on),
and exit check 3 ends ``error`` on such a run. A Makefile's recipe reaches the shell as make expands it
(``lakehouse.makevars``): ``$(BIN)/t.sh`` is ``.venv/bin/t.sh`` when the Makefile says ``BIN := .venv/bin``, ``$$DIR``
is the shell's ``$DIR`` (which make's exported and command-line variables may name).
Every command reached is recorded (``commands``), and each that runs tests (``lakehouse.testcommands``) with where it
was met (``tests``): exit check 3 makes a guard run that reached none red.

A package manager's script and tox are followed the same way, into the configuration of the tree, and count only for
what they reach there: ``npm test``/``yarn test:unit``/``pnpm run x`` read the nearest ``package.json``
(``lakehouse.packagescripts``) and judge the script's body (and npm's ``pre``/``post`` scripts) as the ``sh -c``
(no ``-e``) npm runs it with, its ``pre``/``post`` scripts only where the tool runs them (``runs_hooks``: where
only the run can tell, judged but their tests not counted); ``nox``/``nox -s x`` read ``noxfile.py``
(``lakehouse.noxconfig``) and judge each ``session.run`` as its own process, its tests counted only where no
``if``/loop/``except`` only the run decides may skip it (the noxfile's line of that condition noted);
``tox``/``tox -e x`` read ``tox.ini`` (``setup.cfg``, ``pyproject.toml``'s ``legacy_tox_ini``:
``lakehouse.toxconfig``) and judge each command of each env it runs as its own process (``-e``), reporting a leading
``-`` and ``ignore_outcome = true``, an env tox (or a session nox) may skip for a missing interpreter not counted
(``job_pythons``: what the step's job sets up; ``lakehouse.setuppython``: whether that is the env's Python).
No such file or script: noted,
no test counted (the command fails where it runs, or runs nothing: nothing is reached). A file that cannot be
parsed, ``tox.toml``, workspaces (``npm test -ws``, ``pnpm -r test``) and ``tox -m label``: ``unfollowed``, naming the
file and line.
The scripts and make a command runs inherit its environment (``Shell.environment``): ``MAKEFLAGS``/
``GNUMAKEFLAGS`` with ``-i`` there is reported like ``make -i``.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from lakehouse.makefiles import (
    MAKEFILE_NAMES,
    default_goal,
    included,
    is_make,
    make_flags_ignore_errors,
    makefile_masking,
    parse_make,
)
from lakehouse.noxconfig import (
    NOXFILE,
    NoxCall,
    Noxfile,
    NoxfileError,
    NoxSession,
    NoxStep,
    nox_call,
    read_noxfile,
    unsure_guards,
)
from lakehouse.packagescripts import (
    PackageJsonError,
    ScriptCall,
    npmrc_settings,
    package_manager,
    read_scripts,
    runs_hooks,
    script_call,
)
from lakehouse.setuppython import setup_gives
from lakehouse.shellglob import ListDir, expand, unescape
from lakehouse.shellstatus import (
    ACTION_PATH,
    ACTION_PATH_WORD,
    POSIX_SHELLS,
    Follow,
    Shell,
    lost_failures,
    runs_string,
    shell_flags,
    shell_invocation,
    with_action_path,
)
from lakehouse.testcommands import runs_tests
from lakehouse.toxconfig import (
    CONFIG_FILES,
    UNREAD_CONFIGS,
    ToxCall,
    ToxConfig,
    ToxConfigError,
    ToxEnv,
    interpreter_version,
    read_tox,
    tox_call,
)

#: Commands whose failure is nothing to lose (tox's ``- echo x``).
_CANNOT_FAIL = frozenset({"echo", "printf", "true", ":"})
#: Files followed from a step or recipe: a script that runs a script that runs a script...
MAX_DEPTH = 4
#: The text of a file of the tree being judged (a path relative to its root), None when there is none.
ReadFile = Callable[[str], str | None]
#: ``$(dirname "$0")``, ``${0%/*}``, ``$(dirname "${BASH_SOURCE[0]}")``...: the running script's folder.
_SCRIPT_DIR = re.compile(
    r"""^(?:\$\(\s*dirname\s+(?:--\s+)?"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\})"?\s*\)"""
    r"""|\$\{(?:0|BASH_SOURCE(?:\[0\])?)%/\*\})(?:/|$)"""
)
#: The checkout's root however named: ``$GITHUB_WORKSPACE`` (where actions/checkout puts it),
#: ``$(git rev-parse --show-toplevel)``.
_ROOT = re.compile(
    r"""^(?:\$GITHUB_WORKSPACE\b|\$\{GITHUB_WORKSPACE\}|\$\(\s*git\s+rev-parse\s+--show-toplevel\s*\)"""
    r"""|\$\{\{\s*(?i:github\.workspace)\s*\}\})(?:/|$)"""
)


#: A folder named by a value of the run (``$DIR``, ``${CI_DIR}``, ``$1``, `` `cat f` ``)...
_RUN_TIME_FOLDER = re.compile(r"^[^$`]*[$`]")
#: ...but one the runner keeps outside the checkout (``$RUNNER_TEMP``, ``$HOME``, ``$TMPDIR``): no file of the tree.
_OUTSIDE_FOLDER = re.compile(
    r"^(?:/|~|\$\{?(?:RUNNER_\w+|HOME|TMPDIR|TEMP|TMP)\b|\$\{\{\s*(?i:runner\.(?:temp|tool_cache))\s*\}\})"
)


#: Interpreters of other languages: a file they are (``"$VENV/bin/python" x.py``) is a program, no script of the tree.
_INTERPRETERS = re.compile(r"^(?:python[\d.]*|pypy[\d.]*|node|deno|bun|ruby|perl|php|java|go|cargo|npm|npx|uv|poetry)$")


def _program_not_script(words: Sequence[str], by_shell: bool) -> bool:
    """``words`` run, from a folder only the run knows, a program rather than a shell script of the tree: a test
    runner (``lakehouse.testcommands``: ``"$VENV/bin/pytest"``, ``$BIN/python -m pytest``), another language's
    interpreter, a program of a toolchain's ``bin`` (``$(go env GOPATH)/bin/golangci-lint``: a name without an
    extension in a ``bin`` folder of a run-time location), or a virtualenv's ``bin/activate`` sourced (generated
    where it is made, never the tree's)."""
    if by_shell:  # bash "$DIR/x", source "$X/env.sh": a shell script, whatever its name
        return words[-1].endswith("/bin/activate") if words[0] in (".", "source") and len(words) == 2 else False
    name = posixpath.basename(words[0])
    # $(go env GOPATH)/bin/x, $JAVA_HOME/bin/java (not ./bin/test after `cd "$DIR"`: that may be the tree's)
    toolchain = _RUN_TIME_FOLDER.match(words[0]) is not None and re.search(r"/bin/[^/.]+$", words[0]) is not None
    return toolchain or runs_tests([name, *words[1:]]) or _INTERPRETERS.match(name) is not None


#: Folders a run installs programs into (never the repository's own files: pip, npm, tox make them).
_INSTALLED = re.compile(r"(?:^|/)(?:\.venv[^/]*|venv|\.tox|\.nox|node_modules|site-packages)/")


def _installed(path: str) -> bool:
    """``path`` lies in a folder a run installs programs into (``.venv/bin/lakehouse``, ``node_modules/.bin/x``)."""
    return _INSTALLED.search(path) is not None


def _line_in(at: str, chain: tuple[str, ...]) -> str:
    """Where in the file being followed a command is (``line 3``): a Makefile's line names the Makefile, which
    ``chain`` already ends with, so that name is not said twice."""
    return at.removeprefix(f"{chain[-1]}, ") if chain else at


def _moved(follow: Follow, folder: str) -> Follow:
    """``follow`` for commands run in ``folder``, a folder only the run names (``session.chdir(path)``)."""

    def moved(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        return follow(words, shell, (folder, *dirs), at, glob)

    return moved


def checkout_reader(root: Path) -> ReadFile:
    """Files of a checkout on disk (``make lint`` reads the workflow there too); None for a missing or binary file."""
    base = root.resolve()

    def read(path: str) -> str | None:
        file = base / path
        if not file.is_file():
            return None
        try:
            return file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return None

    return read


def checkout_lister(root: Path) -> ListDir:
    """The folders of a checkout on disk, as bash globs them there (a folder that is not there: no entries)."""
    base = root.resolve()

    def list_dir(path: str) -> list[tuple[str, bool]] | None:
        folder = base / path
        if not folder.is_dir():
            return []
        return [(entry.name, entry.is_dir()) for entry in folder.iterdir()]

    return list_dir


def tree_lister(paths: Sequence[str] | None) -> ListDir:
    """The folders of a tree given as its files' paths (``git ls-tree -r``, GitHub's git tree); None: the tree
    cannot be listed (GitHub cut it short), so nothing is."""
    folders: dict[str, dict[str, bool]] = {"": {}}
    for path in paths or ():
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth])
            folders.setdefault(parent, {})[parts[depth]] = depth < len(parts) - 1
    listed = {folder: sorted(entries.items()) for folder, entries in folders.items()}

    def list_dir(path: str) -> list[tuple[str, bool]] | None:
        return None if paths is None else listed.get(path, [])

    return list_dir


def shebang_shell(text: str, path: str) -> Shell | str:
    """How the kernel runs a script: the shell its ``#!`` line names with its options; ``""`` when it has
    none (the calling shell runs it); the ``#!`` line itself when it names no sh-like shell."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.startswith("#!"):
        return ""
    words = first[2:].split()
    if words and posixpath.basename(words[0]) == "env":
        words = words[1:]
        if words[:1] == ["-S"]:
            words = words[1:]
        elif words and words[0].startswith("-S"):
            words = [words[0][2:], *words[1:]]
    if not words or posixpath.basename(words[0]) not in POSIX_SHELLS:
        return first
    errexit, pipefail = shell_flags(words[1:])
    return Shell(errexit, pipefail, f"`{first}` of {path}", bash=posixpath.basename(words[0]) == "bash")


class ScriptFollower:
    """Follows commands into the checkout's scripts and Makefiles (see the module doc); ``read`` gives a file's text.

    ``notes``: what became of each file a command names, by path (``judged under ...``, ``not in the
    tree: not judged``...), for the evidence. ``files``: the paths read that exist, in order."""

    def __init__(self, read: ReadFile, max_depth: int = MAX_DEPTH, list_dir: ListDir | None = None) -> None:
        self.read = read
        #: The tree's folders, for a ``for`` word's glob (``for f in tests/*.sh``); None: no glob is expanded.
        self.list_dir = list_dir
        self.max_depth = max_depth
        self.notes: dict[str, str] = {}
        #: What a command runs that this reader cannot follow, so cannot judge (make after ``cd "$DIR"`` to a
        #: value only the run knows, ``MAKEFLAGS`` set to one): each names where it was met and why. Nothing
        #: here is proven lost, nor proven kept: exit check 3 ends ``error`` on a run with any.
        self.unfollowed: list[str] = []
        self.files: list[str] = []
        #: The test commands reached (``lakehouse.testcommands``: ``pytest``, ``python -m pytest``, ``npm test``...),
        #: each with where it was met: in a step, a script or a recipe make reads (not a branch not taken); exit
        #: check 3 makes a run that reached none red. ``commands``: every command reached, as run, for its reason.
        self.tests: list[str] = []
        self.commands: list[str] = []
        #: The steps whose ``if:`` kept them from running in the run read, or may have (a composite action's step
        #: whose condition is not shown true: judged, its tests not counted), each with why
        #: (``lakehouse.workflows.masked_failure_problems``' ``facts``).
        self.conditional: list[str] = []
        #: The test commands of steps only the run can show ran or not (a workflow step whose ``if:`` is not shown
        #: and whose name the jobs API cannot be asked by: ``lakehouse.workflows.masked_failure_problems``), each with
        #: its step: not counted, but a run whose only tests are these is ``error``, not red (:meth:`undecided_step`).
        self.undecided: list[str] = []
        #: The Python versions the job of the step being followed sets up (``lakehouse.workflows.job_pythons``), for
        #: a tox env that asks for one; None: only the run knows.
        self.job_pythons: tuple[str, ...] | None = None
        #: Why only the run knows them, when ``job_pythons`` is None and the workflow says (a version file).
        self.job_pythons_why = ""
        #: Above 0 while following what may not run (a ``pre``/``post`` script only the run knows runs): judged, its
        #: tests not counted.
        self._uncounted = 0
        #: Where a test command reached goes while a nox step only the run decides is followed (None: ``tests``):
        #: counted only when every way through the session runs one (``noxconfig.unsure_guard``).
        self._capture: list[str] | None = None
        #: Where the command being followed is in its file (``line 3``), while it is followed.
        self._at = ""
        self._texts: dict[str, str | None] = {}
        #: Makefiles being judged -> the folder their recipes run in (a ``$(MAKE) target`` of theirs is
        #: followed by ``makefile_masking`` itself).
        self._makefiles: dict[str, str] = {}
        #: The MAKEFLAGS/GNUMAKEFLAGS make had when it read each Makefile (a recipe's `$(MAKE)` inherits them:
        #: reported once, at the outer make).
        self._make_environment: dict[str, set[tuple[str, str | None]]] = {}

    def hook(self, cwd: str = "", chain: tuple[str, ...] = (), origin: str = "") -> Follow:
        """The ``follow`` for a script run in ``cwd`` (relative to the root), reached through the files ``chain``
        from ``origin`` (the step, for ``unfollowed``)."""

        def follow(
            words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
        ) -> list[str]:
            if glob:
                return self.expand_glob(words[0], cwd, dirs, chain, at)
            self._reached(words, chain, at, origin)
            before, self._at = self._at, at
            try:
                return self.messages(words, shell, cwd, chain, dirs, origin)
            finally:
                self._at = before

        return follow

    @contextlib.contextmanager
    def undecided_step(self, why: str) -> Iterator[None]:
        """Follow a step only the run can show ran (``why``): judged, its tests held in ``undecided``, not counted."""
        held: list[str] = []
        outer, self._capture = self._capture, held
        try:
            yield
        finally:
            self._capture = outer
        self.undecided += [f"{entry} ({why})" for entry in held if f"{entry} ({why})" not in self.undecided]

    @contextlib.contextmanager
    def uncounted(self) -> Iterator[None]:
        """Follow what may not run (a composite action's step under an ``if:`` not shown true): judged, its tests
        not counted."""
        self._uncounted += 1
        try:
            yield
        finally:
            self._uncounted -= 1

    def _reached(self, words: Sequence[str], chain: tuple[str, ...], at: str, origin: str) -> None:
        """Record a command the step reached (``commands``), and where when it runs tests (``tests``)."""
        shown = " ".join(words)
        if shown not in self.commands:
            self.commands.append(shown)
        followed = script_call(words) is not None or tox_call(words) is not None or nox_call(words) is not None
        if runs_tests(words) and not followed and not self._uncounted:  # npm test, tox, nox: what they run counts
            where = ", ".join(p for p in (" -> ".join([origin or "a step", *chain]), _line_in(at, chain)) if p)
            self._count([f"{where}: `{shown}`"])

    def _count(self, entries: Sequence[str]) -> None:
        """Count test commands reached (``tests``), or hold them while a step only the run decides is followed."""
        found = self.tests if self._capture is None else self._capture
        found += [e for e in entries if e not in found]

    def expand_glob(self, pattern: str, cwd: str, dirs: tuple[str, ...], chain: tuple[str, ...], at: str) -> list[str]:
        """A ``for`` word's glob as bash expands it where the loop runs (``lakehouse.shellglob``); ``[]`` when that
        cannot be told (no listing of the tree, a folder only the run knows, a path leaving the tree), noted."""
        here = self.directory(cwd, dirs, chain)
        expanded = None if here is None or self.list_dir is None else expand(pattern, here, self.list_dir)
        place = _line_in(at, chain)
        where = ", ".join(p for p in (" -> ".join(chain), place) if p) or "a step"
        where += f", in {here}" if here else ""
        if expanded is None:
            self._note(f"`{unescape(pattern)}`", f"a glob not expanded ({where}): no listing of the tree there")
            return []
        self._note(f"`{unescape(pattern)}`", f"expanded over the tree ({where}): {' '.join(expanded)}")
        return expanded

    def _cannot_follow(self, origin: str, chain: tuple[str, ...], what: str, folder: str = "$") -> None:
        """Record a command this reader cannot follow (see ``unfollowed``): one run in ``folder``, a value only the
        run knows (``$DIR``, ``$1``, `` `x` ``); not one outside the tree (``/tmp``, ``~``, ``..``, ``$RUNNER_TEMP``:
        what runs there is no file of the repository, noted only)."""
        if not _RUN_TIME_FOLDER.match(folder) or _OUTSIDE_FOLDER.match(folder):
            return
        where = " -> ".join([origin or "a step", *chain])
        if self._at:  # the line of the step, script or Makefile the command is on
            where += ", " + _line_in(self._at, chain)
        entry = f"{where}: {what}"
        if entry not in self.unfollowed:
            self.unfollowed.append(entry)

    def _note(self, path: str, note: str) -> None:
        """What became of ``path``; a file reached twice (again through a cycle) keeps both notes."""
        known = self.notes.get(path)
        self.notes[path] = note if known is None else known if note in known else f"{known}; {note}"

    def _text(self, path: str) -> str | None:
        if path not in self._texts:
            self._texts[path] = self.read(path)
            if self._texts[path] is not None:
                self.files.append(path)
        return self._texts[path]

    def _reachable(self, path: str, chain: tuple[str, ...]) -> bool:
        """Not a cycle, nor deeper than ``max_depth`` (else noted)."""
        if path in chain:
            self._note(path, f"not judged again: a cycle ({' -> '.join([*chain, path])})")
            return False
        if len(chain) >= self.max_depth:
            self._note(path, f"not judged: more than {self.max_depth} files deep ({' -> '.join(chain)})")
            return False
        return True

    def messages(
        self,
        words: Sequence[str],
        shell: Shell,
        cwd: str,
        chain: tuple[str, ...],
        dirs: tuple[str, ...] = (),
        origin: str = "",
    ) -> list[str]:
        """A phrase for each failure lost in the file ``words`` runs (empty: it runs none, or loses nothing),
        run after the calling script's ``cd`` to ``dirs`` (from ``cwd``, where it started), by ``shell`` (whose
        environment the file's shell inherits)."""
        here = self.directory(cwd, dirs, chain)
        if is_make(words[0]):
            return self.make_messages(words, shell, here, chain, dirs, origin)
        package, tox, nox = script_call(words), tox_call(words), nox_call(words)
        if package is not None or tox is not None or nox is not None:
            if here is None:
                moved = self._unknown_folder(cwd, dirs, chain)
                what = f"`{' '.join(words)}` runs after `cd {moved}`, a folder only the run knows"
                self._cannot_follow(origin, chain, what, moved)
                return []
            if package is not None:
                return self.package_messages(package, words, shell, here, chain, origin)
            if nox is not None:
                return self.nox_messages(nox, words, shell, here, chain, origin)
            return self.tox_messages(tox, words, shell, here, chain, origin) if tox is not None else []
        if here is None:
            called = self.called(words, shell, "", chain)
            if called is None:  # `cd "$DIR" && bash "$f"`: a file only the run names, wherever it is
                self._file_unnamed(words, shell, chain, origin)
            elif not _installed(called[0]) and not _program_not_script(words, called[1] is not None):
                moved = self._unknown_folder(cwd, dirs, chain)
                self._note(words[0], f"not judged: run after `cd {moved}`, a folder not named in the tree")
                self._cannot_follow(
                    origin, chain, f"`{' '.join(words)}` runs after `cd {moved}`, a folder only the run knows", moved
                )
            return []
        called = self.called(words, shell, here, chain)
        if called is None:
            self._file_unnamed(words, shell, chain, origin)
            return []
        path, given = called
        if _installed(path):
            return []  # a program a run installed (a virtualenv's): no file of the repository, as one found in PATH
        if not self._reachable(path, chain):
            return []
        text = self._text(path)
        if text is None:
            self._note(path, "not in the tree (or not text): not judged; the step fails where it runs it")
            return []
        run_as = given if given is not None else shebang_shell(text, path)
        if isinstance(run_as, str):
            if run_as:
                self._note(path, f"not a shell script ({run_as}): not judged")
                return []
            run_as = Shell(False, False, f"no `#!` line: the calling shell runs {path} without -e", shell.bash)
        run_as = replace(run_as, environment=shell.environment, closed=shell.closed)  # it inherits the environment
        self._note(path, f"judged as {run_as.label}")
        found = lost_failures(text, run_as, self.hook(here, (*chain, path), origin))
        return [f"runs {path}: {path}:{f.line} `{f.command}` {f.message}" for f in found]

    def _unreadable(self, origin: str, chain: tuple[str, ...], what: str) -> None:
        """A configuration a command reads that cannot be parsed (``unfollowed``: exit check 3 ends ``error``)."""
        where = " -> ".join([origin or "a step", *chain])
        if self._at:
            where += ", " + _line_in(self._at, chain)
        if (entry := f"{where}: {what}") not in self.unfollowed:
            self.unfollowed.append(entry)

    def package_messages(
        self, call: ScriptCall, words: Sequence[str], shell: Shell, here: str, chain: tuple[str, ...], origin: str
    ) -> list[str]:
        """What the ``package.json`` scripts a package manager runs lose (``lakehouse.packagescripts``), each judged
        as the ``sh -c`` it runs it with (no ``-e``); the tests they reach are counted, not the command itself. No
        ``package.json``, no such script: no test counted (the command fails where it runs: nothing reached)."""
        shown = " ".join(words)
        if call.workspaces is not None:
            what = f"`{shown}` runs the scripts of workspaces ({call.workspaces}), which this reader does not follow"
            self._cannot_follow(origin, chain, what)
            return []
        folder = here if call.folder is None else self.directory(here, (call.folder,), chain)
        if folder is None:
            self._cannot_follow(origin, chain, f"`{shown}` runs in `{call.folder}`, a folder only the run knows")
            return []
        folders = [folder]  # npm, yarn and pnpm use the nearest package.json up from where they run
        while call.folder is None and folders[-1]:
            folders.append(posixpath.dirname(folders[-1]))
        path = next((p for p in (posixpath.join(f, "package.json") for f in folders) if self._text(p) is not None), "")
        text = self._text(path) if path else None
        if text is None:
            if not call.implicit:
                self._note(
                    f"`{shown}`", f"no package.json in {folder or 'the root'} or above: runs no test (and fails)"
                )
            return []
        folder = posixpath.dirname(path)
        try:
            scripts = read_scripts(text)
        except PackageJsonError as err:
            self._unreadable(origin, chain, f"`{shown}` reads {path}, which npm cannot read: {path}, {err}")
            return []
        if call.name not in scripts:
            if not call.implicit:
                fails = "nothing runs (--if-present)" if call.if_present else f"{call.tool} fails where it runs"
                self._note(path, f"no script `{call.name}`: `{shown}` runs no test ({fails})")
            return []
        names = [f"pre{call.name}", call.name, f"post{call.name}"] if call.hooks else [call.name]
        hooks: tuple[bool | None, str] = (True, "")
        if any(n in scripts for n in names if n != call.name):
            npmrc = self._npmrc(folder, every_folder=call.tool != "npm")  # npm: the project's; pnpm: the workspace's
            hooks = runs_hooks(call, package_manager(text), npmrc, shell.variables())
        found: list[str] = []
        for name in (n for n in names if n in scripts):
            body, line = scripts[name]
            element = f"{path} scripts.{name.replace('/', ':')}"
            hook = name != call.name
            if hook and hooks[0] is False:
                self._note(element, f"not run by `{shown}`: {hooks[1]}; runs no test")
                continue
            if not self._reachable(element, chain):
                continue
            run_as = Shell(False, False, f"{call.tool}'s `sh -c` (no -e)", False, shell.environment, shell.closed)
            uncounted = hook and hooks[0] is None  # it may not run: judged, its tests not counted
            self._note(
                element, f"judged as {run_as.label}" + (f"; its tests not counted: {hooks[1]}" if uncounted else "")
            )
            self._uncounted += uncounted
            try:
                lost = lost_failures(body, run_as, self.hook(folder, (*chain, element), origin), line)
            finally:
                self._uncounted -= uncounted
            shown_lost = [f"runs {element}: {path}:{line + f.line - 1} `{f.command}` {f.message}" for f in lost]
            if uncounted:  # lost only if the hook runs, which only the run knows: not proven red, not green
                for entry in shown_lost:
                    self._cannot_follow(origin, chain, f"`{shown}` may run {element} ({hooks[1]}), which {entry}")
            else:
                found += shown_lost
        return found

    def _npmrc(self, folder: str, every_folder: bool) -> list[tuple[str, str]]:
        """The ``.npmrc`` settings of ``folder`` (and, ``every_folder``, of each folder above it), nearest first."""
        found: list[tuple[str, str]] = []
        while True:
            text = self._text(posixpath.join(folder, ".npmrc"))
            found += npmrc_settings(text) if text is not None else []
            if not folder or not every_folder:
                return found
            folder = posixpath.dirname(folder)

    def tox_messages(
        self, call: ToxCall, words: Sequence[str], shell: Shell, here: str, chain: tuple[str, ...], origin: str
    ) -> list[str]:
        """What the envs a ``tox`` runs lose (``lakehouse.toxconfig``): each command as its own process, a leading
        ``-`` and ``ignore_outcome = true`` losing its failure; the tests they reach are counted, not ``tox``."""
        shown = " ".join(words)
        if not call.runs_commands:
            return []
        if call.command is not None:  # `tox exec -e py -- pytest`: that command, in the env
            each = Shell(True, False, "tox exec", False, shell.environment, shell.closed)
            script = shlex.join(call.command)
            ran = lost_failures(script, each, self.hook(here, chain, origin)) if call.command else []
            return [f"runs `{shown}`: `{f.command}` {f.message}" for f in ran]
        if call.unread_option is not None:
            self._cannot_follow(origin, chain, f"`{shown}` picks envs by `{call.unread_option}`, not read here")
            return []
        located = self._tox_config(call, shown, here, chain, origin)
        if located is None:
            return []
        path, config = located
        variables = shell.variables()
        envs: list[str] | None = list(call.envs) if call.envs else None
        if envs is None and "TOXENV" in variables:
            value = variables["TOXENV"]
            if value is None:
                self._cannot_follow(origin, chain, f"`{shown}` runs the envs of TOXENV, a value only the run knows")
                return []
            envs = [e.strip() for e in value.split(",") if e.strip()]
        if envs is None:
            envs = config.envlist()
        elif any(e.upper() == "ALL" for e in envs):
            envs = config.all_envs()
        found: list[str] = []
        folder = posixpath.dirname(path)
        for name in envs:
            try:
                env = config.env(name, variables)
            except ToxConfigError as err:
                self._unreadable(
                    origin, chain, f"`{shown}` reads {path}, which this reader cannot judge: {path}, {err}"
                )
                continue
            element = f"{path} [{env.section}]" if env.section != "testenv" else f"{path} [testenv] ({name})"
            if not self._reachable(element, chain):
                continue
            if self._tox_skips(env, call, config, element, shown, origin, chain):
                continue
            run_in = self.directory(folder, (env.changedir,), chain)
            if run_in is None:
                self._cannot_follow(origin, chain, f"`{shown}` runs {name}'s commands in `{env.changedir}`")
                continue
            self._note(
                element, f"judged for `{shown}` (env {name}; each command its own process, in {run_in or 'the root'})"
            )
            if env.ignore_outcome_line:
                found.append(
                    f"runs {element}: {path}:{env.ignore_outcome_line} `ignore_outcome = true`: tox does not fail "
                    f"when env {name} fails"
                )
            each = Shell(True, False, "tox (each command its own process)", False, shell.environment, shell.closed)
            for command in env.commands:
                script = shlex.join(command.words)
                follow = self.hook(run_in, (*chain, element), origin)
                lost = lost_failures(script, each, follow, command.line)
                found += [f"runs {element}: {path}:{command.line} `{f.command}` {f.message}" for f in lost]
                program = posixpath.basename(command.words[0])
                if command.ignored and program not in _CANNOT_FAIL:
                    found.append(
                        f"runs {element}: {path}:{command.line} `- {script}` tox ignores its exit code (the "
                        "leading `-`)"
                    )
        return found

    def nox_messages(
        self, call: NoxCall, words: Sequence[str], shell: Shell, here: str, chain: tuple[str, ...], origin: str
    ) -> list[str]:
        """What the sessions a ``nox`` runs lose (``lakehouse.noxconfig``, the noxfile read, never run): each
        ``session.run`` as its own process, ``success_codes`` beyond 0 losing its failure; the tests they reach are
        counted, not ``nox``. No noxfile, no such session, a session skipped before its tests: no test counted."""
        shown = " ".join(words)
        if not call.runs_commands:
            self._note(f"`{shown}`", "runs no session's commands (--list, --install-only...): runs no test")
            return []
        if call.unread_option is not None:
            self._cannot_follow(origin, chain, f"`{shown}` picks sessions by `{call.unread_option}`, not read here")
            return []
        path = self.resolve(call.noxfile or NOXFILE, here, ())
        if path is None:
            self._cannot_follow(origin, chain, f"`{shown}` reads `{call.noxfile}`, a file only the run names")
            return []
        text = self._text(path)
        if text is None:
            self._note(f"`{shown}`", f"no {path} in the tree: runs no test (nox fails where it runs)")
            return []
        try:
            noxfile = read_noxfile(text)
        except NoxfileError as err:
            self._unreadable(origin, chain, f"`{shown}` reads {path}, which this reader cannot judge: {path}, {err}")
            return []
        variables = shell.variables()
        if call.sessions is None and "NOXSESSION" in variables and variables["NOXSESSION"] is None:
            self._cannot_follow(origin, chain, f"`{shown}` runs the sessions of NOXSESSION, a value only the run knows")
            return []
        names, how = noxfile.selected(call, variables)
        if not names:
            self._note(path, f"no session selected ({how}): `{shown}` runs no test")
        folder = posixpath.dirname(path)  # nox runs the sessions from the noxfile's folder
        found: list[str] = []
        done: set[str] = set()
        while names:
            name = names.pop(0)
            session = noxfile.find(name)
            if session is None:
                self._note(path, f"no session `{name}` ({how}): `{shown}` runs no test for it (nox fails)")
                continue
            if session.name in done:
                continue
            done.add(session.name)
            element = f"{path} session {session.name}"
            if not self._reachable(element, chain):
                continue
            if self._nox_skips(session, name, call, noxfile, path, element, shown, (origin, chain)):
                continue
            self._note(element, f"judged for `{shown}` ({path}:{session.line}; each command its own process)")
            found += self._nox_steps(session.steps, path, element, names, folder, shell, chain, origin)
        return found

    def _nox_skips(
        self,
        session: NoxSession,
        name: str,
        call: NoxCall,
        noxfile: Noxfile,
        path: str,
        element: str,
        shown: str,
        met: tuple[str, tuple[str, ...]],
    ) -> bool:
        """Whether nox may skip ``session`` and exit 0: missing interpreters are told not to fail it
        (``--no-error-on-missing-interpreters``, ``nox.options.error_on_missing_interpreters = False``; nox's own
        default fails them in CI) and none of the Pythons it runs with (``python=``; ``tests-3.12``: that one) is
        one the job sets up (``lakehouse.setuppython``). Noted, its tests not counted; where only the run knows
        whether the job sets one up (an expression, ``python-version-file``, ``3.x``), ``unfollowed`` (``met``: the
        origin and chain the session was reached through)."""
        skips = call.error_on_missing is False or (call.error_on_missing is None and noxfile.skips_missing_line > 0)
        wanted = [p for p in session.pythons if name in (session.name, f"{session.name}-{p}") or f"-{p}(" in name]
        if not skips or not wanted:
            return False
        why = (
            "`--no-error-on-missing-interpreters`"
            if call.error_on_missing is False
            else f"{path}:{noxfile.skips_missing_line} `nox.options.error_on_missing_interpreters = False`"
        )
        gives, unknown = self._job_gives([interpreter_version(f"py{p}") or p for p in wanted])
        if gives is None:
            self._cannot_follow(
                *met, f"`{shown}` runs session {name} with Python {', '.join(wanted)} and {why}: {unknown}"
            )
            return False
        if gives:
            return False
        have = self.job_pythons or ()
        setup = f"sets up only {', '.join(have)}" if have else "sets up no Python (actions/setup-python)"
        self._note(
            element,
            f"not counted for `{shown}`: session {name} runs with Python {', '.join(wanted)}, the job {setup}, and "
            f"{why}: nox skips it and exits 0, so it runs no test",
        )
        return True

    def _job_gives(self, versions: Sequence[str]) -> tuple[bool | None, str]:
        """Whether an ``actions/setup-python`` step of the job (``job_pythons``) installs one of ``versions``
        (``lakehouse.setuppython``): True, False, or None with why only the run knows."""
        if self.job_pythons is None:
            return None, self.job_pythons_why or "whether the job sets up that Python only the run knows"
        answers = [setup_gives(v, installed) for v in versions for installed in self.job_pythons]
        if any(gives for gives, _ in answers):
            return True, ""
        unknown = [why for gives, why in answers if gives is None]
        return (None, "; ".join(dict.fromkeys(unknown))) if unknown else (False, "")

    def _nox_steps(
        self,
        steps: Sequence[NoxStep],
        path: str,
        element: str,
        queue: list[str],
        folder: str,
        shell: Shell,
        chain: tuple[str, ...],
        origin: str,
    ) -> list[str]:
        """What one session's steps lose, each ``session.run`` judged as its own process from where the session
        is (``session.chdir``); ``notify`` adds to ``queue``; what only the run decides is ``unfollowed``."""
        found: list[str] = []
        #: The runs only the run decides that reached tests: (the step, its command, the tests it reached).
        held: list[tuple[NoxStep, str, list[str]]] = []
        run_in: str | None = folder
        moved = ""
        each = Shell(True, False, "nox (each command its own process)", False, shell.environment, shell.closed)
        inner = (*chain, element)
        for step in steps:
            where = f"{path}:{step.line}"
            if step.kind == "skip":
                what = "`return`" if step.text else "`session.skip()`"
                if step.conditional:
                    self._cannot_follow(
                        origin,
                        inner,
                        f"{where} {what} under a condition only the run decides: what follows may not run",
                    )
                else:
                    self._note(element, f"{where} {what} ends the session: what follows runs no test")
            elif step.kind == "unread":
                self._cannot_follow(origin, inner, f"{where} {step.text}")
            elif step.kind == "notify" and step.target is not None:
                queue.append(step.target)
            elif step.kind == "chdir":
                run_in = None if run_in is None or step.target is None else self.directory(run_in, (step.target,), ())
                moved = moved if step.target is not None else "$NOX_CHDIR"
            elif step.kind == "run" and step.words:
                script = shlex.join(step.words)
                if step.text:
                    self._cannot_follow(origin, inner, f"{where} `{script}`: {step.text}")
                follow = self.hook(run_in if run_in is not None else "", inner, origin)
                if run_in is None:
                    follow = _moved(follow, moved or "$NOX_CHDIR")
                captured: list[str] = []
                outer, self._capture = self._capture, captured if step.conditional else self._capture
                try:
                    lost = lost_failures(script, each, follow, step.line)
                finally:
                    self._capture = outer
                if captured:
                    held.append((step, script, captured))
                found += [f"runs {element}: {where} `{f.command}` {f.message}" for f in lost]
                if step.lost and posixpath.basename(step.words[0]) not in _CANNOT_FAIL:
                    found.append(f"runs {element}: {where} `{script}` {step.lost}")
        reaching = [step.guards for step, _, _ in held]
        for step, script, entries in held:
            unsure = unsure_guards(step.guards, reaching)
            if not unsure:  # every way through the statements around it runs tests
                self._count(entries)
                continue
            under = ", ".join(f"{path}:{g.line} `{g.header}`" for g in unsure)
            self._note(
                element,
                f"{path}:{step.line} `{script}` sits under {under}: whether it runs only the run decides, so its "
                "tests are not counted (it runs no test for sure)",
            )
        return found

    def _tox_skips(
        self,
        env: ToxEnv,
        call: ToxCall,
        config: ToxConfig,
        element: str,
        shown: str,
        origin: str,
        chain: tuple[str, ...],
    ) -> bool:
        """Whether tox may skip ``env`` and still exit 0: it asks for an interpreter (``py311``, ``basepython``) that
        no ``actions/setup-python`` step of the job installs, and missing interpreters are skipped
        (``--skip-missing-interpreters``, ``[tox] skip_missing_interpreters``, tox 4's default true). Noted: its tests
        do not count; where only the run knows whether the job sets it up (an expression, ``python-version-file``, a
        range such as ``3.x``: ``lakehouse.setuppython``), ``unfollowed``."""
        if env.python is None:
            return False
        given = call.skip_missing
        skips, why = config.skip_missing_interpreters()
        if given in ("true", "false"):
            skips, why = given == "true", f"`--skip-missing-interpreters {given}`"
        if not skips:
            return False
        written, version, where = env.python
        gives, unknown = self._job_gives([version])
        if gives is None:
            asks = f"`{shown}` runs env {env.name}, which asks for {written} ({where}), and {why}"
            self._cannot_follow(origin, chain, f"{asks}: {unknown}")
            return False
        if gives:
            return False
        have = self.job_pythons or ()
        setup = f"sets up only {', '.join(have)}" if have else "sets up no Python (actions/setup-python)"
        self._note(
            element,
            f"not counted for `{shown}`: env {env.name} asks for {written} ({where}), the job {setup}, and {why}: "
            "tox skips the env and exits 0, so it runs no test",
        )
        return True

    def _tox_config(
        self, call: ToxCall, shown: str, here: str, chain: tuple[str, ...], origin: str
    ) -> tuple[str, ToxConfig] | None:
        """(path, configuration) tox reads: ``-c``'s file or folder, else the first of ``CONFIG_FILES`` holding one
        in the folder tox runs in or the nearest folder above it (as tox finds it); None when there is none (noted)
        or it cannot be read (``unfollowed``)."""
        if call.config is not None:
            named = self.folder(call.config, here, chain)
            if named is None:
                self._cannot_follow(origin, chain, f"`{shown}` reads `{call.config}`, a file only the run names")
                return None
            is_file = posixpath.basename(named) in CONFIG_FILES or self._text(named) is not None
            candidates = [named] if is_file else [posixpath.join(named, n) for n in CONFIG_FILES]
        else:
            folders, current = [here], here
            while current:
                current = posixpath.dirname(current)
                folders.append(current)
            candidates = [posixpath.join(f, n) for f in folders for n in CONFIG_FILES]
        for path in candidates:
            text = self._text(path)
            if text is None:
                continue
            if posixpath.basename(path) in UNREAD_CONFIGS:
                self._unreadable(origin, chain, f"`{shown}` reads {path}, tox's TOML format, not read here")
                return None
            try:
                config = read_tox(posixpath.basename(path), text)
            except ToxConfigError as err:
                self._unreadable(
                    origin, chain, f"`{shown}` reads {path}, which this reader cannot judge: {path}, {err}"
                )
                return None
            if config is not None:
                return path, config
        self._note(f"`{shown}`", f"no tox configuration ({', '.join(CONFIG_FILES)}) in the tree: runs no test")
        return None

    def _file_unnamed(self, words: Sequence[str], shell: Shell, chain: tuple[str, ...], origin: str) -> None:
        """A command running a file whose path only the run knows, so no file this reader can judge (``unfollowed``):
        one of ``$GITHUB_ACTION_PATH`` (``"$GITHUB_ACTION_PATH/test.sh"``, ``bash ${{ github.action_path }}/x``) where
        no action's folder is known (a workflow's step, a script it runs) or by a name only the run knows
        (``"$GITHUB_ACTION_PATH/${{ inputs.suite }}.sh"``); one of a folder named by any other value of the run
        (``"$DIR/test.sh"``, ``bash "$DIR/test.sh"``, ``source "$X/env.sh"``, ``bash "$1"``) -- as ``cd "$DIR" &&
        ./test.sh`` is. Not: a folder the runner keeps outside the checkout (``$RUNNER_TEMP``, ``$HOME``), a test
        runner or another language's interpreter found there (``"$VENV/bin/pytest"``, ``$VENV/bin/python -m x``: a
        program, not a script of the tree, its status is its own), a virtualenv's ``bin/activate``."""
        target = self.target(words, shell)
        if target is None:
            return
        variables = shell.variables()
        folder = variables.get(ACTION_PATH)  # None: not a composite action's step
        written = target[0]
        if ACTION_PATH_WORD.match(written) or (folder is not None and written.startswith(f"{folder}/")):
            if folder is None:
                why = f"a file of the action's folder, which only a composite action's step names (`{ACTION_PATH}`)"
            else:  # "$GITHUB_ACTION_PATH/${{ inputs.suite }}.sh"
                why = "a file of the action's folder whose name only the run knows"
            self._cannot_follow(origin, chain, f"`{' '.join(words)}` runs {why}", written)
            return
        if not _RUN_TIME_FOLDER.match(written) or _program_not_script(words, target[1] is not None):
            return
        self._note(written, "not judged: a file whose path only the run knows")
        named = "" if written == words[0] else f"`{written}`, "
        what = f"`{' '.join(words)}` runs {named}a file in a folder only the run knows"
        self._cannot_follow(origin, chain, what, written)

    def make_messages(
        self,
        words: Sequence[str],
        shell: Shell,
        here: str | None,
        chain: tuple[str, ...],
        dirs: tuple[str, ...],
        origin: str = "",
    ) -> list[str]:
        """What the recipes a ``make`` runs lose (``lakehouse.makefiles``), from the Makefile of the folder it
        runs in (``here``, ``-C``) or its ``-f`` file; and a ``-i``, which ignores every failure of them, given
        on its command line or in ``MAKEFLAGS``/``GNUMAKEFLAGS`` of the environment ``shell`` gives it."""
        call = parse_make(words[1:])
        shown = " ".join(["make", *words[1:]])
        found = [f"runs `{shown}`: -i ignores every failure of its recipes"] if call.ignores_errors else []
        inherited = self._make_environment.get(chain[-1], set()) if chain else set()
        flags = {(n, v) for n, v in shell.environment if n in ("MAKEFLAGS", "GNUMAKEFLAGS")}
        for name, value in sorted(flags - inherited, key=str):
            if value is None or any(word[:1] in ("$", "`") for word in value.split()):  # a whole word the run's
                self._cannot_follow(
                    origin,
                    chain,
                    f"`{shown}` runs with {name} set to a value only the run knows (-i would ignore "
                    "every failure of its recipes)",
                )
            elif make_flags_ignore_errors(value):
                found.append(
                    f"runs `{shown}` with {name}={value} in its environment: -i ignores every failure of its recipes"
                )
        if chain and chain[-1] in self._makefiles and call.same_makefile and here == self._makefiles[chain[-1]]:
            return found  # a `$(MAKE) target` of the Makefile being judged: makefile_masking follows it
        directory = None if call.directory is None else with_action_path(call.directory, shell.variables())
        run_in = here if here is None or directory is None else self.directory(here, (directory,), chain)
        if run_in is None:
            moved = directory if directory is not None else self._unknown_folder(here or "", dirs, chain)
            self._note(f"`{shown}`", f"not judged: make runs in `{moved}`, a folder not named in the tree")
            self._cannot_follow(origin, chain, f"`{shown}` runs in `{moved}`, a folder only the run knows", moved)
            return found
        if call.runs_no_recipe:
            self._note(f"`{shown}`", "not judged: make runs none of its recipes (-n, -q, -t)")
            return found
        if call.file is not None:
            file = with_action_path(call.file, shell.variables())
            candidates = [self.resolve(file, run_in, ())]
            if candidates[0] is None and ACTION_PATH_WORD.match(file):
                self._cannot_follow(origin, chain, f"`{shown}` reads `{file}`, a file only the run names", file)
                return found
        else:
            candidates = [posixpath.join(run_in, name) for name in MAKEFILE_NAMES]
        path = next((c for c in candidates if c is not None and self._text(c) is not None), None)
        if path is None:
            named = " or ".join(str(c) for c in candidates)
            self._note(named, "no such makefile in the tree: not judged; make fails where it runs")
            return found
        text = self._text(path)
        if text is None or not self._reachable(path, chain):
            return found
        lines = self._with_includes(text, path, run_in, (*chain, path))
        text = "\n".join(line for line, _ in lines)
        goal = default_goal(text)
        targets = list(call.targets) or ([goal] if goal else [])
        self._note(path, f"judged for `make {' '.join(targets)}` (recipes run in {run_in or 'the root'})")
        self._makefiles[path] = run_in
        self._make_environment[path] = flags
        follow = self.hook(run_in, (*chain, path), origin)
        origins = [o for _, o in lines]
        problems = makefile_masking(
            text,
            targets,
            path,
            follow,
            call.assignments,
            origins,
            shell,
            run_in,
            lambda what: self._cannot_follow(origin, chain, what),
        )
        return found + [f"runs {path}: {p}" for p in problems]

    def _with_includes(
        self, text: str, path: str, run_in: str, chain: tuple[str, ...]
    ) -> list[tuple[str, tuple[str, int]]]:
        """The Makefile's lines with the files its ``include`` lines name in their place (read from the folder
        make runs in, as make does), each with the file and line it comes from."""
        lines: list[tuple[str, tuple[str, int]]] = []
        for number, line in enumerate(text.split("\n"), start=1):
            names = [self.resolve(name, run_in, ()) for name in included(line)]
            if not names:
                lines.append((line, (path, number)))
                continue
            lines.append(("", (path, number)))
            for name in names:
                other = self._text(name) if name is not None and name not in chain else None
                if name is None or other is None or len(chain) >= self.max_depth:
                    continue
                self._note(name, f"included by {path}")
                lines += self._with_includes(other, name, run_in, (*chain, name))
        return lines

    def called(
        self, words: Sequence[str], shell: Shell, cwd: str, chain: tuple[str, ...]
    ) -> tuple[str, Shell | None] | None:
        """(path in the tree, the shell that runs it, None for its ``#!`` line) of the file ``words`` runs."""
        target = self.target(words, shell)
        if target is None:
            return None
        path = self.resolve(with_action_path(target[0], shell.variables()), cwd, chain)
        return (path, target[1]) if path is not None else None

    @staticmethod
    def target(words: Sequence[str], shell: Shell) -> tuple[str, Shell | None] | None:
        """(the file as written, the shell that runs it, None for its ``#!`` line) that ``words`` run; None when they
        run no file (a command found in ``PATH``, a string, standard input)."""
        name = posixpath.basename(words[0])
        given: Shell | None = None
        if words[0] in (".", "source"):
            target = words[1] if len(words) > 1 else ""
            given = Shell(shell.errexit, shell.pipefail, f"sourced: {shell.label}", shell.bash)
        elif name in POSIX_SHELLS and ("/" not in words[0] or words[0].startswith("/")):  # bash, /usr/bin/bash
            options, operands = shell_invocation(words[1:])
            stdin = any(o[:1] == "-" and o[1:2] != "-" and "s" in o[1:] for o in options)
            if runs_string(options) or stdin or not operands:
                return None  # a string (lakehouse.shellstatus reads it) or standard input
            target = operands[0]
            errexit, pipefail = shell_flags(options)
            given = Shell(errexit, pipefail, f"`{' '.join([words[0], *options, target])}`", bash=name == "bash")
        elif "/" in words[0]:
            target = words[0]
        else:
            return None  # found in PATH, not in the checkout
        return target, given

    @staticmethod
    def resolve(target: str, cwd: str, chain: tuple[str, ...]) -> str | None:
        """``target`` as a path from the tree's root, None when it is not a file of the tree we can name."""
        path = ScriptFollower.folder(target, cwd, chain)
        return path or None

    @staticmethod
    def folder(target: str, cwd: str, chain: tuple[str, ...]) -> str | None:
        """``target`` (a file or folder) from the tree's root, ``""`` for the root itself; None when it is
        outside the tree or named by a value of the run (``$X``, ``~``, an absolute path)."""
        base = cwd
        if match := _ROOT.match(target):
            base, target = "", target[match.end() :]
        elif chain and (match := _SCRIPT_DIR.match(target)):
            base, target = posixpath.dirname(chain[-1]), target[match.end() :]
        if "$" in target or "`" in target or target.startswith(("/", "~")):
            return None
        path = posixpath.normpath(posixpath.join(base, target)) if target else base
        if path == ".." or path.startswith("../"):
            return None
        return "" if path == "." else path

    def _unknown_folder(self, cwd: str, dirs: tuple[str, ...], chain: tuple[str, ...]) -> str:
        """The first of ``dirs`` this reader cannot name (as written)."""
        here: str | None = cwd
        for target in dirs:
            here = self.folder(target, here, chain) if here is not None else None
            if here is None:
                return target
        return dirs[-1] if dirs else cwd

    def directory(self, cwd: str, dirs: tuple[str, ...], chain: tuple[str, ...]) -> str | None:
        """Where a command runs after ``cd`` to each of ``dirs`` from ``cwd`` (None: a folder we cannot name)."""
        here: str | None = cwd
        for target in dirs:
            here = None if here is None else self.folder(target, here, chain)
        return here
