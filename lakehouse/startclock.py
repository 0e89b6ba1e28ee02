"""When ``make up`` started, timed on a clock that cannot be stepped back.

``make up`` starts exit check 1's and KPI-quickstart's clock when make reads the Makefile, before the
venv is built: ``date +%s``, a wall-clock time. The wall clock can be stepped back (NTP, by hand) between
make's start and the harness's, and a start can be written by hand: either makes the quick start look
shorter. So make also reads this boot's clock (``/proc/uptime``: seconds since boot, ``CLOCK_BOOTTIME``,
only ever forward) and the boot's id; the harness reads both again and times the lead on the boot
clock, when the boot is the same. Otherwise the lead cannot be timed: the stopwatch says why
(``clock_error``) and the verdicts are ``error`` unless the rest alone is already over the threshold. A
machine without ``/proc`` at both ends (macOS) times it on the wall clock, and says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lakehouse.config import ConfigError

#: ``make up`` sets these when make reads the Makefile: the wall clock (epoch seconds, whole), this boot's id
#: and this boot's clock (seconds since boot, ``/proc/uptime``'s first field).
QUICKSTART_STARTED_ENV = "LAKEHOUSE_QUICKSTART_STARTED"
QUICKSTART_BOOT_ID_ENV = "LAKEHOUSE_QUICKSTART_BOOT_ID"
QUICKSTART_UPTIME_ENV = "LAKEHOUSE_QUICKSTART_UPTIME_S"
BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
UPTIME_FILE = Path("/proc/uptime")
#: Wall and boot clocks disagreeing by more than this over the lead: the wall clock was stepped (said, not judged).
#: ``date +%s`` is rounded down to whole seconds, ``/proc/uptime`` to 1/100 s.
STEP_SLACK_S = 2.0
AT_CALL = "the Lifecycle.up call (before the stack lock is taken)"


@dataclass(frozen=True)
class ClockReading:
    """One instant on the wall clock (epoch s) and on this boot's clock (``boot_id``, ``uptime_s``; None: not read)."""

    wall: float
    boot_id: str | None = None
    uptime_s: float | None = None


def since_boot() -> float:
    """Seconds on a clock that never steps and goes on while the machine is suspended: this boot's
    (``CLOCK_BOOTTIME``, what ``/proc/uptime`` reads), where there is one; else ``time.monotonic()``.

    The quick start's one clock: ``time.monotonic()`` is Linux's ``CLOCK_MONOTONIC``, which stops during a
    suspend, while the stack (AWS creating a service, say) goes on; a deploy the machine slept through would
    read shorter than it took.
    """
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is not None:
        try:
            return float(time.clock_gettime(boottime))
        except OSError:
            pass
    return time.monotonic()


