"""The runbook: how each fault is mended, and the exit checks (2, 4, 6, 7) whose passing ends a recovery.

Each step mends from what the stack itself keeps (S3 object versions, the Glue table's previous
metadata location, Terraform's configuration, the service's address), then re-runs the pipeline
from Bronze. The checks are the exit checks' own functions, the ones the exit scenarios call.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse.athena import run
from lakehouse.chaos.delivery import without_harness
from lakehouse.chaos.faults import (
    GOLD_TABLE,
    LANDING,
    ChaosContext,
    Injection,
    Runbook,
    arrived_key,
    landing_files,
    table_input,
)
from lakehouse.checks.column_page import stack_flow_tables
from lakehouse.checks.data_loop_parts import DataLoopRun, check_data_loop
from lakehouse.checks.finops import try_read_finops, verdict
from lakehouse.checks.lineage import THRESHOLD, check_lineage, pipeline_expectation, visible_names
from lakehouse.checks.security import check_security
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.endpoint import LineageEndpoint, emitter_for
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.commands import operated_run
from lakehouse.pipeline.demo import demo_connection, demo_queries
from lakehouse.pipeline.landing import Landed, inspect, unterminated_line
from lakehouse.pipeline.runner import PipelineResult


class RunbookError(RuntimeError):
    """A runbook step could not be carried out (names what it lacked)."""


@dataclass
class Criteria:
    """What "exit checks 2, 4, 6 and 7 pass" means, from the feature text (never from the stack)."""

    expected_row: dict[str, str]
    demo_query: str = "daily_revenue"
    hidden_column: str = "ssn"
    cost_cap_usd: float = 20.0
    min_series: int = 3
    lineage: LineageEndpoint | None = None
    screenshot_dir: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


@dataclass
class ScheduledRun:
    """One pipeline run from Bronze as the stack's schedule would start it, with its lineage emission."""

    result: PipelineResult
    emission: EmissionStats
    data_dir: Path


def run_from_bronze(ctx: ChaosContext, lineage: LineageEndpoint | None, scratch: Path) -> ScheduledRun:
    """Land Bronze's arrived files again and build Silver and Gold; metrics and lineage go out as always."""
    data_dir = landing_files(ctx, scratch)
    endpoint = lineage or LineageEndpoint(None, None, ctx.prefix)
    emitter = emitter_for(ctx.target, endpoint)
    result = operated_run(ctx.target, ctx.outputs, data_dir, emitter)
    return ScheduledRun(result, emitter.stats, data_dir)


def restore_snapshot(ctx: ChaosContext, injection: Injection) -> str:
    """Point the Gold table back at Glue's ``previous_metadata_location`` once it is a file S3 has."""
    glue, s3 = ctx.target.client("glue"), ctx.target.client("s3")
    database = injection.subject.get("database") or str(ctx.outputs["glue_database_names"]["gold"])
    table = glue.get_table(DatabaseName=database, Name=GOLD_TABLE)["Table"]
    previous = table.get("Parameters", {}).get("previous_metadata_location")
    if not previous:
        raise RunbookError(f"{database}.{GOLD_TABLE} has no previous_metadata_location to restore")
    bucket, key = previous.removeprefix("s3://").split("/", 1)
    s3.head_object(Bucket=bucket, Key=key)  # raises if the previous metadata is gone too
    current = table["Parameters"]["metadata_location"]
    glue.update_table(
        DatabaseName=database,
        TableInput=table_input(table, {"metadata_location": previous, "previous_metadata_location": current}),
    )
    return f"{database}.{GOLD_TABLE} metadata_location -> {previous}"


def restore_object(ctx: ChaosContext, injection: Injection) -> str:
    """Copy the object's newest version from before the incident back on top (Bronze is versioned).

    Runs after the incident landed the bad file again, so "the version before the current one"
    would be the bad one: the incident's start (``since``) decides.
    """
    s3 = ctx.target.client("s3")
    bucket, key = injection.subject["bucket"], injection.subject["key"]
    since = datetime.fromisoformat(injection.subject["since"])
    versions = [
        v
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key)
        for v in page.get("Versions", [])
        if v["Key"] == key and v["LastModified"] < since
    ]
    if not versions:
        raise RunbookError(f"s3://{bucket}/{key} has no version from before {since.isoformat()} to restore")
    good = max(versions, key=lambda v: v["LastModified"])["VersionId"]
    s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": key, "VersionId": good})
    return f"s3://{bucket}/{key} restored from version {good}"


def restart_service(ctx: ChaosContext, _injection: Injection) -> str:
    if ctx.start_lineage is None:
        raise RunbookError("no lineage service to restart on this target")
    ctx.start_lineage()
    return "lineage service restarted on its address"


def reapply(ctx: ChaosContext, _injection: Injection) -> str:
    if ctx.reapply is None:
        raise RunbookError("no Terraform working copy to re-apply")
    ctx.reapply()
    return "terraform apply of infra/"


