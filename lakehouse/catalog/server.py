"""Serve the catalog on loopback: ``python -m lakehouse.catalog.server --catalog catalog-info.yaml``.

The local stand-in of the Backstage backend App Runner runs on ``aws``: the routes of Backstage's
catalog API the check reads (``GET /api/catalog/entities``, ``GET /api/catalog/entities/by-name/
{kind}/{namespace}/{name}``) and its liveness route (App Runner's health check). The file is read
and validated at every request; the harness gives it the copy taken at deploy time
(``lakehouse.catalog.service.deployed_copy``), as App Runner serves the catalog its image was built
with. Prints one ready line (``LAKEHOUSE_CATALOG_READY {"url": ..., "pid": ...}``) once the socket
is bound; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from lakehouse.catalog.model import CatalogError, entity_ref, load_catalog, served_entity, served_ref
from lakehouse.services import serve_until_signalled

READY_PREFIX = "LAKEHOUSE_CATALOG_READY "

ROUTES = Map(
    [
        Rule("/api/catalog/entities", endpoint="entities"),
        Rule("/api/catalog/entities/by-name/<kind>/<namespace>/<name>", endpoint="by_name"),
        Rule("/.backstage/health/v1/liveness", endpoint="health"),
        Rule("/.backstage/health/v1/readiness", endpoint="health"),
    ]
)


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _error(name: str, message: str, status: int) -> Response:
    """Backstage's error body shape."""
    return _json({"error": {"name": name, "message": message}, "response": {"statusCode": status}}, status)


def create_app(catalog: Path) -> Any:
    """The WSGI app over the catalog file ``catalog``."""

    def entities() -> list[dict[str, Any]]:
        return [served_entity(e, str(catalog)) for e in load_catalog(catalog)]

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            endpoint, args = ROUTES.bind_to_environ(environ).match()
            if endpoint == "health":
                response = _json({"status": "ok"})
            elif endpoint == "entities":
                response = _json(entities())
            else:
                wanted = entity_ref(args["kind"], args["namespace"], args["name"])
                found = [e for e in entities() if served_ref(e) == wanted]
                if not found:
                    raise NotFound(f"No entity named '{wanted}' found")
                response = _json(found[0])
        except CatalogError as err:
            response = _error("InputError", str(err), 500)
        except HTTPException as err:
            response = _error(type(err).__name__, err.description or request.path, err.code or 500)
        return response(environ, start_response)

    return app


def build_server(catalog: Path, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    return make_server(host, port, create_app(catalog), threaded=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", required=True, help="the catalog-info.yaml to serve")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="0 lets the kernel choose a free port")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = build_server(Path(args.catalog), args.host, args.port)
    host, port = server.server_address[:2]

    serve_until_signalled(server, READY_PREFIX, {"url": f"http://{host!s}:{port}", "pid": os.getpid()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
