"""The guard ledger's model: what one ``make guard`` run records, and which records vouch for a commit.

One module for the record and its rules, used by both the runner that writes it
(``lakehouse.guard``) and exit check 3 that reads it (``lakehouse.checks.ci``), so neither
imports the other's internals and the rule "what counts" is written once.

A line counts as a green run of the commit under test only when it says it ran *the guard
suite* (``make lint test``, as the Makefile's ``guard`` target runs it), without make flags or
variables that change what the suite checks (``-i``, ``-e``, ``VAR=value``, ``PYTEST_ARGS``...),
on a clean tree, at that commit. The ledger is a local convenience: every line is plain JSON
and can be written by hand, so a perfect forgery is not detectable here; GitHub's run history
is the source that cannot be edited from the checkout.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: The guard suite's identity as recorded in the ledger: the make targets ``make guard`` runs.
GUARD_SUITE = "make lint test"
_SUITE_TARGETS = ("lint", "test")
_MAKE_PROGRAMS = ("make", "gmake")
#: make options that change what make prints or how it schedules, never which commands pass.
#: ``-k`` keeps going after a failure but still exits 2, so a red run stays red.
_HARMLESS_OPTIONS = frozenset(
    {"--no-print-directory", "-s", "--silent", "-w", "--print-directory", "-k", "--keep-going"}
)
#: Environment variables a guard run records: each can change what ``make lint test`` runs.
RECORDED_ENVIRONMENT = ("MAKEFLAGS", "GNUMAKEFLAGS", "MAKEFILES", "PYTEST_ARGS", "PYTEST_ADDOPTS")
#: make's one-letter flags that make a run's result say nothing about the suite.
_DISQUALIFYING_FLAGS = {
    "i": "make ran with -i (--ignore-errors): failed commands were ignored",
    "e": "make ran with -e (--environment-overrides): the environment replaced the Makefile's variables",
}

#: Fields every ledger line must have, with their JSON types.
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "started_at": str,
    "finished_at": str,
    "exit_code": int,
    "passed": bool,
}


@dataclass(frozen=True)
class LedgerEntry:
    """One guard run: its result, and what it ran, where and how (the facts that decide whether it counts)."""

    started_at: str
    finished_at: str
    exit_code: int
    passed: bool
    duration_s: float = 0.0
    commit: str | None = None
    dirty: bool | None = None
    command: list[str] = field(default_factory=list)
    #: ``GUARD_SUITE`` when ``command`` is the guard suite, else None (the runner's label; the judge re-derives it).
    suite: str | None = None
    #: The ``RECORDED_ENVIRONMENT`` variables that were set; None for a line that did not record them.
    environment: dict[str, str] | None = None
    #: 1-based line in the ledger file (0 for an entry not read from a file).
    line: int = 0

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("line")
        return json.dumps(data, sort_keys=True)


@dataclass
class Ledger:
    """A ledger as read: good entries in file order (oldest first), and the lines that were not."""

    path: Path
    entries: list[LedgerEntry] = field(default_factory=list)
    #: ``(line, message)`` for each line that could not be read.
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def problem_texts(self, after: int = 0) -> list[str]:
        """``file:line: problem`` for each unreadable line after line ``after`` (0: all of them)."""
        return [f"{self.path}:{line}: {message}" for line, message in self.problems if line > after]


# -- what counts -----------------------------------------------------------------------------------


def suite_of(command: list[str]) -> str | None:
    """``GUARD_SUITE`` when ``command`` runs make's ``lint`` and ``test`` targets and nothing else, else None."""
    if not command or Path(command[0]).name not in _MAKE_PROGRAMS:
        return None
    targets = [arg for arg in command[1:] if arg not in _HARMLESS_OPTIONS]
    return GUARD_SUITE if sorted(targets) == sorted(_SUITE_TARGETS) else None


def make_letters(makeflags: str | None) -> str:
    """make's one-letter flags from a MAKEFLAGS value (GNU make puts them, without a dash, in the first word)."""
    first = (makeflags or "").split(" ", 1)[0]
    return "" if first.startswith("-") else first


def make_overrides(makeflags: str | None) -> str:
    """The ``VAR=value`` overrides make passes down in MAKEFLAGS (after `` -- ``), or ''."""
    text = makeflags or ""
    if text.startswith("-- "):
        return text[3:].strip()
    return text.split(" -- ", 1)[1].strip() if " -- " in text else ""


