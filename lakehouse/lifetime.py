"""How long a stack may live: its ``ttl``, the ``expires_at`` fixed when it is first recorded, and the verdict.

A forgotten stack costs money every hour. Each stack therefore carries an expiry: the harness
computes ``expires_at`` once, when the stack is first recorded, and passes it with ``ttl`` as
Terraform variables on every apply, plan and destroy of that stack (the root's ``default_tags``
put both on every taggable resource). Computing it once keeps exit check 5's plan empty; a
``timestamp()`` in the root would change it on every plan. ``lakehouse reap`` judges by it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lakehouse.policies import DEFAULT_TTL, EXPIRY_TAG, STACK_TAG, expiry

__all__ = [
    "DEFAULT_TTL",
    "DEFAULT_TTL_TEXT",
    "EXPIRY_TAG",
    "STACK_TAG",
    "TTL_ENV",
    "Judgement",
    "Lifetime",
    "LifetimeError",
    "default_ttl",
    "judge",
    "parse_expiry",
    "parse_ttl",
]

#: The plan's 12 hours, as the root's ``ttl`` variable spells it.
DEFAULT_TTL_TEXT = "12h"
#: The environment's default for ``--ttl`` (make, tox and CI set it once).
TTL_ENV = "LAKEHOUSE_TTL"
#: The grammar of infra/variables.tf's ``ttl`` validation: whole hours or days.
_TTL = re.compile(r"^([1-9][0-9]*)([hd])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1)}
#: Long enough for any real stack, short enough that datetime arithmetic cannot overflow.
_MAX_TTL = timedelta(days=3650)


class LifetimeError(ValueError):
    """A ttl or an expiry the harness cannot use; the message names the value and the grammar."""


def parse_ttl(text: str) -> timedelta:
    """``"12h"`` -> 12 hours, ``"7d"`` -> 7 days: the grammar infra/variables.tf accepts, nothing else."""
    match = _TTL.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise LifetimeError(f"--ttl: {text!r} is not a whole number of hours or days such as 12h or 7d")
    ttl = int(match.group(1)) * _UNITS[match.group(2)]
    if ttl > _MAX_TTL:
        raise LifetimeError(f"--ttl: {text!r} is more than {_MAX_TTL.days} days")
    return ttl


def parse_expiry(text: str) -> datetime:
    """An ``expires_at`` value (RFC 3339 UTC, ``YYYY-MM-DDTHH:MM:SSZ``) as an aware datetime."""
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise LifetimeError(f"{EXPIRY_TAG} {text!r} is not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)") from None


def default_ttl() -> str:
    """``$LAKEHOUSE_TTL`` when set, else the plan's 12 h (validated either way)."""
    text = os.environ.get(TTL_ENV) or DEFAULT_TTL_TEXT
    try:
        parse_ttl(text)
    except LifetimeError as err:
        raise LifetimeError(f"{TTL_ENV}: {err}") from None
    return text


@dataclass(frozen=True)
class Lifetime:
    """A stack's ``ttl`` (as given) and the ``expires_at`` computed from it once."""

    ttl: str
    expires_at: str

    @classmethod
    def starting(cls, now: datetime, ttl: str = DEFAULT_TTL_TEXT) -> Lifetime:
        return cls(ttl=ttl, expires_at=expiry(now, parse_ttl(ttl)))

    def variables(self) -> dict[str, str]:
        """The Terraform variables (and so the tags) that carry it."""
        return {"ttl": self.ttl, EXPIRY_TAG: self.expires_at}


@dataclass(frozen=True)
class Judgement:
    """Whether a stack is past its expiry at a given time, and why, in words for the listing."""

    expired: bool
    reason: str


def judge(expires_at: str | None, now: datetime) -> Judgement:
    """Pure: a stack is expired when its ``expires_at`` is at or before ``now``.

    No expiry, or one that does not parse, is never judged expired: the reaper destroys only what
    says it may be destroyed (``make nuke`` removes the rest on purpose).
    """
    if not expires_at:
        return Judgement(False, f"no {EXPIRY_TAG}: not judged (only `make nuke` removes it)")
    try:
        when = parse_expiry(expires_at)
    except LifetimeError as err:
        return Judgement(False, f"{err}: not judged (only `make nuke` removes it)")
    delta = now - when
    if delta >= timedelta(0):
        return Judgement(True, f"expired at {expires_at} ({_span(delta)} ago)")
    return Judgement(False, f"expires at {expires_at} (in {_span(-delta)})")


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"
