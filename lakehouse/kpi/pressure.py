"""How much this machine's tasks waited for a CPU during a measurement (Linux pressure stall information).

The local latency KPI times the emulator on this machine: when other processes keep the cores busy, the
figure grows with them. The evidence says how contended the CPU was, so a reviewer can tell a slow query
path from a busy machine; the verdict does not change with it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

PSI_CPU = Path("/proc/pressure/cpu")
_SOME_TOTAL = re.compile(r"^some\b.*\btotal=(\d+)", re.MULTILINE)


def _some_total_us(path: Path) -> int | None:
    """Microseconds in which at least one task waited for a CPU, since boot; None without PSI."""
    try:
        m = _SOME_TOTAL.search(path.read_text(encoding="ascii"))
    except OSError:
        return None
    return int(m.group(1)) if m else None


@dataclass
class PressureWindow:
    """A stretch of wall time and the CPU pressure inside it."""

    path: Path = PSI_CPU
    _start_us: int | None = None
    _start_t: float = 0.0

    def start(self) -> PressureWindow:
        self._start_us = _some_total_us(self.path)
        self._start_t = time.monotonic()
        return self

    def percent(self) -> float | None:
        """Share of the window (0-100) in which some task waited for a CPU; None where the kernel has no PSI."""
        end_us = _some_total_us(self.path)
        wall_us = (time.monotonic() - self._start_t) * 1e6
        if self._start_us is None or end_us is None or wall_us <= 0:
            return None
        return round(min(100.0, max(0.0, (end_us - self._start_us) / wall_us * 100)), 1)
