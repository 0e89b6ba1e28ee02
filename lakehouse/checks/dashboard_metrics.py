"""Count the metric series of a CloudWatch dashboard body (exit check 7's ">= 3 metrics").

A series is a metric with its dimensions: what CloudWatch stores one time series for. Drawing
the same metric three times with three statistics shows three lines but watches one thing,
so it counts once; ``COUNTING_RULE`` is written into the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakehouse.checks.dashboard_variables import UNKNOWN_PREFIX, VARIABLES_RULE, opened_body
from lakehouse.checks.metric_statistics import STATISTIC_RULE, statistic_problem

COUNTING_RULE = (
    "A metric series is a metric with its dimensions: (namespace, metric name, the set of dimension name=value "
    "pairs, region, and accountId when a row names one). Each row of `properties.metrics` in a widget of type "
    "`metric` that names a metric (the console shorthands `.`/`...` resolved against the metric row above) "
    "adds its series once: a second statistic, period or label of the same metric does not add one. "
    "Expression-only rows (math, SEARCH), rows hidden from the graph (`visible: false`), rows with a dimension "
    "name but no value, and alarm, text and log widgets are not counted. A series counts only if CloudWatch has "
    "it: ListMetrics, in the series' region (the "
    "row's or widget's `region`, else the dashboard's), lists a metric of that namespace and name with exactly "
    "that dimension set (ListMetrics shows what was published in the last two weeks; AWS/Billing exists only in "
    "us-east-1). A tile nobody publishes to is dead: it is listed, not counted. A row naming another account "
    "cannot be listed from this one and is not counted. A row counts only if its tile shows the present when the "
    "dashboard opens: the widget's `start`/`end` (else the dashboard's) are relative (`-PT3H`: they end now) or "
    "an absolute range holding the moment of reading; an absolute `end` before it freezes the tile on a past "
    "window that never shows current spend or usage again, and a range starting after it shows nothing yet. "
    + STATISTIC_RULE
    + " "
    + VARIABLES_RULE
)


@dataclass(frozen=True)
class SeriesKey:
    """What identifies one series: what ListMetrics is asked about."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    region: str
    account: str


@dataclass
class MetricCount:
    """The metric series of a dashboard body, and every metrics row that did not count, with why."""

    series: list[str] = field(default_factory=list)
    not_counted: list[str] = field(default_factory=list)
    #: ``series[i]``'s key, for the ListMetrics read-back.
    keys: list[SeriesKey] = field(default_factory=list)
    #: The rows (also in ``not_counted``) whose tile does not show the moment of reading, with why.
    not_shown: list[str] = field(default_factory=list)
    #: The rows (also in ``not_counted``) whose statistic CloudWatch does not compute, with why.
    no_statistic: list[str] = field(default_factory=list)
    #: Each dashboard variable that opens the widgets on other values than written (``dashboard_variables``).
    variables: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.series)


def _resolve_shorthand(names: list[str], previous: list[str] | None) -> list[str] | None:
    """Expand the console shorthands against the metric row above; None when that is impossible.

    ``"..."`` first repeats the row above's leading values so the rest lines up at its end
    (``["...", "i-2"]`` after ``[ns, m, "InstanceId", "i-1"]`` is ``[ns, m, "InstanceId", "i-2"]``);
    ``"."`` repeats the value at the same position. (CloudWatch's dashboard body syntax.)
    """
    if names and names[0] == "...":
        if previous is None or len(names) - 1 > len(previous):
            return None
        rest = names[1:]
        names = previous[: len(previous) - len(rest)] + rest
    resolved = []
    for i, value in enumerate(names):
        if value == ".":
            if previous is None or i >= len(previous):
                return None
            value = previous[i]
        resolved.append(value)
    return resolved


