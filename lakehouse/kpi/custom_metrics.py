"""The custom CloudWatch metrics a stack publishes: each billed per month, apart from the alarms that watch it.

An alarm is priced per metric it evaluates (``lakehouse.kpi.cost.alarm_metric_units``), but a metric outside an
``AWS/`` namespace exists because the stack publishes it (``PutMetricData``: the pipeline's ``Lakehouse/Pipeline``),
and CloudWatch bills every such metric, one per namespace, name and dimension values, 0.30 USD a month (three
times its standard alarm) whether an alarm watches it or not. Priced as alarms only, a root adding alarms on new
metrics of its own added a third of what they cost. The month counts the metrics the plan's alarms watch, region
by region, and in the target's region at least ``usage.yml``'s ``cloudwatch.custom_metrics`` (the pipeline
publishes some no alarm watches). Services' own metrics (``AWS/...``) cost nothing to exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakehouse.kpi.cost import PlannedResource

ALARM = "aws_cloudwatch_metric_alarm"
#: Namespaces AWS services publish their own metrics in, at no charge for the metric.
VENDED_PREFIX = "AWS/"


@dataclass(frozen=True)
class Metric:
    """One billed custom metric: its namespace, name and dimension values (an unknown one: the alarm's own)."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]


def _metric(address: str, namespace: Any, name: Any, dimensions: Any) -> Metric | None:
    """The custom metric an alarm's ``namespace``/``metric_name``/``dimensions`` name; None for a vended one.

    A part not known at plan time cannot be told apart from another alarm's metric: it counts as a metric of its
    own (named by the alarm), never as one another alarm already counts.
    """
    if isinstance(namespace, str) and namespace.startswith(VENDED_PREFIX):
        return None
    dims = dimensions if isinstance(dimensions, dict) else {}
    known = isinstance(namespace, str) and isinstance(name, str) and isinstance(dimensions, dict | None)
    known = known and all(isinstance(v, str) for v in dims.values())
    if not known:
        return Metric(f"(not known at plan time: {address})", str(name), ())
    return Metric(str(namespace), str(name), tuple(sorted((str(k), str(v)) for k, v in dims.items())))


def watched(address: str, values: dict[str, Any]) -> set[Metric]:
    """The custom metrics one planned alarm evaluates: its own metric, or each metric of its metric queries."""
    queries = [q for q in values.get("metric_query") or [] if q]
    found: set[Metric] = set()
    if not queries and values.get("metric_name") is not None:
        metric = _metric(address, values.get("namespace"), values.get("metric_name"), values.get("dimensions"))
        found |= {metric} if metric else set()
    for query in queries:
        for m in query.get("metric") or []:
            if m and (metric := _metric(address, m.get("namespace"), m.get("metric_name"), m.get("dimensions"))):
                found.add(metric)
    return found


def custom_metrics(resources: Sequence[PlannedResource]) -> dict[str, dict[Metric, list[str]]]:
    """Region -> each custom metric the plan's alarms there watch -> the alarms watching it."""
    by_region: dict[str, dict[Metric, list[str]]] = {}
    for r in resources:
        if r.type != ALARM:
            continue
        for metric in watched(r.address, r.values):
            by_region.setdefault(r.region, {}).setdefault(metric, []).append(r.address)
    return by_region


def monthly_metrics(resources: Sequence[PlannedResource], published: float, target_region: str) -> dict[str, float]:
    """Region -> custom metrics billed there a month: the alarms' metrics, at least ``published`` in the target's.

    ``published``: usage.yml's count of the metrics the stack publishes in its own region, watched or not; the
    plan's alarms there may watch more (a metric they watch is one the stack publishes).
    """
    counts = {region: float(len(metrics)) for region, metrics in custom_metrics(resources).items()}
    counts[target_region] = max(counts.get(target_region, 0.0), published)
    return {region: n for region, n in counts.items() if n > 0}
