"""Exit check 4's current-version rule (``lakehouse.checks.lineage_versions``) on Marquez-shaped answers.

The broken stack: a foreign job wrote Gold after this run with its events dated before the session. Marquez
then answers Gold's ``currentVersion`` as a version whose ``createdByRun`` is that job's run, ``createdAt`` a
time before the session. The healthy twin: the pipeline ran again in the session (a rerun of this emission),
so Gold's current version is this emission's later run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.checks.lineage import Expectation
from lakehouse.checks.lineage_versions import (
    CurrentVersion,
    current_version_problems,
    read_current,
    written_datasets,
)
from lakehouse.lineage.client import MarquezError
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.jobs import Edge
from lakehouse.lineage.naming import DatasetRef

NS = "lakehouse-t"
ATHENA = "awsathena://athena.eu-west-1.amazonaws.com"
GOLD = DatasetRef(ATHENA, "awsdatacatalog.t_gold.daily_revenue")
SILVER = DatasetRef(ATHENA, "awsdatacatalog.t_silver.orders")
USERS = DatasetRef(ATHENA, "awsdatacatalog.t_gold.users")
OURS, RERUN = "0b1d6a8e-1c1f-4c56-9a0c-7f1e2d3c4b5a", "6f9e1d2c-3b4a-4958-8776-655443322110"
THEIRS = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
V_OURS, V_THEIRS = "11111111-2222-4333-8444-555555555555", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def expectation() -> Expectation:
    gold_job, silver_job, users_job = f"job:{NS}:gold.merge", f"job:{NS}:silver.merge", f"job:{NS}:users.merge"
    edges = {
        Edge(SILVER.node_id, gold_job),
        Edge(gold_job, GOLD.node_id),
        Edge(silver_job, SILVER.node_id),
    }
    return Expectation(
        NS,
        "gold.merge",
        GOLD,
        edges,
        [],
        pipeline_edges=frozenset(edges | {Edge(users_job, USERS.node_id)}),
        datasets=frozenset({GOLD, SILVER, USERS}),
    )


def emission(**runs: list[str]) -> EmissionStats:
    return EmissionStats(
        url="http://m", namespace=NS, started_at=datetime(2026, 12, 6, 20, 0, tzinfo=UTC), run_ids=runs
    )


def run(run_id: str, job: str, namespace: str = NS) -> dict[str, Any]:
    return {"id": run_id, "state": "COMPLETED", "jobVersion": {"namespace": namespace, "name": job, "version": V_OURS}}


class Marquez:
    """``dataset``/``dataset_version`` answering as Marquez does: the dataset with its ``currentVersion``, the
    version with its ``createdByRun``; unknown ones 404."""

    def __init__(self, current: dict[str, str | None], versions: dict[str, dict[str, Any]]):
        self.current, self.versions = current, versions

    def dataset(self, namespace: str, name: str) -> dict[str, Any]:
        if name not in self.current:
            raise MarquezError(f"Dataset '{name}' not found.", 404)
        return {"id": {"namespace": namespace, "name": name}, "currentVersion": self.current[name]}

    def dataset_version(self, namespace: str, name: str, version: str) -> dict[str, Any]:
        if version not in self.versions:
            raise MarquezError(f"Dataset version '{version}' not found.", 404)
        return {"version": version, **self.versions[version]}


def test_a_foreign_writer_with_backdated_events_owns_golds_current_version_and_fails() -> None:
    marquez = Marquez(
        {GOLD.name: V_THEIRS},
        {V_THEIRS: {"createdAt": "2026-12-06T19:00:00.000Z", "createdByRun": run(THEIRS, "backfill", "other")}},
    )
    found = read_current(marquez, GOLD)  # type: ignore[arg-type]
    assert found == CurrentVersion(
        GOLD.node_id, V_THEIRS, "2026-12-06T19:00:00.000Z", THEIRS, "COMPLETED", "job:other:backfill"
    )
    problems = current_version_problems([found], emission(**{"gold.merge": [OURS]}))
    assert problems == [
        f"Marquez's current version {V_THEIRS} of {GOLD.node_id} was made by run {THEIRS} (COMPLETED) of "
        "job:other:backfill, not by a run this session emitted: the last completed write of it to reach Marquez, "
        "whatever its event times say (created 2026-12-06T19:00:00.000Z)"
    ]


def test_our_own_later_run_owning_golds_current_version_passes() -> None:
    marquez = Marquez(
        {GOLD.name: V_OURS},
        {V_OURS: {"createdAt": "2026-12-06T20:05:00.000Z", "createdByRun": run(RERUN.upper(), "gold.merge")}},
    )
    found = read_current(marquez, GOLD)  # type: ignore[arg-type]
    assert found is not None and found.run == RERUN  # compared as UUIDs, whatever the case Marquez answers in
    assert current_version_problems([found], emission(**{"gold.merge": [OURS, RERUN]})) == []


@pytest.mark.parametrize(
    ("current", "version", "expected"),
    [
        (None, None, "Marquez holds no current version of {node}, which this run wrote"),
        (V_OURS, None, "Marquez's current version {v} of {node} is not among its versions"),
        (
            V_OURS,
            {"createdAt": "t", "createdByRun": None},
            "Marquez's current version {v} of {node} (created t) was made by no run",
        ),
    ],
    ids=["no-current-version", "current-version-unknown", "runless-version"],
)
def test_a_current_version_no_run_of_ours_made_fails(
    current: str | None, version: dict[str, Any] | None, expected: str
) -> None:
    marquez = Marquez({GOLD.name: current}, {V_OURS: version} if version else {})
    found = read_current(marquez, GOLD)  # type: ignore[arg-type]
    assert found is not None
    problems = current_version_problems([found], emission(**{"gold.merge": [OURS]}))
    assert len(problems) == 1 and problems[0].startswith(expected.format(v=V_OURS, node=GOLD.node_id)), problems


def test_a_dataset_marquez_lacks_is_left_to_the_missing_edges() -> None:
    assert read_current(Marquez({}, {}), GOLD) is None  # type: ignore[arg-type]


def test_the_judged_datasets_are_the_ones_this_runs_jobs_wrote_upstream_of_gold_and_where_the_flow_goes() -> None:
    exp = expectation()
    every = emission(**{"gold.merge": [OURS], "silver.merge": [OURS], "users.merge": [OURS]})
    assert written_datasets(exp, every) == sorted([GOLD, SILVER])
    assert written_datasets(exp, every, ["T_GOLD.users"]) == sorted([GOLD, SILVER, USERS])
    # a job this emission did not run: its tables are stale_jobs' to name, not judged here
    assert written_datasets(exp, emission(**{"gold.merge": [OURS]}), ["t_gold.users"]) == [GOLD]
