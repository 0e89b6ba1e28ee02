"""A stand-in Marquez web server for tests: the fixture page (data/marquez_web) at Marquez web's
routes and ``/api/v1`` proxied to a Marquez API, as Marquez web's ``setupProxy.js`` does.

Runs in a thread of the test process on loopback; stopped when the context exits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from flask import Flask, Response, request
from werkzeug.serving import make_server

PAGE = Path(__file__).parent / "data" / "marquez_web" / "index.html"


def web_app(api_url: str, page: Path = PAGE, max_depth: int | None = None) -> Flask:
    """Marquez web's server: its page for every web route, ``/api/v1`` proxied to ``api_url``.

    ``max_depth`` caps the depth of the page's lineage request: a web that draws less than it is asked
    for, on the very Marquez the API is (its answers otherwise unchanged).
    """
    app = Flask(__name__)

    @app.get("/")
    @app.get("/lineage/<path:_rest>")
    def spa(_rest: str = "") -> Response:
        return Response(page.read_text(encoding="utf-8"), mimetype="text/html")

    @app.get("/healthcheck")
    def health() -> Response:
        return Response("OK", mimetype="text/plain")

    @app.get("/api/v1/<path:_rest>")
    def proxy(_rest: str) -> Response:
        raw = str(request.environ.get("RAW_URI") or request.full_path)
        if max_depth is not None and _rest == "lineage":
            raw = re.sub(r"depth=(\d+)", lambda m: f"depth={min(int(m.group(1)), max_depth)}", raw)
        upstream = requests.get(api_url.rstrip("/") + raw, timeout=10)
        return Response(upstream.content, upstream.status_code, mimetype=upstream.headers.get("content-type"))

    return app


@contextmanager
def marquez_web(api_url: str, page: Path = PAGE, max_depth: int | None = None) -> Iterator[str]:
    """Serve the stand-in on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, web_app(api_url, page, max_depth), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
