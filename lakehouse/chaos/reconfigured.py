"""Whether a fault's alarm was reconfigured while the chaos run judged it on what it read at the start.

KPI-mttr reads the alarms once, as the run starts (``run.describe_alarms``), and judges every fault on that
read: which alarms can tell of it, whether the faulty run breaches their threshold, whether the one that fired
fires on a healthy run too. An alarm changed during the run (its threshold raised, its actions removed, its
actions disabled) is then judged on a configuration it no longer has: the KPI can pass a stack whose alarm,
as it stands, tells nobody. So each fault's alarms are read again once the fault is over (detected and
recovered, or given up), and one whose configuration is not the one read at the start fails the fault.

Two signs, both CloudWatch's own: ``AlarmConfigurationUpdatedTimestamp`` (DescribeAlarms: "the time stamp of
the last update to the alarm configuration") later than at the start, which also shows a change made and
undone between the two reads; and any configuration field read differently. The second covers a change the
timestamp may not record (``DisableAlarmActions`` changes ``ActionsEnabled`` through its own call). Both
reads are CloudWatch's clock: no comparison with ours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: DescribeAlarms' field that says when the alarm's configuration last changed (``run.describe_alarms`` keeps it
#: as ISO 8601 text, which orders as time for one and the same alarm's UTC readings).
UPDATED = "AlarmConfigurationUpdatedTimestamp"
#: Fields of ``run.describe_alarms`` that are no configuration: the alarm's state, and what the harness itself
#: recorded of it (``Undelivered``: its actions' topics hear nobody but the harness).
NOT_CONFIGURATION = frozenset({"StateValue", "Undelivered", UPDATED})


def changed_fields(start: Mapping[str, Any], now: Mapping[str, Any]) -> list[str]:
    """The configuration fields read differently now than at the start, as ``Field start -> now``."""
    keys = sorted((set(start) | set(now)) - NOT_CONFIGURATION)
    return [f"{k} {start.get(k)!r} -> {now.get(k)!r}" for k in keys if start.get(k) != now.get(k)]


def reconfigured(name: str, start: Mapping[str, Any], now: Mapping[str, Any] | None) -> str | None:
    """Why alarm ``name`` as read ``now`` is not the alarm read at the start of the run (None: it is the same).

    ``start`` and ``now``: ``run.describe_alarms``' fields of the alarm; ``now`` None when CloudWatch has it no more.
    """
    judged = "the KPI judged it on its configuration from the start of the run, which it no longer has"
    if now is None:
        return f"alarm {name} was deleted during the chaos run (DescribeAlarms no longer has it): {judged}"
    fields = changed_fields(start, now)
    was, is_ = start.get(UPDATED), now.get(UPDATED)
    updated = is_ is not None and was != is_  # CloudWatch's stamp only moves forward
    if not fields and not updated:
        return None
    said = f"alarm {name}'s configuration changed during the chaos run"
    if updated:
        said += f" ({UPDATED} {is_}, after {was or 'none'} read at the start)"
    if fields:
        said += ": " + "; ".join(fields)
    return f"{said}: {judged}"


def changed_alarms(
    names: Sequence[str], start: Mapping[str, Mapping[str, Any]], now: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Why each of ``names`` read at the start (``start``) is not the alarm read again (``now``), in name order.

    An alarm not read at the start (absent then) is not judged here: ``mttr.missing_alarms`` already failed it.
    """
    return [why for n in sorted(set(names)) if n in start and (why := reconfigured(n, start[n], now.get(n)))]
