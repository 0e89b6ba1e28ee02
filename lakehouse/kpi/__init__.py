"""KPIs of the plan, measured for real: one module per KPI, each ending in a ``KpiOutcome``.

Like ``lakehouse.checks``, nothing here imports pytest; ``steps/kpi_steps.py`` attaches the
outcome to the evidence and turns ``skipped`` into a skipped scenario (never ``passed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.checks import CheckResult

STATUSES = ("passed", "failed", "skipped", "error")


@dataclass
class KpiOutcome:
    """A KPI's status (one of evidence's four) and the measurement behind it."""

    status: str
    result: CheckResult

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if (self.status == "passed") != self.result.passed:
            raise ValueError(f"status {self.status} contradicts the result (passed={self.result.passed})")
        if self.status == "skipped" and not self.result.reason:
            raise ValueError("a skipped KPI must say why it was not measured")


def judged(result: CheckResult) -> KpiOutcome:
    """``passed`` or ``failed`` from a measured result."""
    return KpiOutcome("passed" if result.passed else "failed", result)


def not_measured(reason: str, threshold: object, details: dict[str, object] | None = None) -> KpiOutcome:
    """Nothing could be measured on this target: ``skipped`` with the reason."""
    return KpiOutcome("skipped", CheckResult(False, None, threshold, reason, dict(details or {})))
