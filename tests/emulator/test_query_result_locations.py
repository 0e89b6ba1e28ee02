"""Exit check 6 finds where past queries really wrote their results (``lakehouse.checks.query_results``).

The broken stack: the pipeline's workgroup does not enforce its configuration, and a privileged
``SELECT ssn ...`` named its own OutputLocation, a folder the analyst may read. The workgroup's
setting says nothing about it; only the executions do.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from lakehouse.checks.query_results import MAX_EXECUTIONS, result_folder
from lakehouse.checks.security import past_results
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target

REGION = "af-south-1"  # a region of its own: workgroups and executions are per region


@pytest.fixture
def target(emulator: EmulatorHandle) -> Target:
    return Target(name="local", region=REGION, endpoint_url=emulator.endpoint)


def work_group(athena: Any, location: str, enforced: bool) -> str:
    name = f"wg-{uuid.uuid4().hex[:8]}"
    athena.create_work_group(
        Name=name,
        Configuration={"ResultConfiguration": {"OutputLocation": location}, "EnforceWorkGroupConfiguration": enforced},
    )
    return name


def start(athena: Any, name: str, output: str | None = None, sql: str = "SELECT 1") -> str:
    params: dict[str, Any] = {"QueryString": sql, "WorkGroup": name}
    if output:
        params["ResultConfiguration"] = {"OutputLocation": output}
    query_id = str(athena.start_query_execution(**params)["QueryExecutionId"])
    for _ in range(200):
        if athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] not in (
            "QUEUED",
            "RUNNING",
        ):
            break
        time.sleep(0.05)
    return query_id


def test_a_query_writing_outside_an_unenforced_workgroups_location_is_found(target: Target) -> None:
    athena = target.client("athena")
    analyst = work_group(athena, "s3://results-x/analyst/", enforced=True)
    pipeline = work_group(athena, "s3://results-x/results/", enforced=False)
    leaked = start(athena, pipeline, "s3://team-share-x/exports/", "SELECT 'not really ssn' AS ssn")
    for _ in range(MAX_EXECUTIONS // 20):  # newer queries push it past ListQueryExecutions' first page
        start(athena, pipeline)
    start(athena, analyst, "s3://analyst-own-x/anything/")  # the analyst's own results are its to read

    found = past_results(target, analyst, ["s3://results-x/results/", "s3://results-x/analyst/"])

    assert found.folders == {"s3://team-share-x/exports/": f"{pipeline}, query {leaked}"}
    assert found.errors == []


def test_an_enforcing_workgroup_keeps_every_query_in_its_location(target: Target) -> None:
    athena = target.client("athena")
    analyst = work_group(athena, "s3://results-y/analyst/", enforced=True)
    pipeline = work_group(athena, "s3://results-y/results/", enforced=True)
    start(athena, pipeline, "s3://team-share-y/exports/")  # the workgroup overrides it

    found = past_results(target, analyst, ["s3://results-y/results/"])

    assert {f for f in found.folders if "-y/" in f} == set()


def test_a_result_file_lives_in_its_folder() -> None:
    assert result_folder("s3://b/results/3f1c.csv") == "s3://b/results/"
    assert result_folder("s3://b/3f1c.csv") == "s3://b/"
