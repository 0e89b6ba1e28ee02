"""The commands ``nox`` / ``nox -s NAME`` run, read from the tree's ``noxfile.py`` without running it.

``nox -s tests`` is only as strict as the session it runs: a session that only ``session.install``s, runs
``session.run("echo", "ok")``, calls ``session.skip()`` before its tests, or runs ``pytest`` with
``success_codes=[0, 1]`` (nox takes exit 1, pytest's "tests failed", as success) makes failing tests a green nox.
So ``nox`` counts for what its sessions run, not by its name. The noxfile is Python, read here with ``ast`` only
(never imported: it is the run's code); ``lakehouse.shellscripts`` judges each command this module lists as nox runs
it, each its own process (no shell), the first failure ending the session.

What is read, as nox reads it (nox.thea.codes, "Command-line usage" and "Configuration & API"):

- the sessions: functions decorated ``@nox.session`` (``@session`` imported from nox; ``name=`` renames one;
  ``@nox.parametrize`` is left as is: every parametrization runs the same body); ``default=False`` keeps one out of
  a bare ``nox``;
- which run: ``-s``/``-e``/``--session(s)`` (a name, ``name-3.12`` for a python of it, ``name(x='1')`` for a
  parametrization), else ``NOXSESSION``, else ``nox.options.sessions`` (``-t``/``nox.options.tags``: by tags),
  else every default session; ``-k`` (keyword expressions) is not read (the caller says so);
- what a session runs: ``session.run``/``run_always``/``run_install`` with their arguments (string constants,
  a module-level constant list or tuple starred in, ``*session.posargs`` empty as in CI; any other value shown as
  ``{expression}``), ``success_codes=``, ``session.skip()`` (unconditional: what follows never runs; under an
  ``if``/loop/``except``: the run decides), ``session.notify("other")`` (that session runs too), ``session.chdir``,
  and functions of the same file the session is passed to (``_run_tests(session)``: their body in place). The
  session passed to a function of another module, or a program only the run names
  (``session.run(*cmd)``), is ``unread``;
- where each step sits: the ``if``/``for``/``while``/``except``/``match`` statements around it (``NoxStep.guards``,
  each with its line), which only the run decides; a ``with`` or ``try`` body and a ``finally`` block run whenever
  the session gets there. A test command counts only where it runs whatever the run decides: not guarded, or in a
  statement every branch of which runs one (an ``if``/``else`` running pytest both ways: ``unsure_guards``);
  ``if os.environ.get("NEVER"): session.run("pytest")`` runs no test for sure.

Missing interpreters: nox fails a session whose ``python=`` it cannot find when ``CI`` is set (GitHub sets it), unless
told not to (``--no-error-on-missing-interpreters``, ``nox.options.error_on_missing_interpreters = False``:
``NoxCall.error_on_missing``, ``Noxfile.skips_missing_line``); then it skips the session and exits 0, so
``lakehouse.shellscripts`` counts such a session only where the job sets one of its Pythons up.

``nox`` runs in the folder it is called from (``-f``/``--noxfile`` names another file) and runs the sessions from
the noxfile's folder.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field

from lakehouse.testcommands import program_args

NOXFILE = "noxfile.py"
#: ``nox`` options that take the next word; those taking every word up to the next option.
_VALUED = frozenset(
    {
        *("-f", "--noxfile", "-k", "--keywords", "--envdir", "--report", "-db", "--default-venv-backend"),
        *("-fb", "--force-venv-backend", "-P", "--force-python", "--reuse-venv", "--download-python"),
    }
)
_MANY = frozenset(
    {"-s", "-e", "--session", "--sessions", "-t", "--tags", "-p", "--python", "--pythons", "--extra-pythons"}
)
_SESSIONS = frozenset({"-s", "-e", "--session", "--sessions"})
#: Options with which nox runs no session command (``--install-only``: installs only, ``session.run`` is skipped).
_NO_RUN = frozenset({"-l", "--list", "--list-sessions", "--json", "--usage", "--install-only", "--version", "-h"})
#: The ``session`` methods that run a command, and those that stop or redirect a session.
RUN_METHODS = frozenset({"run", "run_always", "run_install"})


@dataclass(frozen=True)
class NoxCall:
    """What a ``nox`` command asks: the sessions named (None: the default ones), the tags (None: none named), the
    noxfile named (None: ``noxfile.py`` where nox runs), whether it runs the sessions' commands, and the option this
    reader does not follow (``-k expr``: None when none)."""

    sessions: tuple[str, ...] | None
    tags: tuple[str, ...] | None
    noxfile: str | None
    runs_commands: bool
    unread_option: str | None = None
    #: ``--no-error-on-missing-interpreters`` (False) or ``--error-on-missing-interpreters`` (True); None: neither.
    error_on_missing: bool | None = None


def nox_call(words: Sequence[str]) -> NoxCall | None:
    """The call ``words`` make (unquoted, past wrappers): ``nox ...``, ``python -m nox ...``; None for another."""
    args = program_args(words, "nox")
    if args is None:
        return None
    sessions: list[str] | None = None
    tags: list[str] | None = None
    noxfile: str | None = None
    runs = True
    unread: str | None = None
    error_on_missing: bool | None = None
    many: str | None = None  # the option collecting the words that follow
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            break
        if not arg.startswith("-"):
            if many in _SESSIONS:
                sessions = [*(sessions or []), *(s.strip() for s in arg.split(",") if s.strip())]
            elif many in ("-t", "--tags"):
                tags = [*(tags or []), arg]
            continue
        option, eq, value = arg.partition("=")
        many = option if option in _MANY else None
        if option in _SESSIONS:
            sessions = sessions or []
        elif option in ("-t", "--tags"):
            tags = tags or []
        if eq and many:
            args.insert(index, value)  # `--sessions=a`: as `--sessions a`
            continue
        if not eq and option in _VALUED and index < len(args):
            value, index = args[index], index + 1
        if option in ("-f", "--noxfile"):
            noxfile = value
        elif option in ("-k", "--keywords"):
            unread = f"{option} {value}"
        elif option in _NO_RUN:
            runs = False
        elif option in ("--error-on-missing-interpreters", "--no-error-on-missing-interpreters"):
            error_on_missing = option == "--error-on-missing-interpreters"
    return NoxCall(
        tuple(sessions) if sessions is not None else None,
        tuple(tags) if tags is not None else None,
        noxfile,
        runs,
        unread,
        error_on_missing,
    )


def unsure_guards(guards: Sequence[Guard], reaching: Sequence[Sequence[Guard]]) -> list[Guard]:
    """Those of a step's ``guards`` whose statement may run none of the test runs whose guards are ``reaching`` (an
    ``if`` without ``else``, a loop, an ``except``): the step's tests may never run unless the list is empty (each
    statement around it surely runs a test: an ``if``/``else`` whose every branch does)."""
    return [g for depth, g in enumerate(guards) if not _statement_runs(_key(guards[:depth]), g, reaching)]


def _key(guards: Sequence[Guard]) -> tuple[tuple[int, int], ...]:
    """Where a step is: each statement's line and the branch taken (a header differs between ``match`` cases)."""
    return tuple((g.line, g.branch) for g in guards)


