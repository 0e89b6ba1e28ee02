"""A CLI run by a test that times out leaves nothing running (``procgroup.run`` and ``procgroup.ended_on_error``).

The hole: the integration tests ran ``lakehouse``/``pytest features/`` with ``subprocess.run(timeout=...)`` or
``Popen.communicate(timeout=...)``. On a timeout ``subprocess.run`` kills the child only, and ``communicate``
nothing at all: Terraform (in a session of its own), its provider plugins and the emulator ran on, orphaned
(~0.5 GB per provider). A tiny Python child stands in for the CLI: it starts one sleeping grandchild in a session
of its own (as Terraform) and one in its own group (as a service), writes their PIDs, and sleeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lakehouse import procgroup

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc (Linux)")

CHILD = textwrap.dedent(
    """
    import os, subprocess, sys
    apart = subprocess.Popen(["sleep", "300"], start_new_session=True)  # as Terraform: a session of its own
    along = subprocess.Popen(["sleep", "300"])  # as a service the CLI started: in the CLI's group
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(f"{apart.pid} {along.pid}")
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    apart.wait()
    """
)
DEADLINE_S = 30.0


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan killed may wait for a PID 1 that never reaps it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def _until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``DEADLINE_S`` (a deadline, not a pace)."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _grandchildren(pids: Path) -> list[int]:
    _until(pids.exists, "the child never started its grandchildren")
    return [int(p) for p in pids.read_text().split()]


def _timed_out(start: Callable[[float], object], pids: Path) -> list[int]:
    """Run ``start(timeout)`` until it times out with the grandchildren up (a longer timeout each time the child
    was ended before it started them): the grandchildren's PIDs."""
    timeout = 0.5
    while True:
        with pytest.raises(subprocess.TimeoutExpired):
            start(timeout)
        if pids.exists():
            return _grandchildren(pids)
        assert timeout < DEADLINE_S, "the child never started its grandchildren"
        timeout *= 2


def _end(pids: list[int]) -> None:
    for pid in pids:  # grandchildren this test started, by PID only
        if _running(pid):
            os.kill(pid, 9)


def test_before_the_fix_subprocess_run_s_timeout_orphans_the_grandchildren(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    argv = [sys.executable, "-c", CHILD, str(pids)]
    grandchildren = _timed_out(lambda t: subprocess.run(argv, capture_output=True, text=True, timeout=t), pids)
    try:
        assert all(_running(pid) for pid in grandchildren), "subprocess.run ended them after all"
    finally:
        _end(grandchildren)


def test_run_ends_a_timed_out_child_s_whole_tree_before_the_timeout_goes_on(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    grandchildren = _timed_out(lambda t: procgroup.run([sys.executable, "-c", CHILD, str(pids)], timeout=t), pids)
    try:
        _until(lambda: not any(_running(pid) for pid in grandchildren), f"grandchildren {grandchildren} left running")
    finally:
        _end(grandchildren)


def test_a_wait_that_times_out_or_fails_ends_the_tree_and_the_exception_goes_on(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(pids)], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    grandchildren: list[int] = []
    try:
        with pytest.raises(subprocess.TimeoutExpired), procgroup.ended_on_error(child):
            grandchildren = _grandchildren(pids)  # the tree is up: the timeout below ends it, not a race
            assert {m.pid for m in procgroup.descendants(child.pid)} >= set(grandchildren)
            child.communicate(timeout=0.1)  # the child never ends on its own, as a stuck CLI
        assert child.returncode == -9
        _until(lambda: not any(_running(pid) for pid in grandchildren), f"grandchildren {grandchildren} left running")
    finally:
        if child.returncode is None:
            child.kill()
            child.wait()
        _end(grandchildren)


def test_a_run_that_ends_in_time_is_returned_as_subprocess_run_would(tmp_path: Path) -> None:
    done = procgroup.run(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); exit(3)"], timeout=60
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")


def test_a_ctrl_c_while_a_child_starts_is_held_and_replayed_on_release() -> None:
    """Terraform's runner holds a Ctrl-C that lands while Popen starts the child (after the fork, or before the
    runner's ``try``) and replays it inside that ``try``, where it is passed on to the child: none is lost, and the
    child is never left running unknown."""
    import threading

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        held = procgroup.HeldInterrupt()
        before = signal.getsignal(signal.SIGINT)
        held.hold()
        assert signal.getsignal(signal.SIGINT) is before
        held.release()
        return
    # Python's Ctrl-C, as the CLI has it (a test run started from a background job inherits SIGINT ignored).
    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        held = procgroup.HeldInterrupt()
        held.hold()
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 10
        while not held.noted:  # Python runs the handler between bytecodes of this thread
            assert time.monotonic() < deadline, "the SIGINT was never noted"
            time.sleep(0.001)
        with pytest.raises(KeyboardInterrupt):
            held.release()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with procgroup.held_interrupt() as quiet:  # nothing arrived: released without a sound
            assert not quiet.noted
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # ignored before: a held one stays ignored
        ignoring = procgroup.HeldInterrupt()
        ignoring.hold()
        os.kill(os.getpid(), signal.SIGINT)
        while not ignoring.noted:
            assert time.monotonic() < deadline + 10, "the SIGINT was never noted"
            time.sleep(0.001)
        ignoring.release()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, original)
