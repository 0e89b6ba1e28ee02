"""A background round every few seconds of wall clock: how the emulator does what AWS does on its own time.

CloudWatch evaluates alarms and EventBridge Scheduler fires schedules with no request asking; moto does
neither. Each extension hands its round to one ``Ticker``: a daemon thread (it ends with the server),
started once per process, that outlives a failing round (logged) instead of dying with it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

LOG = logging.getLogger(__name__)


class Ticker:
    """Runs ``round_`` every ``every_s`` seconds on a daemon thread named ``name``."""

    def __init__(self, name: str, round_: Callable[[], None], every_s: float) -> None:
        self.name, self.round, self.every_s = name, round_, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread unless it runs already (a second install does nothing)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._forever, name=self.name, daemon=True)
            self._thread.start()

    def _forever(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.round()
            except Exception:  # the ticker must outlive one bad round
                LOG.exception("%s: a round failed", self.name)