def read_clocks(boot_id_file: Path = BOOT_ID_FILE, uptime_file: Path = UPTIME_FILE) -> ClockReading:
    """Now, on both clocks; the boot clock is None where ``/proc`` does not have it (not Linux)."""
    wall = time.time()
    try:
        boot_id = boot_id_file.read_text(encoding="ascii").strip()
        uptime_s = float(uptime_file.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return ClockReading(wall)
    return ClockReading(wall, boot_id or None, uptime_s)


def quickstart_started(env: dict[str, str]) -> ClockReading | None:
    """When ``make up`` began, as make read the clocks (``LAKEHOUSE_QUICKSTART_*``); None: not started by make."""
    value = env.get(QUICKSTART_STARTED_ENV, "").strip()
    if not value:
        return None
    try:
        wall = float(value)
    except ValueError:
        raise ConfigError(f"{QUICKSTART_STARTED_ENV}: {value!r} is not epoch seconds") from None
    uptime = env.get(QUICKSTART_UPTIME_ENV, "").strip()
    try:
        uptime_s = float(uptime) if uptime else None
    except ValueError:
        raise ConfigError(f"{QUICKSTART_UPTIME_ENV}: {uptime!r} is not seconds since boot") from None
    return ClockReading(wall, env.get(QUICKSTART_BOOT_ID_ENV, "").strip() or None, uptime_s)


def quickstart_lead(start: ClockReading | None, now: ClockReading) -> tuple[float, str, str | None]:
    """Seconds of the quick start before ``Lifecycle.up`` was called, where the clock starts, and why that
    lead could not be timed (None: it was, or there was none).

    The lead is the boot clock's, never the wall clock's: a wall clock stepped back, or a start written by
    hand, would shorten it. A start the boot clock cannot time has no lead (0) and the reason names the variable.
    """
    if start is None:
        return 0.0, AT_CALL, None
    when = datetime.fromtimestamp(start.wall, UTC).isoformat(timespec="seconds")
    if _no_boot_clock(start) and _no_boot_clock(now):
        return _wall_lead(start, now, when)
    lead_s = _boot_lead(start, now)
    if isinstance(lead_s, str):
        return 0.0, f"{AT_CALL}: the start before it ({QUICKSTART_STARTED_ENV}) could not be timed", lead_s
    where = f"{when} ({QUICKSTART_STARTED_ENV}: make up, before the venv is built; timed on this boot's clock)"
    if abs((now.wall - start.wall) - lead_s) > STEP_SLACK_S:
        where += f"; the wall clock moved {now.wall - start.wall:.0f} s over these {lead_s:.0f} s: it was stepped"
    return lead_s, where, None


def _no_boot_clock(reading: ClockReading) -> bool:
    return reading.boot_id is None and reading.uptime_s is None


def _wall_lead(start: ClockReading, now: ClockReading, when: str) -> tuple[float, str, str | None]:
    """A machine without ``/proc`` (macOS) has no boot clock at make's start nor at the harness's: the lead is
    the wall clock's, and the evidence says so. On Linux a start without the boot clock is not timed this way
    (``_boot_lead``): there it can only be a start written by hand or an older Makefile."""
    lead_s = now.wall - start.wall
    if lead_s < 0:
        return (
            0.0,
            f"{AT_CALL}: the start before it ({QUICKSTART_STARTED_ENV}) could not be timed",
            f"{QUICKSTART_STARTED_ENV}={start.wall:.0f} is {-lead_s:.0f} s ahead of this machine's wall clock, "
            "which is the only clock this machine has to time it (no /proc)",
        )
    where = (
        f"{when} ({QUICKSTART_STARTED_ENV}: make up, before the venv is built; timed on the wall clock: this "
        f"machine has no boot clock ({BOOT_ID_FILE}, {UPTIME_FILE}), so a clock stepped back meanwhile is not seen)"
    )
    return lead_s, where, None


def _boot_lead(start: ClockReading, now: ClockReading) -> float | str:
    """Seconds on this boot's clock from ``start`` to ``now``, or why they cannot be told (naming the variable)."""
    if start.boot_id is None or start.uptime_s is None:
        read = ((QUICKSTART_BOOT_ID_ENV, start.boot_id), (QUICKSTART_UPTIME_ENV, start.uptime_s))
        return (
            f"{QUICKSTART_STARTED_ENV} is set without {' and '.join(n for n, v in read if v is None)} (make up "
            f"reads them from {BOOT_ID_FILE} and {UPTIME_FILE} with it): a wall-clock start alone can be stepped "
            "back or written by hand"
        )
    if now.boot_id is None or now.uptime_s is None:
        return f"this machine's boot clock ({BOOT_ID_FILE}, {UPTIME_FILE}) could not be read to time the start"
    if start.boot_id != now.boot_id:
        return (
            f"{QUICKSTART_BOOT_ID_ENV}={start.boot_id} is not this boot ({now.boot_id}): a start from another "
            "boot, or written by hand, cannot be timed on this boot's clock"
        )
    if start.uptime_s > now.uptime_s:
        return (
            f"{QUICKSTART_UPTIME_ENV}={start.uptime_s:g} is ahead of this boot's clock ({now.uptime_s:g} s since "
            "boot): not a start of this quick start"
        )
    return now.uptime_s - start.uptime_s
