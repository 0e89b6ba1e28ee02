"""make's own expansion of a recipe line, done before the shell reads it: what the shell is really handed.

``$(BIN)/pytest`` in a recipe is not shell text: make replaces ``$(BIN)`` with the variable's value first (GNU
make, "How make Reads a Makefile": a recipe line is expanded just before make hands it to the shell), and turns
``$$`` into ``$`` as part of the same expansion, never expanding the result again. So ``test:\\n\\techo
"$$(pytest)"`` hands the shell ``echo "$(pytest)"`` (pytest's status is thrown away), and ``cd $$DIR`` hands it
``cd $DIR``. ``lakehouse.makefiles`` judges the expanded line with ``lakehouse.shellstatus``.

Variables are read as GNU make reads them, in the Makefile's order (``include``\\ d files already in their place):
recursive (``=``, ``define``; expanded where used), simple (``:=``, ``::=``: expanded once, where defined),
``:::=``, ``?=`` (only when the variable is not yet defined, the environment included), ``+=`` (keeping the
variable's flavour), ``override``; command-line variables (``make BIN=x``) win over the Makefile's but for an
``override`` one; the environment make starts with loses to both. ``ifeq``/``ifneq``/``ifdef``/``ifndef`` are
decided when their operands are known. ``MakeVariables.lines`` keeps the lines make reads as rules and recipes: not
those of a branch not taken nor a ``define`` body, and a ``$(eval ...)``'s text read in its place (one only the run
knows listed in ``unknown_evals``). A target's own values (``test: PYTEST = true``) hold for the prerequisites make
builds for it too, unless ``private``. Automatic variables ``$@``, ``$<``, ``$^``, ``$+`` (and ``$(@D)``,
``$(@F)``...) are the rule's; ``$(MAKE)`` is ``make``, ``$(CURDIR)`` the folder make runs in (named from the
checkout's root as ``$GITHUB_WORKSPACE/...``, which ``lakehouse.shellscripts`` follows), ``$(RM)`` ``rm -f``.
The text functions are evaluated (``if``, ``or``, ``and``, ``subst``, ``patsubst``, ``filter``, ``addprefix``,
``foreach``, ``call``...).

A value only the run knows -- ``$(shell ...)``, ``!=``, ``$(wildcard ...)``, a variable of the environment the
caller does not show (or one the runner sets: ``$(HOME)``), one a condition that cannot be decided sets, a
command-line value holding a shell ``$`` -- is handed to the shell reader as ``${NAME}`` (the variable's or the
function's name): a value of the run, which it neither runs as a command substitution nor takes for a folder of
the tree (``$(BIN)/t.sh`` with BIN unknown is then a file only the run names).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lakehouse.shellstatus import RUNNER_VARIABLE

#: Marks a value only the run knows inside an expansion: ``\x00NAME\x00``, written out as ``${NAME}``.
_MARK = "\x00"
_MARKED = re.compile(r"\x00([^\x00]*)\x00")
#: An assignment line (outside recipes): ``override``/``export``/``private`` words, the name, the operator.
_ASSIGNMENT = re.compile(
    r"^(?P<mods>(?:(?:override|export|unexport|private)\s+)*)(?P<name>[^\s:#=]+?)\s*(?P<op>:::=|::=|:=|\?=|\+=|!=|=)"
    r"(?P<value>.*)$",
    re.DOTALL,
)
_DEFINE = re.compile(r"^(?P<mods>(?:(?:override|export|private)\s+)*)define\s+(?P<name>[^\s:#=]+)\s*(?P<op>\S*)\s*$")
#: The conditional directives: lines make obeys, never a rule's or a recipe's.
_DIRECTIVES = frozenset({"ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"})
#: A call of ``eval`` (``$(eval ...)``, ``${eval ...}``).
_EVAL_CALL = re.compile(r"\$[({]eval\s")
_CONDITIONAL = re.compile(r"^(ifeq|ifneq|ifdef|ifndef)\b\s*(.*)$")
#: Variables make defines itself (GNU make's defaults: the environment and the Makefile override them).
_DEFAULTS = {
    "SHELL": "/bin/sh",
    ".SHELLFLAGS": "-c",
    "MAKE": "make",
    "RM": "rm -f",
    "CC": "cc",
    "CXX": "g++",
    "AR": "ar",
    "CPP": "$(CC) -E",
}
#: Variables make never takes from the environment.
_NOT_FROM_ENVIRONMENT = frozenset({"SHELL", "MAKEFLAGS", "MAKECMDGOALS", "CURDIR", "MAKEFILE_LIST"})
#: Variables make itself sets in (or keeps from) its recipes' environment, whatever the Makefile exports.
_NOT_EXPORTED = frozenset({"SHELL", ".SHELLFLAGS", "MAKEFLAGS", "GNUMAKEFLAGS", "MAKELEVEL", "MFLAGS"})
#: ``$(CURDIR)``'s value: a folder of the checkout, which the shell reader names.
_WORKSPACE_VALUE = re.compile(r"^\$GITHUB_WORKSPACE(?:/[^$`]*)?$")
#: How deep recursive variables may refer to each other before this reader gives up (make: a loop is an error).
_MAX_DEPTH = 50


@dataclass(frozen=True)
class _Variable:
    """A make variable: ``value`` as written (recursive) or already expanded (simple); ``known`` False for one whose
    value only the run knows (set by ``!=``, or where a condition could not be decided)."""

    value: str
    recursive: bool
    known: bool = True
    origin: str = "file"  # "default", "environment", "file", "command line", "override", "automatic"


def _unknown(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


def written_out(text: str) -> str:
    """An expansion as the shell is handed it: each value only the run knows as ``${NAME}``."""
    return _MARKED.sub(lambda m: "${" + (re.sub(r"\W", "_", m.group(1)) or "MAKE_VALUE") + "}", text)


def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at ``start`` (make counts brackets of that kind only); -1: none."""
    open_ = text[start]
    close = ")" if open_ == "(" else "}"
    depth = 0
    for index in range(start, len(text)):
        if text[index] == open_:
            depth += 1
        elif text[index] == close:
            depth -= 1
            if depth == 0:
                return index
    return -1


