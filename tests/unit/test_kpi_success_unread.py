"""KPI-success-rate: a run whose tables could not be read back is no failed run; the KPI says it cannot tell.

The hole: the read-back after each run judges the data contracts with exit check 2's part (``contracts_met``),
which reads each Gold table's column types from Glue (and the Iceberg metadata in S3). When that read failed
(``error``: no verdict), the KPI took the error's text for the run's fault: the run counted as failed, and a
healthy pipeline failed the KPI because Glue could not be read. Now the run is left unread and the KPI is
``error`` naming what could not be read, while a column stored with another type still fails the run, and so do
contract violations Athena's rows show beside types that could not be read (they were dropped for ``error`` once).
moto's Glue and Athena stand in for the stack's: moto's Athena answers with no rows, which violates the contracts
(``row count 0``), so a read-back nothing shows wrong is one whose Athena queries fail too (``NO_ATHENA``: a
workgroup that does not exist).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from lakehouse.contracts import load_contracts
from lakehouse.kpi.fresh import ReadBackError
from lakehouse.kpi.success import GitHubPart, RunSample, contracts_read_back, judge_success, run_pipeline_n
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import PipelineResult
from lakehouse.target import Target
from tests.unit.test_kpi_success_fresh import Healthy, Lakehouse, SkipsSeenObjects, base, fresh

__all__ = ["base"]  # the session's inputs, the fixture of the KPI's other tests

REGION = "us-east-1"
OUTPUTS: dict[str, Any] = {
    "athena_workgroup_name": "primary",
    "glue_database_names": {layer: f"lh_{layer}" for layer in ("bronze", "silver", "gold")},
    "bucket_names": {layer: f"lh-{layer}" for layer in ("bronze", "silver", "gold")},
}
UNREADABLE = "cannot read the column types of lh_gold.daily_revenue"
MISMATCH = "gold.daily_revenue.order_date is stored as string (Glue table lh_gold.daily_revenue)"
#: The stack with an Athena workgroup that does not exist: no table's rows can be read, nothing is shown wrong.
NO_ATHENA: dict[str, Any] = {**OUTPUTS, "athena_workgroup_name": "lh-missing"}
VIOLATED = "gold.daily_revenue: expect_table_row_count_to_be_between failed (row count 0"


def gold_tables(*, skip: str | None = None, stored: dict[str, str] | None = None) -> None:
    """Gold's typed tables in Glue, each column stored as its contract says (but ``stored``), ``skip`` left out."""
    glue = boto3.client("glue", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": OUTPUTS["glue_database_names"]["gold"]})
    for contract in load_contracts():
        name = contract.table.split(".", 1)[1]
        if not contract.table.startswith("gold.") or not contract.column_types or name == skip:
            continue
        types = {**contract.column_types, **(stored or {} if name == "daily_revenue" else {})}
        columns = [{"Name": c, "Type": t} for c, t in types.items()]
        glue.create_table(
            DatabaseName=OUTPUTS["glue_database_names"]["gold"],
            TableInput={"Name": name, "StorageDescriptor": {"Columns": columns}},
        )


def _read_back(outputs: dict[str, Any] = OUTPUTS) -> Any:
    return contracts_read_back(Target("aws", REGION), outputs)


@pytest.mark.usefixtures("moto_aws")
def test_a_column_type_read_that_fails_raises_naming_the_table_not_a_wrong_contract() -> None:
    gold_tables(skip="daily_revenue")  # Glue's GetTable fails: EntityNotFoundException
    with pytest.raises(ReadBackError) as err:
        _read_back(NO_ATHENA)(PipelineResult())
    assert UNREADABLE in str(err.value) and "EntityNotFoundException" in str(err.value)


@pytest.mark.usefixtures("moto_aws")
def test_a_column_stored_with_another_type_is_still_what_the_contracts_say_is_wrong() -> None:
    gold_tables(stored={"order_date": "string"})
    wrong, seen = _read_back()(PipelineResult())
    assert wrong is not None and MISMATCH in wrong, wrong
    assert seen["column_types"]["stored_types"]["lh_gold.daily_revenue"]["order_date"] == "string"


@pytest.mark.usefixtures("moto_aws")
def test_a_healthy_pipeline_whose_types_cannot_be_read_makes_the_kpi_an_error_not_a_failure(
    base: Path, tmp_path: Path
) -> None:
    gold_tables(skip="daily_revenue")
    lake = Lakehouse()
    pipeline = Healthy(lake)
    assert pipeline(base).ok  # the session's run
    proof = replace(fresh(base, tmp_path, lake, 3), contracts=_read_back(NO_ATHENA))
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, proof)
    assert [s.unread is not None for s in samples] == [True] * 3
    assert all(UNREADABLE in str(s.unread) for s in samples)
    assert samples[0].read is not None and "gold" in samples[0].read, "what was read stays in the evidence"
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.ERROR, outcome.reason
    assert "cannot tell whether 3 of the 3 pipeline run(s) on the stack succeeded" in str(outcome.reason)
    assert UNREADABLE in str(outcome.reason)
    assert outcome.details["local"]["not_read_back"].keys() == {"run 1", "run 2", "run 3"}


