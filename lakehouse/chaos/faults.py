"""The chaos catalogue: faults a lakehouse really meets, each with the alarm it must raise and its runbook.

A fault's ``inject`` breaks the deployed stack the way the incident would (through the same APIs an
operator or a misbehaving producer uses) and returns what it did. The alarms are named by their
suffix after ``<project>-<stack_id>-`` (infra/alarms.tf); any one of them firing is detection.
Recovery is the runbook step (``lakehouse.chaos.runbook``), never an undo the harness remembers:
the runbook mends from what the stack itself keeps (S3 versions, Glue's previous metadata
location, Terraform's configuration).

Not in the catalogue, and why: the pipeline role losing its Lake Formation grant on Silver (the
pipeline runs as the operator's identity, a data lake admin, so that grant binds no run: no
metric can move); the budget's notification deleted (no metric or alarm sees a Budgets
configuration change; that needs CloudTrail -> EventBridge, which the stack does not have).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from lakehouse.pipeline.landing import ARRIVED, LANDING
from lakehouse.target import Target


class Runbook(StrEnum):
    """The documented recovery steps (README, MTTR); each ends with a pipeline run from Bronze."""

    RESTORE_SNAPSHOT = "restore the Iceberg snapshot: point the Gold table back at its previous metadata file"
    RESTORE_BRONZE_OBJECT = "restore the Bronze object's previous version (S3 versioning)"
    RESTART_SERVICE = "restart the lineage service on its address"
    REAPPLY = "re-apply infra/ (terraform apply)"


@dataclass
class ChaosContext:
    """What a fault and a runbook step act on: the stack's target and outputs, and the levers they need."""

    target: Target
    outputs: dict[str, Any]
    stack_id: str
    project: str = "lakehouse"
    #: Stops the lineage service (local target only; None where the harness does not own it).
    stop_lineage: Callable[[], None] | None = None
    #: Starts it again on the same address.
    start_lineage: Callable[[], None] | None = None
    #: ``terraform apply`` of the stack.
    reapply: Callable[[], None] | None = None

    @property
    def prefix(self) -> str:
        return f"{self.project}-{self.stack_id}"

    def alarm_name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"


@dataclass
class Injection:
    """What ``inject`` did, in words, and where (the incident's subject: the runbook mends it)."""

    did: str
    subject: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    """One entry of the catalogue."""

    name: str
    what: str
    alarms: tuple[str, ...]
    runbook: Runbook
    inject: Callable[[ChaosContext], Injection]
    #: Why it cannot be injected on this context, or None.
    unavailable: Callable[[ChaosContext], str | None] = lambda _ctx: None


def arrived_key(file: str) -> str:
    """The Bronze object a landed file is kept as (``arrived/<table>/<file>``): what runs from Bronze read."""
    return f"{ARRIVED}{LANDING[file].removeprefix('raw/')}{file}"


def _bronze(ctx: ChaosContext) -> str:
    return str(ctx.outputs["bucket_names"]["bronze"])


def _replace_arrived(ctx: ChaosContext, file: str, change: Callable[[bytes], bytes]) -> Injection:
    s3 = ctx.target.client("s3")
    key = arrived_key(file)
    current = s3.get_object(Bucket=_bronze(ctx), Key=key)
    body = current["Body"].read()
    changed = change(body)
    s3.put_object(Bucket=_bronze(ctx), Key=key, Body=changed)
    # The incident starts when the object was replaced: the runbook restores the version from before.
    since = s3.head_object(Bucket=_bronze(ctx), Key=key)["LastModified"]
    return Injection(
        f"s3://{_bronze(ctx)}/{key} replaced ({len(body)} -> {len(changed)} bytes)",
        {"bucket": _bronze(ctx), "key": key, "since": since.isoformat()},
    )


