"""Start and stop the lineage service process (like the emulator's: free port, ready line, PID)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lakehouse.emulator.process import EmulatorHandle, pid_alive, stop_emulator

#: First line the server prints, with its URL and PID as JSON (the starter waits for it).
READY_PREFIX = "LAKEHOUSE_LINEAGE_READY "


class LineageServiceError(RuntimeError):
    """The lineage service did not start."""


@dataclass(frozen=True)
class LineageHandle:
    """A running lineage service: its base URL (API and web) and its process."""

    url: str
    pid: int
    db_path: Path | None = None

    def alive(self) -> bool:
        return pid_alive(self.pid)


def start_lineage_service(
    db_path: Path, log_path: Path | None = None, timeout_s: float = 20.0, detach: bool = False
) -> LineageHandle:
    """Start the service over ``db_path`` on a kernel-chosen loopback port; return once it listens.

    ``detach`` puts it in its own session so it outlives the caller (``make up``).
    """
    db_path.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    stderr_target = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lakehouse.lineage.service.server", "--db", str(db_path)],
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
    while time.monotonic() < deadline:  # the ready line comes first; a crash closes stdout
        line = proc.stdout.readline().decode()
        if not line:
            proc.wait(timeout=5)
            raise LineageServiceError(
                f"lineage service exited with code {proc.returncode} before it was ready"
                + (f"; see {log_path}" if log_path else "")
            )
        if line.startswith(READY_PREFIX):
            info = json.loads(line[len(READY_PREFIX) :])
            proc.stdout.close()
            return LineageHandle(url=info["url"], pid=proc.pid, db_path=db_path)
    stop_lineage_service(LineageHandle(url="", pid=proc.pid))
    raise LineageServiceError(f"lineage service not ready after {timeout_s:.0f} s")


def stop_lineage_service(handle: LineageHandle, timeout_s: float = 10.0) -> None:
    """End the service we started (by its PID only) and wait until it is gone."""
    stop_emulator(EmulatorHandle(endpoint=handle.url, pid=handle.pid), timeout_s=timeout_s)