def _statement_runs(prefix: tuple[tuple[int, int], ...], guard: Guard, reaching: Sequence[Sequence[Guard]]) -> bool:
    """The statement ``guard`` is (at ``prefix``) surely runs a test: one of its branches always runs, and each
    branch does."""
    return guard.branches > 0 and all(
        _branch_runs((*prefix, (guard.line, branch)), reaching) for branch in range(guard.branches)
    )


def _branch_runs(prefix: tuple[tuple[int, int], ...], reaching: Sequence[Sequence[Guard]]) -> bool:
    """The branch ``prefix`` names surely runs a test: one runs directly in it, or a statement in it surely does."""
    depth = len(prefix)
    for guards in reaching:
        if _key(guards[:depth]) != prefix:
            continue
        if len(guards) == depth or _statement_runs(prefix, guards[depth], reaching):
            return True
    return False


class NoxfileError(ValueError):
    """A noxfile this reader cannot read: not Python; the message names the line."""


@dataclass(frozen=True)
class Guard:
    """A compound statement only the run decides whether (or which branch of) it runs, and the branch a step is in:
    its ``line`` and ``header`` (``if os.environ.get('CI')``, ``for p in PATHS``, ``except OSError``), ``branch``
    (0: the body; an ``if``'s ``else``: 1), ``branches``: how many there are when one of them surely runs (an
    ``if`` with an ``else``: 2; a ``match`` ending ``case _``: its cases), 0 when maybe none does (an ``if`` without
    ``else``, a loop's body, an ``except``)."""

    line: int
    header: str
    branch: int = 0
    branches: int = 0


