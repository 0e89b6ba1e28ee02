"""Marquez's REST API as a real Marquez serves it (reference/aws-semantics.md section 3).

The same client talks to a user's Marquez on the ``aws`` target and to our service locally.
Path segments and the ``nodeId`` are URL-encoded (namespaces such as ``s3://bucket`` hold
slashes). Errors carry the status and Marquez's message (``{"code","message"}`` or, for validation,
``{"errors": [...]}``).

Marquez web (port 3000 by default) serves the lineage page and proxies ``/api/v1`` to the API
(``web/setupProxy.js``); the API port (5000) serves no web route. :func:`probe_web` tells the two
apart before a pipeline runs, so a wrong URL fails at once with the URL to give.
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


def ui_route(web_url: str, kind: str, namespace: str, name: str, depth: int | None = None, full: bool = False) -> str:
    """Marquez web's lineage route: ``/lineage/{job|dataset}/{enc ns}/{enc name}``.

    Marquez web opens the graph at depth 2 unless ``?depth=`` says otherwise, and draws only what
    is up- or downstream of the node unless ``isFull=true`` (its "Full Graph" switch).
    """
    url = f"{web_url.rstrip('/')}/lineage/{_enc(kind.lower())}/{_enc(namespace)}/{_enc(name)}"
    query = ([f"depth={depth}"] if depth is not None else []) + (["isFull=true"] if full else [])
    return url + ("?" + "&".join(query) if query else "")


def _message(resp: requests.Response) -> str:
    """Marquez's error text: ``message``, else the ``errors`` list, else the start of the body."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:200]
    if isinstance(body, dict):
        if body.get("message"):
            return str(body["message"])
        if isinstance(body.get("errors"), list) and body["errors"]:
            return "; ".join(map(str, body["errors"]))
    return resp.text[:200]


WEB_HINT = (
    "give Marquez web's URL (MARQUEZ_WEB_URL, e.g. http://<host>:3000): it serves /lineage/... and "
    "proxies /api/v1 to the API, so it can also stand in for MARQUEZ_URL"
)


def probe_web(web_url: str, timeout_s: float = TIMEOUT_S) -> str | None:
    """None when ``web_url`` is a Marquez web (a page at ``/``, the API through ``/api/v1``), else why not."""
    base = web_url.rstrip("/")
    try:
        page = requests.get(f"{base}/", timeout=timeout_s)
        api = requests.get(f"{base}/api/v1/namespaces", params={"limit": 1}, timeout=timeout_s)
    except requests.RequestException as err:
        return f"Marquez web at {web_url} does not answer ({type(err).__name__}); {WEB_HINT}"
    kind = page.headers.get("content-type", "")
    if page.status_code != 200 or "html" not in kind:
        return (
            f"{web_url} is not Marquez web: GET / answers HTTP {page.status_code} ({kind or 'no content type'}), "
            f"as Marquez's API port does; {WEB_HINT}"
        )
    try:
        listed = api.status_code == 200 and isinstance(api.json().get("namespaces"), list)
    except (ValueError, AttributeError):
        listed = False
    if not listed:
        return (
            f"{web_url} serves a page but GET /api/v1/namespaces answers HTTP {api.status_code} without "
            f"Marquez's namespace list: Marquez web proxies /api/v1 to the API (check MARQUEZ_HOST/MARQUEZ_PORT "
            f"of the web container); {WEB_HINT}"
        )
    return None


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
            raise MarquezError(f"GET {resp.url}: HTTP {resp.status_code}: {_message(resp)}", resp.status_code)
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

    def dataset(self, namespace: str, name: str) -> dict[str, Any]:
        """``GET /namespaces/{ns}/datasets/{name}``: Marquez answers an alias (``symlinks`` facet) with the
        dataset it names, under that dataset's own ``id``."""
        return dict(self._get(f"/namespaces/{_enc(namespace)}/datasets/{_enc(name)}"))

    def dataset_versions(
        self, namespace: str, name: str, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """``GET /namespaces/{ns}/datasets/{name}/versions``: one page of the dataset's versions, newest first by
        ``createdAt`` (the events' own times), and Marquez's ``totalCount``."""
        page = self._get(f"/namespaces/{_enc(namespace)}/datasets/{_enc(name)}/versions", limit=limit, offset=offset)
        return list(page["versions"]), int(page.get("totalCount", len(page["versions"])))

    def dataset_version(self, namespace: str, name: str, version: str) -> dict[str, Any]:
        """``GET /namespaces/{ns}/datasets/{name}/versions/{version}``: one version with its ``createdByRun``."""
        return dict(self._get(f"/namespaces/{_enc(namespace)}/datasets/{_enc(name)}/versions/{_enc(version)}"))

    def events(
        self, before: str, after: str, limit: int = 100, offset: int = 0, sort: str = "asc"
    ) -> list[dict[str, Any]]:
        """``GET /events/lineage``: one page of the RunEvents Marquez keeps with ``after <= eventTime < before``
        (the events' own times; Marquez's default window ends in 2030), as Marquez's model re-serialises them
        (``lakehouse.lineage.digest``). Marquez's
        ``totalCount`` counts Dataset and Job events too, so a page shorter than ``limit`` is the last one."""
        page = self._get("/events/lineage", before=before, after=after, limit=limit, offset=offset, sortDirection=sort)
        return list(page["events"])

    def lineage(self, node_id: str, depth: int = 20) -> list[dict[str, Any]]:
        """``GET /lineage?nodeId=...&depth=...``: the graph's nodes (with ``inEdges``/``outEdges``)."""
        return list(self._get("/lineage", nodeId=node_id, depth=depth)["graph"])

    def column_lineage(self, node_id: str, depth: int = 20, downstream: bool = True) -> list[dict[str, Any]]:
        """``GET /column-lineage?nodeId=&depth=&withDownstream=``: ``DATASET_FIELD`` nodes with their edges."""
        return list(
            self._get("/column-lineage", nodeId=node_id, depth=depth, withDownstream=str(downstream).lower())["graph"]
        )
