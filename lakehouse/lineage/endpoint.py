"""Where a stack's lineage goes and is read back: Marquez API URL, web URL, job namespace.

An explicit setting (``--marquez-url`` / ``MARQUEZ_URL``) wins; otherwise a local stack uses
the lineage service ``make up`` started next to its emulator (API and web on one port). On ``aws``
without a setting there is no Marquez, and the emitter and exit check 4 say so.

A real Marquez serves its web UI on another port than its API; the web server proxies ``/api/v1``,
so ``MARQUEZ_WEB_URL`` alone is enough (it is used for both). :func:`probe` checks the web URL before
the pipeline runs, so a wrong or missing one is known at once and named in check 4's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from lakehouse.lineage.client import WEB_HINT, probe_web
from lakehouse.lineage.emitter import LineageEmitter, glue_schema_lookup
from lakehouse.lineage.jobs import default_namespace
from lakehouse.target import Target


@dataclass(frozen=True)
class LineageEndpoint:
    api_url: str | None
    web_url: str | None
    namespace: str
    #: Why ``web_url`` cannot show the lineage page (missing, the API port, not answering), or None.
    web_problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "api_url": self.api_url,
            "web_url": self.web_url,
            "namespace": self.namespace,
            "web_problem": self.web_problem,
        }


def resolve(
    stack_id: str,
    recorded_url: str | None,
    marquez_url: str | None = None,
    marquez_web_url: str | None = None,
    namespace: str | None = None,
) -> LineageEndpoint:
    """The configured Marquez, else the stack's own service (which serves API and web on one port).

    A configured Marquez API without ``MARQUEZ_WEB_URL`` has no web URL: its API port answers 404
    for the web route, so falling back to it would only fail later with a less clear reason.
    """
    api = marquez_url or marquez_web_url or recorded_url
    own = marquez_url is None or marquez_url == recorded_url
    web = marquez_web_url or (recorded_url if own else None)
    problem = None
    if web is None and api is not None:
        problem = (
            f"MARQUEZ_URL ({api}) is set but MARQUEZ_WEB_URL is not, and Marquez's API port serves no web page: "
            f"{WEB_HINT}"
        )
    return LineageEndpoint(api, web, namespace or default_namespace(stack_id), problem)


def probe(endpoint: LineageEndpoint) -> LineageEndpoint:
    """``endpoint`` with ``web_problem`` set when its web URL is not a Marquez web (checked now, before the run)."""
    if endpoint.web_url is None or endpoint.web_problem:
        return endpoint
    return replace(endpoint, web_problem=probe_web(endpoint.web_url))


def emitter_for(target: Target, endpoint: LineageEndpoint) -> LineageEmitter:
    """An emitter for a deployed stack: events to the endpoint, output schemas from its Glue catalog."""
    glue = target.client("glue", retries={"max_attempts": 1})
    return LineageEmitter(endpoint.api_url, endpoint.namespace, target.region, schema_lookup=glue_schema_lookup(glue))
