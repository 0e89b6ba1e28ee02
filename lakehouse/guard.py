"""The guard-run ledger: what ``make guard`` leaves behind for exit check 3 on a machine without GitHub.

``python -m lakehouse.guard run -- <command...>`` runs the guard suite, times it, and appends
one JSON line to ``reports/guard-ledger.jsonl``::

    {"started_at": ..., "finished_at": ..., "duration_s": ..., "commit": ..., "dirty": ...,
     "exit_code": 0, "passed": true, "command": [...]}

Lines are appended, never rewritten, so the file is the history; the newest run is the
last line. ``python -m lakehouse.guard show`` prints what exit check 3 would conclude.
A line that cannot be read is reported by file and line; the other lines still count.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lakehouse.config import LEDGER_FILE, project_root
from lakehouse.evidence import git_commit, utc_now

#: Fields every ledger line must have, with their JSON types.
_REQUIRED: dict[str, type | tuple[type, ...]] = {
    "started_at": str,
    "finished_at": str,
    "exit_code": int,
    "passed": bool,
}


def default_ledger() -> Path:
    """``reports/guard-ledger.jsonl`` in the checkout."""
    return project_root() / "reports" / LEDGER_FILE


@dataclass(frozen=True)
class LedgerEntry:
    """One guard run."""

    started_at: str
    finished_at: str
    exit_code: int
    passed: bool
    duration_s: float = 0.0
    commit: str | None = None
    dirty: bool | None = None
    command: list[str] = field(default_factory=list)
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
    command = data.get("command") or []
    return LedgerEntry(
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        exit_code=data["exit_code"],
        passed=data["passed"],
        duration_s=float(data.get("duration_s") or 0.0),
        commit=data.get("commit"),
        dirty=data.get("dirty"),
        command=[str(c) for c in command] if isinstance(command, list) else [str(command)],
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


def _dirty(root: Path) -> bool | None:
    """Whether the checkout has uncommitted changes (a guard run then tested more than the commit)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return bool(out.stdout.strip()) if out.returncode == 0 else None


def make_dry_run(makeflags: str | None) -> bool:
    """Whether make runs with -n, -q or -t: then the suite's commands only print, and a "pass" means nothing.

    GNU make puts its single-letter flags, without a dash, in the first word of MAKEFLAGS,
    and runs recipe lines that use $(MAKE) even under -n; so ``make -n guard`` reaches us.
    """
    first = (makeflags or "").split(" ", 1)[0]
    return not first.startswith("-") and any(flag in first for flag in "nqt")


def run_guard(command: list[str], ledger: Path, cwd: Path | None = None) -> LedgerEntry:
    """Run the guard suite and append its result. Ctrl-C still records the (failed) run."""
    root = cwd or project_root()
    started_at, start = utc_now(), time.monotonic()
    commit, dirty = git_commit(root), _dirty(root)
    proc = subprocess.Popen(command, cwd=root)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # the child got the same SIGINT: let it finish, then record it
        code = proc.wait()
        code = code if code != 0 else 130
    entry = LedgerEntry(
        started_at=started_at,
        finished_at=utc_now(),
        exit_code=code,
        passed=code == 0,
        duration_s=round(time.monotonic() - start, 3),
        commit=commit,
        dirty=dirty,
        command=list(command),
    )
    append_entry(ledger, entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.guard", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the guard suite (the command after --) and append its result")
    run.add_argument("--ledger", type=Path, default=None, help=f"ledger file (default reports/{LEDGER_FILE})")
    run.add_argument("suite", nargs=argparse.REMAINDER, help="-- command to run")
    show = sub.add_parser("show", help="print the ledger's newest runs and what exit check 3 concludes")
    show.add_argument("--ledger", type=Path, default=None)
    args = parser.parse_args(argv)
    ledger_path = args.ledger or default_ledger()

    # Imported here: the check module imports this one.
    from lakehouse.checks.ci import judge_ledger

    if args.command == "run":
        suite = args.suite[1:] if args.suite[:1] == ["--"] else args.suite
        if not suite:
            parser.error("run: give the guard suite's command after --")
        if make_dry_run(os.environ.get("MAKEFLAGS")):
            print("guard: make dry run (-n/-q/-t): the suite is not run and nothing is recorded", file=sys.stderr)
            return subprocess.run(suite, cwd=project_root()).returncode
        entry = run_guard(suite, ledger_path)
        print(f"guard: {'passed' if entry.passed else f'failed (exit {entry.exit_code})'} in {entry.duration_s:.1f} s")
    outcome = judge_ledger(read_ledger(ledger_path))
    text = outcome.reason or f"the newest {outcome.threshold} guard runs all passed"
    print(f"guard ledger {ledger_path}: exit check 3 would be {outcome.status}: {text}", file=sys.stderr)
    if args.command == "run":  # make sees the suite's own exit code
        return entry.exit_code if 0 <= entry.exit_code < 256 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
