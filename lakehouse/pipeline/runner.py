"""Run the pipeline against a deployed stack: land Bronze, then every statement in order.

The same code and the same SQL files run on both targets; only the Target differs. A
failing statement stops the run (later ones build on it) and the result names its file,
line and Athena's reason. Rows the SQL refused are counted per table and reason.

Before any statement, the keyed tables are asked for duplicate keys (an older version could
leave some): the run stops naming them rather than failing later at an opaque MERGE error.
After the last one, every input line is accounted for (``lakehouse.pipeline.accounting``):
a run whose lines do not add up fails, naming the lines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyiceberg.exceptions import NoSuchTableError

from lakehouse.athena import QueryRecord, connect, run
from lakehouse.config import project_root
from lakehouse.iceberg import snapshot
from lakehouse.pipeline.accounting import FileAccount, account_lines
from lakehouse.pipeline.landing import Landed, LandingError, MalformedLine, declared_headers, land
from lakehouse.pipeline.silver_rows import as_of
from lakehouse.pipeline.sqlfiles import SqlStatement, load
from lakehouse.target import Target

SQL_DIR = project_root() / "pipeline" / "sql"
DEMO_DIR = project_root() / "pipeline" / "demo"
DATA_DIR = project_root() / "fixtures" / "data"

#: Tables the pipeline builds, by layer, and the quarantine tables next to them.
TABLES = {
    "bronze": ["users_csv", "orders_csv"],
    "silver": ["users", "orders"],
    "gold": ["users", "orders_enriched", "daily_revenue"],
}
#: Tables with a data contract: the built ones and, for the accounting, staging and refused rows.
CONTRACTED = {
    **TABLES,
    "silver": [*TABLES["silver"], "users_staged", "users_rejected", "orders_staged", "orders_rejected"],
}
QUARANTINE = {"silver.users": "silver.users_rejected", "silver.orders": "silver.orders_rejected"}
#: The tables with a key, and the key: one row per key, always.
KEYS = {
    "silver.users": ["user_id"],
    "silver.orders": ["order_id"],
    "gold.users": ["user_id"],
    "gold.orders_enriched": ["order_id"],
    "gold.daily_revenue": ["order_date", "country"],
}
#: Duplicate keys named per table at most.
SHOWN_KEYS = 20

Listener = Callable[[SqlStatement, QueryRecord], None]
#: Called once Bronze landing is done: data folder, files landed, seconds it took (lineage).
LandingListener = Callable[[Path, list[Landed], float], None]


def stack_values(outputs: dict[str, Any]) -> dict[str, str]:
    """Placeholder values of the SQL files, from the stack's Terraform outputs."""
    dbs, buckets = outputs["glue_database_names"], outputs["bucket_names"]
    values = {f"{layer}_db": dbs[layer] for layer in ("bronze", "silver", "gold")}
    values.update({f"{layer}_bucket": buckets[layer] for layer in ("bronze", "silver", "gold")})
    return values


def physical(name: str, outputs: dict[str, Any]) -> str:
    """``silver.users`` -> ``<stack's silver database>.users``."""
    layer, table = name.split(".", 1)
    return f"{outputs['glue_database_names'][layer]}.{table}"


@dataclass
class PipelineResult:
    """What one run did: files landed, statements run, rows refused, and how long it took."""

    ok: bool = True
    error: str | None = None
    landed: list[Landed] = field(default_factory=list)
    malformed: list[MalformedLine] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    quarantined: dict[str, dict[str, int]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    #: Every input file's lines: in, per destination, out (see ``accounting``).
    accounting: list[FileAccount] = field(default_factory=list)
    #: Keys a keyed table held more than once before the run (table -> "key (n rows)").
    duplicate_keys: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    #: What happened to the run's OpenLineage events (``EmissionStats.to_dict()``), when emitted.
    lineage: dict[str, Any] | None = None
    #: What happened to the run's CloudWatch metrics (``MetricsStats.to_dict()``), when published.
    metrics: dict[str, Any] | None = None
    #: Each Silver table's current Iceberg snapshot when the run started (None: none, or no table yet): the
    #: accounting judges refusals and the rows the run wrote against Silver as it was then.
    silver_before: dict[str, int | None] = field(default_factory=dict)

    @property
    def quarantined_total(self) -> int:
        return sum(sum(reasons.values()) for reasons in self.quarantined.values())

    def summary(self) -> str:
        head = "pipeline ok" if self.ok else f"pipeline FAILED: {self.error}"
        lines = [f"{head} ({len(self.statements)} statements, {self.seconds:.1f} s)"]
        for table, count in self.row_counts.items():
            lines.append(f"  {table}: {count} rows")
        for table, reasons in self.quarantined.items():
            for reason, count in sorted(reasons.items()):
                lines.append(f"  quarantined in {table}: {count} x {reason}")
        lines += [f"  quarantined at landing: {m}" for m in self.malformed]
        lines += [f"  accounting {a.row()}" for a in self.accounting]
        lines += [f"  {p}" for a in self.accounting for p in a.problems]
        if self.lineage is not None:
            lines.append(
                f"  lineage: {self.lineage.get('events_sent', 0)} events sent, "
                f"{self.lineage.get('events_failed', 0) + self.lineage.get('events_not_sent', 0)} not delivered"
            )
        if self.metrics is not None:
            lines.append(f"  metrics: {self.metrics.get('sent', 0)} sent, {self.metrics.get('failed', 0)} not sent")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "landed": [f.to_dict() for f in self.landed],
            "malformed_lines": [str(m) for m in self.malformed],
            "quarantined": self.quarantined,
            "quarantined_total": self.quarantined_total,
            "row_counts": self.row_counts,
            "accounting": [a.to_dict() for a in self.accounting],
            "duplicate_keys": self.duplicate_keys,
            "silver_before": self.silver_before,
            "statements": self.statements,
            "lineage": self.lineage,
            "metrics": self.metrics,
        }


