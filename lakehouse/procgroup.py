"""Process groups the harness starts (Terraform and its provider plugins), recorded so they can be found.

Terraform runs in a session of its own, and the provider plugins it starts stay in that process
group. If the harness is killed (``kill -9``) mid-apply, the group outlives it (two
terraform-provider-aws processes of ~0.5 GB each were seen). The runner writes the group's id to
a file next to the stack's logs while Terraform runs; `make status` lists what is still alive in
it and `make destroy` ends it before touching the stack. Only groups we recorded are ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

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
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state ppid pgrp ...
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(Member(int(entry.name), cmd or stat[stat.index("(") + 1 : stat.rindex(")")]))
    return sorted(found, key=lambda m: m.pid)


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
