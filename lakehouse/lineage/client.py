"""Marquez's REST API as a real Marquez serves it (reference/aws-semantics.md section 3).

The same client talks to a user's Marquez on the ``aws`` target and to our service locally.
Path segments and the ``nodeId`` are URL-encoded (namespaces such as ``s3://bucket`` hold
slashes). Errors carry the status and Marquez's message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

TIMEOUT_S = 10.0


class MarquezError(RuntimeError):
    """Marquez answered with an error or not at all; ``status`` is None when it did not answer."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def _enc(part: str) -> str:
    return quote(part, safe="")


def ui_route(web_url: str, kind: str, namespace: str, name: str) -> str:
    """Marquez web's lineage route: ``/lineage/{job|dataset}/{enc ns}/{enc name}``."""
    return f"{web_url.rstrip('/')}/lineage/{_enc(kind.lower())}/{_enc(namespace)}/{_enc(name)}"


@dataclass
class MarquezClient:
    """``GET`` requests against ``{url}/api/v1``."""

    url: str
    timeout_s: float = TIMEOUT_S

    def _get(self, path: str, **params: Any) -> Any:
        address = f"{self.url.rstrip('/')}/api/v1{path}"
        try:
            resp = requests.get(address, params=params or None, timeout=self.timeout_s)
        except requests.RequestException as err:
            raise MarquezError(f"GET {address}: no answer ({type(err).__name__})") from None
        if resp.status_code != 200:
            try:
                message = resp.json().get("message") or resp.text[:200]
            except ValueError:
                message = resp.text[:200]
            raise MarquezError(f"GET {resp.url}: HTTP {resp.status_code}: {message}", resp.status_code)
        try:
            return resp.json()
        except ValueError:
            raise MarquezError(f"GET {resp.url}: not JSON: {resp.text[:120]!r}", resp.status_code) from None

    def namespaces(self, limit: int = 100) -> list[dict[str, Any]]:
        return list(self._get("/namespaces", limit=limit, offset=0)["namespaces"])

    def jobs(self, namespace: str, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        """Jobs of a namespace and Marquez's ``totalCount``."""
        page = self._get(f"/namespaces/{_enc(namespace)}/jobs", limit=limit, offset=0)
        return list(page["jobs"]), int(page.get("totalCount", len(page["jobs"])))

    def job(self, namespace: str, name: str) -> dict[str, Any]:
        return dict(self._get(f"/namespaces/{_enc(namespace)}/jobs/{_enc(name)}"))

    def datasets(self, namespace: str, limit: int = 1000) -> tuple[list[dict[str, Any]], int]:
        page = self._get(f"/namespaces/{_enc(namespace)}/datasets", limit=limit, offset=0)
        return list(page["datasets"]), int(page.get("totalCount", len(page["datasets"])))

    def lineage(self, node_id: str, depth: int = 20) -> list[dict[str, Any]]:
        """``GET /lineage?nodeId=...&depth=...``: the graph's nodes (with ``inEdges``/``outEdges``)."""
        return list(self._get("/lineage", nodeId=node_id, depth=depth)["graph"])
