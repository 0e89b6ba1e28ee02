"""Process groups the harness starts (Terraform and its provider plugins), recorded so they can be found.

Terraform runs in a session of its own, and the provider plugins it starts stay in that process
group. If the harness is killed (``kill -9``) mid-apply, the group outlives it (two
terraform-provider-aws processes of ~0.5 GB each were seen). The runner writes the group's id to
a file next to the stack's logs while Terraform runs; `make status` lists what is still alive in
it and `make destroy` ends it before touching the stack. Only groups we recorded, or of a tree we started, are
ever signalled.

Tests run the CLI (``lakehouse``, ``pytest features/``) as a child the same way (``run``, ``ended_on_error``): in
a session of its own, and when waiting on it times out or fails, its tree is ended (``end_tree``), so a stuck run
leaves no Terraform, provider plugin or emulator behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PGID_FILE = "terraform.pgid"


@dataclass(frozen=True)
class Member:
    pid: int
    command: str


def record(directory: Path, pgid: int, what: str) -> Path:
    path = directory / PGID_FILE
    path.write_text(f"{pgid} {what}\n", encoding="utf-8")
    return path


def recorded(directory: Path) -> tuple[int, str] | None:
    """The recorded group id and what it was running, if a record is there."""
    try:
        pgid, _, what = (directory / PGID_FILE).read_text(encoding="utf-8").strip().partition(" ")
        return int(pgid), what
    except (OSError, ValueError):
        return None


def members(pgid: int, proc: Path = Path("/proc")) -> list[Member]:
    """Live processes in the group (Linux ``/proc``; elsewhere only the leader, if alive)."""
    if not proc.is_dir():
        try:
            os.kill(pgid, 0)
        except OSError:
            return []
        return [Member(pgid, "?")]
    return sorted((Member(p.pid, p.command) for p in _processes(proc) if p.pgid == pgid), key=lambda m: m.pid)


@dataclass(frozen=True)
class _Process:
    pid: int
    ppid: int
    pgid: int
    command: str


def _processes(proc: Path = Path("/proc")) -> Iterator[_Process]:
    """Every live (not zombie) process ``/proc`` lists, with its parent and group (none without ``/proc``)."""
    if not proc.is_dir():
        return
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp ...
        if fields[0] != "Z":
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            yield _Process(int(entry.name), int(fields[1]), int(fields[2]), cmd or comm)


def descendants(pid: int, proc: Path = Path("/proc")) -> list[Member]:
    """``pid``'s children, theirs, and so on, whatever session each moved to (Terraform runs in one of its own)."""
    children: dict[int, list[_Process]] = {}
    for p in _processes(proc):
        children.setdefault(p.ppid, []).append(p)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(Member(child.pid, child.command))
            todo.append(child.pid)
    return sorted(found, key=lambda m: m.pid)


def end_tree(leader: int, proc: Path = Path("/proc")) -> list[int]:
    """SIGKILL the group of ``leader`` (a process started with ``start_new_session=True``) and the group of each of
    its descendants; the group ids signalled.

    SIGKILL, not SIGTERM: a process given time to stop may start a new one (a teardown's ``terraform destroy``, in
    a session of its own) that nobody would find once its parent is gone. All are found first, while the tree still
    hangs together, then signalled together. This process's own group is never signalled.
    """
    groups = {leader}
    by_pid = {p.pid: p for p in _processes(proc)}
    groups |= {by_pid[m.pid].pgid for m in descendants(leader, proc) if m.pid in by_pid}
    groups.discard(os.getpgrp())
    for pgid in sorted(groups):
        _signal(pgid, signal.SIGKILL)
    return sorted(groups)


@contextlib.contextmanager
def ended_on_error(child: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Whatever ends the block by an exception (a wait that timed out, a failed assertion, Ctrl-C) ends ``child``'s
    tree first (``end_tree``; ``child`` started with ``start_new_session=True``), then goes on."""
    try:
        yield child
    except BaseException:
        end_tree(child.pid)
        child.wait()
        raise


def run(argv: Sequence[str], *, timeout: float, **popen: Any) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **popen)`` in a session of its own.

    On a timeout ``subprocess.run`` kills the child only: its children (Terraform, the provider plugins, the
    emulator) run on, orphaned. Here the whole tree is ended before ``TimeoutExpired`` goes on.
    """
    with (
        subprocess.Popen(
            list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **popen
        ) as child,
        ended_on_error(child),
    ):
        out, err = child.communicate(timeout=timeout)
    return subprocess.CompletedProcess(child.args, child.returncode, out, err)


def leftovers(directory: Path) -> list[Member]:
    """What is still running of the group recorded in ``directory``."""
    rec = recorded(directory)
    return members(rec[0]) if rec else []


def end(directory: Path, grace_s: float = 10.0) -> list[Member]:
    """SIGTERM the recorded group, SIGKILL what is left after ``grace_s``; the record is removed."""
    rec = recorded(directory)
    alive = members(rec[0]) if rec else []
    if rec and alive:
        _signal(rec[0], signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while members(rec[0]) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling a condition (the group is gone) with a deadline
        if members(rec[0]):
            _signal(rec[0], signal.SIGKILL)
    (directory / PGID_FILE).unlink(missing_ok=True)
    return alive


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


class HeldInterrupt:
    """A Ctrl-C (SIGINT) that arrives while a child is being started, held until the caller knows the child.

    ``subprocess.Popen`` can be interrupted after the fork (while it waits for the exec) or just after it returns,
    before the caller's ``try`` that passes a Ctrl-C on: the child then runs on, unknown (a fake Terraform was left
    behind so by a test under load). Inside ``held_interrupt`` a SIGINT is only noted; ``release`` (called inside
    that ``try``) puts the previous handler back and replays a noted one there. Main thread only (Python delivers
    signals there); elsewhere nothing is held.
    """

    def __init__(self) -> None:
        self.noted = False
        self._previous: Any = None
        self._holding = False

    def _note(self, signum: int, frame: Any) -> None:
        self.noted = True

    def hold(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)
            self._holding = True

    def release(self) -> None:
        """Put the previous SIGINT handler back; a SIGINT noted meanwhile is replayed now (KeyboardInterrupt for
        Python's default handler)."""
        if not self._holding:
            return
        self._holding = False
        previous = self._previous
        signal.signal(signal.SIGINT, previous)
        if self.noted:
            self.noted = False
            if previous is signal.default_int_handler or previous == signal.SIG_DFL:
                raise KeyboardInterrupt
            if callable(previous):
                previous(signal.SIGINT, None)


@contextlib.contextmanager
def held_interrupt() -> Iterator[HeldInterrupt]:
    """``HeldInterrupt`` held for the block; released on the way out if the block did not (a failed start)."""
    held = HeldInterrupt()
    held.hold()
    try:
        yield held
    finally:
        held.release()
