"""The emulator's garbage collector: start-up objects frozen, and (on request) collections counted and timed.

Why freeze: moto's and botocore's models, the extensions and everything else made while the emulator
starts live as long as the process, yet every full (generation-2) collection walks all of them again.
Under 10 Locust users a profile showed full collections of ~400k tracked objects taking ~0.44 s each,
holding the GIL (every request waits): p95 spikes. ``gc.freeze()`` once start-up is done moves those
objects to the permanent generation, which collections never scan. Nothing else changes: objects are
still freed by reference counting, and garbage made later (cycles included) is collected as before.
Start-up garbage is collected first (``gc.collect()``) so none of it is frozen. Half of what lives
that long is only made by the first Athena query (botocore's service models, as moto and the engine's
clients load them; sqlglot, pyiceberg, DuckDB), so the first query to succeed freezes once more
(``warmed``): it also freezes the resources that exist at that moment, which therefore are never
collected as cycles; once, so that is bounded. On by default; ``--no-gc-freeze`` or
``LAKEHOUSE_EMULATOR_GC_FREEZE=off`` keeps CPython's default (``start`` freezes at start-up only).

Measured (``bench/hotpath.py gc``: 2000 of Locust's queries, demo and reference, one after another; CPU
time of the collections, 3 runs each): off, 116-120 ms per 1000 queries, the longest pause 190-193 ms (one
full collection of ~440k objects); on, 44-52 ms, the longest 34-40 ms (~108k objects left to walk).
Freezing at start-up only (``start``, one run: 136 ms) does not help: a full collection is due when the
survivors since the last one exceed a quarter of the long-lived objects, so fewer long-lived objects make
them more frequent while the first query's ~185k objects are still walked each time.

Why count: the benefit must be shown on a shared, busy machine, where request latency says little.
With ``LAKEHOUSE_EMULATOR_GC_STATS=on`` the emulator times every collection (``gc.callbacks``: wall
time and the collecting thread's CPU time, which does not depend on what else the machine runs) and
answers ``GET /_lakehouse/gc`` with the totals per generation; ``DELETE`` starts them again
(``bench/hotpath.py gc`` reads them around a fixed workload). Off by default: no callback, no route.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

GC_FREEZE_ENV = "LAKEHOUSE_EMULATOR_GC_FREEZE"
GC_STATS_ENV = "LAKEHOUSE_EMULATOR_GC_STATS"
GC_PATH = "/_lakehouse/gc"
OFF_WORDS = frozenset({"0", "off", "false", "no"})
ON_WORDS = frozenset({"1", "on", "true", "yes"})


#: Set when start-up froze and the first successful Athena query should freeze once more.
_freeze_when_warm = False


def freeze_wanted(flag_off: bool = False) -> bool:
    """Freeze unless ``--no-gc-freeze`` (``flag_off``) or the environment turns it off."""
    return not flag_off and os.environ.get(GC_FREEZE_ENV, "").strip().lower() not in OFF_WORDS


def freeze_at_start(flag_off: bool = False) -> None:
    """The emulator is built: freeze (unless turned off), and once more after the first query unless the
    environment says ``start`` (start-up only)."""
    global _freeze_when_warm
    if not freeze_wanted(flag_off):
        return
    freeze_startup()
    _freeze_when_warm = os.environ.get(GC_FREEZE_ENV, "").strip().lower() != "start"


def warmed() -> None:
    """An Athena query succeeded: the first time, freeze what its engine loaded (if asked at start)."""
    global _freeze_when_warm
    if _freeze_when_warm:
        _freeze_when_warm = False
        freeze_startup()


def stats_wanted() -> bool:
    return os.environ.get(GC_STATS_ENV, "").strip().lower() in ON_WORDS


def freeze_startup() -> int:
    """Collect start-up garbage, then move every object left to the permanent generation; how many moved."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


@dataclass
class Generation:
    """Collections of one generation: how many, their total and longest wall and CPU time."""

    collections: int = 0
    wall_ms: float = 0.0
    cpu_ms: float = 0.0
    max_wall_ms: float = 0.0
    max_cpu_ms: float = 0.0
    collected: int = 0


@dataclass
class GcStats:
    """Totals per generation since the last reset, from a ``gc.callbacks`` hook (collections hold the GIL,
    so one collection's start and stop arrive on the same thread, with no other collection between)."""

    generations: list[Generation] = field(default_factory=lambda: [Generation() for _ in range(3)])
    _started: tuple[float, float] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = (time.perf_counter(), time.thread_time())
            return
        if self._started is None:
            return  # installed mid-collection
        wall = (time.perf_counter() - self._started[0]) * 1000
        cpu = (time.thread_time() - self._started[1]) * 1000
        self._started = None
        with self._lock:
            g = self.generations[int(info["generation"])]
            g.collections += 1
            g.wall_ms += wall
            g.cpu_ms += cpu
            g.max_wall_ms = max(g.max_wall_ms, wall)
            g.max_cpu_ms = max(g.max_cpu_ms, cpu)
            g.collected += int(info.get("collected", 0))

    def reset(self) -> None:
        with self._lock:
            self.generations = [Generation() for _ in range(3)]

    def described(self) -> dict[str, Any]:
        with self._lock:
            generations = [{k: round(v, 3) for k, v in asdict(g).items()} for g in self.generations]
        return {
            "generations": generations,
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),  # not frozen: what a full collection walks
            "pending": list(gc.get_count()),
            "threshold": list(gc.get_threshold()),
        }


_stats: GcStats | None = None


def install_stats() -> GcStats:
    """Start timing collections (once per process)."""
    global _stats
    if _stats is None:
        _stats = GcStats()
        gc.callbacks.append(_stats.callback)
    return _stats


def serve_stats(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The WSGI answer to ``/_lakehouse/gc``: GET the totals, DELETE resets them; 404 unless stats are on."""
    method = environ.get("REQUEST_METHOD", "GET")
    if _stats is None:
        status, body = "404 Not Found", {"message": f"GC stats are off (set {GC_STATS_ENV}=on)"}
    elif method == "DELETE":
        _stats.reset()
        status, body = "200 OK", _stats.described()
    elif method == "GET":
        status, body = "200 OK", _stats.described()
    else:
        status, body = "405 Method Not Allowed", {"message": "GET or DELETE"}
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
