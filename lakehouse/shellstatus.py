"""Which commands of a shell script can fail without failing the script: a small reader of POSIX
shell text, enough for the guard's ``run:`` steps and Makefile recipes (``lakehouse.workflows``).

A failure is *lost* when the script's exit status no longer carries it:

- an ``||`` alternative that always succeeds (``|| true``, ``|| echo skipped``, ``|| { echo x; }``,
  ``|| (echo x; true)``, ``|| exit 0``): the command before it succeeds whatever it did;
- a command piped into another (``pytest | tee log``) when the shell has no ``pipefail``: a
  pipeline's status is its last command's;
- without ``-e``, a command followed by another (``;``, a newline, a loop's next iteration): only
  the last command's status counts;
- with ``-e``, a command left of ``&&`` whose list is not the script's last command: ``-e`` ignores
  it and the script goes on (bash's and POSIX's rule);
- ``set +e`` where ``-e`` was on: from there a failing command no longer stops the script;
- a command run in the background (``&``): nobody waits for its status;
- ``trap '... exit 0' EXIT`` (or ``ERR``, or a trapped function that does ``exit 0``): the script ends 0
  whatever failed (a bare ``exit`` there keeps the status).

A failure is not lost when the script looks at it: the next command reads ``$?`` (``exit $?``,
``[ $? -eq 0 ]``, ``if [ $? -ne 0 ]``, or ``rc=$?`` with a later ``exit``/``return``/test of ``$rc``)
or, under bash, ``${PIPESTATUS[n]}`` for the n-th command of the pipeline before it (``make test |
tee log; test ${PIPESTATUS[0]} -eq 0``); a test that reads a status is then judged as a command
itself (``[ $? -eq 0 ]; echo done`` without -e loses it again). ``set +e`` is reported when a
command after it fails unseen (``set +e; pytest; rc=$?; set -e; exit $rc`` loses nothing).

Code in strings is judged too: the string of ``sh -c '...'``/``bash -ec "..."`` under the flags given
there, and ``eval``'s under the script's own; and a caller may follow the files a command runs
(``./scripts/test.sh``, ``bash x``, ``source x``, ``make test``: ``lost_failures``'s ``follow``, see
``lakehouse.shellscripts``), told where the script's ``cd``/``pushd``/``popd`` went before it (``cd ci &&
./test.sh`` runs ``ci/test.sh``; a subshell's ``cd`` stays in it; a variable set to a folder it can
name, ``ROOT="$(cd "$(dirname "$0")/.." && pwd)"``, stands for that folder in ``cd "$ROOT"`` and
``"$ROOT/x"``; a ``for`` over words written out runs its body once with each as its variable's value, a glob among
them (after bash's brace expansion: ``tests/{unit,e2e}/*.sh``) expanded by ``follow``: ``for f in tests/*.sh; do bash
"$f"; done`` runs each file). Strings and files are read
wherever they run, in a condition or left of ``||`` too: what
they lose inside, their status never shows.
Wrappers that run the command after them are seen through (``exec``, ``env``, ``/usr/bin/env``, ``sudo``,
``timeout 600``, ``nice``, ``stdbuf``, ``xvfb-run``, ``xargs``, ``flock``, ``poetry run``...). A function's
body is judged where it is called (as a script whose status is the call's), a ``case`` arm's like a branch.
A shell reading its script on standard input is read too: a here-document (``bash -e <<'EOF'``) here, a
file (``bash -e < ci/t.sh``) through ``follow``.

Variables are followed where they name a folder or reach make: the environment the caller gives the
script (``Shell.environment``: a workflow's ``env:``, a script's ``export``), its own assignments, the
variables a command line puts in its command's environment (``MAKEFLAGS=-i make``, ``env MAKEFLAGS=-i
make``) and ``env -C dir``'s folder; ``${X:-default}`` is its default when X is set nowhere a caller that
shows every variable shows (``Shell.closed``). A composite action's step has ``$GITHUB_ACTION_PATH`` in its
environment (``lakehouse.workflows``), which ``${{ github.action_path }}`` names too: the runner replaces the
expression with the same folder before the shell reads the script. Command substitutions (``$(...)``,
backquotes) compute values and are not judged, but for make, the tree's scripts and tests
(``lakehouse.testcommands``: ``pytest``, ``python -m pytest``, ``npm test``...) run there: they are followed,
and their failure is lost unless the substitution's status is the command's (``out=$(pytest)``, the last
substitution of a command of assignments only, whose status bash gives the assignment; not ``echo
"$(pytest)"``, ``export X=$(pytest)`` nor ``local x=$(make)``, whose status is the builtin's) and that
status is not lost in turn (``out=$(pytest) && echo ok`` under -e, a next line without -e); bash's
``$(...)`` runs without -e (sh's keeps it), and with the script's pipefail.

Read, not judged: the condition of an ``if``/``while``/``until`` and a pipeline negated with ``!``
(the script decided what a failure there means); functions never called; other commands in command
substitutions (values: ``$(git describe || echo dev)``, ``$(pytest --version)``), and process substitutions;
aliases and traps. The reader follows quotes,
``$(...)``, ``${...}``, backslashes, comments and here-documents, and is tolerant: text it cannot parse
is read as words.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from lakehouse.shellglob import braces, has_glob, unescape
from lakehouse.testcommands import runs_tests

#: Operators, longest first (``|&`` is bash's ``2>&1 |``).
_OPERATORS = ("&&", "||", ";;", "|&", "|", ";", "&", "(", ")", "\n")
#: Words that open or close a compound command where a command may start.
_CLOSERS = frozenset({"then", "elif", "else", "fi", "do", "done", "esac", "}"})
#: Commands that cannot fail (for this purpose): a failure of theirs is nothing to lose.
_ALWAYS_SUCCEED = frozenset({"echo", "printf", "true", ":"})
#: Commands whose failure is not a check's failure: tests (``[ -f x ] && rm x``), builtins that set
#: things (``set`` is read for ``-e``/``pipefail``), ``exit``/``return`` (their status is the script's),
#: changing directory (``cd app && npm ci``: the commands after it run elsewhere and fail there).
_HARMLESS = _ALWAYS_SUCCEED | {
    *("test", "[", "[[", "set", "exit", "return", "export", "local", "declare", "readonly"),
    *("cd", "pushd", "popd"),
}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
#: sh-like shells: ``sh -c '...'`` runs shell text, ``sh x`` a shell script.
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "mksh", "zsh"})
#: Commands that run the command after them (``exec ./x``, ``env A=1 bash -c '...'``, ``sudo -E bash x``,
#: ``timeout 600 ./x``): name -> (its options that take the next word as their argument, how many operands
#: come before the command). Their exit status is the command's (``timeout``: 124 when it ran out of time).
_WRAPPERS: dict[str, tuple[frozenset[str], int]] = {
    "exec": (frozenset({"-a"}), 0),
    "command": (frozenset(), 0),
    "time": (frozenset({"-f", "-o", "--format", "--output"}), 0),
    "nohup": (frozenset(), 0),
    "env": (frozenset({"-u", "-C", "--unset", "--chdir"}), 0),
    "sudo": (
        frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T", "--user", "--group", "--chdir"}),
        0,
    ),
    "doas": (frozenset({"-u", "-C"}), 0),
    "timeout": (frozenset({"-k", "-s", "--kill-after", "--signal"}), 1),
    "nice": (frozenset({"-n", "--adjustment"}), 0),
    "ionice": (frozenset({"-c", "-n", "--class", "--classdata"}), 0),
    "stdbuf": (frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}), 0),
    "setsid": (frozenset(), 0),
    "chronic": (frozenset(), 0),
    "unbuffer": (frozenset(), 0),
    "xvfb-run": (frozenset({"-n", "-s", "-f", "-e", "-p", "--server-num", "--server-args", "--auth-file"}), 0),
    "xargs": (frozenset({"-a", "-d", "-E", "-I", "-L", "-n", "-P", "-s", "--arg-file", "--delimiter"}), 0),
    "flock": (frozenset({"-w", "-E", "--timeout", "--conflict-exit-code"}), 1),
}
#: Tools whose ``run`` subcommand runs the command after it (``poetry run ./x``, ``uv run bash x``).
_RUNNERS = frozenset({"poetry", "pipenv", "pdm", "uv", "rye"})
_RUNNER_OPTIONS = frozenset({"--with", "--python", "-p", "--extra", "--group", "--env-file", "--project", "--package"})
#: A read of the last status (``$?``, ``${?}``) and of a pipeline member's (bash: ``${PIPESTATUS[n]}``).
_STATUS_READ = re.compile(r"\$\?|\$\{\?\}")
_PIPESTATUS_READ = re.compile(r"\$\{PIPESTATUS\[(\d+|@|\*)\]\}|\$PIPESTATUS\b")
#: ``$(cd <folder> && pwd)``: the folder, absolute; and the folders ``lakehouse.shellscripts`` can name though
#: written with ``$``: the script's own (``$(dirname "$0")``, ``${BASH_SOURCE%/*}``), the checkout's root.
_CD_PWD = re.compile(r"^\$\(\s*cd\s+(.+?)\s*&&\s*pwd(?:\s+-[PL])?\s*\)$")
_NAMED_FOLDER = re.compile(
    r"""^(?:\$\(\s*dirname\s+(?:--\s+)?"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\})"?\s*\)"""
    r"""|\$\{(?:0|BASH_SOURCE(?:\[0\])?)%/\*\}|\$GITHUB_WORKSPACE\b|\$\{GITHUB_WORKSPACE\}"""
    r"""|\$\(\s*git\s+rev-parse\s+--show-toplevel\s*\))(?:/[^$`]*)?$"""
)
#: Variables the runner sets for every step (and a login shell's): never taken as unset (``${HOME:-x}``).
RUNNER_VARIABLE = re.compile(
    r"^(?:GITHUB|RUNNER|ACTIONS|INPUT|STATE|ImageOS|ImageVersion)\w*$"
    r"|^(?:HOME|PATH|PWD|OLDPWD|USER|LOGNAME|SHELL|TMPDIR|TEMP|TMP|CI|HOSTNAME|LANG|TERM)$"
)
#: The variable a composite action's steps get naming the action's folder, and how a step names it: the variable
#: (``${GITHUB_ACTION_PATH:-.}`` too: it is set there, never empty), or GitHub's expression, which the runner
#: replaces with the same folder before the shell reads the script.
ACTION_PATH = "GITHUB_ACTION_PATH"
ACTION_PATH_WORD = re.compile(
    r"^(?:\$GITHUB_ACTION_PATH\b|\$\{GITHUB_ACTION_PATH(?::?[-=?][^}]*)?\}|\$\{\{\s*(?i:github\.action_path)\s*\}\})"
)
#: A value naming a folder from the checkout's root (``$GITHUB_WORKSPACE/.github/actions/x``): the same folder for
#: every process of the job, so passed on to the scripts a command runs (a folder named through ``$0`` is not).
_WORKSPACE_FOLDER = re.compile(r"^(?:\$GITHUB_WORKSPACE\b|\$\{GITHUB_WORKSPACE\})(?:/[^$`]*)?$")
#: Variables kept as written when part of their value is the run's (``MAKEFLAGS="-j$(nproc)"``): what reads them
#: judges their words (an option with a computed argument is still known not to be ``-i``).
_KEPT_AS_WRITTEN = frozenset({"MAKEFLAGS", "GNUMAKEFLAGS"})
#: Signals whose trap runs when the script ends or a command fails (``set -e`` then exits through it).
_ENDING_SIGNALS = frozenset({"EXIT", "0", "SIGEXIT", "ERR"})
_EXIT_ZERO = re.compile(r"(?:^|[\s;&|({])exit\s+0\b")
#: Commands that test a value: reading a status, they decide what its failure means.
_TESTS = frozenset({"test", "[", "[["})
#: The word that runs make: ``make``, ``gmake``, ``/usr/bin/make``, make's own ``$(MAKE)``, ``${MAKE:-make}``.
_MAKE_WORD = re.compile(r"^(?:(?:/usr(?:/local)?)?/bin/)?g?make$|^\$[({]MAKE(?::-g?make)?[)}]$")
_SET_PLUS_E = (
    "turns -e off: after it a failing command no longer stops the script, and only the last command's status counts"
)