def environment_problems(environment: Mapping[str, str]) -> list[str]:
    """Why a run under this environment did not run the guard suite as the Makefile states it."""
    problems: list[str] = []
    for name in ("MAKEFLAGS", "GNUMAKEFLAGS"):
        value = environment.get(name)
        letters = make_letters(value)
        problems += [f"{why} ({name}={value!r})" for flag, why in _DISQUALIFYING_FLAGS.items() if flag in letters]
        if overrides := make_overrides(value):
            problems.append(f"make was given variable overrides {overrides!r}, which can change what the suite runs")
    for name in ("MAKEFILES", "PYTEST_ARGS", "PYTEST_ADDOPTS"):
        if environment.get(name):
            problems.append(f"{name}={environment[name]!r} was set, which can change what the suite runs")
    return problems


def why_not_counted(entry: LedgerEntry, commit_under_test: str) -> list[str]:
    """Why this entry does not vouch for ``commit_under_test`` (empty: it counts, green or red).

    Derived from the recorded command and facts, not from the ``suite`` label alone, so a
    line that only claims to be the suite does not count.
    """
    why: list[str] = []
    shown = " ".join(entry.command) or "(none)"
    if suite_of(entry.command) is None:
        why.append(f"command `{shown}` is not the guard suite ({GUARD_SUITE}, as `make guard` runs it)")
    elif entry.suite != GUARD_SUITE:
        why.append(f"the line does not label its command `{shown}` as the guard suite (suite={entry.suite!r})")
    if entry.environment is None:
        why.append("it recorded no make flags or environment (a line from an older guard, or written by hand)")
    else:
        why += environment_problems(entry.environment)
    if entry.dirty is None:
        why.append("it did not record whether the tree was clean")
    elif entry.dirty:
        why.append("the tree had uncommitted changes, so it tested more than its commit")
    if not entry.commit:
        why.append("it recorded no commit")
    elif entry.commit != commit_under_test:
        why.append(f"it tested commit {entry.commit[:12]}, not the commit under test {commit_under_test[:12]}")
    return why


# -- reading and writing ---------------------------------------------------------------------------


def _parse_line(text: str, line: int) -> LedgerEntry:
    """One ledger line; ValueError names the field that is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"not JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but {type(data).__name__}")
    for name, kind in _REQUIRED.items():
        if name not in data:
            raise ValueError(f"field {name!r} is missing")
        value = data[name]
        # bool is a subclass of int: an exit code of `true` is still wrong.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"field {name!r} is {value!r}, not a {getattr(kind, '__name__', kind)}")
    if data["passed"] != (data["exit_code"] == 0):
        raise ValueError(f"field 'passed' is {data['passed']} but 'exit_code' is {data['exit_code']}")
    environment = data.get("environment")
    if environment is not None and not (
        isinstance(environment, dict) and all(isinstance(v, str) for v in environment.values())
    ):
        raise ValueError(f"field 'environment' is {environment!r}, not an object of strings")
    command = data.get("command") or []
    dirty = data.get("dirty")
    return LedgerEntry(
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        exit_code=data["exit_code"],
        passed=data["passed"],
        duration_s=float(data.get("duration_s") or 0.0),
        commit=str(data["commit"]) if data.get("commit") else None,
        dirty=dirty if isinstance(dirty, bool) else None,
        command=[str(c) for c in command] if isinstance(command, list) else [str(command)],
        suite=str(data["suite"]) if data.get("suite") else None,
        environment={str(k): v for k, v in environment.items()} if environment is not None else None,
        line=line,
    )


def read_ledger(path: Path) -> Ledger:
    """Read every line; a bad line becomes a problem naming its line, the rest are kept."""
    ledger = Ledger(path)
    if not path.exists():
        return ledger
    for number, text in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            ledger.entries.append(_parse_line(text, number))
        except ValueError as err:
            ledger.problems.append((number, str(err)))
    return ledger


def append_entry(path: Path, entry: LedgerEntry) -> None:
    """Append one line under an exclusive lock, so two guard runs finishing together both land whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0, 2)
        if handle.tell() > 0:  # a file edited by hand may lack its last newline: do not glue lines
            handle.seek(handle.tell() - 1)
            last = handle.read(1)
            handle.seek(0, 2)
            if last != "\n":
                handle.write("\n")
        handle.write(entry.to_json() + "\n")
        handle.flush()
