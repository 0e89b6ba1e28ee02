"""The one place an ``Outcome`` becomes a pytest result: passed, skipped, failed or error.

Every step that ends a check calls ``conclude``: the outcome goes into the evidence, then the
scenario ends the way the check did. Evidence statuses follow from pytest's (see
``steps/evidence.py``): an ``AssertionError`` is ``failed``, ``CheckError`` is ``error``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from lakehouse.evidence import CheckEvidence
from lakehouse.outcome import Outcome, Status


class CheckError(RuntimeError):
    """The check could not read what it needs: the scenario ends ``error``, never ``passed``."""


def conclude(outcome: Outcome, evidence: CheckEvidence, problems: Sequence[str] | None = None) -> None:
    """Record ``outcome``; then skip, error or assert. ``problems``: only this part of the check (one Then step).

    A part with no problems passes its step, but the outcome is recorded whole, so the scenario's
    last step (called without ``problems``) still fails on anything the other parts missed.
    """
    evidence.record(outcome)
    if outcome.status is Status.SKIPPED:
        pytest.skip(outcome.reason or "not measured")
    if outcome.status is Status.ERROR:
        raise CheckError(outcome.reason)
    if problems is not None:
        assert not problems, "; ".join(problems)
        return
    assert outcome.passed, outcome.reason