@dataclass(frozen=True)
class Shell:
    """How a script is run: with ``-e`` (errexit) and/or ``-o pipefail``; ``label`` names it in messages."""

    errexit: bool
    pipefail: bool
    label: str
    #: bash (``PIPESTATUS`` is read), not another sh.
    bash: bool = False
    #: The variables the script starts with in its environment, as far as the caller shows them: (name, value),
    #: value None for one set to what only the run knows (``${{ inputs.dir }}``, ``X=$(date)``). A workflow's
    #: ``env:``, a script's ``export``, ``MAKEFLAGS=-i make``, ``env MAKEFLAGS=-i make``.
    environment: tuple[tuple[str, str | None], ...] = ()
    #: True: the caller shows every variable it sets (a workflow step whose workflow writes nothing to
    #: ``$GITHUB_ENV``), so one named nowhere is unset, and ``${CI_DIR:-ci}`` is ``ci`` (the runner's own,
    #: ``GITHUB_*``, ``RUNNER_*``, ``HOME``..., are never taken as unset).
    closed: bool = False

    def variables(self) -> dict[str, str | None]:
        """``environment`` as a mapping (a later value of a name wins)."""
        return dict(self.environment)

    def with_variables(self, values: Sequence[tuple[str, str | None]]) -> Shell:
        """This shell with ``values`` added to its environment (replacing values of the same names)."""
        merged = {**self.variables(), **dict(values)}
        return replace(self, environment=tuple(merged.items()))


@dataclass(frozen=True)
class Finding:
    """A command (``command``, as written) on ``line`` (1-based, of the script) whose failure is lost,
    and why (``message``: a phrase that follows the command)."""

    line: int
    command: str
    message: str


def shell_flags(words: Sequence[str], errexit: bool = False, pipefail: bool = False) -> tuple[bool, bool]:
    """(errexit, pipefail) after a shell's options or ``set``'s arguments (``-e``, ``-eo pipefail``,
    ``-o errexit``, ``+e``, ``+o pipefail``), starting from ``errexit`` and ``pipefail``."""
    index = 0
    while index < len(words):
        word = words[index]
        if len(word) > 1 and word[0] in "-+" and not word.startswith("--"):
            on = word[0] == "-"
            for letter in word[1:]:
                if letter == "e":
                    errexit = on
                elif letter == "o" and index + 1 < len(words):
                    index += 1
                    if words[index] == "errexit":
                        errexit = on
                    elif words[index] == "pipefail":
                        pipefail = on
        index += 1
    return errexit, pipefail


def is_make(word: str) -> bool:
    """``word`` runs make."""
    return _MAKE_WORD.match(word) is not None


# -- tokens ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    text: str  # the word as written (quotes kept), or the operator
    start: int
    end: int
    op: bool


def _skip_quoted(text: str, i: int) -> int:
    """The index after the quoted or substituted span that starts at ``i``."""
    char = text[i]
    if char == "'":
        end = text.find("'", i + 1)
        return len(text) if end < 0 else end + 1
    if char == "`":
        j = i + 1
        while j < len(text) and text[j] != "`":
            j += 2 if text[j] == "\\" else 1
        return min(j + 1, len(text))
    if char == '"':
        j = i + 1
        while j < len(text) and text[j] != '"':
            if text[j] == "\\":
                j += 2
            elif text[j] == "$" and text[j + 1 : j + 2] in ("(", "{") or text[j] == "`":
                j = _skip_quoted(text, j)
            else:
                j += 1
        return min(j + 1, len(text))
    # $( ... ), $(( ... )), ${ ... }, <( ... ), >( ... ): to the matching bracket, quotes respected
    open_, close = ("{", "}") if text[i + 1] == "{" else ("(", ")")
    depth, j = 0, i + 1
    while j < len(text):
        c = text[j]
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        elif c in "'\"`":
            j = _skip_quoted(text, j)
            continue
        elif c == "\\":
            j += 1
        j += 1
    return len(text)


