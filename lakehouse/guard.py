"""The guard runner: ``make guard`` runs the guard suite through it, and each run lands in the ledger.

``python -m lakehouse.guard run -- <command...>`` runs the command, times it, and appends one
JSON line to ``reports/guard-ledger.jsonl`` (the model and the rule of what counts are in
``lakehouse.ledger``)::

    {"started_at": ..., "finished_at": ..., "duration_s": ..., "commit": ..., "dirty": ...,
     "exit_code": 0, "passed": true, "command": [...], "suite": "make lint test",
     "environment": {"MAKEFLAGS": ...}}

Any command is run and recorded, but only the guard suite (``make lint test``, as the
Makefile's ``guard`` target runs it), without ``make -i`` and the like, on a clean tree, counts
for exit check 3, and only for the commit it ran at; the runner says so when a run will not
count. ``python -m lakehouse.guard show`` prints what exit check 3 would conclude.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from lakehouse.checks.ci import judge_ledger
from lakehouse.checks.history import commit_under_test
from lakehouse.config import LEDGER_FILE, project_root
from lakehouse.evidence import git_commit, utc_now
from lakehouse.ledger import (
    RECORDED_ENVIRONMENT,
    LedgerEntry,
    append_entry,
    make_letters,
    read_ledger,
    suite_of,
    why_not_counted,
)

# Re-exported: tests and older callers import the ledger model from here.
__all__ = ["LedgerEntry", "append_entry", "default_ledger", "main", "make_dry_run", "read_ledger", "run_guard"]


def default_ledger() -> Path:
    """``reports/guard-ledger.jsonl`` in the checkout."""
    return project_root() / "reports" / LEDGER_FILE


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

    make runs recipe lines that use $(MAKE) even under -n; so ``make -n guard`` reaches us.
    """
    return any(flag in make_letters(makeflags) for flag in "nqt")


def recorded_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables (``RECORDED_ENVIRONMENT``) that were set: what the judge needs to tell ``make -i`` apart."""
    return {name: environ[name] for name in RECORDED_ENVIRONMENT if name in environ}


def run_guard(
    command: list[str], ledger: Path, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> LedgerEntry:
    """Run ``command`` and append its result. Ctrl-C still records the (failed) run.

    The tree is looked at before and after: a commit made, or a file changed, during the run
    means the run did not test one clean commit.
    """
    root = cwd or project_root()
    env = dict(os.environ if environ is None else environ)
    started_at, start = utc_now(), time.monotonic()
    commit, dirty = git_commit(root), _dirty(root)
    proc = subprocess.Popen(command, cwd=root, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:  # the child got the same SIGINT: let it finish, then record it
        code = proc.wait()
        code = code if code != 0 else 130
    commit_after, dirty_after = git_commit(root), _dirty(root)
    entry = LedgerEntry(
        started_at=started_at,
        finished_at=utc_now(),
        exit_code=code,
        passed=code == 0,
        duration_s=round(time.monotonic() - start, 3),
        commit=commit if commit == commit_after else None,
        dirty=None if dirty is None or dirty_after is None else dirty or dirty_after,
        command=list(command),
        suite=suite_of(command),
        environment=recorded_environment(env),
    )
    append_entry(ledger, entry)
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse.guard", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the guard suite (the command after --) and append its result")
    show = sub.add_parser("show", help="print the ledger's newest runs and what exit check 3 concludes")
    for each in (run, show):
        each.add_argument("--ledger", type=Path, default=None, help=f"ledger file (default reports/{LEDGER_FILE})")
        each.add_argument("--checkout", type=Path, default=None, help="the git checkout to run in and judge")
    run.add_argument("suite", nargs=argparse.REMAINDER, help="-- command to run")
    args = parser.parse_args(argv)
    ledger_path = args.ledger or default_ledger()
    root = args.checkout or project_root()
    head, head_source = commit_under_test(root)

    if args.command == "run":
        suite = args.suite[1:] if args.suite[:1] == ["--"] else args.suite
        if not suite:
            parser.error("run: give the guard suite's command after --")
        if make_dry_run(os.environ.get("MAKEFLAGS")):
            print("guard: make dry run (-n/-q/-t): the suite is not run and nothing is recorded", file=sys.stderr)
            return subprocess.run(suite, cwd=root).returncode
        entry = run_guard(suite, ledger_path, cwd=root)
        print(f"guard: {'passed' if entry.passed else f'failed (exit {entry.exit_code})'} in {entry.duration_s:.1f} s")
        if head and (why := why_not_counted(entry, head)):
            print(f"guard: this run does not count for exit check 3: {'; '.join(why)}", file=sys.stderr)
    outcome = judge_ledger(read_ledger(ledger_path), head, head_source)
    text = outcome.reason or f"the newest {outcome.threshold} guard runs at {head} on a clean tree all passed"
    print(f"guard ledger {ledger_path}: exit check 3 would be {outcome.status}: {text}", file=sys.stderr)
    if args.command == "run":  # make sees the suite's own exit code
        return entry.exit_code if 0 <= entry.exit_code < 256 else 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