@pytest.mark.usefixtures("moto_aws")
def test_a_real_type_mismatch_still_counts_each_run_as_failed(base: Path, tmp_path: Path) -> None:
    gold_tables(stored={"order_date": "string"})
    lake = Lakehouse()
    pipeline = Healthy(lake)
    assert pipeline(base).ok
    proof = replace(fresh(base, tmp_path, lake, 3), contracts=_read_back())
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, proof)
    assert [s.ok for s in samples] == [False] * 3 and not any(s.unread for s in samples)
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and outcome.measured == 0.0
    assert MISMATCH in str(outcome.reason)


@pytest.mark.usefixtures("moto_aws")
def test_a_broken_pipeline_fails_even_when_the_types_cannot_be_read(base: Path, tmp_path: Path) -> None:
    """Gold read back without the run's batch is a failed run, whatever the contracts' read said."""
    gold_tables(skip="daily_revenue")
    lake = Lakehouse()
    pipeline = SkipsSeenObjects(lake)
    assert pipeline(base).ok
    proof = replace(fresh(base, tmp_path, lake, 3), contracts=_read_back())
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, proof)
    assert not any(s.ok or s.unread for s in samples)
    assert samples[0].read is not None and UNREADABLE in samples[0].read["contracts"]
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and "lacks 3 of the 3 orders of this run's batch" in str(outcome.reason)


@pytest.mark.usefixtures("moto_aws")
def test_contract_violations_athena_shows_fail_each_run_though_the_types_cannot_be_read(
    base: Path, tmp_path: Path
) -> None:
    """Before the fix the violations were dropped: each run was left unread and the KPI was ``error``."""
    gold_tables(skip="daily_revenue")
    lake = Lakehouse()
    pipeline = Healthy(lake)
    assert pipeline(base).ok
    proof = replace(fresh(base, tmp_path, lake, 3), contracts=_read_back())
    samples = run_pipeline_n(lambda d: pipeline(d or base), 3, proof)
    assert [s.ok for s in samples] == [False] * 3 and not any(s.unread for s in samples)
    assert all(VIOLATED in str(s.error) and UNREADABLE in str(s.error) for s in samples)
    outcome = judge_success(samples, GitHubPart(not_measured="x"), 95.0)
    assert outcome.status is Status.FAILED and outcome.measured == 0.0, outcome.reason
    assert VIOLATED in str(outcome.reason) and UNREADABLE in str(outcome.reason)


def _sample(label: str, ok: bool, unread: str | None = None) -> RunSample:
    return RunSample("local", label, ok, 1.0, None if ok or unread else "boom", unread=unread)


def test_runs_below_the_threshold_even_counting_the_unread_as_successes_fail_else_error() -> None:
    github = GitHubPart(not_measured="x")
    # 1 failed and 1 unread of 4: at best 75 %, below 95 % whatever the unread run did.
    low = [
        _sample("run 1", False),
        _sample("run 2", False, "Glue down"),
        _sample("run 3", True),
        _sample("run 4", True),
    ]
    outcome = judge_success(low, github, 95.0)
    assert outcome.status is Status.FAILED and "first failure: local run 1: boom" in str(outcome.reason)
    assert "even counting the 1 run(s) not read back as successes" in str(outcome.reason)
    # 1 unread of 4 and 3 green: it could be 100 %, or 75 %: no verdict.
    unsure = [_sample("run 1", False, "Glue down"), *(_sample(f"run {i}", True) for i in (2, 3, 4))]
    outcome = judge_success(unsure, github, 95.0)
    assert outcome.status is Status.ERROR and "run 1: Glue down" in str(outcome.reason)
    healthy = [_sample(f"run {i}", True) for i in (1, 2, 3, 4)]
    assert judge_success(healthy, github, 95.0).status is Status.PASSED


@pytest.mark.parametrize(
    "github",
    [
        GitHubPart(error="GitHub answered 503"),
        GitHubPart(unbound={"commit under test": "no checkout: runs of other code would count"}),
    ],
    ids=["github-unread", "github-unbound"],
)
def test_runs_on_the_stack_below_the_threshold_fail_the_kpi_whatever_github_could_not_tell(github: GitHubPart) -> None:
    """Before the fix GitHub's part that could not tell made the KPI ``error``, hiding the stack's failed run."""
    low = [_sample("run 1", False), *(_sample(f"run {i}", True) for i in (2, 3, 4))]
    outcome = judge_success(low, github, 95.0)
    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert reason.startswith("success rate below 95 %: local 75 %; first failure: local run 1: boom; and "), reason
    assert ("GitHub answered 503" if github.error else "no checkout: runs of other code would count") in reason
    healthy = [_sample(f"run {i}", True) for i in (1, 2, 3, 4)]  # twin: nothing shown wrong, GitHub unsure
    assert judge_success(healthy, github, 95.0).status is Status.ERROR
