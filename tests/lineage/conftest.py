"""A real lineage service process per test (fresh SQLite file), and the pipeline's statements for a fake stack.

The statements are the project's real ``pipeline/sql`` files rendered for made-up stack names:
the emitter describes them exactly as it does in a pipeline run, without needing AWS.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.athena import QueryRecord
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.service.process import LineageHandle, start_lineage_service, stop_lineage_service
from lakehouse.pipeline.landing import LANDING, Landed
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import SqlStatement, load

REGION = "ap-northeast-1"
OUTPUTS: dict[str, Any] = {
    "bucket_names": {layer: f"lh-t-{layer}" for layer in ("bronze", "silver", "gold")},
    "glue_database_names": {layer: f"lh_t_{layer}" for layer in ("bronze", "silver", "gold")},
}
NAMESPACE = "lakehouse-lh-t"


def statements() -> list[SqlStatement]:
    return load(SQL_DIR, stack_values(OUTPUTS))


def landed() -> list[Landed]:
    bucket = OUTPUTS["bucket_names"]["bronze"]
    return [Landed(name, f"s3://{bucket}/{prefix}{name}", 1, 1) for name, prefix in LANDING.items()]


def emit_pipeline(emitter: LineageEmitter, stmts: list[SqlStatement] | None = None) -> None:
    """What ``run_pipeline`` calls on its listeners: landing, then every statement (all succeeded)."""
    emitter.landing(DATA_DIR, landed(), 0.05)
    for i, stmt in enumerate(stmts if stmts is not None else statements()):
        emitter.statement(stmt, QueryRecord(sql=stmt.sql, query_execution_id=f"q-{i}", wall_ms=15))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LineageHandle]:
    handle = start_lineage_service(tmp_path / "lineage.sqlite", log_path=tmp_path / "lineage.log")
    try:
        yield handle
    finally:
        stop_lineage_service(handle)
