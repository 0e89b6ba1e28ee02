"""Exit checks as plain functions: inputs in, a ``CheckResult`` out.

Steps call these, attach the result to the evidence and assert ``passed``;
tests call them directly on broken stacks. Nothing here imports pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CheckResult:
    """What a check measured against what threshold, and why it failed when it did."""

    passed: bool
    measured: Any
    threshold: Any
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.passed and not self.reason:
            raise ValueError("a failed check must say why")
