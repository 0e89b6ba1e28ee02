"""Steps of KPI-mttr (features/kpis.feature): inject the chaos catalogue's faults, time detect and recover.

The work is in ``lakehouse.chaos``; here the session's stack, lineage service and options become
a ``ChaosContext``, and the feature's numbers and Gold row become the recovery's criteria.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from pytest_bdd import parsers, when

from lakehouse.chaos.faults import CATALOGUE, ChaosContext, by_name
from lakehouse.chaos.mttr import judge_mttr
from lakehouse.chaos.run import run_chaos
from lakehouse.chaos.runbook import Criteria
from lakehouse.config import RunOptions
from lakehouse.evidence import ArtifactStore, CheckEvidence
from lakehouse.lineage.endpoint import LineageEndpoint
from lakehouse.lineage.service.process import READY_PREFIX, LineageHandle, LineageServiceError, stop_lineage_service
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.services import start_service
from lakehouse.stack import Deployment

FAULTS_ENV = "LAKEHOUSE_CHAOS_FAULTS"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lakehouse-chaos", "KPI-mttr's chaos")
    group.addoption(
        "--chaos-faults",
        default=None,
        help=f"comma-separated faults of `lakehouse chaos --list` to inject (default all; env {FAULTS_ENV})",
    )


def chaos_context(deployment: Deployment, run_options: RunOptions) -> ChaosContext:
    """The stack's levers: its lineage service (only when the harness started it) and terraform apply."""
    stack = deployment.stack
    ctx = ChaosContext(stack.target, deployment.record.outputs, stack.stack_id)

    def reapply() -> None:
        result = stack.apply()
        if not result.ok:
            raise RuntimeError(f"terraform apply failed: {'; '.join(result.diagnostics[-3:])}")

    ctx.reapply = reapply
    handle = deployment.lineage
    if handle is not None:
        port = handle.url.rsplit(":", 1)[1]
        db = handle.db_path or stack.dir / "lineage.sqlite"

        def stop() -> None:
            assert deployment.lineage is not None
            stop_lineage_service(deployment.lineage)

        def start() -> None:
            pid, info = start_service(
                ["lakehouse.lineage.service.server", "--db", str(db), "--port", port],
                READY_PREFIX,
                "lineage service",
                LineageServiceError,
                stack.dir / "lineage.log",
                detach=run_options.keep or run_options.deployed,
            )
            # The session's teardown and `lakehouse destroy` stop the restarted process, not the old PID.
            deployment.lineage = LineageHandle(str(info["url"]), pid, Path(db))
            deployment.record.lineage_pid = pid
            deployment.record.save(stack.record_path)

        ctx.stop_lineage, ctx.start_lineage = stop, start
    return ctx


@when(
    parsers.parse(
        "every fault of the chaos catalogue is injected in turn, each detected and recovered within {minutes:g} min"
    ),
    target_fixture="kpi_outcome",
)
def inject_the_catalogue(
    minutes: float,
    datatable: list[list[str]],
    deployment: Deployment,
    pipeline_run: PipelineResult,
    run_options: RunOptions,
    lineage_endpoint: LineageEndpoint,
    pytestconfig: pytest.Config,
    artifacts: ArtifactStore,
    evidence: CheckEvidence,
) -> Outcome:
    """The session's pipeline run loads the stack first: the faults hit a lakehouse with data in it."""
    threshold_s = minutes * 60
    # This process's own workers only: a run started from an xdist worker inherits its environment.
    workerinput = getattr(pytestconfig, "workerinput", None)
    if workerinput is not None and int(workerinput.get("workercount", 1)) > 1:
        # The faults break the stack the other workers are verifying at the same moment.
        return Outcome.skipped(
            "chaos is not injected while other xdist workers verify the same stack: run KPI-mttr alone (-n 0)",
            threshold_s,
        )
    if not pipeline_run.ok:
        return Outcome.error(f"the pipeline that loads the stack failed at {pipeline_run.error}", threshold_s)
    chosen = pytestconfig.getoption("--chaos-faults") or os.environ.get(FAULTS_ENV)
    try:
        faults = by_name([n.strip() for n in chosen.split(",") if n.strip()] if chosen else None)
    except KeyError as err:
        raise pytest.UsageError(str(err)) from None
    criteria = Criteria(
        expected_row=dict(zip(datatable[0], datatable[1], strict=True)),
        cost_cap_usd=run_options.monthly_cost_cap_usd,
        lineage=lineage_endpoint,
        screenshot_dir=run_options.reports,
    )
    with tempfile.TemporaryDirectory(prefix="lakehouse-chaos-") as scratch:
        chaos = run_chaos(chaos_context(deployment, run_options), faults, criteria, threshold_s, Path(scratch))
    evidence.artifacts.append(artifacts.write_json(f"kpi-{deployment.stack.stack_id}/mttr.json", chaos.to_dict()))
    outcome = judge_mttr(chaos.timelines, threshold_s, [f.name for f in CATALOGUE])
    outcome.details.update(chaos_seconds=round(chaos.seconds, 1), alarms=chaos.alarms)
    return outcome