STEPS: dict[Runbook, Callable[[ChaosContext, Injection], str]] = {
    Runbook.RESTORE_SNAPSHOT: restore_snapshot,
    Runbook.RESTORE_BRONZE_OBJECT: restore_object,
    Runbook.RESTART_SERVICE: restart_service,
    Runbook.REAPPLY: reapply,
}


def exit_check_2(ctx: ChaosContext, criteria: Criteria, scheduled: ScheduledRun) -> Outcome:
    """Exit check 2 as the exit scenario judges it: every part of ``data_loop_parts.PARTS``, on the recovery run."""
    conn = demo_connection(ctx.target, ctx.outputs)  # the demo's own session, as the exit scenario's
    try:
        demo = run(conn, demo_queries(ctx.outputs)[criteria.demo_query], label=criteria.demo_query)
        loop = DataLoopRun(ctx.target, ctx.outputs, conn, scheduled.result, demo, criteria.expected_row)
        return check_data_loop(loop)
    finally:
        conn.close()


@dataclass(frozen=True)
class SourceFile:
    """An arrived Bronze file as it was before a fault: what a recovery must bring back byte for byte."""

    data_lines: int
    bytes: int
    sha256: str
    unterminated_line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def source_file(name: str, body: bytes) -> SourceFile:
    """``body`` as landing would count and fingerprint it."""
    return SourceFile(
        inspect(name, body).data_lines, len(body), hashlib.sha256(body).hexdigest(), unterminated_line(body)
    )


def source_files(ctx: ChaosContext) -> dict[str, SourceFile]:
    """Each arrived Bronze file as it is now: taken before a fault, the source a recovery must match."""
    s3 = ctx.target.client("s3")
    bucket = str(ctx.outputs["bucket_names"]["bronze"])
    return {
        file: source_file(file, s3.get_object(Bucket=bucket, Key=arrived_key(file))["Body"].read()) for file in LANDING
    }


def _mid_line(landed: Landed, source: SourceFile) -> str:
    """Why a landed file differs, when it ends mid-line where the source did not."""
    if landed.unterminated_line is None or source.unterminated_line is not None:
        return ""
    return f"; it ends mid-line (line {landed.unterminated_line} has no line break: the file was cut short)"


def full_data_problems(source: Mapping[str, SourceFile], landed: Mapping[str, Landed]) -> list[str]:
    """Each file the recovery run did not land as the source had it: some rows are not back, or not whole.

    Whole lines are not enough: a file cut inside its last line keeps every line (the last one
    short of a value, or of fields), so the file must be the source's, checksum for checksum.
    """
    problems = []
    for file, want in sorted(source.items()):
        got = landed.get(file)
        if got is None:
            problems.append(
                f"{file}: the recovery run landed no such file; the source has {want.data_lines} data lines"
            )
        elif got.data_lines != want.data_lines:
            problems.append(
                f"{file}: the recovery run landed {got.data_lines} data lines, the source has {want.data_lines}"
                + _mid_line(got, want)
            )
        elif not got.sha256:
            problems.append(f"{file}: the recovery run recorded no checksum of what it landed: cannot match the source")
        elif got.sha256 != want.sha256:
            problems.append(
                f"{file}: the recovery run landed {got.bytes} bytes (sha256 {got.sha256[:12]}), not the source's "
                f"{want.bytes} (sha256 {want.sha256[:12]}), though both have {want.data_lines} data lines"
                + _mid_line(got, want)
            )
    return problems


def check_full_data(source: Mapping[str, SourceFile] | None, scheduled: ScheduledRun) -> Outcome:
    """A recovery brings every row back whole: per file, what the recovery run landed is the source, byte for byte."""
    if not source:
        return Outcome.error("the source files were not read before the fault: recovery unprovable")
    landed = {f.file: f for f in scheduled.result.landed}
    problems = full_data_problems(source, landed)
    return Outcome.judged(
        not problems,
        {f: x.data_lines for f, x in landed.items()},
        {f: x.data_lines for f, x in source.items()},
        "; ".join(problems) or None,
        {
            "source_files": {f: x.to_dict() for f, x in sorted(source.items())},
            "landed_files": {
                f: {
                    "data_lines": x.data_lines,
                    "bytes": x.bytes,
                    "sha256": x.sha256,
                    "unterminated_line": x.unterminated_line,
                }
                for f, x in sorted(landed.items())
            },
        },
    )


