"""The pipeline's outcome as CloudWatch metrics: what the stack's own alarms (infra/alarms.tf) watch.

A run publishes runs, failures, rows refused, input files with no data line (an empty or truncated
upload), undelivered lineage events, Gold tables readers cannot load, and Gold's freshness
(seconds since Gold's last successful Iceberg commit) under ``NAMESPACE`` with the ``StackId``
dimension, at high resolution so that short alarm periods (10 s locally) see them. Best effort:
a metrics failure never fails the pipeline; it is counted in ``MetricsStats`` like the lineage
emitter's undelivered events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.iceberg import snapshot
from lakehouse.target import Target

NAMESPACE = "Lakehouse/Pipeline"
DIMENSION = "StackId"
#: Metric names: infra/alarms.tf alarms on them under the same names.
RUNS, FAILURES, ROWS_REFUSED, EMPTY_INPUTS, LINEAGE_UNDELIVERED, GOLD_FRESHNESS, GOLD_UNREADABLE = (
    "Runs",
    "Failures",
    "RowsRefused",
    "EmptyInputFiles",
    "LineageEventsUndelivered",
    "GoldFreshnessSeconds",
    "GoldUnreadableTables",
)
#: The Gold tables whose last commit is Gold's freshness (the oldest of them counts).
GOLD_TABLES = ("users", "orders_enriched", "daily_revenue")


@dataclass
class MetricsStats:
    """What became of one run's metrics: data points sent, not sent, and why."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)
    #: The datapoints' Timestamp (epoch seconds): the alarm period they count in.
    published_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "errors": self.errors,
            "values": self.values,
            "published_at": self.published_at,
        }


def metric_values(result: Any, freshness_s: float | None) -> dict[str, float]:
    """The values one run publishes (``result``: a ``PipelineResult``); freshness left out when unknown."""
    values = {
        RUNS: 1.0,
        FAILURES: 0.0 if result.ok else 1.0,
        ROWS_REFUSED: float(result.quarantined_total + len(result.malformed)),
        EMPTY_INPUTS: float(sum(1 for landed in result.landed if landed.data_lines == 0)),
    }
    if result.lineage is not None:
        lineage = result.lineage
        values[LINEAGE_UNDELIVERED] = float(lineage.get("events_failed", 0) + lineage.get("events_not_sent", 0))
    if freshness_s is not None:
        values[GOLD_FRESHNESS] = max(0.0, freshness_s)
    return values


def metric_data(values: Mapping[str, float], stack_id: str, timestamp: float) -> list[dict[str, Any]]:
    """``PutMetricData``'s ``MetricData``: one high-resolution point per value, dimension ``StackId``."""
    return [
        {
            "MetricName": name,
            "Dimensions": [{"Name": DIMENSION, "Value": stack_id}],
            "Timestamp": timestamp,
            "Value": value,
            "Unit": "Seconds" if name == GOLD_FRESHNESS else "Count",
            "StorageResolution": 1,
        }
        for name, value in values.items()
    ]


@dataclass
class GoldState:
    """Gold as readers find it: seconds since its oldest table's last commit, and the tables nobody can read."""

    freshness_s: float | None
    unreadable: list[str] = field(default_factory=list)


def read_gold(target: Target, outputs: Mapping[str, Any], now: float) -> GoldState:
    """Each Gold table's current snapshot through the catalog; one that cannot be loaded is unreadable."""
    gold_db = outputs["glue_database_names"]["gold"]
    stamps: list[float] = []
    unreadable: list[str] = []
    for table in GOLD_TABLES:
        try:
            found = snapshot(target, gold_db, table)
        except Exception as err:  # noqa: BLE001 - any reader failure is what a reader of Gold meets
            unreadable.append(f"{gold_db}.{table}: {type(err).__name__}: {err}")
            continue
        if found.get("timestamp_ms"):
            stamps.append(int(found["timestamp_ms"]) / 1000)
    complete = stamps and len(stamps) == len(GOLD_TABLES)
    return GoldState(now - min(stamps) if complete else None, unreadable)


def publish_run(
    target: Target,
    outputs: Mapping[str, Any],
    result: Any,
    gold: Callable[[Target, Mapping[str, Any], float], GoldState] = read_gold,
) -> MetricsStats:
    """Publish ``result``'s metrics; never raises (what failed is in the stats)."""
    stats = MetricsStats()
    now = time.time()
    state = GoldState(None)
    try:
        state = gold(target, outputs, now)
    except Exception as err:  # noqa: BLE001 - a reader failure: no Gold points, the alarms see missing data
        stats.errors.append(f"Gold unreadable: {type(err).__name__}: {err}")
    stats.errors += [f"Gold unreadable: {u}" for u in state.unreadable]
    stats.values = metric_values(result, state.freshness_s)
    stats.values[GOLD_UNREADABLE] = float(len(state.unreadable))
    data = metric_data(stats.values, str(outputs["stack_id"]), now)
    stats.published_at = now
    try:
        target.client("cloudwatch").put_metric_data(Namespace=NAMESPACE, MetricData=data)
        stats.sent = len(data)
    except (BotoCoreError, ClientError) as err:
        stats.failed = len(data)
        stats.errors.append(f"PutMetricData to {NAMESPACE}: {err}")
    result.metrics = stats.to_dict()
    return stats
