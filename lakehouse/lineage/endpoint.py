"""Where a stack's lineage goes and is read back: Marquez API URL, web URL, job namespace.

An explicit setting (``--marquez-url`` / ``MARQUEZ_URL``) wins; otherwise a local stack uses
the lineage service ``make up`` started next to its emulator. On ``aws`` without a setting
there is no Marquez, and the emitter and exit check 4 say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakehouse.lineage.emitter import LineageEmitter, glue_schema_lookup
from lakehouse.lineage.jobs import default_namespace
from lakehouse.target import Target


@dataclass(frozen=True)
class LineageEndpoint:
    api_url: str | None
    web_url: str | None
    namespace: str

    def to_dict(self) -> dict[str, Any]:
        return {"api_url": self.api_url, "web_url": self.web_url, "namespace": self.namespace}


def resolve(
    stack_id: str,
    recorded_url: str | None,
    marquez_url: str | None = None,
    marquez_web_url: str | None = None,
    namespace: str | None = None,
) -> LineageEndpoint:
    """The configured Marquez, else the stack's own service (which serves API and web on one port)."""
    api = marquez_url or recorded_url
    return LineageEndpoint(api, marquez_web_url or api, namespace or default_namespace(stack_id))


def emitter_for(target: Target, endpoint: LineageEndpoint) -> LineageEmitter:
    """An emitter for a deployed stack: events to the endpoint, output schemas from its Glue catalog."""
    glue = target.client("glue", retries={"max_attempts": 1})
    return LineageEmitter(endpoint.api_url, endpoint.namespace, target.region, schema_lookup=glue_schema_lookup(glue))
