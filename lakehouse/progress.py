"""Live progress of the slow phases (Terraform apply and destroy): done of planned, slowest in flight, elapsed.

A deploy is a minute locally and many on AWS; a silent terminal for that long looks hung. The
tracker reads Terraform's ``-json`` stream as it comes. Where the lines go is the process's one
output concern, set once (``set_sink``): the CLI prints to stderr, the pytest session writes
through its terminal reporter. On a terminal one line is rewritten in place; in a CI log a line
is printed when a resource finishes after a quiet spell and every ``HEARTBEAT_S``, never
carriage-return spam.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Where progress goes: ``(text, live)``; ``live`` lines may be overwritten by the next one.
Sink = Callable[[str, bool], None]
HEARTBEAT_S = 10.0
LIVE_EVERY_S = 0.5

_sink: Sink | None = None


def set_sink(sink: Sink | None) -> None:
    global _sink
    _sink = sink


def stderr_sink(text: str, live: bool) -> None:
    """The CLI's sink: rewrite one line on a terminal, plain lines elsewhere."""
    if sys.stderr.isatty():
        sys.stderr.write(("\r\033[K" + text) if live else ("\r\033[K" + text + "\n"))
    elif not live:
        sys.stderr.write(text + "\n")
    sys.stderr.flush()


@dataclass
class ApplyTracker:
    """What one ``terraform apply|destroy -json`` has done so far."""

    phase: str
    planned: set[str] = field(default_factory=set)
    in_flight: dict[str, float] = field(default_factory=dict)
    done: int = 0
    errored: int = 0
    #: Terraform said the apply (or destroy) is over (its final change summary).
    finished: bool = False
    started: float = field(default_factory=time.monotonic)
    clock: Callable[[], float] = time.monotonic

    def feed(self, line: str) -> bool:
        """Take one output line; True when it changed what a person would want to see."""
        if not line.lstrip().startswith("{"):
            return False
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            return False
        kind = msg.get("type")
        addr = ((msg.get("hook") or msg.get("change") or {}).get("resource") or {}).get("addr")
        if kind == "planned_change" and addr:
            self.planned.add(addr)
        elif kind == "apply_start" and addr:
            self.in_flight[addr] = self.clock()
        elif kind in ("apply_complete", "apply_errored") and addr:
            self.in_flight.pop(addr, None)
            self.done += 1
            self.errored += kind == "apply_errored"
            return True
        elif (
            kind == "change_summary"
            and (msg.get("changes") or {}).get("operation") in ("apply", "destroy")
            and (
                self.done or not self.planned  # a destroy's plan also sums up as "destroy": wait for real work
            )
        ):
            self.finished = True
            return True
        return kind == "apply_start"

    def line(self) -> str:
        now = self.clock()
        total = max(len(self.planned), self.done + len(self.in_flight))
        text = f"terraform {self.phase}: {self.done}/{total or '?'} resources, {now - self.started:.0f} s"
        if self.errored:
            text += f", {self.errored} failed"
        if self.in_flight:
            slow, since = min(self.in_flight.items(), key=lambda kv: kv[1])
            text += f"; slowest in flight: {slow} ({now - since:.0f} s)"
        return text


def tracker(phase: str) -> Callable[[str], None] | None:
    """An ``on_line`` for ``Terraform.apply``/``destroy`` that reports to the sink (None without one)."""
    sink = _sink
    if sink is None:
        return None
    state = ApplyTracker(phase)
    last = {"live": 0.0, "printed": state.started}

    def on_line(line: str) -> None:
        changed = state.feed(line)
        now = time.monotonic()
        if now - last["live"] >= LIVE_EVERY_S:
            sink(state.line(), True)
            last["live"] = now
        if (changed and now - last["printed"] >= HEARTBEAT_S) or now - last["printed"] >= 3 * HEARTBEAT_S:
            sink(state.line(), False)
            last["printed"] = now
        if state.finished:
            sink(state.line() + " (done)", False)
            state.finished = False

    return on_line