def exit_check_4(ctx: ChaosContext, criteria: Criteria, scheduled: ScheduledRun) -> Outcome:
    """Exit check 4: Marquez's graph of the gold job reaches Bronze, for the recovery run's events.

    As the exit scenario's step, the jobs writing the tables the hidden column flows into (by the pipeline's
    SQL: ``column_page.stack_flow_tables``) must have the recovery run's COMPLETED run too: Marquez's column
    lineage of a table a job failed to write this run is an earlier run's.
    """
    endpoint = criteria.lineage
    if endpoint is None or not endpoint.api_url:
        return Outcome.error("no Marquez to read: set MARQUEZ_URL or --marquez-url")
    exp = pipeline_expectation(ctx.outputs, ctx.target.region, scheduled.data_dir, endpoint.namespace)
    flow = stack_flow_tables(ctx.outputs, ctx.target.region, criteria.hidden_column)
    if not flow:
        return Outcome.judged(
            False,
            {"flow_tables": 0},
            THRESHOLD,
            f"the pipeline's SQL carries no Bronze column {criteria.hidden_column!r} into another table: "
            "exit check 4's column flow has no table to judge",
        )
    outcome, _graph = check_lineage(
        MarquezClient(endpoint.api_url),
        exp,
        scheduled.emission,
        endpoint.web_url,
        criteria.screenshot_dir / f"mttr-lineage-{ctx.stack_id}.png",
        visible_names(exp),
        endpoint.web_problem,
        flow_tables=flow,
    )
    return outcome


def exit_check_6(ctx: ChaosContext, criteria: Criteria, _scheduled: ScheduledRun) -> Outcome:
    return check_security(ctx.target, ctx.outputs, hidden=[criteria.hidden_column])


def exit_check_7(ctx: ChaosContext, criteria: Criteria, _scheduled: ScheduledRun) -> Outcome:
    """Exit check 7 as the stack has it: the harness's own queue, subscribed while it listens, receives no alert."""
    read = without_harness(try_read_finops(ctx.target, ctx.outputs))
    return verdict(read, criteria.cost_cap_usd, criteria.min_series)


EXIT_CHECKS: dict[str, Callable[[ChaosContext, Criteria, ScheduledRun], Outcome]] = {
    "EXIT-2": exit_check_2,
    "EXIT-4": exit_check_4,
    "EXIT-6": exit_check_6,
    "EXIT-7": exit_check_7,
}


#: The exit checks of a recovery in lanes that run side by side, each lane's checks in order. The checks only
#: read; exit check 6 reads Athena's query history, so the checks that query Athena (2, 6) keep one lane, in
#: the order they always ran. Exit check 4 waits mostly on Marquez and the browser, 7 on SNS and Budgets.
LANES: tuple[tuple[str, ...], ...] = (("EXIT-2", "EXIT-6"), ("EXIT-4",), ("EXIT-7",))


def _run_check(name: str, ctx: ChaosContext, criteria: Criteria, scheduled: ScheduledRun) -> tuple[Outcome, float]:
    """One exit check and what it took; one that raises is an ``error`` outcome naming the exception."""
    started = time.monotonic()
    try:
        outcome = EXIT_CHECKS[name](ctx, criteria, scheduled)
    except Exception as err:  # noqa: BLE001 - a check that cannot read is an error, never green
        outcome = Outcome.error(f"{type(err).__name__}: {err}")
    return outcome, time.monotonic() - started


def _run_lane(
    lane: tuple[str, ...], ctx: ChaosContext, criteria: Criteria, scheduled: ScheduledRun
) -> dict[str, tuple[Outcome, float]]:
    return {name: _run_check(name, ctx, criteria, scheduled) for name in lane}


def exit_checks(
    ctx: ChaosContext,
    criteria: Criteria,
    scheduled: ScheduledRun,
    source: Mapping[str, SourceFile] | None = None,
    seconds: dict[str, float] | None = None,
) -> dict[str, Outcome]:
    """Every exit check of a recovery, and the full data back when the source was taken before the fault.

    The checks run in :data:`LANES` (side by side: a recovery waits for the slowest lane, not for the sum);
    the answer is in ``EXIT_CHECKS`` order whatever finished first. One that raises is an ``error`` outcome
    naming the exception. ``seconds``, when given, gets what each check took (the recovery's time is mostly
    theirs: the evidence says which).
    """
    with ThreadPoolExecutor(max_workers=len(LANES), thread_name_prefix="exit-checks") as pool:
        lanes = [pool.submit(_run_lane, lane, ctx, criteria, scheduled) for lane in LANES]
        ran = {name: result for lane in lanes for name, result in lane.result().items()}
    found = {name: ran[name][0] for name in EXIT_CHECKS}
    if seconds is not None:
        seconds.update({name: ran[name][1] for name in EXIT_CHECKS})
    if source is not None:
        found["full-data"] = check_full_data(source, scheduled)
    return found


def not_green(checks: dict[str, Outcome]) -> list[str]:
    """``EXIT-n (status): reason`` for every check that did not pass."""
    return [f"{n} ({o.status}): {o.reason}" for n, o in checks.items() if o.status is not Status.PASSED]


def summary(checks: dict[str, Outcome]) -> dict[str, Any]:
    return {n: {"status": str(o.status), "reason": o.reason} for n, o in checks.items()}
