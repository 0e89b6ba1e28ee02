"""Ending a service by PID: a process that is gone by the time it is signalled is ended, not an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse import services


def _pid_that_cannot_exist() -> int:
    """A PID above the kernel's maximum: signalling it always finds no process (never a stranger)."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1000


@pytest.mark.skipif(not Path("/proc/sys/kernel/pid_max").exists(), reason="needs Linux's /proc")
def test_a_process_gone_between_the_check_and_the_signal_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    # The race seen in a teardown: alive when asked, gone (and reaped) when SIGTERM/SIGKILL is sent.
    monkeypatch.setattr(services, "pid_alive", lambda pid: True)
    services.stop_pid(_pid_that_cannot_exist(), timeout_s=0.1)  # raised ProcessLookupError before


def test_a_live_process_is_ended(tmp_path: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        services.stop_pid(proc.pid, timeout_s=10)
        assert not services.pid_alive(proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
