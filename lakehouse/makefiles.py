"""The recipes a ``make`` runs, read as shell scripts: which command's failure make lets pass.

``make test`` is only as strict as the recipe of ``test``: a recipe line ``-pytest`` (make ignores its
status), ``.IGNORE``, ``make -i`` or ``MAKEFLAGS += -i``, or ``pytest || true`` under the Makefile's
``SHELL``/``.SHELLFLAGS`` (``lakehouse.shellstatus``) makes a failing test a green make. Who runs make
does not matter: a guard step, a script the step runs (``.ci/run`` running ``make test``), a recipe
running ``$(MAKE) -C sub``; ``lakehouse.shellscripts`` follows each call here with how it was made
(``parse_make``: ``-C dir``, ``-f file``, the targets, or the default goal when none is named) and
reads the files its ``include`` lines name in their place. Each recipe line is judged as make hands it to
the shell: variables and functions expanded, ``$$`` made ``$`` (``lakehouse.makevars``), then prefixes read
(``$(IGNORE)pytest`` with ``IGNORE = -`` is ignored too). Only the lines make reads are rules and recipes (a branch
not taken, a ``define`` body are not; an ``$(eval ...)``'s text is), and ``SHELL``/``.SHELLFLAGS`` are expanded with
the values of the targets make reached a recipe through: ``SHELL = $(TRUE)``, ``test: SHELL := /bin/true`` run nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace

from lakehouse.makevars import MakeVariables, rule_and_recipe, written_out
from lakehouse.shellstatus import POSIX_SHELLS, Follow, Shell, lost_failures, shell_flags
from lakehouse.shellstatus import is_make as is_make  # re-exported: shellstatus finds make in substitutions too

#: ``make`` (or ``$(MAKE)``) and what follows it on a command line.
_MAKE_CALL = re.compile(r"(?:^|[\s;&|(])(?:make|\$\(MAKE\)|\$\{MAKE\})((?:\s+[^\s;&|)]+)*)")
#: A rule line: targets, a colon or two (``test::``, a double-colon rule; not ``:=``/``::=``), prerequisites.
_RULE = re.compile(r"^([^\s:#=][^:=]*?)\s*::?(?![:=])(.*)$")
#: make's short options that take an argument (``-C dir``, ``-Cdir``), and ``-j``/``-l`` whose number is optional.
_SHORT_WITH_ARGUMENT = frozenset("CfoWIE")
_SHORT_OPTIONAL_NUMBER = frozenset("jl")
#: make's long options that take an argument (``--directory=dir`` or ``--directory dir``).
_LONG_WITH_ARGUMENT = frozenset(
    {"--directory", "--file", "--makefile", "--old-file", "--assume-old", "--what-if", "--new-file"}
    | {"--assume-new", "--include-dir", "--eval", "--jobserver-style", "--output-sync", "--debug"}
)
#: Options under which make runs none of the recipes (it prints, tests or touches instead).
_RUNS_NO_RECIPE = frozenset({"--just-print", "--dry-run", "--recon", "--question", "--touch"})
#: The files GNU make reads, in this order, when no ``-f`` names one.
MAKEFILE_NAMES = ("GNUmakefile", "makefile", "Makefile")


@dataclass(frozen=True)
class MakeCall:
    """How one ``make`` was called: its options as written, targets, ``-C`` folder, ``-f`` file and
    command-line variables (``SHELL=/bin/bash``, which override the Makefile's)."""

    options: tuple[str, ...]
    targets: tuple[str, ...]
    directory: str | None = None
    file: str | None = None
    assignments: tuple[str, ...] = ()

    @property
    def ignores_errors(self) -> bool:
        """``-i``/``--ignore-errors``, alone or among short options (``-ki``), or ``MAKEFLAGS=-i``."""
        makeflags = [a.split("=", 1)[1] for a in self.assignments if a.startswith("MAKEFLAGS=")]
        return _flags_ignore_errors(self.options) or any(_flags_ignore_errors(f.split()) for f in makeflags)

    @property
    def runs_no_recipe(self) -> bool:
        """``-n``, ``-q``, ``-t`` (and their long forms): make runs no recipe, so none is judged."""
        return any(o in _RUNS_NO_RECIPE or set(_short_letters(o)) & set("nqt") for o in self.options)

    @property
    def same_makefile(self) -> bool:
        """No ``-C``/``-f``: the Makefile of the folder make runs in."""
        return self.directory in (None, "", ".") and self.file is None


def _short_letters(word: str) -> str:
    """The option letters of a short-option word (``-ki`` -> ``ki``), up to one that takes the rest as its
    argument (``-Iinclude`` -> ``I``); empty for anything else."""
    if word[:1] != "-" or word[1:2] in ("", "-"):
        return ""
    letters = ""
    for letter in word[1:]:
        letters += letter
        if letter in _SHORT_WITH_ARGUMENT or letter in _SHORT_OPTIONAL_NUMBER:
            break
    return letters


def _flags_ignore_errors(words: Sequence[str]) -> bool:
    """``-i`` among options; in ``MAKEFLAGS`` also its first word's letters without a dash (``MAKEFLAGS=ki``)."""
    return any(
        w == "--ignore-errors"
        or "i" in _short_letters(w)
        or (index == 0 and w[:1].isalpha() and "=" not in w and "i" in w)
        for index, w in enumerate(words)
    )


def make_flags_ignore_errors(value: str) -> bool:
    """``MAKEFLAGS``/``GNUMAKEFLAGS`` with ``-i`` (``-i``, ``--ignore-errors``, ``ik``): make ignores every recipe's
    failure (``-k`` does not: make goes on with other targets, and still fails)."""
    return _flags_ignore_errors(value.split())


def parse_make(args: Sequence[str]) -> MakeCall:
    """The call ``make <args>`` makes (args unquoted, the ``make`` word left out)."""
    options: list[str] = []
    targets: list[str] = []
    assignments: list[str] = []
    found: dict[str, str] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            targets += [a for a in args[index:] if "=" not in a]
            assignments += [a for a in args[index:] if "=" in a]
            break
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            options.append(arg)
            if name in _LONG_WITH_ARGUMENT and not eq and index < len(args):
                value = args[index]
                index += 1
            if name == "--directory":
                found["C"] = value
            elif name in ("--file", "--makefile"):
                found["f"] = value
            continue
        if arg.startswith("-") and len(arg) > 1:
            options.append(arg)
            for position, letter in enumerate(arg[1:], start=1):
                rest = arg[position + 1 :]
                if letter in _SHORT_WITH_ARGUMENT:
                    if not rest and index < len(args):
                        rest = args[index]
                        index += 1
                    found[letter] = rest
                    break
                if letter in _SHORT_OPTIONAL_NUMBER:
                    if not rest and index < len(args) and args[index].replace(".", "", 1).isdigit():
                        index += 1
                    break
            continue
        (assignments if "=" in arg else targets).append(arg)
    return MakeCall(tuple(options), tuple(targets), found.get("C"), found.get("f"), tuple(assignments))


#: ``include a.mk b.mk``, ``-include x``, ``sinclude x``: other makefiles read in place of the line.
_INCLUDE = re.compile(r"^\s*(?:-|s)?include\s+(.*)$")


def included(line: str) -> list[str]:
    """The files an ``include`` line names (none for any other line; a name with ``$`` or a glob is left out:
    its value is the run's)."""
    match = _INCLUDE.match(line) if not line.startswith("\t") else None
    words = match.group(1).split("#", 1)[0].split() if match else []
    return [w for w in words if not any(c in w for c in "$*?[")]


def _logical_lines(makefile: str, variables: MakeVariables | None = None) -> list[tuple[int, str]]:
    """The lines make reads as rules and recipes (``MakeVariables.lines``: continuations joined, numbered by their
    first line; branches not taken, conditional directives and ``define`` bodies left out, ``$(eval ...)`` read)."""
    return (variables or MakeVariables(makefile)).lines


#: Any target-specific value (``test: BIN := x``): no prerequisites (``lakehouse.makevars`` reads its value).
_ANY_TARGET_ASSIGNMENT = re.compile(
    r"^\s*(?:(?:override|export|unexport|private)\s+)*[^\s:#=]+\s*(?::::?=|::=|:=|\?=|\+=|!=|=)"
)


def _rules(
    lines: Sequence[tuple[int, str]],
    undecided: AbstractSet[int] = frozenset(),
    expand: Callable[[str], str] | None = None,
) -> tuple[dict[str, list[str]], dict[str, list[tuple[int, str]]]]:
    """(target -> prerequisites, target -> its recipe lines with their line numbers) of a Makefile's ``lines``; a
    line of ``undecided`` (under a condition this reader cannot decide) may or may not end the rule above, so the
    recipe lines after it are judged for both rules. A recipe on the rule's own line (``test: deps ; pytest``) is
    its first recipe line, as are the words after a ``;`` that ``expand`` (make's expansion of the prerequisites,
    done when it reads the rule) makes (``test: $(SEMI) pytest``, with ``SEMI := ;``)."""
    prerequisites: dict[str, list[str]] = {}
    recipes: dict[str, list[tuple[int, str]]] = {}
    current: list[str] = []
    for number, line in lines:
        before = current if number in undecided else []
        if line.startswith("\t"):
            for target in current:
                recipes.setdefault(target, []).append((number, line[1:]))
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        head, inline = rule_and_recipe(line)
        rule = _RULE.match(head)
        if rule and _ANY_TARGET_ASSIGNMENT.match(rule.group(2)):
            # a target-specific value (`test: X = a;b`, the `;` its value's), not a rule
            continue
        current = rule.group(1).split() if rule else []
        needs_text = rule.group(2) if rule else ""
        if rule and inline is None and expand is not None and "$" in needs_text:
            expanded = expand(needs_text)
            cut = re.search(r"(?<!\\);", expanded)
            if cut:  # make looks for the `;` in the expanded prerequisites too
                needs_text, inline = expanded[: cut.start()], expanded[cut.end() :]
        needs = needs_text.replace("|", " ").split()
        for target in current:
            prerequisites.setdefault(target, []).extend(needs)
            if inline is not None and inline.strip():
                recipes.setdefault(target, []).append((number, inline))
        current = [*before, *current]
    return prerequisites, recipes


def _expanded_rules(variables: MakeVariables) -> tuple[dict[str, list[str]], dict[str, list[tuple[int, str]]]]:
    """``_rules`` with targets and prerequisites expanded, as make does when it reads a rule (``$(BIN)/x: y``); a
    name only the run knows keeps a ``$`` (``${shell}``), and is not followed."""
    prerequisites, recipes = _rules(
        variables.lines, variables.undecided, lambda text: written_out(variables.expand(text))
    )

    def expand(name: str) -> list[str]:
        return written_out(variables.expand(name)).split() if "$" in name else [name]

    needs: dict[str, list[str]] = {}
    for target, names in prerequisites.items():
        for expanded in expand(target):
            needs.setdefault(expanded, []).extend(word for name in names for word in expand(name))
    lines: dict[str, list[tuple[int, str]]] = {}
    for target, recipe in recipes.items():
        for expanded in expand(target):
            lines.setdefault(expanded, []).extend(recipe)
    return needs, lines


def default_goal(makefile: str, variables: MakeVariables | None = None) -> str | None:
    """What ``make`` with no target builds: ``.DEFAULT_GOAL``, else the first rule's first target that does
    not start with ``.`` (GNU make's rule; a pattern rule is never the default), of the lines make reads (a rule
    of a branch not taken, or in a ``define`` body, is none)."""
    goal: str | None = None
    for _, line in _logical_lines(makefile, variables):
        if line.startswith("\t"):
            continue
        assigned = re.match(r"^\s*\.DEFAULT_GOAL\s*:{0,3}=\s*(\S+)", line)
        if assigned:
            return assigned.group(1)
        rule = _RULE.match(rule_and_recipe(line)[0])
        if (
            goal is None
            and rule
            and not line.lstrip().startswith("#")
            and not _ANY_TARGET_ASSIGNMENT.match(rule.group(2))
        ):
            goal = next((t for t in rule.group(1).split() if not t.startswith(".") and "%" not in t), None)
    return goal


#: ``MAKEFLAGS += -i`` in a Makefile: make ignores every recipe's failure from there.
_MAKEFLAGS_ASSIGNMENT = re.compile(r"^\s*(?:override\s+)?(?:export\s+)?MAKEFLAGS\s*(?::{0,3}=|\?=|\+=)\s*(.*)$")


def makefile_shell(
    makefile: str,
    overrides: Sequence[str] = (),
    target: str | None = None,
    parents: Sequence[str] = (),
    variables: MakeVariables | None = None,
) -> Shell:
    """How make runs each recipe line of ``target``: ``$(SHELL) $(.SHELLFLAGS) 'line'``, both expanded as make
    expands them (``SHELL = $(TRUE)``); GNU make's defaults are ``/bin/sh`` and ``-c`` (``-ec`` under ``.POSIX``),
    so no ``-e`` and no pipefail. ``-o pipefail`` in ``.SHELLFLAGS`` is honoured whatever ``SHELL`` is: a shell
    without it fails every line (nothing is lost). ``overrides``: the call's command-line variables (``make
    .SHELLFLAGS=-c test``), which win over the Makefile's own but for an ``override`` one; the target's own values
    (``test: .SHELLFLAGS := -c``) and those of ``parents``, the targets make reached it through (outermost first),
    win over the Makefile's global ones (``lakehouse.makevars``)."""
    variables = variables or MakeVariables(makefile, overrides)
    shell, flags = _shell_and_flags(variables, target, parents)
    errexit, pipefail = shell_flags(flags.split())
    bash = _shell_program(shell) == "bash"
    return Shell(errexit, pipefail, f"make runs `{shell} {flags}`", bash=bash)


def _shell_and_flags(variables: MakeVariables, target: str | None, parents: Sequence[str]) -> tuple[str, str]:
    """``$(SHELL)`` and ``$(.SHELLFLAGS)`` as ``target``'s recipes run under them (see ``makefile_shell``)."""
    shell = (variables.value("SHELL", target, parents) or "/bin/sh").strip()
    flags = (variables.value(".SHELLFLAGS", target, parents) or "").strip()
    posix = any(re.match(r"^\.POSIX\s*:", line) for _, line in variables.lines)
    if posix and variables.origin(".SHELLFLAGS") == "default" and flags == "-c":
        flags = "-ec"
    return shell, flags


def _no_exec(flags: Sequence[str]) -> bool:
    """``.SHELLFLAGS`` with ``-n`` (``-nc``, ``-o noexec``): the shell only reads the line, runs nothing, exits 0."""
    on = False
    for index, word in enumerate(flags):
        if len(word) > 1 and word[0] in "-+" and not word.startswith("--"):
            if "n" in word[1:]:
                on = word[0] == "-"
            if "o" in word[1:] and flags[index + 1 : index + 2] == ["noexec"]:
                on = word[0] == "-"
    return on


def _shell_program(shell: str) -> str:
    """The program a ``SHELL`` value runs (``/usr/bin/env bash``: ``bash``; ``/bin/true``: ``true``)."""
    words = shell.split()
    while len(words) > 1 and (posixpath.basename(words[0]) == "env" or words[0].startswith("-") or "=" in words[0]):
        words = words[1:]
    return posixpath.basename(words[0]) if words else ""


def _prefixed(line: str) -> tuple[str, str]:
    """A recipe line's prefixes (``@``, ``-``, ``+``, in any order, blanks between them: ``@ -pytest``) and the
    command after them, as make reads them (job.c) before it hands the command to the shell."""
    command = line.lstrip(" \t@+-")
    return "".join(c for c in line[: len(line) - len(command)] if c in "@+-"), command


def _recipe_scripts(recipe: list[tuple[int, str]], oneshell: bool) -> list[tuple[list[int], str]]:
    """The scripts make hands the shell for one recipe, each with the Makefile line of its script lines:
    one per line, or the whole recipe at once under ``.ONESHELL``. Prefixes (``@``, ``-``, ``+``) dropped."""
    lines = [(number, _prefixed(line)[1]) for number, line in recipe]
    if oneshell and lines:
        return [([n for n, _ in lines], "\n".join(line for _, line in lines))]
    return [([number], line) for number, line in lines]


def _at_makefile_lines(follow: Follow | None, numbers: Sequence[int], place: Callable[[int], str]) -> Follow | None:
    """``follow`` for a recipe's script, told the Makefile line (``Makefile, line 12``) of each command, not the
    script's."""
    if follow is None:
        return None

    def in_makefile(
        words: Sequence[str], shell: Shell, dirs: tuple[str, ...] = (), at: str = "", glob: bool = False
    ) -> list[str]:
        line = int(at.removeprefix("line ")) if at.startswith("line ") else 0
        return follow(words, shell, dirs, place(numbers[min(line, len(numbers)) - 1]) if line > 0 else "", glob)

    return in_makefile


def makefile_masking(
    makefile: str,
    targets: Sequence[str],
    path: str = "Makefile",
    follow: Follow | None = None,
    overrides: Sequence[str] = (),
    origins: Sequence[tuple[str, int]] = (),
    caller: Shell | None = None,
    curdir: str = "",
    unknown: Callable[[str], None] | None = None,
) -> list[str]:
    """What in the recipes ``make <targets>`` runs lets a failing command pass: a recipe line that starts
    with ``-`` (make ignores its exit status), ``.IGNORE``, ``MAKEFLAGS`` with ``-i``, a nested ``make -i``,
    or a command whose failure the line's status does not carry under the Makefile's ``SHELL`` and
    ``.SHELLFLAGS`` (``lakehouse.shellstatus``: ``|| true``, ``|| echo ...``; without pipefail, ``a | b``;
    without ``-e``, ``a; b`` and loops). Prerequisites and ``$(MAKE) <target>`` lines of this Makefile are
    followed; targets named by a variable are not (their recipes here only install). A recipe on a rule's own
    line (``test: deps ; pytest``) is the rule's first recipe line, judged as the others are. ``follow`` reads the
    files a recipe runs, scripts and other Makefiles (``lakehouse.shellscripts``; None: they are not read);
    ``overrides``: the call's variables;
    ``origins``: the file and line each line of ``makefile`` comes from, when it holds included files;
    ``caller``: the shell that ran make, whose environment its recipes inherit (and make's variables start from);
    ``curdir``: the folder make runs in, from the checkout's root. Each recipe line is judged as make hands it to the
    shell: its variables and functions expanded, ``$$`` made ``$`` (``lakehouse.makevars``), under the values of the
    targets make reached it through (``test: PYTEST = true`` holds for ``test``'s prerequisites). Only the lines make
    reads count: a rule or recipe line of a branch not taken (``ifeq``...) or in a ``define`` body is none, an
    ``$(eval ...)``'s text is read in its place. A ``SHELL`` naming no shell (``/bin/true``) is reported, and so is a
    ``.SHELLFLAGS`` with ``-n`` (the shell reads each line and runs none of it); an
    ``$(eval ...)`` of a value only the run knows goes to ``unknown`` (None: reported with the problems)."""

    def at(number: int) -> str:
        file, line = origins[number - 1] if 0 < number <= len(origins) else (path, number)
        return f"{file}, line {line}"

    environment = caller.variables() if caller is not None else {}
    closed = caller.closed if caller is not None else False
    name = posixpath.relpath(path, curdir) if curdir and path.startswith(f"{curdir}/") else path
    variables = MakeVariables(makefile, overrides, environment, closed, curdir, targets, name)
    prerequisites, recipes = _expanded_rules(variables)
    problems: list[str] = []

    def cannot_tell(what: str) -> None:
        """Something only the run knows decides what make runs: ``unknown``'s (None: reported with the problems)."""
        if unknown is not None:
            unknown(what)
        else:
            problems.append(what)

    for number, text in variables.unknown_evals:
        cannot_tell(f"{at(number)} `{text}`: rules made by $(eval) of a value only the run knows, not read")
    for number, line in variables.lines:
        flags = _MAKEFLAGS_ASSIGNMENT.match(line.split("#", 1)[0]) if not line.startswith("\t") else None
        if flags and _flags_ignore_errors(flags.group(1).split()):
            problems.append(f"{at(number)} sets MAKEFLAGS with -i: make ignores every failure of its recipes")
    ignored = prerequisites.get(".IGNORE")
    oneshell = any(re.match(r"^\.ONESHELL\s*:", line) for _, line in variables.lines)
    #: Each target to judge with the targets make reached it through (their values hold in its recipes).
    todo: list[tuple[str, tuple[str, ...]]] = [(t, ()) for t in targets]
    seen: set[str] = set()
    while todo:
        target, parents = todo.pop(0)
        if target in seen or "$" in target:
            continue
        seen.add(target)
        shell = makefile_shell(makefile, overrides, target, parents, variables)
        if caller is not None:
            shell = replace(shell, environment=caller.environment, closed=caller.closed)
        shell = shell.with_variables(variables.recipe_environment())  # make's exported variables
        if ignored is not None and (not ignored or target in ignored):
            problems.append(f"{path}: .IGNORE covers target {target!r}: make ignores every failure of its recipe")
        todo += [(p, (*parents, target)) for p in prerequisites.get(target, [])]
        recipe = [
            (n, variables.recipe_line(line, target, prerequisites.get(target, []), parents))
            for n, line in recipes.get(target, [])
        ]
        shell_value, flags_value = _shell_and_flags(variables, target, parents)
        program = _shell_program(shell_value)
        if recipe and program in POSIX_SHELLS and _no_exec(flags_value.split()):
            problems.append(
                f"{at(recipe[0][0])} (target {target!r}) runs under {shell.label.removeprefix('make runs ')}: "
                "-n (noexec) reads each recipe line without running it: a failing test passes"
            )
            continue
        if recipe and program not in POSIX_SHELLS:  # `SHELL := /bin/true`: no recipe line runs, each succeeds
            runs = shell.label.removeprefix("make runs ")
            if "$" in program:  # `SHELL := $(shell which bash)`: only the run knows
                what = f"{at(recipe[0][0])} (target {target!r}) runs under {runs}, a shell only the run knows"
                cannot_tell(what)
            else:
                problems.append(
                    f"{at(recipe[0][0])} (target {target!r}) runs under {runs}: SHELL names no shell this reader "
                    "knows (`/bin/true` runs nothing and succeeds): a failing test may pass"
                )
            continue
        for number, line in recipe:
            prefixes, command = _prefixed(line)
            if "-" in prefixes:
                problems.append(f"{at(number)} (target {target!r}) starts with '-': make ignores its failure")
            for match in _MAKE_CALL.finditer(command):
                call = parse_make(match.group(1).split())
                if call.ignores_errors and follow is None:  # else the follower says so, with the call
                    problems.append(f"{at(number)} (target {target!r}) runs make {' '.join(call.options)}: -i")
                if call.same_makefile:  # another make: the target-specific values stay in this one
                    todo += [(t, ()) for t in call.targets]
        for numbers, script in _recipe_scripts(recipe, oneshell):
            for found in lost_failures(script, shell, _at_makefile_lines(follow, numbers, at)):
                where = f"{at(numbers[min(found.line, len(numbers)) - 1])} (target {target!r})"
                problems.append(f"{where} `{found.command}` {found.message}")
    return problems
