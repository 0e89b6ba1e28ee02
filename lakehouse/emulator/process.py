"""Start and stop the emulator process, from pytest fixtures and from the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lakehouse.emulator.server import READY_PREFIX


class EmulatorError(RuntimeError):
    """The emulator did not start, or did not answer."""


@dataclass(frozen=True)
class EmulatorHandle:
    """A running emulator: where it listens and which process to end."""

    endpoint: str
    pid: int
    log_path: Path | None = None

    def alive(self) -> bool:
        return pid_alive(self.pid)


def pid_alive(pid: int) -> bool:
    """True while a process with this PID exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie still answers kill(0); reap it if it is our child
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def start_emulator(
    log_path: Path | None = None,
    timeout_s: float = 30.0,
    detach: bool = False,
) -> EmulatorHandle:
    """Start the emulator on a kernel-chosen loopback port and wait for its ready line.

    ``detach`` puts it in its own session so it outlives the caller (``make up``);
    otherwise it dies with the process group of the caller on Ctrl-C.
    """
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    stderr_target = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakehouse.emulator.server"],
            stdout=subprocess.PIPE,
            stderr=stderr_target,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=detach,
        )
    finally:
        if log_path:
            stderr_target.close()  # type: ignore[union-attr]
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    # readline() blocks; the ready line is the first thing the server prints,
    # and a crash closes stdout, so this loop always ends.
    while time.monotonic() < deadline:
        line = proc.stdout.readline().decode()
        if not line:
            proc.wait(timeout=5)
            raise EmulatorError(
                f"emulator exited with code {proc.returncode} before it was ready"
                + (f"; see {log_path}" if log_path else "")
            )
        if line.startswith(READY_PREFIX):
            info = json.loads(line[len(READY_PREFIX) :])
            proc.stdout.close()
            return EmulatorHandle(endpoint=info["endpoint"], pid=proc.pid, log_path=log_path)
    stop_emulator(EmulatorHandle(endpoint="", pid=proc.pid))
    raise EmulatorError(f"emulator not ready after {timeout_s:.0f} s")


def stop_emulator(handle: EmulatorHandle, timeout_s: float = 10.0) -> None:
    """End the emulator we started (by its PID only) and wait until it is gone."""
    if not pid_alive(handle.pid):
        return
    os.kill(handle.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(handle.pid):
            return
        time.sleep(0.05)  # polling a condition with a deadline, not synchronising by sleep
    os.kill(handle.pid, signal.SIGKILL)