@dataclass(frozen=True)
class NoxStep:
    """One thing a session does, in order (``line``: its line in the noxfile):

    - ``run`` a command: ``words``; ``lost``: why nox takes its failure as success (``success_codes``); ``text``:
      why that cannot be told;
    - ``skip`` (``session.skip()``, ``error``, a ``return``);
    - ``notify``: ``target`` the session queued; ``chdir``: ``target`` the folder, None when only the run names it;
    - ``unread``: ``text`` says what cannot be read statically.

    ``guards``: the statements around it, outermost first, that only the run decides (empty: it runs whenever the
    session gets there; a ``with`` or ``try`` body, a ``finally`` block are no guard)."""

    kind: str
    line: int
    words: tuple[str, ...] = ()
    lost: str | None = None
    guards: tuple[Guard, ...] = ()
    target: str | None = None
    text: str = ""

    @property
    def conditional(self) -> bool:
        """Only the run decides whether this step runs."""
        return bool(self.guards)


@dataclass(frozen=True)
class NoxSession:
    """A session as nox lists it: its name, the line of its ``def``, its tags, whether a bare ``nox`` runs it, the
    pythons it names (empty: none named) and what it does."""

    name: str
    line: int
    tags: tuple[str, ...]
    default: bool
    pythons: tuple[str, ...]
    steps: tuple[NoxStep, ...]


@dataclass
class Noxfile:
    """A parsed noxfile: its sessions in file order, ``nox.options.sessions``/``tags`` (None: not set)."""

    sessions: list[NoxSession] = field(default_factory=list)
    default_sessions: tuple[str, ...] | None = None
    default_tags: tuple[str, ...] | None = None
    #: The line that sets ``nox.options.sessions`` (or ``tags``), for messages.
    options_line: int = 0
    #: ``nox.options.error_on_missing_interpreters = False``: its line (0: not set to False).
    skips_missing_line: int = 0

    def find(self, requested: str) -> NoxSession | None:
        """The session nox runs for ``requested`` (``tests``, ``tests-3.12``, ``tests(django='2.0')``)."""
        for session in self.sessions:
            if requested == session.name:
                return session
        for session in sorted(self.sessions, key=lambda s: -len(s.name)):
            rest = requested[len(session.name) :] if requested.startswith(session.name) else None
            if rest is None:
                continue
            if rest.startswith("(") or (rest.startswith("-") and (not session.pythons or rest[1:] in session.pythons)):
                return session
            if rest.startswith("-") and any(rest[1:].startswith(f"{p}(") for p in session.pythons):
                return session
        return None

    def selected(self, call: NoxCall, environment: dict[str, str | None]) -> tuple[list[str], str]:
        """The names a call runs and how they were chosen (for messages): ``-s``, ``NOXSESSION``,
        ``nox.options.sessions``, tags, else every default session."""
        if call.sessions is not None:
            return list(call.sessions), "named on the command line"
        named = environment.get("NOXSESSION")
        if named:
            return [s.strip() for s in named.split(",") if s.strip()], "named by NOXSESSION"
        tags = call.tags if call.tags is not None else self.default_tags
        if call.tags is None and self.default_sessions is not None:
            return list(self.default_sessions), f"nox.options.sessions (line {self.options_line})"
        if tags is not None:
            chosen = [s.name for s in self.sessions if set(s.tags) & set(tags)]
            return chosen, f"tags {', '.join(tags)}"
        return [s.name for s in self.sessions if s.default], "every default session"


