"""Start and stop the lineage service process (like the emulator's: free port, ready line, PID)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehouse.services import pid_alive, start_service, stop_pid

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
    pid, info = start_service(
        ["lakehouse.lineage.service.server", "--db", str(db_path)],
        READY_PREFIX,
        "lineage service",
        LineageServiceError,
        log_path,
        timeout_s,
        detach,
    )
    return LineageHandle(url=info["url"], pid=pid, db_path=db_path)


def stop_lineage_service(handle: LineageHandle, timeout_s: float = 10.0) -> None:
    """End the service we started (by its PID only) and wait until it is gone."""
    stop_pid(handle.pid, timeout_s)
