"""The embedded AWS emulator: moto's server plus our extensions, on loopback.

Run as a process (``python -m lakehouse.emulator.server``) so that the pytest
process, ``make up`` and a user's shell all talk to the same endpoint, and so
that stopping it is a plain process exit. The port is chosen by the kernel
(bind to port 0) and announced on stdout as one JSON line, which removes the
race of picking a "free" port first and binding it later.

Which access keys act as the account (the deployer's) is told at start: ``--root-access-key``
(repeatable; default the harness's ``lakehouse.target.LOCAL_ACCESS_KEY``). Any key the emulator
did not issue itself (IAM users' keys, STS sessions) is refused as AWS refuses it
(``extensions.identity``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from lakehouse.emulator.extensions import install_all
from lakehouse.target import LOCAL_ACCESS_KEY

READY_PREFIX = "LAKEHOUSE_EMULATOR_READY "


def build_server(host: str = "127.0.0.1", port: int = 0, root_keys: list[str] | None = None) -> BaseWSGIServer:
    """Create (but do not start) a threaded WSGI server running moto plus extensions.

    ``root_keys``: the access keys accepted as the account's deployer (None keeps the default).
    """
    # Import moto's app lazily: it is the slow part of start-up, and the
    # extensions must patch moto before the first request is dispatched.
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    from lakehouse.emulator.extensions import identity
    from lakehouse.emulator.extensions.athena_queries import set_endpoint

    install_all()
    if root_keys is not None:
        identity.set_root_keys(root_keys)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    bound_host, bound_port = server.server_address[:2]
    set_endpoint(f"http://{bound_host!s}:{bound_port}")  # the Athena engine reads tables through it
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (loopback only by default)")
    parser.add_argument("--port", type=int, default=0, help="0 lets the kernel choose a free port")
    parser.add_argument(
        "--root-access-key",
        action="append",
        dest="root_keys",
        help=f"an access key accepted as the account's deployer (repeatable; default {LOCAL_ACCESS_KEY!r})",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.INFO if args.verbose else logging.WARNING)

    # moto reads these at request time; keep the emulator self-contained.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    server = build_server(args.host, args.port, args.root_keys or [LOCAL_ACCESS_KEY])
    host, port = server.server_address[:2]

    def _stop(_signum: int, _frame: Any) -> None:
        # shutdown() blocks until serve_forever returns, so call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ready = {"endpoint": f"http://{host!s}:{port}", "pid": os.getpid()}
    sys.stdout.write(READY_PREFIX + json.dumps(ready) + "\n")
    sys.stdout.flush()
    # The parent stops reading stdout after the ready line: send anything later to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
