"""Local service processes (the emulator, the lineage service): started, awaited, ended by PID.

Each service binds a kernel-chosen loopback port and prints one ready line (a prefix, then JSON
with where it listens) before anything else, so the starter knows the port without racing for it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


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


def start_service(
    module_args: list[str],
    ready_prefix: str,
    what: str,
    error: type[RuntimeError],
    log_path: Path | None = None,
    timeout_s: float = 30.0,
    detach: bool = False,
) -> tuple[int, dict[str, Any]]:
    """Run ``python -m <module_args>`` and wait for its ready line; return its PID and the line's JSON.

    ``detach`` puts it in its own session so it outlives the caller (``make up``); otherwise it
    dies with the caller's process group on Ctrl-C. Failures raise ``error`` naming ``what``.
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    stderr_target = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", *module_args],
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
            see = f"; see {log_path}" if log_path else ""
            raise error(f"{what} exited with code {proc.returncode} before it was ready{see}")
        if line.startswith(ready_prefix):
            proc.stdout.close()
            return proc.pid, dict(json.loads(line[len(ready_prefix) :]))
    stop_pid(proc.pid)
    raise error(f"{what} not ready after {timeout_s:.0f} s")


def stop_pid(pid: int, timeout_s: float = 10.0) -> None:
    """End a process we started (by its PID only) and wait until it is gone."""
    if not pid_alive(pid):
        return
    # The process may end (and be reaped by its parent) between any check and the signal: that is done too.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)  # polling a condition with a deadline, not synchronising by sleep
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def serve_until_signalled(server: Any, ready_prefix: str, ready: dict[str, Any]) -> None:
    """The service side of :func:`start_service`: print the ready line, serve until SIGTERM/SIGINT, close.

    ``server`` is a werkzeug/socketserver server; its ``shutdown`` blocks until ``serve_forever``
    returns, so a signal calls it from another thread.
    """
    import threading

    def _stop(_signum: int, _frame: Any) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    sys.stdout.write(ready_prefix + json.dumps(ready) + "\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # the parent reads stdout only up to the ready line
    server.serve_forever()
    server.server_close()