def _heredoc_delimiter(text: str, i: int) -> tuple[str, bool, int] | None:
    """At ``<<`` (not ``<<<``): (delimiter, strip leading tabs, index after it)."""
    j = i + 2
    strip = text[j : j + 1] == "-"
    j += strip
    while j < len(text) and text[j] in " \t":
        j += 1
    match = re.match(r"""(['"]?)([^\s;&|<>()'"]+)\1""", text[j:])
    return (match.group(2), strip, j + match.end()) if match else None


def tokens(text: str) -> list[_Token]:
    """Words and operators of shell text (comments, here-document bodies and line continuations dropped)."""
    found: list[_Token] = []
    heredocs: list[tuple[str, bool]] = []
    start: int | None = None  # of the word being read
    i = 0

    def end_word(at: int) -> None:
        nonlocal start
        if start is not None:
            found.append(_Token(text[start:at], start, at, False))
            start = None

    while i < len(text):
        c = text[i]
        if c == "\\" and text[i + 1 : i + 2] == "\n":
            end_word(i)
            i += 2
            continue
        if c in " \t\r":
            end_word(i)
            i += 1
            continue
        if c == "#" and start is None:
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        if c == "\\":
            start = i if start is None else start
            i += 2
            continue
        if (
            c in "'\"`"
            or (c == "$" and text[i + 1 : i + 2] in ("(", "{"))
            or (c in "<>" and text[i + 1 : i + 2] == "(")
        ):
            start = i if start is None else start
            i = _skip_quoted(text, i)
            continue
        heredoc = _heredoc_delimiter(text, i) if text.startswith("<<", i) and text[i + 2 : i + 3] != "<" else None
        if heredoc is not None:
            delimiter, strip, after = heredoc
            end_word(i)
            found.append(_Token(text[i:after], i, after, False))
            heredocs.append((delimiter, strip))
            i = after
            continue
        word = text[start:i] if start is not None else ""
        redirect = (c == "&" and (word[-1:] in ("<", ">") or text[i + 1 : i + 2] == ">")) or (
            c == "|" and word[-1:] == ">"
        )
        if c == "(" and word.endswith("="):  # a bash array: a=(x y)
            i = _skip_paren(text, i)
            continue
        operator = None if redirect else next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if operator is None:
            start = i if start is None else start
            i += 1
            continue
        end_word(i)
        found.append(_Token(operator, i, i + len(operator), True))
        i += len(operator)
        if operator == "\n" and heredocs:
            i = _skip_heredocs(text, i, heredocs)
            heredocs = []
    end_word(len(text))
    return found


def _skip_paren(text: str, i: int) -> int:
    """After the ``)`` matching the ``(`` at ``i`` (a bash array ``a=(...)``)."""
    depth = 0
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif text[i] in "'\"`":
            i = _skip_quoted(text, i)
            continue
        i += 1
    return len(text)


def _skip_heredocs(text: str, i: int, heredocs: list[tuple[str, bool]]) -> int:
    """Past the bodies of the here-documents opened on the line that ends just before ``i``."""
    for delimiter, strip in heredocs:
        while i < len(text):
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            line = text[i:end]
            i = end + 1
            if (line.lstrip("\t") if strip else line) == delimiter:
                break
    return min(i, len(text))


# -- syntax ------------------------------------------------------------------------------------------------


@dataclass
class _Node:
    kind: str  # simple, group, subshell, if, loop, opaque
    start: int
    end: int
    words: list[str] = field(default_factory=list)  # simple: its words
    lists: list[_List] = field(default_factory=list)  # group/subshell: [body]; if: cond, body, ...; loop: [cond?, body]
    conditions: frozenset[int] = frozenset()  # indexes into ``lists`` that are conditions


@dataclass
class _Pipeline:
    commands: list[_Node]
    negated: bool


@dataclass
class _AndOr:
    pipelines: list[_Pipeline]
    ops: list[str]  # between pipelines: && or ||