def _instant(text: Any) -> datetime | None:
    """An absolute ISO 8601 time (``2018-12-17T06:00:00.000Z``) in UTC, None when it is not one."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def window_problem(body: Mapping[str, Any], props: Mapping[str, Any], now: datetime) -> str | None:
    """Why the widget does not show ``now`` when the dashboard opens (None: it does).

    A metric widget's own ``start``/``end`` override the dashboard's for it (CloudWatch's dashboard body
    syntax). ``end`` is absolute (ISO 8601) and ends the range; without it the range ends now, and ``start``
    is relative (``-P...``) or, absolute, must not lie after ``now``.
    """
    own = "start" in props or "end" in props
    whose, window = ("the widget's", props) if own else ("the dashboard's", body)
    start, end = window.get("start"), window.get("end")
    if end is not None:
        ends = _instant(end)
        if ends is None:
            return f"{whose} time range ends at {end!r}, which is not an ISO 8601 time"
        if ends < now:
            return (
                f"{whose} time range ends at {end}, before the read ({now.isoformat()}): the tile is frozen on a "
                "past window and never shows current data"
            )
    starts = None if start is None or str(start).startswith("-P") else _instant(start)
    if starts is not None and starts > now:
        return f"{whose} time range starts at {start}, after the read ({now.isoformat()}): the tile shows nothing yet"
    return None


def count_metric_series(body: Mapping[str, Any], now: datetime | None = None) -> MetricCount:
    """Count metric series the way ``COUNTING_RULE`` states (reference section 4.2).

    ``now``: the moment of reading; a row whose tile does not show it (``window_problem``) is not counted.
    None: time ranges are not judged (the series as drawn, e.g. to know what to ask ListMetrics about).
    """
    body, variables = opened_body(body)  # the tiles as the dashboard opens, not as written
    result = MetricCount(variables=variables)
    seen: dict[tuple[Any, ...], str] = {}
    widgets = body.get("widgets")
    for w_index, widget in enumerate(widgets if isinstance(widgets, list) else []):
        if not isinstance(widget, dict):
            continue
        raw_props = widget.get("properties")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        rows = props.get("metrics")
        if not isinstance(rows, list):
            continue
        stale = window_problem(body, props, now) if now is not None else None
        previous: list[str] | None = None
        for r_index, row in enumerate(rows):
            where = f"widget {w_index} ({widget.get('type')}) row {r_index}"
            if widget.get("type") != "metric":
                result.not_counted.append(f"{where}: not a metric widget")
                continue
            if not isinstance(row, list) or not row:
                result.not_counted.append(f"{where}: not a list")
                continue
            names = [x for x in row if isinstance(x, str)]
            options = next((x for x in row if isinstance(x, dict)), {})
            if not names:
                result.not_counted.append(f"{where}: expression only ({options.get('expression', '?')})")
                continue
            resolved = _resolve_shorthand(names, previous)
            if resolved is None or len(resolved) < 2:
                result.not_counted.append(f"{where}: {names} names no metric (shorthand without a row above)")
                continue
            previous = resolved
            if len(resolved) % 2:
                result.not_counted.append(f"{where}: dimension {resolved[-1]} has no value")
                continue
            dimensions = tuple(sorted(zip(resolved[2::2], resolved[3::2], strict=True)))
            region = str(options.get("region") or props.get("region") or "")
            account = str(options.get("accountId") or props.get("accountId") or "")
            key = (resolved[0], resolved[1], dimensions, region, account)
            label = f"{resolved[0]} {resolved[1]}" + "".join(f" {k}={v}" for k, v in dimensions)
            label += f" [{region or 'no region'}{' account ' + account if account else ''}]"
            if unknown_dim := next((f"{k}={v}" for k, v in dimensions if v.startswith(UNKNOWN_PREFIX)), None):
                result.not_counted.append(
                    f"{where}: {label} opens on whatever a search finds first ({unknown_dim}): the body does not say "
                    "which resource the tile shows"
                )
                continue
            if options.get("visible") is False:  # CloudWatch draws no line for it (it may feed an expression)
                result.not_counted.append(f"{where}: {label} hidden (visible: false)")
                continue
            if stale:
                result.not_shown.append(f"{where}: {label} not shown now: {stale}")
                result.not_counted.append(result.not_shown[-1])
                continue
            stat = str(options.get("stat") or props.get("stat") or "Average")
            if unknown := statistic_problem(stat):  # CloudWatch draws no data for it: the tile is blank
                result.no_statistic.append(f"{where}: {label} draws no data: {unknown}")
                result.not_counted.append(result.no_statistic[-1])
                continue
            if key in seen:
                result.not_counted.append(f"{where}: same series as {seen[key]} ({label}, statistic {stat})")
                continue
            seen[key] = where
            result.series.append(label)
            result.keys.append(SeriesKey(str(resolved[0]), str(resolved[1]), dimensions, region, account))
    return result
