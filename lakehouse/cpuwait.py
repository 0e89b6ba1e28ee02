"""How long the calling thread waited for a CPU while it was ready to run (Linux ``schedstat``).

A query's latency on a busy machine is its own work plus the time its threads sat in the run queue behind other
processes. That wait is the machine's, not the query path's: the latency KPI takes it out of each sample (the
emulator reports its request thread's wait in a response header, the load generator reads its own), so a healthy
stack is not red because a neighbour keeps the cores busy. ``None`` where the kernel does not count it.
"""

from __future__ import annotations

#: The emulator's response header: microseconds its request thread waited for a CPU since the connection's last
#: response (its idle time between requests is sleep, not wait: what is counted delayed this response).
HEADER = "x-lakehouse-cpu-wait-us"
#: Microseconds the response was the server's: from its thread waking on the request to the response head. The
#: client's own CPU wait counts as the query's only outside that time (when the server had the request, the
#: client waiting delayed nothing), so a judged latency is never below the server's own time less its own wait.
SERVED_HEADER = "x-lakehouse-served-us"
_SCHEDSTAT = "/proc/thread-self/schedstat"


def judged_wait_ms(wall_ms: float, server_wait_ms: float, served_ms: float, client_wait_ms: float) -> float:
    """The CPU wait taken out of a query's wall time: all of the server's, and the client's only for the time the
    server did not have the query (``SERVED_HEADER``)."""
    client = min(max(0.0, client_wait_ms), max(0.0, wall_ms - served_ms))
    return max(0.0, server_wait_ms) + client


def thread_wait_ns() -> int | None:
    """Nanoseconds the calling thread has spent runnable but not running, since it started."""
    try:
        with open(_SCHEDSTAT, "rb") as f:
            fields = f.read().split()
        return int(fields[1])
    except (OSError, IndexError, ValueError):
        return None
