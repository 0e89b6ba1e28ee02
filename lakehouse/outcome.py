"""One outcome for every exit check and KPI: a closed status vocabulary and the measurement behind it.

Bottom-level on purpose (imports nothing of ``lakehouse``): checks, KPIs, the evidence file and
the steps all speak this one type, so a status cannot be spelt three ways or mapped twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """What became of a check: the four values evidence.json allows."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


class Verdict(StrEnum):
    """What became of a run: ``passed`` only when every stated check ran and passed."""

    PASSED = "passed"
    INCOMPLETE = "incomplete"
    FAILED = "failed"


@dataclass
class Outcome:
    """A check's status, what it measured against what threshold, and why when it did not pass.

    ``failed`` judges the stack; ``error`` says the check could not read what it needs (no
    verdict on the stack, but never green); ``skipped`` says it could not be measured here, or not
    as the plan states it (a pass at a threshold looser than the plan's: ``lakehouse.thresholds``).
    """

    status: Status
    measured: Any = None
    threshold: Any = None
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = Status(self.status)
        if self.status is not Status.PASSED and not self.reason:
            raise ValueError(f"a {self.status} outcome must say why")
        if self.status is Status.PASSED:
            self.reason = None

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    @classmethod
    def judged(
        cls, ok: bool, measured: Any, threshold: Any, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> Outcome:
        """``passed`` or ``failed`` from a measurement."""
        return cls(Status.PASSED if ok else Status.FAILED, measured, threshold, reason, dict(details or {}))

    @classmethod
    def skipped(
        cls, reason: str, threshold: Any = None, details: dict[str, Any] | None = None, measured: Any = None
    ) -> Outcome:
        """Nothing could be measured on this target (never ``passed``)."""
        return cls(Status.SKIPPED, measured, threshold, reason, dict(details or {}))

    @classmethod
    def error(
        cls, reason: str, threshold: Any = None, details: dict[str, Any] | None = None, measured: Any = None
    ) -> Outcome:
        """What the check needs could not be read: no verdict on the stack, and not green."""
        return cls(Status.ERROR, measured, threshold, reason, dict(details or {}))


def run_verdict(statuses: list[Status]) -> Verdict:
    """``failed`` if any check failed or errored, ``passed`` only if all passed, else ``incomplete``."""
    if any(s in (Status.FAILED, Status.ERROR) for s in statuses):
        return Verdict.FAILED
    if statuses and all(s is Status.PASSED for s in statuses):
        return Verdict.PASSED
    return Verdict.INCOMPLETE


def failed_first(parts: list[Outcome], measured: Any, threshold: Any, details: dict[str, Any]) -> Outcome:
    """Parts of one check as one outcome: ``failed`` when any part failed, the parts that could not be judged named
    beside (a failure shown is a verdict on the stack, whatever else could not be read); ``error`` only when none
    failed and a part could not be judged; ``skipped`` when one was skipped; else ``passed``."""
    failed = [str(p.reason) for p in parts if p.status is Status.FAILED]
    errors = [str(p.reason) for p in parts if p.status is Status.ERROR]
    if failed:
        return Outcome.judged(False, measured, threshold, "; ".join(failed + errors), details)
    if errors:
        return Outcome.error("; ".join(errors), threshold, details, measured)
    if skipped := [str(p.reason) for p in parts if p.status is Status.SKIPPED]:
        return Outcome.skipped("; ".join(skipped), threshold, details, measured)
    return Outcome.judged(True, measured, threshold, None, details)
