"""Count the metric series of a CloudWatch dashboard body (exit check 7's ">= 3 metrics").

A series is a metric with its dimensions: what CloudWatch stores one time series for. Drawing
the same metric three times with three statistics shows three lines but watches one thing,
so it counts once; ``COUNTING_RULE`` is written into the evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

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
    "cannot be listed from this one and is not counted."
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


def count_metric_series(body: Mapping[str, Any]) -> MetricCount:
    """Count metric series the way ``COUNTING_RULE`` states (reference section 4.2)."""
    result = MetricCount()
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
            if options.get("visible") is False:  # CloudWatch draws no line for it (it may feed an expression)
                result.not_counted.append(f"{where}: {label} hidden (visible: false)")
                continue
            stat = str(options.get("stat") or props.get("stat") or "Average")
            if key in seen:
                result.not_counted.append(f"{where}: same series as {seen[key]} ({label}, statistic {stat})")
                continue
            seen[key] = where
            result.series.append(label)
            result.keys.append(SeriesKey(str(resolved[0]), str(resolved[1]), dimensions, region, account))
    return result
