"""The stack's MLflow tracking server: started and stopped with a local stack (like the lineage service:
free port, ready line, PID), or named by the user on ``aws`` (``MLFLOW_TRACKING_URI`` / ``--mlflow-url``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehouse.ml.server import READY_PREFIX
from lakehouse.services import pid_alive, start_service, stop_pid


class MlflowServiceError(RuntimeError):
    """The MLflow tracking server did not start."""


@dataclass(frozen=True)
class MlflowHandle:
    """A running tracking server: its base URL (REST API and UI) and its process."""

    url: str
    pid: int

    def alive(self) -> bool:
        return pid_alive(self.pid)


def start_mlflow_service(
    home: Path, log_path: Path | None = None, timeout_s: float = 60.0, detach: bool = False
) -> MlflowHandle:
    """Start the server over ``home/mlflow.sqlite`` on a kernel-chosen loopback port; return once it listens.

    ``detach`` puts it in its own session so it outlives the caller (``make up``).
    """
    home.mkdir(parents=True, exist_ok=True)
    pid, info = start_service(
        ["lakehouse.ml.server", "--db", str(home / "mlflow.sqlite"), "--artifacts", str(home / "mlflow-artifacts")],
        READY_PREFIX,
        "MLflow tracking server",
        MlflowServiceError,
        log_path,
        timeout_s,
        detach,
    )
    return MlflowHandle(url=info["url"], pid=pid)


def stop_mlflow_service(handle: MlflowHandle, timeout_s: float = 10.0) -> None:
    """End the server we started (by its PID only) and wait until it is gone."""
    stop_pid(handle.pid, timeout_s)


#: Where the error says to name the tracking server (a real account's stack does not start one).
NAME_IT = "set MLFLOW_TRACKING_URI or --mlflow-url"


def tracking_uri(configured: str | None, recorded: str | None) -> str | None:
    """The configured server (MLflow's standard variable or the option) wins; else the local stack's own."""
    return configured or recorded
