"""Start and stop the emulator process, from pytest fixtures and from the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lakehouse.emulator.server import READY_PREFIX
from lakehouse.services import pid_alive, start_service, stop_pid
from lakehouse.target import LOCAL_ACCESS_KEY

__all__ = ["EmulatorError", "EmulatorHandle", "pid_alive", "start_emulator", "stop_emulator"]


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


def start_emulator(
    log_path: Path | None = None,
    timeout_s: float = 30.0,
    detach: bool = False,
    root_keys: tuple[str, ...] = (LOCAL_ACCESS_KEY,),
    billing_alerts: bool = True,
) -> EmulatorHandle:
    """Start the emulator on a kernel-chosen loopback port and wait for its ready line.

    ``root_keys`` are the deployer's access keys, the only keys (besides the ones the emulator
    issues: IAM users', STS sessions') it accepts; the harness's clients use the first.
    ``billing_alerts``: False starts every account without "Receive Billing Alerts" (no AWS/Billing metrics).
    """
    args = ["lakehouse.emulator.server"]
    for key in root_keys:
        args += ["--root-access-key", key]
    if not billing_alerts:
        args.append("--no-billing-alerts")
    pid, info = start_service(args, READY_PREFIX, "emulator", EmulatorError, log_path, timeout_s, detach)
    return EmulatorHandle(endpoint=info["endpoint"], pid=pid, log_path=log_path)


def stop_emulator(handle: EmulatorHandle, timeout_s: float = 10.0) -> None:
    """End the emulator we started (by its PID only) and wait until it is gone."""
    stop_pid(handle.pid, timeout_s)