def _split_arguments(text: str, limit: int) -> list[str]:
    """A function's arguments: split at commas outside brackets, at most ``limit`` pieces (the last keeps its
    commas, as make's ``if``/``subst`` do)."""
    parts: list[str] = []
    depth, start = 0, 0
    for index, char in enumerate(text):
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        elif char == "," and depth == 0 and len(parts) < limit - 1:
            parts.append(text[start:index])
            start = index + 1
    return [*parts, text[start:]]


def _pattern(pattern: str, word: str) -> str | None:
    """The stem ``word`` matches ``pattern`` (``%`` its only wildcard) with, None when it does not match."""
    if "%" not in pattern:
        return "" if word == pattern else None
    head, tail = pattern.split("%", 1)
    if len(word) >= len(head) + len(tail) and word.startswith(head) and word.endswith(tail):
        return word[len(head) : len(word) - len(tail)]
    return None


def _patsubst(pattern: str, replacement: str, words: str) -> str:
    out = []
    for word in words.split():
        stem = _pattern(pattern, word)
        out.append(word if stem is None else replacement.replace("%", stem, 1) if "%" in pattern else replacement)
    return " ".join(out)


def _basename(word: str) -> str:
    folder, name = posixpath.split(word)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return posixpath.join(folder, stem) if folder else stem


def _word(index: str, words: str) -> str:
    items = words.split()
    return items[int(index) - 1] if index.strip().isdigit() and 0 < int(index) <= len(items) else ""


