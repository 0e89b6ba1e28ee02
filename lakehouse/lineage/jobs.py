"""The pipeline's jobs and what each reads and writes: the lineage the pipeline should produce.

One place for both sides: the emitter describes each job with these functions while the
pipeline runs, and exit check 4 uses them to know which edges Marquez must hold.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.lineage.jobnames import JobNamer
from lakehouse.lineage.naming import DatasetRef, local_file, s3_location
from lakehouse.lineage.sqlio import Column, StatementIO, statement_io
from lakehouse.pipeline.landing import LANDING
from lakehouse.pipeline.sqlfiles import SqlStatement

#: The Bronze landing step's job name (the SQL statements': ``jobnames``).
LANDING_JOB = "bronze_landing"


def default_namespace(stack_id: str) -> str:
    """Job namespace of a stack's pipeline: one per stack, so runs sharing a Marquez stay apart."""
    return f"lakehouse-{stack_id}"


def csv_header(path: Path) -> list[Column]:
    """Columns of a landed CSV (all strings: Bronze keeps text as it arrived)."""
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        header = next(csv.reader(handle), [])
    return [Column(name.strip(), "string") for name in header if name.strip()]


def landing_io(bucket: str, data_dir: Path) -> StatementIO:
    """Local CSVs in, the Bronze folders they land in out (the folder is what the Bronze table reads)."""
    io = StatementIO(kind="LANDING")
    for name, prefix in LANDING.items():
        path = data_dir / name
        io.inputs.append(local_file(path))
        out = s3_location(f"s3://{bucket}/{prefix}")
        io.outputs.append(out)
        if path.is_file():
            io.schemas[out] = csv_header(path)
    return io


@dataclass(frozen=True)
class Edge:
    """A directed edge of Marquez's lineage graph (node ids ``dataset:...`` / ``job:...``)."""

    origin: str
    destination: str

    def __str__(self) -> str:
        return f"{self.origin} -> {self.destination}"

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "destination": self.destination}


def job_node(namespace: str, name: str) -> str:
    return f"job:{namespace}:{name}"


def job_edges(namespace: str, name: str, io: StatementIO) -> set[Edge]:
    node = job_node(namespace, name)
    edges = {Edge(d.node_id, node) for d in io.inputs}
    edges |= {Edge(node, d.node_id) for d in io.outputs}
    return edges


def expected_jobs(
    statements: list[SqlStatement], region: str, bronze_bucket: str, data_dir: Path
) -> dict[str, StatementIO]:
    """Every job of a pipeline run, in run order, with the datasets its SQL (or landing) reads and writes."""
    jobs = {LANDING_JOB: landing_io(bronze_bucket, data_dir)}
    namer = JobNamer(region)  # the emitter's names (jobnames: table and operation, not place)
    for stmt in statements:
        io = statement_io(stmt.sql, region)
        jobs[namer.name(stmt, io)] = io
    return jobs


def writers_of(jobs: dict[str, StatementIO], dataset: DatasetRef) -> list[str]:
    """Jobs that write ``dataset`` and read something (the ones that carry data into it), in run order."""
    return [name for name, io in jobs.items() if dataset in io.outputs and io.inputs]
