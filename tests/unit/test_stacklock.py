"""A running session's stack cannot be destroyed from another process; the lock dies with its holder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lakehouse import procgroup
from lakehouse.stacklock import INHERIT_ENV, StackBusy, StackLock, busy, child_env

HOLD = (
    "import sys, time; from pathlib import Path; from lakehouse.stacklock import StackLock;"
    "StackLock(Path(sys.argv[1])).acquire(); print('held', flush=True); sys.stdin.read()"
)


def test_another_process_holding_the_lock_makes_the_stack_busy(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert busy(tmp_path) == f"pid {holder.pid}"
        with pytest.raises(StackBusy, match=f"pid {holder.pid}"):
            StackLock(tmp_path).acquire()
    finally:
        holder.kill()  # like kill -9: the kernel drops the lock
        holder.wait()
    assert busy(tmp_path) is None
    StackLock(tmp_path).acquire()


def test_one_process_shares_its_own_lock(tmp_path: Path) -> None:
    session, helper = StackLock(tmp_path), StackLock(tmp_path)
    session.acquire()
    helper.acquire()  # e.g. the session's own destroy, or a test that runs one
    assert busy(tmp_path) is None
    helper.release()
    session.release()
    assert not session.held


def test_a_recorded_terraform_group_left_behind_is_listed_and_ended(tmp_path: Path) -> None:
    # Stands for Terraform and a provider plugin: a group leader with a child, in a session of their own.
    group = subprocess.Popen(
        ["sh", "-c", "sleep 300 & exec sleep 300"], start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        procgroup.record(tmp_path, group.pid, "apply")
        deadline = time.monotonic() + 10
        while len(procgroup.leftovers(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(procgroup.leftovers(tmp_path)) == 2
        ended = procgroup.end(tmp_path, grace_s=5)
        assert {m.pid for m in ended} >= {group.pid}
        assert procgroup.leftovers(tmp_path) == [] and not (tmp_path / procgroup.PGID_FILE).exists()
    finally:
        if group.poll() is None:
            group.kill()
        group.wait()


def test_verifying_sessions_share_the_lock_and_destroy_still_refuses(tmp_path: Path) -> None:
    shared_hold = HOLD.replace("StackLock(Path(sys.argv[1]))", "StackLock(Path(sys.argv[1]), shared=True)")
    verifier = subprocess.Popen(
        [sys.executable, "-c", shared_hold, str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert verifier.stdout is not None and verifier.stdout.readline().strip() == "held"
        other = StackLock(tmp_path, shared=True)
        other.acquire()  # a second `--deployed` session (or xdist worker) verifies alongside
        other.release()
        holder = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from lakehouse.stacklock import busy;"
                "print(busy(Path(sys.argv[1])))",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert holder.stdout.strip() != "None"  # what `make destroy` asks: in use
    finally:
        verifier.kill()
        verifier.wait()


ATTACH = (
    "import sys; from pathlib import Path; from lakehouse.stacklock import StackBusy, StackLock\n"
    "lock = StackLock(Path(sys.argv[1]), shared=True)\n"
    "try:\n    lock.acquire()\nexcept StackBusy as err:\n    print(f'busy: {err}'); sys.exit(3)\n"
    "lock.release(); print('attached')\n"
)


def _attach(stack: Path, env: dict[str, str], fds: tuple[int, ...] = ()) -> subprocess.CompletedProcess[str]:
    """A child attaching to the stack as ``lakehouse demo`` does (a shared lock), then letting go; through bash's
    ``exec``, as ``run_demo_queries.sh`` starts the CLI."""
    return subprocess.run(
        ["bash", "-c", 'exec "$0" -c "$1" "$2"', sys.executable, ATTACH, str(stack)],
        env={**os.environ, **env},
        pass_fds=fds,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_child_the_session_runs_attaches_inside_the_session_s_exclusive_hold(tmp_path: Path) -> None:
    """A deploying session holds its stack exclusively; ``run_demo_queries.sh`` it runs (exit check 2) attaches
    with a shared lock of its own, which was refused: the verifier could not run in a deploying session."""
    session = StackLock(tmp_path)
    session.acquire()
    try:
        alone = _attach(tmp_path, {})
        assert alone.returncode == 3 and f"pid {os.getpid()}" in alone.stdout
        env, fds = child_env(tmp_path)
        assert env == {INHERIT_ENV: str(fds[0])}
        inside = _attach(tmp_path, env, fds)
        assert inside.returncode == 0 and inside.stdout.strip() == "attached", inside.stdout + inside.stderr
        # The child's release left the session's hold in place: `make destroy` is still refused.
        assert busy(tmp_path) is None  # this process holds it...
        assert _attach(tmp_path, {}).returncode == 3  # ...and another process is still kept out
        # The variable alone (no descriptor passed, or one open on another file) is not a hold.
        assert _attach(tmp_path, env).returncode == 3
    finally:
        session.release()
    assert _attach(tmp_path, {}).returncode == 0
    assert child_env(tmp_path) == ({}, ())