#: make's text functions of fully known arguments: name -> (how many arguments at most, the function).
_TEXT_FUNCTIONS: dict[str, tuple[int, Callable[[list[str]], str]]] = {
    "subst": (3, lambda a: a[2].replace(a[0], a[1]) if a[0] else a[2]),
    "patsubst": (3, lambda a: _patsubst(a[0].strip(), a[1].strip(), a[2])),
    "strip": (1, lambda a: " ".join(a[0].split())),
    "findstring": (2, lambda a: a[0] if a[0] in a[1] else ""),
    "filter": (2, lambda a: " ".join(w for w in a[1].split() if any(_pattern(p, w) is not None for p in a[0].split()))),
    "filter-out": (
        2,
        lambda a: " ".join(w for w in a[1].split() if all(_pattern(p, w) is None for p in a[0].split())),
    ),
    "sort": (1, lambda a: " ".join(sorted(set(a[0].split())))),
    "word": (2, lambda a: _word(a[0], a[1])),
    "words": (1, lambda a: str(len(a[0].split()))),
    "wordlist": (
        3,
        lambda a: (
            " ".join(a[2].split()[int(a[0]) - 1 : int(a[1])])
            if a[0].strip().isdigit() and a[1].strip().isdigit()
            else ""
        ),
    ),
    "firstword": (1, lambda a: (a[0].split() or [""])[0]),
    "lastword": (1, lambda a: (a[0].split() or [""])[-1]),
    "dir": (1, lambda a: " ".join((posixpath.dirname(w) or ".") + "/" for w in a[0].split())),
    "notdir": (1, lambda a: " ".join(posixpath.basename(w) for w in a[0].split())),
    "suffix": (1, lambda a: " ".join("." + w.rsplit(".", 1)[1] for w in a[0].split() if "." in posixpath.basename(w))),
    "basename": (1, lambda a: " ".join(_basename(w) for w in a[0].split())),
    "addsuffix": (2, lambda a: " ".join(w + a[0] for w in a[1].split())),
    "addprefix": (2, lambda a: " ".join(a[0] + w for w in a[1].split())),
    "join": (2, lambda a: " ".join(x + y for x, y in _zip_longest(a[0].split(), a[1].split()))),
    "info": (1, lambda a: ""),
    "warning": (1, lambda a: ""),
    "error": (1, lambda a: ""),  # make stops before the line runs: nothing of it is lost
}
#: Functions whose value only the run knows (the file system, a command, make's own state).
_RUN_FUNCTIONS = frozenset({"shell", "wildcard", "eval", "file", "guile", "let", "intcmp", "origin", "flavor"})
_LAZY_FUNCTIONS = frozenset({"if", "or", "and", "foreach", "call", "value", "abspath", "realpath"})


