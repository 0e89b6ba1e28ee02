"""Run the lineage service on loopback: ``python -m lakehouse.lineage.service.server --db FILE``.

Prints one ready line (``LAKEHOUSE_LINEAGE_READY {"url": ..., "pid": ...}``) once the socket
is bound, so the starter waits on that condition instead of a sleep; SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from werkzeug.serving import BaseWSGIServer, make_server

from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.process import READY_PREFIX
from lakehouse.lineage.service.store import Store
from lakehouse.services import serve_until_signalled


def build_server(db: Path, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded WSGI server for the app over the SQLite file ``db`` (port 0: the kernel picks)."""
    return make_server(host, port, create_app(Store(db)), threaded=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="SQLite file holding the events (created if missing)")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="0 lets the kernel choose a free port")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)
    server = build_server(Path(args.db), args.host, args.port)
    host, port = server.server_address[:2]

    serve_until_signalled(server, READY_PREFIX, {"url": f"http://{host!s}:{port}", "pid": os.getpid()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
