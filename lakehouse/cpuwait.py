"""How long a query's threads waited for a CPU behind other processes (Linux ``schedstat`` and ``/proc/stat``).

A query's latency on a busy machine is its own work plus the time its threads sat in the run queue. The latency KPI
takes out of each local sample the part of that wait other processes caused, so a healthy stack is not red because
a neighbour keeps the cores busy, and keeps in what the stack causes itself (its other queries, DuckDB's threads):

- the emulator's request thread reports its run-queue wait and how long it had the request (``HEADER``,
  ``SERVED_HEADER``) and its process's CPU time (``PROCESS_CPU_HEADER``) on every response;
- the load generator counts its own thread's wait between a query's calls, and while a call is in flight only up
  to the time the server did not have it (``QueryWaits``): meanwhile its thread runs other users, and that wait
  delayed them, not this query;
- over the load, the share of the machine's busy CPU that neither the emulator nor the load generator used
  (``foreign_share``) scales each sample's wait: on an idle machine nothing is taken out, whatever the stack's own
  threads make each other wait.

The wait counted is the request thread's, never the query workers' nor GIL waits (sleep, not run-queue time): a busy
machine still slows a heavy query somewhat; it never makes a slow one fast. ``None`` where the kernel counts nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

#: Microseconds the emulator's request thread waited for a CPU since the connection's last response ended (its idle
#: time between requests is sleep, not wait: what is counted delayed this response).
HEADER = "x-lakehouse-cpu-wait-us"
#: Microseconds the response was the server's: from its thread waking on the request to the response head.
SERVED_HEADER = "x-lakehouse-served-us"
#: The emulator process's CPU time (all threads, user + system) in microseconds when the response head left.
PROCESS_CPU_HEADER = "x-lakehouse-process-cpu-us"
_SCHEDSTAT = "/proc/thread-self/schedstat"
_PROC_STAT = "/proc/stat"


def thread_wait_ns() -> int | None:
    """Nanoseconds the calling thread has spent runnable but not running, since it started."""
    try:
        with open(_SCHEDSTAT, "rb") as f:
            fields = f.read().split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_s(path: str = _PROC_STAT) -> float | None:
    """CPU seconds every core of this machine has spent busy since boot (user, nice, system, irq, softirq; not idle,
    iowait, nor steal: a hypervisor's other guests do not queue in this kernel's run queue)."""
    try:
        with open(path, "rb") as f:
            first = f.readline().split()
        user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    except (OSError, ValueError):
        return None
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def foreign_share(machine_busy: float, ours: float) -> float:
    """The share (0-1) of the machine's busy CPU over a window that other processes used (``ours``: the emulator's and
    the load generator's CPU in the same window). Run-queue wait is caused by whoever holds the CPU meanwhile; this
    is the part of it to take out. Counting our own threads in the denominator keeps it on the low side."""
    if machine_busy <= 0:
        return 0.0
    return min(1.0, max(0.0, (machine_busy - ours) / machine_busy))


@dataclass
class QueryWaits:
    """One query's CPU wait as the load generator sees it, call by call (botocore's ``before-send`` and
    ``response-received`` events, once per attempt, retries included).

    The server's wait and serving time are summed from each response's headers. The client's own thread's wait
    counts in full over the stretches when none of the query's calls was in flight (this query's code was what the
    thread ran), and while a call was in flight only up to the time the server did not have it (the wake-up on its
    answer and reading it; while the server had it, the thread ran other users and its wait delayed them). A
    response without the headers leaves the query unaccounted (``wait_ms`` None: its wall time is judged).
    """

    clock: Callable[[], int | None] = thread_wait_ns
    now: Callable[[], int] = time.perf_counter_ns
    server_wait_us: int = 0
    served_us: int = 0
    client_wait_ns: int = 0
    emulator_cpu_us: int | None = None
    accounted: bool = True
    #: The thread's wait and the time when the current stretch (client work, or a call in flight) began.
    _mark: tuple[int | None, int] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.server_wait_us = self.served_us = self.client_wait_ns = 0
        self.emulator_cpu_us, self.accounted = None, True
        self._mark = (self.clock(), self.now())

    def _stretch(self) -> tuple[int, int] | None:
        """The thread's wait and the nanoseconds since the current stretch began; None when either is unknown."""
        wait, at = self.clock(), self.now()
        begun, self._mark = self._mark, (wait, at)
        if begun is None or begun[0] is None or wait is None:
            self.accounted = False
            return None
        return max(0, wait - begun[0]), at - begun[1]

    def sent(self) -> None:
        """A call goes out: the stretch of client work before it ends, counted whole."""
        if (stretch := self._stretch()) is not None:
            self.client_wait_ns += stretch[0]

    def received(self, headers: Mapping[str, str] | None) -> None:
        """A call's response (or its failure: no headers) is in: its time in flight ends."""
        stretch = self._stretch()
        values = [str((headers or {}).get(h, "")) for h in (HEADER, SERVED_HEADER, PROCESS_CPU_HEADER)]
        if not all(v.isdigit() for v in values):
            self.accounted = False
            return
        self.server_wait_us += int(values[0])
        self.served_us += int(values[1])
        self.emulator_cpu_us = int(values[2])
        if stretch is not None:
            waited, took = stretch
            self.client_wait_ns += min(waited, max(0, took - int(values[1]) * 1000))

    def end(self) -> None:
        self.sent()

    def wait_ms(self, wall_ms: float) -> float | None:
        """The wait to take out of ``wall_ms`` before the machine's share is applied: the server's and the client's,
        never more than the time the server did not have the query for the client's part."""
        if not self.accounted:
            return None
        client_ms = min(self.client_wait_ns / 1e6, max(0.0, wall_ms - self.served_us / 1000))
        return round(self.server_wait_us / 1000 + client_ms, 3)


