"""OpenLineage RunEvents for the pipeline's jobs, built with openlineage-python's own classes.

Using the library's generated model (not hand-made dicts) keeps the events on the spec the
library implements (2-0-2): required fields, facet ``_producer``/``_schemaURL``, UUID run ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    datasource_dataset,
    error_message_run,
    external_query_run,
    job_type_job,
    schema_dataset,
    sql_job,
)
from openlineage.client.serde import Serde
from openlineage.client.uuid import generate_new_uuid

from lakehouse.lineage.naming import DatasetRef
from lakehouse.lineage.sqlio import Column

#: Who made the events (OpenLineage ``producer``): this harness.
PRODUCER = "https://github.com/lakehouse-code/lakehouse-code/tree/main/lakehouse/lineage"


@dataclass(frozen=True)
class JobRun:
    """One run of one job, as the events describe it."""

    namespace: str
    name: str
    run_id: str = field(default_factory=lambda: str(generate_new_uuid()))
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()
    schemas: dict[DatasetRef, list[Column]] = field(default_factory=dict)
    sql: str | None = None
    integration: str = "ATHENA"
    job_type: str = "QUERY"
    query_id: str | None = None
    #: Output -> its column -> the source columns it is computed from (``columns.column_lineage``).
    column_lineage: dict[DatasetRef, dict[str, set[tuple[DatasetRef, str]]]] = field(default_factory=dict)


def datasource_uri(namespace: str) -> str:
    """The ``dataSource`` facet's ``uri`` (``format: uri`` in its schema): the namespace when it is a
    URI (``s3://bucket``, ``awsathena://...``), else ``<namespace>:///`` (local files: ``file:///``)."""
    return namespace if "://" in namespace else f"{namespace}:///"


def _datasource(ref: DatasetRef) -> datasource_dataset.DatasourceDatasetFacet:
    return datasource_dataset.DatasourceDatasetFacet(name=ref.namespace, uri=datasource_uri(ref.namespace))


def _schema(columns: list[Column]) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=c.name, type=c.type, ordinal_position=i)
            for i, c in enumerate(columns, start=1)
        ]
    )


def _column_lineage(fields: dict[str, set[tuple[DatasetRef, str]]]) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    return column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            column: column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(namespace=d.namespace, name=d.name, field=f)
                    for d, f in sorted(sources)
                ]
            )
            for column, sources in sorted(fields.items())
        }
    )


def _job(run: JobRun) -> Job:
    facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration=run.integration, jobType=run.job_type
        )
    }
    if run.sql:
        facets["sql"] = sql_job.SQLJobFacet(query=run.sql, dialect="athena")
    return Job(namespace=run.namespace, name=run.name, facets=facets)


def run_event(
    run: JobRun,
    state: RunState,
    when: datetime | None = None,
    error: str | None = None,
) -> RunEvent:
    """A START, COMPLETE or FAIL event of ``run`` at ``when`` (UTC; now by default).

    Outputs carry a ``schema`` facet when the columns are known and a ``columnLineage`` facet
    when their columns' sources are, every dataset a ``dataSource`` facet; FAIL carries the
    error, COMPLETE/FAIL the Athena query id.
    """
    when = when or datetime.now(UTC)
    run_facets: dict[str, Any] = {}
    if run.query_id and state != RunState.START:
        run_facets["externalQuery"] = external_query_run.ExternalQueryRunFacet(
            externalQueryId=run.query_id, source="athena"
        )
    if error and state == RunState.FAIL:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(message=error, programmingLanguage="SQL")
    inputs = [
        InputDataset(namespace=d.namespace, name=d.name, facets={"dataSource": _datasource(d)}) for d in run.inputs
    ]
    outputs = []
    for d in run.outputs:
        facets: dict[str, Any] = {"dataSource": _datasource(d)}
        if columns := run.schemas.get(d):
            facets["schema"] = _schema(columns)
        if flows := run.column_lineage.get(d):
            facets["columnLineage"] = _column_lineage(flows)
        outputs.append(OutputDataset(namespace=d.namespace, name=d.name, facets=facets))
    return RunEvent(
        eventType=state,
        eventTime=when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        run=Run(runId=run.run_id, facets=run_facets),
        job=_job(run),
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )


def to_json(event: RunEvent) -> str:
    """The exact body the HTTP transport posts."""
    return str(Serde.to_json(event))


def to_dict(event: RunEvent) -> dict[str, Any]:
    import json

    data: dict[str, Any] = json.loads(to_json(event))
    return data
