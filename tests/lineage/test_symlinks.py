"""A dataset's ``symlinks`` facet, as Marquez folds it, and exit check 4 against it.

Marquez (``OpenLineageDao.upsertLineageDataset``, ``DatasetSymlinkDao.upsertDatasetSymlinkRow``) claims a
dataset's own name as its primary symlink, then each identifier of its ``symlinks`` facet as an alias of it,
``INSERT ... ON CONFLICT (name, namespace_uuid) DO NOTHING``: the first claim of a name wins for good. An event
naming a name claimed earlier as an alias is folded into the dataset holding it (``datasets.upsert ... ON
CONFLICT (uuid)`` keeps that dataset's namespace and name); ``GET .../datasets/{alias}`` and the lineage graph
answer with that dataset (``findDatasetByName``/``getDatasetData``: ``ANY(d.dataset_symlinks)``).

So a foreign event that claims one of the pipeline's table names before this run's events ever name it merges
the table into the foreign dataset: the graph draws this run's edges at the foreign node. The check fails
then, and says why; a claim made after the table exists changes nothing (its name is taken).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from openlineage.client.event_v2 import RunState

from lakehouse.checks.lineage import check_api
from lakehouse.lineage.client import MarquezClient
from lakehouse.lineage.events import JobRun, run_event, to_dict
from lakehouse.lineage.naming import DatasetRef
from lakehouse.lineage.service import model
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.lineage.service.store import Store
from tests.lineage.test_check import EXP, GOLD, READS_BRONZE, emitted

#: The foreign producer's dataset and job (another stack, another namespace).
THEIRS = DatasetRef("s3://their-bucket", "their/table")
THEIR_JOB = ("their-namespace", "their_job")
SYMLINKS_SCHEMA = "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet"


def symlinked(dataset: DatasetRef, *aliases: DatasetRef) -> dict[str, Any]:
    """An OpenLineage dataset ``dataset`` whose ``symlinks`` facet names ``aliases``."""
    identifiers = [{"namespace": a.namespace, "name": a.name, "type": "TABLE"} for a in aliases]
    facet = {"_producer": "https://example.com/someone-else", "_schemaURL": SYMLINKS_SCHEMA, "identifiers": identifiers}
    return {"namespace": dataset.namespace, "name": dataset.name, "facets": {"symlinks": facet}}


def foreign_run(output: dict[str, Any], job: tuple[str, str] = THEIR_JOB) -> dict[str, Any]:
    """A COMPLETE RunEvent of a foreign job writing ``output``."""
    return {
        "eventType": "COMPLETE",
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": "https://example.com/someone-else",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": job[0], "name": job[1]},
        "inputs": [],
        "outputs": [output],
    }


def writes(job: str, *outputs: DatasetRef) -> dict[str, Any]:
    """A COMPLETE event of job ``job`` of namespace ``ns`` writing ``outputs`` (no facet of ours names a symlink)."""
    return to_dict(run_event(JobRun("ns", job, outputs=outputs), RunState.COMPLETE))


def post(service: LineageHandle, event: dict[str, Any]) -> None:
    resp = requests.post(f"{service.url}/api/v1/lineage", json=event, timeout=10)
    assert resp.status_code == 201, resp.text


def node_ids(store: Store, node: str) -> set[str]:
    return {n["id"] for n in model.lineage(store, node)}


# -- the service does what Marquez does ------------------------------------------------------------------------------

OURS = DatasetRef("awsathena://athena", "awsdatacatalog.gold.t")


def test_a_name_claimed_as_an_alias_first_is_folded_into_the_claiming_dataset(tmp_path: Path) -> None:
    """The foreign dataset claims our table's name first: our job's output lands on the foreign dataset (Marquez's
    upsert conflicts on the name, reads back the alias row's dataset), and every read of our name answers it."""
    store = Store(tmp_path / "l.sqlite")
    store.add(foreign_run(symlinked(THEIRS, OURS)))
    store.add(writes("gold", OURS))
    job = store.job("ns", "gold")
    assert job is not None and model.job_json(store, job)["outputs"] == [
        {"namespace": THEIRS.namespace, "name": THEIRS.name}
    ]
    held = store.dataset(OURS.namespace, OURS.name)
    assert held is not None and (held["namespace"], held["name"]) == (THEIRS.namespace, THEIRS.name)
    assert store.dataset(THEIRS.namespace, THEIRS.name) is not None
    assert [(r["namespace"], r["name"]) for r in store.datasets()] == [(THEIRS.namespace, THEIRS.name)]
    assert node_ids(store, "job:ns:gold") == {"job:ns:gold", THEIRS.node_id, "job:their-namespace:their_job"}
    # a lineage or dataset read of the alias starts at the dataset it names, as ``getDatasetData`` does
    assert node_ids(store, OURS.node_id) == node_ids(store, "job:ns:gold")
    assert store.namespace(OURS.namespace) is not None  # Marquez upserts the identifier's namespace


def test_a_claim_after_the_name_exists_changes_nothing(tmp_path: Path) -> None:
    """Our table named first: the foreign identifier naming it conflicts and is dropped (``DO NOTHING``)."""
    store = Store(tmp_path / "l.sqlite")
    store.add(writes("gold", OURS))
    store.add(foreign_run(symlinked(THEIRS, OURS)))
    store.add(writes("gold", OURS))
    held = store.dataset(OURS.namespace, OURS.name)
    assert held is not None and (held["namespace"], held["name"]) == (OURS.namespace, OURS.name)
    assert node_ids(store, "job:ns:gold") == {"job:ns:gold", OURS.node_id}


def test_a_datasets_own_aliases_fold_later_events_naming_them_into_it(tmp_path: Path) -> None:
    """A DatasetEvent naming a dataset with aliases: a later run writing an alias writes that dataset."""
    store = Store(tmp_path / "l.sqlite")
    alias = DatasetRef("hive://metastore", "gold.t")
    store.add(
        {
            "eventTime": datetime.now(UTC).isoformat(),
            "producer": "https://example.com/someone-else",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": symlinked(OURS, alias),
        }
    )
    store.add(writes("other", alias))
    assert node_ids(store, "job:ns:other") == {"job:ns:other", OURS.node_id}
    held = store.dataset(alias.namespace, alias.name)
    assert held is not None and (held["namespace"], held["name"]) == (OURS.namespace, OURS.name)


def test_an_alias_reads_back_through_the_api_under_its_datasets_id(service: LineageHandle) -> None:
    post(service, foreign_run(symlinked(THEIRS, OURS)))
    held = MarquezClient(service.url).dataset(OURS.namespace, OURS.name)
    assert held["id"] == {"namespace": THEIRS.namespace, "name": THEIRS.name}


# -- the check -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", [EXP.gold, EXP.bronze[0]], ids=["gold", "bronze"])
def test_a_foreign_alias_claiming_a_pipeline_table_first_fails_naming_the_dataset_the_job_and_the_facet(
    service: LineageHandle, table: DatasetRef
) -> None:
    """Before this run, a foreign job's output declares the Gold (or a Bronze) table's name in its ``symlinks``
    facet. Marquez then folds this run's events naming the table into the foreign dataset: the graph draws the
    pipeline's edges at the foreign node, beside the foreign job. Our service ignored the facet and passed."""
    post(service, foreign_run(symlinked(THEIRS, table)))
    ours = emitted(service.url)
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.reason is not None
    assert api.details["gold_latest_run"]["id"] == ours.run_ids[GOLD][-1]  # every run is this run's
    assert (
        f"Marquez resolves dataset {table.node_id} to another dataset, {THEIRS.node_id}: an event's symlinks "
        "dataset facet made its name an alias of that one before this run named it, so this run's edges at it are "
        "drawn at that dataset, next to job(s) this pipeline does not run: job:their-namespace:their_job"
    ) in api.reason
    assert table.node_id not in {n["id"] for n in api.graph}


def test_foreign_aliases_claiming_a_pipeline_table_after_it_exists_or_other_names_pass(service: LineageHandle) -> None:
    """Healthy twin: a foreign alias of another name before this run, and one claiming the Gold and a Bronze table
    after this run named them (the names are taken: Marquez drops the claim), leave the pipeline's graph as is."""
    post(service, foreign_run(symlinked(THEIRS, DatasetRef("hive://metastore", "their.table"))))
    ours = emitted(service.url)
    post(service, foreign_run(symlinked(DatasetRef("s3://their-bucket", "late"), EXP.gold, EXP.bronze[0])))
    api = check_api(MarquezClient(service.url), EXP, ours)
    assert api.passed, api.reason
    assert "aliased_datasets" not in api.details
    held = MarquezClient(service.url).dataset(EXP.gold.namespace, EXP.gold.name)
    assert held["id"] == {"namespace": EXP.gold.namespace, "name": EXP.gold.name}
    assert READS_BRONZE in ours.run_ids