def process_cpu_us() -> int:
    """This process's CPU time, every thread, user and system, in microseconds."""
    return int(time.process_time() * 1e6)


@dataclass
class ShareWindow:
    """The machine's busy CPU, the load generator's and the emulator's, from the first query answered to the last:
    what ``foreign_share`` is taken over. The emulator's CPU comes with each answer (``PROCESS_CPU_HEADER``)."""

    first: tuple[int, float, float] | None = None
    last: tuple[int, float, float] | None = None

    def saw(self, emulator_cpu_us: object) -> None:
        if not isinstance(emulator_cpu_us, int) or isinstance(emulator_cpu_us, bool):
            return  # a sample without the emulator's figure: no /proc/stat read for it
        busy = machine_busy_s()
        if busy is None:
            return
        reading = (emulator_cpu_us, time.process_time(), busy)
        if self.first is None:
            self.first = reading
        self.last = reading

    def figures(self) -> dict[str, float | None]:
        """The window's CPU seconds and the foreign share (None without two readings: nothing is taken out)."""
        if self.first is None or self.last is None or self.last is self.first:
            return {"foreign_share": None}
        emulator = (self.last[0] - self.first[0]) / 1e6
        generator = self.last[1] - self.first[1]
        busy = self.last[2] - self.first[2]
        return {
            "machine_busy_cpu_s": round(busy, 2),
            "emulator_cpu_s": round(emulator, 2),
            "load_generator_cpu_s": round(generator, 2),
            "foreign_share": round(foreign_share(busy, emulator + generator), 3),
        }


def scale_waits(samples: list[dict[str, object]], share: float | None) -> None:
    """Each sample's ``cpu_wait_ms`` becomes the part other processes caused (``share`` of it; none without a
    share), the whole kept as ``cpu_wait_all_ms``."""
    for sample in samples:
        if (wait := wait_figure(sample)) is not None:
            sample["cpu_wait_all_ms"] = wait
            sample["cpu_wait_ms"] = round(wait * (share or 0.0), 3)


def wait_figure(sample: Mapping[str, object]) -> float | None:
    """A sample's ``cpu_wait_ms`` when it is a number of milliseconds (not a boolean), else None."""
    wait = sample.get("cpu_wait_ms")
    return float(wait) if isinstance(wait, int | float) and not isinstance(wait, bool) else None
