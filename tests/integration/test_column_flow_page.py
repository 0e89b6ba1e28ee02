"""The ssn column-flow page of a real `make up` stack's lineage service, fed by `lakehouse pipeline`:
complete, then with Silver users' column lineage lost (caught, the tables named), then repaired."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from lakehouse.checks.column_page import stack_column_page
from lakehouse.lineage.events import PRODUCER
from lakehouse.lineage.naming import athena_table
from lakehouse.outcome import Outcome, Status
from tests.integration.conftest import UpStack, run_cli

DATASET_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent"


def column_lineage_event(namespace: str, name: str, facet: dict[str, Any]) -> dict[str, Any]:
    """A DatasetEvent setting the dataset's ``columnLineage`` facet (Marquez stores it, 201)."""
    return {
        "eventTime": datetime.now(UTC).isoformat(),
        "producer": PRODUCER,
        "schemaURL": DATASET_EVENT,
        "dataset": {"namespace": namespace, "name": name, "facets": {"columnLineage": facet}},
    }


@pytest.mark.xdist_group("data-stack")
def test_the_ssn_column_flow_page_is_judged_on_a_real_stack(up_stack: UpStack, tmp_path: Path) -> None:
    record = up_stack.deployment.record
    stack = up_stack.deployment.stack
    assert record.lineage_url
    proc = run_cli("pipeline", "--stack-id", stack.stack_id, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    dbs = record.outputs["glue_database_names"]

    def check() -> Outcome:
        return stack_column_page(
            record.outputs, stack.target.region, record.lineage_url, record.lineage_url, None, "ssn", tmp_path / "p.png"
        )

    healthy = check()
    if healthy.status is Status.ERROR and "no browser" in str(healthy.reason):
        pytest.skip(str(healthy.reason))
    assert healthy.passed, healthy.reason
    assert healthy.measured["tables_drawn"] == "4/4"
    assert f"{dbs['gold']}.users" in healthy.details["drawn"]

    silver = athena_table(stack.target.region, dbs["silver"], "users")
    url = f"{record.lineage_url}/api/v1/namespaces/{quote(silver.namespace, safe='')}/datasets/{silver.name}"
    facet = requests.get(url, timeout=10).json()["facets"]["columnLineage"]
    lineage = f"{record.lineage_url}/api/v1/lineage"
    lost = column_lineage_event(silver.namespace, silver.name, {**facet, "fields": {}})
    assert requests.post(lineage, json=lost, timeout=10).status_code == 201
    try:
        broken = check()
        assert broken.status is Status.FAILED
        reason = str(broken.reason)
        assert f"does not show {dbs['silver']}.users (ssn)" in reason, reason
        assert f"does not show {dbs['gold']}.users (ssn)" in reason, reason
        assert "the lineage events lack its column lineage" in reason
    finally:
        repaired = column_lineage_event(silver.namespace, silver.name, facet)
        assert requests.post(lineage, json=repaired, timeout=10).status_code == 201
    assert check().passed