def read_noxfile(text: str) -> Noxfile:
    """The sessions of a noxfile's ``text``; raises ``NoxfileError`` naming the line when it is not Python."""
    try:
        tree = ast.parse(text)
    except SyntaxError as err:
        raise NoxfileError(f"line {err.lineno or 1}: not Python ({err.msg})") from None
    reader = _Reader(tree)
    found = Noxfile()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            option = _option_name(target)
            value = reader.strings(node.value) if node.value is not None else None
            if option == "error_on_missing_interpreters" and isinstance(node.value, ast.Constant):
                found.skips_missing_line = node.lineno if node.value.value is False else 0
            if option in ("sessions", "tags") and value is not None:
                found.options_line = node.lineno
                if option == "sessions":
                    found.default_sessions = tuple(value)
                else:
                    found.default_tags = tuple(value)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            session = reader.session(node)
            if session is not None:
                found.sessions.append(session)
    return found


def _option_name(target: ast.expr) -> str | None:
    """``sessions`` for ``nox.options.sessions = ...``; None for any other target."""
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Attribute)
        and target.value.attr == "options"
        and isinstance(target.value.value, ast.Name)
    ):
        return target.attr
    return None


def _decorator_call(decorator: ast.expr) -> tuple[str, ast.Call | None] | None:
    """(the decorator's last name, its call) for ``@nox.session``, ``@nox.session(...)``, ``@session``."""
    call = decorator if isinstance(decorator, ast.Call) else None
    func = call.func if call is not None else decorator
    if isinstance(func, ast.Attribute):
        return func.attr, call
    if isinstance(func, ast.Name):
        return func.id, call
    return None