@dataclass
class _List:
    items: list[tuple[_AndOr, str]]  # and-or list and the separator after it (; & newline, or "")


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokens(text)
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def at_word(self, *words: str) -> bool:
        tok = self.peek()
        return tok is not None and not tok.op and tok.text in words

    def at_op(self, *ops: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.op and tok.text in ops

    def skip_newlines(self) -> None:
        while self.at_op("\n"):
            self.pos += 1

    def script(self) -> _List:
        items: list[tuple[_AndOr, str]] = []
        while self.pos < len(self.toks):
            items += self.list_().items
            if self.pos < len(self.toks):  # a stray closer: read past it
                self.pos += 1
        return _List(items)

    def list_(self) -> _List:
        items: list[tuple[_AndOr, str]] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None or (tok.op and tok.text in (")", ";;")) or (not tok.op and tok.text in _CLOSERS):
                return _List(items)
            if tok.op and tok.text in (";", "&", "||", "&&", "|", "|&"):  # nothing before it: read past
                self.pos += 1
                continue
            and_or = self.and_or()
            sep = ""
            if self.at_op(";", "&", "\n"):
                sep = self.toks[self.pos].text
                self.pos += 1
            items.append((and_or, sep))

    def and_or(self) -> _AndOr:
        pipelines, ops = [self.pipeline()], []
        while self.at_op("&&", "||"):
            ops.append(self.toks[self.pos].text)
            self.pos += 1
            self.skip_newlines()
            pipelines.append(self.pipeline())
        return _AndOr(pipelines, ops)

    def pipeline(self) -> _Pipeline:
        negated = self.at_word("!")
        self.pos += negated
        commands = [self.command()]
        while self.at_op("|", "|&"):
            self.pos += 1
            self.skip_newlines()
            commands.append(self.command())
        return _Pipeline(commands, negated)

    def expect(self, word: str) -> None:
        if self.at_word(word):
            self.pos += 1

    def command(self) -> _Node:
        tok = self.peek()
        if tok is None:
            return _Node("simple", 0, 0)
        start = tok.start
        if tok.op and tok.text == "(":
            self.pos += 1
            body = self.list_()
            if self.at_op(")"):
                self.pos += 1
            node = _Node("subshell", start, self.last_end(), lists=[body])
        elif not tok.op and tok.text == "{":
            self.pos += 1
            body = self.list_()
            self.expect("}")
            node = _Node("group", start, self.last_end(), lists=[body])
        elif not tok.op and tok.text == "if":
            node = self.if_(start)
        elif not tok.op and tok.text in ("while", "until"):
            self.pos += 1
            condition = self.list_()
            self.expect("do")
            body = self.list_()
            self.expect("done")
            node = _Node("loop", start, self.last_end(), lists=[condition, body], conditions=frozenset({0}))
        elif not tok.op and tok.text in ("for", "select"):
            self.pos += 1
            header: list[_Token] = []
            while self.peek() is not None and not self.at_word("do") and not self.at_op("(", ")"):
                header.append(self.toks[self.pos])  # the name, `in` and its words, the separators
                self.pos += 1
            self.expect("do")
            body = self.list_()
            self.expect("done")
            node = _Node("loop", start, self.last_end(), words=_for_words(header), lists=[body])
        elif not tok.op and tok.text == "case":
            node = self.case_(start)
        elif not tok.op and tok.text == "function" and self.pos + 1 < len(self.toks) and not self.toks[self.pos + 1].op:
            name = self.toks[self.pos + 1].text  # function name [()] compound-command
            self.pos += 2
            if self.at_op("("):
                self.pos += 1
                self.expect_op(")")
            return self.function_body(start, name)
        else:
            words = []
            while (tok := self.peek()) is not None and not tok.op:
                words.append(tok.text)
                self.pos += 1
            if self.at_op("(") and len(words) == 1:  # a function definition: name () compound-command
                self.pos += 1
                self.expect_op(")")
                return self.function_body(start, words[0])
            return _Node("simple", start, self.last_end() if words else start, words=words)
        while (tok := self.peek()) is not None and not tok.op:  # redirections after a compound command
            self.pos += 1
        node.end = self.last_end()
        return node

    def expect_op(self, op: str) -> None:
        if self.at_op(op):
            self.pos += 1

    def function_body(self, start: int, name: str) -> _Node:
        """``name () body``: a node holding the body, judged where the function is called."""
        self.skip_newlines()
        body = self.command()
        and_or = _AndOr([_Pipeline([body], False)], [])
        return _Node("function", start, self.last_end(), words=[name], lists=[_List([(and_or, "")])])

    def case_(self, start: int) -> _Node:
        """``case word in pattern) list ;; ... esac``: each arm's list (patterns are not judged)."""
        self.pos += 1  # case
        while self.peek() is not None and not self.at_word("in"):
            self.pos += 1
        self.expect("in")
        arms: list[_List] = []
        while True:
            self.skip_newlines()
            if self.peek() is None or self.at_word("esac"):
                break
            while (tok := self.peek()) is not None and not (tok.op and tok.text == ")"):
                self.pos += 1  # the pattern: words, `(`, `|`
            self.expect_op(")")
            arms.append(self.list_())
            while self.at_op(";;", ";", "&"):  # ;; and bash's ;& ;;&
                self.pos += 1
        self.expect("esac")
        return _Node("case", start, self.last_end(), lists=arms)

    def if_(self, start: int) -> _Node:
        lists: list[_List] = []
        conditions: set[int] = set()
        self.pos += 1  # if
        while True:
            conditions.add(len(lists))
            lists.append(self.list_())
            self.expect("then")
            lists.append(self.list_())
            if self.at_word("elif"):
                self.pos += 1
                continue
            if self.at_word("else"):
                self.pos += 1
                lists.append(self.list_())
            self.expect("fi")
            return _Node("if", start, self.last_end(), lists=lists, conditions=frozenset(conditions))

    def last_end(self) -> int:
        return self.toks[self.pos - 1].end if self.pos else 0


# -- what happens to a failure -----------------------------------------------------------------------------

#: What a non-zero status of a command leads to: ``stop`` (-e ends the script), ``final`` (it is the
#: script's status), ``handled`` (a condition, or an ``||`` alternative runs), ``lost`` (see ``why``).
_STOP, _FINAL, _HANDLED, _LOST = "stop", "final", "handled", "lost"


@dataclass(frozen=True)
class _Fate:
    kind: str
    why: str = ""
    sequence: bool = False  # lost to a next command without -e (reported once, at `set +e`, after one)


@dataclass
class _State:
    errexit: bool
    pipefail: bool
    #: where `set +e` turned -e off (reported when a command after it fails unseen)
    dropped_at: tuple[int, int] | None = None
    #: the folders ``cd`` went to since the script started, as written (``~``: one nobody can name)
    dirs: tuple[str, ...] = ()
    #: ``pushd``'s stack: ``dirs`` as they were before each ``pushd``
    pushed: tuple[tuple[str, ...], ...] = ()
    #: ``dirs`` before the last ``cd`` (where ``cd -`` goes back to; None: before the script, unknown)
    previous: tuple[str, ...] | None = None


def _name_and_args(words: Sequence[str]) -> tuple[str, list[str]]:
    """The command's name (past assignments and redirections, unquoted) and the words after it."""
    for index, word in enumerate(words):
        if _ASSIGNMENT.match(word) or re.match(r"^\d*[<>&]", word):
            continue
        return word.strip("'\""), [w.strip("'\"") for w in words[index + 1 :]]
    return "", []


def _substituted(word: str) -> list[str]:
    """The scripts of the command substitutions in a word (``$(...)``, backquotes; also inside double quotes),
    not arithmetic (``$((...))``) nor what single quotes or ``${...}`` hold."""
    bodies: list[str] = []
    quoted = False
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\":
            i += 2
        elif c == "'" and not quoted:
            i = _skip_quoted(word, i)
        elif c == '"':
            quoted = not quoted
            i += 1
        elif c == "$" and word[i + 1 : i + 2] in ("(", "{"):
            end = _skip_quoted(word, i)
            if word[i + 1 : i + 3] not in ("((", "{") and not word.startswith("${", i):
                bodies.append(word[i + 2 : end - 1])
            i = end
        elif c == "`":
            end = _skip_quoted(word, i)
            bodies.append(word[i + 1 : end - 1])
            i = end
        else:
            i += 1
    return bodies


def _passed_on(name: str, value: str | None) -> str | None:
    """An exported variable's value as the commands the script runs see it through this reader (None: the run's)."""
    if value is None or ("$" not in value and "`" not in value):
        return value
    return value if name in _KEPT_AS_WRITTEN or _WORKSPACE_FOLDER.match(value) else None


def with_action_path(word: str, variables: Mapping[str, str | None]) -> str:
    """``word`` with a leading ``$GITHUB_ACTION_PATH``, ``${GITHUB_ACTION_PATH}`` or ``${{ github.action_path }}``
    replaced by the action's folder when ``variables`` (a composite action step's environment) name it; as it is
    otherwise (a workflow's step has no action folder)."""
    match = ACTION_PATH_WORD.match(word)
    folder = variables.get(ACTION_PATH)
    return word if match is None or folder is None else folder + word[match.end() :]


def _runs_code(command: str) -> bool:
    """The command (text) runs make, a file of the tree (a script by its path, a shell given a file, ``source``)
    or tests (``lakehouse.testcommands``: ``pytest``, ``python -m pytest``, ``npm test``...)."""
    words: list[str] = []
    for tok in tokens(command):
        if tok.op:
            break
        words.append(tok.text)
    words = command_words(words)
    if not words:
        return False
    name = posixpath.basename(words[0])
    return (
        is_make(words[0])
        or words[0] in (".", "source")
        or "/" in words[0]
        or (name in POSIX_SHELLS and bool(shell_invocation(words[1:])[1]))
        or runs_tests(words)
    )


def _for_words(header: Sequence[_Token]) -> list[str]:
    """``[name, *words]`` of a ``for name in words`` whose words are written out (no ``$``, backquote), as written
    (quotes kept: a quoted ``*`` is no glob), else ``[]`` (``for x in $(ls)``, ``for x; do``: the run's values)."""
    words = [t.text for t in header if not t.op]
    if len(words) < 3 or words[1] != "in" or not re.match(r"^\w+$", words[0]):
        return []
    return words if not any(c in w for w in words[2:] for c in "$`") else []


def glob_pattern(word: str) -> str:
    """A word as a pattern for ``lakehouse.shellglob``: quotes removed, and what they (or a backslash) quoted
    escaped with a backslash where it would be a glob or brace character (``"tests"/*.sh``: ``tests/*.sh``;
    ``'*'.sh``: ``\\*.sh``; ``"{a,b}"``: ``\\{a\\,b\\}``)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\":
            out.append(_glob_escaped(word[i + 1 : i + 2]))
            i += 2
        elif c in "'\"":
            end = word.find(c, i + 1)
            end = len(word) if end < 0 else end
            out.append("".join(_glob_escaped(q) for q in unquote(word[i : end + 1])))
            i = end + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _glob_escaped(char: str) -> str:
    return f"\\{char}" if char in "*?[]\\{}," else char


def _always_succeeds(pipeline: _Pipeline) -> bool:
    """The pipeline's status is always 0: ``true``, ``:``, ``echo``/``printf``, ``exit 0``/``return 0``,
    or a group or subshell whose last command is one of these."""
    if pipeline.negated:
        return False
    last = pipeline.commands[-1]
    if last.kind in ("group", "subshell"):
        items = last.lists[0].items
        return bool(items) and _always_succeeds(items[-1][0].pipelines[-1])
    if last.kind != "simple":
        return False
    name, args = _name_and_args(last.words)
    return name in _ALWAYS_SUCCEED or (name in ("exit", "return") and args[:1] == ["0"])


#: Follows a command into the file it runs (``lakehouse.shellscripts``): given the command's words (unquoted,
#: see ``command_words``), the shell where it runs and the folders ``cd`` went to before it in the calling
#: script (as written, ``~`` for one nobody can name), a phrase for each failure lost in that file, e.g.
#: ``runs scripts/t.sh (...): scripts/t.sh:3 `pytest || true` succeeds whatever...``.
#: ``at``: where the command is in the calling file (``line 3``; ``""``: not said), for what cannot be followed.
#: ``glob``: ``words`` is one ``for`` word with a glob (``glob_pattern``'s), and the answer bash's expansion of it where
#: the command runs (``lakehouse.shellglob``: the word itself when nothing matches), ``[]`` when it cannot be told.
class Follow(Protocol):
    def __call__(
        self, words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]: ...


def unquote(word: str) -> str:
    """A word as the shell passes it on: quotes removed, backslash escapes resolved; ``$(...)``, ``${...}`` and
    backquotes kept as written (their value is the run's)."""
    out: list[str] = []
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\":
            out.append(word[i + 1 : i + 2])
            i += 2
        elif c == "'":
            end = word.find("'", i + 1)
            end = len(word) if end < 0 else end
            out.append(word[i + 1 : end])
            i = end + 1
        elif c == '"':
            j = i + 1
            while j < len(word) and word[j] != '"':
                if word[j] == "\\" and word[j + 1 : j + 2] in ("$", "`", '"', "\\", "\n"):
                    out.append(word[j + 1])
                    j += 2
                elif (word[j] == "$" and word[j + 1 : j + 2] in ("(", "{")) or word[j] == "`":
                    k = _skip_quoted(word, j)
                    out.append(word[j:k])
                    j = k
                else:
                    out.append(word[j])
                    j += 1
            i = j + 1
        elif (c == "$" and word[i + 1 : i + 2] in ("(", "{")) or c == "`":
            k = _skip_quoted(word, i)
            out.append(word[i:k])
            i = k
        else:
            out.append(c)
            i += 1
    return "".join(out)


#: A redirection operator whose target is the next word (``> log``), and one with its target attached (``2>&1``).
_REDIRECT_ALONE = re.compile(r"^\d*(?:>>?|<|&>>?|>&|<&|<>|>\|)$")
_REDIRECT = re.compile(r"^(?:\d*[<>]|&>)")


@dataclass(frozen=True)
class CommandParts:
    """What a simple command runs, and how: ``words`` (unquoted, see ``command_words``), the variables it puts in
    that command's environment (``MAKEFLAGS=-i make``, ``env MAKEFLAGS=-i make``: name, value unquoted) and
    the folders a wrapper runs it in (``env -C ci make``, ``sudo -D ci``; GNU env's ``--chdir``)."""

    words: list[str]
    assignments: list[tuple[str, str]]
    chdir: list[str]


#: Wrappers' options that name the folder the command runs in.
_CHDIR_OPTIONS = {"env": ("-C", "--chdir"), "sudo": ("-D", "--chdir")}


def command_words(words: Sequence[str]) -> list[str]:
    """The words of the command a simple command runs, unquoted: redirections, leading assignments and
    wrappers that run the command after them (``exec``, ``env A=1``, ``/usr/bin/env``, ``sudo -E``, ``timeout
    600``, ``nice -n 5``, ``xargs``, ``poetry run``..., with their options) left out."""
    return command_parts(words).words


def command_parts(words: Sequence[str]) -> CommandParts:
    """``command_words`` with the assignments and folders the words left out give the command."""
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif _REDIRECT_ALONE.match(word):
            skip = True
        elif not _REDIRECT.match(word):
            kept.append(word)
    assignments: list[tuple[str, str]] = []
    chdir: list[str] = []
    i = 0
    while i < len(kept):
        name = unquote(kept[i])
        name = posixpath.basename(name) if name.startswith("/") else name  # /usr/bin/env, /usr/bin/timeout
        if _ASSIGNMENT.match(kept[i]):
            variable, _, value = kept[i].partition("=")
            assignments.append((variable, value))
            i += 1
        elif name in _RUNNERS and i + 1 < len(kept) and unquote(kept[i + 1]) == "run":
            i = _past_options(kept, i + 2, _RUNNER_OPTIONS, 0)
        elif name in _WRAPPERS and not (name == "command" and kept[i + 1 : i + 2] and kept[i + 1].startswith("-")):
            i = _past_options(kept, i + 1, *_WRAPPERS[name], assignments, chdir, _CHDIR_OPTIONS.get(name, ()))
        else:
            break
    return CommandParts([unquote(w) for w in kept[i:]], [(n, unquote(v)) for n, v in assignments], chdir)


def _past_options(
    words: Sequence[str],
    i: int,
    with_argument: frozenset[str],
    operands: int,
    assignments: list[tuple[str, str]] | None = None,
    chdir: list[str] | None = None,
    chdir_options: tuple[str, ...] = (),
) -> int:
    """The index of the command a wrapper runs: past its options (and their arguments, ``--``), the
    variables it sets (``env``, ``sudo``: ``A=1``, added to ``assignments``) and its ``operands``
    (``timeout``'s duration); the folder of a ``chdir_options`` option (``-C dir``, ``-Cdir``, ``--chdir=dir``)
    added to ``chdir``."""
    while i < len(words) and (words[i].startswith("-") or _ASSIGNMENT.match(words[i])):
        option = unquote(words[i])
        i += 1
        if option == "--":
            break
        if _ASSIGNMENT.match(words[i - 1]):
            if assignments is not None:
                variable, _, value = words[i - 1].partition("=")
                assignments.append((variable, value))
            continue
        short, long_ = (chdir_options + ("", ""))[:2]
        if short and option.startswith(short) and len(option) > len(short) and chdir is not None:
            chdir.append(unquote(option[len(short) :]))  # -Cci
        elif long_ and option.startswith(long_ + "=") and chdir is not None:
            chdir.append(unquote(option.partition("=")[2]))  # --chdir=ci
        elif option in with_argument or (long_ and option == long_):
            if option in chdir_options and chdir is not None and i < len(words):
                chdir.append(unquote(words[i]))
            i += 1
    return min(i + operands, len(words))


def shell_invocation(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(options, operands) of an sh-like shell's arguments (``bash -eo pipefail x.sh a`` -> ``[-eo, pipefail]``,
    ``[x.sh, a]``): options until the first operand or ``--``, ``-o``/``+o`` with their name."""
    options: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            index += 1
            break
        if len(arg) < 2 or arg[0] not in "-+":
            break
        options.append(arg)
        if not arg.startswith("--") and "o" in arg[1:] and index + 1 < len(args):
            index += 1
            options.append(args[index])
        index += 1
    return options, list(args[index:])


def runs_string(options: Sequence[str]) -> bool:
    """The shell runs its first operand as a string (``-c``, alone or among short options)."""
    return any(o[:1] in "-+" and not o.startswith("--") and "c" in o[1:] for o in options)


@dataclass(frozen=True)
class _Capture:
    """What the command after a list reads of it: its status (``$?``), its pipeline's members (``PIPESTATUS``)."""

    status: bool
    members: frozenset[int]


class _Judge:
    def __init__(self, text: str, shell: Shell, follow: Follow | None = None, first_line: int = 1) -> None:
        self.text = text
        #: The line of the calling file the text's first line is (a string's, a substitution's: where it is).
        self.first_line = first_line
        self.shell = shell
        self.follow = follow
        self.state = _State(shell.errexit, shell.pipefail)
        self.findings: list[Finding] = []
        #: Tests that read a status (``[ $? -eq 0 ]``): judged as commands, their failure is the status's.
        self.checks: set[int] = set()
        #: Variables holding a status (``rc=$?``): a test of them is a check too.
        self.status_vars: set[str] = set()
        #: Variables set so far, from the environment the script started with and its own assignments: name ->
        #: value as this reader can name it (a folder ``ROOT=$(cd "$(dirname "$0")/.." && pwd)`` as written),
        #: None for a value only the run knows. And those in the environment of the commands it runs.
        self.values: dict[str, str | None] = shell.variables()
        self.exported: dict[str, None] = dict.fromkeys(self.values)
        #: Functions defined so far (name -> body), judged where they are called; those being judged now.
        self.functions: dict[str, _Node] = {}
        self.calling: set[str] = set()

    def line(self, offset: int) -> int:
        return self.text.count("\n", 0, offset) + 1

    def source(self, start: int, end: int) -> str:
        return " ".join(self.text[start:end].split())

    def add(self, finding: Finding) -> None:
        if finding not in self.findings:
            self.findings.append(finding)

    def report(self, start: int, end: int, message: str) -> None:
        self.add(Finding(self.line(start), self.source(start, end), message))

    def current_shell(self) -> Shell:
        """The shell as it is now, with the variables it exports (a value naming a folder through ``$0`` is this
        script's, not the next one's: unknown there; one from the checkout's root, ``$GITHUB_WORKSPACE/x``, is
        everyone's)."""
        environment = tuple(
            (name, _passed_on(name, self.values[name])) for name in self.exported if name in self.values
        )
        return Shell(
            self.state.errexit, self.state.pipefail, self.shell.label, self.shell.bash, environment, self.shell.closed
        )

    def list_(self, node: _List, fate: _Fate) -> None:
        for index, (and_or, sep) in enumerate(node.items):
            last = index == len(node.items) - 1
            captured = None if last or sep == "&" else self.captured(and_or, node.items[index + 1][0])
            members = captured.members if captured else frozenset()
            if sep == "&":
                start, end = and_or.pipelines[0].commands[0].start, and_or.pipelines[-1].commands[-1].end
                if fate.kind != _HANDLED:
                    self.report(start, end, "runs in the background (`&`): nothing waits for its status")
                self.and_or(and_or, _Fate(_HANDLED))
            elif last or fate.kind == _HANDLED:
                self.and_or(and_or, fate)
            elif captured is not None and captured.status:  # the next command reads its status
                self.and_or(and_or, _Fate(_FINAL), members)
            elif self.state.errexit:
                self.and_or(and_or, _Fate(_STOP), members)
            else:
                following = "`;`" if sep == ";" else "another line"
                why = (
                    f"fails unseen: {following} follows it and without -e ({self.shell.label}) only the last "
                    "command's status counts"
                )
                self.and_or(and_or, _Fate(_LOST, why, sequence=True), members)

    def captured(self, and_or: _AndOr, following: _AndOr) -> _Capture | None:
        """What ``following`` (the next command) reads of ``and_or``'s status, when it checks it: an ``exit`` or
        ``return`` with it, a test or an ``if``/``while`` condition reading it, or ``rc=$?`` whose ``$rc`` a
        later ``exit``, ``return`` or test reads."""
        first = following.pipelines[0].commands[0]
        in_condition = False
        while first.kind in ("if", "loop") and 0 in first.conditions and first.lists[0].items:
            first = first.lists[0].items[0][0].pipelines[0].commands[0]
            in_condition = True
        if first.kind != "simple":
            return None
        if not in_condition and command_words(first.words) in (["exit"], ["return"]):
            return _Capture(True, frozenset())  # a bare `exit`/`return` exits with the last command's status
        text = " ".join(first.words)
        members: set[int] = set()
        if self.shell.bash and len(and_or.pipelines) == 1:
            size = len(and_or.pipelines[0].commands)
            for match in _PIPESTATUS_READ.finditer(text):
                index = match.group(1) or "0"
                members |= set(range(size)) if index in ("@", "*") else {int(index)}
        status = bool(_STATUS_READ.search(text))
        if not status and not members:
            return None
        words = command_words(first.words)
        name = words[0] if words else ""
        if in_condition or name in ("exit", "return"):
            pass
        elif name in _TESTS:
            self.checks.add(id(first))
        elif name in ("", "local", "declare", "typeset", "readonly", "export"):
            held = [w.split("=", 1)[0] for w in first.words if _ASSIGNMENT.match(w) and "$" in w.split("=", 1)[1]]
            held += [w.split("=", 1)[0] for w in words[1:] if _ASSIGNMENT.match(w)]
            checked = [v for v in held if self.checked_later(v, first.end)]
            if not checked:
                return None
            self.status_vars.update(checked)
        else:
            return None
        # A script that reads PIPESTATUS chose which of the pipeline's statuses count (`tee`'s need not).
        return _Capture(status or bool(members), frozenset(members))

    def checked_later(self, variable: str, offset: int) -> bool:
        """A later ``exit``, ``return`` or test reads ``$variable``."""
        pattern = r"(?:\bexit|\breturn|\[|\btest)\s[^\n;&|]*\$\{?" + re.escape(variable) + r"\b"
        return re.search(pattern, self.text[offset:]) is not None

    def and_or(self, node: _AndOr, fate: _Fate, members: frozenset[int] = frozenset()) -> None:
        first = node.pipelines[0].commands[0].start
        for index, pipeline in enumerate(node.pipelines):
            later = node.ops[index:]
            if "||" in later:  # a failure here runs the alternative after the next ||
                alternative = node.pipelines[index + 1 + later.index("||")]
                if later[0] == "||" and _always_succeeds(alternative) and fate.kind != _HANDLED:
                    shown = self.source(alternative.commands[0].start, alternative.commands[-1].end)
                    self.report(
                        first,
                        alternative.commands[-1].end,
                        f"succeeds whatever its command did: its `||` alternative `{shown}` always succeeds",
                    )
                self.pipeline(pipeline, _Fate(_HANDLED))
            elif later:  # left of && with no || after it: the list's status is this failure's
                if fate.kind == _STOP:
                    why = "fails unseen: -e ignores a failure left of `&&`, and the script goes on"
                    self.pipeline(pipeline, _Fate(_LOST, why))
                else:
                    self.pipeline(pipeline, fate)
            else:
                self.pipeline(pipeline, fate, members)

    def pipeline(self, node: _Pipeline, fate: _Fate, members: frozenset[int] = frozenset()) -> None:
        """``members``: the commands whose status the next command reads (``${PIPESTATUS[n]}``)."""
        if node.negated:
            fate = _Fate(_HANDLED)
        last = node.commands[-1]
        for index, command in enumerate(node.commands[:-1]):
            if self.state.pipefail or fate.kind == _HANDLED:
                self.command(command, fate)
            elif index in members:
                self.command(command, _Fate(_FINAL))
            else:
                into = self.source(last.start, last.end)
                why = (
                    f"fails unseen: it is piped into `{into}` and without pipefail ({self.shell.label}) a "
                    "pipeline's status is its last command's"
                )
                self.command(command, _Fate(_LOST, why))
        self.command(last, _Fate(_FINAL) if len(node.commands) - 1 in members and fate.kind == _LOST else fate)

    def command(self, node: _Node, fate: _Fate) -> None:
        if node.kind == "simple":
            self.simple(node, fate)
        elif node.kind == "group":
            self.list_(node.lists[0], fate)
        elif node.kind == "subshell":  # its own shell: `set` inside stays inside; its status is its last command's
            saved = replace(self.state)
            self.list_(node.lists[0], _Fate(_FINAL) if fate.kind == _STOP else fate)
            self.state = saved
        elif node.kind == "function":
            self.functions[node.words[0]] = node.lists[0].items[0][0].pipelines[0].commands[0]
        elif node.kind == "case":
            for body in node.lists:
                self.list_(body, fate)
        elif node.kind in ("if", "loop"):
            for index, body in enumerate(node.lists):
                if index in node.conditions:
                    self.list_(body, _Fate(_HANDLED))
                elif node.kind == "loop" and not self.state.errexit and fate.kind != _HANDLED:
                    why = (
                        f"fails unseen: it runs in a loop and without -e ({self.shell.label}) only the last "
                        "iteration's status counts"
                    )
                    self.each_value(node, body, _Fate(_LOST, why, sequence=True))
                else:
                    self.each_value(node, body, fate)

    def each_value(self, node: _Node, body: _List, fate: _Fate) -> None:
        """A loop's body; a ``for`` over words written out (``for d in ci e2e``) once with each as its variable's
        value (``cd "$d" && make test`` runs make in each folder), and that variable's value the run's after it.
        A glob among them (``for f in tests/*.sh``) is expanded over the tree where the loop runs (``follow``'s
        ``glob``); one that cannot be (no ``follow``, no listing of the tree) leaves the values the run's: the body
        is judged once with the variable unknown (``bash "$f"`` runs a file only the run knows)."""
        if node.kind != "loop" or not node.words:
            self.list_(body, fate)
            return
        name, _, *words = node.words
        values: list[str] | None = []
        for pattern in (p for word in words for p in braces(glob_pattern(word))):
            if not has_glob(pattern):
                values = None if values is None else [*values, unescape(pattern)]
                continue
            at = f"line {self.first_line + self.line(node.start) - 1}"
            expanded = (
                self.follow([pattern], self.current_shell(), self.state.dirs, at, glob=True) if self.follow else []
            )
            values = None if values is None or not expanded else [*values, *expanded]
        for value in values if values is not None else [None]:
            self.values[name] = value
            self.list_(body, fate)
        self.values[name] = None

    def simple(self, node: _Node, fate: _Fate) -> None:
        name, args = _name_and_args(node.words)
        self.remember_variables(node.words)
        self.substitutions(node, fate)
        if name in ("cd", "pushd", "popd"):
            self.change_directory(command_words(node.words))
        if name == "trap" and fate.kind != _HANDLED:
            self.trap(node, command_words(node.words)[1:])
        if name in self.functions and name not in self.calling:
            # Its body runs here, in this shell: judged as a script whose status is the call's (its last
            # command's, which `-e` then checks: bash's `f() { false && true; }; f` stops, where a group goes on).
            self.calling.add(name)
            self.command(self.functions[name], _Fate(_FINAL))
            self.calling.discard(name)
        if name == "set":
            errexit, pipefail = shell_flags(args, self.state.errexit, self.state.pipefail)
            if self.state.errexit and not errexit and fate.kind != _HANDLED:
                self.state.dropped_at = (node.start, node.end)  # reported when a command after it fails unseen
            if errexit:
                self.state.dropped_at = None
            self.state.errexit, self.state.pipefail = errexit, pipefail
            return
        self.inner(node)  # a file or string it runs loses its failures inside whatever is done with its status
        checking = id(node) in self.checks or (
            name in _TESTS
            and any(re.search(r"\$\{?" + re.escape(v) + r"\b", w) for v in self.status_vars for w in node.words)
        )
        if fate.kind != _LOST or not name or (name in _HARMLESS and not checking):
            return
        if all(_ASSIGNMENT.match(w) for w in node.words) and not any("$(" in w or "`" in w for w in node.words):
            return
        if fate.sequence and self.state.dropped_at is not None:
            self.report(*self.state.dropped_at, _SET_PLUS_E)
            return
        self.report(node.start, node.end, fate.why)

    def trap(self, node: _Node, args: Sequence[str]) -> None:
        """``trap 'exit 0' EXIT`` (or ``ERR``, or a function that does ``exit 0``): when the script ends, or a
        command fails, it exits 0 whatever failed (a bare ``exit`` there keeps the status: POSIX)."""
        if len(args) < 2 or args[0].startswith("-") or not {a.upper() for a in args[1:]} & _ENDING_SIGNALS:
            return
        action = args[0]
        called = self.functions.get(action.split()[0]) if action.split() else None
        code = self.text[called.start : called.end] if called is not None else action
        if _EXIT_ZERO.search(code):
            signals = " ".join(args[1:])
            self.report(node.start, node.end, f"exits 0 on {signals}: the script succeeds whatever failed before")

    def remember_variables(self, words: Sequence[str]) -> None:
        """``ROOT="$(cd "$(dirname "$0")/.." && pwd)"``, ``HERE=$(dirname "$0")``, ``ci=ci``, ``export MAKEFLAGS=-i``:
        a variable whose value this reader can name (``cd "$ROOT"`` then goes there), or ``$GITHUB_ACTION_PATH``
        where no action's folder is known (kept as written: ``"$HERE/t.sh"`` is then a file only the run names); any
        other value is one only the run knows. Assignments before a command name are that command's (``inner``)."""
        declaration = bool(words) and words[0] in ("export", "local", "readonly", "declare", "typeset")
        exports = declaration and (words[0] == "export" or any(re.match(r"^-\w*x", w) for w in words[1:]))
        if words[:1] == ["unset"]:
            for name in words[1:]:
                self.values.pop(name, None)
                self.exported.pop(name, None)
            return
        if not declaration and not (words and all(_ASSIGNMENT.match(w) for w in words)):
            return
        for word in [w for w in words[1:] if not w.startswith("-")] if declaration else words:
            if not _ASSIGNMENT.match(word):
                if exports and re.match(r"^\w+$", word):
                    self.exported[word] = None  # `export X`: its value as it is
                continue
            variable, value = word.split("=", 1)
            append = variable.endswith("+")
            variable = variable.rstrip("+")
            value = self.expand(unquote(value))
            match = _CD_PWD.match(value)
            if match:
                value = self.expand(unquote(match.group(1)))
            named = (
                "$" not in value
                and "`" not in value
                or _NAMED_FOLDER.match(value)
                or variable in _KEPT_AS_WRITTEN
                or ACTION_PATH_WORD.match(value)  # no action's folder here: kept, so what runs there is told
            )
            known: str | None = value if named else None
            if append:
                before = self.values.get(variable, "")
                known = None if before is None or known is None else before + known
            self.values[variable] = known
            if exports:
                self.exported[variable] = None

    def expand(self, word: str) -> str:
        """``word`` with a leading ``$VAR``/``${VAR}`` replaced by the value ``remember_variables`` knows, and
        ``${VAR:-default}``/``${VAR-default}`` by its default when the variable is unset: never set by the
        script, and not in the environment of a caller that shows every variable (``Shell.closed``); a leading
        ``${{ github.action_path }}`` by the action's folder when the script's environment names it."""
        word = with_action_path(word, self.values)
        match = re.match(r"^\$(?:\{(\w+)(?:(:?[-=])([^}]*))?\}|(\w+))", word)
        if match is None:
            return word
        name, operator, default = match.group(1) or match.group(4), match.group(2), match.group(3)
        rest = word[match.end() :]
        if name in self.values:
            value = self.values[name]
            if value is None:
                return word
            if value == "" and operator is not None and operator.startswith(":"):
                return self.expand(unquote(default)) + rest
            return value + rest
        if operator is not None and self.shell.closed and not RUNNER_VARIABLE.match(name):
            return self.expand(unquote(default)) + rest  # unset: the default
        return word

    def substitutions(self, node: _Node, outer: _Fate) -> None:
        """make, a script of the tree or tests (``pytest``: ``lakehouse.testcommands``) run inside ``$(...)`` or
        backquotes: the Makefile or script is followed, and their failure is lost unless the substitution's status
        is the command's (``out=$(pytest)``, the last substitution of a command of assignments only, whose status
        bash gives the assignment; ``echo "$(pytest)"``, ``local x=$(make)``, ``export X=$(pytest)``: the command's
        own status wins) and that status is not lost in turn (the assignment's ``outer`` fate: ``out=$(pytest) &&
        x`` under -e, or a next line without -e, loses it). Other commands there compute values: not judged."""
        found = [(word, body) for word in node.words for body in _substituted(word)]
        if not found:
            return
        name = _name_and_args(node.words)[0]
        shell = replace(
            self.current_shell().with_variables(list(self.values.items())),
            errexit=self.state.errexit and not self.shell.bash,  # bash's $(...) drops -e (no inherit_errexit)
        )
        for index, (word, body) in enumerate(found):
            if not name and index == len(found) - 1 and _ASSIGNMENT.match(word):
                # `out=$(pytest)`: its status is the assignment's, which -e, a condition or `exit` reads, or which
                # a next command or `&&` under -e loses: the command inside shares that fate
                fate = self.assignment_fate(outer)
            else:
                whose = f"`{name}`'s" if name else "the last substitution's"
                fate = _Fate(
                    _LOST, f"fails unseen: it runs in a command substitution, and {whose} status is the command's"
                )
            where = f"in the command substitution `$({' '.join(body.split())})`"
            offset = self.text.find(body, node.start)
            line = self.line(offset if offset >= 0 else node.start)
            judge = _Judge(body, shell, self.follow_from_here(), self.first_line + line - 1)
            judge.list_(_Parser(body).script(), fate)
            for finding in judge.findings:
                if _runs_code(finding.command):
                    self.add(Finding(line + finding.line - 1, finding.command, f"{finding.message} ({where})"))

    def assignment_fate(self, outer: _Fate) -> _Fate:
        """The fate of the command whose status an assignment's ``$(...)`` gives the assignment (``out=$(pytest)``),
        from the assignment's own: lost with it (after ``set +e``, saying so), else the substitution's status is
        read (-e stops on it, a condition or ``||`` tests it, it is the script's)."""
        if outer.kind != _LOST:
            return _Fate(_FINAL)
        if outer.sequence and self.state.dropped_at is not None:
            line = self.line(self.state.dropped_at[0])
            return _Fate(
                _LOST, f"fails unseen: its status is the assignment's, and `set +e` on line {line} {_SET_PLUS_E}"
            )
        why = outer.why.removeprefix("fails unseen: ")
        return _Fate(_LOST, f"fails unseen: its status is the assignment's, whose failure is lost ({why})")

    def follow_from_here(self) -> Follow | None:
        """``follow`` for code this script runs in its own folder (a string, a substitution): its own ``cd``s go on
        from where this script is now."""
        follow, here = self.follow, self.state.dirs
        if follow is None:
            return None

        def inside(
            words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
        ) -> list[str]:
            return follow(words, shell, (*here, *dirs), at, glob)

        return inside

    def change_directory(self, words: Sequence[str]) -> None:
        """``cd dir``, ``pushd dir``, ``popd``, ``cd -`` (back where the last ``cd`` left): where the commands after
        it run (``cd``: home, a folder outside the tree, ``~``)."""
        name, args = words[0], [w for w in words[1:] if not (w.startswith("-") and w != "-")]
        before = self.state.dirs
        if name == "popd":
            if self.state.pushed:
                self.state.dirs, self.state.pushed = self.state.pushed[-1], self.state.pushed[:-1]
            else:
                self.state.dirs += ("~",)
        elif name == "cd" and args[:1] == ["-"]:
            self.state.dirs = self.state.previous if self.state.previous is not None else (*before, "~")
        else:
            if name == "pushd":
                self.state.pushed += (self.state.dirs,)
            self.state.dirs += (self.expand(args[0]) if args else "~",)
        self.state.previous = before

    def inner(self, node: _Node) -> None:
        """What a command runs beyond itself: the string of ``sh -c``/``eval``, the file ``follow`` reads, with
        the variables the command line puts in its environment (``MAKEFLAGS=-i make``, ``env MAKEFLAGS=-i make``)
        and in the folder a wrapper moves it to (``env -C ci make``)."""
        parts = command_parts(node.words)
        words = parts.words
        name = posixpath.basename(words[0]) if words else ""
        environment = self.current_shell().with_variables(
            [(n, self.expand(v) if n in _KEPT_AS_WRITTEN else self.known(v)) for n, v in parts.assignments]
        )
        if name == "eval":
            self.nested(node, " ".join(words[1:]), environment, "in the string `eval` runs")
            return
        if name in POSIX_SHELLS:
            options, operands = shell_invocation(words[1:])
            if runs_string(options):
                if operands:
                    errexit, pipefail = shell_flags(options)
                    called = " ".join([words[0], *options])
                    shell = replace(
                        environment, errexit=errexit, pipefail=pipefail, label=f"`{called}`", bash=name == "bash"
                    )
                    self.nested(node, operands[0], shell, f"in the string `{called}` runs")
                return
            if not operands:  # the script comes on standard input
                words = self.standard_input(node, words[0], options, environment)
        if self.follow is not None and words:
            words = [self.expand(w) for w in words]
            dirs = (*self.state.dirs, *(self.expand(d) for d in parts.chdir))
            at = f"line {self.first_line + self.line(node.start) - 1}"
            for message in self.follow(words, environment, dirs, at):
                self.report(node.start, node.end, message)

    def known(self, value: str) -> str | None:
        """A value as this reader can name it (``$VAR`` it knows expanded), None when only the run knows it."""
        value = self.expand(value)
        return None if "$" in value or "`" in value else value

    def standard_input(
        self, node: _Node, shell_word: str, options: Sequence[str], environment: Shell | None = None
    ) -> list[str]:
        """A shell reading its script from standard input: a here-document (``bash -e <<'EOF'``) is judged
        here, under the shell's options; a file (``bash -e < ci/t.sh``) becomes ``bash -e ci/t.sh`` for
        ``follow``. Empty when there is nothing of the tree to read (a pipe: ``curl ... | bash``)."""
        flags = [o.replace("s", "") if o[:1] in "-+" and not o.startswith("--") else o for o in options]
        flags = [f for f in flags if f not in ("-", "+")]
        errexit, pipefail = shell_flags(flags)
        called = " ".join([shell_word, *flags])
        for index, word in enumerate(node.words):
            if word.startswith("<<") and not word.startswith("<<<"):
                heredoc = _heredoc_delimiter(word, 0)
                body_start = self.text.find("\n", node.end) + 1
                if heredoc is None or body_start == 0:
                    return []
                delimiter, strip, _ = heredoc
                lines = []
                for line in self.text[body_start:].split("\n"):
                    if (line.lstrip("\t") if strip else line) == delimiter:
                        break
                    lines.append(line)
                bash = posixpath.basename(shell_word) == "bash"
                shell = replace(
                    environment or self.current_shell(),
                    errexit=errexit,
                    pipefail=pipefail,
                    label=f"`{called}`",
                    bash=bash,
                )
                where = f"in the here-document `{called}` runs"
                self.nested(node, "\n".join(lines), shell, where, self.line(body_start))
                return []
            if (
                word == "<"
                and index + 1 < len(node.words)
                or word.startswith("<")
                and word[1:2] not in ("", "<", "&", "(")
            ):
                target = node.words[index + 1] if word == "<" else word[1:]
                return [shell_word, *flags, unquote(target)]
        return []

    def nested(self, node: _Node, script: str, shell: Shell, where: str, line: int = 0) -> None:
        """Judge ``script``, which ``node`` runs, as ``shell``; its lines count from ``line`` (else ``node``'s)."""
        line = line or self.line(node.start)
        for found in lost_failures(script, shell, self.follow_from_here(), self.first_line + line - 1):
            self.add(Finding(line + found.line - 1, found.command, f"{found.message} ({where})"))


def lost_failures(script: str, shell: Shell, follow: Follow | None = None, first_line: int = 1) -> list[Finding]:
    """Every command of ``script`` whose failure would not fail it, run as ``shell`` says (see the module doc);
    ``follow`` reads the files its commands run (None: they are not read), told the line of the calling file each
    command is on (``first_line``: the script's first line there; its findings count from 1 still)."""
    judge = _Judge(script, shell, follow, first_line)
    judge.list_(_Parser(script).script(), _Fate(_FINAL))
    return judge.findings