def run_pipeline(
    target: Target,
    outputs: dict[str, Any],
    data_dir: Path = DATA_DIR,
    sql_dir: Path = SQL_DIR,
    listeners: list[Listener] | None = None,
    landing_listeners: list[LandingListener] | None = None,
) -> PipelineResult:
    """Land the CSVs and run every statement; never raises for a failed statement (see ``ok``)."""
    started = time.monotonic()
    result = PipelineResult()
    statements = load(sql_dir, stack_values(outputs))
    landing_started = time.monotonic()
    try:
        headers = declared_headers([stmt.sql for stmt in statements])
        result.landed, result.malformed = land(target, outputs["bucket_names"]["bronze"], data_dir, headers)
    except LandingError as err:
        result.ok, result.error = False, f"landing: {err}"
        result.seconds = time.monotonic() - started
        return result
    for on_landed in landing_listeners or []:
        on_landed(data_dir, result.landed, time.monotonic() - landing_started)
    conn = connect(target, outputs["athena_workgroup_name"])
    try:
        result.duplicate_keys = duplicate_keys(conn, outputs)
        if result.duplicate_keys:
            named = "; ".join(f"{t}: {', '.join(keys)}" for t, keys in result.duplicate_keys.items())
            result.ok = False
            result.error = (
                f"before loading: keyed tables already hold duplicate keys ({named}); "
                "an older pipeline left them. Keep one row per key (or empty the table) and run again"
            )
            return result
        try:
            result.silver_before = silver_snapshots(target, outputs)
        except Exception as err:  # noqa: BLE001 - pyiceberg's and botocore's errors: the run could not be judged
            result.ok, result.error = False, f"before loading: Silver's snapshots could not be read: {err}"
            return result
        for stmt in statements:
            record, _ = run(conn, stmt.sql, label=stmt.job)
            result.statements.append({"job": stmt.job, "where": stmt.where, **record.to_dict()})
            for listener in listeners or []:
                listener(stmt, record)
            if not record.ok:
                result.ok, result.error = False, f"{stmt.where}: {record.error}"
                break
        if result.ok:
            _measure(conn, outputs, result)
            _account(conn, outputs, result)
    finally:
        conn.close()
        result.seconds = time.monotonic() - started
    return result


def _measure(conn: Any, outputs: dict[str, Any], result: PipelineResult) -> None:
    """Row counts of every table and the refused rows by reason."""
    for layer, tables in TABLES.items():
        for table in tables:
            name = f"{layer}.{table}"
            record, rows = run(conn, f"SELECT count(*) FROM {physical(name, outputs)}")
            result.row_counts[name] = int(rows[0][0]) if record.ok and rows else -1
    for rejected in QUARANTINE.values():
        record, rows = run(
            conn, f"SELECT reject_reason, count(*) FROM {physical(rejected, outputs)} GROUP BY reject_reason"
        )
        result.quarantined[rejected] = {str(r[0]): int(r[1]) for r in rows} if record.ok else {}


def silver_snapshots(target: Target, outputs: dict[str, Any]) -> dict[str, int | None]:
    """Each Silver table's current Iceberg snapshot id (pyiceberg, from the metadata Glue names); None for a table
    without one or not created yet."""
    found: dict[str, int | None] = {}
    for table in TABLES["silver"]:
        name = f"silver.{table}"
        try:
            found[name] = snapshot(target, *physical(name, outputs).split(".", 1)).get("snapshot_id")
        except NoSuchTableError:
            found[name] = None
    return found


def _rows(conn: Any, sql: str) -> list[tuple[Any, ...]]:
    record, rows = run(conn, sql, keep_rows=0)
    if not record.ok:
        raise RuntimeError(f"{record.error} (query: {sql})")
    return rows


def duplicate_keys(conn: Any, outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Keys every keyed table holds more than once; a table not created yet holds none."""
    found: dict[str, list[str]] = {}
    for table, key in KEYS.items():
        shown = " || '/' || ".join(f"CAST({k} AS varchar)" for k in key)
        sql = (
            f"SELECT {shown}, count(*) FROM {physical(table, outputs)} GROUP BY {', '.join(key)} "
            f"HAVING count(*) > 1 ORDER BY 2 DESC LIMIT {SHOWN_KEYS}"
        )
        record, rows = run(conn, sql, keep_rows=0)
        if not record.ok:
            if "TABLE_NOT_FOUND" in (record.error or "") or "does not exist" in (record.error or ""):
                continue
            found[table] = [f"cannot be read: {record.error}"]
            continue
        if rows:
            found[table] = [f"{'/'.join(key)}={r[0]} ({r[1]} rows)" for r in rows]
    return found


def _account(conn: Any, outputs: dict[str, Any], result: PipelineResult) -> None:
    """Every input line in exactly one place; a run where they do not add up fails naming the lines."""
    landing: dict[str, list[int]] = {}
    for m in result.malformed:
        landing.setdefault(m.file, []).append(m.line)
    try:
        result.accounting = account_lines(
            lambda sql: _rows(conn, sql),
            lambda name: physical(name, outputs),
            [(f.file, f.lines) for f in result.landed],
            landing,
            lambda name: as_of(physical(name, outputs), result.silver_before.get(name)),
        )
    except RuntimeError as err:
        result.ok, result.error = False, f"the accounting could not read the tables: {err}"
        return
    problems = [p for a in result.accounting for p in a.problems]
    if problems:
        result.ok = False
        result.error = f"input lines do not add up: {'; '.join(problems[:10])}" + (
            f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        )