class _Reader:
    """Reads sessions and the module-level constants and functions they use."""

    MAX_DEPTH = 4

    def __init__(self, tree: ast.Module) -> None:
        self.constants: dict[str, ast.expr] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[node.name] = node

    def strings(self, node: ast.expr) -> list[str] | None:
        """A constant string, or list/tuple of them (a module-level name for one too); None for anything else."""
        if isinstance(node, ast.Name) and node.id in self.constants:
            node = self.constants[node.id]
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.List | ast.Tuple):
            items = [self.strings(e) for e in node.elts]
            return None if any(i is None for i in items) else [s for i in items for s in i or []]
        return None

    def session(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> NoxSession | None:
        """The session ``node`` defines, None when it is no session (no ``@nox.session``)."""
        decorated = next((d for d in map(_decorator_call, node.decorator_list) if d and d[0] == "session"), None)
        if decorated is None:
            return None
        call = decorated[1]
        keywords = {k.arg: k.value for k in call.keywords if k.arg} if call is not None else {}
        name = self.strings(keywords["name"]) if "name" in keywords else None
        tags = self.strings(keywords["tags"]) if "tags" in keywords else None
        pythons = self.strings(keywords["python"]) if "python" in keywords else None
        default = keywords.get("default")
        off = isinstance(default, ast.Constant) and default.value is False
        parameter = node.args.args[0].arg if node.args.args else "session"
        steps = self.body(node.body, parameter, (), (node.name,))
        return NoxSession(
            name[0] if name else node.name, node.lineno, tuple(tags or ()), not off, tuple(pythons or ()), steps
        )

    def body(
        self, statements: Sequence[ast.stmt], session: str, guards: tuple[Guard, ...], chain: tuple[str, ...]
    ) -> tuple[NoxStep, ...]:
        """The steps of ``statements`` in order, up to an unconditional ``session.skip()``/``error()``/``return``;
        ``guards``: the statements around them only the run decides (see ``NoxStep.guards``)."""
        steps: list[NoxStep] = []
        helper = len(chain) > 1  # a function the session is passed to: its `return` ends it, not the session
        for statement in statements:
            nested = _nested(statement, self.constants)
            if isinstance(statement, ast.With | ast.AsyncWith):  # `with session.chdir("tests"):`
                items = [c for item in statement.items for c in _calls(item.context_expr)]
                steps += [s for c in items for s in self.call(c, session, guards, chain)]
            if nested is not None:
                for branch, guard in nested:
                    steps += self.body(branch, session, (*guards, guard) if guard else guards, chain)
                continue
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                continue
            made = [s for c in _calls(statement) for s in self.call(c, session, guards, chain)]
            if isinstance(statement, ast.Return) and not helper:
                made.append(NoxStep("skip", statement.lineno, guards=guards, text="return"))
            steps += made
            stops = any(s.kind in ("skip", "error") and not s.conditional for s in made)
            if stops or (isinstance(statement, ast.Raise | ast.Return) and not guards):
                break
        return tuple(steps)

    def call(self, call: ast.Call, session: str, guards: tuple[Guard, ...], chain: tuple[str, ...]) -> list[NoxStep]:
        """The steps one call makes: a ``session`` method, or a function of the file the session is passed to."""
        line = call.lineno
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == session:
            method = func.attr
            if method in RUN_METHODS:
                return [self.run(call, guards)]
            if method in ("skip", "error"):
                return [NoxStep(method, line, guards=guards)]
            if method == "notify" and call.args:
                names = self.strings(call.args[0])
                if names is None:
                    return [NoxStep("unread", line, text=f"{ast.unparse(call)}: a session only the run names")]
                return [NoxStep("notify", line, target=n, guards=guards) for n in names]
            if method == "chdir" and call.args:
                folder = self.strings(call.args[0])
                return [NoxStep("chdir", line, target=folder[0] if folder else None, guards=guards)]
            return []
        passed = [i for i, a in enumerate(call.args) if isinstance(a, ast.Name) and a.id == session]
        passed += [-1 for k in call.keywords if isinstance(k.value, ast.Name) and k.value.id == session]
        if not passed:
            return []
        name = func.id if isinstance(func, ast.Name) else None
        helper = self.functions.get(name) if name else None
        if helper is None or name in chain or len(chain) > self.MAX_DEPTH or passed[0] < 0:
            shown = ast.unparse(call)
            return [NoxStep("unread", line, text=f"`{shown}`: the session passed to code this reader does not follow")]
        parameters = [a.arg for a in helper.args.args]
        if passed[0] >= len(parameters):
            return [NoxStep("unread", line, text=f"`{ast.unparse(call)}`: the session passed as `*args`")]
        return list(self.body(helper.body, parameters[passed[0]], guards, (*chain, helper.name)))

    def run(self, call: ast.Call, guards: tuple[Guard, ...]) -> NoxStep:
        """A ``session.run(...)``: its words, and why its failure is lost (``success_codes`` other than ``[0]``)."""
        words: list[str] = []
        for argument in call.args:
            if isinstance(argument, ast.Starred):
                value = argument.value
                if isinstance(value, ast.Attribute) and value.attr == "posargs" and words:
                    continue  # `nox -s x -- args`: none in a CI step that names none
                items = self.strings(value)
                if items is None:
                    if not words:
                        text = f"`{ast.unparse(call)}`: a program only the run names"
                        return NoxStep("unread", call.lineno, text=text, guards=guards)
                    words.append("{" + ast.unparse(argument) + "}")
                    continue
                words += items
                continue
            items = self.strings(argument)
            if items is None or len(items) != 1:
                if not words:
                    text = f"`{ast.unparse(call)}`: a program only the run names"
                    return NoxStep("unread", call.lineno, text=text, guards=guards)
                words.append("{" + ast.unparse(argument) + "}")
            else:
                words += items
        lost: str | None = None
        unknown = ""
        for keyword in call.keywords:
            if keyword.arg == "success_codes":
                codes = _codes(keyword.value)
                if codes is None:
                    unknown = f"`success_codes={ast.unparse(keyword.value)}`: exit codes only the run knows"
                elif set(codes) - {0}:
                    accepted = ", ".join(str(c) for c in sorted(set(codes) - {0}))
                    lost = f"has `success_codes={ast.unparse(keyword.value)}`: nox takes exit {accepted} as success"
            elif keyword.arg is None:  # **kwargs: success_codes may be among them
                unknown = f"`**{ast.unparse(keyword.value)}`: options only the run knows (success_codes?)"
        return NoxStep("run", call.lineno, tuple(words), lost, guards, text=unknown)


def _header(text: str) -> str:
    """A compound statement's first line as written (``if os.environ.get('NEVER')``), shortened for messages."""
    return text if len(text) <= 60 else text[:57] + "..."


def _nested(
    statement: ast.stmt, constants: dict[str, ast.expr]
) -> list[tuple[Sequence[ast.stmt], Guard | None]] | None:
    """The blocks of a compound statement, each with the ``Guard`` only the run decides it by (None: it runs when the
    statement does: a ``with`` or ``try`` body, a ``finally``, a ``for`` over a non-empty list written in the file
    without ``break``/``continue``: ``constants``, the module's names); None for a simple statement. (An ``if``'s
    test, a ``for``'s iterable are not read: nox calls there are rare; a call made there is not counted; a ``with``'s
    items are, by ``body``.)"""
    line = statement.lineno
    if isinstance(statement, ast.If):
        header = _header(f"if {ast.unparse(statement.test)}")
        if not statement.orelse:
            return [(statement.body, Guard(line, header))]
        return [(statement.body, Guard(line, header, 0, 2)), (statement.orelse, Guard(line, header, 1, 2))]
    if isinstance(statement, ast.For | ast.AsyncFor):
        header = _header(f"for {ast.unparse(statement.target)} in {ast.unparse(statement.iter)}")
        if _runs_every_item(statement, constants):  # for path in ("tests/unit", "tests/e2e"): each runs
            return [(statement.body, None), (statement.orelse, None)]
        return [(statement.body, Guard(line, header)), (statement.orelse, Guard(line, f"the else of {header}"))]
    if isinstance(statement, ast.While):
        header = _header(f"while {ast.unparse(statement.test)}")
        return [(statement.body, Guard(line, header)), (statement.orelse, Guard(line, f"the else of {header}"))]
    if isinstance(statement, ast.With | ast.AsyncWith):
        return [(statement.body, None)]
    if isinstance(statement, ast.Try | ast.TryStar):
        handlers = [
            (h.body, Guard(h.lineno, _header("except" + (f" {ast.unparse(h.type)}" if h.type else ""))))
            for h in statement.handlers
        ]
        orelse = (statement.orelse, Guard(line, "the else of try (runs only when the try raises nothing)"))
        return [(statement.body, None), *handlers, orelse, (statement.finalbody, None)]
    if isinstance(statement, ast.Match):
        subject = _header(f"match {ast.unparse(statement.subject)}")
        last = statement.cases[-1] if statement.cases else None
        sure = last is not None and last.guard is None and _matches_all(last.pattern)
        count = len(statement.cases) if sure else 0
        return [
            (case.body, Guard(line, f"{subject}, case {ast.unparse(case.pattern)}", index, count))
            for index, case in enumerate(statement.cases)
        ]
    return None


def _runs_every_item(loop: ast.For | ast.AsyncFor, constants: dict[str, ast.expr]) -> bool:
    """The loop's body surely runs, to its end: it iterates a non-empty list, tuple or set written in the file
    (itself or a module-level name bound to one) and has no ``break``/``continue`` that could cut it short."""
    items = loop.iter
    if isinstance(items, ast.Name):
        items = constants.get(items.id, items)
    if not isinstance(items, ast.List | ast.Tuple | ast.Set) or not items.elts:
        return False
    if any(isinstance(e, ast.Starred) for e in items.elts):
        return False
    return not any(isinstance(n, ast.Break | ast.Continue) for s in loop.body for n in ast.walk(s))


def _matches_all(pattern: ast.pattern) -> bool:
    """``case _`` or ``case name``: a pattern every subject matches."""
    return isinstance(pattern, ast.MatchAs) and pattern.pattern is None


def _calls(statement: ast.AST) -> list[ast.Call]:
    """The calls a simple statement makes, in the order Python makes them (arguments before the call)."""
    found: list[ast.Call] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.Lambda | ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child)
        if isinstance(node, ast.Call):
            found.append(node)

    visit(statement)
    return found


def _codes(node: ast.expr) -> list[int] | None:
    """The exit codes of a ``success_codes=`` value: a list/tuple/set of ints or ``range(a, b)``; None otherwise."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        values = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, int)]
        return values if len(values) == len(node.elts) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        bounds = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, int)]
        return list(range(*bounds)) if len(bounds) == len(node.args) and 1 <= len(bounds) <= 3 else None
    return None
