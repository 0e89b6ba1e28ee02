"""KPI-success-rate counts the session's own pipeline run on the stack, not only the KPI's re-runs.

The hole: the KPI ran its own N runs after the session's run (exit check 2's ``pipeline_run``, the first on
the stack) and judged those alone. A pipeline that fails its first run on a fresh stack (a statement reading a
table a later one creates, a first-run-only race) and passes every re-run was 3 of 3, 100 %: the failed run on
the stack was never counted. Now the step hands that run to the judge (``session_sample``) and it counts.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from lakehouse.kpi.success import GitHubPart, RunSample, judge_success, run_pipeline_n, session_sample
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import PipelineResult
from steps.kpi_steps import e2e_workflow_history, pipeline_repeatedly
from tests.unit.test_kpi_success_fresh import ORDERS, USERS, Healthy, Lakehouse, fresh

FIRST_RUN_ERROR = "pipeline/sql/20_silver.sql:3: TABLE_NOT_FOUND: s.users_staged (created by a later statement)"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """The session's inputs (the sample of the KPI's other tests)."""
    out = tmp_path / "base"
    out.mkdir()
    (out / "users.csv").write_text(USERS)
    (out / "orders.csv").write_text(ORDERS)
    return out


class FailsItsFirstRun(Healthy):
    """Fails its first run on a fresh stack, naming the statement; every later run is healthy."""

    def __init__(self, lake: Lakehouse) -> None:
        super().__init__(lake)
        self.runs = 0

    def __call__(self, data_dir: Path) -> PipelineResult:
        self.runs += 1
        if self.runs == 1:
            return PipelineResult(ok=False, error=FIRST_RUN_ERROR)
        return super().__call__(data_dir)


def _kpi_runs(pipeline: Healthy, base: Path, tmp_path: Path, lake: Lakehouse) -> list[RunSample]:
    return run_pipeline_n(lambda d: pipeline(d or base), 3, fresh(base, tmp_path, lake, 3))


def test_before_the_fix_a_pipeline_failing_its_first_run_on_the_stack_passed(base: Path, tmp_path: Path) -> None:
    """What the step judged on main: the KPI's three re-runs only, every one green after the session's failed."""
    lake = Lakehouse()
    pipeline = FailsItsFirstRun(lake)
    assert not pipeline(base).ok  # the session's run, exit check 2's: the first on the stack
    samples = _kpi_runs(pipeline, base, tmp_path, lake)
    assert all(s.ok for s in samples)
    assert judge_success(samples, GitHubPart(not_measured="x"), 95.0).status is Status.PASSED


def test_a_pipeline_failing_its_first_run_on_the_stack_fails_naming_that_run(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = FailsItsFirstRun(lake)
    session = session_sample(pipeline(base))
    samples = _kpi_runs(pipeline, base, tmp_path, lake)
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0, session=session)
    assert outcome.status is Status.FAILED and outcome.measured == 75.0
    assert str(outcome.reason) == (
        f"success rate below 95 %: local 75 %; first failure: session the session's pipeline run: {FIRST_RUN_ERROR}"
    )
    assert outcome.details["local"]["runs"] == 4 and outcome.details["local"]["kpi_runs"] == 3
    assert outcome.details["local"]["session_run"] == f"failed: {FIRST_RUN_ERROR}"


def test_a_healthy_pipeline_passes_with_the_session_run_counted(base: Path, tmp_path: Path) -> None:
    lake = Lakehouse()
    pipeline = Healthy(lake)
    session = session_sample(pipeline(base))
    samples = _kpi_runs(pipeline, base, tmp_path, lake)
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0, session=session)
    assert outcome.status is Status.PASSED and outcome.measured == 100.0
    assert (outcome.details["local"]["runs"], outcome.details["local"]["succeeded"]) == (4, 4)
    assert outcome.details["local"]["session_run"] == "succeeded"
    assert outcome.details["runs"][0]["source"] == "session"


def test_the_session_run_does_not_exercise_the_repeated_change_rule(base: Path, tmp_path: Path) -> None:
    """Two KPI runs and the session's: still fewer than 3 fed runs, so the rule was never exercised."""
    lake = Lakehouse()
    pipeline = Healthy(lake)
    session = session_sample(pipeline(base))
    samples = run_pipeline_n(lambda d: pipeline(d or base), 2, fresh(base, tmp_path, lake, 2))
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0, session=session)
    assert outcome.status is Status.SKIPPED
    assert "2 local run(s), the rule starts at run 3" in str(outcome.reason)


def test_the_step_takes_the_session_run_and_hands_it_to_the_judge() -> None:
    """The wiring: the runs step asks for the session's ``pipeline_run`` and the judging step passes it on."""
    assert "pipeline_run" in inspect.signature(pipeline_repeatedly).parameters
    assert "local_runs.session" in inspect.getsource(e2e_workflow_history)
