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

Serving is tuned for many small requests (Athena polling under load, Terraform's parallel calls):
requests run on a pool of reused threads (no thread start per request in the accept loop), with
Nagle's algorithm off (werkzeug writes headers and body separately: without it a response waits for
the client's delayed ACK) and a deep listen queue, and the host -> moto service lookup is remembered
(moto lists its own package directory for every request, under a process-wide lock).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from werkzeug.serving import BaseWSGIServer

from lakehouse.emulator.extensions import install_all
from lakehouse.target import LOCAL_ACCESS_KEY

READY_PREFIX = "LAKEHOUSE_EMULATOR_READY "
#: Request threads (made as needed, then reused). Long polls and Terraform's parallelism hold a few
#: each; the engine's own requests to the endpoint need free ones while clients wait.
REQUEST_THREADS = 256
LISTEN_BACKLOG = 1024


class PooledWSGIServer(BaseWSGIServer):
    """werkzeug's threaded server, with requests handed to a pool instead of a new thread each."""

    multithread = True  # also makes werkzeug answer in HTTP/1.1 (chunked responses), as its threaded server
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool = ThreadPoolExecutor(max_workers=REQUEST_THREADS, thread_name_prefix="emulator-request")

    def process_request(self, request: Any, client_address: Any) -> None:
        self._pool.submit(self._serve, request, client_address)

    def _serve(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def server_close(self) -> None:
        super().server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


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

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, remembering which service a host name belongs to (a fixed mapping)."""

        _backends: dict[str, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            if host not in self._backends:
                self._backends[host] = super().get_backend_for_host(host)
            return self._backends[host]

    class RequestHandler(MotoRequestHandler):
        disable_nagle_algorithm = True

    install_all()
    if root_keys is not None:
        identity.set_root_keys(root_keys)
    app = Dispatcher(create_backend_app)
    server = PooledWSGIServer(host, port, app, handler=RequestHandler)
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