def _zip_longest(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    size = max(len(a), len(b))
    return [(a[i] if i < len(a) else "", b[i] if i < len(b) else "") for i in range(size)]


class MakeVariables:
    """The variables a Makefile defines, as make has them when it runs recipes (see the module doc)."""

    def __init__(
        self,
        makefile: str,
        overrides: Sequence[str] = (),
        environment: Mapping[str, str | None] | None = None,
        closed: bool = False,
        curdir: str = "",
        goals: Sequence[str] = (),
        makefile_name: str = "Makefile",
    ) -> None:
        self.environment = dict(environment or {})
        #: Variables the Makefile exports to its recipes' environment (``export X := y``, ``export X``; ``*``: all):
        #: name -> True, or None where a condition this reader cannot decide exports it.
        self.exports: dict[str, bool | None] = {}
        #: Target-specific values (``test: BIN := x``): target -> (name, operator, value, modifiers, active) in order.
        self.specific: dict[str, list[tuple[str, str, str, str, bool | None]]] = {}
        self.closed = closed
        self.variables: dict[str, _Variable] = {n: _Variable(v, True, origin="default") for n, v in _DEFAULTS.items()}
        self.curdir = "$GITHUB_WORKSPACE" + (f"/{curdir}" if curdir else "")
        self.variables["CURDIR"] = _Variable(self.curdir, False)
        #: The Makefile make reads, as named from where it runs (``include``\ d files not added: their lines are in
        #: place already; ``$(dir $(lastword $(MAKEFILE_LIST)))`` at the top names the Makefile's folder).
        self.variables["MAKEFILE_LIST"] = _Variable(f" {makefile_name}", False)
        self.variables["MAKECMDGOALS"] = _Variable(" ".join(goals), False)
        for name, value in self.environment.items():
            if name in _NOT_FROM_ENVIRONMENT:
                continue
            workspace = value is not None and _WORKSPACE_VALUE.match(value) is not None  # a folder the reader names
            known = value is not None and ("$" not in value or workspace) and "`" not in value
            self.variables[name] = _Variable(value or "", not workspace, known, "environment")
        for assignment in overrides:
            match = re.match(r"^([^\s:#=]+)\s*(:::=|::=|:=|=)(.*)$", assignment, re.DOTALL)
            if match:
                value = match.group(3)
                known = "$" not in value and "`" not in value  # a `$` left there is the shell's: only the run knows
                self.variables[match.group(1)] = _Variable(value, False, known, "command line")
        #: The lines make reads as rules and recipes, numbered by their first line: those of branches not taken,
        #: conditional directives and ``define`` bodies left out (a ``define`` line kept: it ends a rule's recipe),
        #: ``$(eval ...)`` lines replaced by the text they make (read in their place).
        self.lines: list[tuple[int, str]] = []
        #: ``$(eval ...)`` lines whose text only the run knows (line number, text): rules this reader cannot see.
        self.unknown_evals: list[tuple[int, str]] = []
        #: Lines of ``lines`` under a condition this reader cannot decide (make may or may not read them).
        self.undecided: set[int] = set()
        #: The line of the ``$(eval ...)`` being read (None: none is; an ``eval`` in a recipe is the run's).
        self._eval_line: int | None = None
        self._read(numbered_lines(makefile))

    # -- reading the Makefile --------------------------------------------------------------------------------

    def _read(self, lines: Sequence[tuple[int, str]]) -> None:
        """Every assignment and ``define`` of the Makefile's ``lines`` outside recipes, under its conditionals; the
        lines make reads as rules and recipes kept in ``lines`` (see there)."""
        #: Each open conditional: [the state of its branch now (True taken, False not, None undecided), whether an
        #: earlier branch was taken, whether an earlier one was undecided, the state of the text around it].
        stack: list[list[bool | None]] = []
        index = 0
        while index < len(lines):
            number, line = lines[index]
            index += 1
            around: bool | None = _all_of([entry[0] for entry in stack])
            if line.startswith("\t"):
                if around is not False:  # a recipe line of a branch not taken is none (make skips it)
                    self.lines.append((number, line))
                continue
            text = line.strip()
            word = text.split(None, 1)[0] if text else ""
            if word not in _DIRECTIVES and around is not False and _DEFINE.match(text) is None:
                self.lines.append((number, line))
                if around is None:
                    self.undecided.add(number)
            if word in ("ifeq", "ifneq", "ifdef", "ifndef"):
                state = self._condition(text) if around is not False else False
                stack.append([state, state is True, state is None, around])
                continue
            if word == "else" and stack:
                entry = stack[-1]
                _, taken, undecided, outer = entry
                rest = text[4:].strip()
                if outer is False or taken:
                    state = False
                else:
                    state = self._condition(rest) if rest else True
                    state = None if undecided and state is not False else state
                entry[:] = [state, bool(taken) or state is True, bool(undecided) or state is None, outer]
                continue
            if word == "endif" and stack:
                stack.pop()
                continue
            active = around
            define = _DEFINE.match(text)
            if define:
                body: list[str] = []
                depth = 1
                if active is not False:  # its body is a value, no rule: but it ends the rule above (make's context)
                    self.lines.append((number, line))
                while index < len(lines):
                    inner = lines[index][1]
                    index += 1
                    first = inner.strip().split(None, 1)[0] if inner.strip() else ""
                    depth += first == "define" or bool(_DEFINE.match(inner.strip()))
                    depth -= first == "endef"
                    if depth == 0:
                        break
                    body.append(inner)
                if active is not False:
                    self._assign(
                        define.group("name"), define.group("op") or "=", "\n".join(body), define.group("mods"), active
                    )
                continue
            # `test: X = a;b` is a value (make puts back the `;` and all after it, a `#` too); `test: ; X=1 pytest` is
            # a rule with its first recipe line
            head, after = rule_and_recipe(line)
            specific = _TARGET_SPECIFIC.match(head) if _is_rule(line) else None
            if specific and after is not None:
                specific = _TARGET_SPECIFIC.match(f"{head};{after}")
            if specific and active is not False:  # `test: BIN = x`: the value of test's recipes (and prerequisites')
                for name in specific.group("targets").split():
                    self.specific.setdefault(name, []).append(
                        (
                            specific.group("name"),
                            specific.group("op"),
                            specific.group("value").lstrip(),
                            specific.group("mods"),
                            active,
                        )
                    )
                continue
            if active is not False and _EVAL_CALL.search(text) and not _is_rule(line):
                self.lines.pop()  # `$(eval $(RULE))`: make reads the text it makes in its place
                made = self._evaluated(text, number) if active else None
                if made is None or made.strip():  # only the run knows it (or a line this reader does not read)
                    self.unknown_evals.append((number, text))
                    self.lines.append((number, line))
                continue
            assignment = _ASSIGNMENT.match(_without_comment(line).lstrip())
            if assignment and active is not False and not _is_rule(line):
                value = assignment.group("value").lstrip()
                self._assign(assignment.group("name"), assignment.group("op"), value, assignment.group("mods"), active)
                if "export" in assignment.group("mods").split():
                    self.exports[assignment.group("name")] = active
                elif "unexport" in assignment.group("mods").split():
                    self.exports.pop(assignment.group("name"), None)
                continue
            if word in ("export", "unexport") and active is not False:
                names = _without_comment(text).split()[1:]
                for name in names or ["*"]:  # `export` alone: every variable
                    if word == "export":
                        self.exports[name] = active
                    else:
                        self.exports.pop(name, None)

    def _assign(self, name: str, op: str, value: str, mods: str, active: bool | None) -> None:
        """One assignment, as make does it; ``active`` None: under a condition this reader cannot decide."""
        name = written_out(self.expand(name)) if "$" in name else name
        current = self.variables.get(name)
        override = "override" in mods.split()
        if current is not None and current.origin == "command line" and not override:
            return  # the command line wins over the Makefile
        if current is not None and current.origin == "override" and not override:
            return
        origin = "override" if override else "file"
        if active is None:  # set or not, only the run knows
            self.variables[name] = _Variable("", False, False, origin)
            return
        if op == "?=":
            if current is not None:
                return  # defined already (make's defaults too: `CC ?= gcc` leaves CC as it is)
            if not self.closed or RUNNER_VARIABLE.match(name):
                self.variables[name] = _Variable("", False, False, origin)  # the environment may hold it
                return
            self.variables[name] = _Variable(value, True, True, origin)
        elif op == "+=" and current is not None:
            if not current.known:
                return
            if current.recursive:
                joined = f"{current.value} {value}" if current.value else value
                self.variables[name] = _Variable(joined, True, True, origin)
            else:
                added = self.expand(value)
                joined = f"{current.value} {added}" if current.value else added
                self.variables[name] = _Variable(joined, False, True, origin)
        elif op in (":=", "::="):
            self.variables[name] = _Variable(self.expand(value), False, True, origin)
        elif op == ":::=":
            self.variables[name] = _Variable(self.expand(value).replace("$", "$$"), True, True, origin)
        elif op == "!=":
            self.variables[name] = _Variable("", False, False, origin)
        else:  # "=", "+=" on an undefined variable
            self.variables[name] = _Variable(value, True, True, origin)

    def _condition(self, text: str) -> bool | None:
        """An ``ifeq (a,b)``/``ifneq "a" "b"``/``ifdef X``/``ifndef X`` line: True, False, or None (undecided)."""
        match = _CONDITIONAL.match(text)
        if match is None:
            return None
        kind, rest = match.group(1), _without_comment(match.group(2)).strip()
        if kind in ("ifdef", "ifndef"):
            value = self.expand(f"$({written_out(self.expand(rest))})") if rest else ""
            if _MARK in value:
                return None
            defined = bool(value)
            return defined if kind == "ifdef" else not defined
        operands = _condition_operands(rest)
        if operands is None:
            return None
        left, right = (self.expand(o) for o in operands)
        if _MARK in left or _MARK in right:
            return None
        return (left == right) if kind == "ifeq" else (left != right)

    def _evaluated(self, text: str, number: int) -> str | None:
        """A Makefile line (``number``) calling ``eval`` expanded, each ``eval``'s text read as Makefile lines where
        it is (``$(foreach t,unit lint,$(eval $(call RULE,$(t))))``); None when only the run knows some of it."""
        before, self._eval_line = self._eval_line, number
        try:
            made = self.expand(text)
        finally:
            self._eval_line = before
        return None if _MARK in made else made

    # -- expanding -------------------------------------------------------------------------------------------

    def expand(self, text: str, automatic: Mapping[str, str] | None = None, depth: int = 0) -> str:
        """``text`` expanded once, as make does: references replaced, ``$$`` made ``$``; values only the run knows
        marked (``written_out`` writes them as ``${NAME}``)."""
        local = automatic or {}
        out: list[str] = []
        index = 0
        while index < len(text):
            char = text[index]
            if char != "$":
                next_dollar = text.find("$", index)
                next_dollar = len(text) if next_dollar < 0 else next_dollar
                out.append(text[index:next_dollar])
                index = next_dollar
                continue
            following = text[index + 1 : index + 2]
            if following == "$":
                out.append("$")
                index += 2
            elif following == "":
                index += 1  # a lone `$` at the end: make expands it to nothing
            elif following in "({":
                end = _closing(text, index + 1)
                if end < 0:  # make: "unterminated variable reference", it stops; nothing runs
                    out.append(_unknown("MAKE_VALUE"))
                    break
                out.append(self._reference(text[index + 2 : end], local, depth))
                index = end + 1
            else:
                out.append(self._variable(following, local, depth))
                index += 2
        return "".join(out)

    def _reference(self, body: str, local: Mapping[str, str], depth: int) -> str:
        """``$(body)``: a function call, a substitution reference (``$(SRCS:.c=.o)``) or a variable."""
        function = re.match(r"^([a-z-]+)[ \t]", body)
        if function and (function.group(1) in _TEXT_FUNCTIONS or function.group(1) in _RUN_FUNCTIONS | _LAZY_FUNCTIONS):
            return self._function(function.group(1), body[function.end() :], local, depth)
        name = self.expand(body, local, depth) if "$" in body else body
        if _MARK in name:
            return _unknown(_MARKED.sub(lambda m: m.group(1), name))
        substitution = re.match(r"^([^:]+):([^=]*)=(.*)$", name, re.DOTALL)
        if substitution:
            value = self._variable(substitution.group(1), local, depth)
            if _MARK in value:
                return _unknown(substitution.group(1))
            find, replace_ = substitution.group(2), substitution.group(3)
            pattern, replacement = (find, replace_) if "%" in find else (f"%{find}", f"%{replace_}")
            return _patsubst(pattern, replacement, value)
        return self._variable(name, local, depth)

    def _variable(self, name: str, local: Mapping[str, str], depth: int) -> str:
        """A variable's value where it is used: automatic ones from the rule, recursive ones expanded now."""
        if name in local:
            return local[name]
        if not name:
            return ""
        if len(name) == 2 and name[0] in "@<^+*?|%" and name[1] in "DF" and name[0] in local:
            words = local[name[0]].split()
            parts = [(posixpath.dirname(w) or ".") if name[1] == "D" else posixpath.basename(w) for w in words]
            return " ".join(parts)
        if name in ("@", "<", "^", "+", "*", "?", "|", "%") or name[:1] in "@<^+*?|%" and len(name) == 2:
            return _unknown("MAKE_AUTOMATIC")
        variable = self.variables.get(name)
        if variable is None:
            if self.closed and not RUNNER_VARIABLE.match(name):
                return ""  # defined nowhere: make's value is empty
            return _unknown(name)  # the environment may hold it
        if not variable.known:  # named apart from a shell variable of the same name the caller shows
            shown = variable.origin != "environment" and self.environment.get(name) is not None
            return _unknown(f"make_{name}" if shown else name)
        if not variable.recursive:
            return variable.value
        if depth >= _MAX_DEPTH:
            return _unknown(name)  # make: "Recursive variable references itself"
        return self.expand(variable.value, local, depth + 1)

    def _function(self, name: str, text: str, local: Mapping[str, str], depth: int) -> str:
        """A function call: a text function of known arguments evaluated; ``if``/``or``/``and`` expanding only what
        make expands; ``foreach``/``call`` with their variables bound; any other, or one of unknown arguments, only
        the run knows."""
        if name == "eval" and self._eval_line is not None:  # reading the Makefile: its text read here
            made = self.expand(text, local, depth)
            if _MARK in made:
                return _unknown(name)
            self._read([(self._eval_line, line) for _, line in numbered_lines(made)])
            return ""
        if name in _RUN_FUNCTIONS:
            return _unknown(name)
        if name in ("abspath", "realpath"):  # from the folder make runs in (realpath's links: the tree's own)
            names = self.expand(text, local, depth)
            if _MARK in names:
                return _unknown(name)
            return " ".join(posixpath.normpath(posixpath.join(self.curdir, w)) for w in names.split())
        if name in ("if", "or", "and"):
            parts = _split_arguments(text, 3 if name == "if" else 1_000)
            if name == "if":
                condition = self.expand(parts[0].strip(), local, depth)
                if _MARK in condition:
                    return _unknown(name)
                chosen = parts[1] if condition else (parts[2] if len(parts) > 2 else "")
                return self.expand(chosen, local, depth)
            last = ""
            for part in parts:
                last = self.expand(part.strip(), local, depth)
                if _MARK in last:
                    return _unknown(name)
                if (name == "or") == bool(last):
                    return last
            return last if name == "and" else ""
        if name == "value":
            variable = self.variables.get(text.strip())
            return variable.value if variable is not None and variable.known else _unknown(text.strip())
        if name == "foreach":
            parts = _split_arguments(text, 3)
            if len(parts) < 3:
                return ""
            bound_name, words = self.expand(parts[0], local, depth).strip(), self.expand(parts[1], local, depth)
            if _MARK in bound_name or _MARK in words:
                return _unknown(name)
            return " ".join(self.expand(parts[2], {**local, bound_name: word}, depth) for word in words.split())
        if name == "call":
            parts = [self.expand(p, local, depth) for p in _split_arguments(text, 1_000)]
            called = parts[0].strip()
            if _MARK in called or depth >= _MAX_DEPTH:
                return _unknown(name)
            bound = {**local, "0": called, **{str(i): p for i, p in enumerate(parts[1:], start=1)}}
            variable = self.variables.get(called)
            if variable is None or not variable.known:
                return _unknown(called) if variable is not None else ""
            return self.expand(variable.value, bound, depth + 1) if variable.recursive else variable.value
        limit, evaluate = _TEXT_FUNCTIONS[name]
        arguments = [self.expand(p, local, depth) for p in _split_arguments(text, limit)]
        if any(_MARK in a for a in arguments):
            return _unknown(name)
        arguments += [""] * (limit - len(arguments))
        return evaluate(arguments)

    def recipe_environment(self) -> list[tuple[str, str | None]]:
        """What make adds to the environment its recipes' shell starts with: the variables the Makefile exports and
        those of the command line (GNU make passes both on), each with its value (None: one only the run knows)."""
        names = [n for n, v in self.variables.items() if v.origin == "command line"]
        if "*" in self.exports:
            names += [n for n, v in self.variables.items() if v.origin in ("file", "override")]
        names += [n for n in self.exports if n != "*"]
        environment: list[tuple[str, str | None]] = []
        for name in dict.fromkeys(names):
            if name in _NOT_EXPORTED:
                continue
            value = written_out(self._variable(name, {}, 0))
            named = ("$" not in value or _WORKSPACE_VALUE.match(value)) and "`" not in value
            certain = self.exports.get(name, True) is not None  # None: exported under an undecided condition
            environment.append((name, value if certain and named else None))
        return environment

    def recipe_line(
        self, line: str, target: str, prerequisites: Sequence[str] = (), parents: Sequence[str] = ()
    ) -> str:
        """A recipe line of ``target`` as make hands it to the shell (see the module doc), under the target's own
        values (``test: BIN := x``) and those it inherits from ``parents``, the targets through which make reached
        it, outermost first (``test: PYTEST = true`` holds in the recipe of ``test``'s prerequisite ``unit``)."""
        unique = list(dict.fromkeys(prerequisites))
        automatic = {"@": target, "<": unique[0] if unique else "", "^": " ".join(unique), "+": " ".join(prerequisites)}
        saved = dict(self.variables)
        try:
            self._apply_specific([*parents, target])
            return written_out(self.expand(line, automatic))
        finally:
            self.variables = saved

    def value(self, name: str, target: str | None = None, parents: Sequence[str] = ()) -> str | None:
        """``$(name)`` expanded as ``target``'s recipes see it (see ``recipe_line``; None: outside any rule), a
        value only the run knows written ``${NAME}``."""
        saved = dict(self.variables)
        try:
            self._apply_specific([*parents, target] if target is not None else [])
            return written_out(self._variable(name, {}, 0))
        finally:
            self.variables = saved

    def origin(self, name: str) -> str | None:
        """Where the variable's value comes from (``default``, ``file``, ``command line``...), None: undefined."""
        variable = self.variables.get(name)
        return None if variable is None else variable.origin

    def _apply_specific(self, chain: Sequence[str]) -> None:
        """The target-specific values of each target of ``chain`` (outermost first, the target itself last), as GNU
        make applies them: a target's values hold for the prerequisites built for it too, unless ``private``."""
        for depth, target in enumerate(chain):
            own = depth == len(chain) - 1
            for name, op, value, mods, active in self.specific.get(target, []):
                if own or "private" not in mods.split():
                    self._assign(name, op, value, mods, active)


#: A target-specific assignment: ``test: BIN := x``, ``test: export X = y``.
_TARGET_SPECIFIC = re.compile(
    r"^(?P<targets>[^:#=]+?)\s*:(?![:=])\s*(?P<mods>(?:(?:override|export|unexport|private)\s+)*)"
    r"(?P<name>[^\s:#=]+?)\s*(?P<op>:::=|::=|:=|\?=|\+=|!=|=)(?P<value>.*)$",
    re.DOTALL,
)


def _all_of(states: Sequence[bool | None]) -> bool | None:
    """Whether text inside these conditionals is read: False if any branch around it is not taken, None if any is
    undecided, else True."""
    return False if False in states else None if None in states else True


def rule_and_recipe(line: str) -> tuple[str, str | None]:
    """A rule line cut where GNU make cuts it (read.c): at the first ``;`` or ``#`` outside a reference (``$(...)``,
    ``${...}``, ``$x``) and not escaped with a backslash. A ``;`` there starts the rule's first recipe line (``test:
    ; pytest``), returned second; a ``#`` starts a comment (None: no recipe on this line)."""
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char == "$":
            following = line[index + 1 : index + 2]
            end = _closing(line, index + 1) if following in ("(", "{") and following else index + 1
            index = (len(line) if end < 0 else end) + 1
            continue
        if char == "#":
            return line[:index], None
        if char == ";":
            return line[:index], line[index + 1 :]
        index += 1
    return line, None


def _without_comment(line: str) -> str:
    """A Makefile line without its comment (``#`` not escaped with a backslash)."""
    match = re.search(r"(?<!\\)#", line)
    return line[: match.start()] if match else line


def _is_rule(line: str) -> bool:
    """A rule line (``target: prerequisites``, a target-specific ``test: X = y``), not an assignment: a colon comes
    before any ``=`` (one of ``:=``/``::=`` is the assignment's), references skipped (``$(X):``)."""
    text = _without_comment(line)
    index = 0
    while index < len(text):
        char = text[index]
        if char == "$" and text[index + 1 : index + 2] in ("(", "{"):
            end = _closing(text, index + 1)
            index = len(text) if end < 0 else end + 1
            continue
        if char == "=":
            return False
        if char == ":":
            return re.match(r":{1,3}=", text[index:]) is None
        index += 1
    return False


def _condition_operands(text: str) -> tuple[str, str] | None:
    """``(a,b)``, ``"a" "b"``, ``'a' 'b'`` (and mixed quotes): the two operands, None when unreadable."""
    if text.startswith("("):
        end = _closing(text, 0)
        if end < 0:
            return None
        parts = _split_arguments(text[1:end], 2)
        return (parts[0].strip(), parts[1].strip()) if len(parts) == 2 else None
    match = re.match(r"""^(["'])(.*?)\1\s+(["'])(.*?)\3$""", text)
    return (match.group(2), match.group(4)) if match else None


def numbered_lines(makefile: str) -> list[tuple[int, str]]:
    """The Makefile's lines, continuations (``\\`` newline) joined, numbered by their first line: outside recipes
    with one space for the backslash, newline and the blanks around them (as make reads them); in a recipe line with
    a space and the next line's leading tab dropped."""
    joined: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(makefile.split("\n"), start=1):
        line = line.removesuffix("\r")  # GNU make reads a CRLF line end as LF
        if pending is not None:
            recipe = pending[1].startswith("\t")
            number, line = pending[0], pending[1] + " " + (line.lstrip("\t") if recipe else line.lstrip())
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = (number, line[:-1] if line.startswith("\t") else line[:-1].rstrip())
            continue
        pending = None
        joined.append((number, line))
    return joined + ([pending] if pending is not None else [])