def truncate(body: bytes) -> bytes:
    """An upload cut short right after its header line: no data line arrived.

    (Cut inside the header, landing refuses the file as a changed schema, which the failure alarm
    sees: the empty-input alarm is what this fault is for.)
    """
    header_end = body.find(b"\n")
    return body[: header_end + 1] if header_end > 0 else body[: max(1, len(body) // 2)]


def inject_bronze_truncated(ctx: ChaosContext) -> Injection:
    return _replace_arrived(ctx, "orders.csv", truncate)


def change_schema(body: bytes) -> bytes:
    """The producer renamed ``amount`` to ``amount_usd`` and added ``currency`` before ``status``."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, row in enumerate(rows):
        if i == 0 and "amount" in row:
            at = row.index("amount")
            row = [*row[:at], "amount_usd", "currency", *row[at + 1 :]]
        elif len(row) == len(rows[0]) and "amount" in rows[0]:
            at = rows[0].index("amount")
            row = [*row[: at + 1], "USD", *row[at + 1 :]]
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def inject_schema_changed(ctx: ChaosContext) -> Injection:
    return _replace_arrived(ctx, "orders.csv", change_schema)


def missing_metadata(location: str) -> str:
    """A metadata file next to ``location`` that does not exist."""
    return location.rsplit("/", 1)[0] + "/99999-00000000-0000-0000-0000-000000000000.metadata.json"


#: Fields of GetTable's answer that UpdateTable's TableInput takes.
TABLE_INPUT_FIELDS = (
    "Name",
    "Description",
    "Owner",
    "Retention",
    "StorageDescriptor",
    "PartitionKeys",
    "TableType",
    "Parameters",
)


def table_input(table: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """``table`` (GetTable's) as an UpdateTable ``TableInput`` with ``parameters`` changed."""
    out = {k: table[k] for k in TABLE_INPUT_FIELDS if k in table}
    out["Parameters"] = {**table.get("Parameters", {}), **parameters}
    return out


GOLD_TABLE = "daily_revenue"


def inject_gold_pointer(ctx: ChaosContext) -> Injection:
    glue = ctx.target.client("glue")
    database = str(ctx.outputs["glue_database_names"]["gold"])
    table = glue.get_table(DatabaseName=database, Name=GOLD_TABLE)["Table"]
    current = table["Parameters"]["metadata_location"]
    moved = missing_metadata(current)
    glue.update_table(
        DatabaseName=database,
        TableInput=table_input(table, {"metadata_location": moved, "previous_metadata_location": current}),
    )
    return Injection(f"{database}.{GOLD_TABLE} metadata_location {current} -> {moved}", {"database": database})


def inject_lineage_stopped(ctx: ChaosContext) -> Injection:
    assert ctx.stop_lineage is not None
    ctx.stop_lineage()
    return Injection("the lineage service's process was stopped", {})


def _lineage_unavailable(ctx: ChaosContext) -> str | None:
    if ctx.stop_lineage is None or ctx.start_lineage is None:
        return "the lineage service is not the harness's to stop on this target (it is the user's Marquez)"
    return None


def inject_workgroup_disabled(ctx: ChaosContext) -> Injection:
    name = str(ctx.outputs["athena_workgroup_name"])
    ctx.target.client("athena").update_work_group(WorkGroup=name, State="DISABLED")
    return Injection(f"Athena workgroup {name} disabled", {"workgroup": name})


def _reapply_unavailable(ctx: ChaosContext) -> str | None:
    return None if ctx.reapply is not None else "no Terraform working copy to re-apply"


CATALOGUE: tuple[Fault, ...] = (
    Fault(
        "gold-metadata-missing",
        "the Gold table's Iceberg metadata pointer is moved to a file that does not exist",
        ("gold-unreadable",),
        Runbook.RESTORE_SNAPSHOT,
        inject_gold_pointer,
    ),
    Fault(
        "bronze-truncated",
        "a Bronze object (the arrived orders.csv) is replaced by a file cut short right after its header",
        ("input-empty",),
        Runbook.RESTORE_BRONZE_OBJECT,
        inject_bronze_truncated,
    ),
    Fault(
        "csv-schema-changed",
        "an orders.csv with a changed schema arrives (amount renamed, a currency column added)",
        ("pipeline-failures", "rows-refused"),
        Runbook.RESTORE_BRONZE_OBJECT,
        inject_schema_changed,
    ),
    Fault(
        "lineage-stopped",
        "the lineage service is stopped",
        ("lineage-undelivered",),
        Runbook.RESTART_SERVICE,
        inject_lineage_stopped,
        _lineage_unavailable,
    ),
    Fault(
        "workgroup-disabled",
        "the pipeline's Athena workgroup is disabled outside Terraform",
        ("pipeline-failures",),
        Runbook.REAPPLY,
        inject_workgroup_disabled,
        _reapply_unavailable,
    ),
)


def by_name(names: list[str] | None = None) -> list[Fault]:
    """The catalogue, or the named faults of it (in catalogue order); unknown names raise ``KeyError``."""
    if not names:
        return list(CATALOGUE)
    known = {f.name: f for f in CATALOGUE}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise KeyError(f"no fault {', '.join(unknown)} in the chaos catalogue (have: {', '.join(known)})")
    return [f for f in CATALOGUE if f.name in names]


def listing() -> str:
    """``lakehouse chaos --list``: one fault a line, with its alarms and runbook step."""
    lines = []
    for f in CATALOGUE:
        lines.append(f"{f.name}: {f.what}")
        alarms = " or ".join(f.alarms)
        lines.append(f"    alarm: {alarms}; runbook: {f.runbook.value}, then re-run the pipeline from Bronze")
    return "\n".join(lines)


def landing_files(ctx: ChaosContext, into: Path) -> Path:
    """The arrived files of Bronze, fetched into ``into``: what a run from Bronze lands again."""
    s3 = ctx.target.client("s3")
    into.mkdir(parents=True, exist_ok=True)
    for file in LANDING:
        (into / file).write_bytes(s3.get_object(Bucket=_bronze(ctx), Key=arrived_key(file))["Body"].read())
    return into
