"""The chaos runbook's exit check 4 judges what the exit scenario's check 4 judges, against a real lineage service.

The broken lineage: an earlier session ran the whole pipeline; the recovery run's ``lh_t_gold.users.merge``
FAILED. Gold ``users`` is not upstream of ``daily_revenue``, so the gold job's graph is this run's and whole;
Bronze ``ssn`` flows into it, and Marquez's column lineage of it is the earlier session's. The exit scenario's
check 4 fails on it (the jobs writing the column flow's tables, ``flow_tables``); the runbook called
``check_lineage`` without them, so a recovery counted as green on lineage this run did not make.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lakehouse.chaos.faults import ChaosContext
from lakehouse.chaos.runbook import Criteria, ScheduledRun, exit_check_4
from lakehouse.checks.column_page import stack_column_page, stack_flow_tables
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.endpoint import LineageEndpoint
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import DATA_DIR, PipelineResult
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION
from tests.lineage.test_check import SSN_FLOW, emitted

FAILED_WRITER = "lh_t_gold.users.merge"


def runbook_check_4(service: LineageHandle, tmp_path: Path, emission: EmissionStats) -> Outcome:
    ctx = ChaosContext(target=SimpleNamespace(region=REGION), outputs=OUTPUTS, stack_id="lh-t")  # type: ignore[arg-type]
    endpoint = LineageEndpoint(service.url, service.url, NAMESPACE)
    criteria = Criteria(expected_row={}, lineage=endpoint, screenshot_dir=tmp_path)
    return exit_check_4(ctx, criteria, ScheduledRun(PipelineResult(), emission, DATA_DIR))


def test_the_runbook_judges_the_tables_the_exit_scenarios_column_flow_judges(tmp_path: Path) -> None:
    page = stack_column_page(OUTPUTS, REGION, None, None, None, "ssn", tmp_path / "x.png")
    assert sorted(stack_flow_tables(OUTPUTS, REGION, "ssn")) == sorted(page.details["flows_into_by_sql"]) == SSN_FLOW


def test_a_failed_job_writing_where_the_hidden_column_flows_fails_the_runbooks_check_4(
    service: LineageHandle, tmp_path: Path
) -> None:
    emitted(service.url)
    ours = emitted(service.url, {FAILED_WRITER: "HIVE_BAD_DATA: boom"})
    outcome = runbook_check_4(service, tmp_path, ours)
    failed = ours.run_ids[FAILED_WRITER][-1]
    assert outcome.status is Status.FAILED, "the runbook's check 4 passed lineage a failed job left stale"
    assert outcome.reason == (
        f"the job writing lh_t_gold.users (where the column flows) {FAILED_WRITER}'s latest run {failed} is "
        "FAILED, not COMPLETED (HIVE_BAD_DATA: boom)"
    )
    assert outcome.details["marquez"]["flow_writers_latest_runs"][FAILED_WRITER] == {"id": failed, "state": "FAILED"}


def test_a_recovery_run_completing_every_job_passes_the_runbooks_check_4(
    service: LineageHandle, tmp_path: Path
) -> None:
    emitted(service.url, {FAILED_WRITER: "HIVE_BAD_DATA: boom"})
    ours = emitted(service.url)
    outcome = runbook_check_4(service, tmp_path, ours)
    assert outcome.passed, outcome.reason
    writers = outcome.details["marquez"]["flow_writers_latest_runs"]
    assert writers[FAILED_WRITER] == {"id": ours.run_ids[FAILED_WRITER][-1], "state": "COMPLETED"}
